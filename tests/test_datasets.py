"""Tests for mri_teach.datasets: case folders, the sample registry and load_sample."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from conftest import need

from mri_teach import anatomy, datasets, io
from mri_teach._validation import InputError
from mri_teach.datasets import (
    CASE_FILES,
    SAMPLES,
    case_digests,
    load_case,
    load_sample,
    write_case,
)

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class StandIn:
    """A tiny case with the attributes of phantom.Case (arrays only; not the phantom)."""

    t1: np.ndarray
    stir: np.ndarray
    labels: np.ndarray
    affine: np.ndarray
    stir_affine: np.ndarray
    label_table: dict
    truth: dict
    params: dict = field(default_factory=dict)


def _stand_in(rng, shape=(12, 10, 6)) -> StandIn:
    labels = np.zeros(shape, np.int16)
    table = {v: n for v, n in anatomy.PHANTOM_LABELS.items()
             if n in ("gluteus_medius_right", "gluteus_medius_left", "sacrum")}
    by_name = {n: v for v, n in table.items()}
    labels[8:11, 3:7, 1:5] = by_name["gluteus_medius_right"]  # high i = patient right
    labels[1:4, 3:7, 1:5] = by_name["gluteus_medius_left"]
    labels[5:7, 1:3, 2:4] = by_name["sacrum"]
    t1 = rng.rayleigh(2.0, shape).astype(np.float32) + 100.0 * (labels > 0)
    stir = rng.rayleigh(2.0, shape[:2] + (3,)).astype(np.float32) + 40.0
    affine = np.diag([0.9, 0.9, 4.0, 1.0])
    affine[:3, 3] = (-5.0, -4.0, -10.0)
    stir_affine = affine.copy()
    stir_affine[2, 2] = 8.0
    truth = {"cause": "superior_gluteal", "side": "right", "days": 90.0,
             "time_stage": "subacute", "affected": ["gluteus_medius_right"],
             "muscles": {"gluteus_medius_right": {"stir_ratio": np.float64(1.3)}},
             "seed": 0}
    return StandIn(t1, stir, labels, affine, stir_affine, table, truth,
                   {"sigma_t1": 2.0, "sigma_stir": 2.0, "field_t": 1.5})


def test_write_case_round_trip(tmp_path, rng):
    case = _stand_in(rng)
    out = write_case(case, tmp_path / "case")
    assert sorted(p.name for p in out.iterdir()) == sorted(CASE_FILES)
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o777 & ~umask  # not mkdtemp's private 0700
    loaded = load_case(out)
    assert loaded.t1.name == "T1" and loaded.stir.name == "STIR"
    # int16 with a slope of sigma/2: error at most half a step
    step = 2.0 * datasets.QUANT_STEP_PER_SIGMA
    np.testing.assert_allclose(loaded.t1.data, case.t1, atol=step / 2 + 1e-4)
    np.testing.assert_allclose(loaded.stir.data, case.stir, atol=step / 2 + 1e-4)
    np.testing.assert_array_equal(loaded.label_data, case.labels)
    np.testing.assert_allclose(loaded.t1.affine, case.affine)
    np.testing.assert_allclose(loaded.stir.affine, case.stir_affine)
    assert loaded.stir.shape == case.stir.shape
    assert loaded.label_table == case.label_table
    assert loaded.truth["time_stage"] == "subacute"
    assert loaded.truth["muscles"]["gluteus_medius_right"]["stir_ratio"] == 1.3
    for name in ("t1.nii.gz", "stir.nii.gz", "labels.nii.gz"):
        img = nib.load(out / name)
        assert img.get_data_dtype() == np.int16
        assert nib.aff2axcodes(img.affine) == ("R", "A", "S")
    slope = nib.load(out / "t1.nii.gz").dataobj.slope
    assert slope == pytest.approx(loaded.truth["storage"]["t1.nii.gz"]["scl_slope"])


def test_label_sides_survive_the_round_trip(tmp_path, rng):
    case = _stand_in(rng)
    loaded = load_case(write_case(case, tmp_path / "case"))
    data, table = loaded.label_data, loaded.label_table
    for value, name in table.items():
        structure, side = anatomy.parse_name(name)
        if side is None:
            continue
        centroid = np.argwhere(data == value).mean(axis=0)
        x = nib.affines.apply_affine(loaded.t1.affine, centroid)[0]
        assert (x > 0) == (side == "right"), name  # RAS+: +x is patient right


def test_labels_json_names_every_value(tmp_path, rng):
    out = write_case(_stand_in(rng), tmp_path / "c")
    table = json.loads((out / "labels.json").read_text())
    values = np.unique(np.asarray(nib.load(out / "labels.nii.gz").dataobj))
    assert {str(int(v)) for v in values if v} <= set(table)


def test_write_case_refuses_non_empty_folder(tmp_path, rng):
    target = tmp_path / "case"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    with pytest.raises(InputError, match="not empty"):
        write_case(_stand_in(rng), target)
    assert (target / "notes.txt").read_text() == "keep me"
    write_case(_stand_in(rng), tmp_path / "empty_ok")  # an empty existing folder is fine
    write_case(_stand_in(rng), target, overwrite=True)
    assert not (target / "notes.txt").exists()
    assert sorted(p.name for p in target.iterdir()) == sorted(CASE_FILES)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp left


def test_write_case_writes_nothing_on_failure(tmp_path, rng):
    case = _stand_in(rng)
    case.label_table = {}  # labels without names
    with pytest.raises(InputError, match="no name"):
        write_case(case, tmp_path / "bad")
    assert list(tmp_path.iterdir()) == []


def test_write_case_is_deterministic(tmp_path):
    a = write_case(_stand_in(np.random.default_rng(3)), tmp_path / "a")
    b = write_case(_stand_in(np.random.default_rng(3)), tmp_path / "b")
    c = write_case(_stand_in(np.random.default_rng(4)), tmp_path / "c")
    assert case_digests(a) == case_digests(b)
    assert case_digests(a)["t1.nii.gz"] != case_digests(c)["t1.nii.gz"]
    assert case_digests(a)["labels.nii.gz"] == case_digests(c)["labels.nii.gz"]


def test_expected_digests_match_the_written_files(tmp_path, rng):
    case = _stand_in(rng)
    folder = write_case(case, tmp_path / "c")
    assert datasets.expected_digests(case) == case_digests(folder)


def test_array_digest_ignores_gzip_bytes(tmp_path):
    data = np.arange(24, dtype=np.int16).reshape(2, 3, 4)
    nib.save(nib.Nifti1Image(data, np.eye(4)), tmp_path / "a.nii.gz")
    nib.save(nib.Nifti1Image(data, np.eye(4)), tmp_path / "a.nii")
    nib.save(nib.Nifti1Image(data + 1, np.eye(4)), tmp_path / "b.nii")
    d = datasets.array_digest
    assert d(tmp_path / "a.nii.gz") == d(tmp_path / "a.nii") != d(tmp_path / "b.nii")


def test_samples_registry():
    expected = {"normal", "sgn_subacute", "sgn_acute", "sgn_chronic", "inferior_gluteal",
                "sacral_plexus", "abductor_tendon_tear"}
    assert set(SAMPLES) == expected
    for name, sample in SAMPLES.items():
        assert sample.name == name
        assert sample.description and "\n" not in sample.description
        assert sample.params["cause"] in anatomy.CAUSES
        assert sample.params["side"] in anatomy.SIDES
        assert isinstance(sample.seed, int)
    moti = SAMPLES["sgn_subacute"].params
    assert (moti["cause"], moti["side"], moti["days"]) == ("superior_gluteal", "right", 90)
    # the stage cases span the time stages of domain.md 1.4
    assert 14 <= SAMPLES["sgn_acute"].params["days"] <= 30
    assert 30 < SAMPLES["sgn_subacute"].params["days"] <= 180
    assert SAMPLES["sgn_chronic"].params["days"] > 180
    assert set(datasets.SHIPPED_SAMPLES) <= set(SAMPLES)


def test_load_sample_rejects_unknown_name():
    with pytest.raises(InputError, match="must be one of 'normal'"):
        load_sample("sgn_3mo")


def test_load_sample_reads_an_existing_folder(tmp_path, rng):
    folder = write_case(_stand_in(rng), tmp_path / "normal")
    loaded = load_sample("normal", folder=folder)
    assert loaded.folder == folder
    assert isinstance(loaded.t1, io.Volume)


def test_load_case_names_missing_files(tmp_path, rng):
    folder = write_case(_stand_in(rng), tmp_path / "c")
    (folder / "stir.nii.gz").unlink()
    with pytest.raises(io.ImageFileError, match="stir.nii.gz"):
        load_case(folder)


def test_cache_dir_follows_env(monkeypatch, tmp_path):
    monkeypatch.setenv("MRI_TEACH_CACHE", str(tmp_path / "cache"))
    assert datasets.cache_dir().is_relative_to(tmp_path / "cache")
    monkeypatch.delenv("MRI_TEACH_CACHE")
    assert ".cache" in datasets.cache_dir().parts


# --- the shipped sample_data/ ------------------------------------------------------------

SAMPLE_DATA = ROOT / "sample_data"


def _readme_sums() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for line in (SAMPLE_DATA / "README.md").read_text().splitlines():
        parts = line.split()
        if len(parts) == 2 and len(parts[0]) == 64 and "/" in parts[1]:
            case, fname = parts[1].split("/", 1)
            out.setdefault(case, {})[fname] = parts[0]
    return out


def _shipped(name: str) -> Path:
    folder = SAMPLE_DATA / name
    need(all((folder / f).is_file() for f in CASE_FILES),
         f"shipped sample {name} not found in {SAMPLE_DATA}")
    return folder


@pytest.mark.parametrize("name", datasets.SHIPPED_SAMPLES)
def test_readme_sums_match_the_shipped_files(name):
    folder = _shipped(name)
    assert _readme_sums()[name] == case_digests(folder)
    readme = (SAMPLE_DATA / "README.md").read_text()
    for sample in SAMPLES:
        assert f"`{sample}`" in readme  # every case is described, shipped or rebuilt
    assert "python scripts/make_sample_data.py" in readme


def test_sample_data_stays_small():
    files = [p for p in SAMPLE_DATA.rglob("*") if p.is_file()] if SAMPLE_DATA.is_dir() else []
    assert sum(p.stat().st_size for p in files) < 25e6


@pytest.mark.parametrize("name", datasets.SHIPPED_SAMPLES)
def test_shipped_sample_matches_its_regeneration(name):
    """Same seed -> same decoded int16 arrays as the shipped files.

    Bit for bit on the machine that made them; on another CPU the float32 maths may differ
    in the last bit, which can move a voxel that sits on a rounding boundary by one
    quantisation step, so that (and only that) is tolerated.
    """
    folder = _shipped(name)
    case = datasets.make_sample(name)
    want = datasets.expected_digests(case)
    have = case_digests(folder)
    assert want["labels.json"] == have["labels.json"]
    if want == have:
        return
    for fname, rebuilt in datasets.encoded_arrays(case).items():
        stored = np.asanyarray(nib.load(folder / fname).dataobj.get_unscaled())
        assert stored.shape == rebuilt.shape and stored.dtype == rebuilt.dtype
        diff = stored.astype(np.int32) - rebuilt
        if fname == "labels.nii.gz":
            assert np.mean(diff != 0) < 1e-4, fname
        else:
            assert np.abs(diff).max() <= 1 and np.mean(diff != 0) < 1e-3, fname
    shipped_truth = json.loads((folder / "truth.json").read_text())
    for muscle, values in case.truth["muscles"].items():
        for key, value in values.items():
            if isinstance(value, float):
                assert shipped_truth["muscles"][muscle][key] == pytest.approx(value, rel=1e-3)


def test_load_sample_rebuilds_into_the_cache_once(monkeypatch, tmp_path):
    """Without sample_data/ (a wheel install) the case is rebuilt from its seed, then reused."""
    monkeypatch.setenv("MRI_TEACH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(datasets, "repo_sample_dir", lambda: tmp_path / "no_sample_data")
    built = []
    real_make = datasets.make_sample

    def fast_make(name, **overrides):
        built.append(name)
        return real_make(name, preset="fast", **overrides)

    monkeypatch.setattr(datasets, "make_sample", fast_make)
    first = load_sample("sgn_chronic")
    assert built == ["sgn_chronic"]
    assert first.folder.is_relative_to(tmp_path / "cache")
    assert first.truth["cause"] == "superior_gluteal"
    assert first.truth["time_stage"] == "chronic"
    second = load_sample("sgn_chronic")
    assert built == ["sgn_chronic"]  # read from the cache, not rebuilt
    np.testing.assert_array_equal(second.t1.data, first.t1.data)
    # sides of the rebuilt labels come from their names and match world x (RAS+)
    table = second.label_table
    value = next(v for v, n in table.items() if n == "gluteus_medius_right")
    ijk = np.argwhere(second.label_data == value).mean(axis=0)
    assert nib.affines.apply_affine(second.t1.affine, ijk)[0] > 0


def test_truth_json_is_flat_with_params(tmp_path, rng):
    case = _stand_in(rng)
    doc = json.loads((write_case(case, tmp_path / "c") / "truth.json").read_text())
    assert doc["cause"] == "superior_gluteal" and doc["side"] == "right"
    assert doc["params"]["field_t"] == 1.5
    assert doc["storage"]["labels.nii.gz"]["dtype"] == "int16"
    case.truth["params"] = "clash"
    with pytest.raises(InputError, match="params"):
        write_case(case, tmp_path / "d")
