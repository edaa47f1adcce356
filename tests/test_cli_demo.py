"""Tests for ``mri-teach demo``: the motivating case end to end."""

from __future__ import annotations

import sys

import pytest
from conftest import need

from mri_teach import datasets
from mri_teach._optional import have
from mri_teach.cli import _demo, main


@pytest.fixture(scope="module")
def sample_cache(tmp_path_factory):
    """A private sample cache ($MRI_TEACH_CACHE), filled once for the module."""
    need(have("mri_teach.phantom"), "mri_teach.phantom is not available")
    cache = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MRI_TEACH_CACHE", str(cache))
        datasets.load_sample(_demo.SAMPLE)
        yield cache


@pytest.fixture
def demo_dir(tmp_path, sample_cache):
    return tmp_path / "demo"


def test_demo_writes_everything_and_says_where(demo_dir, capsys):
    assert main(["demo", "--out", str(demo_dir)]) == 0
    out = capsys.readouterr().out
    assert "right gluteus medius" in out and "stage:" in out and "nerve pattern:" in out
    assert "answer key: right superior gluteal nerve" in out
    assert "jupyter lab notebooks/01_tour.ipynb" in out
    for name in ("case_panel", "sir_chart", "timeline", "gallery", "innervation"):
        assert (demo_dir / "figures" / f"{name}.png").is_file(), name
        assert f"figures/{name}.png" in out
    assert (demo_dir / "report.md").is_file() and (demo_dir / "report.html").is_file()
    if have("pptx"):
        assert (demo_dir / "deck.pptx").is_file()
    # the subacute STIR rise of the motivating case shows in the table
    row = next(line for line in out.splitlines() if line.startswith("right gluteus medius"))
    assert row.split()[-1] == "subacute"
    assert "stage: subacute" in out
    assert "nerve pattern: right superior gluteal nerve" in out
    # the clinical story of the motivating case reaches the report
    assert "47-year-old woman" in (demo_dir / "report.md").read_text(encoding="utf-8")
    # a second run refreshes its own folder
    assert main(["demo", "--out", str(demo_dir), "--no-deck"]) == 0
    assert "deck skipped (--no-deck)" in capsys.readouterr().out


def test_demo_without_pptx_skips_the_deck(demo_dir, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "pptx", None)  # `import pptx` now raises ImportError
    assert main(["demo", "--out", str(demo_dir)]) == 0
    out = capsys.readouterr().out
    assert "deck skipped: python-pptx is not installed" in out
    assert not (demo_dir / "deck.pptx").exists()
    assert (demo_dir / "report.html").is_file()


def test_demo_refuses_a_foreign_folder(tmp_path, capsys):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.docx").write_text("precious")
    assert main(["demo", "--out", str(foreign)]) == 2
    assert "not made by `mri-teach demo`" in capsys.readouterr().err
    assert (foreign / "thesis.docx").read_text() == "precious"
    assert sorted(p.name for p in foreign.iterdir()) == ["thesis.docx"]
    afile = tmp_path / "file"
    afile.write_text("x")
    assert main(["demo", "--out", str(afile)]) == 2
