"""Tests for ``mri-teach info`` (mri_teach/cli/_info.py), called as ``main([...])``."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np
import pytest

from mri_teach.cli import main

LPS = np.diag([-0.9, -0.9, 4.0, 1.0])


def write(path, data, affine, *, descrip=None, form="sform"):
    img = nib.Nifti1Image(data, affine)
    if form == "qform":
        img.set_sform(None, code=0)
        img.set_qform(affine, code=1)
    if descrip:
        img.header["descrip"] = descrip
    nib.save(img, path)
    return path


def image(rng, dtype=np.int16):
    return rng.integers(0, 900, size=(12, 10, 5)).astype(dtype)


def run(capsys, *argv):
    code = main(["info", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_info_prints_lps_and_fields(tmp_path, rng, capsys):
    data = image(rng)
    path = write(tmp_path / "t1.nii.gz", data, LPS)
    code, out, err = run(capsys, path)
    assert code == 0 and err == ""
    assert "orientation  LPS (stored)" in out
    assert "12 x 10 x 5 voxels" in out
    assert "0.9 x 0.9 x 4 mm" in out
    assert "int16" in out
    assert f"{data.min()} .. {data.max()}" in out
    assert "sform used" in out
    assert "stored as LPS" in out and "anisotropic" in out
    # LPS diag(-0.9, -0.9, 4): voxel 0 at x = 0, 12 voxels towards patient left
    assert "extent       x -10..0, y -9..0, z -2..18 mm" in out


def test_info_warns_oblique_and_nan(tmp_path, rng, capsys):
    c, s = np.cos(np.radians(9)), np.sin(np.radians(9))
    oblique = np.eye(4)
    oblique[:3, :3] = np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
    data = image(rng).astype(np.float32)
    data[3, 3, 3] = np.nan
    data[4, 4, 4] = np.inf
    path = write(tmp_path / "obl.nii", data, oblique, form="qform")
    code, out, _ = run(capsys, path)
    assert code == 0
    assert "qform used" in out
    assert "oblique: voxel axes up to 9.0 deg" in out
    assert "2 NaN/Inf voxels" in out


def test_info_unusual_scaling(tmp_path, rng, capsys):
    path = tmp_path / "scaled.nii"
    write(path, image(rng), np.eye(4))
    raw = bytearray(path.read_bytes())
    raw[112:116] = np.float32(1e6).tobytes()  # scl_slope
    path.write_bytes(bytes(raw))
    code, out, _ = run(capsys, path)
    assert code == 0
    assert "unusual intensity scaling" in out and "value = stored x 1e+06" in out


@pytest.mark.parametrize("content", [b"\x89PNG\r\n\x1a\n" + bytes(600), b"not an image\n" * 50])
def test_info_bad_file_one_line_exit_2(tmp_path, capsys, content):
    bad = tmp_path / "bad.nii.gz"
    bad.write_bytes(content)
    code, out, err = run(capsys, bad)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("mri-teach: error: ") and "bad.nii.gz" in lines[0]
    assert "Traceback" not in err


def test_info_several_files_reports_good_and_bad(tmp_path, rng, capsys):
    good1 = write(tmp_path / "a.nii.gz", image(rng), LPS)
    good2 = write(tmp_path / "b.nii.gz", image(rng), np.eye(4))
    missing = tmp_path / "missing.nii.gz"
    code, out, err = run(capsys, good1, missing, good2)
    assert code == 2
    assert str(good1) in out and str(good2) in out
    assert "LPS (stored)" in out and "RAS (stored)" in out
    assert err.count("mri-teach: error:") == 1 and "missing.nii.gz: no such file" in err
    assert "Traceback" not in err


def test_info_4d_error_says_how_to_pick(tmp_path, capsys):
    path = tmp_path / "dyn.nii.gz"
    nib.save(nib.Nifti1Image(np.ones((4, 4, 4, 3), np.int16), np.eye(4)), path)
    code, _, err = run(capsys, path)
    assert code == 2 and "3 volumes" in err and "fslroi" in err


def test_header_text_never_printed_unless_asked(tmp_path, rng, capsys):
    path = write(tmp_path / "p.nii.gz", image(rng), LPS, descrip="PATIENT^SECRET")
    code, out, err = run(capsys, path)
    assert code == 0
    assert "SECRET" not in out + err and "PATIENT" not in out + err
    assert "--show-header-text" in out  # says there is something not shown
    code, out, err = run(capsys, "--json", path)
    assert code == 0 and "SECRET" not in out + err
    code, out, _ = run(capsys, "--show-header-text", path)
    assert code == 0 and "PATIENT^SECRET" in out


def test_header_extension_text_never_printed(tmp_path, rng, capsys):
    img = nib.Nifti1Image(image(rng), LPS)
    img.header.extensions.append(nib.nifti1.Nifti1Extension("comment", b"PATIENT^SECRET"))
    img.header["aux_file"] = b"DOE^JANE"
    path = tmp_path / "ext.nii.gz"
    nib.save(img, path)
    code, out, err = run(capsys, path)
    assert code == 0 and "SECRET" not in out + err and "DOE" not in out + err
    code, out, err = run(capsys, "--show-header-text", path)
    assert "SECRET" not in out + err  # extensions are never decoded
    assert "DOE^JANE" in out and "1 extension(s)" in out


def test_info_json(tmp_path, rng, capsys):
    data = image(rng)
    path = write(tmp_path / "j.nii.gz", data, LPS)
    code, out, _ = run(capsys, "--json", path)
    assert code == 0
    info = json.loads(out)
    assert info["axcodes"] == "LPS" and info["shape"] == [12, 10, 5]
    assert info["max"] == float(data.max())


def test_info_needs_a_file(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["info"])
    assert exc.value.code == 2
    assert "mri-teach info: error:" in capsys.readouterr().err


@pytest.mark.realdata
def test_info_real_oblique_lps(real_data, capsys):
    path = real_data / "musclemap/dataset/source_data/sub_0001/ses-abdomen/anat/image.nii.gz"
    code, out, _ = run(capsys, path)
    assert code == 0
    assert "LPS (stored)" in out and "256 x 208 x 20" in out
    assert "qform used" in out and "oblique" in out
    assert "0 .. 1087" in out
