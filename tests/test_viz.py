"""Tests for mri_teach.viz: palette, locked windows, orientation, figures (artists + pixels).

Pixel baselines live in ``tests/baseline/``. Regenerate them (and LOOK at the new PNGs before
committing) with::

    MRI_TEACH_REGEN_BASELINES=1 .venv/bin/python -m pytest tests/test_viz.py -k pixel

The pixel tests compare with ``matplotlib.testing.compare.compare_images`` at a small RMS
tolerance, on a deterministic hand-built toy pelvis (seeded noise) drawn at 50 dpi, so
they run without pytest-mpl's ``--mpl`` flag and do not change when the phantom changes.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from conftest import need
from matplotlib.text import Text

from mri_teach import anatomy, orientation, viz
from mri_teach._optional import have
from mri_teach._validation import InputError

BASELINE = Path(__file__).parent / "baseline"
REGEN = os.environ.get("MRI_TEACH_REGEN_BASELINES") == "1"
FOCUS = ("gluteus_medius", "gluteus_minimus", "tensor_fasciae_latae")
AFFECTED = [f"{m}_right" for m in FOCUS]
VOX = (3.0, 3.0, 5.0)


def toy_case(shape=(120, 80, 12), seed=0, focus_slice=7):
    """Ellipse 'muscles' on both sides; right Gmed/Gmin/TFL brighter on STIR, mildly on T1.

    RAS order: the right-side muscles sit at high i. The focus muscles are largest on
    `focus_slice` so the automatic slice choice is known.
    """
    rng = np.random.default_rng(seed)
    ni, nj, nk = shape
    ii, jj = np.meshgrid(np.arange(ni), np.arange(nj), indexing="ij")
    lab = np.zeros(shape, np.int16)
    t1 = np.zeros(shape, np.float32)
    stir = np.zeros(shape, np.float32)
    body = ((ii - ni / 2) / (ni * 0.45)) ** 2 + ((jj - nj / 2) / (nj * 0.45)) ** 2 < 1
    value = {v: k for k, v in anatomy.PHANTOM_LABELS.items()}
    muscles = {"gluteus_medius": (0.22, 0.35, 9, 7), "gluteus_minimus": (0.3, 0.5, 6, 5),
               "tensor_fasciae_latae": (0.28, 0.8, 5, 4), "gluteus_maximus": (0.25, 0.18, 12, 6),
               "iliacus": (0.4, 0.65, 6, 5)}
    for k in range(nk):
        t1[..., k][body] = 800
        stir[..., k][body] = 100
        grow = 1.0 if k == focus_slice else 0.8
        for s, (fx, fy, rx, ry) in muscles.items():
            scale = grow if s in FOCUS else 1.0
            for side in ("right", "left"):
                cx = ni * (1 - fx) if side == "right" else ni * fx
                m = ((ii - cx) / (rx * scale)) ** 2 + ((jj - nj * fy) / (ry * scale)) ** 2 < 1
                lab[..., k][m] = value[f"{s}_{side}"]
                t1[..., k][m] = 300
                stir[..., k][m] = 150
                if side == "right" and s in FOCUS:
                    stir[..., k][m] = 210
                    t1[..., k][m] = 340
    t1 += rng.normal(0, 10, shape).astype(np.float32)
    stir += rng.normal(0, 5, shape).astype(np.float32)
    table = {v: n for v, n in anatomy.PHANTOM_LABELS.items() if v in set(np.unique(lab))}
    return t1, stir, lab, table


def toy_analysis():
    rows = []
    for s in (*FOCUS, "gluteus_maximus", "iliacus"):
        for side in ("right", "left"):
            hit = side == "right" and s in FOCUS
            rows.append({"name": f"{s}_{side}", "muscle": s, "side": side, "voxels": 100,
                         "t1_sir": 1.13 if hit else (0.885 if s in FOCUS else 1.0),
                         "stir_sir": 1.4 if hit else (0.714 if s in FOCUS else 1.0),
                         "volume_ratio": 1.0, "stage": "subacute" if hit else "normal",
                         "reasons": ["STIR SIR 1.40 >= 1.15"] if hit else []})
    return {"muscles": rows, "pattern": {"side": "right", "affected": AFFECTED,
                                         "nerve": "superior_gluteal", "candidates": [],
                                         "stage": "subacute"}, "warnings": []}


@pytest.fixture(scope="module")
def case():
    return toy_case()


# --- palette ----------------------------------------------------------------------------------


def _deutan(hex_color):
    """Viénot-style deuteranopia simulation in linear RGB."""
    rgb = np.array(matplotlib.colors.to_rgb(hex_color))
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.29275, 0.70725, 0.0], [0.29275, 0.70725, 0.0], [-0.02234, 0.02234, 1.0]])
    return m @ lin


def _protan(hex_color):
    rgb = np.array(matplotlib.colors.to_rgb(hex_color))
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.11238, 0.88762, 0.0], [0.11238, 0.88762, 0.0], [0.00401, -0.00401, 1.0]])
    return m @ lin


def test_palette_covers_every_muscle_and_is_distinct():
    assert set(viz.MUSCLE_COLORS) == set(anatomy.MUSCLE_NAMES)
    assert len(set(viz.MUSCLE_COLORS.values())) == len(viz.MUSCLE_COLORS)
    for name in anatomy.MUSCLE_NAMES:
        assert viz.muscle_color(f"{name}_left") == viz.muscle_color(f"{name}_right")


@pytest.mark.parametrize("simulate", [_deutan, _protan, lambda c: np.array(
    matplotlib.colors.to_rgb(c))])
def test_gmed_gmin_tfl_stay_distinct_for_colour_vision_deficiency(simulate):
    colours = [simulate(viz.MUSCLE_COLORS[m]) for m in FOCUS]
    for a in range(3):
        for b in range(a + 1, 3):
            assert np.linalg.norm(colours[a] - colours[b]) > 0.12, (FOCUS[a], FOCUS[b])


def test_muscle_color_unknown_is_grey_and_spelling_insensitive():
    assert viz.muscle_color("bladder") == viz.OTHER_COLOR
    assert viz.muscle_color("Tensor fascia latae L") == viz.MUSCLE_COLORS["tensor_fasciae_latae"]


# --- windows ------------------------------------------------------------------------------------


def test_window_from_percentiles_uses_the_whole_series(case):
    t1 = case[0]
    w = viz.window_from_percentiles(t1)
    expected = np.percentile(t1, [1, 99])
    np.testing.assert_allclose([w.low, w.high], expected, rtol=1e-6)
    # the window does not depend on which slice is shown: it is computed once per volume
    dark = t1.copy()
    dark[:, :, 0] = 0
    assert viz.window_from_percentiles(dark).high == pytest.approx(
        np.percentile(dark, 99), rel=1e-6)
    series = viz.window_from_percentiles([t1, 2 * t1], lo=0, hi=100)
    assert series.high == pytest.approx(2 * t1.max(), rel=1e-6)


def test_window_from_reference_puts_reference_at_gray(case):
    t1, _, lab, table = case
    ref = np.isin(lab, [v for v, n in table.items() if n == "iliacus_left"])
    w = viz.window_from_reference(t1, ref, gray=0.4)
    assert (t1[ref].mean() - w.low) / w.width == pytest.approx(0.4)
    with pytest.raises(InputError, match="gray"):
        viz.window_from_reference(t1, ref, gray=1.5)
    with pytest.raises(InputError, match="no finite voxels"):
        viz.window_from_reference(t1, np.zeros_like(ref))


def test_window_validation():
    with pytest.raises(InputError, match="low < high"):
        viz.Window(3, 1)
    with pytest.raises(InputError, match="lo"):
        viz.window_from_percentiles(np.ones((2, 2, 2)), lo=50, hi=10)
    with pytest.raises(InputError, match="shape"):
        viz.window_from_percentiles(np.ones((2, 2, 2)), mask=np.ones((3, 3, 3), bool))


# --- orientation ---------------------------------------------------------------------------------


@pytest.mark.parametrize("plane", orientation.PLANES)
@pytest.mark.parametrize("neurological", [False, True])
def test_show_plane_data_coordinates_are_voxel_indices(plane, neurological):
    rng = np.random.default_rng(1)
    data = rng.random((6, 7, 8))
    fig, ax = plt.subplots()
    im = viz.show_plane(ax, data, plane, 2, viz.Window(0, 1), neurological=neurological)
    arr = np.asarray(im.get_array())
    sl = orientation.plane_slice(data, plane, 2)
    # screen x = first in-plane axis, screen y = second: arr[y, x] == slice[x, y]
    np.testing.assert_array_equal(arr, sl.T)
    assert im.get_clim() == (0, 1)
    assert ax.xaxis_inverted() == orientation.screen_x_inverted(plane, neurological=neurological)


def test_patient_right_is_on_screen_left_in_radiological_axial():
    data = np.zeros((10, 6, 3))
    data[7:, :, :] = 1.0  # patient right half (high i)
    fig, ax = plt.subplots()
    viz.show_plane(ax, data, "axial", 1, viz.Window(0, 1))
    fig.canvas.draw()
    x_right, _ = ax.transData.transform((9, 3))
    x_left, _ = ax.transData.transform((0, 3))
    assert x_right < x_left
    texts = {t.get_text(): t for t in ax.texts}
    assert texts["R"].get_position()[0] < 0.5 < texts["L"].get_position()[0]


@pytest.mark.parametrize("plane,neurological", [("axial", False), ("axial", True),
                                                ("coronal", False), ("sagittal", False)])
def test_markers_match_orientation_labels(plane, neurological):
    fig, ax = plt.subplots()
    viz.show_plane(ax, np.zeros((4, 5, 6)), plane, 1, viz.Window(0, 1),
                   neurological=neurological)
    expected = orientation.display_labels(plane, neurological=neurological)
    got = {t.get_gid().split("-")[1]: t for t in ax.texts if t.get_gid()}
    for edge, letter in expected.items():
        assert got[edge].get_text() == letter
    x = {e: got[e].get_position()[0] for e in ("left", "right")}
    y = {e: got[e].get_position()[1] for e in ("top", "bottom")}
    assert x["left"] < 0.5 < x["right"] and y["bottom"] < 0.5 < y["top"]


def test_scale_bar_length_in_voxels():
    fig, ax = plt.subplots()
    viz.show_plane(ax, np.zeros((100, 50, 2)), "axial", 0, viz.Window(0, 1))
    line = viz.add_scale_bar(ax, 2.0, 50)
    xs = line.get_xdata()
    assert abs(xs[1] - xs[0]) == pytest.approx(25)
    assert line.get_label() == "50 mm"
    lo, hi = sorted(ax.get_xlim())
    assert lo <= min(xs) and max(xs) <= hi
    assert ax.xaxis_inverted()  # limits are kept
    # a bar that does not fit shrinks to a round length
    assert viz.add_scale_bar(ax, 0.1, 50).get_label() == "5 mm"
    with pytest.raises(InputError):
        viz.add_scale_bar(ax, 0.0)


@pytest.mark.parametrize("neurological", [False, True])
@pytest.mark.parametrize("corner", ["left", "right"])
def test_scale_bar_corner_is_on_screen_and_keeps_the_view(corner, neurological):
    fig, ax = plt.subplots()
    viz.show_plane(ax, np.zeros((100, 50, 2)), "axial", 0, viz.Window(0, 1),
                   neurological=neurological)
    limits = ax.get_xlim()
    line = viz.add_scale_bar(ax, 2.0, 50, corner=corner)
    assert ax.get_xlim() == limits  # radiological inversion survives
    fig.canvas.draw()
    sx = ax.transData.transform(np.c_[line.get_xdata(), line.get_ydata()])[:, 0]
    mid = (ax.bbox.x0 + ax.bbox.x1) / 2
    assert (sx.max() < mid) if corner == "left" else (sx.min() > mid)
    with pytest.raises(InputError):
        viz.add_scale_bar(ax, 2.0, corner="top")
    plt.close(fig)


def test_label_outlines_use_palette_and_only_present_labels(case):
    _, _, lab, table = case
    fig, ax = plt.subplots()
    sl = orientation.plane_slice(lab, "axial", 7)
    viz.show_plane(ax, lab.astype(float), "axial", 7, viz.Window(0, 60))
    drawn = viz.draw_label_outlines(ax, sl, {**table, 999: "piriformis_left"})
    assert set(drawn) == set(table.values())
    for name, cs in drawn.items():
        colour = matplotlib.colors.to_hex(cs.get_edgecolor()[0])
        assert colour.lower() == viz.muscle_color(name).lower()
    only = viz.draw_label_outlines(ax, sl, table, ["gluteus_medius"])
    assert set(only) == {"gluteus_medius_left", "gluteus_medius_right"}


# --- figures ---------------------------------------------------------------------------------


@pytest.mark.parametrize("side", ["right", "left"])
def test_case_panel_arrows_end_inside_muscles_labels_outside_body(case, side):
    """Radiological: patient-right labels on screen left, patient-left on screen right."""
    from scipy import ndimage

    t1, stir, lab, table = case
    names = [f"{m}_{side}" for m in FOCUS]
    fig = viz.plot_case_panel(t1, stir, lab, table, highlight=names, voxel_size_mm=VOX)
    fig.canvas.draw()
    value = {n: v for v, n in table.items()}
    k = int(fig._suptitle.get_text().split("slice ")[1].split()[0])
    lab2d = lab[:, :, k]
    clear = np.isin(lab2d, [value[n] for n in names])
    for ax in fig.axes[:2]:
        assert ax.xaxis_inverted()  # labelling never flips the view
        anns = {a.get_gid()[len("highlight-"):]: a for a in ax.texts
                if (a.get_gid() or "").startswith("highlight-")}
        assert set(anns) == set(names)
        renderer = fig.canvas.get_renderer()
        boxes = []
        for name, ann in anns.items():
            mask = lab2d == value[name]
            i, j = (int(round(c)) for c in ann.xy)
            assert mask[i, j], name  # the tip is on the muscle itself
            depth = ndimage.distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]
            assert depth[i, j] >= depth.max() - 1e-9, name  # its most interior pixel
            fx = ann.xyann[0]
            assert (fx < 0.5) == (side == "right"), (name, fx)
            bb = Text.get_window_extent(ann, renderer)  # the text, not the arrow
            boxes.append(bb)
            gx, gy = np.meshgrid(np.linspace(bb.x0, bb.x1, 12), np.linspace(bb.y0, bb.y1, 5))
            pts = ax.transData.inverted().transform(np.c_[gx.ravel(), gy.ravel()])
            pi = np.clip(np.round(pts[:, 0]).astype(int), 0, lab.shape[0] - 1)
            pj = np.clip(np.round(pts[:, 1]).astype(int), 0, lab.shape[1] - 1)
            assert not clear[pi, pj].any(), name  # the label hides no highlighted muscle
        for a in range(len(boxes)):
            for b in range(a + 1, len(boxes)):
                assert not boxes[a].overlaps(boxes[b])
        bar = next(ln for ln in ax.lines if ln.get_gid() == "scale-bar")
        bar_x = ax.transData.transform(np.c_[bar.get_xdata(), bar.get_ydata()])[:, 0]
        mid = (ax.bbox.x0 + ax.bbox.x1) / 2
        assert (bar_x.mean() < mid) == (side == "left")  # the bar leaves the labels room
    plt.close(fig)


@pytest.mark.parametrize("side", ["right", "left"])
def test_case_panel_labels_sit_on_background_of_a_phantom(side):
    """The physics phantom leaves room outside the body: labels go there, on the lesion side."""
    from mri_teach import phantom

    c = phantom.make_case(cause="superior_gluteal", side=side, days=90, preset="fast")
    names = [f"{m}_{side}" for m in FOCUS]
    fig = viz.plot_case_panel(c.t1, c.stir, c.labels, c.label_table, highlight=names,
                              voxel_size_mm=c.voxel_size_mm)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    k = int(fig._suptitle.get_text().split("slice ")[1].split()[0])
    t1 = c.t1[:, :, k]
    dark = t1 < 0.1 * np.percentile(c.t1, 99)
    for ax in fig.axes[:2]:
        assert ax.xaxis_inverted()
        anns = [a for a in ax.texts if (a.get_gid() or "").startswith("highlight-")]
        assert len(anns) == 3
        for ann in anns:
            assert (ann.xyann[0] > 0.5) == (side == "left")  # patient left: screen right
            bb = Text.get_window_extent(ann, renderer)
            gx, gy = np.meshgrid(np.linspace(bb.x0, bb.x1, 12), np.linspace(bb.y0, bb.y1, 5))
            pts = ax.transData.inverted().transform(np.c_[gx.ravel(), gy.ravel()])
            pi = np.clip(np.round(pts[:, 0]).astype(int), 0, t1.shape[0] - 1)
            pj = np.clip(np.round(pts[:, 1]).astype(int), 0, t1.shape[1] - 1)
            assert dark[pi, pj].mean() > 0.97, ann.get_text()  # on the background
    plt.close(fig)


def test_inner_point_and_assign_properties(rng):
    for _ in range(20):
        m = np.zeros((30, 20), bool)
        x0, y0 = rng.integers(0, 15), rng.integers(0, 10)
        m[x0:x0 + rng.integers(3, 15), y0:y0 + rng.integers(3, 10)] = True
        m[rng.integers(0, 30, 10), rng.integers(0, 20, 10)] = True
        i, j = viz._inner_point(m)
        assert m[i, j]
    targets = [(0.8, float(y)) for y in sorted(rng.random(3), reverse=True)]
    slots = [(0.9, float(y)) for y in np.linspace(0.95, 0.05, 8)]
    chosen = viz._assign(targets, slots)
    assert len(set(chosen)) == 3 and set(chosen) <= set(slots)
    ys = [c[1] for c in chosen]
    assert ys == sorted(ys, reverse=True)  # minimal total length: arrows do not cross


def test_case_panel_artists(case):
    t1, stir, lab, table = case
    windows = {"T1": viz.Window(0, 900), "STIR": viz.Window(0, 250)}
    fig = viz.plot_case_panel(t1, stir, lab, table, windows=windows, highlight=AFFECTED,
                              voxel_size_mm=VOX)
    ax_t1, ax_stir = fig.axes[:2]
    assert ax_t1.images[0].get_clim() == (0, 900)
    assert ax_stir.images[0].get_clim() == (0, 250)
    # automatic level: the slice with most Gmed/Gmin/TFL voxels
    assert "slice 7" in fig._suptitle.get_text()
    np.testing.assert_array_equal(ax_stir.images[0].get_array(), stir[:, :, 7].T)
    for ax in (ax_t1, ax_stir):
        assert ax.xaxis_inverted()
        letters = {t.get_text(): t.get_position()[0] for t in ax.texts
                   if (t.get_gid() or "").startswith("orientation")}
        assert letters["R"] < 0.5 < letters["L"]
        gids = {a.get_gid() for a in ax.texts if a.get_gid()}
        assert {f"highlight-{n}" for n in AFFECTED} <= gids
    legend = fig.legends[0]
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels[:3] == ["gluteus medius", "gluteus minimus", "tensor fasciae latae"]
    for handle, text in zip(legend.legend_handles, labels, strict=True):
        structure = next(s for s, m in anatomy.MUSCLES.items() if m.display == text)
        assert matplotlib.colors.to_hex(handle.get_color()) == viz.MUSCLE_COLORS[structure].lower()


def test_case_panel_default_windows_are_whole_volume(case):
    t1, stir, lab, table = case
    fig = viz.plot_case_panel(t1, stir, lab, table, index=3)
    assert fig.axes[0].images[0].get_clim() == pytest.approx(
        (viz.window_from_percentiles(t1).low, viz.window_from_percentiles(t1).high))
    w_slice = np.percentile(stir[:, :, 3], [1, 99])
    w_vol = viz.window_from_percentiles(stir)
    assert fig.axes[1].images[0].get_clim() == pytest.approx((w_vol.low, w_vol.high))
    assert not np.allclose(w_slice, (w_vol.low, w_vol.high))  # the two choices differ here


def test_case_panel_shows_right_stir_brightening_on_screen_left(case):
    t1, stir, lab, table = case
    fig = viz.plot_case_panel(t1, stir, lab, table, slide=False)
    fig.canvas.draw()
    ax = fig.axes[1]
    arr = np.asarray(ax.images[0].get_array())
    sl = lab[:, :, 7]
    v = {n: k for k, n in table.items()}
    right = arr.T[sl == v["gluteus_medius_right"]].mean()
    left = arr.T[sl == v["gluteus_medius_left"]].mean()
    assert right > 1.25 * left
    ii = np.argwhere(sl == v["gluteus_medius_right"])[:, 0].mean()
    x_right = ax.transData.transform((ii, 20))[0]
    bbox = ax.get_window_extent()
    assert x_right < (bbox.x0 + bbox.x1) / 2  # patient right muscle on screen left


def test_case_panel_rejects_mismatched_grids(case):
    t1, stir, lab, table = case
    with pytest.raises(InputError, match="one grid"):
        viz.plot_case_panel(t1, stir[:, :, :5], lab, table)
    with pytest.raises(InputError, match="table"):
        viz.plot_case_panel(t1, stir, lab, None)


def test_sir_chart_dots_and_thresholds():
    an = toy_analysis()
    fig = viz.plot_sir_chart(an)
    ax_t1, ax_stir = fig.axes[:2]
    dot = {ln.get_gid(): ln for ln in ax_stir.lines if ln.get_gid()}
    assert dot["stir_sir-gluteus_medius-right"].get_xdata()[0] == pytest.approx(1.4)
    assert dot["stir_sir-gluteus_medius-left"].get_xdata()[0] == pytest.approx(0.714)
    assert matplotlib.colors.to_hex(dot["stir_sir-gluteus_minimus-right"].get_mec()) == \
        viz.MUSCLE_COLORS["gluteus_minimus"].lower()
    vlines = sorted(round(ln.get_xdata()[0], 3) for ln in ax_stir.lines
                    if ln.get_linestyle() == "--")
    assert vlines == [1.15]
    t1_lines = sorted(round(ln.get_xdata()[0], 3) for ln in ax_t1.lines
                      if ln.get_linestyle() == "--")
    assert t1_lines == [1.1, 1.35]
    custom = viz.plot_sir_chart(an, rules={"stir_abnormal": 1.3})
    assert [round(ln.get_xdata()[0], 3) for ln in custom.axes[1].lines
            if ln.get_linestyle() == "--"] == [1.3]
    stage_labels = [t.get_text() for t in fig.axes[2].get_yticklabels()]
    assert stage_labels[0] == "R subacute"  # top row: gluteus medius
    assert "superior gluteal nerve" in fig._suptitle.get_text()


def test_sir_chart_bad_input():
    with pytest.raises(InputError, match="muscles"):
        viz.plot_sir_chart({"pattern": {}})


def test_expected_course_follows_the_teaching_time_course():
    c = viz.expected_course([0, 10, 21, 90, 540])
    assert c["stir_ratio"][0] == pytest.approx(1.0)
    assert c["stir_ratio"][1] == pytest.approx(1.0)  # too early (< 2 weeks)
    assert c["stir_ratio"][3] > 1.15  # subacute edema above the teaching threshold
    assert c["t1_ratio"][2] < 1.10 < c["t1_ratio"][4]  # T1 normal when acute, fatty later
    assert c["volume_ratio"][4] < 0.85 < c["volume_ratio"][2]
    r = viz.expected_course([400], reinnervation_day=120)
    assert r["stir_ratio"][0] < viz.expected_course([400])["stir_ratio"][0]


def test_timeline_artists():
    fig = viz.plot_timeline(measured={"stir_ratio": 1.33, "t1_ratio": 1.12}, days=90,
                            reinnervation_day=150)
    axes = fig.axes[:3]
    gids = {ln.get_gid(): ln for ln in axes[0].lines if ln.get_gid()}
    star = gids["measured-stir_ratio"]
    assert (star.get_xdata()[0], star.get_ydata()[0]) == (90, 1.33)
    assert "curve-reinnervation-stir_ratio" in gids
    assert "measured-volume_ratio" not in {ln.get_gid() for ln in axes[2].lines}
    bands = {p.get_gid() for p in axes[0].patches}
    assert {"band-too_early", "band-acute", "band-subacute", "band-chronic"} <= bands
    assert axes[2].get_xlim() == (0, 720)
    unknown = viz.plot_timeline(measured={"stir_ratio": 1.2})  # time unknown: a line
    line = next(ln for ln in unknown.axes[0].lines if ln.get_gid() == "measured-stir_ratio")
    assert list(line.get_ydata()) == [1.2, 1.2]


def test_innervation_highlights_the_territory(case):
    _, _, lab, table = case
    fig = viz.plot_innervation("superior_gluteal", "right", labels=lab, table=table,
                               background=case[0])
    boxes = {p.get_gid(): p for p in fig.axes[0].patches if p.get_gid()}
    for m in FOCUS:
        assert matplotlib.colors.to_hex(boxes[f"box-{m}"].get_facecolor()) == \
            viz.MUSCLE_COLORS[m].lower()
    assert matplotlib.colors.to_hex(boxes["box-gluteus_maximus"].get_facecolor()) == "#ffffff"
    nerves = {ln.get_gid(): ln.get_linewidth() for ln in fig.axes[0].lines if ln.get_gid()}
    assert nerves["nerve-superior_gluteal"] > nerves["nerve-inferior_gluteal"]
    assert fig.axes[1].xaxis_inverted()  # the shaded slice stays radiological
    ig = viz.plot_innervation("inferior_gluteal", "left")
    boxes = {p.get_gid(): p for p in ig.axes[0].patches if p.get_gid()}
    assert matplotlib.colors.to_hex(boxes["box-gluteus_medius"].get_facecolor()) == "#ffffff"
    with pytest.raises(InputError):
        viz.plot_innervation("vagus")


def test_montage_locks_one_window(case):
    t1, _, lab, table = case
    fig = viz.plot_montage(t1, "axial", [1, 4, 7], labels=lab, table=table)
    clims = {ax.images[0].get_clim() for ax in fig.axes if ax.images}
    assert len(clims) == 1
    assert len([ax for ax in fig.axes if ax.images]) == 3
    with pytest.raises(InputError):
        viz.plot_montage(t1, "axial", [])


def test_stage_gallery_locks_windows_across_columns():
    need(have("mri_teach.phantom"), "mri_teach.phantom is not available yet")
    fig = viz.plot_stage_gallery(preset="fast")
    t1_axes = [ax for ax in fig.axes if (ax.get_gid() or "").startswith("gallery-T1")]
    stir_axes = [ax for ax in fig.axes if (ax.get_gid() or "").startswith("gallery-STIR")]
    assert len(t1_axes) == len(stir_axes) == 4
    assert len({ax.images[0].get_clim() for ax in t1_axes}) == 1
    assert len({ax.images[0].get_clim() for ax in stir_axes}) == 1
    assert all(ax.xaxis_inverted() for ax in t1_axes + stir_axes)


# --- style -----------------------------------------------------------------------------------


def _slide_figures(case):
    t1, stir, lab, table = case
    return {
        "case_panel": viz.plot_case_panel(t1, stir, lab, table, highlight=AFFECTED,
                                          voxel_size_mm=VOX),
        "sir_chart": viz.plot_sir_chart(toy_analysis()),
        "timeline": viz.plot_timeline(measured={"stir_ratio": 1.3}, days=90),
        "innervation": viz.plot_innervation("superior_gluteal", "right", labels=lab,
                                            table=table, background=t1),
        "montage": viz.plot_montage(t1, "axial", [2, 7], labels=lab, table=table,
                                    title="montage"),
    }


def test_slide_figures_have_no_text_under_18pt_and_are_16_9(case):
    for name, fig in _slide_figures(case).items():
        w, h = fig.get_size_inches()
        assert (w, h) == pytest.approx(viz.SLIDE_SIZE_IN), name
        fig.canvas.draw()
        texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
        assert texts, name
        small = [(t.get_text(), t.get_fontsize()) for t in texts if t.get_fontsize() < 18]
        assert not small, (name, small)


def test_figures_leave_global_rcparams_alone_and_never_show(case, monkeypatch):
    before = dict(matplotlib.rcParams)

    def no_show(*a, **k):
        raise AssertionError("plt.show() called")

    monkeypatch.setattr(plt, "show", no_show)
    _slide_figures(case)
    after = dict(matplotlib.rcParams)
    changed = {k for k in before if before[k] != after[k] and k != "backend"}
    assert not changed


# --- pixels ----------------------------------------------------------------------------------


def _pixel_compare(fig, name, tol=6.0, tmp_path=None):
    from matplotlib.testing.compare import compare_images

    baseline = BASELINE / f"{name}.png"
    out = Path(tmp_path) / f"{name}.png"
    fig.savefig(out, dpi=50, metadata={"Software": None})
    if REGEN or not baseline.exists():
        if not REGEN:
            need(False, f"baseline {baseline.name} missing; regenerate with "
                 "MRI_TEACH_REGEN_BASELINES=1")
        BASELINE.mkdir(exist_ok=True)
        shutil.copyfile(out, baseline)  # the same rendering (a second savefig re-lays out)
        return
    result = compare_images(str(baseline), str(out), tol=tol)
    assert result is None, result


def test_pixel_case_panel(case, tmp_path):
    t1, stir, lab, table = case
    fig = viz.plot_case_panel(t1, stir, lab, table, highlight=AFFECTED, voxel_size_mm=VOX)
    _pixel_compare(fig, "case_panel", tmp_path=tmp_path)


def test_pixel_sir_chart(tmp_path):
    _pixel_compare(viz.plot_sir_chart(toy_analysis()), "sir_chart", tmp_path=tmp_path)


def test_pixel_timeline(tmp_path):
    from mri_teach import physics

    # the curves' settings are pinned so a change of the physics defaults does not move them
    course = physics.DenervationCourse(
        onset_days=12.0, dt2_plateau_ms=15.0, dt2_tau_days=40.0, t1_factor_plateau=1.1,
        ff_chronic=0.45, ff_onset_days=30.0, ff_tau_days=130.0, volume_min=0.65,
        volume_onset_days=60.0, volume_tau_days=200.0, recovery_tau_days=90.0)
    fig = viz.plot_timeline(measured={"stir_ratio": 1.33, "t1_ratio": 1.12,
                                      "volume_ratio": 0.93}, days=90, params=course)
    _pixel_compare(fig, "timeline", tmp_path=tmp_path)


def test_pixel_innervation(tmp_path):
    _pixel_compare(viz.plot_innervation("superior_gluteal", "right"), "innervation",
                   tmp_path=tmp_path)


def test_stage_gallery_from_whole_cases_uses_whole_volume_windows():
    need(have("mri_teach.phantom"), "mri_teach.phantom is not available yet")
    cases = viz.make_gallery_cases(days=(0, 90), preset="fast")
    assert cases[0].truth["cause"] == "none" and cases[1].truth["cause"] == "superior_gluteal"
    fig = viz.plot_stage_gallery(cases, days=(0, 90))
    stir_axes = [ax for ax in fig.axes if (ax.get_gid() or "").startswith("gallery-STIR")]
    w = viz.window_from_percentiles([np.asarray(c.stir) for c in cases])
    for ax in stir_axes:
        assert ax.images[0].get_clim() == pytest.approx((w.low, w.high), rel=1e-3)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles[0] == "normal" and titles[1].startswith("subacute")


def test_case_panel_neurological_puts_patient_right_on_screen_right(case):
    t1, stir, lab, table = case
    fig = viz.plot_case_panel(t1, stir, lab, table, neurological=True, slide=False)
    for ax in fig.axes[:2]:
        assert not ax.xaxis_inverted()
        letters = {t.get_text(): t.get_position()[0] for t in ax.texts
                   if (t.get_gid() or "").startswith("orientation")}
        assert letters["L"] < 0.5 < letters["R"]
    assert "neurological" in fig._suptitle.get_text()
