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
