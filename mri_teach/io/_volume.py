"""NIfTI intensity volumes in RAS+ voxel order (bootstrap version; hardened by issue 2)."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nibabel as nib
import numpy as np

from mri_teach._validation import InputError

__all__ = ["ImageFileError", "Pair", "Volume", "load_pair", "load_volume", "save_volume"]


class ImageFileError(InputError):
    """A file that is missing, not a NIfTI image, or not usable as one."""


@dataclass(frozen=True, eq=False)
class Volume:
    """A 3D image in RAS+ voxel order.

    Attributes
    ----------
    data : ndarray of float32, shape (I, J, K)
        Axis 0 runs patient left -> right, axis 1 posterior -> anterior, axis 2
        inferior -> superior.
    affine : ndarray of shape (4, 4)
        Voxel index -> RAS+ world mm for `data`.
    voxel_size_mm : tuple of 3 floats
    original_axcodes : tuple of 3 str
        Orientation of the stored file (e.g. ``('L', 'P', 'S')``).
    name : str
        Display name; defaults to the sequence role, never the file path (privacy).
    geometry_source : str
        ``'sform'``, ``'qform'`` or ``'array'``.
    resampled : bool
        True when the data were resampled onto another grid (see :func:`load_pair`).
    """

    data: np.ndarray
    affine: np.ndarray
    voxel_size_mm: tuple[float, float, float]
    original_axcodes: tuple[str, str, str] = ("R", "A", "S")
    name: str = "image"
    geometry_source: str = "array"
    resampled: bool = False
    path: Path | None = field(default=None, repr=False)

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.data.shape)  # type: ignore[return-value]


@dataclass(frozen=True, eq=False)
class Pair:
    """A T1 and a STIR on the T1 grid (`stir`) plus the STIR as stored (`stir_native`)."""

    t1: Volume
    stir: Volume
    stir_native: Volume


def load_volume(path, *, name: str | None = None) -> Volume:
    """Load a NIfTI file as a float32 :class:`Volume` in RAS+ voxel order."""
    path = Path(path)
    if not path.exists():
        msg = f"{path}: no such file"
        raise ImageFileError(msg)
    img = nib.load(path)
    codes = nib.aff2axcodes(img.affine)
    canon = nib.as_closest_canonical(img)
    data = np.asarray(canon.dataobj, dtype=np.float32)
    if data.ndim == 4 and data.shape[3] == 1:
        data = data[..., 0]
    zooms = tuple(float(z) for z in canon.header.get_zooms()[:3])
    return Volume(data, canon.affine.copy(), zooms, tuple(codes), name or "image",
                  "sform" if int(img.header["sform_code"]) > 0 else "qform", False, path)


def load_pair(t1, stir) -> Pair:
    """Load a T1 and a STIR; the STIR is resampled onto the T1 grid when the grids differ."""
    raise NotImplementedError  # provided by issue 2


def save_volume(data, affine, path, *, overwrite: bool = False, dtype=None) -> Path:
    """Write `data` with `affine` to `path` atomically (temporary file, then rename)."""
    path = Path(path)
    if path.exists() and not overwrite:
        msg = f"{path}: already exists; pass overwrite=True to replace it"
        raise ImageFileError(msg)
    arr = np.asarray(data if dtype is None else np.asarray(data).astype(dtype))
    img = nib.Nifti1Image(arr, np.asarray(affine, float))
    img.set_qform(affine, code=1)
    img.set_sform(affine, code=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = ".nii.gz" if path.name.endswith(".gz") else ".nii"
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=suffix, prefix=".tmp-")
    os.close(fd)
    try:
        nib.save(img, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
