"""NIfTI intensity volumes in RAS+ voxel order (layer L2).

Everything enters mri_teach through :func:`load_volume` / :func:`load_pair` and leaves through
:func:`save_volume`:

* Files are checked in three steps, each with one clear :class:`ImageFileError` naming the
  file and what to do: the first bytes (is it a NIfTI at all, gzip or not), the header
  (dimensions, voxel count, data type, voxel sizes, scaling, geometry) *before* any voxel
  data are read, then the data (truncated/corrupt file, all-NaN or constant image).
* Data are read once, unscaled, and reoriented to RAS+ with flips/transposes while being
  cast to float32 (``nibabel.as_closest_canonical`` semantics, no interpolation, no float64
  intermediate), then scaled in place by ``scl_slope``/``scl_inter``.
* Display names default to ``'image'`` (``load_pair`` uses ``'T1'``/``'STIR'``) and are never
  taken from the file name, which often carries patient names and dates (privacy).
"""

from __future__ import annotations

import dataclasses
import gzip
import math
import os
import tempfile
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
from nibabel.orientations import apply_orientation, inv_ornt_aff, io_orientation

from mri_teach import orientation as _ori
from mri_teach._validation import InputError
from mri_teach.orientation import OrientationError

__all__ = [
    "ImageFileError",
    "ImageGeometryError",
    "Pair",
    "Volume",
    "header_info",
    "load_pair",
    "load_volume",
    "save_volume",
]

#: Default limit on the number of voxels a file may declare (issue 2: 512 million).
MAX_VOXELS = 512_000_000

_NIFTI_SUFFIXES = (".nii", ".nii.gz")
_FREE_TEXT_FIELDS = ("descrip", "aux_file", "intent_name", "db_name")
_PICK_ONE_VOLUME = (
    "extract one volume first, e.g. `fslroi in.nii.gz out.nii.gz 0 1` or in Python "
    "`nib.save(nib.load(path).slicer[..., 0], 'out.nii.gz')`"
)


class ImageFileError(InputError):
    """A file that is missing, not a NIfTI image, or not usable as one."""


class ImageGeometryError(ImageFileError, OrientationError):
    """A file whose geometry (affine, voxel sizes) is unusable; both an
    :class:`ImageFileError` and an :class:`~mri_teach.orientation.OrientationError`."""


@dataclass(frozen=True, eq=False)
class Volume:
    """A 3D image in RAS+ voxel order.

    Attributes
    ----------
    data : ndarray of float32, shape (I, J, K)
        Axis 0 runs patient left -> right, axis 1 posterior -> anterior, axis 2
        inferior -> superior. NaN marks missing voxels. The memory layout follows the
        file (usually Fortran order, as with nibabel); indexing is unaffected.
    affine : ndarray of shape (4, 4)
        Voxel index -> RAS+ world mm for `data`.
    voxel_size_mm : tuple of 3 floats
        Voxel edge lengths along the axes of `data`.
    original_axcodes : tuple of 3 str
        Orientation of the stored file (e.g. ``('L', 'P', 'S')``).
    name : str
        Display name; defaults to the sequence role, never the file path (privacy).
    geometry_source : str
        ``'sform'`` or ``'qform'`` (the header transform nibabel used), ``'none'`` (neither
        set; nibabel's default orientation was assumed) or ``'array'`` (made in memory).
    resampled : bool
        True when the data were resampled onto another grid (see :func:`load_pair`).
    path : Path or None
        The file read, for provenance only; never shown in figures or reports.
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
        """Array shape ``(I, J, K)``."""
        return tuple(self.data.shape)  # type: ignore[return-value]


@dataclass(frozen=True, eq=False)
class Pair:
    """A T1 and a STIR on the T1 grid (`stir`) plus the STIR as stored (`stir_native`)."""

    t1: Volume
    stir: Volume
    stir_native: Volume


# ---- step 1: the file and its first bytes --------------------------------------------------


def _as_path(path, *, name: str = "path") -> Path:
    if isinstance(path, Volume):
        msg = f"`{name}` is already a Volume; pass a file path to load."
        raise InputError(msg)
    try:
        return Path(os.fspath(path)).expanduser()
    except TypeError:
        msg = f"`{name}` must be a file path (str or Path); got {type(path).__name__}."
        raise InputError(msg) from None


def _check_exists(path: Path) -> None:
    if path.is_dir():
        msg = f"{path}: is a directory, not a NIfTI file; give the .nii or .nii.gz file inside."
        raise ImageFileError(msg)
    if path.exists():
        return
    hint = ""
    for alt in (Path(str(path) + ".gz"), Path(str(path)[:-3]) if str(path).endswith(".gz")
                else None, path.with_suffix(".nii.gz") if path.suffix == "" else None):
        if alt is not None and alt.is_file():
            hint = f" (did you mean {alt.name}?)"
            break
    msg = f"{path}: no such file{hint}; check the path."
    raise ImageFileError(msg)


def _describe_non_nifti(head: bytes) -> str:
    if head.startswith(b"\x89PNG"):
        return "is a PNG image, not a NIfTI volume"
    if head.startswith(b"\xff\xd8\xff"):
        return "is a JPEG image, not a NIfTI volume"
    if len(head) >= 132 and head[128:132] == b"DICM":
        return "is a DICOM file, not NIfTI; convert the series with dcm2niix first"
    sample = head[:512]
    if sample and all(32 <= b < 127 or b in (9, 10, 13) for b in sample):
        return "is a text file, not a NIfTI volume"
    return "is not a NIfTI file (no NIfTI header found)"


def _sniff(path: Path) -> tuple[bytes, bool]:
    """Return the first 544 (decompressed) bytes and whether the file is gzip-compressed."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(544)
    except OSError as err:
        msg = f"{path}: cannot be read ({err.strerror or err}); check its permissions."
        raise ImageFileError(msg) from None
    if not head:
        msg = f"{path}: is empty (0 bytes); the file was not written completely."
        raise ImageFileError(msg)
    compressed = head[:2] == b"\x1f\x8b"
    named_gz = path.name.lower().endswith(".gz")
    if compressed:
        try:
            with gzip.open(path, "rb") as gz:
                head = gz.read(544)
        except (OSError, EOFError, zlib.error) as err:
            msg = (f"{path}: the gzip data are corrupt or truncated ({err}); "
                   "copy or export the file again.")
            raise ImageFileError(msg) from None
    elif named_gz:
        what = _describe_non_nifti(head)
        if _nifti_version(head) is not None:
            what = "is an uncompressed NIfTI named .gz; rename it to end in .nii"
        msg = f"{path}: {what}."
        raise ImageFileError(msg)
    version = _nifti_version(head)
    if version is None:
        msg = f"{path}: {_describe_non_nifti(head)}."
        raise ImageFileError(msg)
    if head[344:347] == b"ni1" or head[4:7] == b"ni2":
        msg = (f"{path}: is the header of a .hdr/.img NIfTI pair; convert it to one file, "
               "e.g. `nib.save(nib.load(path), 'image.nii.gz')`.")
        raise ImageFileError(msg)
    if compressed and not named_gz:
        msg = f"{path}: is gzip-compressed but not named .gz; rename it to end in .nii.gz."
        raise ImageFileError(msg)
    return head, compressed


def _nifti_version(head: bytes) -> int | None:
    if len(head) >= 348:
        for order in ("<", ">"):
            size = int(np.frombuffer(head[:4], dtype=f"{order}i4")[0])
            if size == 348 and head[344:348] in (b"n+1\x00", b"ni1\x00"):
                return 1
            if size == 540 and len(head) >= 540 and head[4:8] in (b"n+2\x00", b"ni2\x00"):
                return 2
    return None


# ---- step 2: the header, before any voxel data are read ------------------------------------


def _header(path: Path, head: bytes):
    version = _nifti_version(head)
    klass = nib.Nifti1Header if version == 1 else nib.Nifti2Header
    size = 348 if version == 1 else 540
    import io

    try:  # no extensions: the free text in them is never needed here
        return klass.from_fileobj(io.BytesIO(head[:size] + b"\x00" * 4), check=False)
    except Exception as err:  # noqa: BLE001 - any parse failure means an unusable header
        msg = f"{path}: the NIfTI header cannot be parsed ({err})."
        raise ImageFileError(msg) from None


def _check_header(path: Path, hdr, *, max_voxels: int) -> dict[str, Any]:
    """Validate a header; return the facts the loader and ``header_info`` need."""
    try:
        shape = tuple(int(n) for n in hdr.get_data_shape())
    except Exception:  # noqa: BLE001 - nibabel HeaderDataError for impossible dims
        dims = [int(d) for d in hdr["dim"]]
        msg = f"{path}: the header's dimensions {dims} are invalid; the file is corrupt."
        raise ImageFileError(msg) from None
    ndim = len(shape)
    shape_txt = " x ".join(str(n) for n in shape)
    if ndim < 3:
        msg = (f"{path}: is a {ndim}D image (shape {shape_txt}); mri_teach needs a 3D volume "
               "(export the whole series, not a single slice or screenshot).")
        raise ImageFileError(msg)
    if any(n < 1 for n in shape):
        msg = f"{path}: header declares an empty dimension (shape {shape_txt})."
        raise ImageFileError(msg)
    extra = shape[3:]
    if any(n != 1 for n in extra):
        if ndim == 4:
            msg = (f"{path}: is a 4D series with {shape[3]} volumes (shape {shape_txt}); "
                   f"mri_teach needs one 3D volume: {_PICK_ONE_VOLUME}.")
        else:
            msg = (f"{path}: has {ndim} dimensions (shape {shape_txt}); mri_teach needs one "
                   f"3D volume: {_PICK_ONE_VOLUME}.")
        raise ImageFileError(msg)
    n_voxels = math.prod(shape)
    if n_voxels > max_voxels:
        msg = (f"{path}: header declares {n_voxels:,} voxels (shape {shape_txt}), more than "
               f"the limit of {max_voxels:,}; crop or downsample it, or raise `max_voxels` "
               "if the file really is that large.")
        raise ImageFileError(msg)
    try:
        dtype = hdr.get_data_dtype()
    except Exception:  # noqa: BLE001 - nibabel raises several types for unknown codes
        msg = f"{path}: the header's data type code {int(hdr['datatype'])} is not valid."
        raise ImageFileError(msg) from None
    if dtype.fields is not None or dtype.kind not in "iufb":
        msg = (f"{path}: stores {dtype} voxels (RGB, complex or structured); mri_teach needs "
               "a grey-scale intensity image.")
        raise ImageFileError(msg)
    pixdim = np.asarray(hdr["pixdim"][1:4], dtype=float)
    if not np.all(np.isfinite(pixdim)) or np.any(pixdim <= 0):
        sizes = ", ".join(f"{v:g}" for v in pixdim)
        msg = (f"{path}: voxel sizes ({sizes}) must be positive and finite; the header is "
               "broken (fix pixdim with `nibabel` header.set_zooms or re-export the image).")
        raise ImageGeometryError(msg)
    try:
        slope_inter = hdr.get_slope_inter()
    except Exception as err:  # noqa: BLE001 - nibabel HeaderDataError
        msg = f"{path}: invalid intensity scaling in the header ({err}); fix scl_slope/scl_inter."
        raise ImageFileError(msg) from None
    sform_code, qform_code = int(hdr["sform_code"]), int(hdr["qform_code"])
    source = "sform" if sform_code else ("qform" if qform_code else "none")
    try:
        affine = hdr.get_best_affine()
    except Exception as err:  # noqa: BLE001 - nibabel HeaderDataError
        msg = f"{path}: the {source} cannot be read ({err}); the file geometry is broken."
        raise ImageGeometryError(msg) from None
    try:
        affine = _ori.check_affine(affine)
    except OrientationError as err:
        detail = str(err).replace("`affine`", f"the {source} affine")
        fix = ""
        if source == "sform" and qform_code:
            fix = " (the qform may be usable: set sform_code to 0 to fall back to it)"
        msg = f"{path}: {detail}{fix}"
        raise ImageGeometryError(msg) from None
    return {
        "shape": shape,
        "dtype": dtype,
        "pixdim": tuple(float(v) for v in pixdim),
        "slope_inter": slope_inter,
        "sform_code": sform_code,
        "qform_code": qform_code,
        "geometry_source": source,
        "affine": affine,
    }


# ---- step 3: the data ----------------------------------------------------------------------


def _open(path, max_voxels: int):
    path = _as_path(path)
    _check_exists(path)
    head, compressed = _sniff(path)
    hdr = _header(path, head)
    meta = _check_header(path, hdr, max_voxels=int(max_voxels))
    meta["compressed"] = compressed
    meta["header"] = hdr  # as stored (nibabel resets scl_* on the loaded image's header)
    meta["version"] = _nifti_version(head)
    try:
        img = nib.load(path, mmap=False)
    except Exception as err:  # noqa: BLE001 - nibabel/gzip raise many types here
        msg = f"{path}: cannot be opened as NIfTI ({err}); the file may be corrupt."
        raise ImageFileError(msg) from None
    if not isinstance(img, nib.Nifti1Pair):
        msg = f"{path}: is a {type(img).__name__}, not a NIfTI image."
        raise ImageFileError(msg)
    return path, img, meta


def _data_offset(img, meta) -> int:
    """Where the voxels start: ``vox_offset``, but never inside the header + extensions.

    A single-file NIfTI must have ``vox_offset >= 352`` (544 for NIfTI-2) plus the
    extensions; writers that leave it 0 are repaired (nibabel would read the header bytes
    as voxels).
    """
    minimum = (352 if meta["version"] == 1 else 544) + int(img.header.extensions.get_sizeondisk())
    return int(max(int(img.dataobj.offset), minimum))


def _read_raw(path: Path, proxy, *, compressed: bool, offset: int) -> np.ndarray:
    """Read the stored (unscaled) voxel array, as ``nibabel.volumeutils.array_from_file``.

    Shape and dtype come from nibabel's array proxy. For gzip files the stream is read to
    its end so that the gzip CRC and length are verified: damage inside the compressed
    data would otherwise load as silent garbage.
    """
    shape = tuple(proxy.shape)
    dtype = np.dtype(proxy.dtype)
    n_bytes = math.prod(shape) * dtype.itemsize
    if not compressed:
        size = os.path.getsize(path)
        if size < offset + n_bytes:  # say so before allocating the buffer
            msg = f"expected {n_bytes} bytes of voxel data, the file holds {max(size - offset, 0)}"
            raise EOFError(msg)
    buf = bytearray(n_bytes)
    opener = gzip.open if compressed else open
    with opener(path, "rb") as fh:
        fh.seek(offset)
        n_read = fh.readinto(buf)
        if n_read != n_bytes:
            msg = f"expected {n_bytes} bytes of voxel data, the file holds {n_read}"
            raise EOFError(msg)
        if compressed:
            while fh.read(1 << 20):  # drain to the end: checks CRC32 and size
                pass
    return np.ndarray(shape, dtype=dtype, buffer=buf, order="F")


def _read_ras(path: Path, img, meta) -> tuple[np.ndarray, np.ndarray, int]:
    """Read the voxel data once, reorient to RAS+ and scale to float32.

    Returns ``(data, affine_ras, n_nonfinite)``; non-finite voxels are set to NaN.
    """
    proxy = img.dataobj
    try:
        raw = _read_raw(path, proxy, compressed=meta["compressed"],
                        offset=_data_offset(img, meta))
    except (EOFError, zlib.error, OSError, ValueError) as err:
        msg = (f"{path}: the voxel data are truncated or corrupt ({err}); "
               "copy or export the file again.")
        raise ImageFileError(msg) from None
    raw = raw.reshape(raw.shape[:3], order="A")  # drop singleton 4th+ axes (header-checked)
    affine = meta["affine"]
    ornt = io_orientation(affine)
    view = apply_orientation(raw, ornt)
    affine_ras = affine @ inv_ornt_aff(ornt, raw.shape)
    slope = float(getattr(proxy, "slope", 1.0))
    inter = float(getattr(proxy, "inter", 0.0))
    scaled = slope != 1.0 or inter != 0.0
    native_f32 = raw.dtype == np.float32 and raw.dtype.isnative
    with np.errstate(over="ignore", invalid="ignore"):
        if native_f32 and not scaled and view.flags.writeable:
            data = view  # flips/transposes stay views: no copy at all
        else:
            # keep the file's memory layout (NIfTI is Fortran order): copying across
            # layouts is ~20x slower than a straight cast (see benchmarks/bench_io.py)
            data = np.empty_like(view, dtype=np.float32, order="K")
            np.copyto(data, view, casting="unsafe")
        raw_dtype = raw.dtype
        del raw, view
        if slope != 1.0:
            data *= np.float32(slope)
        if inter != 0.0:
            data += np.float32(inter)
    n_bad = 0
    could_overflow = False
    if raw_dtype.kind in "iub" and scaled:
        top = float(max(abs(np.iinfo(raw_dtype).min), np.iinfo(raw_dtype).max)) \
            if raw_dtype.kind != "b" else 1.0
        could_overflow = top * abs(slope) + abs(inter) > 1e38
    if raw_dtype.kind == "f" or could_overflow:
        finite = np.isfinite(data)
        n_bad = int(finite.size - np.count_nonzero(finite))
        if n_bad:
            np.logical_not(finite, out=finite)
            data[finite] = np.nan
        del finite
    return data, affine_ras, n_bad


def _value_range(data: np.ndarray, n_bad: int) -> tuple[float, float]:
    if n_bad == data.size:
        return math.nan, math.nan
    if n_bad:
        return float(np.nanmin(data)), float(np.nanmax(data))
    return float(data.min()), float(data.max())


def load_volume(path, *, name: str | None = None, max_voxels: int = MAX_VOXELS) -> Volume:
    """Load a NIfTI file as a float32 :class:`Volume` in RAS+ voxel order.

    Parameters
    ----------
    path : str or Path
        A ``.nii`` or ``.nii.gz`` file (NIfTI-1 or NIfTI-2), 3D or 4D with one volume;
        uint8/int16/uint16/int32/float32/float64 (any integer or float type) voxels.
    name : str, optional
        Display name (e.g. ``'T1'``); default ``'image'``. Never derived from the path.
    max_voxels : int, default=512_000_000
        Files whose header declares more voxels are rejected before any data are read.

    Returns
    -------
    Volume
        ``data`` is float32 with ``scl_slope``/``scl_inter`` applied, reoriented (flips and
        axis swaps only) so axis 0 runs patient left -> right; ``affine`` maps it to the
        same world mm; ``geometry_source`` says whether the sform or qform was used (the
        sform wins when both are set, as in nibabel).

    Raises
    ------
    ImageFileError
        Missing file, not NIfTI, truncated/corrupt gzip, too many voxels, 2D, 4D with
        several volumes, bad voxel sizes or affine (:class:`ImageGeometryError`), all-NaN
        or constant image. The message names the file and what to do.

    Warns
    -----
    UserWarning
        NaN/Inf voxels (kept as NaN = missing); no qform/sform (orientation unknown).

    Examples
    --------
    >>> import tempfile, pathlib, nibabel as nib
    >>> lps = np.diag([-2.0, -2.0, 3.0, 1.0])
    >>> arr = np.arange(24, dtype=np.int16).reshape(2, 3, 4)
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "scan.nii.gz"
    >>> nib.save(nib.Nifti1Image(arr, lps), p)
    >>> vol = load_volume(p, name="T1")
    >>> vol.name, vol.original_axcodes, vol.data.dtype.name, vol.shape
    ('T1', ('L', 'P', 'S'), 'float32', (2, 3, 4))
    >>> float(vol.data[1, 2, 0]) == float(arr[0, 0, 0])  # first stored voxel = right, anterior
    True
    """
    if isinstance(max_voxels, bool) or not isinstance(max_voxels, (int, np.integer)) \
            or max_voxels < 1:
        msg = f"`max_voxels` must be a positive integer; got {max_voxels!r}."
        raise InputError(msg)
    if name is not None and not isinstance(name, str):
        msg = f"`name` must be a string; got {type(name).__name__}."
        raise InputError(msg)
    path, img, meta = _open(path, max_voxels)
    data, affine_ras, n_bad = _read_ras(path, img, meta)
    vmin, vmax = _value_range(data, n_bad)
    if n_bad == data.size:
        msg = f"{path}: every voxel is NaN or infinite; there is no image to analyse."
        raise ImageFileError(msg)
    if vmin == vmax:
        msg = (f"{path}: every voxel has the value {vmin:g} (constant image); this is not "
               "an intensity image (a blank export, or a mask/label file: use load_labels).")
        raise ImageFileError(msg)
    if n_bad:
        pct = 100.0 * n_bad / data.size
        warnings.warn(f"{path.name}: {n_bad} NaN/Inf voxels ({pct:.2g}%) are treated as "
                      "missing (NaN).", UserWarning, stacklevel=2)
    if meta["geometry_source"] == "none":
        warnings.warn(f"{path.name}: neither qform nor sform is set, so left/right is "
                      "unknown; assuming nibabel's default orientation (LAS). Check the "
                      "side before use.", UserWarning, stacklevel=2)
    return Volume(
        data=data,
        affine=affine_ras,
        voxel_size_mm=_ori.voxel_sizes(affine_ras),
        original_axcodes=_ori.axcodes(meta["affine"]),
        name=name or "image",
        geometry_source=meta["geometry_source"],
        resampled=False,
        path=path,
    )


# ---- pairs -----------------------------------------------------------------------------------


def _same_grid(a: Volume, b: Volume) -> bool:
    return a.shape == b.shape and np.allclose(a.affine, b.affine, rtol=0, atol=1e-4)


def _world_box(shape, affine) -> tuple[np.ndarray, np.ndarray]:
    corners = np.array([[i, j, k] for i in (-0.5, shape[0] - 0.5)
                        for j in (-0.5, shape[1] - 0.5) for k in (-0.5, shape[2] - 0.5)])
    xyz = _ori.voxel_to_world(affine, corners)
    return xyz.min(axis=0), xyz.max(axis=0)


def _as_volume(obj, role: str) -> Volume:
    if isinstance(obj, Volume):
        if obj.data.ndim != 3:
            msg = f"`{role.lower()}` Volume must be 3D; got shape {obj.data.shape}."
            raise InputError(msg)
        return dataclasses.replace(obj, name=role) if obj.name == "image" else obj
    return load_volume(obj, name=role)


def load_pair(t1, stir, *, order: int = 1) -> Pair:
    """Load a T1 and a STIR; the STIR is resampled onto the T1 grid when the grids differ.

    The two meet through world coordinates (both affines), never by array index: STIR
    voxels are interpolated at the world position of every T1 voxel (trilinear by default,
    NaN outside the STIR field of view).

    Parameters
    ----------
    t1, stir : str, Path or Volume
        Files (loaded with names ``'T1'`` and ``'STIR'``) or already loaded volumes.
    order : int, default=1
        Interpolation order for the STIR (1 = trilinear; 0 = nearest; 3 = cubic spline).

    Returns
    -------
    Pair
        ``t1``; ``stir`` on the T1 grid (``resampled=True`` if its grid differed: shape,
        voxel size, field of view or obliquity); ``stir_native``, the STIR as loaded.

    Raises
    ------
    ImageFileError
        Either file is unusable, or the two images do not overlap in space.

    Examples
    --------
    >>> t1 = Volume(np.ones((4, 4, 4), np.float32), np.eye(4), (1.0, 1.0, 1.0))
    >>> aff = np.diag([1.0, 1.0, 2.0, 1.0])
    >>> stir = Volume(np.full((4, 4, 2), 3.0, np.float32), aff, (1.0, 1.0, 2.0))
    >>> pair = load_pair(t1, stir)
    >>> pair.stir.shape, pair.stir.resampled, pair.stir.name, pair.stir_native.shape
    ((4, 4, 4), True, 'STIR', (4, 4, 2))
    """
    if isinstance(order, bool) or order not in range(6):
        msg = f"`order` must be an integer 0..5 (1 = trilinear); got {order!r}."
        raise InputError(msg)
    t1v = _as_volume(t1, "T1")
    stirv = _as_volume(stir, "STIR")
    if _same_grid(t1v, stirv):
        return Pair(t1v, stirv, stirv)
    lo1, hi1 = _world_box(t1v.shape, t1v.affine)
    lo2, hi2 = _world_box(stirv.shape, stirv.affine)
    where = "" if stirv.path is None else f"{stirv.path}: "
    if np.any(hi1 <= lo2) or np.any(hi2 <= lo1):
        def box(lo, hi):
            return " / ".join(f"{a:.0f}..{b:.0f}" for a, b in zip(lo, hi, strict=True))

        msg = (f"{where}the STIR and the T1 do not overlap in space (T1 x/y/z mm "
               f"{box(lo1, hi1)}, STIR {box(lo2, hi2)}); check that both come from the "
               "same examination and that neither header's geometry was lost.")
        raise ImageFileError(msg)
    data = _ori.resample_to_grid(stirv.data, stirv.affine, t1v.shape, t1v.affine,
                                 order=order, cval=np.nan)
    if not np.any(np.isfinite(data)):
        msg = (f"{where}the STIR and the T1 do not overlap in space (no T1 voxel lies inside "
               "the STIR field of view); check that both come from the same examination.")
        raise ImageFileError(msg)
    on_t1 = dataclasses.replace(stirv, data=data, affine=t1v.affine.copy(),
                                voxel_size_mm=t1v.voxel_size_mm, resampled=True)
    return Pair(t1v, on_t1, stirv)


# ---- writing ---------------------------------------------------------------------------------


def _resolved(p) -> Path:
    try:
        return Path(os.fspath(p)).expanduser().resolve()
    except TypeError:
        msg = f"`inputs` must hold file paths; got {type(p).__name__}."
        raise InputError(msg) from None


def _is_same_file(a: Path, b: Path) -> bool:
    if a == b:
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save_volume(data, affine, path, *, overwrite: bool = False, dtype=None,
                inputs=()) -> Path:
    """Write `data` with `affine` to a NIfTI file, atomically.

    The image is written to a temporary file in the destination folder and renamed onto
    `path` only when complete, so a failure never leaves a partial file. Both qform and
    sform are set (code 1, scanner) with units mm; no header free text is written.

    Parameters
    ----------
    data : ndarray, shape (I, J, K), or Volume
        A Volume supplies its own affine (pass ``affine=None``) and counts as an input.
    affine : (4, 4) array-like or None
        Voxel -> RAS+ world mm.
    path : str or Path
        Destination ending in ``.nii`` or ``.nii.gz``.
    overwrite : bool, default=False
        Replace an existing file at `path`.
    dtype : numpy dtype, optional
        On-disk type. Float data saved as an integer type get ``scl_slope``/``scl_inter``
        chosen by nibabel (NaN becomes 0). Default: the data's type (int64 -> int32,
        bool -> uint8).
    inputs : iterable of paths, default=()
        Files this output must never replace, even with ``overwrite=True``.

    Returns
    -------
    Path
        `path`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "out.nii.gz"
    >>> _ = save_volume(np.ones((2, 2, 2), np.float32), np.eye(4), out)
    >>> out.exists()
    True
    >>> save_volume(np.ones((2, 2, 2)), np.eye(4), out)
    Traceback (most recent call last):
    ...
    mri_teach.io._volume.ImageFileError: .../out.nii.gz: already exists; ...
    """
    protected = [_resolved(p) for p in ((inputs,) if isinstance(inputs, (str, os.PathLike))
                                        else inputs)]
    if isinstance(data, Volume):
        if data.path is not None:
            protected.append(_resolved(data.path))
        if affine is None:
            affine = data.affine
        data = data.data
    if affine is None:
        msg = "`affine` is required when `data` is an array."
        raise InputError(msg)
    out = _as_path(path)
    if not out.name.lower().endswith(_NIFTI_SUFFIXES):
        msg = f"{out}: output must end in .nii or .nii.gz."
        raise ImageFileError(msg)
    target = _resolved(out)
    for p in protected:
        if _is_same_file(target, p):
            msg = (f"{out}: is one of the input files; refusing to overwrite it "
                   "(choose another name).")
            raise ImageFileError(msg)
    if target.is_dir():
        msg = f"{out}: is a directory; give a file name ending in .nii.gz."
        raise ImageFileError(msg)
    if target.exists() and not overwrite:
        msg = f"{out}: already exists; pass overwrite=True to replace it."
        raise ImageFileError(msg)
    aff = _ori.check_affine(affine)
    arr = np.asanyarray(data)
    if arr.ndim != 3:
        msg = f"`data` must be a 3D array; got shape {arr.shape}."
        raise InputError(msg)
    if dtype is None:
        if arr.dtype == bool:
            arr = arr.astype(np.uint8)
        elif arr.dtype in (np.int64, np.uint64):
            if arr.size and (arr.min() < np.iinfo(np.int32).min
                             or arr.max() > np.iinfo(np.int32).max):
                msg = "`data` int64 values do not fit int32; pass dtype=np.float32."
                raise InputError(msg)
            arr = arr.astype(np.int32)
        disk_dtype = arr.dtype
    else:
        disk_dtype = np.dtype(dtype)
    img = nib.Nifti1Image(arr, aff, dtype=disk_dtype)
    img.set_qform(aff, code=1)
    img.set_sform(aff, code=1)
    img.header.set_xyzt_units("mm", "sec")
    target.parent.mkdir(parents=True, exist_ok=True)
    suffix = ".nii.gz" if out.name.lower().endswith(".gz") else ".nii"
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=suffix, prefix=".tmp-mri-teach-")
    os.close(fd)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # NaN -> int casting noise
            nib.save(img, tmp)
        os.chmod(tmp, 0o666 & ~_current_umask())
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out


# ---- header_info (mri-teach info) ----------------------------------------------------------


def _xform_name(code: int) -> str:
    try:
        return str(nib.nifti1.xform_codes.label[code])
    except KeyError:
        return "invalid"


def header_info(path, *, max_voxels: int = MAX_VOXELS, include_text: bool = False) -> dict:
    """Describe a NIfTI file for ``mri-teach info``: geometry, type, value range, warnings.

    Runs the same file and header checks as :func:`load_volume` (and raises the same
    :class:`ImageFileError`), then reads the data for the value range. Constant and
    all-NaN images are reported as warnings rather than errors (an empty mask is a valid
    file). Header free text (``descrip``, ``aux_file``, ...) is only included when
    `include_text` is true, because it often holds patient details.

    Returns
    -------
    dict
        ``path, format, compressed, shape, ras_shape, voxel_size_mm, axcodes, dtype,
        scl_slope, scl_inter, min, max, n_nonfinite, qform_code, qform_name, sform_code,
        sform_name, geometry_source, oblique_deg, extent_mm`` (world RAS+ x/y/z ranges of
        the field of view, voxel edges included) ``, affine, warnings`` (list of str) and, with
        `include_text`, ``header_text`` (dict of the free-text fields).

    Examples
    --------
    >>> import tempfile, pathlib, nibabel as nib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.nii"
    >>> nib.save(nib.Nifti1Image(np.arange(8, dtype=np.int16).reshape(2, 2, 2),
    ...                          np.diag([-1.0, -1.0, 1.0, 1.0])), p)
    >>> info = header_info(p)
    >>> info["axcodes"], info["shape"], info["dtype"], info["min"], info["max"]
    ('LPS', (2, 2, 2), 'int16', 0.0, 7.0)
    >>> "descrip" in str(info)
    False
    """
    path, img, meta = _open(path, max_voxels)
    data, affine_ras, n_bad = _read_ras(path, img, meta)
    vmin, vmax = _value_range(data, n_bad)
    hdr = img.header
    affine = meta["affine"]
    codes = "".join(_ori.axcodes(affine))
    sizes = _ori.voxel_sizes(affine)
    oblique = _ori.obliquity_deg(affine)
    stored_hdr = meta["header"]
    slope_raw = float(stored_hdr["scl_slope"])
    slope = float(getattr(img.dataobj, "slope", 1.0))
    inter = float(getattr(img.dataobj, "inter", 0.0))
    notes: list[str] = []
    if meta["geometry_source"] == "none":
        notes.append("no qform or sform: left/right is unknown (nibabel assumes LAS); "
                     "do not trust the side")
    if oblique > 0.01:
        notes.append(f"oblique: voxel axes up to {oblique:.1f} deg from the scanner axes; "
                     "shown in the closest RAS+ orientation without resampling")
    if meta["sform_code"] and meta["qform_code"]:
        q = hdr.get_qform()
        diff = float(np.abs(q - affine).max())
        if diff > 1e-3:
            notes.append(f"qform and sform differ (up to {diff:.3g} mm); mri_teach and nibabel "
                         "use the sform, some viewers use the qform")
    if codes != "RAS":
        notes.append(f"stored as {codes}; reoriented to RAS+ on load (flips/axis swaps only)")
    if len(meta["shape"]) > 3:
        notes.append("4D with a single volume; loaded as 3D")
    ratio = max(sizes) / min(sizes)
    if ratio > 1.5:
        notes.append(f"anisotropic voxels ({ratio:.1f}:1); reformatted planes look blocky")
    pix = np.array(meta["pixdim"])
    if meta["geometry_source"] == "sform" and not np.allclose(pix, sizes, rtol=0.01):
        notes.append("header pixdim differs from the sform voxel sizes; the sform is used")
    if int(stored_hdr["vox_offset"]) < _data_offset(img, meta):
        notes.append(f"vox_offset {int(stored_hdr['vox_offset'])} is inside the header; "
                     f"data read from byte {_data_offset(img, meta)} (NIfTI minimum)")
    if slope_raw == 0:
        notes.append("scl_slope is 0: stored values are used unscaled (NIfTI rule)")
    elif math.isfinite(slope_raw) and (abs(slope) > 1e4 or abs(slope) < 1e-4 or
                                       abs(inter) > 1e6):
        notes.append(f"unusual intensity scaling (scl_slope {slope:g}, scl_inter {inter:g}); "
                     "check the values are what you expect")
    elif not math.isfinite(slope_raw) and not math.isnan(slope_raw):
        notes.append("scl_slope is infinite: ignored, stored values used unscaled")
    if n_bad:
        notes.append(f"{n_bad} NaN/Inf voxels ({100.0 * n_bad / data.size:.2g}%), treated as "
                     "missing")
    if n_bad == data.size:
        notes.append("every voxel is NaN/Inf: load_volume will refuse this file")
    elif vmin == vmax:
        notes.append(f"constant image (every voxel {vmin:g}): not usable as an intensity "
                     "image (fine as an empty mask)")
    text = {}
    fields = stored_hdr.keys()
    for key in _FREE_TEXT_FIELDS:
        if key not in fields:  # NIfTI-2 has no db_name
            continue
        raw = stored_hdr[key].item()
        text[key] = raw.decode("latin-1", "replace").strip("\x00 ") if isinstance(
            raw, bytes) else str(raw)
    if hdr.extensions:
        text["extensions"] = f"{len(hdr.extensions)} extension(s), not decoded"
    if not include_text and any(text.values()):
        notes.append("header free text present but not shown (privacy; use "
                     "--show-header-text)")
    info = {
        "path": str(path),
        "format": f"NIfTI-{meta['version']}",
        "compressed": bool(meta["compressed"]),
        "shape": meta["shape"],
        "ras_shape": tuple(int(n) for n in data.shape),
        "voxel_size_mm": sizes,
        "axcodes": codes,
        "dtype": str(meta["dtype"].newbyteorder("=")),
        "scl_slope": slope,
        "scl_inter": inter,
        "min": None if math.isnan(vmin) else vmin,
        "max": None if math.isnan(vmax) else vmax,
        "n_nonfinite": n_bad,
        "qform_code": meta["qform_code"],
        "qform_name": _xform_name(meta["qform_code"]),
        "sform_code": meta["sform_code"],
        "sform_name": _xform_name(meta["sform_code"]),
        "geometry_source": meta["geometry_source"],
        "oblique_deg": oblique,
        "extent_mm": [[float(a), float(b)] for a, b in
                      zip(*_world_box(data.shape, affine_ras), strict=True)],
        "affine": [[float(v) for v in row] for row in affine],
        "warnings": notes,
    }
    if include_text:
        info["header_text"] = text
    return info
