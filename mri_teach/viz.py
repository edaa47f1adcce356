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
modules never import it (``style.md`` C1). Plot functions take ``ax=None``/``fig=None``,
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


def _series_values(data: Any, mask: Any) -> np.ndarray:
    arrays = [data] if isinstance(data, np.ndarray) else list(data)
    masks: list[Any]
    if mask is None:
        masks = [None] * len(arrays)
    elif isinstance(mask, np.ndarray):
        masks = [mask] * len(arrays) if len(arrays) > 1 else [mask]
    else:
        masks = list(mask)
    if len(masks) != len(arrays):
        msg = f"`mask` gives {len(masks)} masks for {len(arrays)} images; give one per image."
        raise InputError(msg)
    parts = []
    for arr, m in zip(arrays, masks):
        arr = np.asarray(arr, dtype=np.float64)
        if m is not None:
            m = np.asarray(m, dtype=bool)
            if m.shape != arr.shape:
                msg = f"`mask` shape {m.shape} does not match image shape {arr.shape}."
                raise InputError(msg)
            arr = arr[m]
        parts.append(arr.ravel())
    values = np.concatenate(parts) if parts else np.empty(0)
    return values[np.isfinite(values)]


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
    if values.size > 2_000_000:  # a strided sample keeps big series fast; percentiles hold
        values = values[:: values.size // 1_000_000]
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
    """
    if not isinstance(window, Window):
        msg = f"`window` must be a mri_teach.viz.Window; got {type(window).__name__}."
        raise InputError(msg)
    slice2d = orientation.plane_slice(np.asarray(data), plane, int(index))
    image = ax.imshow(
        slice2d.T,
        origin="lower",
        cmap=cmap,
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
                  fontsize: float | None = None):
    """Draw a horizontal scale bar in the lower right corner of an image axes.

    Call it after :func:`show_plane` (it reads the axis limits, inverted or not).
    `mm_per_voxel` is the voxel size along the screen x axis. The bar shrinks to a round
    length if `length_mm` does not fit in 60 % of the width.

    Returns
    -------
    matplotlib.lines.Line2D
        The bar; its label is the length text (e.g. ``'50 mm'``).
    """
    import matplotlib as mpl

    mm = float(mm_per_voxel)
    if not (math.isfinite(mm) and mm > 0):
        msg = f"`mm_per_voxel` must be a positive number; got {mm_per_voxel!r}."
        raise InputError(msg)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    width_vox = abs(x1 - x0)
    length = _nice_length(0.6 * width_vox * mm, float(length_mm))
    length_vox = length / mm
    sgn = 1.0 if x1 > x0 else -1.0
    x_end = x1 - sgn * 0.05 * width_vox
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
        mask = (labels2d == int(value)).T.astype(np.float32)
        cs = ax.contour(mask, levels=[0.5], colors=[muscle_color(name)],
                        linewidths=linewidth)
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
