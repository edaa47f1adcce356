"""Tests for ``mri-teach synth`` (called as ``main([...])``, style.md C19)."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np
import pytest

from mri_teach import anatomy, datasets
from mri_teach.cli import main

FAST = ["--preset", "fast"]


def _synth(tmp_path, *extra, name="case"):
    out = tmp_path / name
    rc = main(["synth", *extra, *FAST, "--out", str(out)])
    return rc, out


@pytest.fixture(scope="module")
def sgn_case(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth") / "sgn"
    rc = main(["synth", "--nerve", "superior_gluteal", "--side", "right", "--days", "90",
               "--field", "1.5", "--seed", "0", *FAST, "--out", str(out)])
    assert rc == 0
    return out


def test_synth_writes_the_five_files(sgn_case, capsys):
    assert sorted(p.name for p in sgn_case.iterdir()) == sorted(datasets.CASE_FILES)
    for name in ("t1.nii.gz", "stir.nii.gz", "labels.nii.gz"):
        img = nib.load(sgn_case / name)
        assert img.get_data_dtype() == np.int16
        assert img.ndim == 3
    t1 = nib.load(sgn_case / "t1.nii.gz")
    assert np.isfinite(t1.dataobj.slope) and t1.dataobj.slope > 0  # float signal kept


def test_truth_json_describes_the_lesion(sgn_case):
    doc = json.loads((sgn_case / "truth.json").read_text())
    truth = doc
    assert truth["cause"] == "superior_gluteal"
    assert truth["side"] == "right"
    assert truth["days"] == 90
    assert truth["time_stage"] == "subacute"  # domain.md 1.4: 1-6 months
    assert set(truth["affected"]) == {"gluteus_medius_right", "gluteus_minimus_right",
                                      "tensor_fasciae_latae_right"}
    for name in truth["affected"]:
        m = truth["muscles"][name]
        for key in ("ff", "t1_ms", "t2_water_ms", "volume_factor", "t1_ratio", "stir_ratio",
                    "volume_ratio"):
            assert key in m, (name, key)
        assert m["stir_ratio"] > 1.15 and m["t1_ratio"] > 1.0
    # contralateral ratios are reciprocal (domain.md 1.4): left/right = 1 / (right/left)
    right, left = (truth["muscles"][f"gluteus_medius_{s}"] for s in ("right", "left"))
    assert left["stir_ratio"] * right["stir_ratio"] == pytest.approx(1.0, abs=0.01)
    # a muscle outside the territory is unchanged (Gmax: inferior gluteal nerve)
    gmax = truth["muscles"]["gluteus_maximus_right"]
    assert gmax["t2_water_ms"] == truth["muscles"]["gluteus_maximus_left"]["t2_water_ms"]
    assert gmax["stir_ratio"] == pytest.approx(1.0, abs=0.05)
    assert doc["storage"]["t1.nii.gz"]["dtype"] == "int16"
    assert doc["params"]  # the phantom parameters travel with the case


def test_labels_json_and_sides(sgn_case):
    table = {int(k): v for k, v in json.loads((sgn_case / "labels.json").read_text()).items()}
    img = nib.as_closest_canonical(nib.load(sgn_case / "labels.nii.gz"))
    data = np.asarray(img.dataobj)
    present = {int(v) for v in np.unique(data) if v}
    assert present <= set(table)
    for value in present:
        structure, side = anatomy.parse_name(table[value])
        if side is None or not structure.startswith("gluteus"):
            continue
        centroid = np.argwhere(data == value).mean(axis=0)
        x = nib.affines.apply_affine(img.affine, centroid)[0]
        assert (x > 0) == (side == "right"), table[value]


def test_synth_is_deterministic_for_a_seed(tmp_path, sgn_case):
    args = ["--nerve", "superior_gluteal", "--side", "right", "--days", "90", "--seed"]
    rc, again = _synth(tmp_path, *args, "0", name="again")
    assert rc == 0
    assert datasets.case_digests(again) == datasets.case_digests(sgn_case)
    rc, other = _synth(tmp_path, *args, "1", name="other")
    assert rc == 0
    assert (datasets.case_digests(other)["t1.nii.gz"]
            != datasets.case_digests(sgn_case)["t1.nii.gz"])


def test_synth_refuses_a_non_empty_folder(tmp_path, capsys):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    rc = main(["synth", *FAST, "--out", str(out)])
    assert rc == 2
    err = capsys.readouterr().err
    assert err.startswith("mri-teach: error:") and "--overwrite" in err
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert main(["synth", *FAST, "--out", str(out), "--overwrite"]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(datasets.CASE_FILES)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--nerve", "sciatica"], ["--nerve", "superior_gluteal", "obturator"]),
        (["--cause", "tumour"], ["--cause", "abductor_tendon_tear", "disuse_atrophy"]),
        (["--nerve", "disuse_atrophy"], ["--cause"]),
        (["--side", "both"], ["--side", "'left'", "'right'"]),
        (["--field", "7"], ["--field", "1.5", "3.0"]),
        (["--days", "-1"], ["--days", ">= 0"]),
        (["--snr-t1", "0"], ["--snr-t1", "> 0"]),
        (["--snr-stir", "-5"], ["--snr-stir", "> 0"]),
        (["--preset", "huge"], ["--preset", "default", "fast", "isotropic"]),
        (["--sample", "sgn_3mo"], ["--sample", "sgn_subacute"]),
        (["--fat-suppression", "none"], ["ideal", "imperfect"]),
        (["--body", "giant"], ["--body", "female", "male"]),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path, capsys, args, words):
    out = tmp_path / "bad"
    rc = main(["synth", *args, "--out", str(out)])
    assert rc == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("mri-teach: error:")
    assert "\n" not in err and "Traceback" not in err
    for word in words:
        assert word in err, (word, err)
    assert not out.exists()  # nothing partial written


def test_mimic_cause(tmp_path):
    rc, out = _synth(tmp_path, "--cause", "abductor_tendon_tear", "--side", "left",
                     "--days", "365")
    assert rc == 0
    truth = json.loads((out / "truth.json").read_text())
    assert truth["cause"] == "abductor_tendon_tear"
    assert all(anatomy.parse_name(n)[1] == "left" for n in truth["affected"])
    assert {anatomy.parse_name(n)[0] for n in truth["affected"]} >= {"gluteus_medius"}


def test_stir_on_thicker_slices(tmp_path):
    rc, out = _synth(tmp_path, "--stir-slice-mm", "8")
    assert rc == 0
    t1 = nib.load(out / "t1.nii.gz")
    stir = nib.load(out / "stir.nii.gz")
    assert stir.header.get_zooms()[2] == pytest.approx(8.0, abs=0.01)
    assert stir.header.get_zooms()[2] > t1.header.get_zooms()[2]


def test_sample_route(tmp_path, capsys):
    out = tmp_path / "s"
    assert main(["synth", "--sample", "sgn_acute", *FAST, "--out", str(out)]) == 0
    truth = json.loads((out / "truth.json").read_text())
    assert truth["days"] == datasets.SAMPLES["sgn_acute"].params["days"]
    assert truth["time_stage"] == "acute"
    assert "wrote" in capsys.readouterr().out
    rc = main(["synth", "--sample", "normal", "--cause", "sciatic", "--out",
               str(tmp_path / "t")])
    assert rc == 2


def test_all_samples_shows_progress(tmp_path, capsys):
    out = tmp_path / "all"
    assert main(["synth", "--all-samples", *FAST, "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(datasets.SAMPLES)
    err = capsys.readouterr().err
    n = len(datasets.SAMPLES)
    assert f"{n}/{n}" in err and "[" in err and "#" in err
    for name, sample in datasets.SAMPLES.items():
        truth = json.loads((out / name / "truth.json").read_text())
        assert truth["cause"] == sample.params["cause"]
