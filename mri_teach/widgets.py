"""Jupyter ROI editor: linked T1/STIR viewer with drawing tools and live results (layer L6).

``RoiEditor`` shows the T1 and the STIR side by side at the same slice (axial by default,
coronal and sagittal on a toggle), in radiological convention with R/L/A/P/S/I markers,
with shared zoom and pan. You draw ROIs on either panel with a polygon (click vertices,
close on the first vertex or with *Close*), a freehand lasso, a brush and an eraser, or an
ellipse; every edit goes into one 3D label map on the T1 grid, is autosaved to a sidecar
keyed by the images' content, and refreshes a table of T1/STIR means, signal-intensity
ratios (SIR), volume ratio, stage and the inferred nerve (:func:`mri_teach.staging.analyze`).

Use it in JupyterLab with the ipympl backend::

    %matplotlib widget
    import mri_teach as mt
    from mri_teach.widgets import RoiEditor
    case = mt.datasets.load_sample("sgn_subacute")
    editor = RoiEditor(case.t1, case.stir)
    editor                      # shows the editor

Without ipympl (inline/static backend, a front end without widgets) the same calls give a
static figure and a message with the install command; ROIs can then be given in code with
:meth:`RoiEditor.add_polygon`. See ``docs/widgets.md``.

Geometry (pixels inside a polygon, brush strokes, ellipses) is :mod:`mri_teach.roi`;
statistics and staging are :mod:`mri_teach.stats` / :mod:`mri_teach.staging`; files are
:mod:`mri_teach.io`. This module only wires matplotlib events and ipywidgets to them.
"""

from __future__ import annotations

import html
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from mri_teach import anatomy, orientation, viz
from mri_teach._optional import have
from mri_teach._validation import InputError, check_choice
from mri_teach._widgets_model import (
    Edit,
    RoiSession,
    content_hash,
    default_roi_dir,
    edit_centroid_world,
)

__all__ = [
    "RoiEditor",
    "TOOLS",
    "INSTALL_HINT",
    "default_roi_dir",
    "link_windows",
]

#: Drawing tools offered by the editor.
TOOLS = ("polygon", "lasso", "brush", "eraser", "ellipse")
#: Shown when the interactive front end is missing.
INSTALL_HINT = (
    "Interactive drawing needs ipympl and ipywidgets: pip install 'mri_teach[notebook]', "
    "then run %matplotlib widget in the notebook before creating the editor."
)
SEQUENCES = ("T1", "STIR")
_PREVIEW_S = 0.06  # at most ~16 preview redraws a second while dragging (PNG per redraw)
_PICK_PX = 8.0  # pixel tolerance for clicking a vertex (first vertex closes the polygon)
_WINDOW_PRESETS = ("percentiles", "reference")
_FIGURE_NUM = 9000  # numbers of editor figures (never registered with pyplot)


def _is_interactive_backend() -> bool:
    import matplotlib

    backend = str(matplotlib.get_backend()).lower()
    return "ipympl" in backend or backend in ("widget", "ipympl")


# -- inputs -----------------------------------------------------------------------------------
def _as_volume(obj, affine, role):
    """An io.Volume from a Volume, a path, or an array with its affine."""
    from mri_teach import io

    if isinstance(obj, (str, Path)):
        return io.load_volume(obj, name=role)
    if hasattr(obj, "data") and hasattr(obj, "affine"):
        return obj
    arr = np.asarray(obj)
    if arr.ndim != 3:
        msg = (f"`{role.lower()}` must be a 3D volume (io.Volume, path or array); "
               f"got shape {arr.shape}.")
        raise InputError(msg)
    if affine is None:
        msg = (f"`{role.lower()}` is a bare array: pass its voxel->RAS affine "
               f"(`affine=` for the T1, `stir_affine=` for the STIR).")
        raise InputError(msg)
    affine = orientation.check_affine(affine, name="affine" if role == "T1" else "stir_affine")
    return io.Volume(np.asarray(arr, np.float32), affine, orientation.voxel_sizes(affine),
                     name=role)


def _coerce_pair(t1, stir, affine, stir_affine):
    """T1 (data, affine), STIR on the T1 grid, and the native STIR for the content hash."""
    from mri_teach import io

    # a phantom Case or a datasets.SampleCase
    if stir is None and hasattr(t1, "t1") and hasattr(t1, "stir"):
        case = t1
        if hasattr(case, "stir_affine"):  # phantom.Case (arrays)
            affine = case.affine if affine is None else affine
            stir_affine = case.stir_affine if stir_affine is None else stir_affine
        t1, stir = case.t1, case.stir
    if stir is None:
        msg = "`stir` is required (a STIR volume, path or array), or pass a case object."
        raise InputError(msg)
    t1_vol = _as_volume(t1, affine, "T1")
    stir_vol = _as_volume(stir, affine if stir_affine is None else stir_affine, "STIR")
    pair = io.load_pair(t1_vol, stir_vol)  # STIR onto the T1 grid through world coordinates
    native = pair.stir_native
    return ((np.asarray(pair.t1.data, np.float32), np.asarray(pair.t1.affine, float)),
            np.asarray(pair.stir.data, np.float32),
            (np.asarray(native.data, np.float32), np.asarray(native.affine, float)))


def _coerce_labels(labels, shape, affine):
    """Imported labels -> (int16 array on the T1 grid, table)."""
    if labels is None:
        return None, {}
    from mri_teach import io

    if isinstance(labels, (str, Path)):
        labels = io.load_labels(labels)
    if hasattr(labels, "data") and hasattr(labels, "affine"):
        data = np.asarray(labels.data)
        lab_aff = np.asarray(labels.affine, float)
        table = dict(getattr(labels, "table", {}) or {})
    else:
        data, lab_aff, table = np.asarray(labels), affine, {}
    if data.shape != tuple(shape) or not np.allclose(lab_aff, affine, atol=1e-4):
        from mri_teach import stats

        data = stats.labels_on_grid(data, lab_aff, tuple(shape), affine)
    return np.asarray(data).astype(np.int16), {int(k): str(v) for k, v in table.items()}


def link_windows(*editors, lo: float = 1, hi: float = 99) -> dict[str, viz.Window]:
    """Lock each sequence's window across several editors (e.g. time points).

    The T1 window comes from percentiles of all editors' T1 volumes together, the STIR
    window from all STIR volumes (:func:`mri_teach.viz.window_from_percentiles`), and both
    are applied to every editor, so the same signal looks the same at every time point.

    Returns
    -------
    dict
        ``{'T1': Window, 'STIR': Window}``.
    """
    if not editors:
        msg = "`link_windows` needs at least one RoiEditor."
        raise InputError(msg)
    windows = {
        seq: viz.window_from_percentiles([e._volumes[seq] for e in editors], lo=lo, hi=hi)
        for seq in SEQUENCES
    }
    for e in editors:
        for seq, w in windows.items():
            e.set_window(seq, w.low, w.high)
    return windows


# -- the editor ---------------------------------------------------------------------------
class RoiEditor:
    """Draw muscle ROIs on a T1/STIR pair and watch the numbers and the stage update.

    Parameters
    ----------
    t1 : io.Volume, path, ndarray of shape (I, J, K), or a case
        The T1-weighted volume in RAS+ order. A ``phantom.Case`` or
        ``datasets.SampleCase`` may be passed alone (its STIR is used).
    stir : io.Volume, path or ndarray, optional
        The STIR. A STIR on another grid is resampled onto the T1 grid through world
        coordinates, so both panels share voxel coordinates; ROIs live on the T1 grid.
    labels : io.LabelMap or path, optional
        Label map to continue editing (NIfTI + JSON, ITK-SNAP, TotalSegmentator...).
    affine, stir_affine : ndarray of shape (4, 4), optional
        Needed only when `t1` / `stir` are bare arrays.
    plane : {'axial', 'coronal', 'sagittal'}, default 'axial'
    index : int, optional
        Start slice (default: the middle slice).
    muscle, side : str, default 'gluteus_medius', 'right'
        The label drawn (``anatomy.MUSCLE_NAMES`` x ``anatomy.SIDES``).
    window : dict or RoiEditor, optional
        ``{'T1': Window, 'STIR': Window}`` or another editor whose windows to share.
        Default: 1st-99th percentiles of each whole volume, never of a slice.
    neurological : bool, default False
        Patient right on screen right (radiological convention otherwise).
    roi_dir : path, optional
        Root folder of autosave sidecars (default env ``MRI_TEACH_ROI_DIR`` or the user
        data folder, see :func:`default_roi_dir`).
    autosave : bool, default True
    analyze : bool, default True
        Recompute the results table after every edit.
    figsize : (float, float), default (12, 6)
    dpi : float, default 100
    interactive : bool, optional
        Build the ipywidgets controls (default: when the ipympl backend is active).

    Attributes
    ----------
    figure, axes, images : the matplotlib Figure, its two Axes and their AxesImage
    labels : ndarray of int16, shape (I, J, K)
        The current 3D label map on the T1 grid (see :attr:`table`).
    sidecar : pathlib.Path or None
        Folder of the autosave sidecar.
    analysis : staging.Analysis or None
        Result behind the table, after the last edit.
    """

    def __init__(self, t1, stir=None, *, labels=None, affine=None, stir_affine=None,
                 plane: str = "axial", index: int | None = None,
                 muscle: str = "gluteus_medius", side: str = "right", window=None,
                 neurological: bool = False, roi_dir=None, autosave: bool = True,
                 analyze: bool = True, figsize=(12, 6), dpi: float = 100,
                 interactive: bool | None = None):
        check_choice(plane, orientation.PLANES, name="plane")
        check_choice(muscle, anatomy.MUSCLE_NAMES, name="muscle")
        check_choice(side, anatomy.SIDES, name="side")
        (t1_data, t1_aff), stir_on_t1, (s_data, s_aff) = _coerce_pair(t1, stir, affine,
                                                                      stir_affine)
        orientation.check_affine(t1_aff, name="affine")
        self.affine = t1_aff
        self.voxel_size_mm = orientation.voxel_sizes(t1_aff)
        self._volumes = {"T1": t1_data, "STIR": stir_on_t1}
        self._stir_native = (s_data, s_aff)
        self.shape = tuple(t1_data.shape)
        self.key = content_hash(t1_data, t1_aff, s_data, s_aff)
        base, base_table = _coerce_labels(labels, self.shape, t1_aff)
        self.session = RoiSession(self.shape, t1_aff, base=base, base_table=base_table,
                                  key=self.key, roi_dir=roi_dir, autosave=autosave)
        self.session.restore(base_given=base is not None)
        self.neurological = bool(neurological)
        self.plane = plane
        n = orientation.n_slices(self.shape, plane)
        self.index = n // 2 if index is None else int(index)
        self._check_index(self.index)
        self.muscle, self.side = muscle, side
        self.tool = "polygon"
        self.brush_radius_vox = 3.0
        self.opacity = 0.45
        self.show_rois = True
        self._analyze_enabled = bool(analyze)
        self.analysis = None
        self.analysis_error: str | None = None
        self.windows = self._initial_windows(window)
        self.message = ""
        self._syncing = False
        self._last_preview = 0.0
        # drawing state
        self._verts: list[tuple[float, float]] = []  # polygon in progress
        self._stroke: list[tuple[float, float]] | None = None  # lasso / brush / eraser
        self._corner: tuple[float, float] | None = None  # ellipse start
        self._ellipse_end: tuple[float, float] | None = None
        self._drag_vertex: int | None = None
        self._drag_committed = False
        self._wl_drag: dict | None = None
        self._cids: list[int] = []
        self._build_figure(figsize, dpi)
        self._interactive = _is_interactive_backend() if interactive is None else interactive
        if not self._interactive:
            self.message = INSTALL_HINT
        # matplotlib keeps only weak references to bound-method callbacks: the figure (kept
        # alive by its canvas widget) holds the editor, so `RoiEditor(...).show()` without
        # assigning the editor keeps working (ipympl pitfall 2, ../shared/anchors.md 3).
        self.figure._mri_teach_editor = self
        self.controls: dict[str, Any] = {}
        self.widget = None
        if have("ipywidgets"):
            self._build_controls()
        self._refresh_results()
        self._update_status()

    # -- properties -------------------------------------------------------------------------
    @property
    def label_name(self) -> str:
        """Name of the label being drawn, e.g. ``'gluteus_medius_right'``."""
        return anatomy.label_name(self.muscle, self.side)

    @property
    def labels(self) -> np.ndarray:
        return self.session.labels

    @property
    def table(self) -> dict[int, str]:
        """``{value: name}`` of the labels present in :attr:`labels`."""
        return self.session.used_table()

    @property
    def edits(self) -> list[Edit]:
        return list(self.session.edits)

    @property
    def sidecar(self) -> Path | None:
        return self.session.folder if self.session.autosave else None

    @property
    def n_slices(self) -> int:
        return orientation.n_slices(self.shape, self.plane)

    def label_map(self):
        """The current labels as an ``io.LabelMap`` (T1 grid, RAS+)."""
        from mri_teach import io

        return io.LabelMap(self.labels.astype(np.int32), self.affine, self.table,
                           self.voxel_size_mm, ("R", "A", "S"))

    # -- windows ----------------------------------------------------------------------------
    def _initial_windows(self, window) -> dict[str, viz.Window]:
        if isinstance(window, RoiEditor):
            return dict(window.windows)
        if isinstance(window, dict):
            out = {}
            for seq in SEQUENCES:
                w = window.get(seq, window.get(seq.lower()))
                out[seq] = (w if isinstance(w, viz.Window) else
                            viz.window_from_percentiles(self._volumes[seq]))
            return out
        if window is not None:
            msg = "`window` must be a dict {'T1': Window, 'STIR': Window} or a RoiEditor."
            raise InputError(msg)
        return {seq: viz.window_from_percentiles(self._volumes[seq]) for seq in SEQUENCES}

    def set_window(self, sequence: str, low: float, high: float, *,
                   draw: bool = True) -> viz.Window:
        """Set the (locked) window of `sequence` ('T1' or 'STIR') on every slice."""
        check_choice(sequence, SEQUENCES, name="sequence")
        w = viz.Window(low, high)
        self.windows[sequence] = w
        image = self.images[SEQUENCES.index(sequence)]
        image.set_clim(w.low, w.high)
        slider = self.controls.get(f"window_{sequence}")
        if slider is not None and tuple(slider.value) != (w.low, w.high):
            self._syncing = True
            try:
                slider.min = min(slider.min, w.low)
                slider.max = max(slider.max, w.high)
                slider.value = (w.low, w.high)
            finally:
                self._syncing = False
        if draw:
            self._draw()
        return w

    def window_preset(self, preset: str = "percentiles", *, reference: str | None = None):
        """Apply a window preset to both sequences.

        ``'percentiles'``: 1st-99th percentile of the whole volume. ``'reference'``: the
        mean of a reference muscle at a fixed grey (:func:`viz.window_from_reference`); the
        reference label defaults to the current muscle on the other side and must be drawn.
        """
        check_choice(preset, _WINDOW_PRESETS, name="preset")
        for seq in SEQUENCES:
            data = self._volumes[seq]
            if preset == "percentiles":
                w = viz.window_from_percentiles(data)
            else:
                ref = reference or anatomy.label_name(self.muscle,
                                                      anatomy.opposite_side(self.side))
                value = {n: v for v, n in self.table.items()}.get(ref)
                if value is None:
                    msg = (f"reference muscle {ref!r} has no ROI yet; draw it first or "
                           "use preset='percentiles'.")
                    raise InputError(msg)
                w = viz.window_from_reference(data, self.labels == value)
            self.set_window(seq, w.low, w.high)
        return dict(self.windows)

    # -- figure -----------------------------------------------------------------------------
    def _new_figure(self, figsize, dpi):
        if _is_interactive_backend():
            # An ipympl canvas that pyplot does not manage: `plt.close("all")`, the inline
            # backend of a later cell or re-running cells cannot kill or duplicate it
            # (ipympl pitfalls 6-7 in ../shared/anchors.md section 3).
            from ipympl.backend_nbagg import Canvas, FigureManager
            from matplotlib.figure import Figure

            fig = Figure(figsize=figsize, dpi=dpi)
            global _FIGURE_NUM
            _FIGURE_NUM += 1
            self._manager = FigureManager(Canvas(fig), _FIGURE_NUM)
            return fig
        import matplotlib.pyplot as plt

        was_interactive = plt.isinteractive()
        plt.ioff()
        try:
            return plt.figure(figsize=figsize, dpi=dpi)
        finally:
            if was_interactive:
                plt.ion()

    def _build_figure(self, figsize, dpi) -> None:
        fig = self._new_figure(figsize, dpi)
        axes = fig.subplots(1, 2, sharex=True, sharey=True)
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.93, wspace=0.02)
        self.figure, self.axes = fig, list(axes)
        self.images, self.overlays, self.lines, self.previews, self.titles = [], [], [], [], []
        self.markers = []
        for ax, seq in zip(self.axes, SEQUENCES, strict=True):
            ax.set_facecolor("black")
            im = viz.show_plane(ax, self._volumes[seq], self.plane, self.index,
                                self.windows[seq], neurological=self.neurological,
                                voxel_size_mm=self.voxel_size_mm)
            im.set_gid(f"image-{seq}")
            self.images.append(im)
            ov = ax.imshow(np.zeros((*self._plane_shape()[::-1], 4), np.float32),
                           origin="lower", interpolation="nearest", extent=im.get_extent(),
                           zorder=2)
            ov.set_gid(f"overlay-{seq}")
            self.overlays.append(ov)
            (line,) = ax.plot([], [], "-o", color="white", lw=1.5, ms=4, zorder=4,
                              mec="black", mew=0.5)
            line.set_gid(f"current-{seq}")
            self.lines.append(line)
            (prev,) = ax.plot([], [], "--", color="white", lw=1.0, zorder=4)
            prev.set_gid(f"preview-{seq}")
            self.previews.append(prev)
            self.titles.append(ax.set_title("", fontsize=11))
            ax.set_autoscale_on(False)
        # show_plane inverted the shared x axis once per panel: set limits explicitly
        self._set_limits()
        self._update_overlay()
        self._update_titles()
        canvas = fig.canvas
        for name, handler in (("button_press_event", self._on_press),
                              ("motion_notify_event", self._on_move),
                              ("button_release_event", self._on_release),
                              ("key_press_event", self._on_key),
                              ("scroll_event", self._on_scroll)):
            self._cids.append(canvas.mpl_connect(name, handler))
        for attr, value in (("header_visible", False), ("capture_scroll", True),
                            ("toolbar_position", "top")):
            if hasattr(canvas, attr):
                try:
                    setattr(canvas, attr, value)
                except Exception:  # noqa: BLE001 - cosmetic ipympl options
                    pass

    def _plane_shape(self) -> tuple[int, int]:
        _, xa, ya = orientation.plane_axes(self.plane)
        return self.shape[xa], self.shape[ya]

    def _set_limits(self) -> None:
        nx, ny = self._plane_shape()
        x = (-0.5, nx - 0.5)
        if orientation.screen_x_inverted(self.plane, neurological=self.neurological):
            x = x[::-1]
        _, xa, ya = orientation.plane_axes(self.plane)
        aspect = self.voxel_size_mm[ya] / self.voxel_size_mm[xa]
        for ax in self.axes:
            ax.set_xlim(*x)
            ax.set_ylim(-0.5, ny - 0.5)
            ax.set_aspect(aspect)

    def _update_titles(self) -> None:
        for title, seq in zip(self.titles, SEQUENCES, strict=True):
            title.set_text(f"{seq}  {self.plane} {self.index + 1}/{self.n_slices}")

    def _update_images(self) -> None:
        for im, seq in zip(self.images, SEQUENCES, strict=True):
            im.set_data(orientation.plane_slice(self._volumes[seq], self.plane, self.index).T)

    def _lut(self) -> np.ndarray:
        from matplotlib.colors import to_rgba

        table = self.session.table
        top = max([0, *table])
        lut = np.zeros((top + 1, 4), np.float32)
        for value, name in table.items():
            structure, _ = anatomy.parse_name(name)
            color = viz.muscle_color(name) if structure in viz.MUSCLE_COLORS else viz.OTHER_COLOR
            lut[value] = to_rgba(color)
        return lut

    def _update_overlay(self) -> None:
        # Only the bounding box of the labelled pixels is resampled at draw time (the
        # overlay's extent is cropped to it), which keeps redraws of 512x512 panels fast.
        lab2d = self.session.slice_view(self.labels, self.plane, self.index)
        present = lab2d > 0
        if not present.any():
            for ov in self.overlays:
                ov.set_visible(False)
            return
        xs = np.flatnonzero(present.any(axis=1))
        ys = np.flatnonzero(present.any(axis=0))
        x0, x1, y0, y1 = xs[0], xs[-1] + 1, ys[0], ys[-1] + 1
        crop = lab2d[x0:x1, y0:y1].T
        lut = self._lut()
        rgba = lut[np.clip(crop, 0, len(lut) - 1)]
        rgba[..., 3] = np.where(crop > 0, self.opacity, 0.0)
        extent = (x0 - 0.5, x1 - 0.5, y0 - 0.5, y1 - 0.5)
        for ov in self.overlays:
            ov.set_data(rgba)
            ov.set_extent(extent)
            ov.set_visible(self.show_rois)

    def overlay_rgba(self, sequence: str = "T1") -> np.ndarray:
        """RGBA overlay of the shown slice, full plane size ``(ny, nx, 4)`` (display order)."""
        ov = self.overlays[SEQUENCES.index(sequence)]
        nx, ny = self._plane_shape()
        out = np.zeros((ny, nx, 4), np.float32)
        if ov.get_visible() or (self.labels.any() and not self.show_rois):
            x0, x1, y0, y1 = (int(round(v + 0.5)) for v in ov.get_extent())
            lab2d = self.session.slice_view(self.labels, self.plane, self.index)
            if lab2d.any():
                out[y0:y1, x0:x1] = np.asarray(ov.get_array())
        return out

    def _current_polygon(self) -> list[tuple[float, float]]:
        """Vertices shown as editable: the polygon in progress, else the last polygon here."""
        if self._verts:
            return self._verts
        last = self._last_polygon_edit()
        return list(last.points) if last is not None else []

    def _last_polygon_edit(self) -> Edit | None:
        if not self.session.edits:
            return None
        last = self.session.edits[-1]
        if (last.kind == "polygon" and last.plane == self.plane and last.index == self.index
                and last.name == self.label_name):
            return last
        return None

    def _update_lines(self) -> None:
        verts = self._current_polygon()
        closed = not self._verts and bool(verts)
        pts = [*verts, verts[0]] if closed and verts else verts
        xs = [p[0] for p in pts]
        ys = [p[1] for p in pts]
        color = viz.muscle_color(self.label_name)
        preview: list[tuple[float, float]] = []
        if self._stroke:
            preview = self._stroke
        elif self._corner is not None and self._ellipse_end is not None:
            (x0, y0), (x1, y1) = self._corner, self._ellipse_end
            t = np.linspace(0, 2 * np.pi, 65)
            preview = list(zip((x0 + x1) / 2 + abs(x1 - x0) / 2 * np.cos(t),
                               (y0 + y1) / 2 + abs(y1 - y0) / 2 * np.sin(t), strict=True))
        for line, prev in zip(self.lines, self.previews, strict=True):
            line.set_data(xs, ys)
            line.set_color(color)
            line.set_linestyle("-" if closed else "--")
            prev.set_data([p[0] for p in preview], [p[1] for p in preview])
            prev.set_color("#ff6666" if self.tool == "eraser" else color)
            prev.set_linewidth(1.0 if self.tool not in ("brush", "eraser") else 2.0)

    def _draw(self) -> None:
        self.figure.canvas.draw_idle()

    def _draw_preview(self) -> None:
        # While dragging, ipympl ships one PNG per redraw and cannot blit: drop redraws that
        # come faster than the browser can show them (the points are all kept).
        now = time.monotonic()
        if now - self._last_preview >= _PREVIEW_S:
            self._last_preview = now
            self._draw()

    def _refresh_view(self) -> None:
        self._update_images()
        self._update_overlay()
        self._update_lines()
        self._update_titles()
        self._draw()

    # -- navigation -------------------------------------------------------------------------
    def _check_index(self, index: int) -> None:
        n = orientation.n_slices(self.shape, self.plane)
        if not 0 <= index < n:
            msg = f"`index` {index} is outside the {self.plane} range 0..{n - 1}."
            raise InputError(msg)

    def set_slice(self, index: int) -> None:
        """Show slice `index` (clipped to the volume); artists are updated in place."""
        index = int(min(max(int(index), 0), self.n_slices - 1))
        if index == self.index:
            return
        self._finish_pending()
        self.index = index
        slider = self.controls.get("slice")
        if slider is not None and slider.value != index:
            slider.value = index
        self._refresh_view()

    def set_plane(self, plane: str, index: int | None = None) -> None:
        """Switch to 'axial', 'coronal' or 'sagittal' (middle slice unless `index`)."""
        check_choice(plane, orientation.PLANES, name="plane")
        self._finish_pending()
        self.plane = plane
        self.index = self.n_slices // 2 if index is None else int(index)
        self._check_index(self.index)
        nx, ny = self._plane_shape()
        extent = (-0.5, nx - 0.5, -0.5, ny - 0.5)
        self._update_images()
        for im in self.images:
            im.set_extent(extent)
        for ax in self.axes:
            for t in [t for t in ax.texts if (t.get_gid() or "").startswith("orientation-")]:
                t.remove()
            viz.draw_markers(ax, plane, self.neurological)
        self._set_limits()
        slider = self.controls.get("slice")
        if slider is not None:
            self._syncing = True
            try:
                slider.max = self.n_slices - 1
                slider.value = self.index
            finally:
                self._syncing = False
        if "plane" in self.controls and self.controls["plane"].value != plane:
            self.controls["plane"].value = plane
        self._refresh_view()

    def set_label(self, muscle: str | None = None, side: str | None = None) -> None:
        """Choose the label drawn next (muscle from ``anatomy.MUSCLE_NAMES``, side)."""
        if muscle is not None:
            check_choice(muscle, anatomy.MUSCLE_NAMES, name="muscle")
        if side is not None:
            check_choice(side, anatomy.SIDES, name="side")
        self._finish_pending()
        self.muscle = muscle or self.muscle
        self.side = side or self.side
        for key, value in (("muscle", self.muscle), ("side", self.side)):
            w = self.controls.get(key)
            if w is not None and w.value != value:
                w.value = value
        self._update_lines()
        self._update_status()
        self._draw()

    def set_tool(self, tool: str) -> None:
        """Choose 'polygon', 'lasso', 'brush', 'eraser' or 'ellipse'."""
        check_choice(tool, TOOLS, name="tool")
        self._finish_pending()
        self.tool = tool
        w = self.controls.get("tool")
        if w is not None and w.value != tool:
            w.value = tool
        self._update_lines()
        self._draw()

    def set_opacity(self, opacity: float) -> None:
        self.opacity = float(min(max(opacity, 0.0), 1.0))
        self._update_overlay()
        self._draw()

    def set_show_rois(self, show: bool) -> None:
        self.show_rois = bool(show)
        self._update_overlay()
        for line in self.lines:
            line.set_visible(self.show_rois)
        self._draw()

    # -- editing (public, also the code path of the no-ipympl fallback) ---------------------
    def _commit(self, edit: Edit, *, replace: bool = False) -> Edit:
        if replace:
            self.session.replace_last(edit)
        else:
            self.session.add(edit)
        self._after_edit()
        return edit

    def _after_edit(self) -> None:
        self._update_overlay()
        self._update_lines()
        self._refresh_results()
        self._update_status()
        self._draw()

    def _edit(self, kind, name, points, plane, index, **kw) -> Edit:
        plane = self.plane if plane is None else plane
        index = self.index if index is None else int(index)
        name = self.label_name if name is None else name
        structure, side = anatomy.parse_name(name)
        if side is None:
            msg = (f"label {name!r} has no side; use names like 'gluteus_medius_right' "
                   "(sides come from names).")
            raise InputError(msg)
        return self._commit(Edit(kind, anatomy.label_name(structure, side), plane, index,
                                 tuple(map(tuple, np.asarray(points, float).reshape(-1, 2))),
                                 **kw))

    def add_polygon(self, name: str | None, vertices, *, plane: str | None = None,
                    index: int | None = None, kind: str = "polygon") -> Edit:
        """Add a polygon ROI given by in-plane voxel vertices (works without ipympl).

        Parameters
        ----------
        name : str
            Label name such as ``'gluteus_medius_right'`` (None: the current label).
        vertices : array-like of shape (N, 2)
            ``(x, y)`` in-plane voxel coordinates of the T1 grid (x = first in-plane axis:
            i for axial and coronal, j for sagittal), as in :func:`mri_teach.roi.polygon_to_mask`.
        plane, index : optional
            Default: the plane and slice shown.
        """
        if np.asarray(vertices, float).reshape(-1, 2).shape[0] < 3:
            msg = "`vertices` needs at least 3 points for a polygon."
            raise InputError(msg)
        return self._edit(kind, name, vertices, plane, index)

    def add_ellipse(self, name: str | None, corner0, corner1, *, plane=None, index=None) -> Edit:
        """Add an ellipse inscribed in the box with opposite corners `corner0`, `corner1`."""
        return self._edit("ellipse", name, [corner0, corner1], plane, index)

    def add_brush(self, name: str | None, points, *, radius_vox: float | None = None,
                  plane=None, index=None, erase: bool = False) -> Edit:
        """Paint (or with ``erase=True`` remove) the label along a brush path."""
        r = self.brush_radius_vox if radius_vox is None else float(radius_vox)
        return self._edit("erase" if erase else "brush", name, points, plane, index,
                          radius_vox=r)

    def clear_slice(self, name: str | None = None) -> Edit:
        """Remove the label (default: current) from the slice shown."""
        self._verts = []
        return self._edit("clear", name, [], None, None)

    def copy_to_slice(self, offset: int = 1, name: str | None = None) -> Edit | None:
        """Copy the label on this slice to the adjacent slice (``offset`` = +1 or -1)."""
        target = self.index + int(offset)
        if not 0 <= target < self.n_slices:
            self._set_message(f"no slice {target + 1} to copy to")
            return None
        edit = self._edit("copy", name, [], None, target, source_index=self.index)
        self.set_slice(target)
        return edit

    def undo(self) -> bool:
        """Undo the last edit (or the last vertex of a polygon in progress)."""
        if self._verts:
            self._verts.pop()
            self._update_lines()
            self._draw()
            return True
        done = self.session.undo()
        self._after_edit()
        return done

    def redo(self) -> bool:
        done = self.session.redo()
        self._after_edit()
        return done

    def close_polygon(self) -> Edit | None:
        """Close the polygon in progress (at least 3 vertices) and add it."""
        if len(self._verts) < 3:
            self._set_message("a polygon needs at least 3 vertices")
            return None
        verts, self._verts = self._verts, []
        return self._edit("polygon", None, verts, None, None)

    def cancel(self) -> None:
        """Drop the polygon / stroke in progress."""
        self._verts, self._stroke, self._corner, self._ellipse_end = [], None, None, None
        self._update_lines()
        self._draw()

    def _finish_pending(self) -> None:
        # leaving a slice with a polygon in progress keeps it (if it is a polygon at all)
        if len(self._verts) >= 3:
            self.close_polygon()
        self._verts, self._stroke, self._corner, self._ellipse_end = [], None, None, None

    # -- export / import --------------------------------------------------------------------
    def export(self, folder, *, overwrite: bool = False, stem: str = "labels") -> dict[str, Path]:
        """Write ``labels.nii.gz`` + ``labels.json`` + ITK-SNAP ``labels.txt`` to `folder`.

        The files are the formats :func:`mri_teach.io.load_labels` reads back (pass the NIfTI
        as ``labels=`` to continue editing). Writes are atomic; existing files are kept
        unless `overwrite`.
        """
        from mri_teach import io

        folder = Path(folder).expanduser()
        nii = folder / f"{stem}.nii.gz"
        txt = folder / f"{stem}_itksnap.txt"
        if not overwrite:
            for p in (nii, txt):
                if p.exists():
                    msg = f"{p}: already exists; pass overwrite=True or choose another folder."
                    raise InputError(msg)
        folder.mkdir(parents=True, exist_ok=True)
        written = io.save_labels(self.labels.astype(np.int16), self.affine, self.table, nii,
                                 overwrite=overwrite)
        io.write_itksnap_labels(self.table, txt, overwrite=overwrite)
        out = {"nifti": nii, "itksnap": txt}
        if isinstance(written, dict):
            out.update({k: Path(v) for k, v in written.items()})
        json_path = folder / f"{stem}.json"
        if json_path.exists():
            out.setdefault("json", json_path)
        self._set_message(f"exported to {folder}")
        return out

    # -- results ----------------------------------------------------------------------------
    def _refresh_results(self) -> None:
        if not self._analyze_enabled:
            return
        table = self.table
        if not table:
            self.analysis, self.analysis_error = None, None
            self._render_table()
            return
        from mri_teach import staging

        try:
            # STIR statistics on the STIR's own grid: the T1-grid labels reach it through
            # world coordinates inside analyze (as `mri-teach analyze` does).
            self.analysis = staging.analyze(self._t1_volume(), self._stir_native,
                                            self.label_map())
            self.analysis_error = None
        except Exception as err:  # noqa: BLE001 - shown to the user, never fatal mid-drawing
            self.analysis, self.analysis_error = None, f"{type(err).__name__}: {err}"
        self._render_table()

    def _t1_volume(self):
        from mri_teach import io

        return io.Volume(self._volumes["T1"], self.affine, self.voxel_size_mm, name="T1")

    def results(self) -> list[dict]:
        """Rows of the results table (one per ROI) as dicts."""
        if self.analysis is None:
            return []
        d = self.analysis.to_dict()
        return list(d.get("muscles", []))

    def results_html(self) -> str:
        """The results table as HTML (what the widget shows)."""
        rows = self.results()
        if self.analysis_error:
            return (f"<div class='mri-teach-results'><b>Results unavailable:</b> "
                    f"{html.escape(self.analysis_error)}</div>")
        if not rows:
            return ("<div class='mri-teach-results'><i>No ROIs yet: pick a muscle and side, "
                    "then draw.</i></div>")
        cols = [("name", "ROI"), ("volume_ml", "volume mL"), ("t1_mean", "T1 mean"),
                ("stir_mean", "STIR mean"), ("t1_sir", "T1 SIR"), ("stir_sir", "STIR SIR"),
                ("volume_ratio", "volume ratio"), ("reference", "reference"),
                ("stage", "stage")]

        def fmt(v):
            if isinstance(v, float):
                if not math.isfinite(v):
                    return "–"
                return f"{v:.2f}" if abs(v) < 10 else f"{v:.1f}" if abs(v) < 1000 else f"{v:.0f}"
            return "–" if v is None else html.escape(str(v).replace("_", " "))

        head = "".join(f"<th>{h}</th>" for _, h in cols)
        body = []
        for r in rows:
            cells = []
            for k, _ in cols:
                v = r.get(k)
                if k in ("name", "reference") and v:
                    v = anatomy.display_name(str(v))
                tip = ""
                if k == "stage" and r.get("reasons"):
                    tip = f" title='{html.escape('; '.join(map(str, r['reasons'])), quote=True)}'"
                cells.append(f"<td class='{k}'{tip}>{fmt(v)}</td>")
            name = str(r.get("name", ""))
            body.append(f"<tr data-label='{html.escape(name)}'>{''.join(cells)}</tr>")
        pattern = self.analysis.to_dict().get("pattern") or {}
        nerve = pattern.get("nerve") if isinstance(pattern, dict) else None
        side = pattern.get("side") if isinstance(pattern, dict) else None
        nerve_txt = (f"<p class='nerve'>Inferred nerve: <b>{fmt(nerve)}</b>"
                     f"{' (' + fmt(side) + ')' if side else ''}</p>")
        warn = "".join(f"<li>{html.escape(str(w))}</li>"
                       for w in (self.analysis.to_dict().get("warnings") or []))
        return ("<div class='mri-teach-results'><table border='1' cellpadding='3' "
                "style='border-collapse:collapse'>"
                f"<tr>{head}</tr>{''.join(body)}</table>{nerve_txt}"
                f"{'<ul>' + warn + '</ul>' if warn else ''}</div>")

    def _render_table(self) -> None:
        w = self.controls.get("results")
        if w is not None:
            w.value = self.results_html()

    # -- status -----------------------------------------------------------------------------
    def _set_message(self, text: str) -> None:
        self.message = text
        self._update_status()

    def status_text(self) -> str:
        parts = [f"drawing {anatomy.display_name(self.label_name)} with the {self.tool}"]
        if self.sidecar is not None:
            state = (f"autosaved {self.session.saved_at}" if self.session.saved_at else
                     "restored" if self.session.restored else "autosave on")
            parts.append(f"{state} to {self.sidecar}")
        else:
            parts.append("autosave off")
        if self.session.last_error:
            parts.append(self.session.last_error)
        if self.message:
            parts.append(self.message)
        return " | ".join(parts)

    def _update_status(self) -> None:
        w = self.controls.get("status")
        if w is not None:
            w.value = f"<small class='mri-teach-status'>{html.escape(self.status_text())}</small>"

    # -- screen helpers (also used by the browser test) -------------------------------------
    def to_canvas_pixels(self, points, *, sequence: str = "T1") -> list[tuple[float, float]]:
        """In-plane voxel points -> canvas pixels from the top-left (CSS px at dpr 1)."""
        check_choice(sequence, SEQUENCES, name="sequence")
        ax = self.axes[SEQUENCES.index(sequence)]
        for a in self.axes:  # the layout of fixed-aspect axes, without rendering (a render
            a.apply_aspect()  # before ipympl's front end is ready leaves it blank)
        xy = ax.transData.transform(np.asarray(points, float).reshape(-1, 2))
        height = self.figure.bbox.height
        return [(float(x), float(height - y)) for x, y in xy]

    def roi_centroid_world(self, edit: Edit | None = None) -> tuple[float, float, float]:
        """World RAS+ mm centroid of an edit's points (default: the last edit)."""
        edit = edit or self.session.edits[-1]
        return edit_centroid_world(edit, self.affine)

    # -- matplotlib events --------------------------------------------------------------------
    def _toolbar_busy(self) -> bool:
        tb = getattr(self.figure.canvas, "toolbar", None)
        mode = getattr(tb, "mode", "") if tb is not None else ""
        return bool(str(mode))

    def _near_vertex(self, event, verts) -> int | None:
        if not verts:
            return None
        ax = event.inaxes
        xy = ax.transData.transform(np.asarray(verts, float))
        d = np.hypot(xy[:, 0] - event.x, xy[:, 1] - event.y)
        i = int(np.argmin(d))
        return i if d[i] <= _PICK_PX else None

    def _on_press(self, event) -> None:
        if event.inaxes not in self.axes or event.xdata is None or self._toolbar_busy():
            return
        p = (float(event.xdata), float(event.ydata))
        if event.button == 3:
            if self.tool == "polygon":
                verts = self._current_polygon()
                i = self._near_vertex(event, verts)
                if i is not None:
                    self._delete_vertex(i)
                    return
            seq = SEQUENCES[self.axes.index(event.inaxes)]
            self._wl_drag = {"seq": seq, "x": event.x, "y": event.y,
                             "window": self.windows[seq]}
            return
        if event.button != 1:
            return
        if self.tool == "polygon":
            if self._verts and getattr(event, "dblclick", False) and len(self._verts) >= 3:
                self.close_polygon()  # double-click closes, as in most drawing tools
                return
            if self._verts:
                i = self._near_vertex(event, self._verts)
                if i == 0 and len(self._verts) >= 3:
                    self.close_polygon()
                    return
                if i is not None:
                    self._drag_vertex, self._drag_committed = i, False
                    return
                self._verts.append(p)
            else:
                last = self._last_polygon_edit()
                i = self._near_vertex(event, list(last.points)) if last is not None else None
                if i is not None:  # a drag moves it; a plain click starts a new polygon
                    self._drag_vertex, self._drag_committed = i, True
                    self._verts_drag = list(last.points)
                    self._drag_moved = False
                    self._drag_start = p
                    return
                self._verts = [p]
            self._update_lines()
            self._draw()
        elif self.tool in ("lasso", "brush", "eraser"):
            self._stroke = [p]
            self._update_lines()
            self._draw()
        elif self.tool == "ellipse":
            self._corner, self._ellipse_end = p, p

    def _on_move(self, event) -> None:
        if self._wl_drag is not None:
            d = self._wl_drag
            w0 = d["window"]
            scale = w0.width / 200.0  # 200 px drag = one window width (PACS-like)
            width = max(w0.width + (event.x - d["x"]) * scale, 1e-6 * max(1.0, w0.width))
            level = w0.level - (event.y - d["y"]) * scale
            self.set_window(d["seq"], level - width / 2, level + width / 2, draw=False)
            self._draw_preview()
            return
        if event.inaxes not in self.axes or event.xdata is None:
            return
        p = (float(event.xdata), float(event.ydata))
        if self._drag_vertex is not None:
            if self._drag_committed:
                self._drag_moved = True
                self._verts_drag[self._drag_vertex] = p
                xs = [*self._verts_drag, self._verts_drag[0]]
                for line in self.lines:
                    line.set_data([q[0] for q in xs], [q[1] for q in xs])
            else:
                self._verts[self._drag_vertex] = p
                self._update_lines()
            self._draw_preview()
        elif self._stroke is not None:
            self._stroke.append(p)
            self._update_lines()
            self._draw_preview()
        elif self._corner is not None:
            self._ellipse_end = p
            self._update_lines()
            self._draw_preview()

    def _on_release(self, event) -> None:
        if self._wl_drag is not None and event.button == 3:
            self._wl_drag = None
            self._draw()
            return
        if event.button != 1:
            return
        if self._drag_vertex is not None:
            if self._drag_committed and not self._drag_moved:
                self._verts = [self._drag_start]
                self._update_lines()
                self._draw()
            elif self._drag_committed:
                last = self._last_polygon_edit()
                if last is not None:
                    self._commit(Edit("polygon", last.name, last.plane, last.index,
                                      tuple(self._verts_drag)), replace=True)
            else:
                self._update_lines()
                self._draw()
            self._drag_vertex = None
            return
        if self._stroke is not None:
            stroke, self._stroke = self._stroke, None
            if self.tool == "lasso":
                if len(stroke) >= 3:
                    self._edit("lasso", None, stroke, None, None)
                else:
                    self._update_lines()
                    self._draw()
            else:
                self.add_brush(None, stroke, erase=self.tool == "eraser")
        elif self._corner is not None:
            c0, c1 = self._corner, self._ellipse_end or self._corner
            self._corner = self._ellipse_end = None
            if abs(c1[0] - c0[0]) >= 1 and abs(c1[1] - c0[1]) >= 1:
                self.add_ellipse(None, c0, c1)
            else:
                self._update_lines()
                self._draw()

    def _delete_vertex(self, i: int) -> None:
        if self._verts:
            del self._verts[i]
            self._update_lines()
            self._draw()
            return
        last = self._last_polygon_edit()
        if last is None:
            return
        pts = [q for k, q in enumerate(last.points) if k != i]
        if len(pts) < 3:
            self._set_message("a polygon keeps at least 3 vertices (use Clear or Undo)")
            return
        self._commit(Edit("polygon", last.name, last.plane, last.index, tuple(pts)),
                     replace=True)

    def _on_key(self, event) -> None:
        key = (event.key or "").lower()
        if key in ("up", "right", "pageup"):
            self.set_slice(self.index + 1)
        elif key in ("down", "left", "pagedown"):
            self.set_slice(self.index - 1)
        elif key == "enter":
            self.close_polygon()
        elif key == "escape":
            self.cancel()
        elif key in ("backspace", "delete") and self._verts:
            self._verts.pop()
            self._update_lines()
            self._draw()
        elif key in ("ctrl+z", "cmd+z"):
            self.undo()
        elif key in ("ctrl+y", "ctrl+shift+z", "cmd+shift+z"):
            self.redo()

    def _on_scroll(self, event) -> None:
        if event.inaxes in self.axes:
            self.set_slice(self.index + (1 if event.button == "up" else -1))

    # -- ipywidgets -----------------------------------------------------------------------
    def _build_controls(self) -> None:
        import ipywidgets as W

        self._syncing = False
        c = self.controls
        c["tool"] = W.ToggleButtons(options=list(TOOLS), value=self.tool, description="Tool")
        c["muscle"] = W.Dropdown(options=[(anatomy.MUSCLES[m].display, m)
                                          for m in anatomy.MUSCLE_NAMES],
                                 value=self.muscle, description="Muscle")
        c["side"] = W.ToggleButtons(options=list(anatomy.SIDES), value=self.side,
                                    description="Side")
        c["plane"] = W.ToggleButtons(options=list(orientation.PLANES), value=self.plane,
                                     description="View")
        c["slice"] = W.IntSlider(value=self.index, min=0, max=self.n_slices - 1,
                                 description="Slice", continuous_update=False)
        c["brush"] = W.FloatSlider(value=self.brush_radius_vox, min=0.5, max=20, step=0.5,
                                   description="Brush r")
        c["opacity"] = W.FloatSlider(value=self.opacity, min=0, max=1, step=0.05,
                                     description="Opacity")
        c["show"] = W.Checkbox(value=self.show_rois, description="Show ROIs")
        for seq in SEQUENCES:
            data = self._volumes[seq]
            finite = data[np.isfinite(data)]
            lo = float(min(finite.min(), self.windows[seq].low)) if finite.size else 0.0
            hi = float(max(finite.max(), self.windows[seq].high)) if finite.size else 1.0
            c[f"window_{seq}"] = W.FloatRangeSlider(
                value=(self.windows[seq].low, self.windows[seq].high), min=lo, max=hi,
                step=(hi - lo) / 500 or 1.0, description=f"{seq} W/L",
                continuous_update=False)
        c["preset"] = W.Dropdown(options=[("whole-series 1-99%", "percentiles"),
                                          ("reference muscle", "reference")],
                                 value="percentiles", description="Preset")
        names = ("close", "undo", "redo", "clear", "copy_prev", "copy_next", "export")
        texts = ("Close", "Undo", "Redo", "Clear slice", "Copy to prev", "Copy to next",
                 "Export")
        for n, t in zip(names, texts, strict=True):
            c[n] = W.Button(description=t, layout=W.Layout(width="auto"))
        c["export_dir"] = W.Text(value=str(Path.cwd() / "mri_teach_rois"),
                                 description="Export to")
        c["results"] = W.HTML(self.results_html())
        c["status"] = W.HTML()

        def guard(fn):
            def handler(change):
                if not self._syncing:
                    fn(change["new"])
            return handler

        c["tool"].observe(guard(self.set_tool), "value")
        c["muscle"].observe(guard(lambda v: self.set_label(muscle=v)), "value")
        c["side"].observe(guard(lambda v: self.set_label(side=v)), "value")
        c["plane"].observe(guard(lambda v: self.set_plane(v) if v != self.plane else None),
                           "value")
        c["slice"].observe(guard(self.set_slice), "value")
        c["brush"].observe(guard(lambda v: setattr(self, "brush_radius_vox", float(v))),
                           "value")
        c["opacity"].observe(guard(self.set_opacity), "value")
        c["show"].observe(guard(self.set_show_rois), "value")
        for seq in SEQUENCES:
            c[f"window_{seq}"].observe(
                guard(lambda v, s=seq: self.set_window(s, v[0], v[1]) if v[1] > v[0] else None),
                "value")

        def on_preset(v):
            try:
                self.window_preset(v)
            except InputError as err:
                self._set_message(str(err))

        c["preset"].observe(guard(on_preset), "value")

        def safe(fn):
            def handler(_button):
                try:
                    fn()
                except Exception as err:  # noqa: BLE001 - shown in the status line
                    self._set_message(f"{type(err).__name__}: {err}")
            return handler

        c["close"].on_click(safe(self.close_polygon))
        c["undo"].on_click(safe(self.undo))
        c["redo"].on_click(safe(self.redo))
        c["clear"].on_click(safe(self.clear_slice))
        c["copy_prev"].on_click(safe(lambda: self.copy_to_slice(-1)))
        c["copy_next"].on_click(safe(lambda: self.copy_to_slice(+1)))
        c["export"].on_click(safe(lambda: self.export(c["export_dir"].value,
                                                      overwrite=True)))
        row = W.HBox
        canvas = self.figure.canvas
        parts = [
            row([c["tool"], c["brush"]]),
            row([c["muscle"], c["side"], c["plane"]]),
            row([c["slice"], c["opacity"], c["show"]]),
            row([c["window_T1"], c["window_STIR"], c["preset"]]),
            row([c[n] for n in names] + [c["export_dir"]]),
        ]
        if isinstance(canvas, W.DOMWidget):
            parts.append(canvas)
        parts += [c["results"], c["status"]]
        self.widget = W.VBox(parts)

    # -- display --------------------------------------------------------------------------
    def _ipython_display_(self) -> None:
        from IPython.display import HTML, display

        if self._interactive and self.widget is not None:
            display(self.widget)
            return
        display(HTML(f"<p><b>mri_teach:</b> {html.escape(INSTALL_HINT)}</p>"))
        display(self.figure)
        display(HTML(self.results_html()))

    def show(self):
        """The widget box when interactive, else the static figure (for scripts)."""
        return self.widget if (self._interactive and self.widget is not None) else self.figure

    def close(self) -> None:
        """Disconnect events and close the figure (the sidecar stays)."""
        import matplotlib.pyplot as plt

        for cid in self._cids:
            self.figure.canvas.mpl_disconnect(cid)
        self._cids = []
        manager = getattr(self, "_manager", None)
        if manager is not None:
            manager.destroy()
        else:
            plt.close(self.figure)

    def __repr__(self) -> str:
        return (f"RoiEditor(shape={self.shape}, plane={self.plane!r}, index={self.index}, "
                f"labels={sorted(self.table.values())})")
