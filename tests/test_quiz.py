"""Tests for mri_teach.quiz: case generation, grading, ROI feedback, session, class export."""

from __future__ import annotations

import gzip
import importlib.util
import json
import re

import nibabel as nib
import numpy as np
import pytest

from mri_teach import anatomy, quiz
from mri_teach._validation import InputError

HAVE_PHANTOM = importlib.util.find_spec("mri_teach.phantom") is not None and (
    importlib.util.find_spec("mri_teach.staging") is not None)
needs_phantom = pytest.mark.skipif(not HAVE_PHANTOM, reason="phantom/staging not built yet")


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
    expected = 2 * 16 / (16 + 6 * 6 * 3)
    assert fb.dice == pytest.approx(expected)
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
