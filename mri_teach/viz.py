"""Teaching figures: palette, window/level, oriented slices and slide figures (layer L5).

Every matplotlib figure of mri_teach is drawn here (the widgets build on the same core).
The core that other modules share:

* :data:`MUSCLE_COLORS` / :func:`muscle_color` -- one colour-blind-safe colour per muscle
  *structure* (Okabe-Ito first, then Paul Tol's "muted" scheme), the same for the left and
  the right muscle, and clearly different for gluteus medius, gluteus minimus and TFL.
* :class:`Window` with :func:`window_from_percentiles` (over the *whole series*, never per
  slice) and :func:`window_from_reference` (from a reference muscle). Window/level must stay
  locked per sequence across sides, time points and panels, or the brightening being taught
  is windowed away (domain.md 1.4, 6).
* :func:`show_plane` -- ``imshow(slice.T, origin="lower")`` then an inverted x axis for the
  radiological convention (patient right on screen left, domain.md 6), so data coordinates
  of clicks are in-plane voxel indices (``architecture.md``).
* :func:`draw_markers` (R/L, A/P, S/I letters, always), :func:`add_scale_bar`,
  :func:`draw_label_outlines` and :data:`SLIDE_STYLE` (16:9 slides, no text under 18 pt).

matplotlib is imported inside the functions, so importing this module is cheap; compute
modules never import it (``style.md`` C1).

Pixel baselines of the key figures are in ``tests/baseline/``; regenerate them (and look at
them) with ``MRI_TEACH_REGEN_BASELINES=1 .venv/bin/python -m pytest tests/test_viz.py -k
pixel``. Plot functions take ``ax=None``/``fig=None``,
return the Axes or Figure, never call ``plt.show()`` and never change global rcParams.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mri_teach import anatomy, orientation
from mri_teach._validation import InputError, check_choice

__all__ = [
    "MUSCLE_COLORS",
    "OTHER_COLOR",
    "SLIDE_STYLE",
    "SLIDE_SIZE_IN",
    "Window",
    "muscle_color",
    "window_from_percentiles",
    "window_from_reference",
    "show_plane",
    "draw_markers",
    "add_scale_bar",
    "draw_label_outlines",
    "legend_handles",
    "best_index",
    "plot_case_panel",
    "plot_sir_chart",
    "expected_course",
    "plot_timeline",
    "GALLERY_DAYS",
    "make_gallery_cases",
    "plot_stage_gallery",
    "plot_innervation",
    "plot_montage",
]

# --- palette -----------------------------------------------------------------------------

#: Structure -> hex colour. Okabe & Ito (2008) "colour universal design" colours for the
#: muscles that matter most, then Paul Tol's "muted" scheme. Gmed (orange), Gmin (sky blue)
#: and TFL (bluish green) differ in hue *and* lightness for the common colour-vision
#: deficiencies. Left and right muscles share their structure's colour.
MUSCLE_COLORS: dict[str, str] = {
    "gluteus_medius": "#E69F00",  # Okabe-Ito orange
    "gluteus_minimus": "#56B4E9",  # Okabe-Ito sky blue
    "tensor_fasciae_latae": "#009E73",  # Okabe-Ito bluish green
    "gluteus_maximus": "#F0E442",  # Okabe-Ito yellow
    "piriformis": "#CC79A7",  # Okabe-Ito reddish purple
    "obturator_internus": "#D55E00",  # Okabe-Ito vermillion
    "iliacus": "#0072B2",  # Okabe-Ito blue
    "psoas": "#AA4499",  # Tol muted purple
    "quadratus_femoris": "#CC6677",  # Tol muted rose
    "obturator_externus": "#DDCC77",  # Tol muted sand
    "adductors": "#117733",  # Tol muted green
    "hamstrings": "#882255",  # Tol muted wine
    "sartorius": "#44AA99",  # Tol muted teal
    "rectus_femoris": "#999933",  # Tol muted olive
    "multifidus": "#332288",  # Tol muted indigo
    "erector_spinae": "#88CCEE",  # Tol muted cyan
}

#: Colour of structures that are not muscles of the palette (bones, bladder, unknown).
OTHER_COLOR = "#BBBBBB"


def muscle_color(label_name: str) -> str:
    """Palette colour of a label (side ignored; unknown structures are grey).

    Examples
    --------
    >>> muscle_color("gluteus_medius_right") == muscle_color("Gluteus medius L")
    True
    >>> muscle_color("tensor_fasciae_latae_left")
    '#009E73'
    >>> muscle_color("bladder")
    '#BBBBBB'
    """
    structure, _ = anatomy.parse_name(str(label_name))
    return MUSCLE_COLORS.get(structure, OTHER_COLOR)


# --- window / level ------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """A display window: intensities ``<= low`` are black, ``>= high`` white.

    Examples
    --------
    >>> w = Window(0.0, 200.0)
    >>> w.width, w.level
    (200.0, 100.0)
    >>> Window(5, 5)
    Traceback (most recent call last):
    ...
    mri_teach._validation.InputError: `Window` needs low < high; got low=5.0, high=5.0.
    """

    low: float
    high: float

    def __post_init__(self) -> None:
        low, high = float(self.low), float(self.high)
        if not (math.isfinite(low) and math.isfinite(high)) or not low < high:
            msg = f"`Window` needs low < high; got low={low!r}, high={high!r}."
            raise InputError(msg)
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)

    @property
    def width(self) -> float:
        return self.high - self.low

    @property
    def level(self) -> float:
        return (self.high + self.low) / 2.0

    def as_dict(self) -> dict[str, float]:
        """``{'vmin': low, 'vmax': high}`` for ``imshow``."""
        return {"vmin": self.low, "vmax": self.high}


_MAX_SAMPLES = 1_000_000


def _sample(arr: np.ndarray, step: int) -> np.ndarray:
    flat = arr.reshape(-1)
    return flat[::step] if step > 1 else flat


def _series_values(data: Any, mask: Any) -> np.ndarray:
    """Finite voxel values of every volume of a series (strided sample of big series).

    A regular stride through each *whole* volume keeps percentiles of a 10^7-voxel series
    accurate to far below a grey level while reading it once.
    """
    arrays = [data] if isinstance(data, np.ndarray) else list(data)
    masks: list[Any]
    if mask is None:
        masks = [None] * len(arrays)
    elif isinstance(mask, np.ndarray):
        masks = [mask] * len(arrays)
    else:
        masks = list(mask)
    if len(masks) != len(arrays):
        msg = f"`mask` gives {len(masks)} masks for {len(arrays)} images; give one per image."
        raise InputError(msg)
    arrays = [np.asarray(a) for a in arrays]
    total = sum(a.size for a in arrays)
    step = max(1, total // _MAX_SAMPLES) if mask is None else 1
    parts = []
    for arr, m in zip(arrays, masks, strict=True):
        if m is not None:
            m = np.asarray(m, dtype=bool)
            if m.shape != arr.shape:
                msg = f"`mask` shape {m.shape} does not match image shape {arr.shape}."
                raise InputError(msg)
            values = arr[m]
        else:
            values = _sample(arr, step)
        values = values.astype(np.float64, copy=False)
        parts.append(values[np.isfinite(values)])
    return np.concatenate(parts) if parts else np.empty(0)


def window_from_percentiles(data: Any, lo: float = 1, hi: float = 99, mask: Any = None) -> Window:
    """Window from percentiles of a *whole series* (never of one slice).

    Parameters
    ----------
    data : ndarray or sequence of ndarray
        One volume, or every volume of the series that will share the window (e.g. one
        sequence at several time points). Pass the volumes, not the slices you show.
    lo, hi : float, default 1, 99
        Percentiles (domain.md 6: 1st-99th percentile windows are common practice [U]).
    mask : ndarray of bool or sequence, optional
        Restrict to voxels inside the body or a muscle.

    Returns
    -------
    Window

    Examples
    --------
    >>> vol = np.arange(101, dtype=float).reshape(101, 1, 1)
    >>> window_from_percentiles(vol)
    Window(low=1.0, high=99.0)
    >>> window_from_percentiles([vol, 2 * vol], lo=0, hi=100)
    Window(low=0.0, high=200.0)
    """
    if not 0 <= lo < hi <= 100:
        msg = f"`lo`/`hi` must satisfy 0 <= lo < hi <= 100; got lo={lo!r}, hi={hi!r}."
        raise InputError(msg)
    values = _series_values(data, mask)
    if values.size == 0:
        msg = "`data` has no finite voxels (inside `mask`) to set a window from."
        raise InputError(msg)
    low, high = (float(v) for v in np.percentile(values, [lo, hi]))
    if not high > low:
        high = low + (abs(low) if low else 1.0)
    return Window(low, high)


def window_from_reference(
    data: Any, mask: Any, *, gray: float = 0.35, low: float = 0.0
) -> Window:
    """Window that puts the mean of a reference muscle at a fixed grey level.

    ``high = low + (mean - low) / gray``, so a normal reference muscle always appears at
    `gray` (0 = black, 1 = white) and a muscle 1.3x brighter on STIR looks 1.3x brighter,
    on every side and time point windowed this way (domain.md 1.4). `gray` is a display
    choice [U], not a literature value.

    Parameters
    ----------
    data : ndarray or sequence of ndarray
        The volume(s).
    mask : ndarray of bool or sequence
        Reference-muscle voxels (e.g. the contralateral or an ipsilateral muscle of another
        nerve).
    gray : float, default 0.35
        Grey level of the reference mean, in (0, 1).
    low : float, default 0.0
        Black level.

    Examples
    --------
    >>> img = np.full((4, 4, 2), 100.0)
    >>> ref = np.zeros_like(img, dtype=bool); ref[:2] = True
    >>> window_from_reference(img, ref, gray=0.5)
    Window(low=0.0, high=200.0)
    """
    if not 0 < gray < 1:
        msg = f"`gray` must be between 0 and 1 (exclusive); got {gray!r}."
        raise InputError(msg)
    if mask is None:
        msg = "`mask` (the reference-muscle voxels) is required for window_from_reference."
        raise InputError(msg)
    values = _series_values(data, mask)
    if values.size == 0:
        msg = "`mask` selects no finite voxels; choose a reference muscle that is labelled."
        raise InputError(msg)
    mean = float(values.mean())
    if not mean > low:
        msg = f"reference mean {mean:.4g} is not above `low`={low!r}; lower `low`."
        raise InputError(msg)
    return Window(low, low + (mean - low) / gray)


# --- slices ---------------------------------------------------------------------------------


def _aspect(plane: str, voxel_size_mm: Sequence[float] | None) -> float:
    if voxel_size_mm is None:
        return 1.0
    sizes = [float(v) for v in voxel_size_mm]
    if len(sizes) != 3 or not all(math.isfinite(v) and v > 0 for v in sizes):
        msg = f"`voxel_size_mm` must be 3 positive numbers; got {voxel_size_mm!r}."
        raise InputError(msg)
    _, xa, ya = orientation.plane_axes(plane)
    return sizes[ya] / sizes[xa]


def show_plane(
    ax,
    data: np.ndarray,
    plane: str,
    index: int,
    window: Window,
    *,
    neurological: bool = False,
    markers: bool = True,
    voxel_size_mm: Sequence[float] | None = None,
    cmap: str = "gray",
    marker_fontsize: float | None = None,
):
    """Show one slice of a RAS volume in display orientation on `ax`.

    Draws ``imshow(plane_slice(data, plane, index).T, origin="lower")`` with the window's
    vmin/vmax, then inverts the x axis when :func:`mri_teach.orientation.screen_x_inverted`
    says so (radiological convention by default: patient right on screen left). Data
    coordinates on `ax` are then the in-plane voxel indices (screen x = first in-plane axis).

    Parameters
    ----------
    ax : matplotlib Axes
    data : ndarray of shape (I, J, K)
        RAS+ volume.
    plane : {'axial', 'coronal', 'sagittal'}
    index : int
        Slice index along the plane's slice axis.
    window : Window
        Locked window of this sequence (never computed from this slice).
    neurological : bool, default False
        Patient right on screen right instead.
    markers : bool, default True
        Draw the orientation letters (:func:`draw_markers`).
    voxel_size_mm : 3 floats, optional
        Gives the pixel aspect ratio (mm per voxel along each axis).

    Returns
    -------
    matplotlib.image.AxesImage

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> vol = np.zeros((4, 3, 2)); vol[3] = 1.0  # patient right (high i) is bright
    >>> fig, ax = plt.subplots()
    >>> im = show_plane(ax, vol, "axial", 0, Window(0, 1))
    >>> bool(ax.xaxis_inverted()), im.get_array().shape  # radiological; (y, x) = (j, i)
    (True, (3, 4))
    >>> plt.close(fig)
    """
    if not isinstance(window, Window):
        msg = f"`window` must be a mri_teach.viz.Window; got {type(window).__name__}."
        raise InputError(msg)
    import matplotlib as mpl

    slice2d = orientation.plane_slice(np.asarray(data), plane, int(index))
    image = ax.imshow(
        slice2d.T,
        origin="lower",
        cmap=mpl.colormaps[cmap].with_extremes(bad="black"),
        vmin=window.low,
        vmax=window.high,
        interpolation="nearest",
        aspect=_aspect(plane, voxel_size_mm),
    )
    if orientation.screen_x_inverted(plane, neurological=neurological):
        ax.invert_xaxis()
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    if markers:
        draw_markers(ax, plane, neurological, fontsize=marker_fontsize)
    return image


def _outlined(color: str = "white"):
    from matplotlib import patheffects

    other = "black" if color == "white" else "white"
    return [patheffects.withStroke(linewidth=3, foreground=other)]


def draw_markers(ax, plane: str, neurological: bool = False, *, fontsize: float | None = None,
                 color: str = "white") -> list:
    """Write the orientation letters at the four screen edges of `ax`.

    The letters come from :func:`mri_teach.orientation.display_labels` (e.g. axial
    radiological: ``R`` left, ``L`` right, ``A`` top, ``P`` bottom). Each Text artist has
    the gid ``orientation-<edge>``.

    Returns
    -------
    list of matplotlib.text.Text

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> [t.get_text() for t in draw_markers(ax, "coronal")]
    ['R', 'L', 'S', 'I']
    >>> plt.close(fig)
    """
    import matplotlib as mpl

    labels = orientation.display_labels(plane, neurological=neurological)
    size = float(fontsize) if fontsize is not None else max(mpl.rcParams["font.size"], 10.0)
    places = {
        "left": ((0.015, 0.5), "left", "center"),
        "right": ((0.985, 0.5), "right", "center"),
        "top": ((0.5, 0.985), "center", "top"),
        "bottom": ((0.5, 0.015), "center", "bottom"),
    }
    texts = []
    for edge, ((x, y), ha, va) in places.items():
        t = ax.text(x, y, labels[edge], transform=ax.transAxes, ha=ha, va=va, color=color,
                    fontsize=size, fontweight="bold", path_effects=_outlined(color))
        t.set_gid(f"orientation-{edge}")
        texts.append(t)
    return texts


def _nice_length(limit_mm: float, wanted: float) -> float:
    if wanted <= limit_mm:
        return wanted
    for candidate in (200, 100, 50, 20, 10, 5, 2, 1):
        if candidate <= limit_mm:
            return float(candidate)
    return limit_mm


def add_scale_bar(ax, mm_per_voxel: float, length_mm: float = 50, *, color: str = "white",
                  fontsize: float | None = None, corner: str = "right"):
    """Draw a horizontal scale bar in the lower right (or `corner` left) corner of an axes.

    Call it after :func:`show_plane` (it reads the axis limits, inverted or not).
    `mm_per_voxel` is the voxel size along the screen x axis. The bar shrinks to a round
    length if `length_mm` does not fit in 60 % of the width.

    Returns
    -------
    matplotlib.lines.Line2D
        The bar; its label is the length text (e.g. ``'50 mm'``).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = show_plane(ax, np.zeros((200, 100, 1)), "axial", 0, Window(0, 1))
    >>> bar = add_scale_bar(ax, 1.5, 50)
    >>> bar.get_label(), round(float(abs(np.diff(bar.get_xdata())[0])), 2)  # 50 / 1.5
    ('50 mm', 33.33)
    >>> plt.close(fig)
    """
    import matplotlib as mpl

    mm = float(mm_per_voxel)
    if not (math.isfinite(mm) and mm > 0):
        msg = f"`mm_per_voxel` must be a positive number; got {mm_per_voxel!r}."
        raise InputError(msg)
    check_choice(corner, ("left", "right"), name="corner")
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    width_vox = abs(x1 - x0)
    length = _nice_length(0.6 * width_vox * mm, float(length_mm))
    length_vox = length / mm
    # near = screen-left end of the x axis, far = screen-right end (inverted or not)
    near, far = (x1, x0) if corner == "left" else (x0, x1)
    sgn = 1.0 if far > near else -1.0
    x_end = far - sgn * 0.05 * width_vox
    x_start = x_end - sgn * length_vox
    y = y0 + 0.07 * (y1 - y0)
    text = f"{length:g} mm"
    (line,) = ax.plot([x_start, x_end], [y, y], color=color, linewidth=4,
                      solid_capstyle="butt", path_effects=_outlined(color), label=text)
    line.set_gid("scale-bar")
    size = float(fontsize) if fontsize is not None else max(mpl.rcParams["font.size"] * 0.9, 9)
    t = ax.text((x_start + x_end) / 2, y + 0.025 * (y1 - y0), text, ha="center", va="bottom",
                color=color, fontsize=size, path_effects=_outlined(color))
    t.set_gid("scale-bar-text")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    return line


def _selected(name: str, names: Iterable[str] | None) -> bool:
    if names is None:
        return True
    structure, _ = anatomy.parse_name(name)
    wanted = set(names)
    return name in wanted or structure in wanted


def draw_label_outlines(ax, labels2d: np.ndarray, table: Mapping[int, str],
                        names: Iterable[str] | None = None, *, linewidth: float = 1.5,
                        muscles_only: bool = True) -> dict[str, Any]:
    """Contour every label of a 2D slice in its palette colour.

    Parameters
    ----------
    ax : matplotlib Axes
        Showing the matching slice via :func:`show_plane` (same screen axes).
    labels2d : ndarray of int, shape (X, Y)
        Label slice with axes (screen x, screen y), i.e. ``plane_slice(labels, ...)``.
    table : mapping int -> str
        Label value -> name (sides from the names).
    names : iterable of str, optional
        Only these label names or structures (e.g. ``["gluteus_medius"]``).
    linewidth : float, default 1.5
    muscles_only : bool, default True
        Skip structures without a palette colour (bone, bladder, fat).

    Returns
    -------
    dict
        Label name -> ContourSet, for the labels present in the slice.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> lab = np.zeros((10, 10), int); lab[2:5, 2:5] = 1; lab[6:9, 6:9] = 2
    >>> fig, ax = plt.subplots()
    >>> sorted(draw_label_outlines(ax, lab, {1: "gluteus_medius_right", 2: "bladder"}))
    ['gluteus_medius_right']
    >>> plt.close(fig)
    """
    labels2d = np.asarray(labels2d)
    if labels2d.ndim != 2:
        msg = f"`labels2d` must be a 2D slice; got shape {labels2d.shape}."
        raise InputError(msg)
    present = set(np.unique(labels2d).tolist())
    drawn: dict[str, Any] = {}
    xlim, ylim = ax.get_xlim(), ax.get_ylim()
    for value, name in sorted(table.items()):
        if int(value) not in present or int(value) == 0:
            continue
        structure, _ = anatomy.parse_name(name)
        if muscles_only and structure not in MUSCLE_COLORS:
            continue
        if not _selected(name, names):
            continue
        hit = labels2d == int(value)
        xs = np.flatnonzero(hit.any(axis=1))
        ys = np.flatnonzero(hit.any(axis=0))
        x0, x1 = max(xs[0] - 1, 0), min(xs[-1] + 2, hit.shape[0])
        y0, y1 = max(ys[0] - 1, 0), min(ys[-1] + 2, hit.shape[1])
        sub = hit[x0:x1, y0:y1].T.astype(np.float32)  # contour only the bounding box
        cs = ax.contour(np.arange(x0, x1), np.arange(y0, y1), sub, levels=[0.5],
                        colors=[muscle_color(name)], linewidths=linewidth)
        cs.set_gid(f"outline-{name}")
        drawn[name] = cs
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    return drawn


def legend_handles(names: Iterable[str]) -> list:
    """One legend handle per structure (left and right merged), in palette order.

    Examples
    --------
    >>> [h.get_label() for h in legend_handles(["gluteus_medius_right",
    ...                                          "gluteus_medius_left", "tfl_left"])]
    ['gluteus medius', 'tensor fasciae latae']
    """
    from matplotlib.lines import Line2D

    structures = {anatomy.parse_name(n)[0] for n in names}
    order = [s for s in MUSCLE_COLORS if s in structures]
    return [
        Line2D([0], [0], color=MUSCLE_COLORS[s], linewidth=4,
               label=anatomy.MUSCLES[s].display if s in anatomy.MUSCLES else s)
        for s in order
    ]


# --- slide style -----------------------------------------------------------------------------

#: Size of a 16:9 slide in inches (PowerPoint widescreen).
SLIDE_SIZE_IN = (13.333, 7.5)

#: rc parameters for slide figures: use ``with plt.rc_context(SLIDE_STYLE):``. All text is
#: at least 18 pt when the figure is shown at slide size.
SLIDE_STYLE: dict[str, Any] = {
    "figure.figsize": SLIDE_SIZE_IN,
    "figure.dpi": 100,
    "savefig.dpi": 300,
    "font.family": "DejaVu Sans",
    "font.size": 20,
    "axes.titlesize": 24,
    "axes.labelsize": 20,
    "xtick.labelsize": 18,
    "ytick.labelsize": 18,
    "legend.fontsize": 18,
    "legend.title_fontsize": 18,
    "figure.titlesize": 28,
    "axes.titleweight": "bold",
    "lines.linewidth": 2.5,
    "svg.fonttype": "none",
    "svg.hashsalt": "mri_teach",
    "pdf.fonttype": 42,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def _check_plane(plane: str) -> str:
    return check_choice(plane, orientation.PLANES, name="plane")


# --- inputs -------------------------------------------------------------------------------------

_FOCUS = ("gluteus_medius", "gluteus_minimus", "tensor_fasciae_latae")


def _image_and_size(image: Any, voxel_size_mm: Sequence[float] | None):
    """Array + voxel size from an ndarray or a Volume-like record (``.data``, voxel size)."""
    if hasattr(image, "data") and not isinstance(image, np.ndarray):
        if voxel_size_mm is None:
            voxel_size_mm = getattr(image, "voxel_size_mm", None)
        image = image.data
    data = np.asarray(image)
    if data.ndim != 3:
        msg = f"expected a 3D RAS volume; got an array of shape {data.shape}."
        raise InputError(msg)
    return data, (tuple(float(v) for v in voxel_size_mm) if voxel_size_mm is not None else None)


def _labels_and_table(labels: Any, table: Mapping[int, str] | None):
    if hasattr(labels, "data") and not isinstance(labels, np.ndarray):
        if table is None:
            table = getattr(labels, "table", None)
        labels = labels.data
    if table is None:
        msg = "`table` (label value -> name) is required with a plain label array."
        raise InputError(msg)
    return np.asarray(labels), {int(k): str(v) for k, v in dict(table).items()}


def _values_of(table: Mapping[int, str], structures: Iterable[str]) -> list[int]:
    wanted = set(structures)
    return [v for v, n in table.items() if anatomy.parse_name(n)[0] in wanted]


def best_index(labels: np.ndarray, table: Mapping[int, str], plane: str = "axial",
               structures: Iterable[str] = _FOCUS) -> int:
    """Slice index where `structures` (default Gmed, Gmin and TFL) are best represented.

    Each structure's voxel count per slice is divided by its own maximum and the shares are
    summed, so a small muscle (TFL) counts as much as a large one (Gmed): the chosen level
    shows all of them. Falls back to the middle slice when none of them is labelled.

    Examples
    --------
    >>> lab = np.zeros((4, 4, 3), int); lab[:2, :2, 2] = 5
    >>> best_index(lab, {5: "gluteus_medius_right"})
    2
    >>> lab[:, :, 1] = 5; lab[0, 0, 0] = 6
    >>> best_index(lab, {5: "gluteus_medius_right", 6: "tensor_fasciae_latae_right"})
    0
    """
    axis = orientation.plane_axes(plane)[0]
    labels = np.asarray(labels)
    other = tuple(a for a in range(3) if a != axis)
    score = np.zeros(labels.shape[axis])
    for structure in structures:
        values = _values_of(table, [structure])
        if not values:
            continue
        counts = np.isin(labels, values).sum(axis=other).astype(float)
        if counts.max() > 0:
            score += counts / counts.max()
    if score.max() > 0:
        return int(np.argmax(score))
    return labels.shape[axis] // 2


def _style(slide: bool):
    import matplotlib.pyplot as plt

    return plt.rc_context(SLIDE_STYLE if slide else {})


def _new_figure(fig, slide: bool, size: tuple[float, float] | None = None):
    import matplotlib.pyplot as plt

    if fig is not None:
        return fig
    if size is None:
        size = SLIDE_SIZE_IN if slide else (10.0, 5.6)
    return plt.figure(figsize=size, layout="constrained")


def _short_name(name: str) -> str:
    structure, side = anatomy.parse_name(name)
    abbrev = anatomy.MUSCLES[structure].abbrev if structure in anatomy.MUSCLES else structure
    return f"{side[0].upper()} {abbrev}" if side else abbrev


# --- (a) case panel --------------------------------------------------------------------------


def plot_case_panel(
    t1: Any,
    stir: Any,
    labels: Any,
    table: Mapping[int, str] | None = None,
    *,
    plane: str = "axial",
    index: int | None = None,
    windows: Mapping[str, Window] | Sequence[Window] | None = None,
    highlight: Iterable[str] | None = None,
    neurological: bool = False,
    voxel_size_mm: Sequence[float] | None = None,
    outline_names: Iterable[str] | None = None,
    title: str | None = None,
    scale_bar_mm: float = 50,
    slide: bool = True,
    fig=None,
):
    """T1 and STIR side by side at the same level with ROI outlines, legend and markers.

    Parameters
    ----------
    t1, stir : ndarray of shape (I, J, K) or Volume
        RAS+ volumes on the same grid (use ``load_pair``'s STIR resampled to the T1 grid).
    labels : ndarray of int or LabelMap
        Label map on that grid.
    table : mapping int -> str, optional
        Label names (taken from a LabelMap if not given).
    plane : {'axial', 'coronal', 'sagittal'}, default 'axial'
    index : int, optional
        Slice index; default the slice with the most Gmed/Gmin/TFL voxels.
    windows : {'T1': Window, 'STIR': Window} or (Window, Window), optional
        Locked windows; default the 1st-99th percentile of *each whole volume*.
    highlight : iterable of str, optional
        Label names to point at with arrows (e.g. the affected muscles).
    neurological : bool, default False
        Radiological by default: patient right on screen left.
    voxel_size_mm : 3 floats, optional
        Pixel aspect and scale bar (taken from a Volume if not given).
    outline_names : iterable of str, optional
        Only outline these labels/structures (default every muscle).
    slide : bool, default True
        16:9 slide styling (:data:`SLIDE_STYLE`).
    fig : matplotlib Figure, optional

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.axes[0]`` is T1, ``fig.axes[1]`` STIR.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> t1 = np.full((20, 10, 3), 100.0); stir = t1 / 2; stir[15:18, 3:6] = 80
    >>> lab = np.zeros(t1.shape, int); lab[15:18, 3:6] = 1; lab[2:5, 3:6] = 2
    >>> table = {1: "gluteus_medius_right", 2: "gluteus_medius_left"}
    >>> fig = plot_case_panel(t1, stir, lab, table, highlight=["gluteus_medius_right"],
    ...                       voxel_size_mm=(2, 2, 5), slide=False)
    >>> [ax.get_title() for ax in fig.axes[:2]]
    ['T1', 'STIR']
    >>> plt.close(fig)
    """
    plane = _check_plane(plane)
    t1d, vox = _image_and_size(t1, voxel_size_mm)
    stird, vox2 = _image_and_size(stir, voxel_size_mm)
    vox = vox or vox2
    labd, table = _labels_and_table(labels, table)
    if not (t1d.shape == stird.shape == labd.shape):
        msg = (f"T1 {t1d.shape}, STIR {stird.shape} and labels {labd.shape} must share one "
               "grid; resample the STIR onto the T1 grid with mri_teach.io.load_pair.")
        raise InputError(msg)
    if index is None:
        index = best_index(labd, table, plane)
    if windows is None:
        w1, w2 = window_from_percentiles(t1d), window_from_percentiles(stird)
    elif isinstance(windows, Mapping):
        w1, w2 = windows["T1"], windows["STIR"]
    else:
        w1, w2 = windows
    highlight = list(highlight or [])
    # the scale bar goes to the screen corner away from the labelled muscles (sides from
    # the names; radiological: patient left on screen right)
    hl_sides = {anatomy.parse_name(n)[1] for n in highlight} - {None}
    bar_corner = "right"
    if len(hl_sides) == 1:
        screen = "right" if (hl_sides == {"left"}) != neurological else "left"
        bar_corner = "left" if screen == "right" else "right"
    with _style(slide):
        fig = _new_figure(fig, slide)
        axes = fig.subplots(1, 2)
        lab2d = orientation.plane_slice(labd, plane, index)
        t1_2d = orientation.plane_slice(t1d, plane, index)
        _, xa, ya = orientation.plane_axes(plane)
        names_drawn: set[str] = set()
        for ax, data, window, name in ((axes[0], t1d, w1, "T1"), (axes[1], stird, w2, "STIR")):
            show_plane(ax, data, plane, index, window, neurological=neurological,
                       voxel_size_mm=vox)
            drawn = draw_label_outlines(ax, lab2d, table, outline_names, linewidth=2.0)
            names_drawn.update(drawn)
            if vox is not None and scale_bar_mm:
                add_scale_bar(ax, vox[xa], scale_bar_mm, corner=bar_corner)
            ax.set_title(name)
            ax.set_gid(f"panel-{name}")
        if names_drawn:
            handles = legend_handles(names_drawn)
            fig.legend(handles=handles, loc="outside lower center",
                       ncol=min(len(handles), 4), frameon=False)
        conv = "neurological" if neurological else "radiological"
        fig.suptitle(title or f"T1 vs STIR, {plane} slice {index} ({conv} view)")
        if highlight:
            fig.draw_without_rendering()  # final axes sizes, to size the label boxes
            for ax in axes:
                _annotate(ax, lab2d, table, highlight, image2d=t1_2d,
                          voxel_size_mm=None if vox is None else (vox[xa], vox[ya]),
                          scale_bar=bar_corner if vox is not None and scale_bar_mm else None)
    return fig


def _inner_point(mask: np.ndarray, sampling: Sequence[float] | None = None) -> tuple[int, int]:
    """The pixel of `mask` farthest from its boundary (an arrow tip inside the muscle).

    Examples
    --------
    >>> m = np.zeros((7, 9), bool); m[1:6, 2:7] = True  # a 5 x 5 square
    >>> _inner_point(m)
    (3, 4)
    """
    from scipy import ndimage

    padded = np.pad(np.asarray(mask, bool), 1)  # the slice edge counts as a boundary
    dist = ndimage.distance_transform_edt(padded, sampling=sampling)[1:-1, 1:-1]
    i, j = np.unravel_index(int(np.argmax(dist)), dist.shape)
    return int(i), int(j)


def _body_mask(slice2d: np.ndarray | None, lab2d: np.ndarray) -> np.ndarray:
    """Pixels inside the body: labelled, or above the background level, holes filled."""
    from scipy import ndimage

    body = lab2d > 0
    if slice2d is not None:
        img = np.nan_to_num(np.asarray(slice2d, float), nan=0.0)
        lo, hi = np.percentile(img, [1, 99])
        if hi > lo:
            fg = img > lo + 0.15 * (hi - lo)
            fg = ndimage.binary_opening(fg, iterations=1)
            body = body | fg
    body = ndimage.binary_closing(body, iterations=2)
    return ndimage.binary_fill_holes(body)


def _label_slots(ax, body: np.ndarray, screen_left: bool, w: float, h: float,
                 blocked: Sequence[tuple[float, float, float, float]],
                 keep_clear: np.ndarray | None = None) -> list[tuple[float, float, float]]:
    """Candidate label centres (axes fraction) on one screen side, with a cover score.

    A grid of columns from the screen edge inwards (to the middle) and rows one text
    height (plus a gap) apart, so two slots never overlap. Each slot is
    ``(x, y, score)``: the fraction of its box on the body, plus 10 x the fraction on
    `keep_clear` (the highlighted muscles); 0 means outside the body.
    """
    to_data = ax.transAxes + ax.transData.inverted()
    step_x = w + 0.02
    out = []
    for k in range(6):
        tx = (0.012 + w / 2 + k * step_x) if screen_left else (0.988 - w / 2 - k * step_x)
        if (tx + w / 2 > 0.5) if screen_left else (tx - w / 2 < 0.5):
            break
        for ty in np.arange(0.985 - h / 2, h / 2, -h * 1.15):
            x0, x1, y0, y1 = tx - w / 2, tx + w / 2, ty - h / 2, ty + h / 2
            if any(x0 < bx1 and x1 > bx0 and y0 < by1 and y1 > by0
                   for bx0, bx1, by0, by1 in blocked):
                continue
            gx, gy = np.meshgrid(np.linspace(x0, x1, 9), np.linspace(y0, y1, 4))
            pts = to_data.transform(np.c_[gx.ravel(), gy.ravel()])
            i = np.clip(np.round(pts[:, 0]).astype(int), 0, body.shape[0] - 1)
            j = np.clip(np.round(pts[:, 1]).astype(int), 0, body.shape[1] - 1)
            inside = ((pts[:, 0] >= -0.5) & (pts[:, 0] <= body.shape[0] - 0.5)
                      & (pts[:, 1] >= -0.5) & (pts[:, 1] <= body.shape[1] - 0.5))
            score = float(np.mean(body[i, j] & inside))
            if keep_clear is not None:
                score += 10.0 * float(np.mean(keep_clear[i, j] & inside))
            out.append((float(tx), float(ty), score))
    return out


def _assign(targets: Sequence[tuple[float, float]], slots: Sequence[tuple[float, float]],
            aspect: float = 1.0) -> list[tuple[float, float]]:
    """One slot per target with the least total arrow length (so arrows do not cross).

    Examples
    --------
    >>> _assign([(0.8, 0.9), (0.8, 0.2)], [(0.9, 0.95), (0.9, 0.5), (0.9, 0.1)])
    [(0.9, 0.95), (0.9, 0.1)]
    """
    from scipy.optimize import linear_sum_assignment

    t = np.asarray(targets, float).reshape(-1, 2)
    sl = np.asarray(slots, float).reshape(-1, 2)
    d = np.hypot((t[:, None, 0] - sl[None, :, 0]) * aspect, t[:, None, 1] - sl[None, :, 1])
    rows, cols = linear_sum_assignment(d)
    chosen = dict(zip(rows.tolist(), cols.tolist(), strict=True))
    return [tuple(map(float, sl[chosen[n]])) for n in range(len(t))]


def _annotate(ax, lab2d: np.ndarray, table: Mapping[int, str], names: list[str], *,
              image2d: np.ndarray | None = None,
              voxel_size_mm: Sequence[float] | None = None,
              scale_bar: str | None = "right") -> None:
    """Arrow from a label outside the body (on the muscle's screen side) into each muscle.

    The arrow tip is the muscle's most interior pixel in this slice (:func:`_inner_point`),
    so it never ends on a border or on a neighbour. Labels sit in a column at the screen
    edge of their side, in heights whose boxes miss the body (from `image2d`, else the
    labels), spaced at least one text height apart and kept clear of the orientation
    letters and the scale bar; only when the body leaves no room do they fall back to the
    edge column anyway.
    """
    if not names:
        return
    import matplotlib as mpl

    inverted = ax.xaxis_inverted()
    center_x = lab2d.shape[0] / 2
    to_axes = ax.transData + ax.transAxes.inverted()
    groups: dict[str, list[tuple[float, float, float, str]]] = {"left": [], "right": []}
    for name in names:
        values = [v for v, n in table.items() if n == name]
        mask = np.isin(lab2d, values) if values else np.zeros(lab2d.shape, bool)
        if not mask.any():
            continue
        cx, cy = _inner_point(mask, voxel_size_mm)
        on_screen_left = (cx > center_x) if inverted else (cx < center_x)
        fy = float(to_axes.transform((cx, cy))[1])
        groups["left" if on_screen_left else "right"].append((fy, cx, cy, name))
    body = _body_mask(image2d, lab2d)
    keep_clear = np.isin(lab2d, [v for v, n in table.items() if n in set(names)])
    bbox = ax.get_window_extent()
    width_pt = max(bbox.width * 72 / ax.figure.dpi, 1.0)
    height_pt = max(bbox.height * 72 / ax.figure.dpi, 1.0)
    fs = float(mpl.rcParams["font.size"])
    h = min(1.35 * fs / height_pt, 0.2)
    marker = (0.4, 0.6)  # the R/L letters at mid-height
    for edge, items in groups.items():
        if not items:
            continue
        items.sort(reverse=True)  # top of the screen first
        longest = max(len(_short_name(n)) for *_, n in items)
        w = min(0.62 * fs * (longest + 1) / width_pt, 0.3)
        blocked = [(0.0, 1.0, *marker), (0.42, 0.58, 0.86, 1.0),  # R/L and A/P letters
                   (0.42, 0.58, 0.0, 0.14)]
        if edge == scale_bar:  # the scale bar and its text in that bottom corner
            blocked.append((0.6, 1.0, 0.0, 0.2) if edge == "right" else (0.0, 0.4, 0.0, 0.2))
        cands = _label_slots(ax, body, edge == "left", w, h, blocked, keep_clear)
        free = [(x, y) for x, y, score in cands if score == 0]
        if len(free) >= len(items):
            slots = free
        else:  # no room outside the body: the least covering slots, never a lesion first
            cands.sort(key=lambda c: (c[2], -abs(c[0] - 0.5)))
            slots = [(x, y) for x, y, _ in cands[:len(items)]]
        if len(slots) < len(items):  # pragma: no cover - a tiny axes: evenly at the edge
            tx = (0.012 + w / 2) if edge == "left" else (0.988 - w / 2)
            slots = [(tx, float(y)) for y in np.linspace(0.985 - h / 2, 0.2 + h / 2,
                                                         len(items))]
        targets = [tuple(to_axes.transform((cx, cy))) for _, cx, cy, _ in items]
        placed = _assign(targets, slots, aspect=width_pt / height_pt)
        for (_, cx, cy, name), (tx, ty) in zip(items, placed, strict=True):
            ann = ax.annotate(_short_name(name), xy=(cx, cy), xycoords="data",
                              xytext=(tx, ty), textcoords="axes fraction",
                              ha="center", va="center", color="white", fontweight="bold",
                              path_effects=_outlined(),
                              arrowprops={"arrowstyle": "-|>", "color": "white", "lw": 2,
                                          "shrinkA": 2, "shrinkB": 0,
                                          "path_effects": _outlined()})
            ann.set_gid(f"highlight-{name}")


# --- (b) SIR chart ---------------------------------------------------------------------------

#: Teaching-default thresholds (domain.md 1.4), used when no rule set is given and
#: :mod:`mri_teach.staging` is not importable.
_DEFAULT_THRESHOLDS = {"stir_abnormal": 1.15, "t1_mild": 1.10, "t1_marked": 1.35,
                       "atrophy": 0.85}


def _thresholds(rules: Any = None) -> dict[str, float]:
    if rules is None:
        try:
            from mri_teach import staging

            rules = getattr(staging, "DEFAULT_RULES", None)
        except ImportError:
            rules = None
    out = dict(_DEFAULT_THRESHOLDS)
    if rules is None:
        return out
    src = rules if isinstance(rules, Mapping) else {
        k: getattr(rules, k) for k in dir(rules) if not k.startswith("_")}
    aliases = {
        "stir_abnormal": ("stir_abnormal", "stir_sir_min", "stir_min", "stir_threshold"),
        "t1_mild": ("t1_mild", "t1_mild_min", "t1_sir_mild", "t1_fat_mild"),
        "t1_marked": ("t1_marked", "t1_marked_min", "t1_sir_marked", "t1_fat_marked"),
        "atrophy": ("atrophy", "atrophy_max", "volume_ratio_max", "atrophy_ratio"),
    }
    for key, names in aliases.items():
        for n in names:
            value = src.get(n)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                out[key] = float(value)
                break
    return out


def _analysis_dict(analysis: Any) -> dict:
    if hasattr(analysis, "to_dict"):
        analysis = analysis.to_dict()
    if not isinstance(analysis, Mapping) or "muscles" not in analysis:
        msg = ("`analysis` must be an Analysis or its to_dict() form with a 'muscles' list "
               "(see `mri-teach analyze --json`).")
        raise InputError(msg)
    return dict(analysis)


def _finite(x: Any) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return math.nan
    return v


def _muscle_rows(muscles: list[Mapping], include: Iterable[str] | None) -> list[str]:
    present = []
    for m in muscles:
        if not any(math.isfinite(_finite(m.get(k))) for k in ("t1_sir", "stir_sir")):
            continue
        structure = m.get("muscle") or anatomy.parse_name(m["name"])[0]
        if structure not in present:
            present.append(structure)
    if include is not None:
        keep = set(include)
        present = [s for s in present if s in keep]
    order = {s: i for i, s in enumerate(MUSCLE_COLORS)}
    return sorted(present, key=lambda s: order.get(s, len(order)))


def _dot_outline():
    from matplotlib import patheffects

    return [patheffects.Stroke(linewidth=5, foreground="0.15"), patheffects.Normal()]


def _stage_text(by_key: Mapping, structure: str) -> str:
    parts = []
    for side in ("right", "left"):
        m = by_key.get((structure, side))
        stage = (m or {}).get("stage")
        if stage and stage != "normal":
            parts.append(f"{side[0].upper()} {stage}")
    return ", ".join(parts) if parts else "normal"


def plot_sir_chart(analysis: Any, *, rules: Any = None, muscles: Iterable[str] | None = None,
                   title: str | None = None, slide: bool = True, fig=None):
    """Per-muscle T1 and STIR signal-intensity ratios by side, with bands and thresholds.

    Each row is a muscle; a filled dot is the patient's right muscle, an open dot the left.
    The grey band is the normal range (the reciprocal of the threshold up to the
    threshold, since contralateral ratios are reciprocal); dashed lines are the staging
    thresholds of the rule set (teaching defaults, domain.md 1.4).

    Parameters
    ----------
    analysis : Analysis or dict
        ``staging.analyze(...)`` result or its ``to_dict()`` (``analyze --json``) form.
    rules : RuleSet or mapping, optional
        Thresholds (default ``staging.DEFAULT_RULES``).
    muscles : iterable of str, optional
        Structures to show (default all in the analysis).
    slide : bool, default True
    fig : matplotlib Figure, optional

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.axes[0]`` T1 ratios, ``fig.axes[1]`` STIR ratios.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> rows = [{"name": "gluteus_medius_right", "t1_sir": 1.12, "stir_sir": 1.35,
    ...          "stage": "subacute"},
    ...         {"name": "gluteus_medius_left", "t1_sir": 0.89, "stir_sir": 0.74,
    ...          "stage": "normal"}]
    >>> fig = plot_sir_chart({"muscles": rows}, rules={"stir_abnormal": 1.2})
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['gluteus medius']
    >>> plt.close(fig)
    """
    result = _analysis_dict(analysis)
    entries = list(result["muscles"])
    th = _thresholds(rules)
    rows = _muscle_rows(entries, muscles)
    if not rows:
        msg = "`analysis` has no muscles to chart (check `muscles=`)."
        raise InputError(msg)
    by_key = {}
    for m in entries:
        structure = m.get("muscle") or anatomy.parse_name(m["name"])[0]
        side = m.get("side") or anatomy.parse_name(m["name"])[1]
        by_key[(structure, side)] = m
    with _style(slide):
        fig = _new_figure(fig, slide)
        axes = fig.subplots(1, 2, sharey=True)
        y = np.arange(len(rows))[::-1]
        specs = (
            (axes[0], "t1_sir", "T1 ratio", [(th["t1_mild"], "mild fat"),
                                             (th["t1_marked"], "marked fat")], th["t1_mild"]),
            (axes[1], "stir_sir", "STIR ratio", [(th["stir_abnormal"], "edema")],
             th["stir_abnormal"]),
        )
        all_values = []
        for ax, key, label, lines, band_hi in specs:
            ax.axvspan(1.0 / band_hi, band_hi, color="0.88", zorder=0, label="normal band")
            ax.axvline(1.0, color="0.5", lw=1.5, zorder=1)
            for value, _ in lines:
                ax.axvline(value, color="0.2", ls="--", lw=2, zorder=1)
                ax.text(value, 1.0, f"{value:g}", transform=ax.get_xaxis_transform(),
                        ha="center", va="bottom", gid=f"threshold-{key}-{value:g}")
            for yi, structure in zip(y, rows, strict=False):
                color = MUSCLE_COLORS.get(structure, OTHER_COLOR)
                for side, face, dy in (("right", color, 0.14), ("left", "white", -0.14)):
                    m = by_key.get((structure, side))
                    if m is None:
                        continue
                    v = _finite(m.get(key))
                    if not math.isfinite(v):
                        continue
                    all_values.append(v)
                    ax.plot([v], [yi + dy], "o", ms=13, mfc=face, mec=color, mew=3,
                            zorder=3, gid=f"{key}-{structure}-{side}",
                            path_effects=_dot_outline())
            ax.set_xlabel(label + "\n(dashed: " + ", ".join(f"{t} {v:g}" for v, t in lines)
                          + ")")
            ax.grid(axis="x", color="0.8", lw=0.8)
        lo = min([0.8, *[v for v in all_values if v > 0]]) - 0.05
        hi = max([1.5, *all_values]) + 0.1
        for ax in axes:
            ax.set_xlim(max(lo, 0.0), hi)
        def row_label(s: str) -> str:  # full names when they fit, else abbreviations
            m = anatomy.MUSCLES.get(s)
            if m is None:
                return s
            return m.display if len(rows) <= 6 else m.abbrev

        axes[0].set_yticks(y, [row_label(s) for s in rows])
        axes[0].set_ylim(-0.7, len(rows) - 0.3)
        stage_ax = axes[1].twinx()
        stage_ax.set_ylim(axes[0].get_ylim())
        stage_ax.set_yticks(y, [_stage_text(by_key, s) for s in rows])
        stage_ax.tick_params(axis="y", length=0)
        stage_ax.spines["right"].set_visible(False)
        stage_ax.set_gid("stage-labels")
        from matplotlib.lines import Line2D

        handles = [
            Line2D([0], [0], marker="o", ls="", ms=13, mfc="0.3", mec="0.3", mew=3,
                   label="right"),
            Line2D([0], [0], marker="o", ls="", ms=13, mfc="white", mec="0.3", mew=3,
                   label="left"),
        ]
        from matplotlib.patches import Patch

        handles.append(Patch(color="0.88", label="normal band"))
        fig.legend(handles=handles, loc="outside lower center", ncol=3, frameon=False)
        pattern = result.get("pattern") or {}
        default_title = "Signal-intensity ratios (muscle / reference)"
        if pattern.get("nerve") and pattern.get("nerve") != "none":
            nerve = anatomy.CAUSE_INFO.get(pattern["nerve"])
            nerve_text = nerve.display if nerve else str(pattern["nerve"])
            default_title = f"{pattern.get('side', '')} {nerve_text}: {pattern.get('stage', '')}"
            default_title = default_title.strip()
        fig.suptitle(title or default_title)
    return fig


# --- (e) innervation -------------------------------------------------------------------------

#: Schematic nerve tree of the diagram: (nerve key, text, exit relative to piriformis, muscles).
#: Courses from domain.md 3.2 (superior gluteal nerve above piriformis) and 3.3 (inferior
#: gluteal and sciatic nerves below it); femoral/obturator from domain.md 3.1.
_NERVE_TREE = (
    ("superior_gluteal", "superior gluteal n.", "above piriformis",
     ("gluteus_medius", "gluteus_minimus", "tensor_fasciae_latae")),
    ("inferior_gluteal", "inferior gluteal n.", "below piriformis", ("gluteus_maximus",)),
    ("sciatic", "sciatic n.", "below piriformis", ("hamstrings",)),
    ("femoral", "femoral n.", "lumbar plexus", ("iliacus", "sartorius", "rectus_femoris")),
    ("obturator", "obturator n.", "lumbar plexus", ("adductors", "obturator_externus")),
)


def _territory(nerve: str) -> frozenset[str]:
    check_choice(nerve, anatomy.CAUSES, name="nerve")
    return anatomy.LESION_MUSCLES[nerve]


def plot_innervation(nerve: str = "superior_gluteal", side: str = "right", *,
                     labels: Any = None, table: Mapping[int, str] | None = None,
                     background: Any = None, index: int | None = None,
                     window: Window | None = None, neurological: bool = False,
                     slide: bool = True, fig=None):
    """Schematic of the candidate nerve and its muscles, optionally beside a shaded slice.

    The diagram shows the sacral plexus leaving through the greater sciatic foramen: the
    superior gluteal nerve above piriformis to gluteus medius, gluteus minimus and TFL
    (domain.md 3.2), the inferior gluteal and sciatic nerves below it (domain.md 3.3), and
    the femoral and obturator nerves of the lumbar plexus. The territory of `nerve`
    (``anatomy.LESION_MUSCLES``) is drawn in the palette colours; everything else is grey.

    Parameters
    ----------
    nerve : str, default 'superior_gluteal'
        A cause from ``anatomy.CAUSES``.
    side : {'left', 'right'}, default 'right'
    labels, table : optional
        A label map (RAS) to show an axial slice with the territory of `side` shaded.
    background : ndarray or Volume, optional
        Image under the shaded slice (e.g. the T1).
    index : int, optional
        Axial slice (default: most Gmed/Gmin/TFL voxels).
    window : Window, optional
        Window of `background`.
    slide : bool, default True
    fig : matplotlib Figure, optional

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.axes[0]`` is the diagram.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = plot_innervation("inferior_gluteal", "left")
    >>> fig.axes[0].get_title(loc="left")
    'left inferior gluteal nerve'
    >>> plt.close(fig)
    """
    territory = _territory(nerve)
    check_choice(side, anatomy.SIDES, name="side")
    info = anatomy.CAUSE_INFO[nerve]
    with _style(slide):
        fig = _new_figure(fig, slide)
        if labels is not None:
            ax, ax_img = fig.subplots(1, 2, width_ratios=[1.5, 1])
        else:
            ax, ax_img = fig.subplots(1, 1), None
        _draw_nerve_tree(ax, nerve, territory)
        ax.set_title(f"{side} {info.display}", loc="left")
        if ax_img is not None:
            _territory_slice(ax_img, labels, table, background, index, window, territory,
                             side, neurological)
    return fig


def _text_on(face: str) -> str:
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(face)
    return "white" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.35 else "0.1"


def _draw_nerve_tree(ax, nerve: str, territory: frozenset[str]) -> None:
    from matplotlib.patches import FancyBboxPatch

    grey, dark = "0.72", "0.1"
    step, gap, top = 0.95, 0.5, 11.6
    ax.set_xlim(0, 12)
    ax.set_axis_off()
    ax.set_gid("innervation-diagram")

    def box(x, y, w, h, text, face, edge, gid, bold=False):
        ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.04,rounding_size=0.15",
                                    facecolor=face, edgecolor=edge, linewidth=2.5, gid=gid))
        ax.text(x + w / 2, y + h / 2, text, ha="center", va="center",
                color=_text_on(face), fontweight="bold" if bold else "normal")

    # vertical slots: one per muscle, groups at least two slots tall
    y = top
    centres: dict[str, tuple[float, list[float]]] = {}
    for key, _, _, muscles in _NERVE_TREE:
        n = max(len(muscles), 2)
        slots = [y - step * i for i in range(n)]
        centre = float(np.mean(slots))
        ys = slots if len(muscles) == n else [centre]
        centres[key] = (centre, ys)
        y = slots[-1] - step - gap
        if key == "superior_gluteal":
            pir_y = y + step / 2  # piriformis sits between the nerves above and below it
            y -= step
    ax.set_ylim(y + step / 2, top + step)
    sacral_hot = nerve in ("sacral_plexus", "l5_root", "s1_root")
    sac_c = float(np.mean([centres[k][0] for k in ("superior_gluteal", "sciatic")]))
    box(0.05, sac_c - 1.0, 2.3, 2.0, "sacral\nplexus\nL4-S3", "#FFF3C4" if sacral_hot else "white",
        dark if sacral_hot else grey, "box-sacral-plexus", bold=sacral_hot)
    lum_c = float(np.mean([centres[k][0] for k in ("femoral", "obturator")]))
    box(0.05, lum_c - 1.0, 2.3, 2.0, "lumbar\nplexus\nL2-L4", "white", grey, "box-lumbar-plexus")
    pir_hot = "piriformis" in territory
    box(3.4, pir_y - 0.42, 2.5, 0.84, "piriformis",
        MUSCLE_COLORS["piriformis"] if pir_hot else "0.92", dark, "box-piriformis", bold=pir_hot)
    for key, text, exit_text, muscles in _NERVE_TREE:
        hot = bool(territory & set(muscles))
        color = dark if hot else grey
        lw = 5 if hot else 2.5
        yc, ys = centres[key]
        start = lum_c if key in ("femoral", "obturator") else sac_c
        ax.plot([2.35, 2.55, 5.5, 8.9], [start, yc, yc, yc], color=color, lw=lw,
                solid_capstyle="round", solid_joinstyle="round", gid=f"nerve-{key}",
                zorder=3 if hot else 2)
        ax.text(2.9, yc + 0.1, text, ha="left", va="bottom", color=color,
                fontweight="bold" if hot else "normal")
        ax.text(2.9, yc - 0.1, exit_text, ha="left", va="top", color=color)
        for ym, m in zip(ys, muscles, strict=False):
            m_hot = m in territory
            ax.plot([8.9, 9.3], [yc, ym], color=color, lw=lw)
            box(9.3, ym - 0.4, 2.6, 0.8, anatomy.MUSCLES[m].abbrev,
                MUSCLE_COLORS[m] if m_hot else "white", dark if m_hot else grey,
                f"box-{m}", bold=m_hot)
    if "multifidus" in territory:
        box(0.05, top - 0.2, 2.3, 1.0, "multifidus", MUSCLE_COLORS["multifidus"], dark,
            "box-multifidus", bold=True)


def _territory_slice(ax, labels, table, background, index, window, territory, side,
                     neurological) -> None:
    from matplotlib.colors import to_rgba

    labd, table = _labels_and_table(labels, table)
    if index is None:
        index = best_index(labd, table, "axial")
    if background is not None:
        bg, vox = _image_and_size(background, None)
    else:
        bg, vox = (labd > 0).astype(np.float32), None
    if window is None:
        window = window_from_percentiles(bg)
    show_plane(ax, bg, "axial", index, window, neurological=neurological, voxel_size_mm=vox)
    xlim, ylim = ax.get_xlim(), ax.get_ylim()
    lab2d = orientation.plane_slice(labd, "axial", index)
    hot = [anatomy.label_name(m, side) for m in territory]
    for value, name in table.items():
        if name not in hot:
            continue
        mask = (lab2d == value).T
        if not mask.any():
            continue
        rgba = np.zeros((*mask.shape, 4))
        rgba[mask] = to_rgba(muscle_color(name), 0.75)
        ax.imshow(rgba, origin="lower", interpolation="nearest", aspect=ax.get_aspect(),
                  extent=ax.images[0].get_extent())
    ax.set_xlim(xlim)  # imshow resets the limits: keep the radiological inversion
    ax.set_ylim(ylim)
    draw_label_outlines(ax, lab2d, table, linewidth=1.2)
    ax.set_title(f"territory, {side} side")


# --- (f) montage -----------------------------------------------------------------------------


def plot_montage(volume: Any, plane: str, indices: Sequence[int], window: Window | None = None,
                 labels: Any = None, table: Mapping[int, str] | None = None, *,
                 ncols: int | None = None, neurological: bool = False,
                 voxel_size_mm: Sequence[float] | None = None, title: str | None = None,
                 slide: bool = True, fig=None):
    """Several slices of one volume with one locked window (and optional outlines).

    Parameters
    ----------
    volume : ndarray of shape (I, J, K) or Volume
    plane : {'axial', 'coronal', 'sagittal'}
    indices : sequence of int
        Slice indices, shown in this order.
    window : Window, optional
        Default: 1st-99th percentile of the whole volume (the same for every panel).
    labels, table : optional
        Label map on the same grid; outlines in the palette.
    ncols : int, optional
    slide : bool, default True

    Returns
    -------
    matplotlib.figure.Figure
    """
    plane = _check_plane(plane)
    data, vox = _image_and_size(volume, voxel_size_mm)
    indices = [int(i) for i in indices]
    if not indices:
        msg = "`indices` is empty; give at least one slice index."
        raise InputError(msg)
    if window is None:
        window = window_from_percentiles(data)
    labd = None
    if labels is not None:
        labd, table = _labels_and_table(labels, table)
    if ncols is None:  # the grid that makes each panel largest on a 16:9 slide
        _, xa, ya = orientation.plane_axes(plane)
        w_mm = data.shape[xa] * (vox[xa] if vox else 1.0)
        h_mm = data.shape[ya] * (vox[ya] if vox else 1.0)
        n = len(indices)
        ncols = max(range(1, n + 1), key=lambda c: min(
            SLIDE_SIZE_IN[0] / c / w_mm, (SLIDE_SIZE_IN[1] - 1.0) / math.ceil(n / c) / h_mm))
    nrows = math.ceil(len(indices) / ncols)
    with _style(slide):
        fig = _new_figure(fig, slide)
        axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
        for ax, k in zip(axes, indices, strict=False):
            show_plane(ax, data, plane, k, window, neurological=neurological,
                       voxel_size_mm=vox)
            if labd is not None:
                draw_label_outlines(ax, orientation.plane_slice(labd, plane, k), table)
            ax.set_title(f"{plane} {k}")
        for ax in axes[len(indices):]:
            ax.set_axis_off()
        if title:
            fig.suptitle(title)
    return fig


# --- (c) timeline ------------------------------------------------------------------------------

_STAGE_BAND_COLORS = {"too_early": "#F2F2F2", "acute": "#FCE3C4", "subacute": "#FFF1B3",
                      "chronic": "#DCE6F2"}
_STAGE_TEXT = {"too_early": "too\nearly", "acute": "acute", "subacute": "subacute",
               "chronic": "chronic"}


def expected_course(days: Any, *, field_t: float = 1.5, reinnervation_day: float | None = None,
                    params: Any = None, ff0: float | None = None) -> dict[str, np.ndarray]:
    """Noise-free T1 ratio, STIR ratio and volume ratio of a denervated muscle over time.

    Uses the physics time course (:func:`mri_teach.physics.denervation_state`) and the
    default T1-weighted and STIR sequences (:mod:`mri_teach.physics`), each ratio being the
    denervated muscle's signal over a normal muscle's. This is what the phantom simulates
    before noise and partial volume.

    Returns
    -------
    dict
        ``days``, ``t1_ratio``, ``stir_ratio``, ``volume_ratio`` (ndarrays).

    Examples
    --------
    >>> c = expected_course([0, 90, 540])
    >>> [round(float(v), 2) for v in c["stir_ratio"]][:1]
    [1.0]
    >>> bool(c["stir_ratio"][1] > 1.15 and c["volume_ratio"][2] < 0.85)
    True
    """
    from mri_teach import physics

    course = physics.DEFAULT_COURSE if params is None else params
    muscle = physics.TISSUES[float(field_t)]["muscle"]
    base_ff = muscle.ff if ff0 is None else float(ff0)
    t1w = physics.T1W_DEFAULT
    stir = physics.stir_sequence(field_t)
    days = np.atleast_1d(np.asarray(days, dtype=float))
    ref_t1 = physics.mixture_signal(muscle.pd, muscle.t1_ms, muscle.t2_ms, base_ff, t1w,
                                    field_t=field_t)
    ref_stir = physics.mixture_signal(muscle.pd, muscle.t1_ms, muscle.t2_ms, base_ff, stir,
                                      field_t=field_t)
    out = {k: np.empty_like(days) for k in ("t1_ratio", "stir_ratio", "volume_ratio")}
    for n, d in enumerate(days):
        s = physics.denervation_state(d, reinnervation_day=reinnervation_day, params=course,
                                      ff0=base_ff)
        t1 = muscle.t1_ms * s.t1_factor
        t2 = muscle.t2_ms + s.dt2_ms
        out["t1_ratio"][n] = physics.mixture_signal(muscle.pd, t1, t2, s.ff, t1w,
                                                    field_t=field_t) / ref_t1
        out["stir_ratio"][n] = physics.mixture_signal(muscle.pd, t1, t2, s.ff, stir,
                                                      field_t=field_t) / ref_stir
        out["volume_ratio"][n] = s.volume_factor
    out["days"] = days
    return out


def _stage_bands(max_days: float):
    from mri_teach import physics

    cuts = physics.DEFAULT_STAGE_CUTS
    edges = [0.0, cuts.too_early_below, cuts.acute_below, cuts.subacute_below, max_days]
    names = ("too_early", "acute", "subacute", "chronic")
    return list(zip(names, edges[:-1], edges[1:], strict=True))


def plot_timeline(*, measured: Mapping[str, Any] | None = None, days: float | None = None,
                  reinnervation_day: float | None = None, field_t: float = 1.5,
                  params: Any = None, rules: Any = None, max_days: float = 720,
                  title: str | None = None, slide: bool = True, fig=None):
    """Expected STIR ratio, T1 ratio and volume against days since injury, with stage bands.

    The curves are the noise-free time course of the phantom (:func:`expected_course`); the
    shaded bands are the time stages of domain.md 1.4 (too early < 14 d, acute 14-30 d,
    subacute 1-6 months, chronic > 6 months, teaching defaults); dashed lines are the
    staging thresholds. The x axis has a square-root scale so the short acute phase stays
    readable.

    Parameters
    ----------
    measured : mapping, optional
        The case's values: any of ``stir_ratio``, ``t1_ratio``, ``volume_ratio``.
        Plotted at `days`, or as a horizontal line when the time is unknown.
    days : float, optional
        Days since injury of the case (e.g. ``truth['days']`` of a phantom case).
    reinnervation_day : float, optional
        Also draw the course with reinnervation from this day.
    field_t : float, default 1.5
    params : physics.DenervationCourse, optional
    rules : RuleSet or mapping, optional
        Thresholds (default ``staging.DEFAULT_RULES``).
    max_days : float, default 720
    slide : bool, default True

    Returns
    -------
    matplotlib.figure.Figure
        Axes: STIR ratio, T1 ratio, volume ratio (top to bottom).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = plot_timeline(measured={"stir_ratio": 1.3}, days=90)
    >>> [ax.get_ylabel() for ax in fig.axes[:3]]
    ['STIR ratio', 'T1 ratio', 'volume ratio']
    >>> plt.close(fig)
    """
    max_days = float(max_days)
    if not max_days > 30:
        msg = f"`max_days` must be > 30; got {max_days!r}."
        raise InputError(msg)
    grid = np.unique(np.concatenate([np.linspace(0, max_days, 400),
                                     np.arange(0, min(max_days, 60), 0.5)]))
    base = expected_course(grid, field_t=field_t, params=params)
    reinn = (expected_course(grid, field_t=field_t, params=params,
                             reinnervation_day=reinnervation_day)
             if reinnervation_day is not None else None)
    th = _thresholds(rules)
    measured = dict(measured or {})
    rows = (("stir_ratio", "STIR ratio", [(th["stir_abnormal"], "edema")]),
            ("t1_ratio", "T1 ratio", [(th["t1_mild"], "mild fat"), (th["t1_marked"], "marked")]),
            ("volume_ratio", "volume ratio", [(th["atrophy"], "atrophy")]))
    with _style(slide):
        fig = _new_figure(fig, slide)
        axes = fig.subplots(3, 1, sharex=True)
        for ax, (key, label, lines) in zip(axes, rows, strict=False):
            ax.set_xscale("function", functions=(_sqrt_forward, _sqrt_inverse))
            for stage, a, b in _stage_bands(max_days):
                ax.axvspan(a, b, color=_STAGE_BAND_COLORS[stage], zorder=0, lw=0,
                           gid=f"band-{stage}")
            ax.plot(grid, base[key], color="#0072B2", lw=3.5, label="denervated",
                    gid=f"curve-{key}")
            if reinn is not None:
                ax.plot(grid, reinn[key], color="#009E73", lw=3, ls="-.",
                        label=f"reinnervation from day {reinnervation_day:g}",
                        gid=f"curve-reinnervation-{key}")
            ax.axhline(1.0, color="0.5", lw=1.2)
            for value, text in lines:
                ax.axhline(value, color="0.25", ls="--", lw=1.8)
                ax.text(max_days, value, f"{text} ", ha="right", va="bottom", color="0.25")
            v = _finite(measured.get(key))
            if math.isfinite(v):
                if days is not None:
                    ax.plot([float(days)], [v], marker="*", ms=26, color="#D55E00",
                            mec="black", mew=1.5, ls="", zorder=5, label="this case",
                            gid=f"measured-{key}")
                else:
                    ax.axhline(v, color="#D55E00", lw=3, ls=":", label="this case",
                               gid=f"measured-{key}")
            ax.set_ylabel(label)
            curves = [base[key]] + ([reinn[key]] if reinn is not None else [])
            lo = min(*(float(np.min(c)) for c in curves), v if math.isfinite(v) else 9,
                     *(t for t, _ in lines), 1.0)
            hi = max(*(float(np.max(c)) for c in curves), v if math.isfinite(v) else 0,
                     *(t for t, _ in lines), 1.0)
            pad = 0.12 * (hi - lo + 0.1)
            ax.set_ylim(lo - pad, hi + pad)
        top = axes[0]
        for stage, a, b in _stage_bands(max_days):
            mid = _sqrt_inverse((_sqrt_forward(a) + _sqrt_forward(b)) / 2)
            top.text(mid, 1.02, _STAGE_TEXT[stage].replace("\n", " ") if stage != "too_early"
                     else "early", transform=top.get_xaxis_transform(), ha="center",
                     va="bottom", rotation=0, gid=f"band-label-{stage}")
        ticks = [t for t in (0, 14, 30, 90, 180, 365, 540, 720) if t <= max_days]
        axes[-1].set_xticks(ticks, [str(t) for t in ticks])
        axes[-1].set_xlim(0, max_days)
        axes[-1].set_xlabel("days since injury (square-root scale)")
        handles, labels_ = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels_, loc="outside lower center", ncol=len(handles),
                   frameon=False)
        fig.suptitle(title or "Expected denervation time course (phantom, noise-free)")
    return fig


def _sqrt_forward(x):
    return np.sqrt(np.clip(x, 0, None))


def _sqrt_inverse(x):
    return np.square(x)


# --- (d) stage gallery -------------------------------------------------------------------------

#: Days of the four gallery columns: normal, acute (~3 weeks), subacute (~3 months), chronic
#: (~18 months); time stages of domain.md 1.4.
GALLERY_DAYS = (0.0, 21.0, 90.0, 540.0)


def _stir_on_t1_grid(case: Any) -> np.ndarray:
    stir = np.asarray(case.stir)
    t1 = np.asarray(case.t1)
    stir_affine = getattr(case, "stir_affine", None)
    if stir.shape == t1.shape and (stir_affine is None or
                                   np.allclose(stir_affine, case.affine)):
        return stir
    resample = getattr(orientation, "resample_to_grid", None)
    if resample is None:  # pragma: no cover - orientation always has it after issue 2
        msg = "the STIR is on its own grid and orientation.resample_to_grid is unavailable."
        raise InputError(msg)
    out = resample(stir, stir_affine, t1.shape, case.affine, order=1, cval=0.0)
    return np.nan_to_num(np.asarray(out, dtype=np.float32))


def make_gallery_cases(*, cause: str = "superior_gluteal", side: str = "right",
                       days: Sequence[float] = GALLERY_DAYS, preset: str = "fast",
                       rng: int = 0, **kwargs: Any) -> list:
    """Phantom cases of one individual (one seed) at each of `days` (day 0: no lesion)."""
    from mri_teach import phantom

    cases = []
    for d in days:
        c = "none" if float(d) <= 0 else cause
        cases.append(phantom.make_case(cause=c, side=side, days=float(d), preset=preset,
                                       rng=rng, **kwargs))
    return cases


def _column_title(case: Any, d: float) -> str:
    if float(d) <= 0:
        return "normal"
    truth = getattr(case, "truth", None) or {}
    truth = truth.get("truth", truth) if isinstance(truth.get("truth"), dict) else truth
    stage = truth.get("time_stage")
    if stage is None:
        from mri_teach import physics

        stage = physics.time_stage(d)
    return f"{str(stage).replace('_', ' ')}\n{_days_text(d)}"


def _days_text(d: float) -> str:
    d = float(d)
    if d < 60:
        return f"{d:g} days"
    return f"{d / 30.4375:.0f} months"


def _gallery_from_phantom(days, *, cause, side, preset, rng, plane, index, field_t=1.5):
    """Same-level slices at each time point from the cached phantom anatomy (one seed).

    Uses ``phantom.build_anatomy`` once and ``phantom.simulate_slice`` per time point (a few
    milliseconds each), then adds Rician noise at the phantom's default SNR of normal muscle
    (``phantom.SNR_T1_DEFAULT`` / ``SNR_STIR_DEFAULT``; domain.md 4.4).
    """
    from mri_teach import phantom, physics

    anat = phantom.build_anatomy(preset, seed=int(rng))
    table = {int(k): str(v) for k, v in anat.label_table.items()}
    labels = np.asarray(anat.labels)
    if index is None:
        index = best_index(labels, table, plane)
    lab2d = orientation.plane_slice(labels, plane, index)
    gen = np.random.default_rng([int(rng), 606])
    cols = []
    for d in days:
        c = "none" if float(d) <= 0 else cause
        t1, stir = phantom.simulate_slice(anat, index=int(index), plane=plane, cause=c,
                                          side=side, days=float(d), field_t=field_t)
        cols.append([np.asarray(t1, np.float64), np.asarray(stir, np.float64)])
    muscle = np.isin(lab2d, _values_of(table, anatomy.MUSCLE_NAMES))
    snr = (getattr(phantom, "SNR_T1_DEFAULT", 28.0), getattr(phantom, "SNR_STIR_DEFAULT", 14.0))
    for seq in (0, 1):
        ref = float(np.median(cols[0][seq][muscle])) if muscle.any() else 1.0
        for col in cols:
            col[seq] = physics.add_rician_noise(col[seq], ref / snr[seq], gen)
    titles = [_column_title(None, d) for d in days]
    vox = tuple(float(v) for v in anat.voxel_mm)
    return cols, lab2d, table, index, vox, titles


def plot_stage_gallery(cases: Sequence[Any] | None = None, *,
                       days: Sequence[float] = GALLERY_DAYS,
                       cause: str = "superior_gluteal", side: str = "right",
                       preset: str = "fast", rng: int = 0, plane: str = "axial",
                       index: int | None = None, neurological: bool = False,
                       outlines: bool = True, title: str | None = None, slide: bool = True,
                       fig=None):
    """The same level at normal, acute, subacute and chronic: T1 row and STIR row.

    Windows are locked per sequence across the columns: one T1 window and one STIR window
    computed from all four columns together (the whole series shown), so the brightening
    and the fat between columns are real and never rescaled per image.

    Parameters
    ----------
    cases : sequence of phantom Case, optional
        Already simulated cases of one anatomy (e.g. ``make_gallery_cases()``); the window
        then comes from the four whole volumes. Default: the same level re-simulated from
        the cached phantom anatomy with ``phantom.simulate_slice`` (fast).
    days : sequence of float, default (0, 21, 90, 540)
        Day 0 is shown without a lesion.
    cause, side, preset, rng : passed to the phantom
    plane : str, default 'axial'
    index : int, optional
        Slice; default where Gmed, Gmin and TFL are best represented.
    outlines : bool, default True
        Outline Gmed, Gmin and TFL (thin lines, palette colours).
    slide : bool, default True

    Returns
    -------
    matplotlib.figure.Figure
        Axes in row-major order: T1 columns, then STIR columns.
    """
    plane = _check_plane(plane)
    check_choice(cause, anatomy.CAUSES, name="cause")
    if cases is None:
        cols, lab2d, table, index, vox2, titles = _gallery_from_phantom(
            days, cause=cause, side=side, preset=preset, rng=rng, plane=plane, index=index)
        axis = orientation.plane_axes(plane)[0]
        t1s = [np.expand_dims(c[0], axis) for c in cols]
        stirs = [np.expand_dims(c[1], axis) for c in cols]
        show_index = 0
        vox = vox2
        w_t1 = window_from_percentiles(t1s)
        w_stir = window_from_percentiles(stirs)
        labs2d = [lab2d] * len(cols)
    else:
        cases = list(cases)
        if len(days) != len(cases):
            days = [float((getattr(c, "truth", None) or {}).get("days", 0.0)) for c in cases]
        t1s = [np.asarray(c.t1) for c in cases]
        stirs = [_stir_on_t1_grid(c) for c in cases]
        table = {int(k): str(v) for k, v in dict(cases[0].label_table).items()}
        if index is None:
            index = best_index(np.asarray(cases[0].labels), table, plane)
        show_index = index
        vox = tuple(float(v) for v in np.linalg.norm(np.asarray(cases[0].affine)[:3, :3],
                                                     axis=0))
        w_t1 = window_from_percentiles(t1s)
        w_stir = window_from_percentiles(stirs)
        labs2d = [orientation.plane_slice(np.asarray(c.labels), plane, index) for c in cases]
        titles = [_column_title(c, d) for c, d in zip(cases, days, strict=True)]
    with _style(slide):
        fig = _new_figure(fig, slide)
        axes = np.atleast_2d(fig.subplots(2, len(t1s)))
        body = labs2d[0] > 0
        for col in range(len(t1s)):
            for row, (vols, window, seq) in enumerate(((t1s, w_t1, "T1"),
                                                       (stirs, w_stir, "STIR"))):
                ax = axes[row, col]
                show_plane(ax, vols[col], plane, show_index, window,
                           neurological=neurological, voxel_size_mm=vox)
                if outlines:
                    draw_label_outlines(ax, labs2d[col], table, _FOCUS, linewidth=1.0)
                _crop(ax, body, pad=4)
                ax.set_gid(f"gallery-{seq}-{col}")
                if row == 0:
                    ax.set_title(titles[col])
                if col == 0:
                    ax.set_ylabel(seq, fontweight="bold")
        if outlines:
            fig.legend(handles=legend_handles(_FOCUS), loc="outside lower center", ncol=3,
                       frameon=False)
        conv = "neurological" if neurological else "radiological"
        fig.suptitle(title or f"{side.capitalize()} {anatomy.CAUSE_INFO[cause].display} "
                     f"over time ({conv})")
    return fig


def _crop(ax, mask2d: np.ndarray, pad: int = 3) -> None:
    """Zoom `ax` to the bounding box of `mask2d` (screen x, y axes), keeping the inversion."""
    if not mask2d.any():
        return
    xs = np.flatnonzero(mask2d.any(axis=1))
    ys = np.flatnonzero(mask2d.any(axis=0))
    x0, x1 = xs[0] - 0.5 - pad, xs[-1] + 0.5 + pad
    y0, y1 = ys[0] - 0.5 - pad, ys[-1] + 0.5 + pad
    if ax.xaxis_inverted():
        ax.set_xlim(x1, x0)
    else:
        ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
