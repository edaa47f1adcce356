import json

import nibabel as nib
import numpy as np
import pytest

from mri_teach import io
from mri_teach.anatomy import parse_name


def _centroid_world(lm, value):
    ijk = np.argwhere(lm.data == value).mean(axis=0)
    return (lm.affine @ [*ijk, 1.0])[:3]


def test_json_round_trip_and_sidecar(tmp_path):
    data = np.zeros((4, 3, 2), np.int32)
    data[0, :, 0] = 1
    data[3, :, 1] = 2
    table = {1: "gluteus_medius_right", 2: "gluteus_medius_left"}
    p = io.save_labels(data, np.diag([2.0, 2.0, 3.0, 1.0]), table, tmp_path / "labels.nii.gz")
    assert (tmp_path / "labels.json").is_file()
    lm = io.load_labels(p)
    assert lm.table == table and lm.table_source == "json"
    np.testing.assert_array_equal(lm.data, data)
    assert lm.voxel_size_mm == (2.0, 2.0, 3.0)
    with pytest.raises(io.LabelFileError, match="already exists"):
        io.save_labels(data, np.eye(4), table, p)


def test_reoriented_to_ras_without_interpolation(tmp_path):
    data = np.zeros((4, 3, 2), np.int16)
    data[0, 0, 0] = 5  # voxel at the LPS origin corner
    aff = np.diag([-2.0, -2.0, 3.0, 1.0])  # LPS storage
    nib.save(nib.Nifti1Image(data, aff), tmp_path / "lps.nii.gz")
    (tmp_path / "lps.json").write_text(json.dumps({"5": "gluteus_maximus_left"}))
    lm = io.load_labels(tmp_path / "lps.nii.gz")
    assert lm.original_axcodes == ("L", "P", "S")
    assert nib.aff2axcodes(lm.affine) == ("R", "A", "S")
    # the world position of the labelled voxel is unchanged
    np.testing.assert_allclose(_centroid_world(lm, 5), [0.0, 0.0, 0.0])
    assert lm.data[3, 2, 0] == 5


def test_itksnap_round_trip(tmp_path):
    table = {1: "gluteus_medius_right", 7: "tensor_fasciae_latae_left", 12: "bladder"}
    p = io.write_itksnap_labels(table, tmp_path / "snap.txt")
    assert io.read_itksnap_labels(p) == table
    assert io.read_label_table(p) == table
    data = np.zeros((2, 2, 2), np.int32)
    data[1, 1, 1] = 7
    nib.save(nib.Nifti1Image(data, np.eye(4)), tmp_path / "seg.nii.gz")
    lm = io.load_labels(tmp_path / "seg.nii.gz", table=p)
    assert lm.table == table and lm.table_source == "itksnap"


def test_bad_tables_and_files(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"one": "x"}')
    with pytest.raises(io.LabelFileError, match="not an integer"):
        io.read_label_table(bad)
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(io.LabelFileError, match="not valid JSON"):
        io.read_label_table(tmp_path / "broken.json")
    (tmp_path / "x.txt").write_text("nonsense line\n")
    with pytest.raises(io.LabelFileError, match="ITK-SNAP"):
        io.read_label_table(tmp_path / "x.txt")
    img = nib.Nifti1Image(np.full((2, 2, 2), 0.5, np.float32), np.eye(4))
    nib.save(img, tmp_path / "t1.nii.gz")
    with pytest.raises(io.LabelFileError, match="whole numbers"):
        io.load_labels(tmp_path / "t1.nii.gz", table={1: "a"})
    nib.save(nib.Nifti1Image(np.ones((2, 2, 2), np.int16), np.eye(4)), tmp_path / "n.nii.gz")
    with pytest.raises(io.LabelFileError, match="no label names"):
        io.load_labels(tmp_path / "n.nii.gz")
    with pytest.raises(io.LabelFileError, match="no such file"):
        io.load_labels(tmp_path / "missing.nii.gz", table={1: "a"})
    (tmp_path / "garbage.nii.gz").write_bytes(b"not a nifti")
    with pytest.raises(io.LabelFileError, match="cannot be read"):
        io.load_labels(tmp_path / "garbage.nii.gz", table={1: "a"})


def test_totalsegmentator_ct_sides_and_volume(real_data):
    lm = io.load_labels(real_data / "totalsegmentator" / "example_seg_fast_force_split.nii.gz")
    assert lm.table_source == "nifti-extension"
    gmed_l, gmed_r = lm.value_of("gluteus_medius_left"), lm.value_of("gluteus_medius_right")
    assert (gmed_l, gmed_r) == (82, 83)
    assert _centroid_world(lm, gmed_l)[0] < 0 < _centroid_world(lm, gmed_r)[0]
    n = int((lm.data == gmed_l).sum())
    assert 8000 < n < 9800
    vox_ml = np.prod(lm.voxel_size_mm) / 1000
    assert vox_ml == pytest.approx(0.027)
    assert 200 < n * vox_ml < 270  # ~8.9k voxels x 27 mm^3
    # the built-in table agrees with the header extension
    for value, name in io.TOTALSEG_TOTAL.items():
        assert lm.table[value] == name
    ts = io.load_totalsegmentator(
        real_data / "totalsegmentator" / "example_seg_fast_force_split.nii.gz")
    assert ts.table[84] == "gluteus_minimus_left"


def test_totalsegmentator_mr_table_matches_extension(real_data):
    lm = io.load_labels(real_data / "totalsegmentator" / "example_seg_mr.nii.gz")
    for value, name in io.TOTALSEG_TOTAL_MR.items():
        assert lm.table[value] == name
    assert lm.original_axcodes == ("L", "P", "S")
    # iliopsoas_left lies on patient left after reorientation
    assert _centroid_world(lm, 48)[0] < 0 < _centroid_world(lm, 49)[0]


def test_totalsegmentator_folder(real_data):
    lm = io.load_labels(real_data / "totalsegmentator" / "example_seg_fast")
    assert lm.table_source == "folder"
    names = set(lm.table.values())
    assert {"gluteus_medius_left", "iliopsoas_right"} <= names
    counts = {lm.table[v]: int((lm.data == v).sum()) for v in lm.table}
    assert counts["iliopsoas_left"] == 471 and counts["iliopsoas_right"] == 402
    assert counts["gluteus_medius_left"] == 0  # empty masks are kept
    v = lm.value_of("iliopsoas_left")
    assert _centroid_world(lm, v)[0] < 0


def test_musclemap_ids_and_sides(real_data):
    lm = io.load_labels(real_data / "musclemap" / "images" / "test_dseg.nii.gz")
    assert lm.table_source == "musclemap"
    for value in (6111, 6112, 6131, 6132):
        structure, side = parse_name(lm.table[value])
        x = _centroid_world(lm, value)[0]
        assert (x < 0) == (side == "left"), (value, side, x)
    assert parse_name(lm.table[6131]) == ("tensor_fasciae_latae", "left")
    assert 5121 in lm.unnamed_values()


def test_musclemap_abdomen_parity_is_opposite(real_data):
    lm = io.load_labels(real_data / "musclemap" / "scripts" / "image.nii.gz",
                        table="musclemap_abdomen")
    # right is odd here, left is odd in the whole-body model: sides must come from the table
    assert _centroid_world(lm, 1)[0] > 0 and lm.table[1] == "multifidus_right"
    assert _centroid_world(lm, 2)[0] < 0


def test_named_table_keys_and_name_value_form(tmp_path):
    p = tmp_path / "t.json"
    p.write_text(json.dumps({"gluteus_medius_left": 3}))
    assert io.read_label_table(p) == {3: "gluteus_medius_left"}
    p.write_text(json.dumps([{"value": 4, "name": "sacrum"}]))
    assert io.read_label_table(p) == {4: "sacrum"}
