"""Denervation staging, side decision, nerve-pattern inference and follow-up (layer L4).

The rules are data (:class:`RuleSet`, defaults = the teaching defaults of domain.md 1.4, each
with its basis) and every result carries the numbers and the sentences that justify it.

How :func:`analyze` decides
---------------------------
1. Statistics (:mod:`mri_teach.stats`) of every muscle label on T1 and STIR, in one pass per
   sequence. Labels reach each image through world coordinates (nearest neighbour onto the
   T1 grid; STIR by default on its **native grid** (``stir_grid="native"``: the labels are
   mapped onto the STIR voxels, no intensity interpolation), or ``stir_grid="t1"`` (the STIR
   resampled trilinearly onto the T1 grid). The choice is reported as ``stir_grid``.
2. Ratios (domain.md 2.1): SIR = ROI mean / reference mean on the same sequence. The
   reference is the contralateral homologous muscle by default, or one user-chosen ROI.
   An ipsilateral reference outside the muscle's nerve territory
   (:func:`mri_teach.anatomy.reference_muscles`; the median of the first three labelled
   ones, so one fatty reference does not decide) is **always** computed too, because
   bilateral disease gives contralateral ratios near 1. Volume ratio = matched coverage
   (sum of cross-sectional areas over axial slices where both sides are drawn, domain.md 2.5).
3. Contralateral ratios are reciprocal, so the abnormal member of each pair is decided from
   the pair as a whole (domain.md 1.4): abnormal = brighter on STIR and/or T1, or smaller. A
   fatty-atrophic muscle (T1 brighter and/or smaller) makes its healthy partner look bright
   on STIR (fat is nulled on STIR); that partner is called normal, with the reason given.
   When both members of a pair are abnormal against their ipsilateral references while
   their mutual ratio is near 1, the pair is bilateral and is staged on the ipsilateral
   ratios. A muscle brighter on STIR *and* darker on T1 (T1 SIR < ``1 / t1_mild``) than its
   reference says the reference is fatty, not that the muscle is edematous
   (:func:`_fatty_reference`). When most muscles of both sides are fatty alike, the lean
   ones become the reference and the fatty ones (symmetric, no edema, several territories)
   are affected: the disuse pattern of domain.md 9(b), staged chronic (its volume loss
   cannot be measured against a partner that shares it).
4. Per-muscle stage by signal (:func:`stage_muscle`): normal / acute / subacute / chronic.
5. Pattern -> cause (:func:`infer_pattern`): candidates from domain.md 3.5 and mimics from
   domain.md 9 are ranked by how well the affected muscles match each territory; each lists
   the muscles that support and contradict it. Only labelled muscles count.
6. Real images (domain.md 1.4, issue item 8): a shading check compares the two sides of the
   muscles outside the candidate territory; more than ``shading_tolerance`` (10 %) difference
   gives a warning and lowers the confidence. When nothing meets a threshold, muscles in
   the upper half of the way to a threshold are reported as near-threshold findings, not as
   shading. Robust statistics (``robust=True``:
   ``*_sir_robust`` = ratio of means after excluding voxels more than 3 scaled MADs from
   the ROI median (vessels, fat streaks), used for staging; ``*_sir_median`` = ratio of
   the medians of the kept voxels, for comparison), in-plane rim exclusion (``rim=True``)
   and bias-field correction
   (``bias_correct="poly"|"n4"``) are opt-in and reported under their own keys.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields

import numpy as np

from mri_teach import anatomy, stats
from mri_teach._validation import InputError, check_choice
from mri_teach.orientation import resample_to_grid

__all__ = [
    "STAGES",
    "RuleSet",
    "DEFAULT_RULES",
    "RULE_BASIS",
    "StageResult",
    "stage_muscle",
    "MuscleResult",
    "Candidate",
    "Pattern",
    "Analysis",
    "analyze",
    "infer_pattern",
    "compare",
    "Comparison",
    "REFERENCE_ONLY_MUSCLES",
]

STAGES = ("normal", "acute", "subacute", "chronic")
_STAGE_ORDER = {s: i for i, s in enumerate(STAGES)}

#: Structures that are muscles for this tool but not in :data:`anatomy.MUSCLES`: TotalSegmentator
#: segments iliacus and psoas together as ``iliopsoas`` (domain.md 7); usable as a reference
#: outside the gluteal territories (femoral + lumbar plexus).
REFERENCE_ONLY_MUSCLES = {"iliopsoas": ("femoral", "lumbar_plexus")}
_PARASPINAL = ("multifidus", "erector_spinae")
#: ipsilateral references outside the territory whose median is the ipsilateral reference
_N_IPSI_REFS = 3


@dataclass(frozen=True)
class RuleSet:
    """Staging thresholds (teaching defaults of domain.md 1.4; shading from issue item 8).

    Every field is a setting; :data:`RULE_BASIS` gives the basis of each default.

    Examples
    --------
    >>> DEFAULT_RULES.stir_abnormal, DEFAULT_RULES.t1_marked
    (1.15, 1.35)
    >>> RuleSet(stir_abnormal=1.2).stir_abnormal
    1.2
    """

    stir_abnormal: float = 1.15
    t1_mild: float = 1.10
    t1_marked: float = 1.35
    atrophy: float = 0.85
    enlarged: float = 1.0
    shading_tolerance: float = 0.10
    too_early_days: float = 14.0
    reinnervation_fraction: float = 0.5

    def basis(self, name: str) -> str:
        """Basis of the default of setting `name`."""
        return RULE_BASIS[name]

    def to_dict(self) -> dict:
        """Settings with their values and basis."""
        return {f.name: {"value": getattr(self, f.name), "basis": RULE_BASIS[f.name]}
                for f in fields(self)}


RULE_BASIS = {
    "stir_abnormal": "domain.md 1.4 teaching default: below Viddeleer's lowest 1-month SIR (1.18)",
    "t1_mild": "domain.md 1.4 teaching default: ~Goutallier 1 (fatty streaks); Eurorad SGN case",
    "t1_marked": "domain.md 1.4 teaching default: ~Goutallier >= 2",
    "atrophy": "domain.md 1.4 teaching default: no published cut-off (domain.md 2.5)",
    "enlarged": "domain.md 9(a): TFL hypertrophy with abductor tears (Sutter 2013); volume "
                "ratio above 1",
    "shading_tolerance": "issue item 8: real normal pelves gave L/R ratios 0.79-0.98 "
                         "(domain.md 1.4); about 10 % flags shading",
    "too_early_days": "domain.md 1.3: under ~2 weeks a denervated muscle may look normal "
                      "(Uetani 1993: T2 change from 15 days)",
    "reinnervation_fraction": "domain.md 1.2: a fall of the STIR SIR by 50 % of its initial "
                              "rise predicted good recovery (Viddeleer 2016)",
}

DEFAULT_RULES = RuleSet()

_CAVEAT_SIGNAL_TIME = (
    "signal stage is not time stage: a subacute muscle may still have a normal T1 (Uetani "
    "1993: T1 normal in 14/17), so 'acute' by signal can be weeks to months after onset "
    "(domain.md 1.4)"
)
_CAVEAT_TOO_EARLY = (
    "if symptoms began less than about 2 weeks ago, a denervated muscle can still look normal "
    "(Uetani 1993: T2 hyperintensity from 15 days; domain.md 1.3), so a normal or "
    "near-threshold study that early does not exclude denervation"
)
_CAVEAT_FAT_NO_EDEMA = (
    "fat without edema: disuse or end stage (end-stage denervation, or a mimic such as "
    "disuse atrophy or a chronic tendon tear; domain.md 1.3, 9(a), 9(b))"
)


def _fmt(x: float) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x:.2f}"


def _finite(x) -> bool:
    return x is not None and isinstance(x, (int, float)) and math.isfinite(x)


@dataclass(frozen=True)
class StageResult:
    """Stage of one muscle by signal, with the flags and sentences behind it."""

    stage: str
    reasons: tuple[str, ...]
    edema: bool = False
    t1_change: str = "none"  # none / mild / marked / n/a
    atrophy: bool = False


def stage_muscle(t1_sir: float, stir_sir: float, volume_ratio: float = math.nan,
                 rules: RuleSet = DEFAULT_RULES) -> StageResult:
    """Stage one muscle from its ratios by the signal rules of domain.md 1.4.

    normal; acute = STIR abnormal with T1 below the mild band; subacute = STIR abnormal with
    mild T1 change; chronic = marked T1 change, or mild T1 change with atrophy (STIR either
    way).

    Examples
    --------
    >>> stage_muscle(1.0, 1.3).stage
    'acute'
    >>> stage_muscle(1.2, 1.3).stage
    'subacute'
    >>> stage_muscle(1.4, 1.0).stage
    'chronic'
    >>> stage_muscle(1.2, 1.0, 0.8).stage
    'chronic'
    >>> r = stage_muscle(1.02, 1.05)
    >>> r.stage, r.reasons[0]
    ('normal', 'STIR SIR 1.05 < 1.15: no edema-like signal')
    """
    reasons: list[str] = []
    edema = _finite(stir_sir) and stir_sir >= rules.stir_abnormal
    if not _finite(stir_sir):
        reasons.append("STIR SIR not available")
    elif edema:
        reasons.append(f"STIR SIR {_fmt(stir_sir)} >= {rules.stir_abnormal}: edema-like signal")
    else:
        reasons.append(f"STIR SIR {_fmt(stir_sir)} < {rules.stir_abnormal}: no edema-like signal")
    if not _finite(t1_sir):
        t1 = "n/a"
        reasons.append("T1 SIR not available")
    elif t1_sir >= rules.t1_marked:
        t1 = "marked"
        reasons.append(f"T1 SIR {_fmt(t1_sir)} >= {rules.t1_marked}: marked fatty change")
    elif t1_sir >= rules.t1_mild:
        t1 = "mild"
        reasons.append(f"T1 SIR {_fmt(t1_sir)} in [{rules.t1_mild}, {rules.t1_marked}): mild "
                       "fatty change")
    else:
        t1 = "none"
        reasons.append(f"T1 SIR {_fmt(t1_sir)} < {rules.t1_mild}: no fatty change")
    atrophy = _finite(volume_ratio) and volume_ratio <= rules.atrophy
    if atrophy:
        reasons.append(f"volume ratio {_fmt(volume_ratio)} <= {rules.atrophy}: atrophy")
    elif _finite(volume_ratio):
        reasons.append(f"volume ratio {_fmt(volume_ratio)} > {rules.atrophy}: no atrophy")
    if t1 == "marked" or (t1 == "mild" and atrophy):
        stage = "chronic"
        reasons.append("chronic: marked T1 change, or mild T1 change with atrophy "
                       "(domain.md 1.4)")
        if not edema:
            reasons.append(_CAVEAT_FAT_NO_EDEMA)
    elif edema and t1 == "mild":
        stage = "subacute"
        reasons.append("subacute: STIR abnormal with mild T1 change (domain.md 1.4)")
    elif edema:
        stage = "acute"
        reasons.append("acute: STIR abnormal, T1 normal (domain.md 1.4)")
        reasons.append(_CAVEAT_SIGNAL_TIME)
    else:
        stage = "normal"
        if t1 == "mild":
            reasons.append("mild T1 change alone, without edema or atrophy, does not meet a "
                           "denervation stage (fatty streaks; age, disuse)")
        if atrophy:
            reasons.append("smaller than its partner without signal change: not staged as "
                           "denervation; compare with the partner and the history")
    return StageResult(stage, tuple(reasons), bool(edema), t1, bool(atrophy))


# --- records -------------------------------------------------------------------------------


@dataclass
class MuscleResult:
    """One muscle ROI: statistics, ratios, stage and reasons (the CLI JSON keys first)."""

    name: str
    muscle: str
    side: str | None
    voxels: int
    volume_ml: float
    t1_mean: float
    stir_mean: float
    t1_sir: float
    stir_sir: float
    volume_ratio: float
    reference: str | None
    stage: str
    reasons: list[str]
    label: int = 0
    t1_median: float = math.nan
    stir_median: float = math.nan
    t1_sd: float = math.nan
    stir_sd: float = math.nan
    partner: str | None = None
    volume_slices: int = 0
    ipsilateral_reference: str | None = None
    t1_sir_ipsilateral: float = math.nan
    stir_sir_ipsilateral: float = math.nan
    t1_sir_robust: float | None = None
    stir_sir_robust: float | None = None
    t1_sir_median: float | None = None
    stir_sir_median: float | None = None
    ratios_used: str = "contralateral"
    role: str = "normal"  # affected / partner / normal / unassessable
    edema: bool = False
    t1_change: str = "none"
    atrophy: bool = False

    def to_dict(self) -> dict:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class Candidate:
    """One ranked candidate cause with its evidence."""

    cause: str
    side: str
    score: float
    kind: str
    supporting: tuple[str, ...]
    contradicting: tuple[str, ...]
    not_labelled: tuple[str, ...]
    note: str

    def to_dict(self) -> dict:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class Pattern:
    """The whole-study pattern: side, affected muscles, most likely cause, stage."""

    side: str
    affected: tuple[str, ...]
    nerve: str
    candidates: tuple[Candidate, ...]
    stage: str
    confidence: str = "high"
    caveats: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"side": self.side, "affected": list(self.affected), "nerve": self.nerve,
                "candidates": [c.to_dict() for c in self.candidates], "stage": self.stage,
                "confidence": self.confidence, "caveats": list(self.caveats)}


@dataclass
class Analysis:
    """Result of :func:`analyze`; :meth:`to_dict` is the ``mri-teach analyze --json`` object."""

    muscles: list[MuscleResult]
    pattern: Pattern
    warnings: list[str]
    notes: list[str] = field(default_factory=list)
    stir_grid: str = "native"
    settings: dict = field(default_factory=dict)

    def muscle(self, name: str) -> MuscleResult:
        """The result of label `name` (compared after :func:`anatomy.parse_name`)."""
        target = anatomy.parse_name(name)
        for m in self.muscles:
            if m.name == name or (m.muscle, m.side) == target:
                return m
        raise KeyError(name)

    def to_dict(self) -> dict:
        return {
            "muscles": [m.to_dict() for m in self.muscles],
            "pattern": self.pattern.to_dict(),
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "stir_grid": self.stir_grid,
            "settings": _jsonable(self.settings),
        }


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        x = float(obj)
        return x if math.isfinite(x) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


# --- helpers -------------------------------------------------------------------------------


def _is_muscle(structure: str) -> bool:
    return structure in anatomy.MUSCLES or structure in REFERENCE_ONLY_MUSCLES


def _home_cause(structure: str) -> str:
    """The most specific nerve cause whose territory includes `structure`."""
    for cause in ("superior_gluteal", "inferior_gluteal", "sciatic", "femoral", "obturator",
                  "sacral_plexus", "l5_root"):
        if structure in anatomy.LESION_MUSCLES[cause]:
            return cause
    return "none"


def _ipsilateral_refs(structure: str) -> tuple[str, ...]:
    cause = _home_cause(structure)
    refs = list(anatomy.reference_muscles(cause))
    territory = anatomy.LESION_MUSCLES.get(cause, frozenset())
    if "iliacus" not in territory and "psoas" not in territory:
        refs.insert(0, "iliopsoas")
    return tuple(r for r in refs if r != structure)


def _voxel_ml(affine) -> float:
    return abs(float(np.linalg.det(np.asarray(affine, float)[:3, :3]))) / 1000.0


def _as_arrays(img, role: str):
    data = getattr(img, "data", None)
    aff = getattr(img, "affine", None)
    if data is None or aff is None:
        if isinstance(img, tuple) and len(img) == 2:
            data, aff = img
        else:
            msg = f"`{role}` must be a Volume (data + affine) or a (data, affine) tuple."
            raise InputError(msg)
    data = np.asarray(data)
    if data.ndim != 3:
        msg = f"`{role}` must be 3D; got shape {data.shape}."
        raise InputError(msg)
    return data, np.asarray(aff, float)


# --- analysis ------------------------------------------------------------------------------


def _keep_thin_rois(lab_stir, lab_data, lab_aff, stir_aff, values):
    """Give ROIs that vanish on the STIR grid the STIR voxels containing their voxels.

    Nearest-neighbour mapping samples the label map at STIR voxel centres, so an ROI drawn
    on one thin T1 slice that lies between two STIR slice centres gets no STIR voxel at all.
    Such ROIs are mapped forwards instead (each label voxel centre -> the STIR voxel it falls
    in), without overwriting other labels. Returns the (copied if changed) map and the
    values rescued.
    """
    if lab_stir is lab_data:
        return lab_stir, []
    present = np.bincount(lab_stir.ravel().astype(np.int64), minlength=max(values, default=0) + 1)
    missing = [v for v in values if v < present.size and present[v] == 0]
    missing = [v for v in missing if np.any(lab_data == v)]
    if not missing:
        return lab_stir, []
    out = lab_stir.copy()
    to_stir = np.linalg.inv(np.asarray(stir_aff, float)) @ np.asarray(lab_aff, float)
    rescued = []
    for v in missing:
        ijk = np.array(np.nonzero(lab_data == v), float)
        q = np.rint(to_stir[:3, :3] @ ijk + to_stir[:3, 3:4]).astype(np.intp)
        ok = np.all((q >= 0) & (q < np.array(out.shape)[:, None]), axis=0)
        if not ok.any():
            continue  # truly outside the STIR field of view
        q = q[:, ok]
        free = out[q[0], q[1], q[2]] == 0
        if free.any():
            out[q[0][free], q[1][free], q[2][free]] = v
            rescued.append(v)
    return out, rescued


def analyze(t1, stir, labels, *, reference: str = "contralateral",
            rules: RuleSet = DEFAULT_RULES, robust: bool = False, rim: bool = False,
            bias_correct: str | None = None, stir_grid: str = "native",
            table: dict | None = None) -> Analysis:
    """Measure, stage and interpret the muscle ROIs of one T1 + STIR study.

    Parameters
    ----------
    t1, stir : Volume or (data, affine)
        RAS+ images, each on its own grid (any orientation once loaded by :mod:`mri_teach.io`).
    labels : LabelMap or (data, affine)
        Label map on its own grid; its ``table`` names the labels (or pass `table`).
    reference : ``'contralateral'`` or a label name
        Reference ROI of the SIRs; a named ROI overrides the contralateral default.
    robust : bool
        Also compute SIRs after MAD-based outlier exclusion (``*_sir_robust``, used for
        staging) and median-based SIRs (``*_sir_median``).
    rim : bool
        Drop the in-plane 1-voxel rim of every ROI before measuring.
    bias_correct : None, ``'poly'`` or ``'n4'``
        Divide each image by a shading estimate fitted on the muscle voxels first.
    stir_grid : ``'native'`` or ``'t1'``
        Where STIR statistics are computed (see the module docstring).

    Returns
    -------
    Analysis
    """
    check_choice(stir_grid, ("native", "t1"), name="stir_grid")
    if bias_correct is not None:
        check_choice(bias_correct, stats.BIAS_METHODS, name="bias_correct")
    t1_data, t1_aff = _as_arrays(t1, "t1")
    stir_data, stir_aff = _as_arrays(stir, "stir")
    if hasattr(labels, "data") and hasattr(labels, "affine"):
        lab_data, lab_aff = np.asarray(labels.data), np.asarray(labels.affine, float)
        names = dict(table if table is not None else getattr(labels, "table", {}) or {})
    else:
        lab_data, lab_aff = _as_arrays(labels, "labels")
        names = dict(table or {})
    lab_data = np.asarray(lab_data)
    if not np.issubdtype(lab_data.dtype, np.integer):
        lab_data = np.rint(lab_data).astype(np.int32)
    warnings_: list[str] = []
    notes: list[str] = []

    # --- which labels are muscles -------------------------------------------------------
    all_boxes = stats.label_boxes(lab_data)  # one pass; also gives the values present
    present = set(all_boxes)
    unnamed = sorted(present - set(names))
    if unnamed:
        shown = ", ".join(str(v) for v in unnamed[:10]) + (" ..." if len(unnamed) > 10 else "")
        warnings_.append(f"label values not in the label table were ignored: {shown}")
    muscle_table: dict[int, str] = {}
    parsed: dict[int, tuple[str, str | None]] = {}
    ignored: list[str] = []
    for value, name in sorted(names.items()):
        structure, side = anatomy.parse_name(name)
        if not _is_muscle(structure):
            ignored.append(name)
            continue
        muscle_table[value] = name
        parsed[value] = (structure, side)
    if ignored:
        notes.append("labels outside the muscle table were ignored: " + ", ".join(ignored))
    by_key: dict[tuple[str, str | None], int] = {}
    for value, key in parsed.items():
        if key in by_key:
            warnings_.append(f"two labels are named {muscle_table[value]!r} "
                             f"({by_key[key]} and {value}); the first is used as reference")
            continue
        by_key[key] = value

    # --- statistics ---------------------------------------------------------------------
    lab_t1 = stats.labels_on_grid(lab_data, lab_aff, t1_data.shape, t1_aff)
    if stir_grid == "native":
        lab_stir = stats.labels_on_grid(lab_data, lab_aff, stir_data.shape, stir_aff)
        lab_stir, thin = _keep_thin_rois(lab_stir, lab_data, lab_aff, stir_aff,
                                         list(muscle_table))
        for value in thin:
            notes.append(f"ROI {muscle_table[value]!r} is thinner than a STIR slice and holds "
                         "no STIR voxel centre; its STIR values come from the STIR voxels "
                         "that contain it")
        stir_img, stir_img_aff = stir_data, stir_aff
    else:
        lab_stir = lab_t1
        stir_img = resample_to_grid(stir_data, stir_aff, t1_data.shape, t1_aff, order=1)
        stir_img_aff = t1_aff
    mus_values = list(muscle_table)
    if bias_correct is not None:
        only_mus_t1 = np.where(np.isin(lab_t1, mus_values), lab_t1, 0)
        only_mus_st = np.where(np.isin(lab_stir, mus_values), lab_stir, 0)
        t1_data = t1_data / stats.bias_field(t1_data, only_mus_t1, affine=t1_aff,
                                             method=bias_correct)
        stir_img = stir_img / stats.bias_field(stir_img, only_mus_st, affine=stir_img_aff,
                                               method=bias_correct)
        notes.append(f"bias-field correction '{bias_correct}' applied to T1 and STIR "
                     "(fitted on the muscle voxels)")
    # one pass over each distinct label grid for the bounding boxes, reused below
    boxes_lab = {v: all_boxes[v] for v in mus_values if v in all_boxes}
    boxes_t1 = boxes_lab if lab_t1 is lab_data else stats.label_boxes(lab_t1, mus_values)
    boxes_st = boxes_t1 if lab_stir is lab_t1 else (
        boxes_lab if lab_stir is lab_data else stats.label_boxes(lab_stir, mus_values))
    # medians cost a partition per ROI: computed with `robust` (where they are used)
    kw = dict(table=muscle_table, rim=rim, robust=robust, percentiles=robust)
    s_t1 = stats.label_stats(t1_data, lab_t1, voxel_volume_ml=_voxel_ml(t1_aff),
                             boxes=boxes_t1, **kw)
    s_st = stats.label_stats(stir_img, lab_stir, voxel_volume_ml=_voxel_ml(stir_img_aff),
                             boxes=boxes_st, **kw)
    lab_counts = stats.label_counts(lab_data, mus_values, boxes=boxes_lab)
    lab_vml = _voxel_ml(lab_aff)
    areas = stats.slice_areas(lab_data, values=mus_values, boxes=boxes_lab) \
        if mus_values else {}
    if mus_values and all(s_t1[v].voxels == 0 for v in mus_values if lab_counts[v] > 0) \
            and any(lab_counts[v] > 0 for v in mus_values):
        warnings_.append("the labels do not overlap the T1 image: check that the label map "
                         "belongs to these images (they meet through world coordinates)")

    def mean_of(s, value):
        r = s.get(value)
        return math.nan if r is None else r.mean

    def robust_of(s, value, key="robust_mean"):
        r = s.get(value)
        return math.nan if r is None else getattr(r, key)

    results: dict[int, MuscleResult] = {}
    for value, name in muscle_table.items():
        structure, side = parsed[value]
        n_lab = lab_counts[value]
        r1, r2 = s_t1[value], s_st[value]
        res = MuscleResult(
            name=name, muscle=structure, side=side, voxels=n_lab,
            volume_ml=n_lab * lab_vml, t1_mean=r1.mean, stir_mean=r2.mean, t1_sir=math.nan,
            stir_sir=math.nan, volume_ratio=math.nan, reference=None, stage="normal",
            reasons=[], label=value, t1_median=r1.median, stir_median=r2.median,
            t1_sd=r1.sd, stir_sd=r2.sd,
        )
        if n_lab == 0:
            warnings_.append(f"ROI {name!r} has no voxels; it is listed but not assessed")
            res.role = "unassessable"
        elif r1.valid == 0 or r2.valid == 0:
            which = "T1" if r1.valid == 0 else "STIR"
            warnings_.append(f"ROI {name!r} lies outside the {which} field of view; "
                             "not assessed")
            res.role = "unassessable"
        if side is None and structure not in REFERENCE_ONLY_MUSCLES:
            warnings_.append(f"ROI {name!r} has no side in its name (add _left/_right); no "
                             "contralateral ratio")
        results[value] = res

    # --- references ---------------------------------------------------------------------
    user_ref_value = None
    if reference != "contralateral":
        user_ref_value = by_key.get(anatomy.parse_name(reference))
        if user_ref_value is None:
            for v, n in names.items():
                if n == reference:
                    user_ref_value = v
        if user_ref_value is None or results.get(user_ref_value, None) is None or \
                results[user_ref_value].role == "unassessable":
            warnings_.append(f"reference ROI {reference!r} is missing or empty; the "
                             "contralateral muscle is used instead")
            user_ref_value = None

    for value, res in results.items():
        if res.role == "unassessable":
            continue
        structure, side = parsed[value]
        # contralateral partner
        partner = by_key.get((structure, anatomy.opposite_side(side))) if side else None
        if partner is not None and results[partner].role != "unassessable":
            res.partner = results[partner].name
            res.volume_ratio, res.volume_slices = stats.matched_volume_ratio(
                lab_data, value, partner, areas=areas)
            if res.volume_slices == 0:
                warnings_.append(f"ROI {res.name!r} and its partner share no axial slice; "
                                 "no matched volume ratio")
        # ipsilateral reference outside the territory: the median of up to
        # _N_IPSI_REFS muscles, so one reference that is itself fatty (or edematous) does not
        # make a healthy muscle look abnormal
        refs = []
        for ref in _ipsilateral_refs(structure):
            rv = by_key.get((ref, side)) or (by_key.get((ref, None)) if ref in
                                             REFERENCE_ONLY_MUSCLES else None)
            if rv is not None and rv != value and results[rv].role != "unassessable":
                refs.append(results[rv])
            if len(refs) == _N_IPSI_REFS:
                break
        if refs:
            res.ipsilateral_reference = refs[0].name if len(refs) == 1 else \
                "median of " + ", ".join(r.name for r in refs)
            res.t1_sir_ipsilateral = stats.signal_ratio(
                res.t1_mean, float(np.median([r.t1_mean for r in refs])))
            res.stir_sir_ipsilateral = stats.signal_ratio(
                res.stir_mean, float(np.median([r.stir_mean for r in refs])))
        # the reference used for the reported SIRs
        ref_value = user_ref_value if user_ref_value is not None else partner
        if ref_value is not None and ref_value != value and \
                results[ref_value].role != "unassessable":
            ref_res = results[ref_value]
            res.reference = ref_res.name
            res.ratios_used = "user reference" if user_ref_value is not None else \
                "contralateral"
            res.t1_sir = stats.signal_ratio(res.t1_mean, ref_res.t1_mean)
            res.stir_sir = stats.signal_ratio(res.stir_mean, ref_res.stir_mean)
            if robust:
                res.t1_sir_robust = stats.signal_ratio(robust_of(s_t1, value),
                                                       robust_of(s_t1, ref_value))
                res.stir_sir_robust = stats.signal_ratio(robust_of(s_st, value),
                                                         robust_of(s_st, ref_value))
                res.t1_sir_median = stats.signal_ratio(
                    robust_of(s_t1, value, "robust_median"),
                    robust_of(s_t1, ref_value, "robust_median"))
                res.stir_sir_median = stats.signal_ratio(
                    robust_of(s_st, value, "robust_median"),
                    robust_of(s_st, ref_value, "robust_median"))
        elif res.ipsilateral_reference is not None:
            res.reference = res.ipsilateral_reference
            res.ratios_used = "ipsilateral"
            res.t1_sir, res.stir_sir = res.t1_sir_ipsilateral, res.stir_sir_ipsilateral
            if side is not None and structure not in REFERENCE_ONLY_MUSCLES:
                notes.append(f"{res.name}: no contralateral partner; ratios use the "
                             f"ipsilateral reference {res.ipsilateral_reference}")
        elif structure not in REFERENCE_ONLY_MUSCLES:
            warnings_.append(f"ROI {res.name!r} has no usable reference (no partner and no "
                             "ipsilateral muscle outside its territory); not staged")
            res.role = "unassessable"

    # --- per-muscle stage, with the pair decision --------------------------------------
    _decide_pairs(results, parsed, by_key, rules, robust, notes)
    _symmetric_fat(results, by_key, rules, notes)

    muscles = sorted(results.values(), key=lambda m: (m.muscle, m.side or ""))
    pattern, extra = infer_pattern(muscles, rules=rules)
    warnings_.extend(extra)
    settings = {
        "reference": reference,
        "robust": robust,
        "rim": rim,
        "bias_correct": bias_correct,
        "stir_grid": stir_grid,
        "rules": rules.to_dict(),
        "ratios": "SIR = ROI mean / reference mean on the same sequence (domain.md 2.1)" +
                  ("; staged on robust SIRs (means after MAD-based outlier exclusion)"
                   if robust else ""),
    }
    return Analysis(muscles, pattern, warnings_, notes, stir_grid, settings)


def _stage_inputs(m: MuscleResult, robust: bool) -> tuple[float, float]:
    if robust and m.t1_sir_robust is not None and _finite(m.t1_sir_robust):
        return m.t1_sir_robust, (m.stir_sir_robust if _finite(m.stir_sir_robust)
                                 else m.stir_sir)
    return m.t1_sir, m.stir_sir


def _abnormal_score(t1: float, stir: float, vol: float, rules: RuleSet) -> tuple[float, float]:
    """(fat/atrophy evidence, edema evidence) of one member of a pair, >= 0."""
    fat = max(0.0, math.log(t1) if _finite(t1) and t1 > 0 else 0.0)
    if _finite(t1) and t1 < rules.t1_mild:
        fat = 0.0
    small = (-math.log(vol)) if _finite(vol) and vol > 0 and vol <= rules.atrophy else 0.0
    edema = math.log(stir) if _finite(stir) and stir >= rules.stir_abnormal else 0.0
    return fat + small, edema


def _decide_pairs(results, parsed, by_key, rules, robust, notes) -> None:
    done: set[int] = set()
    for value, m in results.items():
        if m.role == "unassessable" or value in done:
            continue
        structure, side = parsed[value]
        partner = by_key.get((structure, anatomy.opposite_side(side))) if side else None
        pair = [value]
        if partner is not None and results[partner].role != "unassessable" and \
                m.ratios_used == "contralateral":
            pair.append(partner)
        done.update(pair)
        staged = {v: stage_muscle(*_stage_inputs(results[v], robust), results[v].volume_ratio,
                                  rules) for v in pair}
        if len(pair) == 2:
            a, b = pair
            ma, mb = results[a], results[b]
            # bilateral: mutual ratio near 1 but both abnormal against ipsilateral references
            ipsi = {v: _ipsi_stage(results[v], rules) for v in pair}
            if all(staged[v].stage == "normal" for v in pair) and \
                    all(ipsi[v].stage != "normal" for v in pair):
                for v in pair:
                    r = results[v]
                    r.ratios_used = "ipsilateral (bilateral change)"
                    r.reference = r.ipsilateral_reference
                    r.t1_sir, r.stir_sir = r.t1_sir_ipsilateral, r.stir_sir_ipsilateral
                    st = stage_muscle(r.t1_sir, r.stir_sir, math.nan, rules)
                    _apply(r, st, "affected", [
                        f"both sides changed: ratio to the partner is near 1 but both differ "
                        f"from the ipsilateral reference {r.ipsilateral_reference}; staged on "
                        "the ipsilateral ratios (bilateral disease gives contralateral ratios "
                        "near 1, domain.md 1.4)"])
                continue
            fa, ea = _abnormal_score(*_stage_inputs(ma, robust), ma.volume_ratio, rules)
            fb, eb = _abnormal_score(*_stage_inputs(mb, robust), mb.volume_ratio, rules)
            abn_a = staged[a].stage != "normal"
            abn_b = staged[b].stage != "normal"
            if abn_a and abn_b:
                # reciprocal: one side fatty/atrophic, the other only STIR-brighter
                if fa > 0 and fb == 0:
                    abn_b = False
                elif fb > 0 and fa == 0:
                    abn_a = False
                else:
                    abn_a, abn_b = (fa + ea) >= (fb + eb), (fb + eb) > (fa + ea)
            for v, abn, other in ((a, abn_a, b), (b, abn_b, a)):
                r, st = results[v], staged[v]
                if abn:
                    _apply(r, st, "affected", [])
                elif st.stage != "normal":
                    _apply(r, StageResult("normal", st.reasons, False, st.t1_change, False),
                           "partner", [
                               f"brighter than {results[other].name} only because that "
                               "muscle is the abnormal one of the pair (contralateral ratios "
                               "are reciprocal; fat is nulled on STIR, so the healthy partner "
                               "of a fatty-atrophic muscle looks bright there): called "
                               "normal (domain.md 1.4)"])
                else:
                    _apply(r, st, "normal", [])
        else:
            r = results[value]
            st = staged[value]
            _apply(r, st, "affected" if st.stage != "normal" else "normal", [])


def _fatty_reference(t1: float, stir: float, rules: RuleSet) -> bool:
    """True when brighter on STIR *and* darker on T1 than a reference: the reference is fatty.

    Fat is bright on T1 and nulled on STIR, so a fatty reference makes a healthy muscle look
    STIR-bright with a low T1 ratio (T1 SIR below ``1 / t1_mild``); edema does not lower the
    T1 ratio that far (acute denervation keeps a normal T1, domain.md 1.3-1.4).

    Examples
    --------
    >>> _fatty_reference(0.85, 1.22, DEFAULT_RULES), _fatty_reference(1.0, 1.3, DEFAULT_RULES)
    (True, False)
    """
    return bool(_finite(t1) and _finite(stir) and t1 < 1.0 / rules.t1_mild
                and stir >= rules.stir_abnormal)


def _ipsi_stage(r: MuscleResult, rules: RuleSet) -> StageResult:
    """Stage of `r` on its ipsilateral ratios; a fatty reference is not edema in `r`."""
    t1, stir = r.t1_sir_ipsilateral, r.stir_sir_ipsilateral
    if _fatty_reference(t1, stir, rules):
        return StageResult("normal", (
            f"against the ipsilateral reference ({r.ipsilateral_reference}) STIR "
            f"{_fmt(stir)} with T1 {_fmt(t1)} < 1/{rules.t1_mild}: the reference is fatty "
            "(bright on T1, nulled on STIR), not this muscle edematous",), False, "none", False)
    return stage_muscle(t1, stir, math.nan, rules)


def _symmetric_fat(results, by_key, rules, notes) -> None:
    """Find bilateral symmetric fat hidden by contralateral ratios near 1 (disuse, 9(b)).

    When most muscles of both sides are fatty, their median is fatty too, and the muscles
    that are *not* fatty look brighter on STIR and darker on T1 than it
    (:func:`_fatty_reference`). Those lean muscles, found on both sides, become the
    reference; muscles fatty against them (T1 SIR >= ``t1_mild``) without edema, on both
    sides alike and in at least two nerve territories, are marked affected (the disuse
    pattern: symmetric fat, no edema, not one territory; domain.md 9(b)).
    """
    if any(m.role == "affected" for m in results.values()):
        return
    per_side = {}
    for s in anatomy.SIDES:
        ms = [m for m in results.values() if m.side == s and m.role != "unassessable"
              and _finite(m.t1_mean) and _finite(m.stir_mean) and m.t1_mean > 0
              and m.stir_mean > 0]
        if len(ms) < 5:
            return
        med_t1 = float(np.median([m.t1_mean for m in ms]))
        med_st = float(np.median([m.stir_mean for m in ms]))
        lean = {m.muscle for m in ms
                if _fatty_reference(m.t1_mean / med_t1, m.stir_mean / med_st, rules)}
        per_side[s] = (ms, lean)
    lean_both = per_side["left"][1] & per_side["right"][1]
    if not lean_both:
        return
    fat: dict[str, list[tuple[MuscleResult, float, float, float, float]]] = {}
    for s, (ms, _) in per_side.items():
        lean_ms = [m for m in ms if m.muscle in lean_both]
        ref_t1 = float(np.median([m.t1_mean for m in lean_ms]))
        ref_st = float(np.median([m.stir_mean for m in lean_ms]))
        fat[s] = [(m, m.t1_mean / ref_t1, m.stir_mean / ref_st, ref_t1, ref_st) for m in ms
                  if m.muscle not in lean_both and m.t1_mean / ref_t1 >= rules.t1_mild
                  and m.stir_mean / ref_st < rules.stir_abnormal]
    fat_both = {x[0].muscle for x in fat["left"]} & {x[0].muscle for x in fat["right"]}
    if len({_home_cause(m) for m in fat_both}) < 2:
        return
    lean_txt = ", ".join(sorted(lean_both))
    for s in anatomy.SIDES:
        for m, t1, st, _, _ in fat[s]:
            if m.muscle not in fat_both:
                continue
            m.reference = f"median of the lean {s} muscles ({lean_txt})"
            m.ratios_used = "ipsilateral (symmetric fat vs lean muscles)"
            m.t1_sir, m.stir_sir = t1, st
            stg = stage_muscle(t1, st, math.nan, rules)
            extra = ["fatty on both sides alike (contralateral ratios near 1) against the "
                     f"lean muscles {lean_txt}, without edema, in several nerve territories: "
                     "the disuse pattern (domain.md 9(b))"]
            if stg.stage == "normal":
                # mild T1 change; the volume loss of disuse cannot be measured against a
                # partner that has it too, so the fat-without-edema pattern is called chronic
                kept = tuple(x for x in stg.reasons if not x.startswith("mild T1 change alone"))
                stg = StageResult("chronic", kept + (
                    "chronic: fat without edema on both sides; the volume loss that the "
                    "chronic rule asks for cannot be measured against a partner that shares "
                    "it (domain.md 1.4, 9(b))", _CAVEAT_FAT_NO_EDEMA), False, stg.t1_change,
                    False)
            _apply(m, stg, "affected", extra)
        for m in per_side[s][0]:
            if m.muscle in lean_both:
                m.reasons.append(
                    "brighter on STIR and darker on T1 than most muscles: the other muscles "
                    "are fatty (fat is bright on T1 and nulled on STIR), not this one "
                    "edematous; used as the reference for the symmetric fat")
    notes.append("symmetric fat: most muscles are fatty on both sides alike; ratios of the "
                 f"fatty muscles use the lean muscles ({lean_txt}) as reference")


def _apply(r: MuscleResult, st: StageResult, role: str, extra: list[str]) -> None:
    ref = f" (reference: {r.reference}, {r.ratios_used})" if r.reference else ""
    r.stage = st.stage
    r.role = role
    r.edema, r.t1_change, r.atrophy = st.edema, st.t1_change, st.atrophy
    r.reasons = [f"{s}{ref}" if i == 0 else s for i, s in enumerate(st.reasons)] + extra
    if _finite(r.stir_sir_ipsilateral):
        r.reasons.append(f"ipsilateral check vs {r.ipsilateral_reference}: STIR "
                         f"{_fmt(r.stir_sir_ipsilateral)}, T1 {_fmt(r.t1_sir_ipsilateral)}")


# --- pattern -> cause ----------------------------------------------------------------------

_CANDIDATES = ("superior_gluteal", "superior_gluteal_inferior_branch", "branch_to_tfl",
               "inferior_gluteal", "sacral_plexus", "sciatic", "femoral", "obturator",
               "l5_root", "s1_root")


def _territory(cause: str, labelled: set[str]) -> set[str]:
    t = set(anatomy.LESION_MUSCLES[cause])
    if "multifidus" in t:  # paraspinal: multifidus or erector spinae, whichever is labelled
        t.discard("multifidus")
        t |= {p for p in _PARASPINAL if p in labelled}
    return t


def _borderline(m: MuscleResult, rules: RuleSet) -> bool:
    st, t1 = m.stir_sir, m.t1_sir
    half_stir = 1.0 + 0.5 * (rules.stir_abnormal - 1.0)
    half_t1 = 1.0 + 0.5 * (rules.t1_mild - 1.0)
    return bool((_finite(st) and st >= half_stir) or (_finite(t1) and t1 >= half_t1))


def infer_pattern(muscles, *, rules: RuleSet = DEFAULT_RULES) -> tuple[Pattern, list[str]]:
    """Rank candidate causes for the affected muscles (domain.md 3.5, 9).

    Parameters
    ----------
    muscles : list of MuscleResult
        Staged muscles (``role == 'affected'`` marks the abnormal ones).

    Returns
    -------
    (Pattern, warnings)
    """
    warnings_: list[str] = []
    caveats: list[str] = []
    assessable = [m for m in muscles if m.role != "unassessable" and m.side is not None]
    affected = [m for m in assessable if m.role == "affected"]
    by_side = {s: {m.muscle: m for m in assessable if m.side == s} for s in anatomy.SIDES}
    aff_side = {s: {m.muscle for m in affected if m.side == s} for s in anatomy.SIDES}
    # borderline muscles (halfway to a threshold, brighter than the partner) count as half
    # evidence when ranking causes, so a lesion caught early, with only some muscles over
    # the threshold, still points to the whole territory; they are never called affected
    weak_side = {s: {m.muscle for m in assessable if m.side == s and m.role == "normal"
                     and _borderline(m, rules)} for s in anatomy.SIDES}
    labelled = {m.muscle for m in assessable}
    has_paraspinal = any(p in labelled for p in _PARASPINAL)

    cands: list[Candidate] = []
    for side in anatomy.SIDES:
        lab_side = set(by_side[side])
        aff = aff_side[side]
        for cause in _CANDIDATES:
            if cause in ("l5_root", "s1_root") and not has_paraspinal:
                continue
            terr = _territory(cause, labelled)
            terr_lab = terr & lab_side
            if not terr_lab:
                continue
            support = aff & terr_lab
            if not support:
                continue
            weak = weak_side[side] - aff
            contra = (terr_lab - aff - weak) | (aff - terr)
            hits = len(support) + 0.5 * len(weak & terr_lab)
            score = 2 * hits / (len(terr_lab) + len(aff) + 0.5 * len(weak))
            if cause == "superior_gluteal_inferior_branch":
                score -= 0.01  # same muscles as the trunk; the segmental pattern decides
                note = ("same muscles as the trunk lesion; suggested by segmental "
                        "(anterior/inferior) Gmed change and a post-THA history (domain.md 3.5)")
            else:
                note = anatomy.CAUSE_INFO[cause].discriminators
            cands.append(Candidate(cause, side, round(score, 3), "nerve",
                                   tuple(sorted(support)), tuple(sorted(contra)),
                                   tuple(sorted(terr - lab_side)), note))
        # mimic: abductor tendon tear (domain.md 9(a))
        gm = [by_side[side].get(s) for s in ("gluteus_medius", "gluteus_minimus")]
        tfl = by_side[side].get("tensor_fasciae_latae")
        fatty = [m for m in gm if m is not None and m.role == "affected" and
                 m.t1_change in ("mild", "marked")]
        tfl_fatty = tfl is not None and tfl.role == "affected" and \
            tfl.t1_change in ("mild", "marked")
        if fatty and tfl is not None and not tfl_fatty:
            tfl_big = _finite(tfl.volume_ratio) and tfl.volume_ratio > rules.enlarged
            tfl_edema = tfl.edema and tfl.role == "affected"
            if tfl_big and not tfl_edema:
                edematous = [m.name for m in fatty if m.edema]
                score = 1.0 + 0.05 - 0.1 * len(edematous)
                cands.append(Candidate(
                    "abductor_tendon_tear", side, round(score, 3), "mimic",
                    tuple(sorted(m.muscle for m in fatty)) + ("tensor_fasciae_latae",),
                    tuple(sorted(edematous)), (),
                    f"Gmed/Gmin fat with an enlarged TFL (volume ratio "
                    f"{_fmt(tfl.volume_ratio)} > {rules.enlarged}) without TFL edema: "
                    "compensatory TFL hypertrophy of an abductor tendon tear; look for a "
                    "tendon defect and fluid at the greater trochanter (domain.md 9(a))"))
    # mimic: disuse atrophy = fat without edema in several territories, often bilateral
    fat_only = [m for m in affected if m.t1_change in ("mild", "marked") and not m.edema]
    if fat_only and len(fat_only) == len(affected):
        nerves = {_home_cause(m.muscle) for m in fat_only}
        sides = {m.side for m in fat_only}
        if len(nerves) >= 2 or len(sides) == 2:
            # bilateral fat without edema in several territories is the classic disuse
            # picture (domain.md 9(b)); a nerve lesion is one-sided and territorial
            score = 0.7 + 0.3 * (len(sides) == 2) + 0.05 * min(len(nerves), 3)
            side = "bilateral" if len(sides) == 2 else next(iter(sides))
            cands.append(Candidate(
                "disuse_atrophy", side, round(min(score, 1.1), 3), "mimic",
                tuple(sorted({m.name for m in fat_only})), (), (),
                anatomy.CAUSE_INFO["disuse_atrophy"].discriminators))
    cands.sort(key=lambda c: (-c.score, _CANDIDATES.index(c.cause) if c.cause in _CANDIDATES
                              else -1))

    # side
    sides_aff = {m.side for m in affected}
    if not affected:
        side = "none"
    elif len(sides_aff) == 2:
        common = aff_side["left"] & aff_side["right"]
        if common:
            side = "bilateral"
            caveats.append("bilateral or symmetric change: think of a mimic (myositis is often "
                           "symmetric; disuse may be bilateral; domain.md 9) before a nerve "
                           "lesion")
        else:
            n_r, n_l = len(aff_side["right"]), len(aff_side["left"])
            side = "right" if n_r > n_l else "left" if n_l > n_r else "bilateral"
            warnings_.append("patchy change in muscles of both sides: "
                             + ", ".join(m.name for m in affected)
                             + "; a multifocal process or a mimic is possible (domain.md 3.5)")
    else:
        side = next(iter(sides_aff))

    if not affected:
        nerve = "none"
        caveats.append(_CAVEAT_TOO_EARLY)
    elif cands:
        top = cands[0]
        if side == "bilateral" and top.cause != "disuse_atrophy":
            nerve = top.cause
        else:
            same = [c for c in cands if c.side == side or side == "bilateral"]
            nerve = (same[0] if same else top).cause
    else:
        nerve = "none"
        warnings_.append("the affected muscles fit no candidate lesion: "
                         + ", ".join(m.name for m in affected))

    # stage of the pattern: the most frequent stage of the affected muscles (ties: advanced)
    if affected:
        counts: dict[str, int] = {}
        for m in affected:
            counts[m.stage] = counts.get(m.stage, 0) + 1
        stage = max(counts, key=lambda s: (counts[s], _STAGE_ORDER[s]))
        if len(counts) > 1:
            caveats.append("the affected muscles are at different signal stages: " + ", ".join(
                f"{m.name} {m.stage}" for m in affected))
        if stage == "acute":
            caveats.append(_CAVEAT_SIGNAL_TIME)
        if any(m.t1_change in ("mild", "marked") and not m.edema for m in affected):
            caveats.append(_CAVEAT_FAT_NO_EDEMA)
    else:
        stage = "normal"

    # shading check: muscles outside the candidate territory should be symmetric
    confidence = "high"
    terr = _territory(nerve, labelled) if nerve in anatomy.LESION_MUSCLES else set()
    # one right/left value per pair and sequence, for every pair outside the territory
    devs = []
    for m in assessable:
        if m.side == "right" and m.muscle not in terr and m.partner and \
                m.ratios_used == "contralateral":
            for seq, val in (("T1", m.t1_sir), ("STIR", m.stir_sir)):
                if _finite(val) and val > 0:
                    devs.append((m.muscle, seq, float(val)))
    tol = rules.shading_tolerance
    big = [d for d in devs if abs(d[2] - 1.0) > tol]
    near: list[str] = []
    if nerve == "none":
        # nothing met a threshold: a pair that differs because one member is just below a
        # threshold is a near-threshold finding, not evidence of shading
        for m in assessable:
            if m.role != "normal" or not _borderline(m, rules):
                continue
            if _finite(m.stir_sir) and 1.0 + 0.5 * (rules.stir_abnormal - 1.0) <= \
                    m.stir_sir < rules.stir_abnormal:
                near.append(f"{m.name} STIR {_fmt(m.stir_sir)}, just below the "
                            f"{rules.stir_abnormal} threshold")
            if _finite(m.t1_sir) and 1.0 + 0.5 * (rules.t1_mild - 1.0) <= m.t1_sir < \
                    rules.t1_mild:
                near.append(f"{m.name} T1 {_fmt(m.t1_sir)}, just below the "
                            f"{rules.t1_mild} threshold")
        near_muscles = {m.muscle for m in assessable if any(x.startswith(m.name + " ")
                                                            for x in near)}
        big = [d for d in big if d[0] not in near_muscles]
    where = "outside the candidate territory" if nerve != "none" else \
        "(all pairs compared, no candidate lesion)"
    typical = math.exp(float(np.median([math.log(d[2]) for d in devs]))) if devs else 1.0
    worst = max(devs, key=lambda d: abs(math.log(d[2])), default=None)
    if devs and (abs(typical - 1.0) > tol or (len(devs) >= 4 and len(big) > len(devs) / 2)):
        confidence = "low"
        warnings_.append(
            f"muscles {where} differ between sides (typical "
            f"right/left ratio {_fmt(typical)}; {len(big)} of {len(devs)} pair values beyond "
            f"{tol * 100:.0f} %, worst {worst[0]} {worst[1]} {_fmt(worst[2])}): receive-coil "
            "shading or another real-image artefact is likely, so ratios near a threshold are "
            "weak evidence; try --bias-correct and --robust (domain.md 1.4, 2.1)")
    elif big:
        confidence = "moderate"
        warnings_.append(
            "left/right difference above "
            f"{tol * 100:.0f} % in muscles {where}: " + ", ".join(
                f"{d[0]} {d[1]} {_fmt(d[2])}" for d in big[:6])
            + " (right/left); possible shading or a second process; interpret with care")
    elif affected and len(cands) > 1 and cands[0].score - cands[1].score < 0.05 and \
            cands[1].cause != "superior_gluteal_inferior_branch":
        confidence = "moderate"
    if near:
        warnings_.append("near-threshold findings (no muscle meets a threshold): "
                         + "; ".join(near) + " (domain.md 1.4: a ratio near a threshold is "
                         "weak evidence on its own)")
        if confidence == "high":
            confidence = "moderate"
    if affected and cands and cands[0].contradicting:
        confidence = "moderate" if confidence == "high" else confidence
    via_ipsi = [m.name for m in affected if "bilateral" in m.ratios_used]
    if via_ipsi:
        # both sides alike: the call rests on ratios between *different* muscles, which on
        # real images differ anyway (normal fat content, distance to the coil)
        confidence = "low"
        warnings_.append(
            "bilateral change inferred only from ipsilateral references ("
            + ", ".join(via_ipsi) + "): different muscles differ in signal on real images "
            "(normal fat content, e.g. of the paraspinal muscles, and distance to the coil), so "
            "confirm on the images before calling both sides denervated (domain.md 1.4, 2.1)")
    via_fat = [m.name for m in affected if "symmetric fat" in m.ratios_used]
    if via_fat:
        if confidence == "high":
            confidence = "moderate"
        warnings_.append(
            "symmetric fat inferred by comparing different muscles ("
            + ", ".join(sorted({m.muscle for m in affected if m.name in via_fat}))
            + ", on both sides) with the lean ones: different muscles differ in normal fat "
            "content on real images, so confirm on the T1 images (domain.md 1.4, 9(b))")
    pattern = Pattern(side, tuple(m.name for m in affected), nerve, tuple(cands[:8]), stage,
                      confidence, tuple(dict.fromkeys(caveats)))
    return pattern, warnings_


# --- follow-up -----------------------------------------------------------------------------


@dataclass
class Comparison:
    """Change between two studies of one patient (:func:`compare`)."""

    muscles: list[dict]
    summary: list[str]
    reinnervation: list[str]

    def to_dict(self) -> dict:
        return _jsonable({"muscles": self.muscles, "summary": self.summary,
                          "reinnervation_suggested": self.reinnervation})


def _as_dict(obj) -> dict:
    if isinstance(obj, Analysis):
        return obj.to_dict()
    if isinstance(obj, dict) and "muscles" in obj:
        return obj
    msg = "`baseline`/`followup` must be an Analysis or an `analyze --json` object."
    raise InputError(msg)


def compare(baseline, followup, *, rules: RuleSet = DEFAULT_RULES) -> Comparison:
    """Compare two analyses (or their JSON dicts): change of each ratio, reinnervation.

    Reinnervation is suggested when the STIR SIR has fallen by at least
    ``rules.reinnervation_fraction`` (half) of its initial rise above 1.0 (Viddeleer 2016,
    domain.md 1.2).

    Examples
    --------
    >>> base = {"muscles": [{"name": "gluteus_medius_right", "stir_sir": 1.4, "t1_sir": 1.0,
    ...          "volume_ratio": 1.0, "stage": "acute"}]}
    >>> later = {"muscles": [{"name": "gluteus_medius_right", "stir_sir": 1.15, "t1_sir": 1.0,
    ...          "volume_ratio": 0.95, "stage": "acute"}]}
    >>> compare(base, later).reinnervation
    ['gluteus_medius_right']
    """
    b, f = _as_dict(baseline), _as_dict(followup)
    fmap = {m["name"]: m for m in f["muscles"]}
    rows, summary, reinn = [], [], []
    for mb in b["muscles"]:
        mf = fmap.get(mb["name"])
        if mf is None:
            summary.append(f"{mb['name']}: not in the follow-up study")
            continue
        row = {"name": mb["name"], "stage_baseline": mb.get("stage"),
               "stage_followup": mf.get("stage")}
        for key in ("t1_sir", "stir_sir", "volume_ratio"):
            x0, x1 = mb.get(key), mf.get(key)
            row[f"{key}_baseline"], row[f"{key}_followup"] = x0, x1
            row[f"{key}_change"] = (x1 - x0) if _finite(x0) and _finite(x1) else None
        s0, s1 = mb.get("stir_sir"), mf.get("stir_sir")
        status = "unchanged"
        if _finite(s0) and _finite(s1) and s0 > 1.0:
            rise = s0 - 1.0
            fall = s0 - s1
            row["stir_fall_fraction"] = fall / rise
            if s0 >= rules.stir_abnormal and fall >= rules.reinnervation_fraction * rise:
                status = "reinnervation suggested"
                reinn.append(mb["name"])
                summary.append(
                    f"{mb['name']}: STIR SIR fell from {_fmt(s0)} to {_fmt(s1)}, "
                    f"{fall / rise * 100:.0f} % of its rise above 1.0 (>= "
                    f"{rules.reinnervation_fraction * 100:.0f} %): reinnervation suggested "
                    "(Viddeleer 2016, domain.md 1.2)")
            elif s1 > s0 + 0.05:
                status = "progressing"
        t0, t1v = mb.get("t1_sir"), mf.get("t1_sir")
        if _finite(t0) and _finite(t1v) and t1v - t0 >= 0.1:
            summary.append(f"{mb['name']}: T1 SIR rose from {_fmt(t0)} to {_fmt(t1v)}: "
                           "fatty change progressing (not reversed by reinnervation, "
                           "domain.md 1.3)")
        if status == "progressing":
            summary.append(f"{mb['name']}: STIR SIR rose from {_fmt(s0)} to {_fmt(s1)}")
        row["status"] = status
        rows.append(row)
    if not reinn:
        summary.append("no muscle meets the reinnervation rule (STIR SIR fall >= half of its "
                       "initial rise, Viddeleer 2016)")
    return Comparison(rows, summary, reinn)
