"""Self-assessment quiz: random unlabelled cases, grading, ROI feedback, class export (L6).

A quiz case is a synthetic pelvis (:func:`mri_teach.phantom.make_case`) whose cause, side,
time since injury, noise and field strength are drawn at random from a seed, so the same
seed always gives the same quiz. The trainee sees the images (and the anatomy labels, which
show where the muscles are but not which one is abnormal) and answers the stage and the
cause; :func:`grade` returns a :class:`Feedback` that explains the correct reading with the
pattern of the lesion (``anatomy.LESION_MUSCLES``, ``anatomy.CAUSE_INFO``; domain.md 3.5, 9).

Case mix (a teaching choice [U], not literature):

* nerve lesions at an acute, subacute or chronic time (time stages of domain.md 1.4: too
  early < 14 d, acute 14-30 d, subacute 1-6 months, chronic > 6 months);
* mimics (``abductor_tendon_tear``, ``disuse_atrophy``, ``muscle_strain``; domain.md 9);
* "too early" cases: a nerve lesion imaged under 14 days, when a denervated muscle can still
  look normal (domain.md 1.3, Uetani 1993);
* normal pelvises.

Stages are answered as the images show them (``STAGES``). Both the time stage of the ground
truth and the signal stage that the staging rules give for the true muscle ratios
(:func:`mri_teach.staging.stage_muscle`) are accepted, because they differ by design:
many subacute muscles still have a normal T1 (domain.md 1.4).

Educators export a class set with :func:`export_quiz` (or ``mri-teach quiz``): one neutral
folder per case and an answer key *outside* the case folders. Nothing inside a case folder
(names, NIfTI header text, side files, order, timestamps) carries the answer.

Examples
--------
>>> from mri_teach import quiz
>>> quiz.grade_answer({"cause": "superior_gluteal", "side": "right", "time_stage": "subacute",
...                    "signal_stage": "subacute", "affected": ["gluteus_medius_right"]},
...                   stage="subacute", cause="superior_gluteal", side="right").score
3.0
"""

from __future__ import annotations

import gzip
import json
import math
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mri_teach import anatomy
from mri_teach._files import replace_dir
from mri_teach._validation import InputError, MriTeachError, check_choice

__all__ = [
    "STAGES",
    "CATEGORIES",
    "DEFAULT_MIX",
    "SIDE_CHOICES",
    "MIMIC_STAGE",
    "QuizAnswer",
    "QuizCase",
    "Feedback",
    "RoiFeedback",
    "QuizSession",
    "SessionSummary",
    "QuizExportError",
    "make_quiz",
    "grade",
    "grade_answer",
    "check_roi",
    "export_quiz",
    "quiz_widget",
    "show_case",
]

#: Stages a trainee can answer (domain.md 1.4 "stages by signal").
STAGES = ("normal", "acute", "subacute", "chronic")
#: Case categories of a quiz.
CATEGORIES = ("nerve", "mimic", "too_early", "normal")
#: Default share of each category [U] (a teaching choice: most cases show a lesion).
DEFAULT_MIX: dict[str, float] = {"nerve": 0.5, "mimic": 0.2, "too_early": 0.15, "normal": 0.15}
#: Side answers; ``None`` (no side) is also accepted for a normal reading.
SIDE_CHOICES = ("left", "right", "both")
#: Largest quiz :func:`make_quiz` and :func:`export_quiz` build in one call.
MAX_CASES = 200

# Nerve causes drawn for nerve cases, with weights [U]: the superior gluteal nerve (the
# subject of the tool) twice as often as each other nerve.
_NERVE_WEIGHTS = {c: (2.0 if c.startswith("superior_gluteal") else 1.0)
                  for c in anatomy.NERVE_CAUSES if c != "none"}
# Days since onset drawn per time stage; ranges stay clear of the domain.md 1.4 boundaries
# (14, 30, 180 d) so the time stage of a case is unambiguous [U]. Acute cases start at 20 d,
# when the phantom's STIR ratio has passed the 1.15 teaching threshold (about 1.17; human
# T2 hyperintensity from >= 15 days, Uetani 1993, domain.md 1.2), so they are readable.
_DAYS = {"too_early": (2, 11), "acute": (20, 28), "subacute": (40, 170),
         "chronic": (220, 720)}
# Days for mimics [U]: a strain is an acute event (domain.md 9(c)); tendon tears and disuse
# atrophy are chronic fatty processes (domain.md 9(a), 9(b)).
_MIMIC_DAYS = {"muscle_strain": (5, 25), "abductor_tendon_tear": (120, 720),
               "disuse_atrophy": (120, 720)}
# Noise: the phantom's SNR multiplied by a factor in this range [U] (image quality varies).
_NOISE_RANGE = (0.7, 1.3)
_FIELDS = (1.5, 3.0)
# Receive-coil shading strength drawn per case [U]; the phantom calls ~0.3 realistic.
_SHADING_RANGE = (0.0, 0.3)
# Body presets of the phantom drawn per case (anatomy varies between cases).
_BODIES = ("female", "male", "female_large", "male_slim")
# The signal pattern each mimic imitates (domain.md 9): (a) tendon tear and (b) disuse give
# fat without edema (a chronic-looking pattern), (c) a strain gives edema with a normal T1
# (an acute-looking pattern). Used for the stage of a mimic when its true contralateral
# ratios are not informative (bilateral disuse gives ratios near 1).
MIMIC_STAGE = {"abductor_tendon_tear": "chronic", "disuse_atrophy": "chronic",
               "muscle_strain": "acute"}
_STAGE_ALIASES = {"too_early": "normal", "hyperacute": "normal", "none": "normal"}


class QuizExportError(MriTeachError):
    """An export folder that cannot be written (exists and is not empty, or is a file)."""


# --------------------------------------------------------------------------------------
# records
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuizAnswer:
    """The hidden truth of one quiz case.

    Attributes
    ----------
    category : {'nerve', 'mimic', 'too_early', 'normal'}
    cause : str
        One of ``anatomy.CAUSES``.
    side : {'left', 'right', 'both'} or None
        Side of the abnormal muscles, from their label names (None when nothing is
        abnormal on the images).
    days : float
        Days since onset (0 for a normal case).
    time_stage : str
        Stage by time (domain.md 1.4): too_early, acute, subacute, chronic or normal.
    signal_stage : str
        Stage the staging rules give for the true ratios of the affected muscles.
    field_t : float
    affected : tuple of str
        Label names of the muscles that changed.
    seed : int
        Seed of the phantom.
    """

    category: str
    cause: str
    side: str | None
    days: float
    time_stage: str
    signal_stage: str
    field_t: float
    affected: tuple[str, ...]
    seed: int
    noise_factor: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (for an answer key)."""
        return {
            "category": self.category, "cause": self.cause, "side": self.side,
            "days": float(self.days), "time_stage": self.time_stage,
            "signal_stage": self.signal_stage, "field_t": float(self.field_t),
            "affected": list(self.affected), "seed": int(self.seed),
            "noise_factor": float(self.noise_factor),
        }


@dataclass(frozen=True, eq=False)
class QuizCase:
    """One unlabelled quiz case: images, anatomy labels and the hidden answer.

    Attributes
    ----------
    case_id : str
        Neutral id (``'Q01'``); says nothing about the answer.
    t1, stir : ndarray of float32, shape (I, J, K)
        RAS+ volumes (STIR on `stir_affine`, which is the T1 grid unless the phantom was
        asked for thicker STIR slices).
    labels : ndarray of int, shape (I, J, K)
        Anatomy labels on the T1 grid (where each muscle is, not whether it is abnormal).
    affine, stir_affine : ndarray (4, 4)
    label_table : dict int -> str
        Label names, sides in the names.
    field_t : float
        Field strength in tesla (shown to the trainee, as on a real study).
    answer : QuizAnswer
        Hidden truth; not shown in ``repr``. :func:`grade` reads it.
    """

    case_id: str
    t1: np.ndarray = field(repr=False)
    stir: np.ndarray = field(repr=False)
    labels: np.ndarray = field(repr=False)
    affine: np.ndarray = field(repr=False)
    stir_affine: np.ndarray = field(repr=False)
    label_table: dict[int, str] = field(repr=False)
    field_t: float = 1.5
    answer: QuizAnswer | None = field(default=None, repr=False)

    @property
    def voxel_size_mm(self) -> tuple[float, float, float]:
        return tuple(float(v) for v in np.sqrt((np.asarray(self.affine)[:3, :3] ** 2).sum(0)))

    @property
    def label_values(self) -> dict[str, int]:
        """Label name -> value."""
        return {name: int(v) for v, name in self.label_table.items()}

    @property
    def stir_on_t1(self) -> np.ndarray:
        """The STIR on the T1 grid (resampled through both affines when the grids differ)."""
        if self.stir.shape == self.t1.shape and np.allclose(self.stir_affine, self.affine):
            return self.stir
        from mri_teach import orientation

        return orientation.resample_to_grid(self.stir, self.stir_affine, self.t1.shape,
                                            self.affine, order=1).astype(np.float32)

    def best_slice(self, structure: str = "gluteus_medius", plane: str = "axial") -> int:
        """Slice with the largest cross-section of `structure` (both sides together).

        Uses only the anatomy labels, so it shows nothing about the answer.
        """
        values = [v for v, n in self.label_table.items()
                  if anatomy.parse_name(n)[0] == structure]
        if not values:
            msg = f"`structure` {structure!r} is not in this case's label table."
            raise InputError(msg)
        axis = {"axial": 2, "coronal": 1, "sagittal": 0}[check_choice(
            plane, ("axial", "coronal", "sagittal"), name="plane")]
        inside = np.isin(self.labels, values)
        other = tuple(a for a in range(3) if a != axis)
        return int(np.argmax(inside.sum(axis=other)))


@dataclass(frozen=True)
class Feedback:
    """The grade of one answer.

    Attributes
    ----------
    score, max_score : float
        One point each for the stage, the cause and (when the case has an abnormal side)
        the side; half a point for a cause with an overlapping pattern.
    correct : dict str -> bool
        ``{'stage': ..., 'cause': ..., 'side': ...}`` (side only when scored).
    explanation : str
        Why, citing the pattern of the true cause (domain.md 3.5, 9) and the stage rules.
    correct_reading : str
        One sentence: what a correct report says.
    answer : dict
        The revealed truth (``QuizAnswer.to_dict()``).
    """

    score: float
    max_score: float
    correct: dict[str, bool]
    explanation: str
    correct_reading: str
    answer: dict[str, Any]

    @property
    def fraction(self) -> float:
        return self.score / self.max_score if self.max_score else 1.0

    def __str__(self) -> str:
        return (f"score {self.score:g}/{self.max_score:g}\n{self.correct_reading}\n"
                f"{self.explanation}")


@dataclass(frozen=True)
class RoiFeedback:
    """Feedback on one ROI placed by the trainee (:func:`check_roi`).

    Attributes
    ----------
    intended : str
        The label name the trainee meant (normalised, e.g. ``'gluteus_medius_right'``).
    dice : float
        Dice overlap of the ROI with the intended muscle on the slices the ROI was drawn on
        (0-1; a whole-muscle 3D ROI is compared with the whole muscle).
    coverage : float
        Fraction of the intended muscle (on those slices) inside the ROI.
    inside_fraction : float
        Fraction of ROI voxels inside the intended muscle.
    most_overlapped : str or None
        The label holding most ROI voxels (``None`` if all are background).
    most_overlapped_fraction : float
    wrong_side : bool
        True when most of the ROI lies in the same muscle of the other side.
    wrong_muscle : bool
        True when most of the ROI lies in another structure (any side).
    roi_voxels : int
    message : str
    """

    intended: str
    dice: float
    coverage: float
    inside_fraction: float
    most_overlapped: str | None
    most_overlapped_fraction: float
    wrong_side: bool
    wrong_muscle: bool
    roi_voxels: int
    message: str

    @property
    def ok(self) -> bool:
        return not (self.wrong_side or self.wrong_muscle) and self.inside_fraction >= 0.8


# --------------------------------------------------------------------------------------
# building a quiz
# --------------------------------------------------------------------------------------


def _check_n(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_CASES:
        msg = f"`n` must be an integer from 1 to {MAX_CASES}; got {n!r}."
        raise InputError(msg)
    return int(n)


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        msg = (f"`seed` must be a non-negative integer (it makes the quiz reproducible); "
               f"got {seed!r}.")
        raise InputError(msg)
    return int(seed)


def _check_mix(mix: Mapping[str, float] | None) -> dict[str, float]:
    mix = dict(DEFAULT_MIX if mix is None else mix)
    for key, value in mix.items():
        check_choice(key, CATEGORIES, name="mix key")
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
            msg = f"`mix[{key!r}]` must be a finite number >= 0; got {value!r}."
            raise InputError(msg)
    if sum(mix.values()) <= 0:
        msg = "`mix` needs at least one category with a share > 0."
        raise InputError(msg)
    return mix


def _categories(n: int, mix: dict[str, float], rng: np.random.Generator) -> list[str]:
    """`n` categories in the proportions of `mix` (largest remainder), shuffled."""
    total = sum(mix.values())
    keys = [k for k in CATEGORIES if mix.get(k, 0) > 0]
    exact = {k: n * mix[k] / total for k in keys}
    counts = {k: int(math.floor(v)) for k, v in exact.items()}
    rest = n - sum(counts.values())
    for k in sorted(keys, key=lambda k: exact[k] - counts[k], reverse=True)[:rest]:
        counts[k] += 1
    out = [k for k in keys for _ in range(counts[k])]
    rng.shuffle(out)
    return out


def _draw(category: str, rng: np.random.Generator) -> dict[str, Any]:
    """Random phantom parameters for one case of `category`."""
    side = str(rng.choice(anatomy.SIDES))
    field_t = float(rng.choice(_FIELDS))
    if category == "normal":
        cause, days = "none", 0.0
    elif category == "mimic":
        cause = str(rng.choice(anatomy.MIMIC_CAUSES))
        lo, hi = _MIMIC_DAYS[cause]
        days = float(rng.integers(lo, hi + 1))
    else:
        causes = list(_NERVE_WEIGHTS)
        weights = np.array([_NERVE_WEIGHTS[c] for c in causes])
        cause = str(rng.choice(causes, p=weights / weights.sum()))
        stage = "too_early" if category == "too_early" else str(
            rng.choice(("acute", "subacute", "chronic")))
        lo, hi = _DAYS[stage]
        days = float(rng.integers(lo, hi + 1))
    noise = float(rng.uniform(*_NOISE_RANGE))
    shading = float(rng.uniform(*_SHADING_RANGE))
    body = str(rng.choice(_BODIES))
    return {"cause": cause, "side": side, "days": days, "field_t": field_t,
            "noise_factor": noise, "coil_shading": shading, "body": body,
            "seed": int(rng.integers(0, 2**31 - 1))}


def _phantom_snr_defaults() -> dict[str, float]:
    import inspect

    from mri_teach import phantom

    sig = inspect.signature(phantom.make_case)
    out = {}
    for name in ("snr_t1", "snr_stir"):
        p = sig.parameters.get(name)
        if p is not None and isinstance(p.default, (int, float)) and p.default > 0:
            out[name] = float(p.default)
    return out


def _num(value: Any) -> float:
    return math.nan if value is None else float(value)


def _signal_stage(truth: Mapping[str, Any]) -> str:
    """Most advanced stage the staging rules give for the true ratios of affected muscles."""
    from mri_teach import staging

    order = {s: i for i, s in enumerate(STAGES)}
    best = "normal"
    muscles = truth.get("muscles", {}) or {}
    for name in truth.get("affected", ()) or ():
        m = muscles.get(name)
        if not m:
            continue
        result = staging.stage_muscle(
            _num(m.get("t1_ratio")), _num(m.get("stir_ratio")), _num(m.get("volume_ratio")),
            staging.DEFAULT_RULES)
        stage = _STAGE_ALIASES.get(result.stage, result.stage)
        if stage in order and order[stage] > order[best]:
            best = stage
    return best


def _side_of(affected: Sequence[str]) -> str | None:
    sides = {anatomy.parse_name(n)[1] for n in affected} - {None}
    if not sides:
        return None
    return sides.pop() if len(sides) == 1 else "both"


def _anatomy_table(table: Mapping[int, str]) -> dict[int, str]:
    """The label table restricted to anatomy structures (no lesion-specific labels)."""
    out = {}
    for value, name in table.items():
        structure, _ = anatomy.parse_name(str(name))
        if structure in anatomy.STRUCTURES and int(value) != 0:
            out[int(value)] = str(name)
    return out


def _build_case(case_id: str, category: str, params: dict[str, Any], preset: str,
                snr_defaults: dict[str, float]) -> QuizCase:
    from mri_teach import phantom

    kwargs: dict[str, Any] = {
        "cause": params["cause"], "side": params["side"], "days": params["days"],
        "field_t": params["field_t"], "preset": preset, "rng": params["seed"],
        "coil_shading": params["coil_shading"], "body": params["body"],
    }
    for name, default in snr_defaults.items():
        # noise_factor > 1 means noisier: SNR divided by it.
        kwargs[name] = default / params["noise_factor"]
    case = phantom.make_case(**kwargs)
    truth = dict(case.truth)
    affected = tuple(str(a) for a in truth.get("affected", ()) or ())
    time_stage = str(truth.get("time_stage", "normal")) if params["cause"] != "none" else "normal"
    signal_stage = _signal_stage(truth) if affected else "normal"
    if category == "mimic" and signal_stage == "normal":
        signal_stage = MIMIC_STAGE[params["cause"]]
    visible = signal_stage != "normal"
    answer = QuizAnswer(
        category=category, cause=params["cause"],
        side=_side_of(affected) if visible else None,
        days=float(params["days"]), time_stage=time_stage, signal_stage=signal_stage,
        field_t=float(params["field_t"]), affected=affected, seed=int(params["seed"]),
        noise_factor=float(params["noise_factor"]),
    )
    table = _anatomy_table(case.label_table)
    labels = np.where(np.isin(case.labels, list(table)), case.labels, 0).astype(np.int16)
    return QuizCase(
        case_id=case_id, t1=np.asarray(case.t1, np.float32),
        stir=np.asarray(case.stir, np.float32), labels=labels,
        affine=np.asarray(case.affine, float), stir_affine=np.asarray(case.stir_affine, float),
        label_table=table, field_t=float(params["field_t"]), answer=answer,
    )


def make_quiz(n: int = 10, *, seed: int = 0, mix: Mapping[str, float] | None = None,
              preset: str = "fast") -> list[QuizCase]:
    """Build `n` random unlabelled quiz cases, reproducibly from `seed`.

    Parameters
    ----------
    n : int, default 10
        Number of cases (1 to ``MAX_CASES``).
    seed : int, default 0
        The same seed gives the same quiz (cases, order and noise).
    mix : dict category -> share, optional
        Share of ``'nerve'``, ``'mimic'``, ``'too_early'`` and ``'normal'`` cases
        (default ``DEFAULT_MIX``); counts are rounded by largest remainder, then shuffled.
    preset : str, default 'fast'
        Phantom preset (``phantom.make_case``).

    Returns
    -------
    list of QuizCase
        Case ids ``Q01``, ``Q02``, ... in quiz order; the answers are hidden in
        ``case.answer``.

    Examples
    --------
    >>> cases = make_quiz(1, seed=1, mix={"normal": 1})
    >>> [c.case_id for c in cases], cases[0].answer.cause
    (['Q01'], 'none')
    """
    n = _check_n(n)
    seed = _check_seed(seed)
    mix = _check_mix(mix)
    rng = np.random.default_rng(seed)
    categories = _categories(n, mix, rng)
    snr_defaults = _phantom_snr_defaults()
    width = max(2, len(str(n)))
    cases = []
    for i, category in enumerate(categories, start=1):
        params = _draw(category, rng)
        cases.append(_build_case(f"Q{i:0{width}d}", category, params, preset, snr_defaults))
    return cases


# --------------------------------------------------------------------------------------
# grading
# --------------------------------------------------------------------------------------


def _muscle_list(names: Sequence[str]) -> str:
    structures = sorted({anatomy.parse_name(n)[0] for n in names})
    return ", ".join(anatomy.MUSCLES[s].abbrev if s in anatomy.MUSCLES else s
                     for s in structures) or "none"


def _pattern_text(cause: str) -> str:
    info = anatomy.CAUSE_INFO[cause]
    muscles = _muscle_list(sorted(anatomy.LESION_MUSCLES[cause]))
    text = f"{info.display}: muscles {muscles}"
    if info.discriminators:
        text += f"; {info.discriminators}"
    return text


def _cause_credit(true: str, given: str) -> float:
    if given == true:
        return 1.0
    a, b = anatomy.LESION_MUSCLES[true], anatomy.LESION_MUSCLES[given]
    if a and b and len(a & b) / len(a | b) >= 0.5:
        return 0.5
    return 0.0


def _as_dict(answer: QuizAnswer | Mapping[str, Any]) -> dict[str, Any]:
    return answer.to_dict() if isinstance(answer, QuizAnswer) else dict(answer)


def grade_answer(answer: QuizAnswer | Mapping[str, Any], *, stage: str, cause: str,
                 side: str | None = None) -> Feedback:
    """Grade an answer against a truth record (the engine behind :func:`grade`).

    Parameters
    ----------
    answer : QuizAnswer or dict
        Needs ``cause``, ``side``, ``time_stage``, ``signal_stage`` and ``affected``
        (``category`` and ``days`` improve the explanation).
    stage : one of ``STAGES``
    cause : one of ``anatomy.CAUSES``
    side : {'left', 'right', 'both'} or None

    Returns
    -------
    Feedback

    Examples
    --------
    >>> truth = {"cause": "superior_gluteal", "side": "left", "days": 20,
    ...          "time_stage": "acute", "signal_stage": "acute",
    ...          "affected": ["gluteus_medius_left", "gluteus_minimus_left"]}
    >>> fb = grade_answer(truth, stage="acute", cause="superior_gluteal", side="right")
    >>> fb.score, fb.max_score, fb.correct["side"]
    (2.0, 3.0, False)
    """
    stage = check_choice(stage, STAGES, name="stage")
    cause = check_choice(cause, anatomy.CAUSES, name="cause")
    if side is not None:
        side = check_choice(side, SIDE_CHOICES, name="side")
    truth = _as_dict(answer)
    true_cause = str(truth["cause"])
    category = str(truth.get("category", "nerve" if true_cause in anatomy.NERVE_CAUSES
                             and true_cause != "none" else
                             ("mimic" if true_cause in anatomy.MIMIC_CAUSES else "normal")))
    time_stage = _STAGE_ALIASES.get(str(truth["time_stage"]), str(truth["time_stage"]))
    signal_stage = _STAGE_ALIASES.get(str(truth["signal_stage"]), str(truth["signal_stage"]))
    visible = signal_stage != "normal"
    days = truth.get("days")
    lines: list[str] = []

    # stage
    if category == "mimic":
        accepted_stages = {signal_stage, MIMIC_STAGE.get(true_cause, signal_stage)}
    else:
        accepted_stages = {time_stage, signal_stage}
    stage_ok = stage in accepted_stages
    # cause
    if not visible:
        # Nothing abnormal on the images: "no lesion" is the right reading (domain.md 1.3).
        cause_credit = 1.0 if cause in ("none", true_cause) else 0.0
    else:
        cause_credit = _cause_credit(true_cause, cause)
    correct = {"stage": stage_ok, "cause": cause_credit == 1.0}
    score = (1.0 if stage_ok else 0.0) + cause_credit
    max_score = 2.0
    true_side = truth.get("side")
    if visible and true_side:
        side_ok = side == true_side
        correct["side"] = side_ok
        score += 1.0 if side_ok else 0.0
        max_score += 1.0

    # explanation
    affected = list(truth.get("affected", ()) or ())
    when = f" {days:g} days after onset" if isinstance(days, (int, float)) and days else ""
    if category == "normal":
        reading = "Correct reading: normal study; no muscle shows denervation change."
    elif not visible:
        if isinstance(days, (int, float)) and days < 14:
            why = "which is 'too early' (< 14 days, domain.md 1.4)"
        else:
            why = ("when the edema had not yet reached the STIR threshold; a denervated "
                   "muscle can look normal in the first weeks (Uetani 1993: T2 "
                   "hyperintensity from 15 days; domain.md 1.3)")
        reading = (f"Correct reading: no abnormal muscle signal yet. The truth is a lesion "
                   f"of the {anatomy.CAUSE_INFO[true_cause].display} imaged{when}, "
                   f"{why}.")
    else:
        display = anatomy.CAUSE_INFO[true_cause].display
        if category == "mimic" and "mimic" not in display:
            display += " (mimic)"
        reading = (f"Correct reading: {true_side} {display}, {signal_stage} on the images"
                   + (f" (time stage {time_stage},{when.strip() and ' ' + when.strip()})"
                      if category != "mimic" else f"{when}") + ".")
    if affected:
        lines.append(f"Abnormal muscles: {', '.join(anatomy.display_name(a) for a in affected)}.")
    if true_cause != "none":
        pattern = _pattern_text(true_cause)
        cite = "domain.md 9" if category == "mimic" else "domain.md 3.5"
        lines.append(f"Pattern of the true cause - {pattern}"
                     + ("." if cite in pattern else f" ({cite})."))
    if stage_ok:
        lines.append(f"Stage '{stage}': correct.")
    else:
        lines.append(f"Stage '{stage}': not what the images show; accepted "
                     f"{' or '.join(sorted(accepted_stages))}.")
    if category != "mimic" and visible and time_stage != signal_stage:
        lines.append(f"Note: time stage ({time_stage}) and signal stage ({signal_stage}) "
                     "differ; many subacute muscles keep a normal T1 (Uetani 1993: T1 normal "
                     "in 14/17), so both are accepted (domain.md 1.4).")
    if not visible and true_cause != "none":
        early = ("Under about 2 weeks" if isinstance(days, (int, float)) and days < 14
                 else "In the first weeks (human T2 hyperintensity from 15 days, Uetani 1993)")
        lines.append(f"{early} a denervated muscle can look normal on STIR and T1 "
                     "(domain.md 1.3); repeat imaging or EMG later if the clinical picture "
                     "persists.")
    if cause != true_cause and (visible or cause != "none"):
        if cause == "none":
            lines.append("Cause 'none': a lesion is visible, look again at STIR "
                         "(water T2 rises first) and T1 (fat rises later).")
        elif cause_credit == 0.5:
            lines.append(f"Cause '{cause}': half credit, overlapping pattern "
                         f"({_pattern_text(cause)}).")
        elif cause_credit == 0.0 and not (not visible and cause == "none"):
            lines.append(f"Cause '{cause}' would give a different pattern: "
                         f"{_pattern_text(cause)}.")
    if "side" in correct and not correct["side"]:
        lines.append(f"Side: the abnormal muscles are on the {true_side} "
                     "(radiological display: patient right is on screen left; domain.md 6).")
    return Feedback(score=float(score), max_score=float(max_score), correct=correct,
                    explanation="\n".join(lines), correct_reading=reading, answer=truth)


def grade(case: QuizCase, *, stage: str, cause: str, side: str | None = None) -> Feedback:
    """Grade a trainee's reading of a quiz case.

    Parameters
    ----------
    case : QuizCase
    stage : one of ``STAGES`` ('normal', 'acute', 'subacute', 'chronic')
    cause : one of ``anatomy.CAUSES`` (``'none'`` for a normal reading)
    side : {'left', 'right', 'both'} or None

    Returns
    -------
    Feedback
        Score, per-part correctness, explanation and the correct reading.
    """
    if not isinstance(case, QuizCase) or case.answer is None:
        msg = "`case` must be a QuizCase from make_quiz() (with its hidden answer)."
        raise InputError(msg)
    return grade_answer(case.answer, stage=stage, cause=cause, side=side)


# --------------------------------------------------------------------------------------
# ROI placement feedback
# --------------------------------------------------------------------------------------


def _normalise_label(name: str) -> tuple[str, str | None]:
    structure, side = anatomy.parse_name(str(name))
    return structure, side


def check_roi(case: QuizCase, roi_mask: Any, intended_label_name: str) -> RoiFeedback:
    """Compare a trainee's ROI with the phantom's anatomy labels.

    Parameters
    ----------
    case : QuizCase
        (Anything with ``labels`` and ``label_table`` works, e.g. a phantom Case.)
    roi_mask : ndarray of bool, shape (I, J, K)
        The ROI on the T1/label grid (a 2D ROI goes through ``roi.plane_to_volume``).
    intended_label_name : str
        The muscle meant, e.g. ``'gluteus_medius_right'`` or ``'right Gmed'``; the side
        comes from the name.

    Returns
    -------
    RoiFeedback
        Dice with the intended muscle, the label the ROI overlaps most, and whether it sits
        on the wrong side or in the wrong muscle.
    """
    labels = np.asarray(case.labels)
    table = {int(k): str(v) for k, v in case.label_table.items()}
    mask = np.asarray(roi_mask)
    if mask.dtype != bool:
        msg = (f"`roi_mask` must be boolean; got dtype {mask.dtype} "
               "(binarize with `roi_mask > 0`).")
        raise TypeError(msg)
    if mask.shape != labels.shape:
        msg = (f"`roi_mask` shape {mask.shape} does not match the case grid {labels.shape}; "
               "place 2D ROIs with mri_teach.roi.plane_to_volume.")
        raise InputError(msg)
    structure, side = _normalise_label(intended_label_name)
    matches = [v for v, n in table.items() if _normalise_label(n) == (structure, side)]
    if not matches:
        names = sorted({n for n in table.values()
                        if anatomy.parse_name(n)[0] in anatomy.MUSCLES})
        msg = (f"`intended_label_name` {intended_label_name!r} matches no label of this case "
               f"(with its side); use one of {', '.join(names[:6])}, ...")
        raise InputError(msg)
    intended = anatomy.label_name(structure, side)
    n_roi = int(mask.sum())
    target = np.isin(labels, matches)
    if n_roi:
        # Compare within the slices the ROI was drawn on: the slice axis is the one along
        # which the ROI spans the fewest indices (a 2D ROI: exactly one).
        idx = np.nonzero(mask)
        spans = [np.unique(i).size for i in idx]
        axis = int(np.argmin(spans))
        keep = np.zeros(labels.shape[axis], bool)
        keep[np.unique(idx[axis])] = True
        shape = [1, 1, 1]
        shape[axis] = -1
        target = target & keep.reshape(shape)
    inter = int((mask & target).sum())
    size = int(target.sum())
    dice = 2.0 * inter / (n_roi + size) if (n_roi + size) else 0.0
    inside = inter / n_roi if n_roi else 0.0
    coverage = inter / size if size else 0.0
    most, most_frac = None, 0.0
    if n_roi:
        values, counts = np.unique(labels[mask], return_counts=True)
        keep = values != 0
        if keep.any():
            values, counts = values[keep], counts[keep]
            i = int(np.argmax(counts))
            most = table.get(int(values[i]), f"label {int(values[i])}")
            most_frac = float(counts[i]) / n_roi
    wrong_side = wrong_muscle = False
    if most is not None and most_frac > inside:
        m_structure, m_side = _normalise_label(most)
        if m_structure == structure and m_side != side:
            wrong_side = True
        else:
            wrong_muscle = True
    if n_roi == 0:
        message = "The ROI is empty: draw it inside the muscle."
    elif wrong_side:
        message = (f"Wrong side: most of the ROI is in the {anatomy.display_name(most)}, not "
                   f"the {anatomy.display_name(intended)}. In radiological display patient "
                   "right is on screen LEFT (domain.md 6); check the R/L markers.")
    elif wrong_muscle:
        message = (f"Wrong structure: most of the ROI ({most_frac:.0%}) is in the "
                   f"{anatomy.display_name(most)}, not the {anatomy.display_name(intended)}.")
    elif inside >= 0.8:
        message = (f"Good placement: {inside:.0%} of the ROI is inside the "
                   f"{anatomy.display_name(intended)}; it covers {coverage:.0%} of the muscle "
                   f"on its slice(s) (Dice {dice:.2f}). A small ROI well inside the belly is "
                   "fine for a ratio.")
    else:
        message = (f"Only {inside:.0%} of the ROI is inside the {anatomy.display_name(intended)}; "
                   "keep the ROI inside the muscle belly, away from fat planes and fascia, or "
                   "the ratio mixes in fat.")
    return RoiFeedback(intended=intended, dice=float(dice), coverage=float(coverage),
                       inside_fraction=float(inside),
                       most_overlapped=most, most_overlapped_fraction=float(most_frac),
                       wrong_side=wrong_side, wrong_muscle=wrong_muscle, roi_voxels=n_roi,
                       message=message)


# --------------------------------------------------------------------------------------
# session
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionSummary:
    """Scores of a quiz session.

    Attributes
    ----------
    answered, total_cases : int
    score, max_score : float
    by_category : dict category -> (score, max_score)
    stage_correct, cause_correct, side_correct : int
        Counts of fully correct parts.
    """

    answered: int
    total_cases: int
    score: float
    max_score: float
    by_category: dict[str, tuple[float, float]]
    stage_correct: int
    cause_correct: int
    side_correct: int
    side_scored: int

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0

    def __str__(self) -> str:
        lines = [f"Answered {self.answered}/{self.total_cases} cases: score "
                 f"{self.score:g}/{self.max_score:g} ({self.percent:.0f}%)",
                 f"stage correct {self.stage_correct}/{self.answered}, cause correct "
                 f"{self.cause_correct}/{self.answered}, side correct "
                 f"{self.side_correct}/{self.side_scored}"]
        for cat, (s, m) in self.by_category.items():
            lines.append(f"  {cat}: {s:g}/{m:g}")
        return "\n".join(lines)


class QuizSession:
    """A sequence of quiz cases and the trainee's graded answers.

    Examples
    --------
    >>> s = QuizSession([])
    >>> s.summary().answered
    0
    """

    def __init__(self, cases: Sequence[QuizCase]):
        self.cases = list(cases)
        self._feedback: dict[int, Feedback] = {}

    @classmethod
    def new(cls, n: int = 5, *, seed: int = 0, **kwargs: Any) -> QuizSession:
        """A session over ``make_quiz(n, seed=seed, **kwargs)``."""
        return cls(make_quiz(n, seed=seed, **kwargs))

    def __len__(self) -> int:
        return len(self.cases)

    def _index(self, index: int) -> int:
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not (
                0 <= index < len(self.cases)):
            msg = f"`index` must be from 0 to {len(self.cases) - 1}; got {index!r}."
            raise InputError(msg)
        return int(index)

    def answer(self, index: int, *, stage: str, cause: str, side: str | None = None) -> Feedback:
        """Grade case `index` and record the result (a second answer replaces the first)."""
        i = self._index(index)
        fb = grade(self.cases[i], stage=stage, cause=cause, side=side)
        self._feedback[i] = fb
        return fb

    def feedback(self, index: int) -> Feedback | None:
        return self._feedback.get(self._index(index))

    @property
    def answered(self) -> list[int]:
        return sorted(self._feedback)

    def summary(self) -> SessionSummary:
        """Totals over the answered cases."""
        by_cat: dict[str, list[float]] = {}
        stage_ok = cause_ok = side_ok = side_n = 0
        score = max_score = 0.0
        for i, fb in sorted(self._feedback.items()):
            cat = self.cases[i].answer.category if self.cases[i].answer else "unknown"
            acc = by_cat.setdefault(cat, [0.0, 0.0])
            acc[0] += fb.score
            acc[1] += fb.max_score
            score += fb.score
            max_score += fb.max_score
            stage_ok += fb.correct["stage"]
            cause_ok += fb.correct["cause"]
            if "side" in fb.correct:
                side_n += 1
                side_ok += fb.correct["side"]
        return SessionSummary(
            answered=len(self._feedback), total_cases=len(self.cases), score=score,
            max_score=max_score, by_category={k: (v[0], v[1]) for k, v in by_cat.items()},
            stage_correct=stage_ok, cause_correct=cause_ok, side_correct=side_ok,
            side_scored=side_n)


# --------------------------------------------------------------------------------------
# educator export
# --------------------------------------------------------------------------------------

_README = """Quiz cases (synthetic pelvis MRI, for teaching; not patient data).

Each case_XX folder holds t1.nii.gz, stir.nii.gz (RAS+ NIfTI), labels.nii.gz (anatomy
labels: where each muscle is, not which is abnormal) and labels.json (label value -> name).
For each case report the stage (normal / acute / subacute / chronic), the cause and the side.
"""


def _nifti_bytes(data: np.ndarray, affine: np.ndarray) -> bytes:
    """Gzipped NIfTI-1 bytes with a neutral header (no free text, fixed gzip mtime)."""
    import nibabel as nib

    img = nib.Nifti1Image(data, np.asarray(affine, float))
    hdr = img.header
    hdr["descrip"] = b""
    hdr["aux_file"] = b""
    hdr["intent_name"] = b""
    hdr["db_name"] = b""
    img.set_qform(affine, code=1)
    img.set_sform(affine, code=1)
    raw = img.to_bytes()
    return gzip.compress(raw, compresslevel=6, mtime=0)


def _write_atomic(path: Path, payload: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _answer_key_md(key: dict[str, Any]) -> str:
    lines = [
        "# Quiz answer key (keep private; do not hand out with the case folders)", "",
        f"Seed {key['seed']}, {key['n']} cases. Stages: accepted are the time stage and the "
        "signal stage (domain.md 1.4).", "",
        "| case | cause | side | stage on images | time stage | days | field (T) |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in key["cases"]:
        a = c["answer"]
        lines.append(f"| {c['case']} | {a['cause']} | {a['side'] or '-'} | {a['signal_stage']} "
                     f"| {a['time_stage']} | {a['days']:g} | {a['field_t']:g} |")
    lines.append("")
    for c in key["cases"]:
        lines += [f"## {c['case']}", "", c["reading"], "", c["explanation"], ""]
    return "\n".join(lines)


def export_quiz(out_dir: Any, n: int = 10, *, seed: int = 0, overwrite: bool = False,
                mix: Mapping[str, float] | None = None, preset: str = "fast") -> Path:
    """Write a quiz set for a class: neutral case folders plus a separate answer key.

    Layout::

        out_dir/README.txt
        out_dir/case_01/{t1.nii.gz, stir.nii.gz, labels.nii.gz, labels.json}
        ...
        out_dir/answer_key.json, out_dir/answer_key.md     (keep these private)

    Case folders are numbered in a shuffled order unrelated to the answers; NIfTI headers
    carry no free text; gzip streams and file times carry no timestamps; the label files
    hold anatomy labels only. Everything is written to a temporary folder first and moved
    into place at the end, so a failure leaves nothing partial.

    Parameters
    ----------
    out_dir : path
        Must not exist or be empty, unless `overwrite` (then it must be an earlier quiz
        export, recognised by its ``answer_key.json``).
    n, seed, mix, preset
        As :func:`make_quiz`.
    overwrite : bool, default False

    Returns
    -------
    Path
        `out_dir`.
    """
    out = Path(out_dir)
    n = _check_n(n)
    seed = _check_seed(seed)
    if out.exists() and not out.is_dir():
        msg = f"{out}: exists and is not a folder; choose another --out."
        raise QuizExportError(msg)
    if out.is_dir() and any(out.iterdir()):
        if not overwrite:
            msg = f"{out}: folder is not empty; choose an empty folder or pass --overwrite."
            raise QuizExportError(msg)
        if not (out / "answer_key.json").is_file():
            msg = (f"{out}: not an earlier quiz export (no answer_key.json); refusing to "
                   "replace it even with --overwrite.")
            raise QuizExportError(msg)
    cases = make_quiz(n, seed=seed, mix=mix, preset=preset)
    # Folder numbers come from an independent shuffle, so the order says nothing.
    order = np.random.default_rng([seed, 0x5175]).permutation(len(cases))
    out.parent.mkdir(parents=True, exist_ok=True)
    staging_dir = Path(tempfile.mkdtemp(dir=out.parent, prefix=".quiz-tmp-"))
    width = max(2, len(str(n)))
    epoch = 946684800  # 2000-01-01: the same neutral time stamp on every file
    try:
        key_cases = []
        for number, i in enumerate(order, start=1):
            case = cases[int(i)]
            name = f"case_{number:0{width}d}"
            folder = staging_dir / name
            folder.mkdir()
            _write_atomic(folder / "t1.nii.gz", _nifti_bytes(case.t1, case.affine))
            _write_atomic(folder / "stir.nii.gz", _nifti_bytes(case.stir, case.stir_affine))
            _write_atomic(folder / "labels.nii.gz",
                          _nifti_bytes(case.labels.astype(np.int16), case.affine))
            table = {str(k): v for k, v in sorted(case.label_table.items())}
            _write_atomic(folder / "labels.json",
                          (json.dumps(table, indent=1, sort_keys=True) + "\n").encode())
            fb = grade(case, stage=case.answer.signal_stage, cause=case.answer.cause,
                       side=case.answer.side)
            key_cases.append({"case": name, "answer": case.answer.to_dict(),
                              "reading": fb.correct_reading, "explanation": fb.explanation})
        key = {"seed": seed, "n": n, "preset": preset, "stages": list(STAGES),
               "causes": list(anatomy.CAUSES), "cases": key_cases}
        _write_atomic(staging_dir / "answer_key.json",
                      (json.dumps(key, indent=1) + "\n").encode())
        _write_atomic(staging_dir / "answer_key.md", _answer_key_md(key).encode())
        _write_atomic(staging_dir / "README.txt", _README.encode())
        for root, dirs, files in os.walk(staging_dir):
            for f in files + dirs:
                os.utime(Path(root) / f, (epoch, epoch))
        os.chmod(staging_dir, 0o755)
        replace_dir(staging_dir, out)
    finally:
        if staging_dir.exists():
            shutil.rmtree(staging_dir, ignore_errors=True)
    return out


# --------------------------------------------------------------------------------------
# notebook front end
# --------------------------------------------------------------------------------------


def quiz_widget(session: QuizSession | Sequence[QuizCase], *, plane: str = "axial"):
    """An ipywidgets front end: images, answer pickers, grading and a running score.

    Parameters
    ----------
    session : QuizSession or list of QuizCase
    plane : {'axial', 'coronal'}, default 'axial'

    Returns
    -------
    ipywidgets.VBox
        With attributes ``session``, ``stage``, ``cause``, ``side`` (Dropdowns),
        ``submit`` and ``next`` (Buttons), ``feedback`` and ``score`` (HTML) and
        ``figure_out`` (Output) for scripted use.
    """
    from mri_teach._optional import require

    widgets = require("ipywidgets", extra="notebook")
    if not isinstance(session, QuizSession):
        session = QuizSession(list(session))
    if not len(session):
        msg = "`session` has no cases; build one with make_quiz(n, seed=...)."
        raise InputError(msg)
    import html

    state = {"index": 0}
    title = widgets.HTML()
    figure_out = widgets.Output()
    stage_w = widgets.Dropdown(options=list(STAGES), value="normal", description="Stage")
    cause_w = widgets.Dropdown(options=list(anatomy.CAUSES), value="none", description="Cause")
    side_w = widgets.Dropdown(options=[("no side", None), ("right", "right"), ("left", "left"),
                                       ("both", "both")], value=None, description="Side")
    submit = widgets.Button(description="Submit", button_style="primary")
    nxt = widgets.Button(description="Next case")
    feedback = widgets.HTML()
    score = widgets.HTML()

    def draw(reveal: bool) -> None:
        import matplotlib.pyplot as plt

        fig = show_case(session.cases[state["index"]], plane=plane, reveal=reveal)
        # Fill the Output widget directly rather than capturing output in a `with` block:
        # it works the same in JupyterLab, in headless runs and in other front ends.
        import io as _io

        from IPython.display import Image

        buf = _io.BytesIO()
        fig.savefig(buf, format="png", dpi=100)
        plt.close(fig)
        figure_out.outputs = ()
        figure_out.append_display_data(Image(data=buf.getvalue(), format="png"))

    def show() -> None:
        case = session.cases[state["index"]]
        title.value = (f"<b>Case {case.case_id}</b> ({state['index'] + 1}/{len(session)}), "
                       f"{case.field_t:g} T")
        feedback.value = ""
        draw(False)

    def on_submit(_=None) -> None:
        fb = session.answer(state["index"], stage=stage_w.value, cause=cause_w.value,
                            side=side_w.value)
        colour = "green" if fb.fraction == 1 else ("orange" if fb.score else "red")
        feedback.value = (f"<p style='color:{colour}'><b>Score {fb.score:g}/{fb.max_score:g}"
                          f"</b></p><p>{html.escape(fb.correct_reading)}</p><pre>"
                          f"{html.escape(fb.explanation)}</pre>")
        score.value = f"<pre>{html.escape(str(session.summary()))}</pre>"
        draw(True)

    def on_next(_=None) -> None:
        state["index"] = (state["index"] + 1) % len(session)
        show()

    submit.on_click(on_submit)
    nxt.on_click(on_next)
    show()
    box = widgets.VBox([title, figure_out, widgets.HBox([stage_w, cause_w, side_w]),
                        widgets.HBox([submit, nxt]), feedback, score])
    box.session = session
    box.stage, box.cause, box.side = stage_w, cause_w, side_w
    box.submit, box.next, box.feedback, box.score = submit, nxt, feedback, score
    box.figure_out = figure_out
    box.show_case = show
    return box


def show_case(case: QuizCase, *, plane: str = "axial", index: int | None = None,
              reveal: bool = False):
    """T1 and STIR of a quiz case side by side (radiological, R/L markers, locked windows).

    Parameters
    ----------
    case : QuizCase
    plane : {'axial', 'coronal'}, default 'axial'
    index : int, optional
        Slice; default the largest gluteus medius cross-section (from the anatomy labels).
    reveal : bool, default False
        Outline the truly abnormal muscles (after grading).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    from mri_teach import orientation, viz

    if not isinstance(case, QuizCase):
        msg = "`case` must be a QuizCase from make_quiz()."
        raise InputError(msg)
    if index is None:
        index = case.best_slice("gluteus_medius", plane)
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), constrained_layout=True)
    for ax, data, name in ((axes[0], case.t1, "T1"), (axes[1], case.stir_on_t1, "STIR")):
        window = viz.window_from_percentiles(data[np.isfinite(data)])
        viz.show_plane(ax, data, plane, index, window, voxel_size_mm=case.voxel_size_mm)
        title = f"{case.case_id} {name} ({plane} {index})"
        if reveal and case.answer is not None and case.answer.affected:
            viz.draw_label_outlines(ax, orientation.plane_slice(case.labels, plane, index),
                                    case.label_table, names=list(case.answer.affected))
            title += " - abnormal muscles outlined"
        ax.set_title(title, fontsize=9)
    return fig
