"""Sample cases of the synthetic pelvis: a registry, case folders on disk, and a loader (L3).

A *case folder* holds five files::

    t1.nii.gz      T1-weighted image, int16 with ``scl_slope`` (the float signal is kept)
    stir.nii.gz    STIR image, int16 with ``scl_slope`` (may be on its own, thicker grid)
    labels.nii.gz  label map, int16, on the T1 grid
    labels.json    label value -> label name (sides come from the names, never parity)
    truth.json     ground truth from the phantom's time course: cause, side, days, time
                   stage (domain.md 1.4), affected muscles, per-muscle tissue values and the
                   noise-free T1/STIR ratios and volume ratio; plus ``params`` (the phantom
                   parameters), ``storage`` (int16 scaling) and ``mri_teach_version``

:data:`SAMPLES` names the teaching cases. In a source checkout some of them are shipped in
``sample_data/<name>/``; every other case, and every case when mri_teach is installed from a
wheel (which does not include ``sample_data/``), is rebuilt from its seed by
:func:`load_sample` into a user cache folder (``$MRI_TEACH_CACHE`` or
``~/.cache/mri_teach/samples``). The phantom is deterministic for a seed, so a rebuilt case
has the same voxel values as the shipped one (checked by ``tests/test_datasets.py``).

This module writes files but never prints; the command line (``mri-teach synth``) reports
progress through the `progress` callback of :func:`write_samples`.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import nibabel as nib
import numpy as np

from mri_teach import __version__, io
from mri_teach._files import replace_dir
from mri_teach._validation import InputError, check_choice

__all__ = [
    "CASE_FILES",
    "SAMPLES",
    "SHIPPED_SAMPLES",
    "Sample",
    "SampleCase",
    "array_digest",
    "cache_dir",
    "case_digests",
    "encoded_arrays",
    "expected_digests",
    "load_case",
    "load_sample",
    "make_sample",
    "repo_sample_dir",
    "write_case",
    "write_samples",
]

#: The files of a case folder, in the order they are written.
CASE_FILES = ("t1.nii.gz", "stir.nii.gz", "labels.nii.gz", "labels.json", "truth.json")
_IMAGE_FILES = CASE_FILES[:3]

#: Quantisation step of the stored int16 images as a fraction of the Rician noise sigma of
#: that image (``params["noise_sigma"]`` of the case). Rounding adds a uniform error of
#: variance step**2 / 12 = sigma**2 / 12, i.e. +4 % noise SD (SNR 30 -> 28.8), which no reader
#: can see and which the noise itself dithers (ROI means stay unbiased); it keeps the gzip
#: files small: noise is incompressible, and storing it finer than sigma costs about one more
#: bit per voxel for every halving of the step.
QUANT_STEP_PER_SIGMA = 1.0
#: zlib level of the ``.nii.gz`` files (nibabel's default is 1; 6 is about 8 % smaller).
GZIP_LEVEL = 6


@dataclass(frozen=True)
class Sample:
    """One teaching case: its name, a one-line description and its ``make_case`` arguments.

    Attributes
    ----------
    name : str
    description : str
    params : mapping
        Keyword arguments of :func:`mri_teach.phantom.make_case`, including ``rng`` (the
        integer seed).
    """

    name: str
    description: str
    params: Mapping[str, Any]

    @property
    def seed(self) -> int:
        return int(self.params["rng"])


def _sample(name: str, description: str, **params: Any) -> Sample:
    base = {"field_t": 1.5, "preset": "default", "side": "right", "days": 0.0,
            "cause": "none"}
    base.update(params)
    return Sample(name, description, MappingProxyType(base))


#: The teaching cases (name -> :class:`Sample`). The three superior-gluteal cases share a
#: seed, so they are one individual followed over time.
SAMPLES: Mapping[str, Sample] = MappingProxyType({
    s.name: s
    for s in (
        _sample("normal", "Normal adult pelvis, no lesion (compare sides and sequences).",
                cause="none", rng=1),
        _sample("sgn_subacute",
                "Motivating case: right superior gluteal nerve lesion, 3 months "
                "(STIR up, mild T1 rise in Gmed, Gmin, TFL).",
                cause="superior_gluteal", side="right", days=90.0, rng=0),
        _sample("sgn_acute",
                "Right superior gluteal nerve lesion, 3 weeks (STIR up, T1 normal).",
                cause="superior_gluteal", side="right", days=21.0, rng=0),
        _sample("sgn_chronic",
                "Right superior gluteal nerve lesion, 18 months without reinnervation "
                "(fatty atrophy of Gmed, Gmin, TFL).",
                cause="superior_gluteal", side="right", days=540.0, rng=0),
        _sample("inferior_gluteal",
                "Left inferior gluteal nerve lesion, 3 months (gluteus maximus alone).",
                cause="inferior_gluteal", side="left", days=90.0, rng=2),
        _sample("sacral_plexus",
                "Right sacral plexopathy, 4 months (gluteals, piriformis, obturator "
                "internus, quadratus femoris, hamstrings; paraspinals spared).",
                cause="sacral_plexus", side="right", days=120.0, rng=3),
        _sample("abductor_tendon_tear",
                "Mimic: chronic right gluteus medius/minimus tendon tear (fatty atrophy "
                "without edema, TFL enlarged), not a nerve lesion.",
                cause="abductor_tendon_tear", side="right", days=365.0, rng=4),
    )
})

#: Cases whose files are committed in ``sample_data/`` (the rest are rebuilt on demand, to
#: keep the repository small).
SHIPPED_SAMPLES = ("sgn_subacute",)


@dataclass(frozen=True, eq=False)
class SampleCase:
    """A case folder loaded in RAS+ voxel order.

    Attributes
    ----------
    t1, stir : mri_teach.io.Volume
        Named ``"T1"`` and ``"STIR"``; the STIR is on its own stored grid.
    labels : LabelMap or ndarray
        :class:`mri_teach.io.LabelMap` when available; otherwise an int array on the T1 grid.
    label_table : dict of int to str
    truth : dict
        Contents of ``truth.json``: the phantom's ground truth (``cause``, ``side``,
        ``days``, ``time_stage``, ``affected``, ``muscles`` ...) plus ``params`` (the
        phantom parameters), ``storage`` (int16 scaling) and ``mri_teach_version``.
    folder : pathlib.Path
    """

    t1: io.Volume
    stir: io.Volume
    labels: Any
    label_table: dict[int, str]
    truth: dict[str, Any]
    folder: Path = field(repr=True)

    @property
    def label_data(self) -> np.ndarray:
        """Label array (RAS+, on the T1 grid), whatever type `labels` has."""
        return np.asarray(getattr(self.labels, "data", self.labels))


# --- writing -----------------------------------------------------------------------------

def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value) if isinstance(value, (set, frozenset)) else value
        return [_jsonable(v) for v in items]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if isinstance(value, Path):
        return value.name
    return repr(value)


def _json_text(obj: Any) -> str:
    return json.dumps(_jsonable(obj), indent=2, sort_keys=True, allow_nan=False) + "\n"


def _noise_sigma(case: Any, which: str) -> float | None:
    """Rician sigma of image `which` ('t1'/'stir') if the phantom recorded it."""
    params = getattr(case, "params", {}) or {}
    for key in (f"sigma_{which}", f"noise_sigma_{which}", f"{which}_sigma"):
        value = params.get(key)
        if value is not None and np.isfinite(value) and float(value) > 0:
            return float(value)
    noise = params.get("noise_sigma", params.get("noise"))
    if isinstance(noise, Mapping):
        value = noise.get(which, noise.get(f"sigma_{which}"))
        if value is not None and np.isfinite(value) and float(value) > 0:
            return float(value)
    return None


def _int16_scaling(data: np.ndarray, sigma: float | None) -> float:
    """Slope so that ``round(data / slope)`` fits int16 and resolves the noise."""
    finite = data[np.isfinite(data)]
    peak = float(np.max(np.abs(finite))) if finite.size else 0.0
    full_range = peak / 32000.0 if peak > 0 else 1.0
    if sigma is None:
        return full_range
    return max(sigma * QUANT_STEP_PER_SIGMA, full_range)


def _to_int16(data: np.ndarray, slope: float) -> np.ndarray:
    scaled = np.nan_to_num(np.asarray(data, np.float64) / slope, nan=0.0)
    return np.clip(np.rint(scaled), -32768, 32767).astype(np.int16)


def _nifti(data: np.ndarray, affine: np.ndarray, *, slope: float | None) -> nib.Nifti1Image:
    img = nib.Nifti1Image(data, np.asarray(affine, float))
    img.set_qform(affine, code=1)
    img.set_sform(affine, code=1)
    img.header.set_xyzt_units("mm")
    if slope is not None:
        img.header.set_slope_inter(slope, 0.0)
    return img


@dataclass(frozen=True, eq=False)
class _Encoded:
    # file -> (int16 array, affine, scl_slope or None)
    arrays: dict[str, tuple[np.ndarray, np.ndarray, float | None]]
    texts: dict[str, str]  # file -> JSON text


def _encode(case: Any) -> _Encoded:
    """Validate `case` and turn it into the exact contents of its case folder."""
    t1 = np.asarray(case.t1)
    stir = np.asarray(case.stir)
    labels = np.asarray(case.labels)
    if t1.ndim != 3 or stir.ndim != 3 or labels.shape != t1.shape:
        msg = (f"case arrays must be 3D with labels on the T1 grid; got t1 {t1.shape}, "
               f"stir {stir.shape}, labels {labels.shape}")
        raise InputError(msg)
    table = {int(k): str(v) for k, v in dict(case.label_table).items()}
    values = np.unique(labels)
    unknown = sorted(int(v) for v in values if v != 0 and int(v) not in table)
    if unknown:
        msg = f"label values {unknown[:10]} have no name in `label_table`"
        raise InputError(msg)
    if values.size and (values.min() < -32768 or values.max() > 32767):
        msg = "label values must fit int16"
        raise InputError(msg)
    slopes = {"t1": _int16_scaling(t1, _noise_sigma(case, "t1")),
              "stir": _int16_scaling(stir, _noise_sigma(case, "stir"))}
    storage = {
        "t1.nii.gz": {"dtype": "int16", "scl_slope": slopes["t1"], "scl_inter": 0.0},
        "stir.nii.gz": {"dtype": "int16", "scl_slope": slopes["stir"], "scl_inter": 0.0},
        "labels.nii.gz": {"dtype": "int16"},
        "quantisation": f"step = {QUANT_STEP_PER_SIGMA} x noise sigma (or max/32000)",
    }
    extra = {"params": dict(getattr(case, "params", {}) or {}), "storage": storage,
             "mri_teach_version": __version__}
    truth = dict(case.truth)
    clash = sorted(set(truth) & set(extra))
    if clash:
        msg = f"`truth` must not use the keys {clash} (truth.json adds them)"
        raise InputError(msg)
    document = {**truth, **extra}
    arrays = {
        "t1.nii.gz": (_to_int16(t1, slopes["t1"]), np.asarray(case.affine, float),
                      slopes["t1"]),
        "stir.nii.gz": (_to_int16(stir, slopes["stir"]), np.asarray(case.stir_affine, float),
                        slopes["stir"]),
        "labels.nii.gz": (labels.astype(np.int16), np.asarray(case.affine, float), None),
    }
    texts = {"labels.json": _json_text({str(k): v for k, v in sorted(table.items())}),
             "truth.json": _json_text(document)}
    return _Encoded(arrays, texts)


def _digest_array(data: np.ndarray) -> str:
    data = np.ascontiguousarray(data)
    h = hashlib.sha256()
    h.update(f"{data.dtype.str}{data.shape}".encode())
    h.update(data.tobytes())
    return h.hexdigest()


def write_case(case: Any, folder, *, overwrite: bool = False) -> Path:
    """Write a phantom case as a case folder (see the module docstring), atomically.

    The files are written into a temporary folder beside `folder`, which is then renamed,
    so a failure never leaves a half-written case.

    Parameters
    ----------
    case : mri_teach.phantom.Case
        Anything with ``t1``, ``stir`` (float arrays), ``labels`` (int array),
        ``affine``, ``stir_affine``, ``label_table`` and ``truth`` (and optionally
        ``params``).
    folder : str or path-like
    overwrite : bool, default=False
        Replace an existing non-empty `folder`.

    Returns
    -------
    folder : pathlib.Path

    Raises
    ------
    InputError
        If `folder` exists and is not empty (and `overwrite` is false), or is a file.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        msg = f"{folder}: exists and is not a folder; choose another output folder"
        raise InputError(msg)
    if folder.is_dir() and any(folder.iterdir()) and not overwrite:
        msg = (f"{folder}: folder exists and is not empty; pass overwrite=True "
               "(--overwrite) to replace it, or choose another folder")
        raise InputError(msg)
    encoded = _encode(case)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{folder.name}-", dir=folder.parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; a case folder is not
        for name, (data, affine, slope) in encoded.arrays.items():
            raw = _nifti(data, affine, slope=slope).to_bytes()
            # gzip with mtime=0: the same case gives the same bytes
            (tmp / name).write_bytes(gzip.compress(raw, compresslevel=GZIP_LEVEL, mtime=0))
        for name, text in encoded.texts.items():
            (tmp / name).write_text(text, encoding="utf-8")
        replace_dir(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return folder


def encoded_arrays(case: Any) -> dict[str, np.ndarray]:
    """The stored int16 arrays (before ``scl_slope``) that :func:`write_case` would write."""
    return {name: data for name, (data, _, _) in _encode(case).arrays.items()}


def expected_digests(case: Any) -> dict[str, str]:
    """What :func:`case_digests` would return for the folder :func:`write_case` writes.

    Computed in memory (no gzip), so checking a shipped case against a rebuild is fast.
    """
    encoded = _encode(case)
    out = {name: _digest_array(data) for name, (data, _, _) in encoded.arrays.items()}
    out.update({name: hashlib.sha256(text.encode("utf-8")).hexdigest()
                for name, text in encoded.texts.items()})
    return {name: out[name] for name in CASE_FILES}


# --- samples -----------------------------------------------------------------------------

def _check_name(name: str) -> Sample:
    check_choice(name, tuple(SAMPLES), name="name")
    return SAMPLES[name]


def make_sample(name: str, **overrides: Any):
    """Build sample `name` with the phantom (in memory; nothing is written).

    Parameters
    ----------
    name : str
        One of :data:`SAMPLES`.
    **overrides
        Replace some ``make_case`` arguments (e.g. ``preset="fast"`` for a quick look);
        the result then differs from the registered sample.

    Returns
    -------
    case : mri_teach.phantom.Case
    """
    from mri_teach import phantom  # imported on first use: building a case is heavy

    sample = _check_name(name)
    params = {**sample.params, **overrides}
    return phantom.make_case(**params)


def write_samples(root, names: Iterable[str] | None = None, *, overwrite: bool = False,
                  progress: Callable[[int, int, str], None] | None = None,
                  **overrides: Any) -> list[Path]:
    """Build and write several samples as ``root/<name>/`` case folders.

    Parameters
    ----------
    root : str or path-like
    names : iterable of str, optional
        Default: every sample in :data:`SAMPLES`.
    overwrite : bool, default=False
    progress : callable, optional
        Called as ``progress(done, total, name)`` before each case (``done`` cases
        finished) and once at the end with ``name=""``.
    **overrides
        Passed to :func:`make_sample`.

    Returns
    -------
    folders : list of pathlib.Path
    """
    root = Path(root)
    names = list(SAMPLES) if names is None else list(names)
    for name in names:
        _check_name(name)
    if not overwrite:  # refuse before spending minutes on the first cases
        for name in names:
            folder = root / name
            if folder.is_dir() and any(folder.iterdir()):
                msg = (f"{folder}: folder exists and is not empty; pass overwrite=True "
                       "(--overwrite) to replace it")
                raise InputError(msg)
    folders = []
    for done, name in enumerate(names):
        if progress is not None:
            progress(done, len(names), name)
        case = make_sample(name, **overrides)
        folders.append(write_case(case, root / name, overwrite=overwrite))
    if progress is not None:
        progress(len(names), len(names), "")
    return folders


def repo_sample_dir() -> Path:
    """``sample_data/`` of a source checkout (it may not exist in an installed package)."""
    return Path(__file__).resolve().parents[1] / "sample_data"


def cache_dir() -> Path:
    """Folder for rebuilt samples: ``$MRI_TEACH_CACHE`` or ``~/.cache/mri_teach/samples``.

    Rebuilt cases are stored under a subfolder per mri_teach version, so an upgrade never
    reuses images made by an older phantom.
    """
    env = os.environ.get("MRI_TEACH_CACHE")
    base = Path(env).expanduser() if env else Path.home() / ".cache" / "mri_teach" / "samples"
    return base / __version__


def _is_complete(folder: Path) -> bool:
    return all((folder / f).is_file() for f in CASE_FILES)


def _read_table(path: Path) -> dict[int, str]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {int(k): str(v) for k, v in raw.items()}


def load_case(folder) -> SampleCase:
    """Load a case folder written by :func:`write_case` (or ``mri-teach synth``).

    Raises
    ------
    mri_teach.io.ImageFileError
        If a file of the case folder is missing.
    """
    folder = Path(folder)
    missing = [f for f in CASE_FILES if not (folder / f).is_file()]
    if missing:
        msg = (f"{folder}: not a complete case folder (missing {', '.join(missing)}); "
               "rebuild it with `mri-teach synth`")
        raise io.ImageFileError(msg)
    t1 = io.load_volume(folder / "t1.nii.gz", name="T1")
    stir = io.load_volume(folder / "stir.nii.gz", name="STIR")
    table = _read_table(folder / "labels.json")
    load_labels = getattr(io, "load_labels", None)
    if load_labels is not None:
        labels = load_labels(folder / "labels.nii.gz", table=table)
    else:  # pragma: no cover - only before mri_teach.io gains label maps
        img = nib.as_closest_canonical(nib.load(folder / "labels.nii.gz"))
        labels = np.asarray(img.dataobj).astype(np.int32)
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    return SampleCase(t1, stir, labels, table, truth, folder)


def load_sample(name: str, *, folder=None) -> SampleCase:
    """Load a teaching case, rebuilding it from its seed when its files are absent.

    Looks in `folder` if given, else in ``sample_data/<name>/`` of a source checkout, else
    in :func:`cache_dir`. When the files are not there, the case is rebuilt with the
    phantom (deterministic for its seed) and written there first (this takes a few seconds).

    Parameters
    ----------
    name : str
        One of :data:`SAMPLES`: ``'normal'``, ``'sgn_subacute'`` (the motivating case),
        ``'sgn_acute'``, ``'sgn_chronic'``, ``'inferior_gluteal'``, ``'sacral_plexus'``,
        ``'abductor_tendon_tear'``.
    folder : str or path-like, optional
        Case folder to read, or to build the case into.

    Returns
    -------
    SampleCase

    Examples
    --------
    >>> sorted(SAMPLES)[:3]
    ['abductor_tendon_tear', 'inferior_gluteal', 'normal']
    >>> load_sample("sgn_3mo")
    Traceback (most recent call last):
    ...
    mri_teach._validation.InputError: `name` must be one of 'normal', 'sgn_subacute', ...
    """
    _check_name(name)
    if folder is not None:
        target = Path(folder)
    else:
        shipped = repo_sample_dir() / name
        target = shipped if _is_complete(shipped) else cache_dir() / name
    if not _is_complete(target):
        write_case(make_sample(name), target, overwrite=True)
    return load_case(target)


# --- digests -----------------------------------------------------------------------------

def array_digest(path) -> str:
    """sha256 of the stored (integer) voxel array of a NIfTI file, independent of gzip.

    The digest covers dtype, shape and the raw stored values (before ``scl_slope``), so two
    files with the same voxels agree even if their gzip streams differ.
    """
    img = nib.load(Path(path))
    data = np.asanyarray(img.dataobj.get_unscaled() if hasattr(img.dataobj, "get_unscaled")
                         else img.dataobj)
    return _digest_array(data)


def case_digests(folder) -> dict[str, str]:
    """sha256 of each file of a case folder: decoded arrays for NIfTI, bytes for JSON."""
    folder = Path(folder)
    out = {}
    for name in CASE_FILES:
        path = folder / name
        if name in _IMAGE_FILES:
            out[name] = array_digest(path)
        else:
            out[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out
