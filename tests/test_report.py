"""Tests for mri_teach.report: export, case loading, Markdown/HTML report, deck, anonymize."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import nibabel as nib
import numpy as np
import pytest
from conftest import need
from test_viz import AFFECTED, toy_analysis, toy_case

from mri_teach import anatomy, report
from mri_teach._optional import have
from mri_teach._validation import InputError
from mri_teach.cli import main

AFFINE = np.diag([3.0, 3.0, 5.0, 1.0])


def write_toy_case(folder: Path, *, truth: dict | None = None, nested=True) -> Path:
    t1, stir, lab, table = toy_case()
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in (("t1", t1), ("stir", stir), ("labels", lab)):
        nib.save(nib.Nifti1Image(data, AFFINE), folder / f"{name}.nii.gz")
    (folder / "labels.json").write_text(json.dumps({str(k): v for k, v in table.items()}))
    if truth is not None:
        payload = {"mri_teach_version": "test", "truth": truth} if nested else truth
        (folder / "truth.json").write_text(json.dumps(payload))
    return folder


def toy_truth():
    muscles = {f"{m}_{s}": {"ff": 0.09} for m in anatomy.MUSCLE_NAMES for s in anatomy.SIDES}
    muscles["gluteus_medius_right"]["ff"] = 0.35
    muscles["gluteus_minimus_right"]["ff"] = 0.52
    muscles["tensor_fasciae_latae_right"]["ff"] = 0.2
    return {"cause": "superior_gluteal", "side": "right", "days": 90.0,
            "time_stage": "subacute", "affected": AFFECTED, "muscles": muscles,
            "vignette": "47-year-old woman with 3 months of right buttock pain."}


@pytest.fixture
def case_dir(tmp_path):
    return write_toy_case(tmp_path / "case")


@pytest.fixture
def inputs(case_dir):
    return report.load_case_inputs(case_dir)


# --- export ---------------------------------------------------------------------------------


def test_save_figure_writes_three_formats_atomically(tmp_path):
    from PIL import Image

    fig, ax = plt.subplots(figsize=(4, 2.25))
    ax.plot([0, 1], [0, 1])
    paths = report.save_figure(fig, tmp_path / "sub" / "fig.png", dpi=100)
    assert [p.name for p in paths] == ["fig.png", "fig.svg", "fig.pdf"]
    with Image.open(paths[0]) as im:
        assert im.info["dpi"][0] == pytest.approx(300, abs=1)  # raised to >= 300
        assert im.size == (1200, 675)
    assert paths[1].read_text().lstrip().startswith("<?xml")
    assert paths[2].read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["fig.pdf", "fig.png",
                                                                     "fig.svg"]
    with pytest.raises(InputError, match="already exists"):
        report.save_figure(fig, tmp_path / "sub" / "fig", formats=("png",), overwrite=False)
    with pytest.raises(InputError, match="formats"):
        report.save_figure(fig, tmp_path / "x", formats=("jpg",))


def test_save_figure_leaves_nothing_on_failure(tmp_path, monkeypatch):
    fig, _ = plt.subplots()

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(fig, "savefig", boom)
    with pytest.raises(RuntimeError):
        report.save_figure(fig, tmp_path / "f", formats=("svg",))
    assert list(tmp_path.iterdir()) == []


# --- fat grades -------------------------------------------------------------------------------


def test_fat_grades_follow_the_scale_definitions():
    grid = np.linspace(0, 1, 101)
    order_g = ["0", "1", "2", "3", "4"]
    order_m = ["0", "1", "2a", "2b", "3", "4"]
    g = [order_g.index(report.fat_grades(f)["goutallier"]) for f in grid]
    m = [order_m.index(report.fat_grades(f)["mercuri_modified"]) for f in grid]
    assert g == sorted(g) and m == sorted(m)  # monotone in fat fraction
    assert report.fat_grades(0.09) == {"goutallier": "0", "mercuri_modified": "0"}
    assert report.fat_grades(0.5)["goutallier"] == "3"  # fat = muscle (domain.md 2.4)
    assert report.fat_grades(0.4)["goutallier"] == "2"  # fat < muscle
    assert report.fat_grades(0.7)["goutallier"] == "4"  # fat > muscle
    assert report.fat_grades(0.29)["mercuri_modified"] == "2a"  # < 30 %
    assert report.fat_grades(0.45)["mercuri_modified"] == "2b"  # 30-60 %
    with pytest.raises(InputError):
        report.fat_grades(1.5)


# --- inputs ----------------------------------------------------------------------------------


def test_load_case_inputs_keeps_muscles_and_hides_paths(case_dir):
    inp = report.load_case_inputs(case_dir)
    assert inp.t1.name == "T1" and inp.stir.name == "STIR"
    assert inp.stir.data.shape == inp.t1.data.shape
    assert all(anatomy.parse_name(n)[0] in anatomy.MUSCLES for n in inp.table.values())
    assert set(np.unique(inp.labels.data)) - {0} == set(inp.table)
    assert inp.truth is None and not inp.synthetic
    assert inp.sources["t1"].endswith("t1.nii.gz")
    with pytest.raises(InputError, match="CASE"):
        report.load_case_inputs(case_dir / "t1.nii.gz")
    with pytest.raises(InputError, match="--stir"):
        report.load_case_inputs(None, t1=case_dir / "t1.nii.gz")


def test_nested_and_flat_truth_are_read(tmp_path):
    for nested in (True, False):
        folder = write_toy_case(tmp_path / f"c{nested}", truth=toy_truth(), nested=nested)
        inp = report.load_case_inputs(folder)
        assert inp.truth["cause"] == "superior_gluteal"
        assert inp.vignette.startswith("47-year-old")


# --- report ----------------------------------------------------------------------------------


def _sections(md: str) -> list[str]:
    return [line[3:] for line in md.splitlines() if line.startswith("## ")]


def test_report_has_the_teaching_file_shape(inputs, tmp_path):
    figs = report.build_figures(inputs, toy_analysis(), which=["case_panel", "sir_chart"])
    written = report.write_report(inputs, toy_analysis(), tmp_path / "out", figures=figs,
                                  save_formats=("png",))
    md = written["markdown"].read_text()
    assert _sections(md)[:3] == ["Clinical vignette", "Images", "Findings per muscle"]
    for needed in ("Stage", "Nerve pattern and anatomy", "Differential diagnosis and mimics",
                   "Fatty infiltration grade", "Teaching points",
                   "Management options as taught (overview, not a plan)", "References"):
        assert needed in _sections(md)
    assert md.count(report.NOTICE) == 2
    assert "above piriformis" in md and "below piriformis" in md
    assert "depends on the etiology" in md  # domain.md 8.2 entity text for the SGN
    assert "never a recommendation for this case" in md
    assert "| right gluteus medius | 1.13 | 1.40 | 1.00 | subacute |" in md
    assert "Grade the fatty infiltration yourself" in md and "modified Mercuri" in md
    assert "![" in md and "figures/case_panel.png" in md
    html = written["html"].read_text()
    assert html.count("data:image/png;base64,") == 2
    assert 'src="figures/' not in html  # self-contained
    assert "<table>" in html and "For education, not for clinical use." in html
    assert (tmp_path / "out" / "figures" / "sir_chart.png").is_file()


def test_report_with_phantom_truth_grades_fat_and_gives_answer_key(tmp_path):
    folder = write_toy_case(tmp_path / "case", truth=toy_truth())
    inp = report.load_case_inputs(folder)
    blocks = report.report_blocks(inp, toy_analysis())
    md = report.render_markdown(blocks)
    assert "| right gluteus medius | 35 % | 2 | 2b |" in md
    assert "| right gluteus minimus | 52 % | 3 | 2b |" in md
    assert "47-year-old woman" in md
    assert "## Answer key (synthetic case)" in md
    assert "Time stage of the synthetic case: subacute" in md


def test_report_markdown_escapes_and_html_escapes():
    blocks = [("p", "a <b> & c"), ("table", ["x|y"], [["1|2"]])]
    assert "x\\|y" in report.render_markdown(blocks)
    assert "a &lt;b&gt; &amp; c" in report.render_html(blocks)


def test_report_cli_refuses_to_overwrite(case_dir, tmp_path, capsys):
    out = tmp_path / "rep"
    assert main(["report", str(case_dir), "--out", str(out), "--formats", "png"]) == 0
    printed = capsys.readouterr().out
    assert "report.html" in printed
    assert (out / "report.md").is_file() and (out / "figures" / "gallery.png").is_file()
    assert main(["report", str(case_dir), "--out", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main(["report", "--out", str(out)]) == 2


def test_show_paths_is_opt_in(inputs):
    md = report.render_markdown(report.report_blocks(inputs, toy_analysis()))
    assert inputs.sources["t1"] not in md
    md = report.render_markdown(report.report_blocks(inputs, toy_analysis(), show_paths=True))
    assert inputs.sources["t1"] in md


# --- deck ------------------------------------------------------------------------------------


def test_deck_slides_pictures_and_text(inputs, tmp_path):
    need(have("pptx"), "python-pptx is not installed")
    from pptx import Presentation
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    figs = report.build_figures(inputs, toy_analysis(),
                                which=["case_panel", "sir_chart", "timeline"])
    path = report.write_deck(inputs, toy_analysis(), tmp_path / "deck.pptx", figures=figs)
    prs = Presentation(str(path))
    assert prs.slide_width / prs.slide_height == pytest.approx(16 / 9, rel=1e-3)
    slides = list(prs.slides)
    texts = ["\n".join(sh.text_frame.text for sh in s.shapes if sh.has_text_frame)
             for s in slides]
    titles = [t.splitlines()[0] for t in texts]
    assert titles[:4] == [report.DECK_TITLE,
                          "T1 and STIR at the same level", "Signal ratios",
                          "Where this case sits in time"]
    for title in ("Findings", "Stage and nerve pattern", "Differential and mimics",
                  "Warnings and caveats", "Teaching points",
                  "Management as taught (overview, not a plan)", "References"):
        assert any(t == title or t.startswith(title + " (") for t in titles), title
    # every shape inside the slide, every run >= 18 pt, no box that overflows
    for s, text in zip(slides, texts, strict=True):
        for sh in s.shapes:
            assert sh.left >= 0 and sh.top >= 0
            assert sh.left + sh.width <= prs.slide_width
            assert sh.top + sh.height <= prs.slide_height
            if not sh.has_text_frame:
                continue
            paras = sh.text_frame.paragraphs
            sizes = [p.font.size.pt for p in paras if p.text.strip()]
            assert all(size >= 18 for size in sizes), (text[:40], sizes)
            chars_per_line = sh.width / 12700 / (0.6 * max(sizes))
            lines = sum(-(-len(p.text) // int(chars_per_line)) for p in paras)
            assert lines * 1.2 * max(sizes) <= sh.height / 12700 * 1.05, text[:60]
    pictures = [sum(sh.shape_type == MSO_SHAPE_TYPE.PICTURE for sh in s.shapes)
                for s in slides]
    assert sum(pictures) == 3
    notes = slides[1].notes_slide.notes_text_frame.text
    assert "radiological" in notes  # speaker notes for the presenter
    findings = slides[titles.index("Findings")]
    assert not any(sh.shape_type == MSO_SHAPE_TYPE.PICTURE for sh in findings.shapes)
    ftext = texts[titles.index("Findings")]
    for name in AFFECTED:
        assert anatomy.display_name(name) in ftext
    assert report.NOTICE in texts[0]
    assert "above piriformis" in texts[titles.index("Stage and nerve pattern")]
    with pytest.raises(InputError, match="already exists"):
        report.write_deck(inputs, toy_analysis(), path, figures=figs)
    with pytest.raises(InputError, match=".pptx"):
        report.write_deck(inputs, toy_analysis(), tmp_path / "deck.ppt", figures=figs)


def _deck_texts(inputs, analysis, path):
    from pptx import Presentation

    report.write_deck(inputs, analysis, path, figures={})
    prs = Presentation(str(path))
    slides = list(prs.slides)
    texts = ["\n".join(sh.text_frame.text for sh in s.shapes if sh.has_text_frame)
             for s in slides]
    return prs, slides, texts


def _with_pattern(**changes):
    analysis = toy_analysis()
    analysis["pattern"].update(changes)
    return analysis


def test_deck_answer_after_images_with_warnings_confidence_and_notes(tmp_path):
    need(have("pptx"), "python-pptx is not installed")
    inputs = report.load_case_inputs(write_toy_case(tmp_path / "case", truth=toy_truth()))
    analysis = _with_pattern(confidence="moderate", caveats=["a planted caveat"])
    analysis["warnings"] = ["a planted warning"]
    figs = report.build_figures(inputs, analysis, which=["case_panel", "sir_chart"])
    path = report.write_deck(inputs, analysis, tmp_path / "d.pptx", figures=figs)
    from pptx import Presentation

    slides = list(Presentation(str(path)).slides)
    texts = ["\n".join(sh.text_frame.text for sh in s.shapes if sh.has_text_frame)
             for s in slides]
    titles = [t.splitlines()[0] for t in texts]
    first_answer = titles.index("Findings")
    assert first_answer == 3  # title, case panel, SIR chart, then the findings
    for text in texts[:first_answer]:  # nothing names the nerve or the stage before
        low = text.lower()
        assert "gluteal nerve" not in low and "subacute" not in low, text[:80]
    assert inputs.vignette in texts[0]
    stage = texts[titles.index("Stage and nerve pattern")]
    assert "Confidence: moderate" in stage
    warn = texts[titles.index("Warnings and caveats")]
    assert "a planted warning" in warn and "a planted caveat" in warn
    diff_at = [n for n, t in enumerate(titles) if t.startswith("Differential and mimics")]
    assert diff_at and titles.index("Warnings and caveats") > max(diff_at)
    assert "Disuse atrophy" in "\n".join(texts[n] for n in diff_at)
    for slide, title in zip(slides, titles, strict=True):
        assert slide.notes_slide.notes_text_frame.text.strip(), title
    assert "STIR SIR 1.40" in slides[first_answer].notes_slide.notes_text_frame.text


def test_deck_warnings_slide_says_none_when_clean(inputs, tmp_path):
    need(have("pptx"), "python-pptx is not installed")
    _, _, texts = _deck_texts(inputs, _with_pattern(caveats=[]), tmp_path / "d.pptx")
    warn = next(t for t in texts if t.startswith("Warnings and caveats"))
    assert warn.splitlines()[1:] == ["\u2022 None."]


def test_deck_core_properties_are_ours_and_fresh(inputs, tmp_path):
    need(have("pptx"), "python-pptx is not installed")
    from datetime import datetime, timedelta, timezone

    before = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(seconds=2)
    prs, _, _ = _deck_texts(inputs, toy_analysis(), tmp_path / "d.pptx")
    after = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(seconds=2)
    cp = prs.core_properties
    assert cp.author == "mri_teach" and cp.last_modified_by == "mri_teach"
    assert report.DECK_TITLE in cp.title
    for stamp in (cp.created, cp.modified):
        assert before <= stamp <= after, stamp
    assert "Canny" not in cp.last_modified_by + cp.author


MANAGEMENT_WORDS = ("neurolysis", "block", "Injection", "NSAID")


@pytest.mark.parametrize("nerve,side,stage", [
    ("superior_gluteal", "right", "subacute"),
    ("abductor_tendon_tear", "right", "chronic"),
    ("disuse_atrophy", "bilateral", "chronic"),
    ("muscle_strain", "right", "acute"),
    ("none", "none", "normal"),
])
def test_management_text_fits_the_inferred_cause(inputs, tmp_path, nerve, side, stage):
    analysis = _with_pattern(nerve=nerve, side=side, stage=stage)
    md = report.render_markdown(report.report_blocks(inputs, analysis))
    kind = anatomy.CAUSE_INFO[nerve].kind
    texts = [md]
    if have("pptx"):
        texts.append("\n".join(_deck_texts(inputs, analysis, tmp_path / "d.pptx")[2]))
    for text in texts:
        has_words = [w for w in MANAGEMENT_WORDS if w in text]
        if kind == "nerve":
            assert "decompression and neurolysis" in text and "Injection" in text
        else:
            assert not has_words, (nerve, has_words)
        assert (report.MIMIC_MANAGEMENT in text) == (kind == "mimic")
        assert ("Management" in text) == (kind != "none")
        assert report.NOTICE in text


@pytest.mark.parametrize("cause", [c for c, i in anatomy.CAUSE_INFO.items()
                                   if i.kind in ("nerve", "mimic")])
def test_site_sentences_are_sentences(inputs, cause):
    info = anatomy.CAUSE_INFO[cause]
    side = "bilateral" if info.bilateral else "left"
    md = report.render_markdown(report.report_blocks(inputs, _with_pattern(nerve=cause,
                                                                           side=side)))
    para = next(line for line in md.splitlines()
                if line.startswith(("Site of the", "This pattern fits a mimic")))
    assert info.site.rstrip(".") in para
    assert "(mimic) " not in para and ".." not in para
    assert ("mimic" in para.split(":")[0]) == (info.kind == "mimic")
    assert "Anatomy: the" not in md


def test_normal_synthetic_case_has_no_time_stage(tmp_path):
    truth = {**toy_truth(), "cause": "none", "side": "none", "time_stage": "none",
             "days": 200.0}
    inp = report.load_case_inputs(write_toy_case(tmp_path / "case", truth=truth))
    analysis = _with_pattern(nerve="none", side="none", stage="normal")
    md = report.render_markdown(report.report_blocks(inp, analysis))
    assert "Time stage of the synthetic case" not in md
    lesion = report.render_markdown(report.report_blocks(
        report.load_case_inputs(write_toy_case(tmp_path / "c2", truth=toy_truth())),
        toy_analysis()))
    assert "Time stage of the synthetic case: subacute (90 days" in lesion


def test_candidates_use_display_names_for_support_and_against(inputs):
    cand = {"cause": "superior_gluteal", "score": 0.8, "kind": "nerve",
            "supporting": ["gluteus_medius", "tensor_fasciae_latae"],
            "contradicting": ["gluteus_maximus"]}
    md = report.render_markdown(report.report_blocks(inputs, _with_pattern(candidates=[cand])))
    line = next(ln for ln in md.splitlines() if "supported by" in ln)
    assert "supported by gluteus medius, tensor fasciae latae" in line
    assert "against: gluteus maximus" in line and "_" not in line


def test_slides_cli(case_dir, tmp_path, capsys):
    need(have("pptx"), "python-pptx is not installed")
    from pptx import Presentation

    out = tmp_path / "d.pptx"
    assert main(["slides", str(case_dir), "--out", str(out)]) == 0
    assert len(Presentation(str(out)).slides) >= 10
    assert main(["slides", str(case_dir), "--out", str(out)]) == 2


def test_slides_cli_without_pptx_says_how_to_install(case_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "pptx", None)  # `import pptx` now raises ImportError
    assert main(["slides", str(case_dir), "--out", str(tmp_path / "d.pptx")]) == 2
    assert "pip install 'mri_teach[slides]'" in capsys.readouterr().err
    assert not (tmp_path / "d.pptx").exists()


# --- anonymize -------------------------------------------------------------------------------


def _planted(path: Path, klass=nib.Nifti1Image) -> Path:
    data = np.arange(60, dtype=np.int16).reshape(3, 4, 5)
    img = klass(data, np.diag([2.0, -2.0, 3.0, 1.0]))
    for field in report.FREE_TEXT_FIELDS:
        if field in img.header:
            img.header[field] = b"PATIENT^SECRET"
    img.header.extensions.append(nib.nifti1.Nifti1Extension(6, b"PATIENT^SECRET note"))
    nib.save(img, path)
    return path


@pytest.mark.parametrize("klass,suffix", [(nib.Nifti1Image, ".nii.gz"),
                                          (nib.Nifti1Image, ".nii"),
                                          (nib.Nifti2Image, ".nii.gz")])
def test_anonymize_clears_free_text_and_keeps_data(tmp_path, klass, suffix):
    src = _planted(tmp_path / f"in{suffix}", klass)
    before = hashlib.sha256(src.read_bytes()).hexdigest()
    dst = report.anonymize(src, tmp_path / f"out{suffix}")
    assert hashlib.sha256(src.read_bytes()).hexdigest() == before  # IN untouched
    a, b = nib.load(src), nib.load(dst)
    np.testing.assert_array_equal(np.asanyarray(a.dataobj), np.asanyarray(b.dataobj))
    np.testing.assert_allclose(a.affine, b.affine)
    for field in report.FREE_TEXT_FIELDS:
        if field in b.header:
            assert bytes(np.asarray(b.header[field])).strip(b"\x00") == b""
    assert len(b.header.extensions) == 0
    raw = dst.read_bytes()
    if suffix.endswith(".gz"):
        import gzip

        raw = gzip.decompress(raw)
    assert b"SECRET" not in raw
    assert b"SECRET" in (gzip_decompress(src) if suffix.endswith(".gz") else src.read_bytes())


def gzip_decompress(path: Path) -> bytes:
    import gzip

    return gzip.decompress(path.read_bytes())


def test_anonymize_refuses_in_place_and_overwrite(tmp_path, capsys):
    src = _planted(tmp_path / "in.nii.gz")
    with pytest.raises(InputError, match="differ"):
        report.anonymize(src, src)
    assert main(["anonymize", str(src), str(src)]) == 2
    dst = tmp_path / "out.nii.gz"
    assert main(["anonymize", str(src), str(dst)]) == 0
    assert main(["anonymize", str(src), str(dst)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main(["anonymize", str(src), str(dst), "--overwrite"]) == 0
    with pytest.raises(InputError, match=".nii"):
        report.anonymize(src, tmp_path / "out.txt")
    bad = tmp_path / "bad.nii"
    bad.write_bytes(b"not a nifti file at all" * 20)
    with pytest.raises(InputError, match="NIfTI"):
        report.anonymize(bad, tmp_path / "o.nii")
    assert not (tmp_path / "o.nii").exists()


# --- real data ------------------------------------------------------------------------------


def test_real_ct_with_totalsegmentator_labels_keeps_sides(real_data, tmp_path):
    """Real images: patient-left gluteus medius drawn on screen right; no fake fat grade."""
    ts = real_data / "totalsegmentator"
    ct, seg = ts / "example_ct.nii.gz", ts / "example_seg_fast_force_split.nii.gz"
    inp = report.load_case_inputs(None, t1=ct, stir=ct, labels=seg)
    names = set(inp.table.values())
    assert {"gluteus_medius_left", "gluteus_medius_right"} <= names
    fig = report.build_figures(inp, toy_analysis(), which=["case_panel"])["case_panel"]
    fig.canvas.draw()
    ax = fig.axes[0]
    k = int(fig._suptitle.get_text().split("slice ")[1].split()[0])
    value = {n: v for v, n in inp.table.items()}
    sl = inp.labels.data[:, :, k]
    bbox = ax.get_window_extent()
    mid = (bbox.x0 + bbox.x1) / 2
    for name, screen_right in (("gluteus_medius_left", True), ("gluteus_medius_right", False)):
        pts = np.argwhere(sl == value[name])
        assert pts.size, name
        x, _ = ax.transData.transform(pts.mean(axis=0))
        assert (x > mid) == screen_right, name
        # and the world x of that muscle has the sign of its side (RAS: left = negative x)
        world = inp.labels.affine[:3, :3] @ np.r_[pts.mean(axis=0), k] + inp.labels.affine[:3, 3]
        assert (world[0] < 0) == screen_right, name
    md = report.render_markdown(report.report_blocks(inp, toy_analysis()))
    assert "Grade the fatty infiltration yourself" in md and "Answer key" not in md
    assert str(ts) not in md
