"""ROI geometry: polygons, ellipses, brush strokes and label maps as masks (layer L2).

Pure geometry, no images and no files. Every 2D mask here is indexed like
:func:`mri_teach.orientation.plane_slice` returns a slice: ``mask[x, y]`` where ``x`` is the
index along the plane's screen-x axis and ``y`` along its screen-y axis
(:func:`mri_teach.orientation.plane_axes`): axial ``(i, j)``, coronal ``(i, k)``, sagittal
``(j, k)`` in RAS+ voxel order. Vertices are given in the same in-plane voxel coordinates,
so the data coordinates of a click on ``imshow(slice.T, origin="lower")`` can be used as is.

Pixel-centre convention
-----------------------
A pixel belongs to a polygon **iff its centre lies inside the polygon or on its boundary**
(a closed polygon). Pixel ``(x, y)`` has its centre at the integer coordinates ``(x, y)``
and covers ``[x - 0.5, x + 0.5) x [y - 0.5, y + 0.5)``. So the square with corners
``(0.5, 0.5)`` and ``(3.5, 3.5)`` holds the 3 x 3 pixels with centres 1..3, and the square
with corners ``(1, 1)`` and ``(3, 3)`` holds them too (centres on the edge count). This is the
rule of :func:`skimage.draw.polygon2mask`, with ``row`` = our ``x`` and ``col`` = our ``y``;
the tests check both against each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from skimage.draw import polygon as _sk_polygon

from mri_teach._validation import InputError, check_choice, check_positive
from mri_teach.orientation import PLANES, plane_axes

__all__ = [
    "Roi",
    "polygon_to_mask",
    "ellipse_to_mask",
    "brush_to_mask",
    "plane_to_volume",
    "label_to_mask",
    "labels_from_masks",
]


def _shape2d(shape2d) -> tuple[int, int]:
    shape = tuple(int(s) for s in shape2d)
    if len(shape) != 2 or min(shape) < 1:
        msg = f"`shape2d` must be two positive sizes (nx, ny); got {tuple(shape2d)!r}."
        raise InputError(msg)
    return shape  # type: ignore[return-value]


def _vertices(vertices, *, name: str = "vertices", min_points: int = 1) -> np.ndarray:
    v = np.asarray(vertices, dtype=float)
    if v.ndim != 2 or v.shape[1] != 2 or v.shape[0] < min_points:
        msg = (f"`{name}` must be an (N, 2) array of (x, y) in-plane voxel coordinates with "
               f"N >= {min_points}; got shape {v.shape}.")
        raise InputError(msg)
    if not np.all(np.isfinite(v)):
        msg = f"`{name}` contains NaN or infinite coordinates."
        raise InputError(msg)
    return v


def polygon_to_mask(vertices, shape2d) -> np.ndarray:
    """Boolean mask of the pixels whose centre is inside (or on) a polygon.

    Parameters
    ----------
    vertices : array-like of shape (N, 2)
        Polygon corners ``(x, y)`` in in-plane voxel coordinates (x = screen-x axis index,
        y = screen-y axis index, see the module docstring). Closing the polygon is optional.
    shape2d : tuple of 2 int
        ``(nx, ny)``, the shape of the plane slice.

    Returns
    -------
    mask : ndarray of bool, shape (nx, ny)

    Notes
    -----
    Only the polygon's bounding box is rasterised (``skimage.draw.polygon``), so a small
    polygon on a large slice costs little, which the drawing widget relies on.

    Examples
    --------
    >>> m = polygon_to_mask([(0.5, 0.5), (3.5, 0.5), (3.5, 3.5), (0.5, 3.5)], (5, 5))
    >>> int(m.sum()), bool(m[1, 1]), bool(m[0, 0])
    (9, True, False)
    >>> m = polygon_to_mask([(0, 0), (4, 0), (0, 1)], (5, 3))   # a thin triangle along x
    >>> [int(n) for n in m.sum(axis=1)]
    [2, 1, 1, 1, 1]
    """
    shape = _shape2d(shape2d)
    v = _vertices(vertices, min_points=3)
    mask = np.zeros(shape, dtype=bool)
    lo = np.maximum(np.floor(v.min(axis=0)).astype(int), 0)
    hi = np.minimum(np.ceil(v.max(axis=0)).astype(int) + 1, shape)
    if np.any(hi <= lo):
        return mask
    sub = (int(hi[0] - lo[0]), int(hi[1] - lo[1]))
    rr, cc = _sk_polygon(v[:, 0] - lo[0], v[:, 1] - lo[1], shape=sub)
    mask[rr + lo[0], cc + lo[1]] = True
    return mask


def ellipse_to_mask(center, radii, shape2d, *, angle_deg: float = 0.0) -> np.ndarray:
    """Boolean mask of the pixels whose centre is inside (or on) an ellipse.

    Parameters
    ----------
    center : (x, y)
        Centre in in-plane voxel coordinates.
    radii : (rx, ry)
        Semi-axes in voxels, along x and y before rotation.
    shape2d : tuple of 2 int
    angle_deg : float, default=0
        Counter-clockwise rotation of the ellipse in the (x, y) plane.

    Examples
    --------
    >>> m = ellipse_to_mask((2, 2), (1, 1), (5, 5))
    >>> int(m.sum())    # centre plus its 4 neighbours at distance 1
    5
    >>> int(ellipse_to_mask((2, 2), (2, 0.5), (5, 5)).sum())
    5
    """
    shape = _shape2d(shape2d)
    cx, cy = (float(c) for c in center)
    rx = check_positive(radii[0], name="radii[0]")
    ry = check_positive(radii[1], name="radii[1]")
    r = max(rx, ry)
    mask = np.zeros(shape, dtype=bool)
    x0, x1 = max(int(np.floor(cx - r)), 0), min(int(np.ceil(cx + r)) + 1, shape[0])
    y0, y1 = max(int(np.floor(cy - r)), 0), min(int(np.ceil(cy + r)) + 1, shape[1])
    if x1 <= x0 or y1 <= y0:
        return mask
    x, y = np.meshgrid(np.arange(x0, x1) - cx, np.arange(y0, y1) - cy, indexing="ij")
    a = np.deg2rad(angle_deg)
    u = x * np.cos(a) + y * np.sin(a)
    w = -x * np.sin(a) + y * np.cos(a)
    mask[x0:x1, y0:y1] = (u / rx) ** 2 + (w / ry) ** 2 <= 1.0 + 1e-9
    return mask


def brush_to_mask(points, radius_vox: float, shape2d) -> np.ndarray:
    """Union of discs of `radius_vox` swept along a polyline (a brush stroke).

    A pixel is in the stroke iff its centre is within `radius_vox` of the polyline through
    `points` (one point gives a single disc).

    Examples
    --------
    >>> m = brush_to_mask([(1, 2), (5, 2)], 0.5, (7, 5))
    >>> [int(n) for n in m.sum(axis=0)]
    [0, 0, 5, 0, 0]
    >>> int(brush_to_mask([(3, 3)], 1, (7, 7)).sum())
    5
    """
    shape = _shape2d(shape2d)
    p = _vertices(points, name="points")
    r = check_positive(radius_vox, name="radius_vox")
    mask = np.zeros(shape, dtype=bool)
    segments = [(p[0], p[0])] if len(p) == 1 else list(zip(p[:-1], p[1:], strict=False))
    for a, b in segments:
        lo = np.maximum(np.floor(np.minimum(a, b) - r).astype(int), 0)
        hi = np.minimum(np.ceil(np.maximum(a, b) + r).astype(int) + 1, shape)
        if np.any(hi <= lo):
            continue
        x, y = np.meshgrid(np.arange(lo[0], hi[0]), np.arange(lo[1], hi[1]), indexing="ij")
        d = b - a
        length2 = float(d @ d)
        if length2 == 0:
            t = np.zeros_like(x, dtype=float)
        else:
            t = np.clip(((x - a[0]) * d[0] + (y - a[1]) * d[1]) / length2, 0.0, 1.0)
        dist2 = (x - a[0] - t * d[0]) ** 2 + (y - a[1] - t * d[1]) ** 2
        mask[lo[0]:hi[0], lo[1]:hi[1]] |= dist2 <= r * r + 1e-9
    return mask


def plane_to_volume(mask2d, plane: str, index: int, shape3d) -> np.ndarray:
    """Place a 2D in-plane mask into an empty 3D RAS volume at slice `index` of `plane`.

    Examples
    --------
    >>> m = np.zeros((4, 3), bool); m[3, 0] = True       # axial: (i, j)
    >>> vol = plane_to_volume(m, "axial", 1, (4, 3, 2))
    >>> [int(a[0]) for a in np.nonzero(vol)]
    [3, 0, 1]
    >>> vol = plane_to_volume(np.ones((3, 2), bool), "sagittal", 2, (4, 3, 2))
    >>> int(vol[2].sum()), int(vol.sum())
    (6, 6)
    """
    check_choice(plane, PLANES, name="plane")
    shape3d = tuple(int(s) for s in shape3d)
    axis, xa, ya = plane_axes(plane)
    mask2d = np.asarray(mask2d, dtype=bool)
    expected = (shape3d[xa], shape3d[ya])
    if mask2d.shape != expected:
        msg = (f"`mask2d` shape {mask2d.shape} does not match the {plane} slice shape "
               f"{expected} of a volume of shape {shape3d}.")
        raise InputError(msg)
    if not 0 <= int(index) < shape3d[axis]:
        msg = f"`index` {index} is outside the {plane} range 0..{shape3d[axis] - 1}."
        raise InputError(msg)
    vol = np.zeros(shape3d, dtype=bool)
    sl: list = [slice(None)] * 3
    sl[axis] = int(index)
    vol[tuple(sl)] = mask2d
    return vol


def label_to_mask(labels, value: int) -> np.ndarray:
    """Boolean mask of one label value in a label map (2D or 3D).

    Examples
    --------
    >>> int(label_to_mask(np.array([[0, 2], [2, 1]]), 2).sum())
    2
    """
    return np.asarray(labels) == int(value)


def labels_from_masks(masks, shape) -> np.ndarray:
    """Combine ``{value: bool mask}`` into one int32 label map; later masks win overlaps.

    Examples
    --------
    >>> a = np.array([True, True, False]); b = np.array([False, True, True])
    >>> labels_from_masks({1: a, 2: b}, (3,)).tolist()
    [1, 2, 2]
    """
    out = np.zeros(tuple(shape), dtype=np.int32)
    for value, mask in masks.items():
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != out.shape:
            msg = f"mask for label {value} has shape {mask.shape}, expected {out.shape}."
            raise InputError(msg)
        out[mask] = int(value)
    return out


@dataclass(frozen=True)
class Roi:
    """A drawn ROI: a named shape on one slice of one plane.

    Attributes
    ----------
    name : str
        Label name such as ``gluteus_medius_right`` (the side comes from the name).
    plane : str
        ``'axial'``, ``'coronal'`` or ``'sagittal'``.
    index : int
        Slice index along the plane's slice axis.
    kind : str
        ``'polygon'``, ``'ellipse'`` or ``'brush'``.
    vertices : tuple of (x, y)
        Polygon corners, brush points, or ``((cx, cy), (rx, ry))`` for an ellipse.
    radius_vox : float
        Brush radius (brush only).
    angle_deg : float
        Ellipse rotation (ellipse only).

    Examples
    --------
    >>> roi = Roi("gluteus_medius_right", "axial", 1, "polygon",
    ...           ((0.5, 0.5), (2.5, 0.5), (2.5, 2.5), (0.5, 2.5)))
    >>> int(roi.to_volume((4, 4, 3)).sum())
    4
    """

    name: str
    plane: str
    index: int
    kind: str
    vertices: tuple = field(default=())
    radius_vox: float = 1.0
    angle_deg: float = 0.0

    KINDS = ("polygon", "ellipse", "brush")

    def mask2d(self, shape2d) -> np.ndarray:
        """The ROI as a 2D in-plane mask of `shape2d`."""
        check_choice(self.kind, self.KINDS, name="kind")
        if self.kind == "polygon":
            return polygon_to_mask(self.vertices, shape2d)
        if self.kind == "brush":
            return brush_to_mask(self.vertices, self.radius_vox, shape2d)
        center, radii = self.vertices
        return ellipse_to_mask(center, radii, shape2d, angle_deg=self.angle_deg)

    def to_volume(self, shape3d) -> np.ndarray:
        """The ROI placed into a 3D RAS volume of `shape3d`."""
        axis, xa, ya = plane_axes(self.plane)
        shape3d = tuple(int(s) for s in shape3d)
        return plane_to_volume(self.mask2d((shape3d[xa], shape3d[ya])), self.plane,
                               self.index, shape3d)
