"""``mri-teach analyze`` / ``compare``: JSON contract, grids, orientations, bad input."""

import json
import math

import nibabel as nib
import numpy as np
import pytest
from test_staging import SGN, make, side

from mri_teach.cli import main

MUSCLE_KEYS = {"name", "muscle", "side", "voxels", "volume_ml", "t1_mean", "stir_mean", "t1_sir",
               "stir_sir", "volume_ratio", "reference", "stage", "reasons"}
PATTERN_KEYS = {"side", "affected", "nerve", "candidates", "stage"}
AFF = np.diag([1.5, 1.5, 4.0, 1.0])


def write_case(folder, *, stf=None, t1f=None, volf=None, table_file=True, transform=None,
               noise=0.02, rng=0):
    folder.mkdir(parents=True, exist_ok=True)
    t1, st, lab, table = make(t1f, stf, volf, noise=noise, rng=rng)
    table = dict(table)
    table[200] = "bladder"
    lab[20:26, 10:12, 0] = 200
    arrays = {"t1": t1, "stir": st, "labels": lab}
    for key, data in arrays.items():
        aff = AFF
        if transform is not None:
            data, aff = transform(key, data, AFF)
        nib.save(nib.Nifti1Image(data, aff), folder / f"{key}.nii.gz")
    if table_file:
        (folder / "labels.json").write_text(json.dumps({str(k): v for k, v in table.items()}))
    return folder, table


def analyze_json(folder, tmp_path, *extra, name="out.json"):
    out = tmp_path / name
    rc = main(["analyze", "--t1", str(folder / "t1.nii.gz"), "--stir", str(folder / "stir.nii.gz"),
               "--labels", str(folder / "labels.nii.gz"), "--json", str(out), *extra])
    assert rc == 0
    return json.loads(out.read_text())


def test_json_contract_keys(tmp_path, capsys):
    folder, _ = write_case(tmp_path / "c", stf={n: 1.3 for n in side(SGN)})
    res = analyze_json(folder, tmp_path)
    assert {"muscles", "pattern", "warnings"} <= set(res)
    assert isinstance(res["warnings"], list)
    for m in res["muscles"]:
        assert MUSCLE_KEYS <= set(m)
        assert isinstance(m["reasons"], list) and m["reasons"]
    assert PATTERN_KEYS <= set(res["pattern"])
    p = res["pattern"]
    assert (p["side"], p["nerve"], p["stage"]) == ("right", "superior_gluteal", "acute")
    assert res["stir_grid"] == "native"
    assert all(m["name"] != "bladder" for m in res["muscles"])
    assert any("bladder" in n for n in res["notes"])
    assert "t1_sir_robust" in res["muscles"][0] and res["muscles"][0]["t1_sir_robust"] is None
    out = capsys.readouterr().out
    assert "gluteus_medius_right" in out and "superior_gluteal" in out


def test_robust_and_rim_flags_have_their_own_keys(tmp_path):
    folder, _ = write_case(tmp_path / "c")
    res = analyze_json(folder, tmp_path, "--robust", "--rim")
    m = res["muscles"][0]
    assert m["t1_sir_robust"] is not None and m["stir_sir_robust"] is not None
    assert res["settings"]["robust"] and res["settings"]["rim"]
    plain = analyze_json(folder, tmp_path, name="plain.json")
    assert m["voxels"] == plain["muscles"][0]["voxels"]  # volume from the drawn labels
    assert res["muscles"][0]["t1_mean"] != plain["muscles"][0]["t1_mean"]


def _permute_flip(key, data, aff):
    # store every array as (k, j, i) with i and j flipped (an "LPS, permuted" file); the
    # affine is updated so every voxel keeps its world position
    perm = (2, 1, 0)
    out = np.transpose(data, perm)[:, ::-1, ::-1]
    n = data.shape
    m = np.zeros((4, 4))
    m[3, 3] = 1
    # new index (a, b, c) -> old index (i, j, k) = (n0-1-c, n1-1-b, a)
    m[0, 2], m[0, 3] = -1, n[0] - 1
    m[1, 1], m[1, 3] = -1, n[1] - 1
    m[2, 0] = 1
    return np.ascontiguousarray(out), aff @ m


def test_permuting_and_flipping_voxel_order_changes_nothing(tmp_path):
    stf = {n: 1.3 for n in side(SGN)}
    a_dir, _ = write_case(tmp_path / "ras", stf=stf)
    b_dir, _ = write_case(tmp_path / "perm", stf=stf, transform=_permute_flip)
    assert nib.aff2axcodes(nib.load(b_dir / "t1.nii.gz").affine) != ("R", "A", "S")
    a = analyze_json(a_dir, tmp_path, name="a.json")
    b = analyze_json(b_dir, tmp_path, name="b.json")
    for ma, mb in zip(a["muscles"], b["muscles"], strict=False):
        assert ma["name"] == mb["name"] and ma["voxels"] == mb["voxels"]
        for key in ("t1_mean", "stir_mean", "t1_sir", "stir_sir", "volume_ratio"):
            assert ma[key] == pytest.approx(mb[key], rel=1e-5), (ma["name"], key)
        assert ma["stage"] == mb["stage"]
    assert a["pattern"] == b["pattern"]


def test_each_image_on_its_own_grid(tmp_path):
    # STIR at half resolution in-plane, labels stored LPS: still the same answer
    def coarse(key, data, aff):
        if key == "stir":
            d = data.reshape(26, 2, 6, 2, 10).mean(axis=(1, 3))
            a = aff @ np.diag([2.0, 2.0, 1.0, 1.0])
            a[:3, 3] = aff[:3, :3] @ [0.5, 0.5, 0.0]
            return d.astype(np.float32), a
        if key == "labels":
            return _permute_flip(key, data, aff)
        return data, aff

    folder, _ = write_case(tmp_path / "g", stf={n: 1.3 for n in side(SGN)}, transform=coarse)
    native = analyze_json(folder, tmp_path, name="n.json")
    on_t1 = analyze_json(folder, tmp_path, "--stir-grid", "t1", name="t.json")
    assert native["pattern"]["nerve"] == on_t1["pattern"]["nerve"] == "superior_gluteal"
    for a, b in zip(native["muscles"], on_t1["muscles"], strict=False):
        assert a["stir_sir"] == pytest.approx(b["stir_sir"], rel=0.02)


def test_itksnap_label_names_and_missing_table(tmp_path, capsys):
    from mri_teach import io

    folder, table = write_case(tmp_path / "c", table_file=False, stf={n: 1.3 for n in side(SGN)})
    rc = main(["analyze", "--t1", str(folder / "t1.nii.gz"), "--stir", str(folder / "stir.nii.gz"),
               "--labels", str(folder / "labels.nii.gz")])
    assert rc == 2 and "labels.json" in capsys.readouterr().err
    snap = io.write_itksnap_labels(table, tmp_path / "names.txt")
    res = analyze_json(folder, tmp_path, "--label-names", str(snap))
    assert res["pattern"]["nerve"] == "superior_gluteal"


def test_never_overwrites_an_input(tmp_path, capsys):
    folder, _ = write_case(tmp_path / "c")
    before = (folder / "labels.json").read_bytes()
    rc = main(["analyze", "--t1", str(folder / "t1.nii.gz"), "--stir", str(folder / "stir.nii.gz"),
               "--labels", str(folder / "labels.nii.gz"), "--json", str(folder / "labels.json")])
    assert rc == 2 and "input" in capsys.readouterr().err
    assert (folder / "labels.json").read_bytes() == before


def test_unreadable_file_is_one_line_error(tmp_path, capsys):
    folder, _ = write_case(tmp_path / "c")
    (folder / "stir.nii.gz").write_bytes(b"garbage")
    rc = main(["analyze", "--t1", str(folder / "t1.nii.gz"), "--stir", str(folder / "stir.nii.gz"),
               "--labels", str(folder / "labels.nii.gz")])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("mri-teach: error:") and "Traceback" not in err


def test_compare_cli_reinnervation(tmp_path, capsys):
    names = side(SGN)
    base, _ = write_case(tmp_path / "b", stf={n: 1.4 for n in names})
    follow, _ = write_case(tmp_path / "f", stf={n: 1.12 for n in names}, rng=1)
    out = tmp_path / "cmp.json"
    rc = main(["compare", "--baseline-t1", str(base / "t1.nii.gz"),
               "--baseline-stir", str(base / "stir.nii.gz"),
               "--baseline-labels", str(base / "labels.nii.gz"),
               "--t1", str(follow / "t1.nii.gz"), "--stir", str(follow / "stir.nii.gz"),
               "--labels", str(follow / "labels.nii.gz"), "--json", str(out)])
    assert rc == 0
    res = json.loads(out.read_text())
    assert set(res["comparison"]["reinnervation_suggested"]) == names
    assert res["baseline"]["pattern"]["nerve"] == "superior_gluteal"
    assert "reinnervation suggested" in capsys.readouterr().out


def test_totalsegmentator_real_ct_sides(real_data, tmp_path):
    # the real CT stands in for both sequences: every ratio must be about 1 and the sides
    # and volumes must come out of the TotalSegmentator labels correctly
    ts = real_data / "totalsegmentator"
    out = tmp_path / "ct.json"
    rc = main(["analyze", "--t1", str(ts / "example_ct.nii.gz"), "--stir",
               str(ts / "example_ct.nii.gz"), "--labels",
               str(ts / "example_seg_fast_force_split.nii.gz"), "--json", str(out)])
    assert rc == 0
    res = json.loads(out.read_text())
    by = {m["name"]: m for m in res["muscles"]}
    assert {"gluteus_medius_left", "gluteus_medius_right", "iliopsoas_left"} <= set(by)
    gl = by["gluteus_medius_left"]
    assert gl["side"] == "left" and gl["muscle"] == "gluteus_medius"
    assert gl["volume_ml"] == pytest.approx(gl["voxels"] * 0.027)
    assert 8000 < gl["voxels"] < 9800
    assert gl["reference"] == "gluteus_medius_right"
    assert gl["t1_sir"] == pytest.approx(gl["stir_sir"])
    assert not math.isnan(gl["t1_sir"])
    assert any("sacrum" in n or "femur" in n for n in res["notes"])


def test_real_oblique_lps_mri_with_musclemap_labels(real_data, tmp_path):
    # real lower-lumbar MRI: oblique, LPS, geometry in the qform only; its labels use the
    # sform only and MuscleMap's abdomen ids (right on odd values). The image stands in for
    # both sequences, so every SIR is T1 == STIR and sides must come from the table.
    mm = real_data / "musclemap"
    img = mm / "dataset" / "source_data" / "sub_0001" / "ses-abdomen" / "anat" / "image.nii.gz"
    out = tmp_path / "mm.json"
    rc = main(["analyze", "--t1", str(img), "--stir", str(img), "--labels",
               str(mm / "scripts" / "image.nii.gz"), "--label-names", "musclemap_abdomen",
               "--json", str(out)])
    assert rc == 0
    res = json.loads(out.read_text())
    by = {m["name"]: m for m in res["muscles"]}
    assert {"psoas_right", "psoas_left", "multifidus_right", "erector_spinae_left"} <= set(by)
    assert by["psoas_right"]["side"] == "right" and by["psoas_right"]["reference"] == "psoas_left"
    assert 0.8 < by["psoas_right"]["t1_sir"] < 1.25
    for m in res["muscles"]:
        assert m["t1_sir"] == pytest.approx(m["stir_sir"], rel=1e-6)
        partner = by[m["name"].replace("right", "@").replace("left", "right").replace("@", "left")]
        if m["reference"] == partner["name"] and partner["reference"] == m["name"]:
            assert m["t1_sir"] * partner["t1_sir"] == pytest.approx(1.0, rel=1e-6)
    assert any("quadratus_lumborum" in n for n in res["notes"])  # not a muscle of the table
    # paraspinal muscles are fattier (brighter) than psoas on this normal real image: any
    # bilateral call resting on ipsilateral ratios must come with a warning and low confidence
    if res["pattern"]["affected"]:
        assert res["pattern"]["confidence"] == "low"
        assert any("ipsilateral" in w or "differ between sides" in w for w in res["warnings"])
