"""RoiEditor through real matplotlib events under Agg (issue 5, item 7).

Every interaction goes through ``fig.canvas.callbacks.process(name, event)`` with real
``MouseEvent`` / ``KeyEvent`` objects whose pixel positions come from ``ax.transData``, so
a broken connection, a wrong transform or a flipped axis fails these tests. Masks are
compared with :mod:`mri_teach.roi`'s rasterisation of the same points.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from matplotlib.backend_bases import KeyEvent, MouseButton, MouseEvent

from mri_teach import io, orientation, roi
from mri_teach.widgets import INSTALL_HINT, RoiEditor, link_windows

SHAPE = (48, 40, 12)


def _affine(voxel=(1.0, 1.0, 3.0)):
    aff = np.diag([*voxel, 1.0])
    aff[:3, 3] = [-(SHAPE[0] - 1) / 2 * voxel[0], -20.0, -15.0]  # x = 0 between i 23 and 24
    return aff


def _pair(seed=0):
    rng = np.random.default_rng(seed)
    t1 = (100 + 5 * rng.standard_normal(SHAPE)).astype(np.float32)
    stir = (40 + 3 * rng.standard_normal(SHAPE)).astype(np.float32)
    stir[30:40, 10:20, :] += 20  # "right" muscle brighter on STIR (high i = patient right)
    return t1, stir


@pytest.fixture
def roi_dir(tmp_path, monkeypatch):
    folder = tmp_path / "rois"
    monkeypatch.setenv("MRI_TEACH_ROI_DIR", str(folder))
    return folder


@pytest.fixture
def editor(roi_dir):
    t1, stir = _pair()
    return RoiEditor(t1, stir, affine=_affine(), analyze=False)


# -- real events -------------------------------------------------------------------------------
def _px(ax, x, y):
    return ax.transData.transform((x, y))


def mouse(ed, name, x, y, *, panel=0, button=MouseButton.LEFT):
    canvas = ed.figure.canvas
    px, py = _px(ed.axes[panel], x, y)
    event = MouseEvent(name, canvas, px, py, button=button)
    canvas.callbacks.process(name, event)
    return event


def click(ed, x, y, **kw):
    mouse(ed, "button_press_event", x, y, **kw)
    mouse(ed, "button_release_event", x, y, **kw)


def drag(ed, points, **kw):
    mouse(ed, "button_press_event", *points[0], **kw)
    for p in points[1:]:
        mouse(ed, "motion_notify_event", *p, **kw)
    mouse(ed, "button_release_event", *points[-1], **kw)


def key(ed, k, panel=0):
    canvas = ed.figure.canvas
    ax = ed.axes[panel]
    px, py = ax.transAxes.transform((0.5, 0.5))
    event = KeyEvent("key_press_event", canvas, k, px, py)
    canvas.callbacks.process("key_press_event", event)


def label_slice(ed, name, plane=None, index=None):
    value = {n: v for v, n in ed.table.items()}[name]
    data = orientation.plane_slice(ed.labels, plane or ed.plane,
                                   ed.index if index is None else index)
    return data == value


def draw_polygon(ed, verts, panel=0):
    ed.figure.canvas.draw()
    for v in verts:
        click(ed, *v, panel=panel)
    click(ed, *verts[0], panel=panel)  # clicking the first vertex closes


# -- drawing ---------------------------------------------------------------------------------
SQUARE = [(30.3, 8.2), (38.7, 8.4), (38.6, 17.7), (30.2, 17.6)]


def test_polygon_by_clicks_matches_roi_rasterisation(editor):
    draw_polygon(editor, SQUARE)
    (edit,) = editor.edits
    assert edit.kind == "polygon" and edit.name == "gluteus_medius_right"
    np.testing.assert_allclose(edit.points, SQUARE, atol=1e-6)  # transform round trip
    expected = roi.polygon_to_mask(SQUARE, SHAPE[:2])
    got = label_slice(editor, "gluteus_medius_right")
    assert got.sum() > 50
    np.testing.assert_array_equal(got, expected)
    # only the slice drawn on
    assert int((editor.labels > 0).sum()) == int(expected.sum())


def test_polygon_close_button_and_enter(editor):
    editor.figure.canvas.draw()
    for v in SQUARE[:3]:
        click(editor, *v)
    key(editor, "enter")
    assert len(editor.edits) == 1 and len(editor.edits[0].points) == 3
    for v in SQUARE:
        click(editor, *v, panel=1)
    editor.controls["close"].click()
    assert len(editor.edits) == 2 and len(editor.edits[1].points) == 4


def test_double_click_closes_polygon(editor):
    editor.figure.canvas.draw()
    for v in SQUARE[:3]:
        click(editor, *v)
    canvas = editor.figure.canvas
    px, py = _px(editor.axes[0], *SQUARE[3])
    for dbl in (False, False, True):  # what a browser double-click delivers
        canvas.callbacks.process("button_press_event", MouseEvent(
            "button_press_event", canvas, px, py, button=MouseButton.LEFT, dblclick=dbl))
        canvas.callbacks.process("button_release_event", MouseEvent(
            "button_release_event", canvas, px, py, button=MouseButton.LEFT))
    (edit,) = editor.edits
    np.testing.assert_allclose(edit.points, SQUARE, atol=1e-6)


def test_lasso_matches_roi_rasterisation(editor):
    editor.set_tool("lasso")
    editor.figure.canvas.draw()
    t = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    path = list(zip(20 + 6 * np.cos(t), 20 + 4 * np.sin(t), strict=True))
    drag(editor, path)
    (edit,) = editor.edits
    assert edit.kind == "lasso"
    np.testing.assert_allclose(edit.points, path, atol=1e-6)
    np.testing.assert_array_equal(label_slice(editor, "gluteus_medius_right"),
                                  roi.polygon_to_mask(path, SHAPE[:2]))


def test_brush_and_eraser_strokes(editor):
    editor.set_tool("brush")
    editor.brush_radius_vox = 2.5
    editor.figure.canvas.draw()
    stroke = [(10.0, 10.0), (14.0, 12.0), (20.0, 12.0)]
    drag(editor, stroke)
    painted = roi.brush_to_mask(stroke, 2.5, SHAPE[:2])
    np.testing.assert_array_equal(label_slice(editor, "gluteus_medius_right"), painted)
    editor.set_tool("eraser")
    editor.brush_radius_vox = 1.5
    erase = [(14.0, 8.0), (14.0, 16.0)]
    drag(editor, erase)
    expected = painted & ~roi.brush_to_mask(erase, 1.5, SHAPE[:2])
    got = label_slice(editor, "gluteus_medius_right")
    np.testing.assert_array_equal(got, expected)
    assert got.sum() < painted.sum()


def test_eraser_only_removes_the_current_label(editor):
    editor.add_brush("gluteus_minimus_right", [(10, 10), (20, 10)], radius_vox=3)
    editor.set_tool("eraser")
    editor.brush_radius_vox = 5
    editor.figure.canvas.draw()
    drag(editor, [(15.0, 10.0), (15.2, 10.0)])  # current label is gluteus medius: no effect
    assert label_slice(editor, "gluteus_minimus_right").sum() == \
        roi.brush_to_mask([(10, 10), (20, 10)], 3, SHAPE[:2]).sum()


def test_ellipse_drag(editor):
    editor.set_tool("ellipse")
    editor.figure.canvas.draw()
    drag(editor, [(10.0, 10.0), (14.0, 13.0), (20.0, 16.0)])
    expected = roi.ellipse_to_mask((15.0, 13.0), (5.0, 3.0), SHAPE[:2])
    np.testing.assert_array_equal(label_slice(editor, "gluteus_medius_right"), expected)


def test_move_and_delete_vertices_of_current_polygon(editor):
    editor.figure.canvas.draw()
    for v in SQUARE:
        click(editor, *v)
    # drag vertex 2 of the polygon in progress
    drag(editor, [SQUARE[2], (36.0, 22.0)])
    # right-click vertex 3 deletes it
    click(editor, *SQUARE[3], button=MouseButton.RIGHT)
    click(editor, *SQUARE[0])  # close
    (edit,) = editor.edits
    expected_pts = [SQUARE[0], SQUARE[1], (36.0, 22.0)]
    np.testing.assert_allclose(edit.points, expected_pts, atol=1e-6)
    np.testing.assert_array_equal(label_slice(editor, "gluteus_medius_right"),
                                  roi.polygon_to_mask(expected_pts, SHAPE[:2]))
    # after closing, the last polygon stays editable: move vertex 1 (undoable)
    drag(editor, [SQUARE[1], (44.0, 8.0)])
    assert len(editor.edits) == 1
    np.testing.assert_allclose(editor.edits[0].points[1], (44.0, 8.0), atol=1e-6)
    editor.undo()
    np.testing.assert_allclose(editor.edits[0].points[1], SQUARE[1], atol=1e-6)


def test_undo_redo_through_keys_and_buttons(editor):
    draw_polygon(editor, SQUARE)
    first = editor.labels.copy()
    editor.set_label(side="left")
    draw_polygon(editor, [(3.2, 8.1), (10.6, 8.3), (10.4, 15.5)])
    both = editor.labels.copy()
    assert set(editor.table.values()) == {"gluteus_medius_right", "gluteus_medius_left"}
    key(editor, "ctrl+z")
    np.testing.assert_array_equal(editor.labels, first)
    key(editor, "ctrl+y")
    np.testing.assert_array_equal(editor.labels, both)
    editor.controls["undo"].click()
    editor.controls["undo"].click()
    assert not editor.labels.any()
    editor.controls["redo"].click()
    np.testing.assert_array_equal(editor.labels, first)


def test_slice_keys_update_artists_in_place(editor):
    canvas = editor.figure.canvas
    canvas.draw()
    image, overlay = editor.images[0], editor.overlays[0]
    clim = image.get_clim()
    start = editor.index
    key(editor, "up")
    assert editor.index == start + 1
    key(editor, "down")
    key(editor, "down")
    assert editor.index == start - 1
    assert editor.images[0] is image and editor.overlays[0] is overlay
    assert editor.figure.axes == editor.axes  # no new axes or figure
    np.testing.assert_array_equal(image.get_array(),
                                  orientation.plane_slice(editor._volumes["T1"], "axial",
                                                          start - 1).T)
    assert image.get_clim() == clim  # never re-windowed per slice
    assert editor.controls["slice"].value == start - 1
    editor.controls["slice"].value = 0
    assert editor.index == 0 and editor.images[0] is image
    for _ in range(SHAPE[2] + 3):
        key(editor, "down")
    assert editor.index == 0


def test_finishing_polygon_updates_overlay_in_place(editor):
    overlay = editor.overlays[1]
    draw_polygon(editor, SQUARE)
    assert editor.overlays[1] is overlay
    alpha = editor.overlay_rgba("STIR")[..., 3]  # overlay is shown transposed: (y, x)
    mask = roi.polygon_to_mask(SQUARE, SHAPE[:2]).T
    assert np.all(alpha[mask] > 0) and np.all(alpha[~mask] == 0)


def test_roi_drawn_on_stir_panel_lands_in_label_map(editor):
    draw_polygon(editor, SQUARE, panel=1)
    np.testing.assert_array_equal(label_slice(editor, "gluteus_medius_right"),
                                  roi.polygon_to_mask(SQUARE, SHAPE[:2]))
    # shown on both panels
    for seq in ("T1", "STIR"):
        assert editor.overlay_rgba(seq)[..., 3].max() > 0


def test_shared_zoom_and_pan(editor):
    a, b = editor.axes
    a.set_xlim(40, 20)
    assert b.get_xlim() == (40, 20)
    b.set_ylim(5, 25)
    assert a.get_ylim() == (5, 25)


def test_radiological_click_on_screen_left_is_patient_right(editor):
    canvas = editor.figure.canvas
    canvas.draw()
    ax = editor.axes[0]
    bbox = ax.get_window_extent()
    left_x = bbox.x0 + 0.15 * bbox.width  # screen-left part of the axial T1 panel
    pts = [(left_x, bbox.y0 + f * bbox.height) for f in (0.4, 0.45, 0.55)]
    pts.append((left_x + 0.1 * bbox.width, bbox.y0 + 0.5 * bbox.height))
    for px, py in [*pts, pts[0]]:
        for name in ("button_press_event", "button_release_event"):
            canvas.callbacks.process(name, MouseEvent(name, canvas, px, py,
                                                      button=MouseButton.LEFT))
    (edit,) = editor.edits
    x_mm = editor.roi_centroid_world(edit)[0]
    assert x_mm > 0  # RAS+: +x is patient right
    value = next(iter(editor.table))
    ii = np.nonzero(editor.labels == value)[0]
    assert ii.min() > SHAPE[0] // 2  # high i = patient right
    # markers say so too
    texts = {t.get_gid(): t.get_text() for t in ax.texts}
    assert texts["orientation-left"] == "R" and texts["orientation-right"] == "L"


def test_radiological_holds_for_a_file_stored_left_posterior_superior(tmp_path, roi_dir):
    import nibabel as nib

    t1, stir = _pair()
    flip = np.diag([-1.0, -1.0, 1.0, 1.0])  # store as LPS: reverse axes 0 and 1
    aff = _affine() @ np.array([[-1, 0, 0, SHAPE[0] - 1], [0, -1, 0, SHAPE[1] - 1],
                                [0, 0, 1, 0], [0, 0, 0, 1]], float)
    assert np.allclose(flip[:3, :3] @ np.eye(3), np.sign(aff[:3, :3]))
    for name, data in (("t1", t1), ("stir", stir)):
        nib.save(nib.Nifti1Image(data[::-1, ::-1].copy(), aff), tmp_path / f"{name}.nii.gz")
    ed = RoiEditor(tmp_path / "t1.nii.gz", tmp_path / "stir.nii.gz", analyze=False)
    np.testing.assert_allclose(ed._volumes["T1"], t1)  # back in RAS order
    ed.figure.canvas.draw()
    bbox = ed.axes[0].get_window_extent()
    x, y = ed.axes[0].transData.inverted().transform((bbox.x0 + 0.2 * bbox.width,
                                                      bbox.y0 + 0.5 * bbox.height))
    draw_polygon(ed, [(x, y), (x - 3, y), (x - 3, y + 3)])
    assert ed.roi_centroid_world()[0] > 0


def test_stir_on_another_grid_is_shown_on_the_t1_grid(roi_dir):
    t1, _ = _pair()
    coarse = _affine((2.0, 2.0, 6.0))
    coarse[:3, 3] = _affine()[:3, 3] + 0.5  # half-voxel shift: grids differ
    yy = np.arange(SHAPE[1] // 2)[None, :, None]
    stir = np.broadcast_to(50.0 + yy, (SHAPE[0] // 2, SHAPE[1] // 2, SHAPE[2] // 2))
    ed = RoiEditor(t1, np.ascontiguousarray(stir, np.float32), affine=_affine(),
                   stir_affine=coarse, analyze=False)
    shown = ed.images[1].get_array()
    assert shown.shape == (SHAPE[1], SHAPE[0])  # T1 grid, transposed for display
    expected = orientation.resample_to_grid(stir, coarse, SHAPE, _affine())
    np.testing.assert_allclose(ed._volumes["STIR"], expected, equal_nan=True)
    draw_polygon(ed, SQUARE, panel=1)
    assert label_slice(ed, "gluteus_medius_right").shape == SHAPE[:2]


def test_window_locked_and_right_drag_changes_only_one_sequence(editor):
    t1_w, stir_w = editor.windows["T1"], editor.windows["STIR"]
    editor.figure.canvas.draw()
    drag(editor, [(20, 20), (26, 24), (30, 28)], panel=1, button=MouseButton.RIGHT)
    assert editor.windows["T1"] == t1_w
    assert editor.windows["STIR"] != stir_w
    assert editor.images[1].get_clim() == (editor.windows["STIR"].low,
                                           editor.windows["STIR"].high)
    assert not editor.edits  # a right drag never draws
    key(editor, "up")
    assert editor.images[1].get_clim() == (editor.windows["STIR"].low,
                                           editor.windows["STIR"].high)
    slider = editor.controls["window_T1"]
    slider.value = (80.0, 110.0)
    assert editor.images[0].get_clim() == tuple(slider.value)  # snapped to the slider step
    np.testing.assert_allclose(slider.value, (80.0, 110.0), atol=2 * slider.step)


def test_window_presets_and_linking_time_points(editor, roi_dir):
    editor.window_preset("percentiles")
    np.testing.assert_allclose(editor.windows["STIR"].high,
                               np.percentile(editor._volumes["STIR"], 99), rtol=1e-6)
    with pytest.raises(Exception, match="reference muscle"):
        editor.window_preset("reference")
    editor.set_label(side="left")
    editor.add_polygon(None, [(3, 3), (12, 3), (12, 12)])
    editor.set_label(side="right")
    w = editor.window_preset("reference")
    assert w["STIR"].low == 0.0
    t1b, stirb = _pair(seed=1)
    other = RoiEditor(t1b, stirb * 1.5, affine=_affine(), analyze=False, window=editor)
    assert other.windows == editor.windows
    linked = link_windows(editor, other)
    assert editor.windows == other.windows == linked
    both = np.concatenate([editor._volumes["STIR"].ravel(), other._volumes["STIR"].ravel()])
    np.testing.assert_allclose(linked["STIR"].high, np.percentile(both, 99), rtol=1e-3)


def test_plane_switch_keeps_artists_and_radiological_markers(editor):
    image = editor.images[0]
    editor.controls["plane"].value = "coronal"
    assert editor.images[0] is image and editor.plane == "coronal"
    assert image.get_array().shape == (SHAPE[2], SHAPE[0])
    assert editor.axes[0].get_xlim()[0] > editor.axes[0].get_xlim()[1]  # R on screen left
    texts = {t.get_gid(): t.get_text() for t in editor.axes[1].texts}
    assert (texts["orientation-left"], texts["orientation-top"]) == ("R", "S")
    editor.set_plane("sagittal")
    texts = {t.get_gid(): t.get_text() for t in editor.axes[0].texts}
    assert texts["orientation-left"] == "A"
    assert len([t for t in editor.axes[0].texts if t.get_gid().startswith("orient")]) == 4
    # a coronal ROI lands in the right voxels
    editor.set_plane("coronal", index=15)
    draw_polygon(editor, [(30.2, 3.3), (40.4, 3.2), (40.1, 9.6)])
    got = label_slice(editor, "gluteus_medius_right")
    np.testing.assert_array_equal(got, roi.polygon_to_mask([(30.2, 3.3), (40.4, 3.2),
                                                            (40.1, 9.6)], (SHAPE[0], SHAPE[2])))
    assert editor.labels[:, 15, :].any() and not editor.labels[:, 14, :].any()


def test_copy_to_adjacent_slice_and_clear(editor):
    draw_polygon(editor, SQUARE)
    k = editor.index
    editor.controls["copy_next"].click()
    assert editor.index == k + 1
    np.testing.assert_array_equal(label_slice(editor, "gluteus_medius_right", index=k + 1),
                                  label_slice(editor, "gluteus_medius_right", index=k))
    editor.controls["clear"].click()
    assert not label_slice(editor, "gluteus_medius_right", index=k + 1).any()
    assert label_slice(editor, "gluteus_medius_right", index=k).any()
    editor.set_slice(k)
    editor.controls["copy_prev"].click()
    assert editor.index == k - 1 and label_slice(editor, "gluteus_medius_right").any()


def test_muscle_and_side_picker_names(editor):
    editor.controls["muscle"].value = "tensor_fasciae_latae"
    editor.controls["side"].value = "left"
    assert editor.label_name == "tensor_fasciae_latae_left"
    draw_polygon(editor, [(3.2, 3.1), (9.5, 3.3), (9.1, 9.8)])
    assert list(editor.table.values()) == ["tensor_fasciae_latae_left"]
    assert editor.edits[-1].name == "tensor_fasciae_latae_left"


def test_opacity_and_show_hide(editor):
    draw_polygon(editor, SQUARE)
    editor.controls["opacity"].value = 0.8
    assert np.isclose(editor.overlays[0].get_array()[..., 3].max(), 0.8)
    editor.controls["show"].value = False
    assert not any(ov.get_visible() for ov in editor.overlays)


# -- never lose work -------------------------------------------------------------------------
def test_autosave_and_restore_by_content(editor, roi_dir, tmp_path):
    draw_polygon(editor, SQUARE)
    folder = editor.sidecar
    assert folder is not None and folder.parent == roi_dir
    assert str(folder) in editor.controls["status"].value
    rec = json.loads((folder / "rois.json").read_text())
    (e,) = rec["edits"]
    mm = np.asarray(e["points_mm"])
    np.testing.assert_allclose(mm[:, 0], np.asarray(SQUARE)[:, 0] - (SHAPE[0] - 1) / 2)
    assert e["name"] == "gluteus_medius_right" and "time" in e
    saved = io.load_labels(folder / "labels.nii.gz")
    np.testing.assert_array_equal(saved.data, editor.labels)
    assert not list(folder.glob(".tmp-*"))
    before = editor.labels.copy()
    editor.close()
    # same content, new objects (copies) -> restored, with undo history intact as edits
    t1, stir = _pair()
    again = RoiEditor(t1.copy(), stir.copy(), affine=_affine(), analyze=False)
    assert again.sidecar == folder
    np.testing.assert_array_equal(again.labels, before)
    assert len(again.edits) == 1 and "restored" in again.status_text()
    assert again.undo() and not again.labels.any()  # restored edits stay undoable
    again.redo()
    # different content -> a different, empty sidecar
    other = RoiEditor(t1 + 1, stir, affine=_affine(), analyze=False)
    assert other.sidecar != folder and not other.labels.any()


def test_every_edit_is_saved_immediately(editor):
    draw_polygon(editor, SQUARE)
    path = editor.sidecar / "rois.json"
    assert len(json.loads(path.read_text())["edits"]) == 1
    editor.undo()
    assert json.loads(path.read_text())["edits"] == []
    editor.redo()
    assert len(json.loads(path.read_text())["edits"]) == 1


def test_polygon_in_progress_survives_slice_change(editor):
    editor.figure.canvas.draw()
    for v in SQUARE:
        click(editor, *v)
    assert not editor.edits
    key(editor, "up")  # leaving the slice commits the polygon rather than dropping it
    assert len(editor.edits) == 1 and editor.edits[0].index == editor.index - 1


def test_export_and_import_to_continue_editing(editor, tmp_path, roi_dir):
    draw_polygon(editor, SQUARE)
    out = editor.export(tmp_path / "export")
    assert out["nifti"].exists() and out["itksnap"].exists()
    assert (tmp_path / "export" / "labels.json").exists()
    assert "gluteus_medius_right" in out["itksnap"].read_text()
    with pytest.raises(Exception, match="exists"):
        editor.export(tmp_path / "export")
    lm = io.load_labels(out["nifti"])
    np.testing.assert_array_equal(lm.data, editor.labels)
    t1, stir = _pair(seed=5)  # fresh images, no sidecar: continue from the file
    cont = RoiEditor(t1, stir, affine=_affine(), labels=out["nifti"], analyze=False)
    np.testing.assert_array_equal(cont.labels, editor.labels)
    cont.set_label(side="left")
    cont.add_polygon(None, [(3, 3), (12, 3), (12, 12)])
    assert set(cont.table.values()) == {"gluteus_medius_right", "gluteus_medius_left"}
    cont.undo()
    np.testing.assert_array_equal(cont.labels, editor.labels)  # import is the floor
    assert not cont.undo()
    # a LabelMap object works too
    again = RoiEditor(t1, stir, affine=_affine(), labels=lm, analyze=False, autosave=False)
    np.testing.assert_array_equal(again.labels, editor.labels)


def test_add_polygon_in_code_matches_clicks(roi_dir):
    t1, stir = _pair()
    a = RoiEditor(t1, stir, affine=_affine(), analyze=False, autosave=False)
    a.add_polygon("gluteus_medius_right", SQUARE, plane="axial", index=3)
    b = RoiEditor(t1, stir, affine=_affine(), analyze=False, autosave=False, index=3)
    draw_polygon(b, SQUARE)
    np.testing.assert_array_equal(a.labels, b.labels)
    with pytest.raises(Exception, match="side"):
        a.add_polygon("sacrum", SQUARE)


# -- fallbacks -------------------------------------------------------------------------------
def test_static_fallback_gives_a_figure_and_the_install_hint(editor):
    from matplotlib.figure import Figure

    assert not editor._interactive  # Agg
    assert isinstance(editor.show(), Figure)
    assert "pip install 'mri_teach[notebook]'" in INSTALL_HINT
    assert INSTALL_HINT in editor.status_text()


def test_editor_kept_alive_by_its_figure(roi_dir):
    import gc

    t1, stir = _pair()
    fig = RoiEditor(t1, stir, affine=_affine(), analyze=False).show()  # editor not assigned
    gc.collect()
    ed = fig._mri_teach_editor
    draw_polygon(ed, SQUARE)  # the event connections still work
    assert len(ed.edits) == 1


def test_imported_base_is_restored_with_edits(tmp_path, roi_dir):
    t1, stir = _pair()
    base = np.zeros(SHAPE, np.int16)
    base[5:10, 5:10, 2] = 7
    lm = io.LabelMap(base.astype(np.int32), _affine(), {7: "gluteus_minimus_left"},
                     (1.0, 1.0, 3.0), ("R", "A", "S"))
    a = RoiEditor(t1, stir, affine=_affine(), labels=lm, analyze=False)
    a.add_polygon("gluteus_medius_right", SQUARE)
    b = RoiEditor(t1, stir, affine=_affine(), analyze=False)  # no labels= this time
    np.testing.assert_array_equal(b.labels, a.labels)
    assert set(b.table.values()) == {"gluteus_minimus_left", "gluteus_medius_right"}
    # other labels on the same images: old sidecar kept as a backup, fresh start
    c = RoiEditor(t1, stir, affine=_affine(), labels=np.zeros(SHAPE, np.int16), analyze=False)
    assert not c.labels.any() and not c.edits
    assert list(a.sidecar.glob("rois-*.json.bak"))


def test_without_ipywidgets_and_ipympl(tmp_path):
    code = f"""
import sys, os
sys.modules['ipywidgets'] = None; sys.modules['ipympl'] = None
os.environ['MRI_TEACH_ROI_DIR'] = {str(tmp_path)!r}
import matplotlib; matplotlib.use('Agg')
import numpy as np
from mri_teach.widgets import RoiEditor
ed = RoiEditor(np.ones((8, 8, 3), np.float32), np.ones((8, 8, 3), np.float32),
               affine=np.eye(4), analyze=False)
ed.add_polygon('gluteus_minimus_left', [(1, 1), (5, 1), (5, 5)], index=1)
assert ed.controls == {{}} and ed.widget is None
print(int((ed.labels > 0).sum()), type(ed.show()).__name__)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == [str(int(roi.polygon_to_mask([(1, 1), (5, 1), (5, 5)], (8, 8)).sum())),
                   "Figure"]


def test_import_mri_teach_does_not_import_widgets():
    code = ("import mri_teach, sys; "
            "assert not any(m in sys.modules for m in "
            "('mri_teach.widgets', 'ipywidgets', 'ipympl', 'matplotlib'))")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_bad_inputs_name_the_argument(roi_dir):
    t1, stir = _pair()
    with pytest.raises(Exception, match="affine"):
        RoiEditor(t1, stir)
    with pytest.raises(Exception, match="plane"):
        RoiEditor(t1, stir, affine=_affine(), plane="oblique")
    with pytest.raises(Exception, match="index"):
        RoiEditor(t1, stir, affine=_affine(), index=99)
    with pytest.raises(Exception, match="stir"):
        RoiEditor(t1, affine=_affine())


# -- live results ----------------------------------------------------------------------------
def test_results_table_updates_after_each_edit(roi_dir):
    t1, stir = _pair()
    ed = RoiEditor(t1, stir, affine=_affine())
    assert "No ROIs yet" in ed.controls["results"].value
    draw_polygon(ed, SQUARE)  # right gluteus medius over the bright STIR block
    html_one = ed.controls["results"].value
    assert "right gluteus medius" in html_one
    ed.set_label(side="left")
    left = [(8.2, 8.2), (17.7, 8.4), (17.6, 17.7), (8.3, 17.6)]
    draw_polygon(ed, left)
    html_two = ed.controls["results"].value
    assert html_two != html_one and "left gluteus medius" in html_two
    right_mask = label_slice(ed, "gluteus_medius_right")
    left_mask = label_slice(ed, "gluteus_medius_left")
    s2d = orientation.plane_slice(stir, "axial", ed.index)
    expected = s2d[right_mask].mean() / s2d[left_mask].mean()
    row = ed.analysis.muscle("gluteus_medius_right")
    np.testing.assert_allclose(row.stir_sir, expected, rtol=1e-5)
    assert row.stir_sir > 1.3  # the bright block
    assert f"<td class='stir_sir'>{row.stir_sir:.2f}</td>" in html_two
    assert "Inferred nerve" in html_two
    ed.undo()
    assert "left gluteus medius" not in ed.controls["results"].value


# -- real NIfTI files (../shared/data/real) ----------------------------------------------------
@pytest.mark.realdata
def test_real_ct_with_totalsegmentator_labels(real_data, roi_dir):
    ts = real_data / "totalsegmentator"
    ct, seg = ts / "example_ct.nii.gz", ts / "example_seg_fast_force_split.nii.gz"
    ed = RoiEditor(ct, ct, labels=seg)  # a CT twice: the plumbing, not the physiology
    lm = io.load_labels(seg)
    np.testing.assert_array_equal(ed.labels, lm.data)
    # imported gluteus medius keep their side: left centroid at world x < 0
    value = {n: v for v, n in ed.table.items()}["gluteus_medius_left"]
    ijk = np.argwhere(ed.labels == value).mean(axis=0)
    assert orientation.voxel_to_world(ed.affine, ijk)[0] < 0
    assert "left gluteus medius" in ed.results_html()
    # draw on the imported map: the new ROI reuses the imported value of the name
    ed.set_slice(30)
    ed.figure.canvas.draw()
    bbox = ed.axes[0].get_window_extent()
    x, y = ed.axes[0].transData.inverted().transform((bbox.x0 + 0.25 * bbox.width,
                                                      bbox.y0 + 0.5 * bbox.height))
    draw_polygon(ed, [(x, y), (x - 4, y), (x - 4, y + 4)])
    assert ed.edits[-1].name == "gluteus_medius_right"
    assert {n: v for v, n in ed.table.items()}["gluteus_medius_right"] == 83
    assert ed.roi_centroid_world()[0] > 0  # screen left = patient right


@pytest.mark.realdata
def test_real_lps_mri_is_shown_radiologically(real_data, roi_dir):
    mr = real_data / "totalsegmentator" / "example_mr_sm.nii.gz"
    ed = RoiEditor(mr, mr, analyze=False)
    assert io.load_volume(mr).original_axcodes == ("L", "P", "S")
    ed.figure.canvas.draw()
    bbox = ed.axes[1].get_window_extent()  # the STIR panel this time
    x, y = ed.axes[1].transData.inverted().transform((bbox.x0 + 0.2 * bbox.width,
                                                      bbox.y0 + 0.5 * bbox.height))
    draw_polygon(ed, [(x, y), (x - 3, y), (x - 3, y + 3)], panel=1)
    assert ed.roi_centroid_world()[0] > 0


# -- the synthetic motivating case, STIR on a thicker grid ----------------------------------------
@pytest.fixture(scope="module")
def sgn_case():
    from mri_teach import phantom

    return phantom.make_case(cause="superior_gluteal", side="right", days=90, preset="fast",
                             stir_slice_mm=8)


def _inner_vertices(mask2d):
    from scipy import ndimage
    from skimage import measure

    inner = ndimage.binary_erosion(mask2d, iterations=2)
    contour = max(measure.find_contours(inner.astype(float), 0.5), key=len)
    return contour[np.linspace(0, len(contour), 8, endpoint=False).astype(int)]


def test_phantom_case_with_stir_on_its_own_grid(sgn_case, roi_dir):
    case = sgn_case
    assert case.stir.shape != case.t1.shape
    ed = RoiEditor(case)  # a phantom.Case is accepted as is
    assert ed.images[1].get_array().shape == ed.images[0].get_array().shape
    value = {n: v for v, n in case.label_table.items()}
    k = int(np.argmax((case.labels == value["gluteus_medius_right"]).sum(axis=(0, 1))))
    ed.set_slice(k)
    for side in ("right", "left"):
        ed.set_label("gluteus_medius", side)
        verts = _inner_vertices(case.labels[:, :, k] == value[f"gluteus_medius_{side}"])
        draw_polygon(ed, [tuple(v) for v in verts], panel=0 if side == "right" else 1)
    row = ed.analysis.muscle("gluteus_medius_right")
    truth = case.truth["muscles"]["gluteus_medius_right"]["stir_ratio"]
    assert abs(row.stir_sir - truth) < 0.15 * truth, (row.stir_sir, truth)
    assert ed.roi_centroid_world(ed.edits[0])[0] > 0
    assert ed.roi_centroid_world(ed.edits[1])[0] < 0
    assert "superior gluteal" in ed.controls["results"].value
