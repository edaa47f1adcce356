"""Test helper shared by test_io and test_orientation: store a RAS array in any orientation.

Built by hand (not with nibabel) so the tests do not share code with the loader.
"""

from __future__ import annotations

import numpy as np

RAS_LETTERS = (("L", "R"), ("P", "A"), ("I", "S"))


def store(data_ras, affine_ras, perm, flips):
    """Stored axis a = RAS axis perm[a], flipped where flips[a] = -1.

    Returns the stored array, its affine and its axis codes.
    """
    stored = np.transpose(data_ras, perm)
    m = np.zeros((4, 4))
    m[3, 3] = 1
    for a, (r, f) in enumerate(zip(perm, flips, strict=True)):
        if f == -1:
            stored = np.flip(stored, axis=a)
        m[r, a] = f
        m[r, 3] = 0 if f == 1 else data_ras.shape[r] - 1
    codes = tuple(RAS_LETTERS[r][1] if f == 1 else RAS_LETTERS[r][0]
                  for r, f in zip(perm, flips, strict=True))
    return np.ascontiguousarray(stored), affine_ras @ m, codes
