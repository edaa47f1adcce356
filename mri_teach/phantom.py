"""Physics-based synthetic pelvis: anatomy x denervation time course x MR physics (layer L2).

:func:`make_case` returns a :class:`Case`: T1-weighted and STIR magnitude images (float32,
RAS+ voxel order), an int16 label map with its table, affines and a JSON-serialisable
ground truth that comes from the time course of :mod:`mri_teach.physics` - never from the
analysis rules. Files are written by ``datasets`` / the CLI, not here.

How a case is made:

1. :func:`build_anatomy` rasterises the pelvis (``_phantom_geometry``) once per
   ``(preset, body, seed, slice thickness)`` and caches it: per voxel up to three structures
   with their partial-volume fractions, a muscle fat-streak texture and the depth of each
   muscle voxel below the muscle surface (used for atrophy).
2. A lesion (cause + side + days [+ reinnervation day]) sets the water T2, T1 and fat fraction
   of the affected muscles (``physics.denervation_state``; mimics per domain.md 9) and their
   volume (the muscle shrinks from its surface; TFL grows in an abductor tendon tear).
3. Signals per voxel are two-compartment water + fat mixtures (domain.md 4.2) summed over the
   structures in the voxel, times an optional receive-coil field shared by T1 and STIR, plus
   Rician noise (domain.md 4.4).

Anatomy (``_phantom_geometry``): an adult pelvis from above the iliac crest to below the lesser
trochanters, both sides, field of view 360 x 288 mm, z = 0 at the femoral-head centres. Muscle
sizes follow the Handsfield regression of domain.md 5.3 for the body preset (female 1.63 m /
60 kg, male 1.75 m / 75 kg, plus ``female_large`` and ``male_slim``); see
:func:`expected_volume_cm3`. Gluteus medius, minimus, piriformis and obturator internus lie
wholly inside the field of view; their labelled volumes are within about -15 %/+25 % of the
regression for every body preset and seed tested (female seed 0: Gmed 0.95, Gmin 1.16,
piriformis 0.98, obturator internus 1.26, TFL 1.03 x expected, fast grid); TFL,
gluteus maximus, iliacus, psoas, obturator externus, quadratus femoris, adductors, hamstrings,
sartorius, rectus femoris and the vasti continue above or below it, so their labelled volumes
are truncated (gluteus maximus ~85 %, psoas ~60 % of the whole muscle). Structures missing
from ``anatomy.PHANTOM_LABELS`` (intermuscular fat, abdominal wall, L5, spinal canal, vessels,
peritrochanteric fluid, vasti, uterus / prostate) are labelled with :data:`EXTRA_LABELS`
(values >= 100).

Times on the 2-core development machine: cold anatomy build ~11 s (default grid), ~15 s
(isotropic), ~2 s (fast); a case from the cached anatomy ~1-1.5 s (default), ~0.1 s (fast);
:func:`simulate_slice` ~15-40 ms per axial slice at the default grid.

Examples
--------
>>> case = make_case(cause="superior_gluteal", side="right", days=90, preset="fast")
>>> case.t1.dtype, case.labels.dtype
(dtype('float32'), dtype('int16'))
>>> case.truth["time_stage"]
'subacute'
>>> 1.25 < case.truth["muscles"]["gluteus_medius_right"]["stir_ratio"] < 1.45
True
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from mri_teach import anatomy, physics
from mri_teach._phantom_geometry import (
    BODIES,
    Z_BOTTOM,
    Z_TOP,
    _body_scales,
    handsfield_cm3,
    pelvis_structures,
)
from mri_teach._phantom_raster import Painter
from mri_teach._validation import InputError, check_choice, check_non_negative, check_positive

__all__ = [
    "PRESETS",
    "BODY_PRESETS",
    "EXTRA_LABELS",
    "LABEL_TABLE",
    "MimicCourse",
    "DEFAULT_MIMIC",
    "Anatomy",
    "Case",
    "build_anatomy",
    "make_case",
    "simulate_slice",
    "core_labels",
    "expected_volume_cm3",
]

#: Grid presets: voxel size (mm, x y z). "default" is protocol-like (domain.md 4.3: in-plane
#: <= 0.9 mm here, slices 4 mm), "fast" for interactive use and tests, "isotropic" for
#: coronal/sagittal reformats.
PRESETS: dict[str, tuple[float, float, float]] = {
    "default": (0.9, 0.9, 4.0),
    "fast": (2.5, 2.5, 5.0),
    "isotropic": (1.5, 1.5, 1.5),
}
BODY_PRESETS = tuple(BODIES)
#: Field of view (mm): 360 x 288 axial (domain.md 4.3: 320-360 mm), z from above the iliac
#: crest to below the lesser trochanters.
FOV_X_MM, FOV_Y_MM, FOV_Y_CENTER = 360.0, 288.0, -27.0
MAX_VOXELS_DEFAULT = 40_000_000

#: Structures of the phantom that have no entry in ``anatomy.PHANTOM_LABELS``; they get
#: values >= 100 so the anatomy table stays untouched (sides from the names as usual).
EXTRA_LABELS: dict[int, str] = {
    100: "intermuscular_fat",
    101: "abdominal_wall",
    102: "lumbar_spine",
    103: "spinal_canal",
    104: "vessels_right",
    105: "vessels_left",
    106: "peritrochanteric_fluid_right",
    107: "peritrochanteric_fluid_left",
    108: "vasti_right",
    109: "vasti_left",
    110: "uterus",
    111: "prostate",
}
#: Label table of every case (integer -> name).
LABEL_TABLE: dict[int, str] = {**anatomy.PHANTOM_LABELS, **EXTRA_LABELS}
_VALUE = {name: v for v, name in LABEL_TABLE.items()}

#: Normal fat fraction per muscle: Gmed 8.1 %, Gmin 9.9 % (Marcon 2016, domain.md 2.3);
#: Gmax 13.7 % (Belzunce 2021 high-activity median, domain.md 2.3); others 9 % [U].
NORMAL_FF = {"gluteus_medius": 0.081, "gluteus_minimus": 0.099, "gluteus_maximus": 0.137}
_DEFAULT_FF = 0.09


@dataclass(frozen=True)
class MimicCourse:
    """Time course of the mimics (domain.md 9); every number is a [U] teaching setting.

    * abductor tendon tear (9a): Gmed/Gmin fat rises toward ``tear_ff`` with volume toward
      ``tear_volume_min``, no belly edema; TFL grows toward ``tfl_hypertrophy`` (Sutter 2013:
      TFL:sartorius area 2.25 with vs 1.91 without a tear, ratio ~1.18); fluid beside the
      greater trochanter.
    * disuse atrophy (9b): bilateral fat toward ``disuse_ff`` and volume toward
      ``disuse_volume_min``, no edema.
    * muscle strain (9c): focal feathery edema (water T2 + ``strain_dt2_ms``) that resolves
      with ``strain_tau_days``; T1 normal.
    """

    tau_days: float = 150.0
    tear_ff: float = 0.4
    tear_volume_min: float = 0.75
    tfl_hypertrophy: float = 1.18
    disuse_ff: float = 0.22
    disuse_volume_min: float = 0.85
    strain_dt2_ms: float = 35.0
    strain_tau_days: float = 21.0


DEFAULT_MIMIC = MimicCourse()

#: Default SNR of normal muscle (mean / noise sigma) per sequence [U]: clinical T1 TSE of the
#: pelvis is well above STIR, which loses signal to the inversion.
SNR_T1_DEFAULT = 28.0
SNR_STIR_DEFAULT = 14.0
#: Texture [U]: healthy muscle keeps SEPTA_FLOOR of its fat fraction between septa (the rest
#: sits in thin septa); fat carries fibrous strands up to FAT_STRANDS.
SEPTA_FLOOR = 0.7
FAT_STRANDS = 0.1
MARROW_FLOOR = {"red_marrow": 0.45, "yellow_marrow": 0.9}
#: In-plane point-spread blur (Gaussian sigma in voxels, ~1 voxel FWHM) [U].
PSF_SIGMA_VOX = 0.45
#: Signal scale: a tissue with PD 1 and full recovery would read 1000.
SIGNAL_SCALE = 1000.0


# =========================================================================== anatomy


@dataclass(eq=False)
class Anatomy:
    """A rasterised pelvis on one grid (cached by :func:`build_anatomy`).

    ``slot_struct``/``slot_frac`` (3, I, J, K) hold up to three structures per voxel and their
    fractions; ``struct_*`` describe the structures (index 0 = air).
    """

    preset: str
    body: str
    seed: int
    shape: tuple
    affine: np.ndarray
    voxel_mm: tuple
    struct_names: tuple
    struct_labels: tuple
    struct_tissues: tuple
    struct_muscles: tuple  # muscle label name or None
    slot_struct: np.ndarray
    slot_frac: np.ndarray
    labels: np.ndarray
    sheet: np.ndarray  # thin-sheet texture in [0, 1]: intramuscular fat septa / fat strands
    sheet_mean: np.ndarray  # per structure
    tex: np.ndarray  # mild multiplicative texture of all tissues
    depth: np.ndarray  # mm below the surface of the voxel's muscle (0 elsewhere)
    muscle_depths: dict = field(default_factory=dict)
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def label_table(self) -> dict[int, str]:
        return dict(LABEL_TABLE)

    def volume_ml(self, name: str) -> float:
        """Volume of label `name` (ml) from the fractions of its structures."""
        ks = [i for i, lab in enumerate(self.struct_labels) if lab == name]
        vox = float(np.prod(self.voxel_mm)) / 1000.0
        tot = 0.0
        for j in range(3):
            m = np.isin(self.slot_struct[j], ks)
            tot += float(self.slot_frac[j][m].astype(np.float64).sum())
        return tot * vox


def _check_preset(preset):
    return check_choice(preset, tuple(PRESETS), name="preset")


def _grid(preset: str, body: str, slice_mm: float | None):
    dx, dy, dz = PRESETS[preset]
    if slice_mm is not None:
        dz = float(slice_mm)
    sz, _, _ = _body_scales(BODIES[body])
    zlo, zhi = Z_BOTTOM * sz, Z_TOP * sz
    nx = int(round(FOV_X_MM / dx))
    ny = int(round(FOV_Y_MM / dy))
    nz = int(round((zhi - zlo) / dz))
    aff = np.diag([dx, dy, dz, 1.0])
    aff[:3, 3] = (-nx * dx / 2 + dx / 2, FOV_Y_CENTER - ny * dy / 2 + dy / 2,
                  0.5 * (zlo + zhi) - nz * dz / 2 + dz / 2)
    return (nx, ny, nz), aff


def _smooth_field(shape, voxel_mm, corr_mm, rng):
    """Gaussian-smoothed noise with correlation length `corr_mm`, unit SD.

    The noise is drawn on a coarse grid (step ``corr_mm / 2``), smoothed there and brought
    to the full grid by trilinear interpolation (compiled,
    :func:`mri_teach._phantom_kernels.trilinear`), far cheaper than ``ndimage.zoom``.
    """
    step = corr_mm / 2.0
    coarse = [max(4, int(math.ceil(n * v / step)) + 3)
              for n, v in zip(shape, voxel_mm, strict=False)]
    g = ndimage.gaussian_filter(rng.standard_normal(coarse).astype(np.float32), 1.2,
                                mode="wrap")
    g /= g.std() + 1e-9
    from mri_teach._phantom_kernels import trilinear

    args = []
    for n, c in zip(shape, coarse, strict=False):
        # output sample i sits at coarse coordinate (i + 0.5) * (c - 3) / n - 0.5
        pos = np.clip((np.arange(n, dtype=np.float32) + 0.5) * ((c - 3) / n) - 0.5, 0, c - 1)
        i0 = np.minimum(np.floor(pos).astype(np.intp), c - 2)
        args += [i0, (pos - i0).astype(np.float32)]
    return trilinear(g, *args)


def _lerp_axis(arr: np.ndarray, pos: np.ndarray, axis: int) -> np.ndarray:
    """Linear interpolation of `arr` along `axis` at fractional indices `pos` (clamped)."""
    c = arr.shape[axis]
    if c == 1:
        return np.repeat(arr, len(pos), axis=axis)
    pos = np.clip(pos, 0.0, c - 1.0)
    i0 = np.minimum(np.floor(pos).astype(np.intp), c - 2)
    shp = [1] * arr.ndim
    shp[axis] = len(pos)
    w = (pos - i0).astype(np.float32).reshape(shp)
    return np.take(arr, i0, axis=axis) * (1.0 - w) + np.take(arr, i0 + 1, axis=axis) * w


def _depth_edt(sub: np.ndarray, vox: tuple) -> np.ndarray:
    """Distance (mm) of each voxel of mask `sub` to the outside, computed in-plane at half
    resolution (the anatomy's in-plane grid is finer than the depth needs) and
    interpolated back; voxels outside `sub` are not used by the caller."""
    f = 2 if min(vox[0], vox[1]) < 1.5 and min(sub.shape[:2]) >= 8 else 1
    if f == 1:
        return ndimage.distance_transform_edt(sub, sampling=vox).astype(np.float32)
    # a coarse voxel is inside when any of its fine voxels is (so thin muscles keep a depth)
    n0, n1 = (sub.shape[0] + 1) // 2 * 2, (sub.shape[1] + 1) // 2 * 2
    pad = np.zeros((n0, n1, sub.shape[2]), bool)
    pad[: sub.shape[0], : sub.shape[1]] = sub
    co = pad.reshape(n0 // 2, 2, n1 // 2, 2, -1).any(axis=(1, 3))
    d = ndimage.distance_transform_edt(co, sampling=(2 * vox[0], 2 * vox[1], vox[2]))
    d = d.astype(np.float32) - 0.5 * vox[0]  # the coarse cell centre sits half a cell in
    for axis in (0, 1):
        pos = (np.arange(sub.shape[axis], dtype=np.float32) - 0.5) / 2.0
        d = _lerp_axis(d, pos, axis)
    return np.maximum(d, 0.5 * vox[0])


def _check_grid_size(shape, max_voxels):
    n = int(np.prod(shape))
    if n > max_voxels:
        msg = (f"the phantom grid {shape} has {n} voxels, more than the memory limit "
               f"`max_voxels`={max_voxels}; choose `preset` from {tuple(PRESETS)}, a larger "
               "voxel size, or raise `max_voxels`.")
        raise InputError(msg)


@functools.lru_cache(maxsize=6)
def _build_cached(preset: str, body: str, seed: int, slice_mm: float | None,
                  voxel_mm: tuple | None) -> Anatomy:
    rng = np.random.default_rng(seed)
    b = BODIES[body]
    structures = pelvis_structures(b, rng)
    shape, aff = _grid(preset, body, slice_mm)
    if voxel_mm is not None:
        dx, dy, dz = voxel_mm
        ext = np.array(shape) * np.diag(aff)[:3]
        shape = tuple(int(round(e / v)) for e, v in zip(ext, voxel_mm, strict=False))
        base_shape = np.array(_grid(preset, body, slice_mm)[0])
        centre = aff[:3, 3] + np.diag(aff)[:3] * (base_shape - 1) / 2
        aff = np.diag([dx, dy, dz, 1.0])
        aff[:3, 3] = centre - np.array([dx, dy, dz]) * (np.array(shape) - 1) / 2
    painter = Painter(structures, b, rng)
    idx, frac = painter.paint(shape, aff)
    names = ("air", *(s.name for s in structures))
    labs = ("air", *(s.label for s in structures))
    tissues = ("air", *(s.tissue for s in structures))
    muscles = (None, *((s.name if s.muscle else None) for s in structures))
    lab_value = np.array([0] + [_VALUE[s.label] for s in structures], dtype=np.int16)
    # dominant label per voxel: sum fractions per label over the slots
    labels = _dominant_labels(idx, frac, lab_value)
    vox = tuple(float(v) for v in np.diag(aff)[:3])
    # texture: intramuscular fat septa / fibrous strands in fat = thin sheets at the zero
    # crossings of smooth noise, patchy (modulated by a second field)
    n1 = _smooth_field(shape, vox, 8.0, rng)
    sheet = np.exp(-((n1 / 0.3) ** 2)).astype(np.float32)
    n2 = _smooth_field(shape, vox, 20.0, rng)
    sheet *= np.clip(0.75 + 0.3 * n2, 0.0, 1.0)
    sheet_mean = float(sheet.mean()) + 1e-6
    n3 = _smooth_field(shape, vox, 4.0, rng)
    tex = (1.0 + 0.03 * n3).astype(np.float16)
    sheet = sheet.astype(np.float16)
    depth = np.zeros(shape, dtype=np.float16)
    h = 0.5 * (vox[0] + vox[1])
    mdepths = {}
    boxes = ndimage.find_objects(labels)
    for name in (*anatomy.MUSCLE_NAMES, "vasti"):
        for side in anatomy.SIDES:
            lab = anatomy.label_name(name, side)
            v = _VALUE[lab]
            if v > len(boxes) or boxes[v - 1] is None:
                continue
            sl = tuple(slice(max(s.start - 1, 0), s.stop + 1) for s in boxes[v - 1])
            sub = labels[sl] == v
            d = _depth_edt(sub, vox)
            # smooth jitter breaks the ties of a coarse grid so atrophy removes coherent
            # patches rather than a uniform fraction of every voxel
            d = d + 0.6 * h * n3[sl]
            region = depth[sl]
            region[sub] = d[sub]
            ds = np.sort(d[sub])
            if ds.size > 4000:  # quantiles are enough for the atrophy threshold
                ds = ds[np.linspace(0, ds.size - 1, 4000).astype(int)]
            mdepths[lab] = ds
    # per-structure mean of the septa texture, so every muscle keeps its nominal fat fraction
    smean = np.full(len(names), sheet_mean, np.float32)
    nlab = int(labels.max()) + 1
    ssum = np.bincount(labels.ravel(), weights=sheet.ravel(), minlength=nlab)
    scount = np.bincount(labels.ravel(), minlength=nlab)
    for k, mname in enumerate(muscles):
        v = None if mname is None else _VALUE[mname]
        if v is not None and v < nlab and scount[v]:
            smean[k] = float(ssum[v] / scount[v]) + 1e-6
    return Anatomy(preset, body, seed, tuple(shape), aff, vox, names, labs, tissues, muscles,
                   idx, frac, labels, sheet, smean, tex, depth, mdepths)


def _dominant_labels(idx, frac, lab_value):
    """Label with the largest summed fraction per voxel (0 where less than half filled)."""
    from mri_teach._phantom_kernels import dominant_labels

    return dominant_labels(idx, frac.astype(np.float32), lab_value.astype(np.int16))


def build_anatomy(preset: str = "fast", body: str = "female", seed: int = 0, *,
                  slice_mm: float | None = None, voxel_mm=None,
                  max_voxels: int = MAX_VOXELS_DEFAULT) -> Anatomy:
    """Rasterise (or fetch from the cache) the pelvis for a preset, body and seed.

    Parameters
    ----------
    preset : {"default", "fast", "isotropic"}
        Grid (see :data:`PRESETS`).
    body : str
        Body preset (see :data:`BODY_PRESETS`).
    seed : int
        The individual: shape noise, asymmetry, bladder filling, bowel, fat.
    slice_mm : float, optional
        Override the slice thickness (e.g. a thicker STIR).
    voxel_mm : (float, float, float), optional
        Override the voxel size (same field of view).
    max_voxels : int
        Refuse grids larger than this (memory limit).

    Examples
    --------
    >>> a = build_anatomy("fast", "female", 0)
    >>> a.labels.shape == a.shape and build_anatomy("fast", "female", 0) is a
    True
    """
    _check_preset(preset)
    check_choice(body, BODY_PRESETS, name="body")
    if slice_mm is not None:
        slice_mm = check_positive(slice_mm, name="slice_mm")
    if voxel_mm is not None:
        voxel_mm = tuple(check_positive(v, name="voxel_mm") for v in voxel_mm)
        if len(voxel_mm) != 3:
            msg = "`voxel_mm` must have three sizes (x, y, z) in mm."
            raise InputError(msg)
    shape, aff = _grid(preset, body, slice_mm)
    if voxel_mm is not None:
        ext = np.array(shape) * np.diag(aff)[:3]
        shape = tuple(int(round(e / v)) for e, v in zip(ext, voxel_mm, strict=False))
    _check_grid_size(shape, max_voxels)
    return _build_cached(preset, body, int(seed), slice_mm, voxel_mm)


def expected_volume_cm3(muscle: str, body: str = "female") -> float | None:
    """Handsfield regression volume of one `muscle` for a body preset (domain.md 5.3 [S]).

    Examples
    --------
    >>> round(expected_volume_cm3("gluteus_medius", "female"))
    264
    """
    return handsfield_cm3(muscle, BODIES[check_choice(body, BODY_PRESETS, name="body")])


# =========================================================================== lesions


@dataclass(frozen=True)
class _MuscleState:
    dt2_ms: float = 0.0
    t1_factor: float = 1.0
    ff: float | None = None  # None = normal
    volume_factor: float = 1.0
    partial: bool = False


def _ramp(t, tau):
    return 1.0 - math.exp(-max(t, 0.0) / tau)


def _lesion_states(cause, side, days, reinnervation_day, course, mimic):
    """{muscle label: _MuscleState} of the affected muscles."""
    out = {}
    if cause == "none":
        return out
    muscles = anatomy.LESION_MUSCLES[cause]
    partial = anatomy.LESION_PARTIAL.get(cause, frozenset())
    if cause in anatomy.NERVE_CAUSES:
        for m in muscles:
            s = physics.denervation_state(days, reinnervation_day=reinnervation_day,
                                          params=course, ff0=NORMAL_FF.get(m, _DEFAULT_FF))
            out[anatomy.label_name(m, side)] = _MuscleState(
                s.dt2_ms, s.t1_factor, s.ff, s.volume_factor, m in partial)
        return out
    r = _ramp(days, mimic.tau_days)
    if cause == "abductor_tendon_tear":
        for m in muscles:
            ff0 = NORMAL_FF.get(m, _DEFAULT_FF)
            out[anatomy.label_name(m, side)] = _MuscleState(
                ff=ff0 + (mimic.tear_ff - ff0) * r,
                volume_factor=1.0 - (1.0 - mimic.tear_volume_min) * r)
        out[anatomy.label_name("tensor_fasciae_latae", side)] = _MuscleState(
            volume_factor=1.0 + (mimic.tfl_hypertrophy - 1.0) * r)
    elif cause == "disuse_atrophy":
        for m in muscles:
            ff0 = NORMAL_FF.get(m, _DEFAULT_FF)
            for sd in anatomy.SIDES:
                out[anatomy.label_name(m, sd)] = _MuscleState(
                    ff=ff0 + (max(mimic.disuse_ff, ff0) - ff0) * r,
                    volume_factor=1.0 - (1.0 - mimic.disuse_volume_min) * r)
    elif cause == "muscle_strain":
        for m in muscles:
            out[anatomy.label_name(m, side)] = _MuscleState(
                dt2_ms=mimic.strain_dt2_ms * math.exp(-days / mimic.strain_tau_days),
                partial=True)
    return out


def _weight_map(anat: Anatomy, cause: str, side: str, states) -> np.ndarray | None:
    """Involvement weight (0-1) inside partially affected muscles, else None (= 1)."""
    key = ("w", cause, side)
    if key in anat._cache:
        return anat._cache[key]
    part = [lab for lab, s in states.items() if s.partial]
    if not part:
        return None
    w = np.ones(anat.shape, dtype=np.float16)
    aff = anat.affine
    for lab in part:
        m = anat.labels == _VALUE[lab]
        if not m.any():
            continue
        ijk = np.nonzero(m)
        xyz = [aff[a, a] * ijk[a] + aff[a, 3] for a in range(3)]
        cy, cz = float(np.mean(xyz[1])), float(np.mean(xyz[2]))
        sy, szz = float(np.std(xyz[1])) + 1e-3, float(np.std(xyz[2])) + 1e-3
        if cause == "muscle_strain":
            # focal, feathery edema near the distal myotendinous junction (domain.md 9c)
            zq = float(np.percentile(xyz[2], 25))
            xq = float(np.percentile(np.abs(xyz[0]), 70)) * (1 if side == "right" else -1)
            r2 = (((xyz[0] - xq) / 18.0) ** 2 + ((xyz[1] - cy) / 25.0) ** 2
                  + ((xyz[2] - zq) / 22.0) ** 2)
            feather = np.clip(0.35 + 2.0 * anat.sheet[ijk].astype(np.float32), 0.2, 1.6)
            val = np.clip(np.exp(-r2) * feather, 0, 1)
        else:
            # anterior / inferior segment (inferior branch of the SGN, domain.md 3.5 row 2)
            s = (xyz[1] - cy) / sy - (xyz[2] - cz) / szz
            val = 1.0 / (1.0 + np.exp(-(s - 0.3) / 0.35))
        w[ijk] = val.astype(np.float16)
    anat._cache[key] = w
    return w


def _atrophy_threshold(depths: np.ndarray, vf: float, h: float) -> float:
    """Depth (mm) below which muscle is lost so that `vf` of the volume remains."""
    if vf >= 0.999 or depths.size == 0:
        return 0.0
    lo, hi = 0.0, float(depths[-1]) + h
    target = vf * depths.size
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        kept = np.clip((depths - mid) / h + 1.0, 0.0, 1.0).sum()
        if kept > target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _growth_field(anat: Anatomy, lab: str) -> tuple[np.ndarray, tuple]:
    """Distance (mm) outside muscle `lab` within a margin (for hypertrophy)."""
    key = ("grow", lab)
    if key in anat._cache:
        return anat._cache[key]
    m = anat.labels == _VALUE[lab]
    sl = ndimage.find_objects(m.astype(np.int8))[0]
    pad = [int(math.ceil(12.0 / v)) + 1 for v in anat.voxel_mm]
    sl = tuple(slice(max(s.start - p, 0), min(s.stop + p, n))
               for s, p, n in zip(sl, pad, anat.shape, strict=False))
    od = ndimage.distance_transform_edt(~m[sl], sampling=anat.voxel_mm).astype(np.float32)
    anat._cache[key] = (od, sl)
    return od, sl


# =========================================================================== signal


def _tissue_arrays(anat: Anatomy, field_t: float, cause: str, side: str):
    """Per-structure PD, T1, T2, FF, normal FF and a 'textured' flag (cached)."""
    key = ("tissues", field_t, cause == "abductor_tendon_tear" and side)
    if key in anat._cache:
        return anat._cache[key]
    tis = physics.TISSUES[field_t]
    n = len(anat.struct_names)
    pd, t1, t2, ff, ffn = (np.zeros(n) for _ in range(5))
    textured = _textured(anat)
    for k in range(1, n):
        tname = anat.struct_tissues[k]
        if (cause == "abductor_tendon_tear" and anat.struct_names[k] == f"bursa_{side}"):
            tname = "fluid"  # peritrochanteric fluid (domain.md 9a)
        t = tis[tname]
        pd[k], t1[k], t2[k], ff[k] = t.pd, t.t1_ms, t.t2_ms, t.ff
        mus = anat.struct_muscles[k]
        if mus is not None:
            structure, _ = anatomy.parse_name(mus)
            ffn[k] = NORMAL_FF.get(structure, _DEFAULT_FF)
        elif textured[k]:
            ffn[k] = t.ff
    out = (pd, t1, t2, ff, ffn, textured)
    anat._cache[key] = out
    return out


def _tables(anat: Anatomy, field_t: float, seq: physics.Sequence, states, cause, side):
    """Per-structure normal/lesion water signal and fat fraction, and the fat signal."""
    tis = physics.TISSUES[field_t]
    fat = tis["fat"]
    s_fat = float(physics._compartment(1.0, fat.t1_ms, fat.t2_ms, seq))
    pd, t1, t2, ff, ffn, textured = _tissue_arrays(anat, field_t, cause, side)
    t1s = np.where(t1 > 0, t1, 1.0)
    t2s = np.where(t2 > 0, t2, 1.0)
    water = physics._compartment(pd, t1s, t2s, seq)
    whole = np.where(ff >= 1.0, water, (1.0 - ff) * water + ff * s_fat)
    swn = np.where(textured, water, whole).astype(np.float32)
    swn[0] = 0.0
    ffn = ffn.astype(np.float32)
    isfat = np.array([t == "fat" for t in anat.struct_tissues])
    # fibrous strands in fat: collagen, short T2 -> dark on both sequences [U]
    s_fib = 0.15 * float(physics._compartment(1.0, tis["muscle"].t1_ms, tis["muscle"].t2_ms, seq))
    swl, ffl = swn.copy(), ffn.copy()
    if states:
        m = tis["muscle"]
        index = {name: k for k, name in enumerate(anat.struct_muscles) if name}
        for lab, st in states.items():
            k = index.get(lab)
            if k is None:
                continue
            swl[k] = float(physics._compartment(m.pd, m.t1_ms * st.t1_factor,
                                                m.t2_ms + st.dt2_ms, seq))
            if st.ff is not None:
                ffl[k] = st.ff
    return swn, swl, ffn, ffl, s_fat, isfat, s_fib


_MARROW = ("red_marrow", "yellow_marrow")


def _textured(anat: Anatomy) -> np.ndarray:
    """Structures rendered voxel by voxel (muscles and marrow); the rest are constant."""
    return np.array([m is not None or t in _MARROW
                     for m, t in zip(anat.struct_muscles, anat.struct_tissues, strict=False)])


def _septa_floor(anat: Anatomy) -> np.ndarray:
    """Share of a structure's fat kept outside the septa/patches (lower = patchier)."""
    return np.array([MARROW_FLOOR.get(t, SEPTA_FLOOR) for t in anat.struct_tissues],
                    np.float32)


def _slot_indices(anat: Anatomy, sl):
    """Flat indices (within region `sl`) of occupied secondary slots and of muscle slots."""
    key = ("slots", tuple((x.start, x.stop) if isinstance(x, slice) else int(x) for x in sl))
    if key in anat._cache:
        return anat._cache[key]
    idx = anat.slot_struct[(slice(None), *sl)]
    frac = anat.slot_frac[(slice(None), *sl)]
    ismus = _textured(anat)
    occ = [None] + [np.flatnonzero(frac[j] > 0) for j in (1, 2)]
    mus = []
    for j in range(3):
        kj = idx[j].ravel() if j == 0 else idx[j].ravel()[occ[j]]
        sel = np.flatnonzero(ismus[kj])
        mus.append(sel if j == 0 else occ[j][sel])
    out = (occ, mus)
    anat._cache[key] = out
    return out


def _fat_strand_map(anat: Anatomy, sl):
    """Per voxel: sum over fat slots of fraction x strand strength (static texture)."""
    key = ("strands", tuple((x.start, x.stop) if isinstance(x, slice) else int(x) for x in sl))
    if key in anat._cache:
        return anat._cache[key]
    isfat = np.array([t == "fat" for t in anat.struct_tissues])
    idx = anat.slot_struct[(slice(None), *sl)]
    frac = anat.slot_frac[(slice(None), *sl)]
    tot = np.zeros(idx.shape[1:], np.float32)
    for j in range(3):
        tot += np.where(isfat[idx[j]], frac[j].astype(np.float32), 0.0)
    out = (tot * (FAT_STRANDS * anat.sheet[sl].astype(np.float32))).astype(np.float32)
    anat._cache[key] = out
    return out


def _render(anat: Anatomy, sl, tabs_list, w, atrophy):
    """Noise-free signals on the region `sl` of the grid for several sequences at once.

    Static structures contribute ``fraction x signal``; muscle (and marrow) slots get their
    own two-compartment signal with the septa texture, the lesion state (weighted by the
    involvement map `w`) and atrophy; fat carries fibrous strands. The voxel-level fat
    fractions are shared by all sequences (`tabs_list`, one table per sequence).
    """
    idx = anat.slot_struct[(slice(None), *sl)]
    frac = anat.slot_frac[(slice(None), *sl)]
    shape = idx.shape[1:]
    occ, mus = _slot_indices(anat, sl)
    bases = [((1.0 - t[2]) * t[1] + t[2] * t[4]).astype(np.float32) for t in tabs_list]
    f0 = frac[0].astype(np.float32)
    k0 = idx[0]
    outs = [b[k0] * f0 for b in bases]
    flats = [o.reshape(-1) for o in outs]
    for j in (1, 2):
        kj = idx[j].reshape(-1)[occ[j]]
        fj = frac[j].reshape(-1)[occ[j]].astype(np.float32)
        for b, fl_ in zip(bases, flats, strict=False):
            fl_[occ[j]] += b[kj] * fj
    lost = np.zeros(shape, np.float32)
    lflat = lost.reshape(-1)
    sheet = anat.sheet[sl].reshape(-1)
    wflat = None if w is None else w[sl].reshape(-1)
    depth = anat.depth[sl].reshape(-1) if atrophy else None
    h = 0.5 * (anat.voxel_mm[0] + anat.voxel_mm[1])
    floor = _septa_floor(anat)
    _, _, ffn, ffl = tabs_list[0][:4]  # fat fractions do not depend on the sequence
    for j in range(3):
        mi = mus[j]
        if mi.size == 0:
            continue
        k = idx[j].reshape(-1)[mi]
        f = frac[j].reshape(-1)[mi].astype(np.float32)
        ww = None if wflat is None else wflat[mi].astype(np.float32)
        ff = ffl[k] if ww is None else ffn[k] + ww * (ffl[k] - ffn[k])
        fl = floor[k]
        ff = np.minimum(ff * (fl + (1.0 - fl) * sheet[mi].astype(np.float32)
                              / anat.sheet_mean[k]), 0.97)
        keep = None
        if atrophy:
            thr = atrophy["thr"][k]
            keep = np.where(thr > 0, np.clip((depth[mi].astype(np.float32) - thr) / h + 1.0,
                                             0.0, 1.0), 1.0).astype(np.float32)
            lflat[mi] += f * (1.0 - keep)
        for t, b, fl_ in zip(tabs_list, bases, flats, strict=False):
            swn, swl, s_fat = t[0], t[1], t[4]
            sw = swl[k] if ww is None else swn[k] + ww * (swl[k] - swn[k])
            sig = (1.0 - ff) * sw + ff * s_fat
            if keep is not None:
                sig = keep * sig + (1.0 - keep) * s_fat
            fl_[mi] += f * (sig - b[k])
    strands = _fat_strand_map(anat, sl)
    tex = anat.tex[sl].astype(np.float32) * SIGNAL_SCALE
    for t, o in zip(tabs_list, outs, strict=False):
        o += strands * (t[6] - t[4])
        o *= tex
    return outs, lost


def _psf(img: np.ndarray, axes) -> np.ndarray:
    """Mild in-plane blur (Gaussian PSF, sigma PSF_SIGMA_VOX voxels) of finite k-space sampling."""
    if PSF_SIGMA_VOX <= 0:
        return img
    sigma = [PSF_SIGMA_VOX if a in axes else 0.0 for a in range(img.ndim)]
    return ndimage.gaussian_filter(img, sigma, mode="nearest", truncate=3.0)


def _coil_field(shape, affine, strength, rng_seed):
    """Smooth receive-coil sensitivity, brighter near the coil elements, left/right asymmetric."""
    if strength <= 0:
        return None
    rng = np.random.default_rng(rng_seed)
    ax = [affine[a, a] * np.arange(shape[a]) + affine[a, 3] for a in range(3)]
    X, Y, Z = np.meshgrid(*[a.astype(np.float32) for a in ax], indexing="ij", sparse=True)
    r2 = (X / 170.0) ** 2 + ((Y + 25.0) / 125.0) ** 2
    lr = float(rng.uniform(0.25, 0.4)) * (1 if rng.random() < 0.5 else -1)
    g = 0.55 * (r2 - 0.6) + lr * X / 180.0 + 0.12 * (Z - 30.0) / 120.0 + 0.15 * Y / 140.0
    return np.clip(1.0 + strength * g, 0.25, None).astype(np.float32)


# =========================================================================== cases


@dataclass(eq=False)
class Case:
    """One synthetic case: images, labels, geometry, ground truth and parameters.

    Attributes
    ----------
    t1, stir : ndarray of float32, shape (I, J, K) / (I, J, K')
        Magnitude images in RAS+ voxel order; ``stir`` may be on a thicker grid.
    labels : ndarray of int16
        Label map on the T1 grid (values of :attr:`label_table`).
    affine, stir_affine : (4, 4) ndarray
        Voxel -> world (mm, RAS) of the T1/label grid and of the STIR grid.
    label_table : dict[int, str]
        Label value -> name (sides from the names).
    truth : dict
        JSON-serialisable ground truth (see :func:`make_case`).
    params : dict
        The parameters the case was made with (JSON-serialisable).
    stir_labels : ndarray of int16
        Label map on the STIR grid (same as ``labels`` when the grids agree).
    """

    t1: np.ndarray
    stir: np.ndarray
    labels: np.ndarray
    affine: np.ndarray
    stir_affine: np.ndarray
    label_table: dict
    truth: dict
    params: dict
    stir_labels: np.ndarray | None = None

    @property
    def voxel_size_mm(self) -> tuple:
        return tuple(float(v) for v in np.linalg.norm(self.affine[:3, :3], axis=0))

    @property
    def stir_voxel_size_mm(self) -> tuple:
        return tuple(float(v) for v in np.linalg.norm(self.stir_affine[:3, :3], axis=0))


def _seed_of(rng) -> int:
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(0, 2**31 - 1))
    if isinstance(rng, (bool, np.bool_)) or not isinstance(rng, (int, np.integer)):
        msg = f"`rng` must be an int seed or a numpy Generator; got {rng!r}."
        raise InputError(msg)
    if int(rng) < 0:
        msg = f"`rng` seed must be >= 0; got {rng!r}."
        raise InputError(msg)
    return int(rng)


def _check_field(field_t):
    try:
        f = float(field_t)
    except (TypeError, ValueError):
        f = None
    if f not in physics.FIELDS:
        msg = (f"`field_t` must be one of {', '.join(str(x) for x in physics.FIELDS)} "
               f"(tesla); got {field_t!r}.")
        raise InputError(msg)
    return f


def _simulate_volume(anat, field_t, seq, states, cause, side):
    tabs = _tables(anat, field_t, seq, states, cause, side)
    w = _weight_map(anat, cause, side, states)
    atrophy = _atrophy_spec(anat, states)
    (img,), lost = _render(anat, (slice(None),) * 3, [tabs], w, atrophy)
    labels = anat.labels.copy()
    if atrophy:
        # label voxels that lost most of their muscle as intermuscular fat
        labs = np.zeros(labels.shape, dtype=bool)
        for lab in atrophy["labels"]:
            labs |= (labels == _VALUE[lab])
        gone = (lost > 0.5) & labs
        labels[gone] = _VALUE["intermuscular_fat"]
    for lab, st in states.items():
        if st.volume_factor > 1.0:
            img, labels = _grow(anat, lab, st.volume_factor, img, labels, tabs)
    img = _psf(img, (0, 1))
    if cause == "abductor_tendon_tear":
        k = anat.struct_names.index(f"bursa_{side}")
        sub = anat.slot_struct == k
        dom = (anat.slot_frac * sub).sum(0) > 0.5
        labels[dom] = _VALUE[f"peritrochanteric_fluid_{side}"]
    return img, labels


def _atrophy_spec(anat, states):
    thr = np.zeros(len(anat.struct_names), np.float32)
    labs = []
    h = 0.5 * (anat.voxel_mm[0] + anat.voxel_mm[1])
    for lab, st in states.items():
        if st.volume_factor < 0.999 and lab in anat.muscle_depths:
            t = _atrophy_threshold(anat.muscle_depths[lab], st.volume_factor, h)
            thr[anat.struct_names.index(lab)] = t
            labs.append(lab)
    return {"thr": thr, "labels": labs} if labs else None


def _grow(anat, lab, vf, img, labels, tabs):
    """Hypertrophy: convert adjacent fat into muscle `lab` until its volume is `vf` x."""
    swn, swl, ffn, ffl, s_fat = tabs[:5]
    od, sl = _growth_field(anat, lab)
    fatv = {_VALUE["intermuscular_fat"], _VALUE["subcutaneous_fat"]}
    cand = (od > 0) & np.isin(labels[sl], list(fatv))
    n0 = int((labels == _VALUE[lab]).sum())
    need = (vf - 1.0) * n0
    d = np.sort(od[cand])
    if need <= 0 or d.size == 0:
        return img, labels
    g = float(d[min(int(need), d.size - 1)])
    h = 0.5 * (anat.voxel_mm[0] + anat.voxel_mm[1])
    fr = np.where(cand, np.clip((g - od) / h + 1.0, 0.0, 1.0), 0.0).astype(np.float32)
    k = anat.struct_names.index(lab)
    s_mus = ((1 - ffn[k]) * swn[k] + ffn[k] * s_fat) * SIGNAL_SCALE
    region = img[sl]
    img[sl] = (1 - fr) * region + fr * s_mus
    lr = labels[sl]
    lr[fr > 0.5] = _VALUE[lab]
    labels[sl] = lr
    return img, labels


def core_labels(labels: np.ndarray) -> np.ndarray:
    """Labels with a one-voxel in-plane rim removed (the ROI core; the full label if thin).

    The ground-truth signal ratios are measured on this core so that partial volume with the
    fat around a muscle does not enter them.

    Examples
    --------
    >>> lab = np.zeros((5, 5, 1), np.int16); lab[1:4, 1:4] = 7
    >>> int((core_labels(lab) == 7).sum())
    1
    """
    out = np.zeros_like(labels)
    same = np.ones(labels.shape, bool)
    for ax in (0, 1):
        for sh in (1, -1):
            nb = np.roll(labels, sh, axis=ax)
            edge = [slice(None)] * labels.ndim
            edge[ax] = 0 if sh == 1 else -1
            nb[tuple(edge)] = 0
            same &= nb == labels
    out[same] = labels[same]
    # keep labels that would vanish
    present = np.unique(labels)
    kept = np.unique(out)
    for v in np.setdiff1d(present, kept):
        out[labels == v] = v
    return out


def _label_means(img, labels, names):
    vals = np.array([_VALUE[n] for n in names])
    lab = labels.ravel()
    sel = np.isin(lab, vals)
    lab = lab[sel]
    im = img.ravel()[sel].astype(np.float64)
    mx = int(vals.max()) + 1
    s = np.bincount(lab, weights=im, minlength=mx)
    c = np.bincount(lab, minlength=mx)
    return {n: (float(s[v] / c[v]) if c[v] else float("nan"), int(c[v]))
            for n, v in zip(names, vals, strict=False)}


def make_case(*, cause: str = "none", side: str = "right", days: float = 0.0,
              reinnervation_day: float | None = None, field_t: float = 1.5,
              preset: str = "default", body: str = "female", rng=0,
              snr_t1: float = SNR_T1_DEFAULT, snr_stir: float = SNR_STIR_DEFAULT,
              coil_shading: float = 0.0, stir_slice_mm: float | None = None,
              fat_suppression: str = "ideal", t1_tr_ms: float | None = None,
              t1_te_ms: float | None = None, stir_tr_ms: float | None = None,
              stir_te_ms: float | None = None, stir_ti_ms: float | None = None,
              course: physics.DenervationCourse = physics.DEFAULT_COURSE,
              mimic: MimicCourse = DEFAULT_MIMIC, noise: bool = True,
              max_voxels: int = MAX_VOXELS_DEFAULT) -> Case:
    """Make one synthetic pelvis case with ground truth.

    Parameters
    ----------
    cause : str
        One of ``anatomy.CAUSES`` (a nerve lesion, a mimic, or ``"none"``).
    side : {"right", "left"}
        Patient side of the lesion (disuse atrophy is bilateral).
    days : float
        Days since onset (>= 0).
    reinnervation_day : float, optional
        Day reinnervation begins (edema falls back, domain.md 1.2).
    field_t : {1.5, 3.0}
        Field strength (tissue table of domain.md 4.1).
    preset : {"default", "fast", "isotropic"}
        Grid: protocol-like 0.9 x 0.9 x 4 mm (default), 2.5 x 2.5 x 5 mm (fast), 1.5 mm
        isotropic.
    body : str
        Body preset (``BODY_PRESETS``), e.g. ``"female"`` 1.63 m / 60 kg, ``"male"`` 1.75 m /
        75 kg.
    rng : int or numpy.random.Generator
        Seed: the individual anatomy and the noise.
    snr_t1, snr_stir : float
        Normal-muscle SNR (mean / per-channel sigma) of each sequence.
    coil_shading : float
        Strength of a smooth receive-coil field shared by T1 and STIR (0 = none, ~0.3
        realistic).
    stir_slice_mm : float, optional
        STIR slice thickness if different from the T1 grid (e.g. 5 or 6 mm).
    fat_suppression : {"ideal", "imperfect"}
        ``"imperfect"`` puts TI 20 % short of the fat null (a classic pitfall).
    t1_tr_ms, t1_te_ms, stir_tr_ms, stir_te_ms, stir_ti_ms : float, optional
        Sequence overrides (defaults ``physics.T1W_DEFAULT`` / ``STIR_DEFAULT``; TI from the
        fat T1).
    course, mimic : dataclasses
        Time-course settings (``physics.DenervationCourse``, :class:`MimicCourse`).
    noise : bool
        Add Rician noise (False gives the noise-free images).
    max_voxels : int
        Memory limit for the grid.

    Returns
    -------
    Case
        ``truth`` keys: cause, side, days, reinnervation_day, time_stage, field_t, affected
        (label names), muscles {label: {ff, t1_ms, t2_water_ms, volume_factor, t1_ratio,
        stir_ratio, volume_ratio, volume_ml}}, seed, body, preset, sequences. Signal ratios
        are label/contralateral-label means of the noise-free, unshaded images over the
        label cores (:func:`core_labels`); volume ratios are label voxel counts.
    """
    check_choice(cause, anatomy.CAUSES, name="cause")
    check_choice(side, anatomy.SIDES, name="side")
    days = check_non_negative(days, name="days")
    if reinnervation_day is not None:
        reinnervation_day = check_non_negative(reinnervation_day, name="reinnervation_day")
    field_t = _check_field(field_t)
    _check_preset(preset)
    check_choice(body, BODY_PRESETS, name="body")
    snr_t1 = check_positive(snr_t1, name="snr_t1")
    snr_stir = check_positive(snr_stir, name="snr_stir")
    coil_shading = check_non_negative(coil_shading, name="coil_shading")
    check_choice(fat_suppression, ("ideal", "imperfect"), name="fat_suppression")
    for nm, v in (("t1_tr_ms", t1_tr_ms), ("t1_te_ms", t1_te_ms), ("stir_tr_ms", stir_tr_ms),
                  ("stir_te_ms", stir_te_ms), ("stir_ti_ms", stir_ti_ms)):
        if v is not None:
            check_positive(v, name=nm)
    seed = _seed_of(rng)

    anat = build_anatomy(preset, body, seed, max_voxels=max_voxels)
    anat_s = anat if stir_slice_mm is None else build_anatomy(
        preset, body, seed, slice_mm=stir_slice_mm, max_voxels=max_voxels)
    t1seq = physics.Sequence("se",
                             physics.T1W_DEFAULT.tr_ms if t1_tr_ms is None else float(t1_tr_ms),
                             physics.T1W_DEFAULT.te_ms if t1_te_ms is None else float(t1_te_ms))
    stirseq = physics.stir_sequence(field_t, tr_ms=stir_tr_ms, te_ms=stir_te_ms,
                                    ti_ms=stir_ti_ms, fat_suppression=fat_suppression)
    states = _lesion_states(cause, side, days, reinnervation_day, course, mimic)
    t1_clean, labels = _simulate_volume(anat, field_t, t1seq, states, cause, side)
    stir_clean, stir_labels = _simulate_volume(anat_s, field_t, stirseq, states, cause, side)

    truth = _truth(anat, anat_s, t1_clean, stir_clean, labels, stir_labels, states,
                   cause=cause, side=side, days=days, reinnervation_day=reinnervation_day,
                   field_t=field_t, seed=seed, course=course)

    tis = physics.TISSUES[field_t]
    ref_t1 = physics.tissue_signal(tis["muscle"], t1seq, field_t=field_t) * SIGNAL_SCALE
    ref_stir = physics.tissue_signal(tis["muscle"], stirseq, field_t=field_t) * SIGNAL_SCALE
    t1 = t1_clean
    stir = stir_clean
    if coil_shading > 0:
        c1 = _coil_field(anat.shape, anat.affine, coil_shading, seed)
        c2 = _coil_field(anat_s.shape, anat_s.affine, coil_shading, seed)
        t1 = t1 * c1
        stir = stir * c2
    if noise:
        t1 = physics.add_rician_noise(t1, ref_t1 / snr_t1, np.random.default_rng([seed, 1]))
        stir = physics.add_rician_noise(stir, ref_stir / snr_stir,
                                        np.random.default_rng([seed, 2]))
    params = {
        "cause": cause, "side": side, "days": days, "reinnervation_day": reinnervation_day,
        "field_t": field_t, "preset": preset, "body": body, "seed": seed,
        "snr_t1": snr_t1, "snr_stir": snr_stir, "coil_shading": coil_shading,
        "stir_slice_mm": stir_slice_mm, "fat_suppression": fat_suppression,
        "t1": {"tr_ms": t1seq.tr_ms, "te_ms": t1seq.te_ms},
        "stir": {"tr_ms": stirseq.tr_ms, "te_ms": stirseq.te_ms, "ti_ms": stirseq.ti_ms},
        "noise": bool(noise), "voxel_mm": list(anat.voxel_mm),
        "stir_voxel_mm": list(anat_s.voxel_mm),
        "noise_sigma": {"t1": ref_t1 / snr_t1 if noise else 0.0,
                        "stir": ref_stir / snr_stir if noise else 0.0},
    }
    truth["sequences"] = {"t1": params["t1"], "stir": params["stir"]}
    return Case(t1.astype(np.float32, copy=False), stir.astype(np.float32, copy=False),
                labels, anat.affine.copy(), anat_s.affine.copy(), dict(LABEL_TABLE), truth,
                params, stir_labels)


def _truth(anat, anat_s, t1, stir, labels, stir_labels, states, *, cause, side, days,
           reinnervation_day, field_t, seed, course):
    names = [anatomy.label_name(m, s) for m in anatomy.MUSCLE_NAMES for s in anatomy.SIDES]
    m1 = _label_means(t1, core_labels(labels), names)
    m2 = _label_means(stir, core_labels(stir_labels), names)
    counts = _label_means(t1, labels, names)
    vox = float(np.prod(anat.voxel_mm)) / 1000.0
    tis = physics.TISSUES[field_t]["muscle"]
    muscles = {}
    for n in names:
        structure, sd = anatomy.parse_name(n)
        other = anatomy.label_name(structure, anatomy.opposite_side(sd))
        st = states.get(n, _MuscleState())
        ff0 = NORMAL_FF.get(structure, _DEFAULT_FF)

        def ratio(m, a=n, b=other):
            va, vb = m[a][0], m[b][0]
            return round(va / vb, 4) if (vb and math.isfinite(va) and math.isfinite(vb)) else None

        muscles[n] = {
            "ff": round(st.ff if st.ff is not None else ff0, 4),
            "t1_ms": round(tis.t1_ms * st.t1_factor, 2),
            "t2_water_ms": round(tis.t2_ms + st.dt2_ms, 2),
            "volume_factor": round(st.volume_factor, 4),
            "partial": bool(st.partial),
            "t1_ratio": ratio(m1),
            "stir_ratio": ratio(m2),
            "volume_ratio": (round(counts[n][1] / counts[other][1], 4)
                             if counts[other][1] else None),
            "volume_ml": round(counts[n][1] * vox, 2),
        }
    affected = sorted(lab for lab, s in states.items()
                      if s.dt2_ms > 0 or s.ff is not None or s.volume_factor != 1.0)
    stage = "none" if cause == "none" else physics.time_stage(days)
    return {
        "cause": cause, "side": side, "days": days, "reinnervation_day": reinnervation_day,
        "time_stage": stage, "field_t": field_t, "affected": affected, "muscles": muscles,
        "seed": seed, "body": anat.body, "preset": anat.preset,
    }


def simulate_slice(anat: Anatomy, *, index: int, plane: str = "axial", cause: str = "none",
                   side: str = "right", days: float = 0.0,
                   reinnervation_day: float | None = None, field_t: float = 1.5,
                   fat_suppression: str = "ideal",
                   course: physics.DenervationCourse = physics.DEFAULT_COURSE,
                   mimic: MimicCourse = DEFAULT_MIMIC) -> tuple[np.ndarray, np.ndarray]:
    """Re-simulate one slice (noise-free T1, STIR) for new lesion settings (live slider).

    Uses the cached anatomy, so only the signal model runs (volume loss included; TFL growth
    of the tendon-tear mimic is left to :func:`make_case`). Axial slices match
    :func:`make_case` exactly (same in-plane PSF); coronal/sagittal ones omit the PSF.

    Returns
    -------
    (t1, stir) : two float32 arrays with the plane's in-plane axes (``plane_slice`` order).

    Examples
    --------
    >>> a = build_anatomy("fast")
    >>> t1, stir = simulate_slice(a, index=10, cause="superior_gluteal", days=90)
    >>> t1.shape == a.shape[:2]
    True
    """
    check_choice(plane, ("axial", "coronal", "sagittal"), name="plane")
    check_choice(cause, anatomy.CAUSES, name="cause")
    check_choice(side, anatomy.SIDES, name="side")
    days = check_non_negative(days, name="days")
    if reinnervation_day is not None:
        reinnervation_day = check_non_negative(reinnervation_day, name="reinnervation_day")
    check_choice(fat_suppression, ("ideal", "imperfect"), name="fat_suppression")
    field_t = _check_field(field_t)
    axis = {"axial": 2, "coronal": 1, "sagittal": 0}[plane]
    n = anat.shape[axis]
    if not 0 <= int(index) < n:
        msg = f"`index` must be in 0..{n - 1} for the {plane} plane; got {index!r}."
        raise InputError(msg)
    sl = [slice(None)] * 3
    sl[axis] = int(index)
    sl = tuple(sl)
    states = _lesion_states(cause, side, days, reinnervation_day, course, mimic)
    w = _weight_map(anat, cause, side, states)
    atrophy = _atrophy_spec(anat, states)
    t1seq = physics.T1W_DEFAULT
    stirseq = physics.stir_sequence(field_t, fat_suppression=fat_suppression)
    tabs = [_tables(anat, field_t, seq, states, cause, side) for seq in (t1seq, stirseq)]
    imgs, _ = _render(anat, sl, tabs, w, atrophy)
    out = [(_psf(img, (0, 1)) if plane == "axial" else img).astype(np.float32) for img in imgs]
    return out[0], out[1]
