"""Reading and writing NIfTI volumes and label maps (layer L2).

Everything enters mri_teach here and leaves here in RAS+ voxel order (axis 0 runs patient
left -> right, axis 1 posterior -> anterior, axis 2 inferior -> superior; ``style.md`` C3).

* :func:`load_volume`, :func:`load_pair`, :func:`save_volume` and the :class:`Volume`
  record live in :mod:`mri_teach.io._volume`.
* :func:`load_labels` and the label-table formats (JSON, ITK-SNAP, TotalSegmentator,
  MuscleMap) live in :mod:`mri_teach.io._labels`.
"""

from mri_teach.io._volume import (
    MAX_VOXELS,
    ImageFileError,
    ImageGeometryError,
    Pair,
    Volume,
    header_info,
    load_pair,
    load_volume,
    save_volume,
)

__all__ = [
    "MAX_VOXELS",
    "ImageFileError",
    "ImageGeometryError",
    "Pair",
    "Volume",
    "header_info",
    "load_pair",
    "load_volume",
    "save_volume",
]

try:  # label formats are added by mri_teach.io._labels
    from mri_teach.io._labels import *  # noqa: F403
    from mri_teach.io._labels import __all__ as _labels_all

    __all__ += list(_labels_all)
except ImportError:  # pragma: no cover - during bootstrap only
    pass
