"""MR physics of the synthetic pelvis: tissues, signal equations, denervation time course (L1).

Only numpy and the standard library are used here; no images, no anatomy.

* Tissue parameters (PD, T1, T2 of the water compartment, fat fraction) at 1.5 T and 3 T are the
  starred defaults of ``../shared/domain.md`` 4.1. A voxel is a two-compartment water + fat
  mixture without exchange (domain.md 4.2): ``S = (1 - FF) S(water) + FF S(fat)``.
* Signal equations (domain.md 4.2): spin echo / TSE ``S = PD (1 - exp(-TR/T1)) exp(-TE/T2)``,
  magnitude inversion recovery ``S = PD |1 - 2 exp(-TI/T1) + exp(-TR/T1)| exp(-TE/T2)``,
  null point ``TI = T1 ln(2 / (1 + exp(-TR/T1)))``.
* Denervation time course (:class:`DenervationCourse`): water-T2 prolongation, a small T1
  increase, rising fat fraction and late volume loss; each curve cites its source and every
  number is a field of a frozen dataclass so teachers can change it.
* Rician magnitude noise (domain.md 4.4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

__all__ = [
    "FIELDS",
    "Tissue",
    "TISSUES",
    "Sequence",
    "T1W_DEFAULT",
    "STIR_DEFAULT",
    "spin_echo",
    "inversion_recovery",
    "ti_null_ms",
    "stir_sequence",
    "tissue_signal",
    "mixture_signal",
    "TIME_STAGES",
    "StageCuts",
    "DEFAULT_STAGE_CUTS",
    "time_stage",
    "DenervationCourse",
    "DEFAULT_COURSE",
    "DenervationState",
    "denervation_state",
    "add_rician_noise",
]

FIELDS = (1.5, 3.0)


@dataclass(frozen=True)
class Tissue:
    """Relaxation parameters of one tissue's water compartment plus its fat fraction.

    Attributes
    ----------
    pd : float
        Proton density (relative; soft tissue 1.0, cortical bone 0.05, domain.md 4.1).
    t1_ms, t2_ms : float
        T1 and T2 of the water compartment (for ``fat`` itself: of fat).
    ff : float
        Fat fraction in [0, 1]; the fat compartment uses the ``fat`` tissue's T1/T2.
    source : str
        Where the numbers come from ([S]/[V]/[U] tags of domain.md).
    """

    pd: float
    t1_ms: float
    t2_ms: float
    ff: float
    source: str = ""


def _tissues(field: float) -> dict[str, Tissue]:
    hi = field > 2.0
    return {
        # domain.md 4.1 starred defaults
        "muscle": Tissue(1.0, 1200.0 if hi else 1000.0, 32.0 if hi else 35.0, 0.09,
                         "domain.md 4.1 (muscle T1/T2 ★); FF ~8-10 % Marcon 2016 (domain.md 2.3)"),
        "fat": Tissue(1.0, 380.0 if hi else 260.0, 90.0 if hi else 120.0, 1.0,
                      "domain.md 4.1 (subcutaneous fat ★, single-peak approximation)"),
        "red_marrow": Tissue(1.0, 898.0 if hi else 856.0, 34.0 if hi else 46.0, 0.5,
                             "domain.md 4.1 (SpinSight marrow model: FF 0.5, water T1/T2) [S]; "
                             "ilium/sacrum red marrow, domain.md 1.4"),
        "yellow_marrow": Tissue(1.0, 898.0 if hi else 856.0, 34.0 if hi else 46.0, 0.8,
                                "domain.md 4.1 (yellow marrow as fat, FF 0.8 [U])"),
        "cortical_bone": Tissue(0.05, 1000.0, 1.0, 0.0, "domain.md 4.1 (PD 0.05, T2 <= 1 ms)"),
        "fluid": Tissue(1.0, 4000.0, 2000.0, 0.0, "domain.md 4.1 (free fluid / urine ★, [U])"),
        "nerve": Tissue(1.0, 1300.0 if hi else 1100.0, 50.0 if hi else 60.0, 0.05,
                        "domain.md 4.1 (sciatic nerve ★, T1 [U]); epineurial fat 5 % [U]"),
        # [U] modelling choices: domain.md 4.1 gives PD 1.0 for skin and no relaxation values;
        # skin is modelled with the muscle relaxation times (BrainWeb-style sets, domain.md 4.1).
        "skin": Tissue(0.9, 1200.0 if hi else 1000.0, 32.0 if hi else 35.0, 0.0,
                       "[U] dermis as muscle-like soft tissue (domain.md 4.1 PD note)"),
        # bowel: wall + mixed content, a soft-tissue/fluid mixture [U]
        "bowel": Tissue(0.9, 1500.0 if hi else 1300.0, 42.0 if hi else 45.0, 0.0,
                        "[U] bowel wall and content, soft tissue / fluid mixture"),
        # pelvic viscera (uterus, prostate): soft tissue with a longer T2 than muscle [U]
        "viscera": Tissue(1.0, 1500.0 if hi else 1300.0, 65.0 if hi else 70.0, 0.0,
                          "[U] uterus / prostate as long-T2 soft tissue (no domain.md value)"),
        # flowing blood gives a flow void on spin-echo images [U]; modelled as very low PD
        "flow_void": Tissue(0.05, 1932.0 if hi else 1441.0, 275.0 if hi else 290.0, 0.0,
                            "blood T1/T2 domain.md 4.1 [S]; flow void as PD 0.05 [U]"),
        "air": Tissue(0.0, 1000.0, 1.0, 0.0, "no signal"),
    }


#: ``TISSUES[field_t][tissue] -> Tissue`` for field strengths 1.5 T and 3 T (domain.md 4.1).
TISSUES: dict[float, dict[str, Tissue]] = {f: _tissues(f) for f in FIELDS}


@dataclass(frozen=True)
class Sequence:
    """Acquisition parameters of one sequence.

    ``kind`` is ``"se"`` (spin echo / TSE, T1-weighted) or ``"ir"`` (magnitude inversion
    recovery, STIR). ``ti_ms`` is used only by ``"ir"``.
    """

    kind: str
    tr_ms: float
    te_ms: float
    ti_ms: float = 0.0


#: T1-weighted TSE: TR/TE inside the clinical range of domain.md 4.3 (TR 340-740, TE 9-12).
T1W_DEFAULT = Sequence("se", tr_ms=400.0, te_ms=10.0)
#: STIR: TR 4000 (domain.md 4.3 ★), TE 55 (inside "< 50-60 preferred", domain.md 4.3; chosen so a
#: +15 ms water-T2 plateau gives the Viddeleer 3-month SIR, domain.md 1.2); TI from fat T1.
STIR_DEFAULT = Sequence("ir", tr_ms=4000.0, te_ms=55.0, ti_ms=0.0)


def spin_echo(pd, t1_ms, t2_ms, *, tr_ms, te_ms):
    """Spin-echo / TSE magnitude, ``PD (1 - exp(-TR/T1)) exp(-TE/T2)`` (domain.md 4.2).

    Examples
    --------
    >>> round(float(spin_echo(1.0, 1000.0, 35.0, tr_ms=500.0, te_ms=10.0)), 4)
    0.2957
    """
    pd, t1, t2 = (np.asarray(v, dtype=float) for v in (pd, t1_ms, t2_ms))
    return pd * (1.0 - np.exp(-tr_ms / t1)) * np.exp(-te_ms / t2)


def inversion_recovery(pd, t1_ms, t2_ms, *, tr_ms, te_ms, ti_ms):
    """Magnitude inversion recovery ``PD |1 - 2e^(-TI/T1) + e^(-TR/T1)| e^(-TE/T2)``.

    Perfect 180 degree pulse, readout duration ignored (domain.md 4.2).

    Examples
    --------
    >>> ti = ti_null_ms(260.0, 4000.0)
    >>> float(inversion_recovery(1.0, 260.0, 120.0, tr_ms=4000.0, te_ms=40.0, ti_ms=ti)) < 1e-9
    True
    """
    pd, t1, t2 = (np.asarray(v, dtype=float) for v in (pd, t1_ms, t2_ms))
    mz = 1.0 - 2.0 * np.exp(-ti_ms / t1) + np.exp(-tr_ms / t1)
    return pd * np.abs(mz) * np.exp(-te_ms / t2)


def ti_null_ms(t1_ms: float, tr_ms: float) -> float:
    """Inversion time that nulls a tissue of `t1_ms`: ``T1 ln(2 / (1 + exp(-TR/T1)))``.

    domain.md 4.2 (Bernstein 2004 via a public simulator [S]).

    Examples
    --------
    >>> round(ti_null_ms(260.0, 4000.0), 1)
    180.2
    >>> round(ti_null_ms(380.0, 4000.0), 1)
    263.4
    """
    t1 = float(t1_ms)
    return t1 * math.log(2.0 / (1.0 + math.exp(-float(tr_ms) / t1)))


#: How far the STIR TI is set from the fat null point with ``fat_suppression="imperfect"``:
#: a TI 20 % short of the null (e.g. a protocol copied from a scanner with a shorter fat T1,
#: domain.md 4.2 worked check) leaves fat visibly grey [U].
IMPERFECT_TI_FACTOR = 0.8


def stir_sequence(field_t: float, *, tr_ms: float | None = None, te_ms: float | None = None,
                  ti_ms: float | None = None, fat_suppression: str = "ideal") -> Sequence:
    """STIR parameters for `field_t` with TI at the fat null point unless `ti_ms` is given.

    Examples
    --------
    >>> round(stir_sequence(1.5).ti_ms, 1)
    180.2
    >>> stir_sequence(1.5, fat_suppression="imperfect").ti_ms < stir_sequence(1.5).ti_ms
    True
    """
    tr = STIR_DEFAULT.tr_ms if tr_ms is None else float(tr_ms)
    te = STIR_DEFAULT.te_ms if te_ms is None else float(te_ms)
    if ti_ms is None:
        ti = ti_null_ms(TISSUES[float(field_t)]["fat"].t1_ms, tr)
        if fat_suppression == "imperfect":
            ti *= IMPERFECT_TI_FACTOR
    else:
        ti = float(ti_ms)
    return Sequence("ir", tr_ms=tr, te_ms=te, ti_ms=ti)


def _compartment(pd, t1, t2, seq: Sequence):
    if seq.kind == "se":
        return spin_echo(pd, t1, t2, tr_ms=seq.tr_ms, te_ms=seq.te_ms)
    return inversion_recovery(pd, t1, t2, tr_ms=seq.tr_ms, te_ms=seq.te_ms, ti_ms=seq.ti_ms)


def mixture_signal(pd, t1_ms, t2_ms, ff, seq: Sequence, *, field_t: float = 1.5):
    """Two-compartment voxel signal ``(1-FF) S(water) + FF S(fat)`` (domain.md 4.2).

    Examples
    --------
    >>> seq = Sequence("se", tr_ms=500.0, te_ms=10.0)
    >>> float(mixture_signal(1.0, 1000.0, 35.0, 1.0, seq)) > float(
    ...     mixture_signal(1.0, 1000.0, 35.0, 0.0, seq))
    True
    """
    fat = TISSUES[float(field_t)]["fat"]
    ff = np.asarray(ff, dtype=float)
    water = _compartment(pd, t1_ms, t2_ms, seq)
    fat_s = _compartment(pd, fat.t1_ms, fat.t2_ms, seq)
    return (1.0 - ff) * water + ff * fat_s


def tissue_signal(tissue: Tissue, seq: Sequence, *, field_t: float = 1.5) -> float:
    """Noise-free signal of a :class:`Tissue` (two-compartment) for `seq`.

    Examples
    --------
    >>> t = TISSUES[1.5]
    >>> fat = tissue_signal(t["fat"], T1W_DEFAULT)
    >>> muscle = tissue_signal(t["muscle"], T1W_DEFAULT)
    >>> 2.0 < fat / muscle < 4.0
    True
    """
    if tissue.ff >= 1.0:
        return float(_compartment(tissue.pd, tissue.t1_ms, tissue.t2_ms, seq))
    return float(mixture_signal(tissue.pd, tissue.t1_ms, tissue.t2_ms, tissue.ff, seq,
                                field_t=field_t))


# --- time course -------------------------------------------------------------------------

TIME_STAGES = ("none", "too_early", "acute", "subacute", "chronic")


@dataclass(frozen=True)
class StageCuts:
    """Time-stage cut-offs in days (domain.md 1.4 teaching defaults, [U] per 1.3)."""

    too_early_below: float = 14.0
    acute_below: float = 30.0
    subacute_below: float = 182.5


DEFAULT_STAGE_CUTS = StageCuts()


def time_stage(days: float, *, cuts: StageCuts = DEFAULT_STAGE_CUTS) -> str:
    """Time stage of a lesion `days` after onset (domain.md 1.4).

    Examples
    --------
    >>> [time_stage(d) for d in (5, 21, 90, 540)]
    ['too_early', 'acute', 'subacute', 'chronic']
    """
    d = float(days)
    if d < cuts.too_early_below:
        return "too_early"
    if d < cuts.acute_below:
        return "acute"
    if d < cuts.subacute_below:
        return "subacute"
    return "chronic"


@dataclass(frozen=True)
class DenervationCourse:
    """Time course of a denervated muscle; every number is a setting.

    Curves (``t`` = days since onset):

    * water T2 prolongation ``dT2(t) = dt2_plateau_ms (1 - exp(-(t - onset)/dt2_tau))`` for
      ``t > onset``. Plateau +15 ms: denervated muscle T2 = normal + 10-15 ms (HSS 3 T data,
      domain.md 2.2, 4.1). Onset 10 d, time constant 35 d: T2 hyperintensity in humans from
      >= 15 days (Uetani 1993, domain.md 1.2), so the STIR ratio is still below the 1.15
      teaching threshold at 14 days (about 1.08) and about 1.2 at 3 weeks; the rise to a
      peak near 3 months follows the STIR SIR of Viddeleer 2012/2016 (1 month 1.18-1.30,
      3 months 1.30-1.38, domain.md 1.2).
    * T1 factor ``1 + (t1_factor_plateau - 1) * progress`` with the same ramp; plateau 1.1
      (rat in vitro +12 %, Polak 1988, domain.md 1.2 / 4.1).
    * fat fraction from the muscle's normal value (8-10 %, Marcon 2016, domain.md 2.3) toward
      ``ff_chronic`` = 0.33 (Goutallier 2, "fat < muscle", domain.md 2.4; [U] for
      denervation) with onset ``ff_onset_days`` = 30 (T1 normal in the acute phase,
      Uetani 1993: 14/17 normal) and time constant ``ff_tau_days`` = 72 (chosen so that 3
      months gives a mild T1 increase, Eurorad SGN case, domain.md 1.1; [U]). The plateau
      is capped there because fat is nulled on STIR: a denervated muscle without
      reinnervation keeps a raised STIR ratio (Viddeleer poor recovery 1.32-1.42 at 9-12
      months, domain.md 1.2; the chronic STIR signal is residual water-T2 prolongation,
      domain.md 1.1), which a fatter muscle would lose (about 1.22 here at 18 months).
    * volume factor falls from 1 toward ``volume_min`` = 0.65 after ``volume_onset_days``
      (denervated fibres lose much of their mass "within a few months", domain.md 1.2 [S];
      chronic atrophy, domain.md 1.3; values [U]).
    * reinnervation (optional start day): water T2 and T1 excess decay with
      ``recovery_tau_days`` (good recovery: SIR falls to ~1.04-1.09 by 12 months, Viddeleer,
      domain.md 1.2); fat and volume stop progressing (atrophy largely irreversible,
      Smitaman 2018, domain.md 1.1) [U].
    """

    onset_days: float = 10.0
    dt2_plateau_ms: float = 15.0
    dt2_tau_days: float = 35.0
    t1_factor_plateau: float = 1.1
    ff_chronic: float = 0.33
    ff_onset_days: float = 30.0
    ff_tau_days: float = 72.0
    volume_min: float = 0.65
    volume_onset_days: float = 60.0
    volume_tau_days: float = 200.0
    recovery_tau_days: float = 90.0

    def with_(self, **changes) -> DenervationCourse:
        """Return a copy with some fields changed.

        Examples
        --------
        >>> DEFAULT_COURSE.with_(dt2_plateau_ms=10.0).dt2_plateau_ms
        10.0
        """
        return replace(self, **changes)


DEFAULT_COURSE = DenervationCourse()


@dataclass(frozen=True)
class DenervationState:
    """Tissue state of a denervated muscle at one time point.

    ``dt2_ms`` is added to the water T2, ``t1_factor`` multiplies the water T1, ``ff`` is the
    absolute fat fraction and ``volume_factor`` the remaining fraction of the normal volume.
    """

    dt2_ms: float
    t1_factor: float
    ff: float
    volume_factor: float


def _ramp(t: float, onset: float, tau: float) -> float:
    return 0.0 if t <= onset else 1.0 - math.exp(-(t - onset) / tau)


def denervation_state(days: float, *, reinnervation_day: float | None = None,
                      params: DenervationCourse = DEFAULT_COURSE,
                      ff0: float = 0.09) -> DenervationState:
    """State of a denervated muscle `days` after the nerve lesion.

    Parameters
    ----------
    days : float
        Days since onset (>= 0).
    reinnervation_day : float, optional
        Day reinnervation starts; edema then falls back (Viddeleer, domain.md 1.2).
    params : DenervationCourse
        The curves (see :class:`DenervationCourse`).
    ff0 : float
        The muscle's normal fat fraction (domain.md 2.3).

    Examples
    --------
    >>> denervation_state(5).dt2_ms
    0.0
    >>> s = denervation_state(90)
    >>> 10 < s.dt2_ms <= 15 and 1.0 < s.t1_factor <= 1.1 and s.ff > 0.09
    True
    >>> denervation_state(400, reinnervation_day=120).dt2_ms < denervation_state(400).dt2_ms
    True
    """
    t = float(days)
    p = params
    t_end = t if reinnervation_day is None else min(t, float(reinnervation_day))
    edema = _ramp(t_end, p.onset_days, p.dt2_tau_days)
    if reinnervation_day is not None and t > reinnervation_day:
        edema *= math.exp(-(t - float(reinnervation_day)) / p.recovery_tau_days)
    fat = _ramp(t_end, p.ff_onset_days, p.ff_tau_days)
    vol = _ramp(t_end, p.volume_onset_days, p.volume_tau_days)
    return DenervationState(
        dt2_ms=p.dt2_plateau_ms * edema,
        t1_factor=1.0 + (p.t1_factor_plateau - 1.0) * edema,
        ff=ff0 + (max(p.ff_chronic, ff0) - ff0) * fat,
        volume_factor=1.0 - (1.0 - p.volume_min) * vol,
    )


def add_rician_noise(signal, sigma: float, rng) -> np.ndarray:
    """Magnitude of signal plus complex Gaussian noise, ``|S + n_r + i n_i|`` (domain.md 4.4).

    Parameters
    ----------
    signal : ndarray
        Noise-free magnitude.
    sigma : float
        Standard deviation of each noise channel.
    rng : numpy.random.Generator or int
        Random source (seed or generator).

    Examples
    --------
    >>> out = add_rician_noise(np.zeros(10000), 1.0, 0)
    >>> 1.1 < float(out.mean()) < 1.4   # Rayleigh mean sigma*sqrt(pi/2) = 1.25
    True
    """
    rng = np.random.default_rng(rng)
    s = np.asarray(signal, dtype=np.float32)
    nr = rng.standard_normal(s.shape, dtype=np.float32)
    ni = rng.standard_normal(s.shape, dtype=np.float32)
    nr *= sigma
    ni *= sigma
    nr += s
    return np.sqrt(nr * nr + ni * ni, dtype=np.float32)
