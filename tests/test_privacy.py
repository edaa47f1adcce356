"""Privacy: NIfTI header free text and input paths never reach a figure, report or deck.

Plants ``PATIENT^SECRET`` in ``descrip``, ``aux_file``, ``db_name``, ``intent_name`` and a
header extension of every input image, puts the case in a folder whose path contains
``SECRETDIR``, runs ``report`` (PNG, SVG, PDF, Markdown, HTML) and ``slides``, and searches
every output, decoded (PNG text chunks, compressed PDF streams, the XML and pictures inside
the .pptx, the pictures embedded in the HTML) and the printed CLI output.
"""

from __future__ import annotations

import base64
import re
import struct
import zipfile
import zlib
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from conftest import need
from test_report import write_toy_case

from mri_teach import report
from mri_teach._optional import have
from mri_teach.cli import main

SECRETS = (b"PATIENT^SECRET", b"SECRET")
FIELDS = ("descrip", "aux_file", "db_name", "intent_name")


def plant(path: Path) -> None:
    img = nib.load(path)
    data = np.asanyarray(img.dataobj)
    new = nib.Nifti1Image(data, img.affine, img.header)
    for field in FIELDS:
        new.header[field] = b"PATIENT^SECRET"
    new.header.extensions.append(nib.nifti1.Nifti1Extension(6, b"PATIENT^SECRET comment"))
    nib.save(new, path)
    check = nib.load(path)
    assert bytes(check.header["descrip"]).startswith(b"PATIENT^SECRET")
    assert len(check.header.extensions) == 1


def png_texts(data: bytes) -> list[bytes]:
    """The raw bytes plus every decoded text chunk of a PNG."""
    out = [data]
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return out
    pos = 8
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"tEXt":
            out.append(body)
        elif kind == b"zTXt":
            key, _, rest = body.partition(b"\x00")
            out += [key, zlib.decompress(rest[1:])]
        elif kind == b"iTXt":
            key, _, rest = body.partition(b"\x00")
            flag = rest[0]
            text = rest[2:].split(b"\x00", 2)[-1]
            out += [key, zlib.decompress(text) if flag else text]
        pos += 12 + length
    return out


def pdf_texts(data: bytes) -> list[bytes]:
    out = [data]
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            out.append(zlib.decompress(m.group(1)))
        except zlib.error:
            pass
    return out


def all_texts(path: Path) -> list[bytes]:
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".png":
        return png_texts(data)
    if suffix == ".pdf":
        return pdf_texts(data)
    if suffix == ".pptx":
        out = []
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                member = z.read(name)
                out.append(name.encode())
                out += png_texts(member) if name.endswith(".png") else [member]
        return out
    if suffix == ".html":
        out = [data]
        for b64 in re.findall(rb"data:image/png;base64,([A-Za-z0-9+/=]+)", data):
            out += png_texts(base64.b64decode(b64))
        return out
    return [data]


def assert_clean(blobs, where):
    for blob in blobs:
        for secret in SECRETS:
            assert secret not in blob, f"{secret!r} leaked into {where}"


@pytest.fixture
def secret_case(tmp_path):
    folder = write_toy_case(tmp_path / "SECRETDIR_patient" / "case")
    for name in ("t1", "stir", "labels"):
        plant(folder / f"{name}.nii.gz")
    return folder


def test_report_outputs_never_contain_header_text_or_paths(secret_case, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["report", str(secret_case), "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert_clean([printed.out.encode(), printed.err.encode()], "printed output")
    files = sorted(p for p in out.rglob("*") if p.is_file())
    suffixes = {p.suffix for p in files}
    assert {".png", ".svg", ".pdf", ".md", ".html"} <= suffixes
    for p in files:
        assert_clean(all_texts(p), p.name)
    # the decoder would have found a secret that was there (guards the test itself)
    marker = tmp_path / "probe.png"
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    fig.savefig(marker, metadata={"Title": "PATIENT^SECRET"})
    assert any(b"PATIENT^SECRET" in t for t in all_texts(marker))


def test_deck_never_contains_header_text_or_paths(secret_case, tmp_path, capsys):
    need(have("pptx"), "python-pptx is not installed")
    deck = tmp_path / "deck.pptx"
    assert main(["slides", str(secret_case), "--out", str(deck)]) == 0
    printed = capsys.readouterr()
    assert_clean([printed.out.encode(), printed.err.encode()], "printed output")
    texts = all_texts(deck)
    assert any(b"Findings" in t for t in texts)  # the XML was really searched
    assert_clean(texts, "deck.pptx")


def test_paths_appear_only_with_show_paths(secret_case, tmp_path):
    out = tmp_path / "out"
    assert main(["report", str(secret_case), "--out", str(out), "--formats", "png",
                 "--show-paths"]) == 0
    md = (out / "report.md").read_text()
    assert "SECRETDIR" in md  # asked for: shown
    assert "PATIENT^SECRET" not in md  # header text never


def test_anonymized_copy_is_clean_and_input_untouched(secret_case, tmp_path, capsys):
    src = secret_case / "t1.nii.gz"
    before = src.read_bytes()
    dst = tmp_path / "anon.nii.gz"
    assert main(["anonymize", str(src), str(dst)]) == 0
    capsys.readouterr()
    assert src.read_bytes() == before
    import gzip

    assert_clean([gzip.decompress(dst.read_bytes())], "anonymized copy")
    assert b"PATIENT^SECRET" in gzip.decompress(before)
    assert report.load_case_inputs is not None
