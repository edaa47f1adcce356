"""Objective anatomy check: the phantom's gluteal muscles and TFL against a real label map.

Reference: the MuscleMap whole-body label map ``musclemap/images/test_dseg.nii.gz`` of
``../shared/data/real`` (a real subject segmented by the MuscleMap model, 1.5 mm, RAS; see
its SOURCES.md). Label values from the MuscleMap whole-body model table
(``contrast_agnostic_wholebody_model.json``): gluteus minimus 6101 left / 6102 right,
gluteus medius 6111 / 6112, gluteus maximus 6121 / 6122, TFL 6131 / 6132, femur 6171 / 6172.
The sides are checked against the affine here (a left label must lie at world x < 0).

**Pelvis-normalised frame** (the same code for both label maps):

* x: ``u = (x - x_mid) * s / w`` with ``x_mid`` the midpoint of the two Gmed centroids,
  ``w`` half their distance and ``s = +1`` on the right, ``-1`` on the left, so ``u`` grows
  laterally on both sides and Gmed sits at ``u = 1``;
* y: ``v = (y - y_gmed) / w`` (anterior positive, same scale as x);
* z: ``zeta = (z - z_fh) / (z_fh - z_gmed_low)`` with ``z_fh`` the femoral-head apex (top of
  the femur label) and ``z_gmed_low`` the lowest Gmed voxel (its insertion on the greater
  trochanter): ``zeta = 0`` at the head apex, ``-1`` at the Gmed insertion.

**Common slab.** The real map starts only about 20 mm above the femoral-head apex (its
Gmed, Gmin, Gmax and ilium are all cut at the top of its field of view, ``zeta`` ~ 0.4), and
the phantom stops below the lesser trochanters, so centroids are compared inside the slab
both cover: ``max(bottoms) <= zeta <= min(tops)``.

**Checks and tolerances** (per side):

1. medial-lateral and anterior-posterior *order* of the four muscles' slab centroids: every
   pair separated by more than ``ORDER_MARGIN`` = 0.08 (normalised units) in the real map
   must have the same order in the phantom;
2. slab centroids within ``TOL_U`` = 0.25 (lateral), ``TOL_V`` = 0.30 (anterior-posterior)
   and ``TOL_ZETA`` = 0.35 (level) of the real ones; with ``w`` about 135 mm and the
   ``zeta`` unit about 50 mm these are about 34 mm, 40 mm and 18 mm: loose enough for
   individual variation, tight enough to catch a muscle on the wrong side of another;
3. levels: the Gmed and Gmin insertions (lowest voxels) within ``TOL_ZETA`` of the real
   ones; TFL and Gmax extend below the Gmed insertion (both maps); Gmax reaches lowest of
   the four within the phantom's field of view;
4. phantom only (the real map is cut above): TFL begins below the top of Gmed, and Gmin's
   top is below Gmed's top (domain.md 5.1: Gmed on the outer iliac table from the crest, Gmin
   appears deep to it lower down, TFL from the ASIS level down).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import REAL_DATA, need

from mri_teach import anatomy, io, orientation

MUSCLES4 = ("gluteus_medius", "gluteus_minimus", "gluteus_maximus", "tensor_fasciae_latae")
MUSCLEMAP_IDS = {  # MuscleMap whole-body model table (value -> name, side from its table)
    6101: "gluteus_minimus_left", 6102: "gluteus_minimus_right",
    6111: "gluteus_medius_left", 6112: "gluteus_medius_right",
    6121: "gluteus_maximus_left", 6122: "gluteus_maximus_right",
    6131: "tensor_fasciae_latae_left", 6132: "tensor_fasciae_latae_right",
    6171: "femur_left", 6172: "femur_right",
}
ORDER_MARGIN = 0.08
TOL_U = 0.25
TOL_V = 0.30
TOL_ZETA = 0.35


def _world_points(data, affine, table) -> dict[tuple[str, str], np.ndarray]:
    """World mm of every voxel of the four muscles and the femur, keyed (structure, side)."""
    wanted = {}
    for value, name in table.items():
        structure, side = anatomy.parse_name(name)
        if side is not None and structure in (*MUSCLES4, "femur"):
            wanted.setdefault((structure, side), []).append(value)
    out = {}
    for key, values in wanted.items():
        ijk = np.argwhere(np.isin(data, values))
        assert len(ijk), key
        out[key] = orientation.voxel_to_world(affine, ijk)
    return out


def pelvis_frame(data, affine, table):
    """Normalised coordinates (u, v, zeta) of each muscle's voxels, keyed (muscle, side)."""
    pts = _world_points(data, affine, table)
    z_fh = np.mean([pts[("femur", s)][:, 2].max() for s in anatomy.SIDES])
    z_low = np.mean([pts[("gluteus_medius", s)][:, 2].min() for s in anatomy.SIDES])
    zunit = z_fh - z_low
    assert zunit > 0, "Gmed must insert below the femoral-head apex"
    cl = pts[("gluteus_medius", "left")].mean(axis=0)
    cr = pts[("gluteus_medius", "right")].mean(axis=0)
    x_mid, w, y_mid = (cl[0] + cr[0]) / 2, (cr[0] - cl[0]) / 2, (cl[1] + cr[1]) / 2
    assert w > 0, "right Gmed must lie at larger world x than left Gmed (RAS+)"
    frame = {}
    for (structure, side), p in pts.items():
        if structure == "femur":
            continue
        s = 1.0 if side == "right" else -1.0
        frame[(structure, side)] = np.column_stack(
            [(p[:, 0] - x_mid) * s / w, (p[:, 1] - y_mid) / w, (p[:, 2] - z_fh) / zunit])
    return frame, {"w_mm": w, "zunit_mm": zunit}


def slab_summary(frame, lo, hi):
    out = {}
    for key, p in frame.items():
        inside = p[(p[:, 2] >= lo) & (p[:, 2] <= hi)]
        out[key] = {"u": inside[:, 0].mean(), "v": inside[:, 1].mean(),
                    "zeta": inside[:, 2].mean(), "top": p[:, 2].max(),
                    "bottom": p[:, 2].min(), "n": len(inside)}
    return out


@pytest.fixture(scope="module")
def real_frame():
    path = REAL_DATA / "musclemap" / "images" / "test_dseg.nii.gz"
    need(path.is_file(), f"MuscleMap label map not found at {path}")
    lm = io.load_labels(path, table=MUSCLEMAP_IDS)
    return pelvis_frame(lm.data, lm.affine, MUSCLEMAP_IDS)


@pytest.fixture(scope="module")
def phantom_frame():
    from mri_teach import phantom

    case = phantom.make_case(cause="none", preset="fast", rng=0)
    labels = np.asarray(case.labels)
    return pelvis_frame(labels, case.affine, case.label_table)


@pytest.fixture(scope="module")
def compared(real_frame, phantom_frame):
    (rf, _), (pf, _) = real_frame, phantom_frame
    lo = max(min(p[:, 2].min() for p in rf.values()), min(p[:, 2].min() for p in pf.values()))
    hi = min(max(p[:, 2].max() for p in rf.values()), max(p[:, 2].max() for p in pf.values()))
    assert hi - lo > 1.0, (lo, hi)  # at least one zeta unit (~5 cm) of common slab
    return slab_summary(rf, lo, hi), slab_summary(pf, lo, hi), (lo, hi)


def test_musclemap_sides_follow_the_affine(real_data):
    lm = io.load_labels(real_data / "musclemap" / "images" / "test_dseg.nii.gz",
                        table=MUSCLEMAP_IDS)
    for value, name in MUSCLEMAP_IDS.items():
        side = anatomy.parse_name(name)[1]
        x = orientation.voxel_to_world(lm.affine, np.argwhere(lm.data == value).mean(axis=0))[0]
        assert (x > 0) == (side == "right"), (value, name, x)
    # and io's built-in MuscleMap table agrees with the model table used here
    builtin = getattr(io, "MUSCLEMAP_LABELS", None)
    if builtin is not None:
        for value, name in MUSCLEMAP_IDS.items():
            if value in builtin:
                assert anatomy.parse_name(builtin[value]) == anatomy.parse_name(name)


@pytest.mark.parametrize("axis", ["u", "v"])
@pytest.mark.parametrize("side", anatomy.SIDES)
def test_order_matches_musclemap(compared, axis, side):
    real, ph, _ = compared
    checked = 0
    for a in MUSCLES4:
        for b in MUSCLES4:
            if a >= b:
                continue
            d_real = real[(a, side)][axis] - real[(b, side)][axis]
            if abs(d_real) <= ORDER_MARGIN:
                continue
            d_ph = ph[(a, side)][axis] - ph[(b, side)][axis]
            checked += 1
            assert np.sign(d_ph) == np.sign(d_real), (
                f"{axis}: {a} vs {b} ({side}): real {d_real:+.2f}, phantom {d_ph:+.2f}")
    assert checked >= 3  # the comparison must not be vacuous


@pytest.mark.parametrize("side", anatomy.SIDES)
@pytest.mark.parametrize("muscle", MUSCLES4)
def test_centroids_within_tolerance(compared, muscle, side):
    real, ph, _ = compared
    r, p = real[(muscle, side)], ph[(muscle, side)]
    assert r["n"] > 100 and p["n"] > 100
    assert abs(p["u"] - r["u"]) <= TOL_U, ("u", p["u"], r["u"])
    assert abs(p["v"] - r["v"]) <= TOL_V, ("v", p["v"], r["v"])
    assert abs(p["zeta"] - r["zeta"]) <= TOL_ZETA, ("zeta", p["zeta"], r["zeta"])


@pytest.mark.parametrize("side", anatomy.SIDES)
def test_insertion_levels_match_musclemap(compared, side):
    real, ph, _ = compared
    for muscle in ("gluteus_medius", "gluteus_minimus"):
        assert abs(ph[(muscle, side)]["bottom"] - real[(muscle, side)]["bottom"]) <= TOL_ZETA
    for summary in (real, ph):
        gmed_low = summary[("gluteus_medius", side)]["bottom"]
        assert summary[("tensor_fasciae_latae", side)]["bottom"] < gmed_low
        assert summary[("gluteus_maximus", side)]["bottom"] < gmed_low
    gmax_low = ph[("gluteus_maximus", side)]["bottom"]
    assert all(gmax_low <= ph[(m, side)]["bottom"] + 1e-9 for m in MUSCLES4)


@pytest.mark.parametrize("side", anatomy.SIDES)
def test_phantom_levels_follow_domain_5_1(phantom_frame, side):
    frame, _ = phantom_frame
    top = {m: frame[(m, side)][:, 2].max() for m in MUSCLES4}
    assert top["tensor_fasciae_latae"] < top["gluteus_medius"]
    assert top["gluteus_minimus"] < top["gluteus_medius"]
