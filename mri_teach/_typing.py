"""Type aliases shared by the package (layer L0)."""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

__all__ = ["Affine", "Array", "Mask", "Vertices"]

Affine: TypeAlias = NDArray[np.float64]  # (4, 4) voxel index -> RAS+ mm
Array: TypeAlias = NDArray[np.floating]
Mask: TypeAlias = NDArray[np.bool_]
Vertices: TypeAlias = NDArray[np.float64]  # (N, 2) in-plane voxel coordinates
