"""Tests for mri_teach.quiz: case generation, grading, ROI feedback, session, class export."""

from __future__ import annotations

import gzip
import json
import re

import nibabel as nib
import numpy as np
import pytest

from mri_teach import anatomy, quiz
from mri_teach._validation import InputError

# --------------------------------------------------------------------------------------
# grading (pure: truth records)
# --------------------------------------------------------------------------------------

SGN_SUBACUTE = {"category": "nerve", "cause": "superior_gluteal", "side": "right", "days": 90,
                "time_stage": "subacute", "signal_stage": "acute",
                "affected": ["gluteus_medius_right", "gluteus_minimus_right",
                             "tensor_fasciae_latae_right"]}
TOO_EARLY = {"category": "too_early", "cause": "inferior_gluteal", "side": None, "days": 6,
             "time_stage": "too_early", "signal_stage": "normal",
             "affected": ["gluteus_maximus_left"]}
NORMAL = {"category": "normal", "cause": "none", "side": None, "days": 0,
          "time_stage": "normal", "signal_stage": "normal", "affected": []}
TEAR = {"category": "mimic", "cause": "abductor_tendon_tear", "side": "left", "days": 300,
        "time_stage": "chronic", "signal_stage": "chronic",
        "affected": ["gluteus_medius_left", "gluteus_minimus_left"]}


def test_full_marks_for_the_correct_reading():
    fb = quiz.grade_answer(SGN_SUBACUTE, stage="subacute", cause="superior_gluteal",
                           side="right")
    assert (fb.score, fb.max_score) == (3.0, 3.0)
    assert fb.correct == {"stage": True, "cause": True, "side": True}
    assert fb.fraction == 1.0
    # the explanation cites the pattern of the cause (anatomy.CAUSE_INFO / LESION_MUSCLES)
    assert anatomy.CAUSE_INFO["superior_gluteal"].discriminators in fb.explanation
    assert "TFL" in fb.explanation and "Gmed" in fb.explanation
    assert "right superior gluteal nerve" in fb.correct_reading


def test_signal_stage_and_time_stage_both_accepted_and_explained():
    # time stage subacute, signal stage acute (normal T1): both are right (domain.md 1.4)
    for stage in ("subacute", "acute"):
        fb = quiz.grade_answer(SGN_SUBACUTE, stage=stage, cause="superior_gluteal",
                               side="right")
        assert fb.correct["stage"]
    fb = quiz.grade_answer(SGN_SUBACUTE, stage="chronic", cause="superior_gluteal",
                           side="right")
    assert not fb.correct["stage"] and fb.score == 2.0
    assert "differ" in fb.explanation


def test_wrong_side_loses_the_side_point_and_says_so():
    fb = quiz.grade_answer(SGN_SUBACUTE, stage="subacute", cause="superior_gluteal",
                           side="left")
    assert fb.correct["side"] is False
    assert fb.score == 2.0
    assert "radiological" in fb.explanation


def test_overlapping_pattern_gets_half_credit_unrelated_none():
    # L5 root shares Gmed/Gmin/TFL with the SGN (domain.md 3.5): Jaccard 3/4
    fb = quiz.grade_answer(SGN_SUBACUTE, stage="subacute", cause="l5_root", side="right")
    assert fb.score == 2.5 and not fb.correct["cause"]
    assert "multifidus" in fb.explanation.lower() or "Mf" in fb.explanation
    fb = quiz.grade_answer(SGN_SUBACUTE, stage="subacute", cause="femoral", side="right")
    assert fb.score == 2.0
    fb = quiz.grade_answer(SGN_SUBACUTE, stage="normal", cause="none", side=None)
    assert fb.score == 0.0 and fb.max_score == 3.0


def test_too_early_case_normal_reading_is_correct_and_taught():
    fb = quiz.grade_answer(TOO_EARLY, stage="normal", cause="none", side=None)
    assert fb.score == fb.max_score == 2.0  # no side point: nothing visible
    assert "too early" in fb.correct_reading.lower() or "'too early'" in fb.correct_reading
    assert "14" in fb.correct_reading
    assert "domain.md 1.3" in fb.explanation
    fb = quiz.grade_answer(TOO_EARLY, stage="acute", cause="none")
    assert not fb.correct["stage"]


def test_normal_case():
    fb = quiz.grade_answer(NORMAL, stage="normal", cause="none")
    assert fb.score == fb.max_score == 2.0
    fb = quiz.grade_answer(NORMAL, stage="acute", cause="superior_gluteal", side="right")
    assert fb.score == 0.0


def test_mimic_graded_on_signal_stage_and_discriminators_cited():
    fb = quiz.grade_answer(TEAR, stage="chronic", cause="superior_gluteal", side="left")
    # SGN vs tear: Gmed+Gmin shared, TFL only in SGN -> Jaccard 2/3 -> half credit
    assert fb.score == 2.5
    assert "TFL" in fb.explanation and "9" in fb.explanation
    assert "trochanter" in fb.explanation
    fb = quiz.grade_answer(TEAR, stage="chronic", cause="abductor_tendon_tear", side="left")
    assert fb.score == 3.0


@pytest.mark.parametrize("truth", [SGN_SUBACUTE, TOO_EARLY, NORMAL, TEAR])
def test_grade_invariants(truth):
    # every score lies in [0, max]; the truth itself always earns full marks
    for stage in quiz.STAGES:
        for cause in anatomy.CAUSES:
            for side in (None, "left", "right"):
                fb = quiz.grade_answer(truth, stage=stage, cause=cause, side=side)
                assert 0.0 <= fb.score <= fb.max_score
    best = quiz.grade_answer(truth, stage=truth["signal_stage"], cause=truth["cause"],
                             side=truth["side"])
    assert best.score == best.max_score


def test_grade_rejects_bad_answers():
    with pytest.raises(InputError, match="`stage` must be one of"):
        quiz.grade_answer(NORMAL, stage="subacuteish", cause="none")
    with pytest.raises(InputError, match="`cause`"):
        quiz.grade_answer(NORMAL, stage="normal", cause="sgn")
    with pytest.raises(InputError, match="`side`"):
        quiz.grade_answer(NORMAL, stage="normal", cause="none", side="up")
    with pytest.raises(InputError, match="QuizCase"):
        quiz.grade("not a case", stage="normal", cause="none")


# --------------------------------------------------------------------------------------
# ROI feedback (hand-built case: sides from names, values not parity coded)
# --------------------------------------------------------------------------------------


def _toy_case(answer=None):
    labels = np.zeros((20, 10, 3), np.int16)
    # RAS: axis 0 low = patient left. Right muscles at high i.
    labels[12:18, 2:8, :] = 40  # gluteus_medius_right  (even value on the right)
    labels[2:8, 2:8, :] = 41    # gluteus_medius_left
    labels[9:11, 2:8, :] = 7    # sacrum
    table = {40: "gluteus_medius_right", 41: "gluteus_medius_left", 7: "sacrum"}
    img = np.ones(labels.shape, np.float32)
    return quiz.QuizCase("Q01", img, img, labels, np.eye(4), np.eye(4), table, 1.5, answer)


def test_check_roi_inside_intended_muscle():
    case = _toy_case()
    roi = np.zeros(case.labels.shape, bool)
    roi[13:17, 3:7, 1] = True
    fb = quiz.check_roi(case, roi, "gluteus_medius_right")
    assert fb.inside_fraction == 1.0 and fb.ok
    assert fb.most_overlapped == "gluteus_medius_right"
    assert not fb.wrong_side and not fb.wrong_muscle
    # compared on the ROI's slice (k = 1): the muscle has 6 x 6 voxels there
    assert fb.dice == pytest.approx(2 * 16 / (16 + 36))
    assert fb.coverage == pytest.approx(16 / 36)
    # an ROI on two slices is compared on both
    roi2 = roi.copy()
    roi2[13:17, 3:7, 2] = True
    fb2 = quiz.check_roi(case, roi2, "gluteus_medius_right")
    assert fb2.dice == pytest.approx(2 * 32 / (32 + 72))
    # the same ROI over the whole muscle gives Dice 1
    fb = quiz.check_roi(case, case.labels == 40, "Gmed R")
    assert fb.dice == pytest.approx(1.0)


def test_check_roi_detects_wrong_side_from_names():
    case = _toy_case()
    roi = np.zeros(case.labels.shape, bool)
    roi[3:7, 3:7, 1] = True  # patient left
    fb = quiz.check_roi(case, roi, "right gluteus medius")
    assert fb.wrong_side and not fb.ok
    assert fb.most_overlapped == "gluteus_medius_left"
    assert fb.dice == 0.0
    assert "Wrong side" in fb.message and "screen LEFT" in fb.message
    # swapping the label *values* does not change the verdict: sides come from names
    swapped = _toy_case()
    object.__setattr__(swapped, "label_table",
                       {41: "gluteus_medius_right", 40: "gluteus_medius_left", 7: "sacrum"})
    fb2 = quiz.check_roi(swapped, roi, "gluteus_medius_right")
    assert not fb2.wrong_side and fb2.inside_fraction == 1.0


def test_check_roi_wrong_muscle_and_partial():
    case = _toy_case()
    roi = np.zeros(case.labels.shape, bool)
    roi[9:13, 3:7, 1] = True  # 8 sacrum + 4 background + 4 right gmed
    fb = quiz.check_roi(case, roi, "gluteus_medius_right")
    assert fb.wrong_muscle and fb.most_overlapped == "sacrum"
    assert fb.inside_fraction == pytest.approx(4 / 16)
    assert fb.most_overlapped_fraction == pytest.approx(8 / 16)
    roi = np.zeros(case.labels.shape, bool)
    roi[11:14, 3:5, 1] = True  # 2 background + 4 gmed
    fb = quiz.check_roi(case, roi, "gluteus_medius_right")
    assert not fb.wrong_muscle and not fb.ok and "Only" in fb.message
    empty = quiz.check_roi(case, np.zeros(case.labels.shape, bool), "gluteus_medius_right")
    assert empty.roi_voxels == 0 and "empty" in empty.message


def test_check_roi_errors():
    case = _toy_case()
    with pytest.raises(TypeError, match="boolean"):
        quiz.check_roi(case, np.zeros(case.labels.shape), "gluteus_medius_right")
    with pytest.raises(InputError, match="shape"):
        quiz.check_roi(case, np.zeros((2, 2, 2), bool), "gluteus_medius_right")
    with pytest.raises(InputError, match="matches no label"):
        quiz.check_roi(case, np.zeros(case.labels.shape, bool), "gluteus_medius")


def test_session_summary_from_toy_answers():
    answers = [quiz.QuizAnswer(**{k: v for k, v in t.items()}, field_t=1.5, seed=0)
               for t in (SGN_SUBACUTE, NORMAL)]
    for a in answers:
        object.__setattr__(a, "affected", tuple(a.affected))
    session = quiz.QuizSession([_toy_case(a) for a in answers])
    assert session.summary().answered == 0
    session.answer(0, stage="subacute", cause="superior_gluteal", side="left")
    session.answer(1, stage="normal", cause="none")
    s = session.summary()
    assert (s.answered, s.total_cases) == (2, 2)
    assert (s.score, s.max_score) == (4.0, 5.0)
    assert s.side_correct == 0 and s.side_scored == 1
    assert s.by_category == {"nerve": (2.0, 3.0), "normal": (2.0, 2.0)}
    assert s.percent == pytest.approx(80.0)
    # re-answering replaces the earlier grade
    session.answer(0, stage="subacute", cause="superior_gluteal", side="right")
    assert session.summary().score == 5.0
    assert "5/5" in str(session.summary())
    with pytest.raises(InputError, match="`index`"):
        session.answer(2, stage="normal", cause="none")


def test_argument_checks():
    with pytest.raises(InputError, match="`n`"):
        quiz.make_quiz(0, seed=1)
    with pytest.raises(InputError, match="`n`"):
        quiz.make_quiz(2.5, seed=1)
    with pytest.raises(InputError, match="`seed`"):
        quiz.make_quiz(2, seed=-1)
    with pytest.raises(InputError, match="mix"):
        quiz.make_quiz(2, seed=1, mix={"nerve": 0})
    with pytest.raises(InputError, match="mix key"):
        quiz.make_quiz(2, seed=1, mix={"tumour": 1})


def test_category_counts_follow_mix():
    rng = np.random.default_rng(0)
    cats = quiz._categories(20, dict(quiz.DEFAULT_MIX), rng)
    assert len(cats) == 20
    assert {c: cats.count(c) for c in set(cats)} == {"nerve": 10, "mimic": 4,
                                                     "too_early": 3, "normal": 3}


# --------------------------------------------------------------------------------------
# with the phantom: generation, reproducibility, export
# --------------------------------------------------------------------------------------

ALL_MIX = {"nerve": 1, "mimic": 1, "too_early": 1, "normal": 1}


@pytest.fixture(scope="module")
def four_cases():
    return quiz.make_quiz(4, seed=3, mix=ALL_MIX)


def test_make_quiz_mix_ids_and_hidden_truth(four_cases):
    assert [c.case_id for c in four_cases] == ["Q01", "Q02", "Q03", "Q04"]
    assert sorted(c.answer.category for c in four_cases) == sorted(ALL_MIX)
    for c in four_cases:
        assert c.t1.shape == c.labels.shape
        assert c.answer.cause in anatomy.CAUSES
        assert c.answer.cause not in repr(c) and "answer" not in repr(c)
        # anatomy labels only: every name is a known structure
        assert all(anatomy.parse_name(n)[0] in anatomy.STRUCTURES
                   for n in c.label_table.values())
        a = c.answer
        if a.category == "too_early":
            assert a.days < 14 and a.time_stage == "too_early"
        if a.category == "nerve":
            assert a.signal_stage != "normal" and a.side in ("left", "right")
            # the side of the answer is the side in the affected label names
            assert {anatomy.parse_name(n)[1] for n in a.affected} == {a.side}
        if a.category == "normal":
            assert a.cause == "none" and a.side is None and a.signal_stage == "normal"
        # the truth always earns full marks
        fb = quiz.grade(c, stage=a.signal_stage, cause=a.cause, side=a.side)
        assert fb.score == fb.max_score


def test_make_quiz_seed_changes_the_case():
    # (the same seed giving the same cases is checked by the export tests below, which
    # rebuild the quiz of `four_cases` and match every image)
    a = quiz.make_quiz(1, seed=4, mix={"normal": 1})[0]
    b = quiz.make_quiz(1, seed=5, mix={"normal": 1})[0]
    assert a.answer.seed != b.answer.seed
    assert a.t1.shape != b.t1.shape or not np.array_equal(a.t1, b.t1)


def test_check_roi_on_a_phantom_case(four_cases):
    case = four_cases[0]
    for name in ("gluteus_medius_right", "tensor_fasciae_latae_left"):
        truth = case.labels == case.label_values[name]
        fb = quiz.check_roi(case, truth, name)
        assert fb.dice == pytest.approx(1.0) and fb.ok
        # the mirror image of a right muscle lies (mostly) in the left one
        other = name.replace("right", "X").replace("left", "right").replace("X", "left")
        fb = quiz.check_roi(case, truth[::-1], name)
        assert fb.wrong_side and fb.most_overlapped == other


def test_show_case_draws_both_sequences_with_markers(four_cases):
    fig = quiz.show_case(four_cases[0])
    axes = fig.axes
    assert len(axes) == 2 and all(len(ax.images) == 1 for ax in axes)
    texts = {t.get_text() for t in axes[0].texts}
    assert {"R", "L"} <= texts
    assert axes[0].xaxis_inverted()  # radiological: patient right on screen left
    revealed = quiz.show_case(four_cases[[c.answer.category for c in four_cases].index(
        "nerve")], reveal=True)
    assert any(len(ax.collections) for ax in revealed.axes)


def test_quiz_widget_grades_through_button_clicks(four_cases):
    pytest.importorskip("ipywidgets")
    nerve = [c for c in four_cases if c.answer.category == "nerve"]
    others = [c for c in four_cases if c.answer.category != "nerve"]
    session = quiz.QuizSession([nerve[0], others[0]])
    box = quiz.quiz_widget(session)
    assert [("image/png" in o["data"]) for o in box.figure_out.outputs] == [True]
    before = box.figure_out.outputs[0]["data"]["image/png"]
    a = session.cases[0].answer
    box.stage.value, box.cause.value, box.side.value = a.signal_stage, a.cause, a.side
    box.submit.click()
    assert session.feedback(0).score == session.feedback(0).max_score
    assert "Score" in box.feedback.value and "Answered 1/2" in box.score.value
    # after grading the figure is redrawn with the abnormal muscles outlined
    assert box.figure_out.outputs[0]["data"]["image/png"] != before
    box.next.click()
    assert session.cases[1].case_id in box.children[0].value


def _words():
    causes = [c for c in anatomy.CAUSES if c != "none"]
    long_words = causes + [anatomy.CAUSE_INFO[c].display for c in causes] + [
        "subacute", "chronic", "too_early", "truth", "answer", "denervat", "mimic", "lesion"]
    # short words occur by chance in compressed or float bytes: searched in headers only
    short = [b"left", b"right", b"acute", b"normal", b"q01", b"q02", b"none"]
    return [w.encode() for w in long_words], short


def _nifti_header_bytes(path):
    raw = gzip.decompress(path.read_bytes())
    header = raw[:352]
    vox_offset = int(nib.load(path).header["vox_offset"])
    return header + raw[352:vox_offset], raw


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("export") / "class"
    quiz.export_quiz(out, 4, seed=3, mix=ALL_MIX)  # the quiz of `four_cases`
    return out


def test_export_layout_and_separate_answer_key(exported):
    folders = sorted(p.name for p in exported.iterdir() if p.is_dir())
    assert folders == ["case_01", "case_02", "case_03", "case_04"]
    assert sorted(p.name for p in exported.iterdir() if p.is_file()) == [
        "README.txt", "answer_key.json", "answer_key.md"]
    for f in folders:
        assert sorted(p.name for p in (exported / f).iterdir()) == [
            "labels.json", "labels.nii.gz", "stir.nii.gz", "t1.nii.gz"]
    assert not list(exported.rglob("truth.json"))
    assert not [p for p in exported.parent.iterdir() if p.name.startswith(".quiz-")]
    key = json.loads((exported / "answer_key.json").read_text())
    assert [c["case"] for c in key["cases"]] == folders
    md = (exported / "answer_key.md").read_text()
    for c in key["cases"]:
        assert c["case"] in md and c["answer"]["cause"] in md


def test_export_answer_key_matches_the_images(exported, four_cases):
    key = json.loads((exported / "answer_key.json").read_text())
    cases = four_cases  # built by an earlier, separate make_quiz call with the same seed
    for entry in key["cases"]:
        t1 = np.asarray(nib.load(exported / entry["case"] / "t1.nii.gz").dataobj)
        match = [c for c in cases if c.t1.shape == t1.shape and np.array_equal(c.t1, t1)]
        assert len(match) == 1
        assert match[0].answer.to_dict() == entry["answer"]
        stir = np.asarray(nib.load(exported / entry["case"] / "stir.nii.gz").dataobj)
        np.testing.assert_array_equal(stir, match[0].stir)


def test_exported_case_files_give_nothing_away(exported):
    long_words, short_words = _words()
    tables = set()
    mtimes = set()
    for folder in sorted(p for p in exported.iterdir() if p.is_dir()):
        assert re.fullmatch(r"case_\d\d", folder.name)
        for path in folder.iterdir():
            mtimes.add(path.stat().st_mtime)
            data = path.read_bytes()
            if path.suffix == ".json":
                tables.add(data)
                continue
            # gzip header: no file name, no time stamp
            assert data[:2] == b"\x1f\x8b"
            assert not data[3] & 0x08, f"{path}: gzip stores a file name"
            assert data[4:8] == b"\0\0\0\0", f"{path}: gzip stores a time stamp"
            header, raw = _nifti_header_bytes(path)
            for blob in (data, raw):
                low = blob.lower()
                for w in long_words:
                    assert w.lower() not in low, f"{path}: contains {w!r}"
            for w in short_words:
                assert w not in header.lower(), f"{path}: header contains {w!r}"
            hdr = nib.load(path).header
            for fld in ("descrip", "aux_file", "intent_name", "db_name"):
                assert bytes(hdr[fld].item()).strip(b"\0 ") == b"", f"{path}: {fld} set"
            assert len(hdr.extensions) == 0
    # the label table is the same in every case, so it cannot carry an answer
    assert len(tables) == 1
    table = json.loads(tables.pop())
    assert all(anatomy.parse_name(n)[0] in anatomy.STRUCTURES for n in table.values())
    assert len(mtimes) == 1


def test_export_is_byte_reproducible(tmp_path):
    first = quiz.export_quiz(tmp_path / "first", 1, seed=8)
    again = quiz.export_quiz(tmp_path / "again", 1, seed=8)
    files = sorted(p for p in first.rglob("*") if p.is_file())
    assert len(files) == 7
    for path in files:
        assert path.read_bytes() == (again / path.relative_to(first)).read_bytes()


def test_export_refuses_to_overwrite_and_leaves_nothing_partial(tmp_path, monkeypatch,
                                                                four_cases):
    # file-system behaviour only: reuse the cases already built (the phantom is slow)
    monkeypatch.setattr(quiz, "make_quiz", lambda n, **kw: list(four_cases[:n]))
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    with pytest.raises(quiz.QuizExportError, match="not empty"):
        quiz.export_quiz(busy, 1, seed=0)
    with pytest.raises(quiz.QuizExportError, match="refusing"):
        quiz.export_quiz(busy, 1, seed=0, overwrite=True)
    assert (busy / "notes.txt").read_text() == "mine"
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(quiz.QuizExportError, match="not a folder"):
        quiz.export_quiz(afile, 1, seed=0)
    # an earlier export may be replaced with overwrite=True
    out = quiz.export_quiz(tmp_path / "q", 1, seed=0)
    with pytest.raises(quiz.QuizExportError):
        quiz.export_quiz(out, 2, seed=1)
    quiz.export_quiz(out, 2, seed=1, overwrite=True)
    assert json.loads((out / "answer_key.json").read_text())["n"] == 2
    assert not (out / "case_03").exists()
    # a failure half way writes nothing
    calls = {"n": 0}
    real = quiz._nifti_bytes

    def flaky(*a, **k):
        calls["n"] += 1
        if calls["n"] > 2:
            raise OSError("disk full")
        return real(*a, **k)

    monkeypatch.setattr(quiz, "_nifti_bytes", flaky)
    with pytest.raises(OSError):
        quiz.export_quiz(tmp_path / "never", 2, seed=0)
    assert not (tmp_path / "never").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".quiz-")]


def test_cli_quiz(tmp_path, capsys):
    from mri_teach.cli import main

    out = tmp_path / "cli"
    assert main(["quiz", "--n", "1", "--seed", "8", "--out", str(out)]) == 0
    assert (out / "answer_key.json").is_file() and (out / "case_01" / "t1.nii.gz").is_file()
    assert "wrote 1 quiz cases" in capsys.readouterr().out
    assert main(["quiz", "--n", "1", "--seed", "8", "--out", str(out)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert main(["quiz", "--n", "1", "--seed", "8", "--out", str(out), "--overwrite"]) == 0


def test_cli_quiz_bad_input(tmp_path, capsys):
    from mri_teach.cli import main

    assert main(["quiz", "--n", "0", "--out", str(tmp_path / "x")]) == 2
    assert "`n`" in capsys.readouterr().err
    assert main(["quiz", "--n", "-3", "--seed", "-1", "--out", str(tmp_path / "x")]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["quiz", "--n", "two", "--out", str(tmp_path / "x")])
    assert exc.value.code == 2
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(("days", "claims_too_early"), [(9, True), (18, False)])
def test_invisible_lesion_explanation_matches_its_days(days, claims_too_early):
    # A lesion that is not yet visible is only called 'too early (< 14 days)' when it is.
    truth = {"cause": "superior_gluteal", "side": "right", "days": days,
             "time_stage": "too_early" if days < 14 else "acute", "signal_stage": "normal",
             "affected": [], "category": "too_early" if days < 14 else "nerve"}
    fb = quiz.grade_answer(truth, stage="normal", cause="none")
    assert fb.score == fb.max_score
    assert ("< 14 days" in fb.correct_reading) is claims_too_early
    assert ("Under about 2 weeks" in fb.explanation) is claims_too_early
    assert f"{days} days after onset" in fb.correct_reading
