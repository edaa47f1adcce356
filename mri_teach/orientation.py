"""Orientation: RAS+ voxel order, display planes and radiological convention (layer L1).

Arrays in mri_teach are in RAS+ voxel order (axis 0 = patient left -> right, 1 = posterior ->
anterior, 2 = inferior -> superior). This module owns the mapping from such an array to what
appears on screen, so that every figure and widget shows the same, correct side:

* axial (``data[:, :, k]``): screen x = axis i, screen y = axis j (anterior up). In
  radiological convention (the default) patient right is on screen **left**, as if looking
  up from the patient's feet (domain.md 6).
* coronal (``data[:, j, :]``): screen x = axis i, screen y = axis k (superior up); patient
  right on screen left in radiological convention.
* sagittal (``data[i, :, :]``): screen x = axis j, screen y = axis k; anterior on screen left
  (as PACS show it).

Plotting code calls ``ax.imshow(plane_slice(...).T, origin="lower")`` and then inverts the
x axis when :func:`screen_x_inverted` says so. Data coordinates of clicks are then in-plane
voxel indices, so the widget needs no axis swap.

Geometry helpers (pure functions on arrays and 4x4 affines, no file I/O):
:func:`check_affine` (singular / non-finite -> :class:`OrientationError`), :func:`axcodes`,
:func:`to_ras` (flips and axis swaps only, as ``nibabel.as_closest_canonical``),
:func:`voxel_to_world` / :func:`world_to_voxel`, :func:`voxel_sizes`, :func:`obliquity_deg`
and :func:`resample_to_grid`, which moves an image onto another grid through both affines
(T1 and STIR meet in world coordinates, never by array index).
"""

from __future__ import annotations

import numpy as np

from mri_teach._validation import MriTeachError, check_choice

__all__ = [
    "OrientationError",
    "PLANES",
    "plane_axes",
    "plane_slice",
    "n_slices",
    "screen_x_inverted",
    "display_labels",
    "check_affine",
    "axcodes",
    "to_ras",
    "voxel_to_world",
    "world_to_voxel",
    "voxel_sizes",
    "obliquity_deg",
    "resample_to_grid",
]

PLANES = ("axial", "coronal", "sagittal")

#: Which RAS array axis is sliced for each plane, and the two in-plane axes (screen x, y).
_PLANE_AXES = {"axial": (2, 0, 1), "coronal": (1, 0, 2), "sagittal": (0, 1, 2)}
_AXIS_LETTERS = (("L", "R"), ("P", "A"), ("I", "S"))


class OrientationError(MriTeachError):
    """An affine or orientation that cannot be used (singular, degenerate, inconsistent)."""


def plane_axes(plane: str) -> tuple[int, int, int]:
    """Return ``(slice_axis, screen_x_axis, screen_y_axis)`` of `plane` in RAS voxel order.

    Examples
    --------
    >>> plane_axes("axial")
    (2, 0, 1)
    >>> plane_axes("sagittal")
    (0, 1, 2)
    """
    check_choice(plane, PLANES, name="plane")
    return _PLANE_AXES[plane]


def n_slices(shape: tuple[int, ...], plane: str) -> int:
    """Number of slices of a RAS volume of `shape` in `plane`.

    Examples
    --------
    >>> n_slices((10, 20, 5), "axial")
    5
    """
    return int(shape[plane_axes(plane)[0]])


def plane_slice(data: np.ndarray, plane: str, index: int) -> np.ndarray:
    """2D slice of a RAS volume with axes ``(screen_x_axis, screen_y_axis)``.

    Display it with ``imshow(result.T, origin="lower")``.

    Examples
    --------
    >>> vol = np.arange(24).reshape(2, 3, 4)
    >>> plane_slice(vol, "axial", 1).shape
    (2, 3)
    >>> plane_slice(vol, "coronal", 0).shape
    (2, 4)
    >>> plane_slice(vol, "sagittal", 1).shape
    (3, 4)
    """
    axis = plane_axes(plane)[0]
    if not 0 <= index < data.shape[axis]:
        msg = f"`index` {index} is outside the {plane} range 0..{data.shape[axis] - 1}."
        raise MriTeachError(msg)
    return np.take(data, index, axis=axis)


def screen_x_inverted(plane: str, *, neurological: bool = False) -> bool:
    """Whether the screen x axis must be inverted (high index on the left).

    Axial and coronal views put patient right (high i) on screen left in radiological
    convention; sagittal views put anterior (high j) on screen left.

    Examples
    --------
    >>> screen_x_inverted("axial")
    True
    >>> screen_x_inverted("axial", neurological=True)
    False
    >>> screen_x_inverted("sagittal", neurological=True)
    True
    """
    check_choice(plane, PLANES, name="plane")
    if plane == "sagittal":
        return True
    return not neurological


def display_labels(plane: str, *, neurological: bool = False) -> dict[str, str]:
    """Orientation markers for the four screen edges of a view.

    Examples
    --------
    >>> display_labels("axial")
    {'left': 'R', 'right': 'L', 'top': 'A', 'bottom': 'P'}
    >>> display_labels("axial", neurological=True)["left"]
    'L'
    >>> display_labels("coronal")
    {'left': 'R', 'right': 'L', 'top': 'S', 'bottom': 'I'}
    >>> display_labels("sagittal")
    {'left': 'A', 'right': 'P', 'top': 'S', 'bottom': 'I'}
    """
    _, xa, ya = plane_axes(plane)
    low, high = _AXIS_LETTERS[xa]
    if screen_x_inverted(plane, neurological=neurological):
        left, right = high, low
    else:
        left, right = low, high
    bottom, top = _AXIS_LETTERS[ya]
    return {"left": left, "right": right, "top": top, "bottom": bottom}


# --------------------------------------------------------------------------------------
# Affines: checks, axis codes, RAS reorientation, voxel <-> world, resampling (issue 2)
# --------------------------------------------------------------------------------------

#: Relative tolerance below which the 3x3 part of an affine counts as singular.
_SINGULAR_RTOL = 1e-6


def check_affine(affine, *, name: str = "affine") -> np.ndarray:
    """Return `affine` as a float64 (4, 4) array, or raise :class:`OrientationError`.

    The affine must be finite, have ``[0, 0, 0, 1]`` as its last row, and map voxel
    axes to three independent directions (non-zero voxel sizes, non-singular).

    Parameters
    ----------
    affine : (4, 4) array-like
        Voxel index -> RAS+ world mm.
    name : str, default="affine"
        Argument name used in the message.

    Returns
    -------
    affine : ndarray of float64, shape (4, 4)

    Examples
    --------
    >>> float(check_affine(np.diag([2.0, 2.0, 3.0, 1.0]))[2, 2])
    3.0
    >>> check_affine(np.diag([1.0, 0.0, 1.0, 1.0]))
    Traceback (most recent call last):
    ...
    mri_teach.orientation.OrientationError: `affine` is singular (voxel axis 1 has length 0 mm)...
    """
    try:
        arr = np.array(affine, dtype=float)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.shape != (4, 4):
        shape = None if arr is None else arr.shape
        msg = f"`{name}` must be a 4x4 voxel-to-world matrix; got shape {shape}."
        raise OrientationError(msg)
    if not np.all(np.isfinite(arr)):
        msg = f"`{name}` contains NaN or infinite values; the image geometry is unusable."
        raise OrientationError(msg)
    if not np.allclose(arr[3], [0, 0, 0, 1]):
        msg = f"`{name}` last row must be [0, 0, 0, 1]; got {arr[3].tolist()}."
        raise OrientationError(msg)
    lin = arr[:3, :3]
    norms = np.sqrt((lin**2).sum(axis=0))
    for axis, length in enumerate(norms):
        if not length > 0:
            msg = (f"`{name}` is singular (voxel axis {axis} has length 0 mm); the file's "
                   "geometry (qform/sform) is broken and must be fixed before use.")
            raise OrientationError(msg)
    if abs(np.linalg.det(lin)) <= _SINGULAR_RTOL * float(np.prod(norms)):
        msg = (f"`{name}` is singular (its voxel axes are not independent); the file's "
               "geometry (qform/sform) is broken and must be fixed before use.")
        raise OrientationError(msg)
    return arr


def axcodes(affine) -> tuple[str, str, str]:
    """Axis codes of the array described by `affine`, e.g. ``('L', 'P', 'S')``.

    Each letter is the direction toward which that array axis increases (closest world
    axis for oblique images), as ``nibabel.aff2axcodes``.

    Examples
    --------
    >>> axcodes(np.diag([-1.0, -1.0, 1.0, 1.0]))
    ('L', 'P', 'S')
    >>> axcodes(np.eye(4))
    ('R', 'A', 'S')
    """
    from nibabel.orientations import aff2axcodes

    return tuple(str(c) for c in aff2axcodes(check_affine(affine)))  # type: ignore[return-value]


def _ras_ornt(affine: np.ndarray) -> np.ndarray:
    from nibabel.orientations import io_orientation

    return io_orientation(affine)


def to_ras(data, affine):
    """Reorient `data` to RAS+ voxel order; return ``(data_ras, affine_ras)``.

    Only flips and axis swaps are used (``nibabel.as_closest_canonical`` semantics), so the
    result is a *view* of `data` (no copy; call ``np.ascontiguousarray`` if needed) and
    voxel values are never interpolated. Oblique images keep their obliquity in the
    returned affine. Axes beyond the third are left alone.

    Parameters
    ----------
    data : ndarray, shape (X, Y, Z, ...)
    affine : (4, 4) array-like
        Voxel index of `data` -> RAS+ world mm.

    Returns
    -------
    data_ras : ndarray, shape (I, J, K, ...)
        Axis 0 runs patient left -> right, 1 posterior -> anterior, 2 inferior -> superior.
    affine_ras : ndarray of shape (4, 4)
        Voxel index of `data_ras` -> the same world mm.

    Examples
    --------
    >>> lps = np.diag([-2.0, -2.0, 3.0, 1.0])
    >>> arr = np.zeros((4, 5, 6)); arr[0, 0, 0] = 1  # first voxel = patient right
    >>> ras, aff = to_ras(arr, lps)
    >>> axcodes(aff), ras.shape
    (('R', 'A', 'S'), (4, 5, 6))
    >>> [int(v) for v in np.argwhere(ras == 1)[0]]  # now at the high-i (right) end
    [3, 4, 0]
    >>> voxel_to_world(aff, [3, 4, 0]).tolist() == voxel_to_world(lps, [0, 0, 0]).tolist()
    True
    """
    from nibabel.orientations import apply_orientation, inv_ornt_aff

    affine = check_affine(affine)
    data = np.asanyarray(data)
    if data.ndim < 3:
        msg = f"`data` must have at least 3 dimensions; got shape {data.shape}."
        raise OrientationError(msg)
    ornt = _ras_ornt(affine)
    if np.array_equal(ornt, [[0, 1], [1, 1], [2, 1]]):
        return data, affine
    new_affine = affine @ inv_ornt_aff(ornt, data.shape[:3])
    return apply_orientation(data, ornt), new_affine


def _as_points(points, *, name: str) -> tuple[np.ndarray, bool]:
    arr = np.asarray(points, dtype=float)
    single = arr.ndim == 1
    arr2 = np.atleast_2d(arr)
    if arr2.ndim != 2 or arr2.shape[1] != 3:
        msg = f"`{name}` must have shape (3,) or (N, 3); got {arr.shape}."
        raise OrientationError(msg)
    return arr2, single


def voxel_to_world(affine, ijk) -> np.ndarray:
    """World coordinates (mm, RAS+) of voxel indices `ijk` of shape (3,) or (N, 3).

    Examples
    --------
    >>> aff = np.diag([2.0, 2.0, 3.0, 1.0]); aff[:3, 3] = [-10, -20, 5]
    >>> voxel_to_world(aff, [1, 2, 3]).tolist()
    [-8.0, -16.0, 14.0]
    >>> voxel_to_world(aff, [[0, 0, 0], [1, 1, 1]]).shape
    (2, 3)
    """
    aff = check_affine(affine)
    pts, single = _as_points(ijk, name="ijk")
    out = pts @ aff[:3, :3].T + aff[:3, 3]
    return out[0] if single else out


def world_to_voxel(affine, xyz) -> np.ndarray:
    """Fractional voxel indices of world points `xyz` (mm, RAS+), shape (3,) or (N, 3).

    Round the result (``np.rint``) to get the nearest voxel.

    Examples
    --------
    >>> aff = np.diag([2.0, 2.0, 3.0, 1.0]); aff[:3, 3] = [-10, -20, 5]
    >>> world_to_voxel(aff, [-8.0, -16.0, 14.0]).tolist()
    [1.0, 2.0, 3.0]
    >>> pts = np.array([[0.0, 0.0, 5.0], [-10.0, -20.0, 8.0]])
    >>> world_to_voxel(aff, pts).tolist()
    [[5.0, 10.0, 0.0], [0.0, 0.0, 1.0]]
    """
    aff = check_affine(affine)
    pts, single = _as_points(xyz, name="xyz")
    inv = np.linalg.inv(aff)
    out = pts @ inv[:3, :3].T + inv[:3, 3]
    return out[0] if single else out


def voxel_sizes(affine) -> tuple[float, float, float]:
    """Voxel edge lengths in mm along the three array axes (column norms of `affine`).

    Examples
    --------
    >>> voxel_sizes(np.diag([-0.9, 0.9, 4.0, 1.0]))
    (0.9, 0.9, 4.0)
    """
    aff = check_affine(affine)
    norms = np.sqrt((aff[:3, :3] ** 2).sum(axis=0))
    return tuple(float(round(n, 10)) for n in norms)  # type: ignore[return-value]


def obliquity_deg(affine) -> float:
    """Largest angle (degrees) between a voxel axis and its closest world axis.

    0 for images whose axes are aligned with the scanner/patient axes.

    Examples
    --------
    >>> obliquity_deg(np.diag([1.0, 1.0, 1.0, 1.0]))
    0.0
    >>> c, s = np.cos(np.radians(10)), np.sin(np.radians(10))
    >>> aff = np.eye(4); aff[1:3, 1:3] = [[c, -s], [s, c]]
    >>> round(obliquity_deg(aff), 6)
    10.0
    """
    aff = check_affine(affine)
    lin = aff[:3, :3]
    cosines = np.abs(lin) / np.sqrt((lin**2).sum(axis=0))
    best = np.clip(cosines.max(axis=0), -1.0, 1.0)
    angle = float(np.degrees(np.arccos(best)).max())
    return 0.0 if angle < 1e-6 else angle


def resample_to_grid(data, src_affine, dst_shape, dst_affine, *, order: int = 1,
                     cval: float = np.nan) -> np.ndarray:
    """Resample `data` (on `src_affine`) onto the grid `dst_shape` / `dst_affine`.

    Both grids meet through world coordinates: destination voxel ``v`` takes the value of
    `data` at source voxel ``inv(src_affine) @ dst_affine @ v``. Points within half a voxel
    of the source grid's outermost voxel centres take the edge value (the source field of
    view extends to the voxel edges); points further out get `cval` (NaN = missing).

    Parameters
    ----------
    data : ndarray, shape (X, Y, Z)
    src_affine, dst_affine : (4, 4) array-like
        Voxel -> world mm of the source and destination grids.
    dst_shape : tuple of 3 int
    order : int, default=1
        Interpolation order: 1 = trilinear (intensities), 0 = nearest (label maps), up
        to 5 = spline. NaNs in `data` stay missing.
    cval : float, default=nan
        Value outside the source field of view. For integer `data` with ``order=0``
        (label maps) a NaN `cval` means 0 (background) and the dtype is kept.

    Returns
    -------
    out : ndarray, shape `dst_shape`
        float32 (float64 for float64 input) for ``order >= 1``; `data`'s dtype for
        integer input with ``order=0``.

    Examples
    --------
    A linear ramp moved onto a grid shifted by half a voxel (trilinear is exact):

    >>> src = np.arange(4.0)[:, None, None] * np.ones((4, 2, 2))
    >>> dst_aff = np.eye(4); dst_aff[0, 3] = 0.5
    >>> resample_to_grid(src, np.eye(4), (4, 2, 2), dst_aff)[:, 0, 0].tolist()
    [0.5, 1.5, 2.5, nan]

    Labels use nearest neighbour:

    >>> lab = np.array([1, 2, 3, 4], np.int16)[:, None, None] * np.ones((1, 2, 2), np.int16)
    >>> out = resample_to_grid(lab, np.eye(4), (4, 2, 2), dst_aff, order=0)
    >>> out[:, 0, 0].tolist(), out.dtype.name
    ([2, 3, 4, 0], 'int16')
    """
    from scipy import ndimage

    data = np.asarray(data)
    if data.ndim != 3:
        msg = f"`data` must be 3D; got shape {data.shape}."
        raise OrientationError(msg)
    src = check_affine(src_affine, name="src_affine")
    dst = check_affine(dst_affine, name="dst_affine")
    dst_shape = tuple(int(n) for n in dst_shape)
    if len(dst_shape) != 3 or min(dst_shape) < 1:
        msg = f"`dst_shape` must be 3 positive integers; got {dst_shape}."
        raise OrientationError(msg)
    if int(order) != order or not 0 <= order <= 5:
        msg = f"`order` must be an integer 0..5; got {order!r}."
        raise OrientationError(msg)
    order = int(order)
    integer = np.issubdtype(data.dtype, np.integer) or data.dtype == bool
    if order == 0 and integer:
        out_dtype = data.dtype if data.dtype != bool else np.dtype(np.uint8)
        fill = 0 if np.isnan(cval) else cval
    else:
        out_dtype = np.dtype(np.float64 if data.dtype == np.float64 else np.float32)
        fill = cval
    mapping = np.linalg.inv(src) @ dst
    matrix, offset = mapping[:3, :3], mapping[:3, 3]

    source = data.astype(np.uint8) if data.dtype == bool else data
    nan_mask = None
    if order > 1 and not integer:
        nan_mask = np.isnan(source)
        if nan_mask.any():
            source = np.where(nan_mask, 0, source)
        else:
            nan_mask = None
    out = ndimage.affine_transform(source, matrix, offset=offset, output_shape=dst_shape,
                                   order=order, mode="nearest", output=out_dtype)
    # Field-of-view mask: nearest neighbour of a ones block padded by one voxel of zeros is
    # 1 exactly within half a voxel of the source grid.
    pad = np.zeros(tuple(n + 2 for n in data.shape), np.uint8)
    pad[1:-1, 1:-1, 1:-1] = 1
    inside = ndimage.affine_transform(pad, matrix, offset=offset + 1, output_shape=dst_shape,
                                      order=0, mode="constant", cval=0, output=np.uint8)
    out[inside == 0] = fill
    if nan_mask is not None:
        missing = ndimage.affine_transform(nan_mask.astype(np.float32), matrix, offset=offset,
                                           output_shape=dst_shape, order=1, mode="nearest")
        out[missing > 0] = np.nan
    return out
