"""Tests for mri_teach.io._volume: load_volume, load_pair, save_volume, header_info."""

from __future__ import annotations

import gzip
import io
import itertools
import os
import warnings
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from _orientation_helpers import store

from mri_teach import orientation as ori
from mri_teach._validation import InputError, MriTeachError
from mri_teach.io import _volume
from mri_teach.io._volume import (
    ImageFileError,
    ImageGeometryError,
    Volume,
    header_info,
    load_pair,
    load_volume,
    save_volume,
)
from mri_teach.orientation import OrientationError

SHAPE_RAS = (9, 8, 6)
VOXEL_MM = (0.9, 1.2, 3.5)
MARKER = (8, 4, 3)  # high i = patient right
CASES = [(p, f) for p in itertools.permutations(range(3))
         for f in itertools.product((1, -1), repeat=3)]


# ---- helpers ---------------------------------------------------------------------------------


def ras_volume(dtype=np.int16):
    data = np.zeros(SHAPE_RAS, dtype)
    data[MARKER] = 100
    data[0, 0, 0] = 7  # left posterior inferior landmark
    data[1, 2, 3] = 3
    affine = np.diag([*VOXEL_MM, 1.0])
    affine[:3, 3] = [-3.6, -4.8, -8.75]
    return data, affine


def write(path, data, affine, *, form="both", descrip=None):
    """Write with nibabel, geometry in the sform, the qform, both or neither."""
    img = nib.Nifti1Image(np.asarray(data), affine)
    img.set_sform(affine if form in ("both", "sform") else None,
                  code=2 if form in ("both", "sform") else 0)
    img.set_qform(affine if form in ("both", "qform") else None,
                  code=1 if form in ("both", "qform") else 0)
    if descrip is not None:
        img.header["descrip"] = descrip
    nib.save(img, path)
    hdr = nib.load(path).header
    assert (int(hdr["sform_code"]) > 0) == (form in ("both", "sform"))
    assert (int(hdr["qform_code"]) > 0) == (form in ("both", "qform"))
    return Path(path)


def patch_header(path, **fields):
    """Change header fields in place, bypassing nibabel's consistency fixes."""
    path = Path(path)
    raw = path.read_bytes()
    gz = raw[:2] == b"\x1f\x8b"
    if gz:
        raw = gzip.decompress(raw)
    hdr = nib.Nifti1Header.from_fileobj(io.BytesIO(raw), check=False)
    for key, value in fields.items():
        if key == "pixdim_xyz":
            pix = hdr["pixdim"].copy()
            pix[1:4] = value
            hdr["pixdim"] = pix
        elif key == "dim":
            dim = hdr["dim"].copy()
            dim[: len(value)] = value
            hdr["dim"] = dim
        else:
            hdr[key] = value
    raw = hdr.binaryblock + raw[348:]
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path


def screen_x(data, plane, index, xy):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.imshow(ori.plane_slice(data, plane, index).T, origin="lower", cmap="gray")
    if ori.screen_x_inverted(plane):
        ax.invert_xaxis()
    fig.canvas.draw()
    return ax.transData.transform(xy)[0], ax.transAxes.transform((0.5, 0.5))[0]


def centroid_x(data, affine, value):
    ijk = np.argwhere(data == value)
    assert len(ijk) > 0, f"label {value} absent"
    return float(ori.voxel_to_world(affine, ijk.mean(axis=0))[0])


def labels_ras(path):
    img = nib.load(path)
    data, affine = ori.to_ras(np.asanyarray(img.dataobj), img.affine)
    return data, affine


# ---- orientation through files: all 48 storage orders ----------------------------------------


@pytest.mark.parametrize(("perm", "flips"), CASES)
def test_all_48_orientations_load_as_ras(tmp_path, perm, flips):
    k = CASES.index((perm, flips))
    data, affine = ras_volume()
    stored, stored_aff, codes = store(data, affine, perm, flips)
    form = ("sform", "qform", "both")[k % 3]
    path = write(tmp_path / ("s.nii.gz" if k % 2 else "s.nii"), stored, stored_aff, form=form)

    vol = load_volume(path)

    assert vol.original_axcodes == codes
    assert vol.geometry_source == ("qform" if form == "qform" else "sform")
    assert vol.shape == SHAPE_RAS
    np.testing.assert_array_equal(vol.data, data.astype(np.float32))
    np.testing.assert_allclose(vol.affine, affine, atol=1e-4)
    assert vol.voxel_size_mm == pytest.approx(VOXEL_MM, abs=1e-5)
    assert ori.axcodes(vol.affine) == ("R", "A", "S")
    ijk = tuple(np.argwhere(vol.data == 100)[0])
    assert ijk == MARKER and ijk[0] == SHAPE_RAS[0] - 1
    assert ori.voxel_to_world(vol.affine, ijk)[0] > 0  # patient right = +x
    # same world position before and after reorientation
    stored_ijk = np.argwhere(stored == 100)[0]
    np.testing.assert_allclose(ori.voxel_to_world(stored_aff, stored_ijk),
                               ori.voxel_to_world(vol.affine, ijk), atol=1e-4)
    # radiological display: patient right on screen left, axial and coronal
    for plane in ("axial", "coronal"):
        sa, xa, ya = ori.plane_axes(plane)
        x, centre = screen_x(vol.data, plane, ijk[sa], (ijk[xa], ijk[ya]))
        assert x < centre, plane


# ---- data types, scaling, dimensions ---------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.uint16, np.int32, np.float32,
                                   np.float64, np.int8])
@pytest.mark.parametrize("suffix", [".nii", ".nii.gz"])
def test_dtypes_load_exactly_as_float32(tmp_path, rng, dtype, suffix):
    info = np.iinfo(dtype) if np.issubdtype(dtype, np.integer) else None
    lo, hi = (0, 200) if info is None else (max(info.min, -(2**24)), min(info.max, 2**24))
    data = rng.integers(lo, hi, size=(5, 4, 3), endpoint=True).astype(dtype)
    data[0, 0, 0], data[1, 0, 0] = lo, hi
    path = write(tmp_path / f"d{suffix}", data, np.eye(4))
    vol = load_volume(path)
    assert vol.data.dtype == np.float32
    np.testing.assert_array_equal(vol.data, data.astype(np.float64))


def test_unset_vox_offset_is_repaired(tmp_path):
    data = np.arange(60, dtype=np.int16).reshape(5, 4, 3)
    path = patch_header(write(tmp_path / "o.nii", data, np.eye(4)), vox_offset=0)
    np.testing.assert_array_equal(load_volume(path).data, data)
    assert any("vox_offset 0" in w for w in header_info(path)["warnings"])


def test_big_endian_file(tmp_path):
    data = np.arange(60, dtype=">i2").reshape(5, 4, 3)
    img = nib.Nifti1Image(data, np.eye(4))
    path = tmp_path / "be.nii"
    nib.save(img, path)
    np.testing.assert_array_equal(load_volume(path).data, data.astype(np.float32))


@pytest.mark.parametrize(("slope", "inter"), [(2.5, -10.0), (0.001, 0.0), (-1.0, 5.0)])
def test_scl_slope_and_inter_are_applied(tmp_path, slope, inter):
    data = np.arange(60, dtype=np.int16).reshape(5, 4, 3) - 20
    path = patch_header(write(tmp_path / "s.nii.gz", data, np.eye(4)),
                        scl_slope=slope, scl_inter=inter)
    vol = load_volume(path)
    np.testing.assert_allclose(vol.data, data * slope + inter, rtol=1e-6, atol=1e-6)
    # agrees with nibabel's own scaling
    np.testing.assert_allclose(vol.data, nib.load(path).get_fdata(), rtol=1e-6, atol=1e-6)


def test_scl_slope_zero_means_unscaled(tmp_path):
    data = np.arange(60, dtype=np.int16).reshape(5, 4, 3)
    path = patch_header(write(tmp_path / "s.nii", data, np.eye(4)), scl_slope=0.0,
                        scl_inter=3.0)
    np.testing.assert_array_equal(load_volume(path).data, data)
    assert any("scl_slope is 0" in w for w in header_info(path)["warnings"])


def test_4d_with_one_volume_is_3d(tmp_path):
    data, affine = ras_volume()
    path = write(tmp_path / "four.nii.gz", data[..., None], affine)
    assert nib.load(path).shape == (*SHAPE_RAS, 1)
    vol = load_volume(path)
    assert vol.shape == SHAPE_RAS
    np.testing.assert_array_equal(vol.data, data)


def test_qform_only_oblique_and_sform_precedence(tmp_path):
    data, _ = ras_volume(np.float32)
    data += 1
    c, s = np.cos(np.radians(12)), np.sin(np.radians(12))
    oblique = np.eye(4)
    oblique[:3, :3] = np.array([[1, 0, 0], [0, c, -s], [0, s, c]]) @ np.diag(VOXEL_MM)
    oblique[:3, 3] = [5, -7, 2]
    vol = load_volume(write(tmp_path / "q.nii.gz", data, oblique, form="qform"))
    assert vol.geometry_source == "qform"
    np.testing.assert_allclose(vol.affine, oblique, atol=1e-4)
    assert ori.obliquity_deg(vol.affine) == pytest.approx(12, abs=1e-3)
    # sform and qform both set and different: sform wins (as nibabel)
    img = nib.Nifti1Image(data, oblique)
    img.set_qform(np.diag([2.0, 2.0, 2.0, 1.0]), code=1)
    img.set_sform(oblique, code=2)
    nib.save(img, tmp_path / "both.nii")
    vol2 = load_volume(tmp_path / "both.nii")
    assert vol2.geometry_source == "sform"
    np.testing.assert_allclose(vol2.affine, oblique, atol=1e-5)
    assert any("qform and sform differ" in w for w in header_info(tmp_path / "both.nii")
               ["warnings"])


def test_no_geometry_warns_side_unknown(tmp_path):
    data, affine = ras_volume(np.float32)
    path = write(tmp_path / "none.nii", data + 1, affine, form="none")
    with pytest.warns(UserWarning, match="left/right is unknown"):
        vol = load_volume(path)
    assert vol.geometry_source == "none"


def test_nifti2_and_extensions(tmp_path):
    data, affine = ras_volume()
    stored, stored_aff, codes = store(data, affine, (1, 0, 2), (-1, 1, -1))
    img = nib.Nifti2Image(stored, stored_aff)
    img.header.extensions.append(nib.nifti1.Nifti1Extension("comment", b"PATIENT^SECRET"))
    path = tmp_path / "two.nii.gz"
    nib.save(img, path)
    vol = load_volume(path)
    assert vol.original_axcodes == codes
    np.testing.assert_array_equal(vol.data, data)
    info = header_info(path, include_text=True)
    assert info["format"] == "NIfTI-2"
    assert "SECRET" not in repr(info)  # extensions are counted, never decoded
    assert info["header_text"]["extensions"].startswith("1 extension")


def test_home_relative_path(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    good_file(tmp_path, "home.nii.gz")
    assert load_volume("~/home.nii.gz").shape == SHAPE_RAS


def test_name_defaults_to_role_never_path(tmp_path):
    data, affine = ras_volume()
    path = write(tmp_path / "DOE^JOHN_19700101_T1.nii.gz", data, affine)
    assert load_volume(path).name == "image"
    vol = load_volume(path, name="T1")
    assert vol.name == "T1"
    assert "DOE" not in repr(vol)
    with pytest.raises(InputError, match="`name` must be a string"):
        load_volume(path, name=3)


def test_nan_and_inf_warn_and_become_missing(tmp_path):
    data = np.arange(60, dtype=np.float32).reshape(5, 4, 3)
    data[1, 1, 1], data[2, 2, 2], data[3, 3, 0] = np.nan, np.inf, -np.inf
    path = write(tmp_path / "nan.nii.gz", data, np.eye(4))
    with pytest.warns(UserWarning, match=r"nan\.nii\.gz: 3 NaN/Inf voxels"):
        vol = load_volume(path)
    assert np.isnan(vol.data[1, 1, 1]) and np.isnan(vol.data[2, 2, 2])
    assert np.isnan(vol.data[3, 3, 0])
    assert int(np.isnan(vol.data).sum()) == 3


def test_float_data_is_not_copied_needlessly(tmp_path):
    data = np.random.default_rng(1).normal(size=(6, 5, 4)).astype(np.float32)
    path = write(tmp_path / "f.nii", data, np.diag([-1.0, 1.0, 1.0, 1.0]))
    vol = load_volume(path)
    np.testing.assert_array_equal(vol.data, data[::-1])
    assert vol.data.flags.writeable


# ---- bad input: one clear ImageFileError naming the file -------------------------------------


def good_file(tmp_path, name="good.nii.gz", **kw):
    data, affine = ras_volume()
    return write(tmp_path / name, data, affine, **kw)


def check_error(path, match, err=ImageFileError, **kw):
    with pytest.raises(err, match=match) as info:
        load_volume(path, **kw)
    assert Path(path).name in str(info.value)
    assert isinstance(info.value, InputError) and isinstance(info.value, ValueError)
    return info.value


def test_missing_file(tmp_path):
    check_error(tmp_path / "nope.nii.gz", "no such file")
    good_file(tmp_path, "scan.nii.gz")
    check_error(tmp_path / "scan.nii", r"did you mean scan\.nii\.gz")
    check_error(tmp_path, "is a directory")


PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("png.nii.gz", PNG, "is a PNG image"),
        ("png.nii", PNG, "is a PNG image"),
        ("text.nii.gz", b"patient,age\nx,1\n" * 40, "is a text file"),
        ("text.nii", b"hello world\n" * 60, "is a text file"),
        ("empty.nii.gz", b"", "is empty"),
        ("zeros.nii", bytes(1000), "not a NIfTI file"),
        ("dicom.nii", bytes(128) + b"DICM" + bytes(400), "DICOM"),
        ("gzpng.nii.gz", gzip.compress(PNG), "is a PNG image"),
    ],
)
def test_not_a_nifti(tmp_path, name, content, match):
    path = tmp_path / name
    path.write_bytes(content)
    check_error(path, match)


def test_compression_does_not_match_name(tmp_path):
    gz = good_file(tmp_path, "a.nii.gz")
    wrong = tmp_path / "b.nii"
    wrong.write_bytes(gz.read_bytes())
    check_error(wrong, r"rename it to end in \.nii\.gz")
    plain = good_file(tmp_path, "c.nii")
    wrong2 = tmp_path / "d.nii.gz"
    wrong2.write_bytes(plain.read_bytes())
    check_error(wrong2, r"uncompressed NIfTI named \.gz")


def test_truncated_gzip(tmp_path):
    rng = np.random.default_rng(0)
    data = rng.normal(size=(30, 30, 30)).astype(np.float32)
    path = write(tmp_path / "t.nii.gz", data, np.eye(4))
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    check_error(path, "truncated or corrupt")
    path.write_bytes(raw[:200])  # even the header is cut
    check_error(path, "corrupt or truncated")


def test_corrupt_gzip(tmp_path):
    rng = np.random.default_rng(0)
    path = write(tmp_path / "c.nii.gz", rng.normal(size=(30, 30, 30)), np.eye(4))
    raw = bytearray(path.read_bytes())
    mid = len(raw) // 2
    raw[mid:mid + 64] = bytes(64)
    path.write_bytes(bytes(raw))
    check_error(path, "truncated or corrupt")


def test_truncated_uncompressed(tmp_path):
    path = good_file(tmp_path, "t.nii")
    raw = path.read_bytes()
    path.write_bytes(raw[: 352 + 40])
    check_error(path, "truncated or corrupt")


def test_too_many_voxels_rejected_before_reading(tmp_path, monkeypatch):
    path = patch_header(good_file(tmp_path, "huge.nii.gz"), dim=[3, 2000, 2000, 2000])

    def boom(*args, **kwargs):
        raise AssertionError("data were read")

    monkeypatch.setattr(nib.arrayproxy.ArrayProxy, "get_unscaled", boom)
    monkeypatch.setattr(nib.arrayproxy.ArrayProxy, "__array__", boom)
    monkeypatch.setattr(_volume, "_read_raw", boom)
    err = check_error(path, "8,000,000,000 voxels")
    assert "512,000,000" in str(err)
    check_error(good_file(tmp_path, "small.nii"), "more than the limit of 100", max_voxels=100)


def test_impossible_dims_and_bad_max_voxels(tmp_path):
    for i, dims in enumerate([[3, 4, -4, 4], [3, 4, 0, 4]]):
        path = patch_header(good_file(tmp_path, f"dims{i}.nii"), dim=dims)
        check_error(path, "dimensions .* are invalid|empty dimension")
    with pytest.raises(InputError, match="`max_voxels` must be a positive integer"):
        load_volume(good_file(tmp_path), max_voxels=0)


def test_2d_image(tmp_path):
    path = tmp_path / "flat.nii.gz"
    nib.save(nib.Nifti1Image(np.ones((10, 10), np.int16), np.eye(4)), path)
    check_error(path, "is a 2D image")


def test_4d_with_several_volumes_says_how_to_pick_one(tmp_path):
    path = tmp_path / "dyn.nii.gz"
    nib.save(nib.Nifti1Image(np.ones((4, 4, 4, 5), np.int16), np.eye(4)), path)
    err = check_error(path, "4D series with 5 volumes")
    assert "fslroi" in str(err) and "slicer" in str(err)
    path5 = tmp_path / "five.nii.gz"
    nib.save(nib.Nifti1Image(np.ones((4, 4, 4, 1, 2), np.int16), np.eye(4)), path5)
    check_error(path5, "5 dimensions")


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan])
def test_bad_voxel_sizes(tmp_path, bad):
    path = patch_header(good_file(tmp_path, "v.nii", form="sform"),
                        pixdim_xyz=[1.0, bad, 1.0])
    err = check_error(path, "voxel sizes .* must be positive and finite", ImageGeometryError)
    assert isinstance(err, OrientationError)


def test_singular_affine(tmp_path):
    data, _ = ras_volume()
    bad = np.diag([1.0, 1.0, 1.0, 1.0])
    bad[:3, 2] = [0, 0, 0]
    img = nib.Nifti1Image(data, np.eye(4))
    img.header.set_sform(bad, code=2)
    img.header.set_qform(np.eye(4), code=1)
    path = tmp_path / "sing.nii"
    nib.Nifti1Image(data, None, header=img.header).to_filename(path)
    patch_header(path, srow_z=[0.0, 0.0, 0.0, 0.0])
    err = check_error(path, "singular", OrientationError)
    assert isinstance(err, ImageFileError)
    assert "fall back" in str(err)  # the qform is there: say so


def test_nan_affine(tmp_path):
    path = patch_header(good_file(tmp_path, "n.nii", form="sform"),
                        srow_x=[np.nan, 0.0, 0.0, 0.0])
    check_error(path, "NaN or infinite", ImageGeometryError)


def test_invalid_scaling(tmp_path):
    path = patch_header(good_file(tmp_path, "s.nii"), scl_slope=2.0, scl_inter=np.nan)
    check_error(path, "invalid intensity scaling")


def test_rgb_rejected(tmp_path):
    rgb = np.zeros((4, 4, 4), dtype=[("R", "u1"), ("G", "u1"), ("B", "u1")])
    path = tmp_path / "rgb.nii"
    nib.save(nib.Nifti1Image(rgb, np.eye(4)), path)
    check_error(path, "grey-scale")


def test_all_nan_and_constant(tmp_path):
    path = write(tmp_path / "allnan.nii", np.full((3, 3, 3), np.nan, np.float32), np.eye(4))
    check_error(path, "every voxel is NaN")
    path = write(tmp_path / "const.nii.gz", np.full((3, 3, 3), 5, np.int16), np.eye(4))
    check_error(path, "constant image")
    path = write(tmp_path / "constnan.nii", np.array([1.0, np.nan, 1.0]).reshape(3, 1, 1)
                 * np.ones((3, 2, 2)), np.eye(4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        check_error(path, "constant image")


def test_path_type_checked():
    with pytest.raises(InputError, match="must be a file path"):
        load_volume(3.5)


# ---- save_volume -----------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".nii", ".nii.gz"])
def test_save_load_round_trip(tmp_path, rng, suffix):
    data = rng.normal(100, 20, size=(7, 6, 5)).astype(np.float32)
    c, s = np.cos(0.2), np.sin(0.2)
    aff = np.array([[0.9 * c, -1.1 * s, 0, -40], [0.9 * s, 1.1 * c, 0, 12],
                    [0, 0, 3.0, -7], [0, 0, 0, 1]])
    out = save_volume(data, aff, tmp_path / f"sub/out{suffix}")
    assert out == tmp_path / f"sub/out{suffix}"
    vol = load_volume(out)
    np.testing.assert_array_equal(vol.data, data)
    np.testing.assert_allclose(vol.affine, aff, atol=1e-5)
    hdr = nib.load(out).header
    assert int(hdr["qform_code"]) == 1 and int(hdr["sform_code"]) == 1
    assert hdr["descrip"].item() == b""
    # a Volume saved again keeps data and geometry (reorientation round trip)
    lps = vol.affine @ np.array([[-1, 0, 0, 6], [0, -1, 0, 5], [0, 0, 1, 0], [0, 0, 0, 1.0]])
    save_volume(vol.data[::-1, ::-1], lps, tmp_path / f"lps{suffix}")
    back = load_volume(tmp_path / f"lps{suffix}")
    assert back.original_axcodes != ("R", "A", "S")
    np.testing.assert_array_equal(back.data, data)
    np.testing.assert_allclose(back.affine, aff, atol=1e-5)


def test_save_with_integer_dtype_scales(tmp_path, rng):
    data = rng.uniform(-3.0, 250.0, size=(6, 6, 6)).astype(np.float32)
    out = save_volume(data, np.eye(4), tmp_path / "i.nii.gz", dtype=np.int16)
    img = nib.load(out)
    assert img.get_data_dtype() == np.int16
    slope = float(img.dataobj.slope)
    np.testing.assert_allclose(load_volume(out).data, data, atol=slope * 0.51 + 1e-6)


def test_save_labels_keep_integers(tmp_path):
    labels = np.zeros((4, 4, 4), np.int64)
    labels[1:3, 1:3, 1:3] = 6131
    out = save_volume(labels, np.eye(4), tmp_path / "lab.nii.gz")
    img = nib.load(out)
    assert img.get_data_dtype() == np.int32
    np.testing.assert_array_equal(np.asanyarray(img.dataobj), labels)
    mask = save_volume(labels > 0, np.eye(4), tmp_path / "mask.nii")
    assert nib.load(mask).get_data_dtype() == np.uint8


def test_save_never_overwrites_unless_asked(tmp_path):
    target = save_volume(np.ones((2, 2, 2)), np.eye(4), tmp_path / "o.nii.gz")
    before = target.read_bytes()
    with pytest.raises(ImageFileError, match=r"o\.nii\.gz: already exists"):
        save_volume(np.zeros((2, 2, 2)), np.eye(4), target)
    assert target.read_bytes() == before
    save_volume(np.full((2, 2, 2), 3.0), np.eye(4), target, overwrite=True)
    assert float(nib.load(target).get_fdata().max()) == 3.0


def test_save_refuses_inputs_even_with_overwrite(tmp_path, monkeypatch):
    src = good_file(tmp_path, "input.nii.gz")
    before = src.read_bytes()
    monkeypatch.chdir(tmp_path)
    for spelling in [src, "input.nii.gz", "./sub/../input.nii.gz", str(src)]:
        with pytest.raises(ImageFileError, match="one of the input files"):
            save_volume(np.ones((2, 2, 2)), np.eye(4), spelling, overwrite=True, inputs=[src])
    if os.name != "nt":  # symlinks need privileges on Windows
        link = tmp_path / "link.nii.gz"
        link.symlink_to(src)
        with pytest.raises(ImageFileError, match="one of the input files"):
            save_volume(np.ones((2, 2, 2)), np.eye(4), link, overwrite=True, inputs=(src,))
        hard = tmp_path / "hard.nii.gz"
        os.link(src, hard)
        with pytest.raises(ImageFileError, match="one of the input files"):
            save_volume(np.ones((2, 2, 2)), np.eye(4), hard, overwrite=True, inputs=(src,))
    with pytest.raises(ImageFileError, match="one of the input files"):
        save_volume(np.ones((2, 2, 2)), np.eye(4), src, overwrite=True, inputs=str(src))
    # a loaded Volume protects its own file
    vol = load_volume(src)
    with pytest.raises(ImageFileError, match="one of the input files"):
        save_volume(vol, None, src, overwrite=True)
    assert src.read_bytes() == before


def test_save_is_atomic_on_failure(tmp_path, monkeypatch):
    target = save_volume(np.ones((3, 3, 3)), np.eye(4), tmp_path / "keep.nii.gz")
    before = target.read_bytes()

    def half_write(img, filename):
        Path(filename).write_bytes(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(_volume.nib, "save", half_write)
    with pytest.raises(OSError, match="disk full"):
        save_volume(np.zeros((3, 3, 3)), np.eye(4), target, overwrite=True)
    with pytest.raises(OSError, match="disk full"):
        save_volume(np.zeros((3, 3, 3)), np.eye(4), tmp_path / "new.nii.gz")
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.nii.gz"]


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_save_output_is_readable_by_others(tmp_path):
    out = save_volume(np.ones((2, 2, 2)), np.eye(4), tmp_path / "perm.nii")
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize(
    ("args", "kwargs", "err", "match"),
    [
        ((np.ones((2, 2, 2)), np.eye(4), "x.png"), {}, ImageFileError, r"\.nii or \.nii\.gz"),
        ((np.ones((2, 2)), np.eye(4), "x.nii"), {}, InputError, "3D array"),
        ((np.ones((2, 2, 2)), np.diag([1.0, 0, 1, 1]), "x.nii"), {}, OrientationError,
         "singular"),
        ((np.ones((2, 2, 2)), None, "x.nii"), {}, InputError, "`affine` is required"),
    ],
)
def test_save_rejects_bad_arguments(tmp_path, args, kwargs, err, match):
    data, affine, name = args
    with pytest.raises(err, match=match):
        save_volume(data, affine, tmp_path / name, **kwargs)
    assert list(tmp_path.iterdir()) == []


# ---- load_pair -------------------------------------------------------------------------------

COEF = np.array([0.5, -0.8, 1.7])


def ramp(shape, affine):
    ijk = np.indices(shape).reshape(3, -1).T
    return (ori.voxel_to_world(affine, ijk) @ COEF + 300.0).reshape(shape).astype(np.float32)


def t1_grid():
    aff = np.diag([1.0, 1.0, 1.0, 1.0])
    aff[:3, 3] = [-10, -9, -8]
    return (20, 18, 16), aff


def strictly_inside(shape, affine, src_shape, src_affine):
    ijk = np.indices(shape).reshape(3, -1).T
    s = ori.world_to_voxel(src_affine, ori.voxel_to_world(affine, ijk))
    return np.all((s >= 0) & (s <= np.array(src_shape) - 1), axis=1).reshape(shape)


def test_pair_same_grid_not_resampled(tmp_path):
    shape, aff = t1_grid()
    t1 = save_volume(ramp(shape, aff), aff, tmp_path / "t1.nii.gz")
    st = save_volume(ramp(shape, aff) * 2, aff, tmp_path / "stir.nii.gz")
    pair = load_pair(t1, st)
    assert (pair.t1.name, pair.stir.name) == ("T1", "STIR")
    assert pair.stir.resampled is False and pair.stir is pair.stir_native
    np.testing.assert_array_equal(pair.stir.data, ramp(shape, aff) * 2)


@pytest.mark.parametrize("kind", ["thick_slices", "oblique", "lps_shifted_fov"])
def test_pair_resamples_stir_into_t1_space(tmp_path, kind):
    shape, aff = t1_grid()
    if kind == "thick_slices":
        st_shape, st_aff = (20, 18, 4), np.diag([1.0, 1.0, 4.0, 1.0])
        st_aff[:3, 3] = [-10, -9, -7]
    elif kind == "oblique":
        c, s = np.cos(np.radians(15)), np.sin(np.radians(15))
        st_shape, st_aff = (16, 16, 6), np.eye(4)
        st_aff[:3, :3] = np.array([[1, 0, 0], [0, c, -s], [0, s, c]]) @ np.diag([1.2, 1.2, 3])
        st_aff[:3, 3] = [-9, -8, -6]
    else:
        st_shape, st_aff = (12, 12, 8), np.diag([-1.5, -1.5, 1.5, 1.0])
        st_aff[:3, 3] = [8, 9, -4]
    t1 = save_volume(ramp(shape, aff), aff, tmp_path / "t1.nii.gz")
    st = save_volume(ramp(st_shape, st_aff), st_aff, tmp_path / "stir.nii.gz")

    pair = load_pair(t1, st)

    assert pair.stir.resampled is True and pair.stir_native.resampled is False
    assert pair.stir.shape == shape == pair.t1.shape
    np.testing.assert_allclose(pair.stir.affine, pair.t1.affine)
    assert pair.stir_native.shape == ori.to_ras(np.zeros(st_shape), st_aff)[0].shape
    inside = strictly_inside(shape, aff, st_shape, st_aff)
    assert inside.sum() > 50
    # trilinear interpolation is exact for a linear function of world position
    np.testing.assert_allclose(pair.stir.data[inside], ramp(shape, aff)[inside],
                               rtol=1e-5, atol=2e-3)
    assert np.isnan(pair.stir.data).any()  # outside the STIR field of view = missing


def test_pair_accepts_volumes_and_nearest(tmp_path):
    shape, aff = t1_grid()
    t1 = Volume(ramp(shape, aff), aff, (1.0, 1.0, 1.0))
    st_aff = np.diag([2.0, 2.0, 2.0, 1.0])
    st_aff[:3, 3] = [-10, -9, -8]
    st = Volume(ramp((10, 9, 8), st_aff), st_aff, (2.0, 2.0, 2.0), name="STIR fu")
    pair = load_pair(t1, st, order=0)
    assert pair.t1.name == "T1" and pair.stir.name == "STIR fu"
    vals = set(np.unique(pair.stir.data[np.isfinite(pair.stir.data)]).tolist())
    assert vals <= set(np.unique(st.data).tolist())


@pytest.mark.parametrize("order", [-1, 6, 1.5, True, "linear"])
def test_pair_rejects_bad_order(order):
    vol = Volume(np.ones((3, 3, 3), np.float32), np.eye(4), (1.0, 1.0, 1.0))
    with pytest.raises(InputError, match="`order` must be an integer 0..5"):
        load_pair(vol, vol, order=order)


def test_pair_without_overlap(tmp_path):
    shape, aff = t1_grid()
    far = aff.copy()
    far[:3, 3] += [500, 0, 0]
    t1 = save_volume(ramp(shape, aff), aff, tmp_path / "t1.nii.gz")
    st = save_volume(ramp(shape, far), far, tmp_path / "stir.nii.gz")
    with pytest.raises(ImageFileError, match="do not overlap") as info:
        load_pair(t1, st)
    assert "stir.nii.gz" in str(info.value)


def test_pair_bad_file_names_it(tmp_path):
    shape, aff = t1_grid()
    t1 = save_volume(ramp(shape, aff), aff, tmp_path / "t1.nii.gz")
    (tmp_path / "stir.nii.gz").write_bytes(PNG)
    with pytest.raises(ImageFileError, match=r"stir\.nii\.gz: is a PNG"):
        load_pair(t1, tmp_path / "stir.nii.gz")


# ---- header_info -----------------------------------------------------------------------------


def test_header_info_fields_and_privacy(tmp_path):
    data, affine = ras_volume()
    stored, stored_aff, codes = store(data, affine, (0, 1, 2), (-1, -1, 1))
    path = write(tmp_path / "i.nii.gz", stored, stored_aff, descrip="PATIENT^SECRET")
    info = header_info(path)
    assert info["axcodes"] == "".join(codes) == "LPS"
    assert info["shape"] == SHAPE_RAS and info["dtype"] == "int16"
    assert (info["min"], info["max"]) == (0.0, 100.0)
    assert info["geometry_source"] == "sform"
    assert any("stored as LPS" in w for w in info["warnings"])
    assert any("anisotropic" in w for w in info["warnings"])
    assert "PATIENT" not in repr(info)
    assert any("free text present" in w for w in info["warnings"])
    full = header_info(path, include_text=True)
    assert full["header_text"]["descrip"] == "PATIENT^SECRET"


def test_header_info_reports_empty_mask_instead_of_failing(tmp_path):
    path = write(tmp_path / "empty.nii.gz", np.zeros((3, 3, 3), np.uint8), np.eye(4))
    info = header_info(path)
    assert any("constant image" in w for w in info["warnings"])
    with pytest.raises(ImageFileError):
        header_info(tmp_path / "missing.nii")


def test_errors_are_mriteach_errors():
    assert issubclass(ImageFileError, MriTeachError)
    assert issubclass(ImageGeometryError, ImageFileError)
    assert issubclass(ImageGeometryError, OrientationError)


# ---- real files ------------------------------------------------------------------------------

REAL = [
    # path, shape, stored codes, geometry source, voxel size
    ("totalsegmentator/example_ct.nii.gz", (122, 101, 112), "RAS", "sform", (3.0, 3.0, 3.0)),
    ("totalsegmentator/example_mr_sm.nii.gz", (117, 91, 20), "LPS", "sform", (3.0, 3.0, 3.0)),
    ("musclemap/dataset/source_data/sub_0001/ses-abdomen/anat/image.nii.gz", (256, 208, 20),
     "LPS", "qform", (0.9375, 0.9375, 4.4)),
]


@pytest.mark.realdata
@pytest.mark.parametrize(("rel", "shape", "codes", "source", "zooms"), REAL)
def test_real_files_load(real_data, rel, shape, codes, source, zooms):
    path = real_data / rel
    vol = load_volume(path, name="T1")
    assert "".join(vol.original_axcodes) == codes
    assert vol.geometry_source == source
    assert vol.voxel_size_mm == pytest.approx(zooms, abs=1e-4)
    # shapes in SOURCES.md are stored shapes; these files need flips only
    assert vol.shape == shape
    assert ori.axcodes(vol.affine) == ("R", "A", "S")
    img = nib.load(path)
    # the same world point holds the same value after reorientation
    stored = np.asanyarray(img.dataobj)
    ijk = np.array(shape) // 3
    xyz = ori.voxel_to_world(img.affine, ijk)
    ras_ijk = np.rint(ori.world_to_voxel(vol.affine, xyz)).astype(int)
    assert vol.data[tuple(ras_ijk)] == pytest.approx(float(stored[tuple(ijk)]))
    info = header_info(path)
    assert info["axcodes"] == codes and info["geometry_source"] == source
    assert info["shape"] == shape


@pytest.mark.realdata
def test_real_oblique_qform_and_label_grid(real_data):
    image = real_data / "musclemap/dataset/source_data/sub_0001/ses-abdomen/anat/image.nii.gz"
    labels = real_data / "musclemap/scripts/image.nii.gz"
    info = header_info(image)
    assert info["qform_code"] > 0 and info["sform_code"] == 0
    assert info["oblique_deg"] > 1
    assert any(w.startswith("oblique") for w in info["warnings"])
    lab_info = header_info(labels)
    assert lab_info["sform_code"] > 0 and lab_info["qform_code"] == 0
    vol = load_volume(image)
    lab_data, lab_aff = labels_ras(labels)
    assert lab_data.shape == vol.shape
    np.testing.assert_allclose(lab_aff, vol.affine, atol=1e-3)


@pytest.mark.realdata
def test_real_totalsegmentator_sides(real_data):
    data, aff = labels_ras(real_data / "totalsegmentator/example_seg_fast_force_split.nii.gz")
    ct = load_volume(real_data / "totalsegmentator/example_ct.nii.gz")
    np.testing.assert_allclose(aff, ct.affine)
    assert centroid_x(data, aff, 82) < 0  # gluteus_medius_left
    assert centroid_x(data, aff, 83) > 0  # gluteus_medius_right
    assert centroid_x(data, aff, 84) < 0 < centroid_x(data, aff, 85)  # gluteus_minimus L/R
    # and in array terms: right-sided label at higher i
    assert np.argwhere(data == 83)[:, 0].mean() > np.argwhere(data == 82)[:, 0].mean()


@pytest.mark.realdata
def test_real_musclemap_sides(real_data):
    data, aff = labels_ras(real_data / "musclemap/scripts/image.nii.gz")
    assert ori.axcodes(aff) == ("R", "A", "S")
    assert centroid_x(data, aff, 1) > 0  # multifidus right
    assert centroid_x(data, aff, 2) < 0  # multifidus left
    for right, left in [(3, 4), (5, 6), (7, 8)]:  # erector spinae, psoas, quadratus lumborum
        assert centroid_x(data, aff, right) > centroid_x(data, aff, left)


@pytest.mark.realdata
def test_real_musclemap_tfl_sides(real_data):
    data, aff = labels_ras(real_data / "musclemap/images/test_dseg.nii.gz")
    # SOURCES.md / MuscleMap README: tensor fasciae latae L/R = 6131/6132
    assert centroid_x(data, aff, 6131) < 0 < centroid_x(data, aff, 6132)
    assert centroid_x(data, aff, 6111) < 0 < centroid_x(data, aff, 6112)  # gluteus medius


@pytest.mark.realdata
def test_real_pair_same_affine_different_shape(real_data):
    # SOURCES.md gotcha: example_ct_sm has example_ct's affine but only 30 slices
    ct = real_data / "totalsegmentator/example_ct.nii.gz"
    ct_sm = real_data / "totalsegmentator/example_ct_sm.nii.gz"
    pair = load_pair(ct, ct_sm)
    assert pair.stir.resampled and pair.stir.shape == (122, 101, 112)
    assert pair.stir_native.shape == (122, 101, 30)
    np.testing.assert_array_equal(pair.stir.data[:, :, :30], pair.stir_native.data)
    assert np.all(np.isnan(pair.stir.data[:, :, 31:]))
    same = load_pair(ct_sm, ct_sm)
    assert not same.stir.resampled
