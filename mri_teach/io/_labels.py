"""Label maps and label-table formats (part of layer L2 ``io``).

A label map is an integer NIfTI volume plus a table ``{value: name}``. Names follow
``<structure>_<side>`` (``gluteus_medius_right``) and the **side always comes from the name**
(:func:`mri_teach.anatomy.parse_name`), never from whether a value is odd or even: MuscleMap's
whole-body model puts left on odd values (gluteus medius L/R = 6111/6112) while its abdomen
model puts right on odd values (multifidus R/L = 1/2); both were checked against the affine
of the files in ``../shared/data/real`` (SOURCES.md).

Supported tables:

* JSON ``{"1": "gluteus_medius_right", ...}`` (also ``{"gluteus_medius_right": 1}``);
* ITK-SNAP label description files (``IDX -R- -G- -B- -A-- VIS MSH "LABEL"``), read and
  written;
* TotalSegmentator: class names from the NIfTI header extension when present (its Caret XML
  ``<LabelTable>``), else the built-in :data:`TOTALSEG_TOTAL` (CT task ``total``) or
  :data:`TOTALSEG_TOTAL_MR` (task ``total_mr``) tables of the pelvic classes (domain.md 7;
  values read from the example outputs in ``../shared/data/real/totalsegmentator``); or a
  folder of per-structure masks such as ``gluteus_medius_left.nii.gz``;
* MuscleMap ids (:data:`MUSCLEMAP_LABELS`, domain.md 7).

Label maps are reoriented to RAS+ voxel order on load without interpolation (an axis
permutation and flips, ``nibabel.as_closest_canonical``).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nibabel as nib
import numpy as np

from mri_teach._validation import InputError
from mri_teach.anatomy import parse_name
from mri_teach.io._volume import ImageFileError

__all__ = [
    "LabelMap",
    "LabelFileError",
    "load_labels",
    "save_labels",
    "read_label_table",
    "write_label_table",
    "read_itksnap_labels",
    "write_itksnap_labels",
    "load_totalsegmentator",
    "MUSCLEMAP_LABELS",
    "MUSCLEMAP_ABDOMEN_LABELS",
    "TOTALSEG_TOTAL",
    "TOTALSEG_TOTAL_MR",
    "NAMED_TABLES",
]


class LabelFileError(ImageFileError):
    """A label map or label table that cannot be used (names the file and the fix)."""


# --- built-in tables -----------------------------------------------------------------------

#: MuscleMap whole-body model ids (domain.md 7; McKay 2024 README). Left = odd for the 61xx
#: pairs, verified with centroids on ``musclemap/images/test_dseg.nii.gz`` (6111 at x = -143 mm,
#: 6112 at x = +130 mm). Piriformis, obturator internus and gemelli+QF ids are from domain.md 7
#: and follow the same order; they are not present in the test file.
MUSCLEMAP_LABELS: dict[int, str] = {
    6101: "gluteus_minimus_left",
    6102: "gluteus_minimus_right",
    6111: "gluteus_medius_left",
    6112: "gluteus_medius_right",
    6121: "gluteus_maximus_left",
    6122: "gluteus_maximus_right",
    6131: "tensor_fasciae_latae_left",
    6132: "tensor_fasciae_latae_right",
    6141: "iliacus_left",
    6142: "iliacus_right",
    6151: "ilium_left",
    6152: "ilium_right",
    6160: "sacrum",
    6171: "femur_left",
    6172: "femur_right",
    6181: "piriformis_left",
    6182: "piriformis_right",
    6201: "obturator_internus_left",
    6202: "obturator_internus_right",
    6221: "quadratus_femoris_left",
    6222: "quadratus_femoris_right",
}

#: MuscleMap abdomen model (right on odd values; SOURCES.md, checked: label 1 at x = +12.8 mm).
MUSCLEMAP_ABDOMEN_LABELS: dict[int, str] = {
    1: "multifidus_right",
    2: "multifidus_left",
    3: "erector_spinae_right",
    4: "erector_spinae_left",
    5: "psoas_right",
    6: "psoas_left",
    7: "quadratus_lumborum_right",
    8: "quadratus_lumborum_left",
}

#: TotalSegmentator task ``total`` (CT, v2) pelvic classes, read from the header extension of
#: ``example_seg_fast_force_split.nii.gz`` (domain.md 7; SOURCES.md).
TOTALSEG_TOTAL: dict[int, str] = {
    21: "urinary_bladder",
    22: "prostate",
    25: "sacrum",
    26: "vertebrae_S1",
    27: "vertebrae_L5",
    65: "iliac_artery_left",
    66: "iliac_artery_right",
    67: "iliac_vena_left",
    68: "iliac_vena_right",
    75: "femur_left",
    76: "femur_right",
    77: "hip_left",
    78: "hip_right",
    80: "gluteus_maximus_left",
    81: "gluteus_maximus_right",
    82: "gluteus_medius_left",
    83: "gluteus_medius_right",
    84: "gluteus_minimus_left",
    85: "gluteus_minimus_right",
    86: "autochthon_left",
    87: "autochthon_right",
    88: "iliopsoas_left",
    89: "iliopsoas_right",
}

#: TotalSegmentator task ``total_mr`` pelvic classes, read from the header extension of
#: ``example_seg_mr.nii.gz`` (domain.md 7: gluteals 40-45; no TFL, piriformis or obturators).
TOTALSEG_TOTAL_MR: dict[int, str] = {
    16: "urinary_bladder",
    17: "prostate",
    18: "sacrum",
    26: "iliac_artery_left",
    27: "iliac_artery_right",
    28: "iliac_vena_left",
    29: "iliac_vena_right",
    36: "femur_left",
    37: "femur_right",
    38: "hip_left",
    39: "hip_right",
    40: "gluteus_maximus_left",
    41: "gluteus_maximus_right",
    42: "gluteus_medius_left",
    43: "gluteus_medius_right",
    44: "gluteus_minimus_left",
    45: "gluteus_minimus_right",
    46: "autochthon_left",
    47: "autochthon_right",
    48: "iliopsoas_left",
    49: "iliopsoas_right",
}

#: Tables that can be named instead of given (``table="musclemap"``).
NAMED_TABLES: dict[str, dict[int, str]] = {
    "musclemap": MUSCLEMAP_LABELS,
    "musclemap_abdomen": MUSCLEMAP_ABDOMEN_LABELS,
    "total": TOTALSEG_TOTAL,
    "total_mr": TOTALSEG_TOTAL_MR,
}


# --- record --------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class LabelMap:
    """An integer label map in RAS+ voxel order with its ``{value: name}`` table.

    Attributes
    ----------
    data : ndarray of int32, shape (I, J, K)
    affine : ndarray of shape (4, 4)
        Voxel index -> RAS+ mm.
    table : dict of int -> str
        Names of the label values (0 = background is never listed).
    voxel_size_mm : tuple of 3 float
    original_axcodes : tuple of 3 str
    table_source : str
        Where the names came from (``'given'``, ``'json'``, ``'itksnap'``,
        ``'nifti-extension'``, ``'musclemap'``, ``'total'``, ``'total_mr'``, ``'folder'``).

    Examples
    --------
    >>> lm = LabelMap(np.array([[[0, 1], [2, 2]]]), np.eye(4), {1: "gluteus_medius_right"})
    >>> lm.shape, lm.values_present()
    ((1, 2, 2), (1, 2))
    >>> lm.unnamed_values()
    (2,)
    """

    data: np.ndarray
    affine: np.ndarray
    table: dict = field(default_factory=dict)
    voxel_size_mm: tuple = (1.0, 1.0, 1.0)
    original_axcodes: tuple = ("R", "A", "S")
    table_source: str = "given"
    path: Path | None = field(default=None, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "data", np.asarray(self.data, dtype=np.int32))
        object.__setattr__(self, "affine", np.asarray(self.affine, dtype=float))
        object.__setattr__(self, "table", {int(k): str(v) for k, v in self.table.items()})

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.data.shape)  # type: ignore[return-value]

    def values_present(self) -> tuple[int, ...]:
        """Non-zero values present in the map, ascending."""
        v = np.unique(self.data)
        return tuple(int(x) for x in v if x != 0)

    def unnamed_values(self) -> tuple[int, ...]:
        """Values present in the map but missing from the table."""
        return tuple(v for v in self.values_present() if v not in self.table)

    def value_of(self, name: str) -> int | None:
        """Label value of `name` (compared after :func:`anatomy.parse_name`), or None."""
        target = parse_name(name)
        for value, n in self.table.items():
            if n == name or parse_name(n) == target:
                return value
        return None


# --- tables --------------------------------------------------------------------------------


def _atomic_write_text(path: Path, text: str, *, overwrite: bool) -> Path:
    path = Path(path)
    if path.exists() and not overwrite:
        msg = f"{path}: already exists; pass overwrite=True (or choose another name) to replace it"
        raise LabelFileError(msg)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _table_from_mapping(mapping: dict, *, source: str) -> dict[int, str]:
    table: dict[int, str] = {}
    for key, val in mapping.items():
        if isinstance(val, (int, np.integer)) and not isinstance(val, bool):
            key, val = val, key  # {"name": 1} form
        try:
            value = int(key)
        except (TypeError, ValueError):
            msg = (f"{source}: label table key {key!r} is not an integer label value; use "
                   '{"1": "gluteus_medius_right", ...}')
            raise LabelFileError(msg) from None
        if value == 0:
            continue
        if not isinstance(val, str) or not val.strip():
            msg = f"{source}: label {value} has no usable name ({val!r})."
            raise LabelFileError(msg)
        table[value] = val.strip()
    return table


def read_itksnap_labels(path) -> dict[int, str]:
    """Read an ITK-SNAP label description file into ``{value: name}`` (0 is skipped).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "labels.txt"
    >>> _ = p.write_text('# ITK-SNAP\\n 0 0 0 0 0 0 0 "Clear Label"\\n'
    ...                  ' 3 255 0 0 1 1 1 "gluteus_medius_right"\\n')
    >>> read_itksnap_labels(p)
    {3: 'gluteus_medius_right'}
    """
    path = Path(path)
    table: dict[int, str] = {}
    pattern = re.compile(r'^\s*(\d+)\s+(?:[-+\d.eE]+\s+){6}"(.*)"\s*$')
    for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = pattern.match(line)
        if m is None:
            msg = (f"{path}: line {n} is not an ITK-SNAP label line "
                   '(IDX R G B A VIS MSH "LABEL"): {line.strip()[:60]!r}')
            raise LabelFileError(msg)
        value = int(m.group(1))
        if value != 0:
            table[value] = m.group(2).strip()
    return table


def _colour(value: int) -> tuple[int, int, int]:
    # deterministic, well-spread colours (golden-ratio hue walk), no plotting library needed
    import colorsys

    h = (value * 0.618033988749895) % 1.0
    r, g, b = colorsys.hsv_to_rgb(h, 0.75, 0.95)
    return int(r * 255), int(g * 255), int(b * 255)


def write_itksnap_labels(table: dict, path, *, overwrite: bool = False) -> Path:
    """Write ``{value: name}`` as an ITK-SNAP label description file (atomically).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "labels.txt"
    >>> _ = write_itksnap_labels({2: "tensor_fasciae_latae_left"}, p)
    >>> read_itksnap_labels(p)
    {2: 'tensor_fasciae_latae_left'}
    """
    lines = [
        "################################################",
        "# ITK-SnAP Label Description File (written by mri_teach)",
        "# IDX   -R-  -G-  -B-  -A--  VIS MSH  LABEL",
        "################################################",
        '    0     0    0    0     0  0  0    "Clear Label"',
    ]
    for value in sorted(int(v) for v in table):
        name = str(table[value]).replace('"', "'")
        r, g, b = _colour(value)
        lines.append(f'{value:5d}   {r:3d}  {g:3d}  {b:3d}     1  1  1    "{name}"')
    return _atomic_write_text(Path(path), "\n".join(lines) + "\n", overwrite=overwrite)


def read_label_table(path) -> dict[int, str]:
    """Read a label table from a JSON or ITK-SNAP file (detected from the content).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "labels.json"
    >>> _ = p.write_text('{"1": "gluteus_medius_right", "2": "gluteus_medius_left"}')
    >>> read_label_table(p)
    {1: 'gluteus_medius_right', 2: 'gluteus_medius_left'}
    """
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: label table not found; give a JSON {{value: name}} or ITK-SNAP file"
        raise LabelFileError(msg)
    text = path.read_text(encoding="utf-8", errors="replace")
    if text.lstrip().startswith(("{", "[")):
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as err:
            msg = f"{path}: not valid JSON ({err.msg} at line {err.lineno})"
            raise LabelFileError(msg) from None
        if isinstance(obj, dict) and isinstance(obj.get("labels"), dict):
            obj = obj["labels"]
        if isinstance(obj, list):  # [{"value": 1, "name": "..."}]
            try:
                obj = {int(d["value"]): d["name"] for d in obj}
            except (KeyError, TypeError, ValueError):
                msg = f'{path}: a JSON list must hold {{"value": int, "name": str}} items'
                raise LabelFileError(msg) from None
        if not isinstance(obj, dict):
            msg = f"{path}: expected a JSON object {{value: name}}"
            raise LabelFileError(msg)
        return _table_from_mapping(obj, source=str(path))
    return read_itksnap_labels(path)


def write_label_table(table: dict, path, *, overwrite: bool = False) -> Path:
    """Write ``{value: name}`` as JSON (``{"1": "gluteus_medius_right"}``), atomically."""
    obj = {str(int(k)): str(v) for k, v in sorted(table.items(), key=lambda kv: int(kv[0]))}
    return _atomic_write_text(Path(path), json.dumps(obj, indent=2) + "\n", overwrite=overwrite)


def _extension_table(img) -> dict[int, str] | None:
    """Label names stored in a NIfTI header extension (TotalSegmentator's Caret XML)."""
    for ext in getattr(img.header, "extensions", []):
        try:
            content = ext.get_content()
        except Exception:  # noqa: BLE001 - unreadable extension: ignore it
            continue
        if isinstance(content, bytes):
            content = content.decode("utf-8", errors="replace")
        if not isinstance(content, str) or "<Label" not in content:
            continue
        pairs = re.findall(r'<Label\s+Key="(\d+)"[^>]*>\s*(?:<!\[CDATA\[)?([^<\]]*)', content)
        table = {int(k): v.strip() for k, v in pairs if int(k) != 0 and v.strip()}
        if table:
            return table
    return None


# --- loading -------------------------------------------------------------------------------


def _sidecar(path: Path) -> Path:
    name = path.name
    for suffix in (".nii.gz", ".nii"):
        if name.endswith(suffix):
            return path.with_name(name[: -len(suffix)] + ".json")
    return path.with_suffix(".json")


def _read_label_image(path: Path):
    if not path.exists():
        msg = f"{path}: no such file"
        raise LabelFileError(msg)
    try:
        img = nib.load(str(path))
        raw = np.asanyarray(img.dataobj)
    except Exception as err:  # noqa: BLE001 - nibabel raises many types
        msg = f"{path}: cannot be read as a NIfTI label map ({type(err).__name__}: {err})"
        raise LabelFileError(msg) from None
    if raw.ndim == 4 and raw.shape[3] == 1:
        raw = raw[..., 0]
    if raw.ndim != 3:
        msg = f"{path}: a label map must be 3D; got shape {raw.shape}"
        raise LabelFileError(msg)
    if not np.issubdtype(raw.dtype, np.integer):
        if not np.all(np.isfinite(raw)) or not np.all(raw == np.round(raw)):
            msg = (f"{path}: label values must be whole numbers; this looks like an intensity "
                   "image (pass it as --t1/--stir, not as labels)")
            raise LabelFileError(msg)
    if raw.size and raw.min() < 0:
        msg = f"{path}: label values must be >= 0; found {int(raw.min())}"
        raise LabelFileError(msg)
    if raw.size and raw.max() > np.iinfo(np.int32).max:
        msg = f"{path}: label values exceed int32"
        raise LabelFileError(msg)
    return img, raw.astype(np.int32, copy=False)


def _to_ras(img, data: np.ndarray):
    codes = tuple(nib.aff2axcodes(img.affine))
    ornt = nib.orientations.io_orientation(img.affine)
    ras = nib.orientations.apply_orientation(data, ornt)
    aff = img.affine @ nib.orientations.inv_ornt_aff(ornt, data.shape)
    # keep the file's memory layout (NIfTI is Fortran order; a C-order copy costs ~2 s on
    # 512 x 512 x 200); every consumer indexes by axis, not by memory order
    return np.asarray(ras, dtype=np.int32), aff, codes


def _guess_table(values: tuple[int, ...]) -> tuple[dict[int, str], str] | None:
    # MuscleMap whole-body ids are 4-digit region codes; values it does not name (thigh 71xx,
    # leg 81xx) stay unnamed and are reported as such by the analysis.
    if values and min(values) >= 1000 and any(v in MUSCLEMAP_LABELS for v in values):
        return MUSCLEMAP_LABELS, "musclemap"
    return None


def load_labels(path, *, table=None) -> LabelMap:
    """Load a label map (NIfTI file or TotalSegmentator folder) in RAS+ voxel order.

    Parameters
    ----------
    path : str or Path
        A NIfTI label map, or a folder of per-structure masks (TotalSegmentator style).
    table : dict, str, Path or None
        ``{value: name}``; a JSON or ITK-SNAP file; a built-in table name (``'musclemap'``,
        ``'musclemap_abdomen'``, ``'total'``, ``'total_mr'``); or None, which tries in order:
        ``<stem>.json`` beside the file, ``labels.json`` beside it, a label table in the NIfTI
        header extension (TotalSegmentator), and MuscleMap ids recognised by value.

    Returns
    -------
    LabelMap

    Raises
    ------
    LabelFileError
        Unreadable or non-integer file, or no table could be found.
    """
    path = Path(path)
    if path.is_dir():
        return load_totalsegmentator(path)
    img, raw = _read_label_image(path)
    data, affine, codes = _to_ras(img, raw)
    source = "given"
    if isinstance(table, dict):
        names = _table_from_mapping(table, source="table")
    elif isinstance(table, str) and table in NAMED_TABLES:
        names, source = dict(NAMED_TABLES[table]), table
    elif table is not None:
        tpath = Path(table)
        names = read_label_table(tpath)
        source = "json" if tpath.read_text(errors="replace").lstrip()[:1] in "{[" else "itksnap"
    else:
        names = None
        for cand in (_sidecar(path), path.with_name("labels.json")):
            if cand.is_file() and cand != path:
                names, source = read_label_table(cand), "json"
                break
        if names is None:
            ext = _extension_table(img)
            if ext is not None:
                names, source = ext, "nifti-extension"
        if names is None:
            values = tuple(int(v) for v in np.unique(data) if v != 0)
            guess = _guess_table(values)
            if guess is not None:
                names, source = dict(guess[0]), guess[1]
        if names is None:
            msg = (f"{path}: no label names found; put a labels.json ({{\"1\": "
                   "\"gluteus_medius_right\", ...}) beside it or pass --label-names / table=")
            raise LabelFileError(msg)
    zooms = tuple(float(z) for z in np.sqrt((affine[:3, :3] ** 2).sum(axis=0)))
    return LabelMap(data, affine, names, zooms, codes, source, path)


def load_totalsegmentator(path_or_folder, *, task: str | None = None) -> LabelMap:
    """Load TotalSegmentator output: a multi-label file or a folder of per-structure masks.

    For a multi-label file the class names come from its header extension when present,
    else from the built-in table of `task` (``'total'`` or ``'total_mr'``; guessed from the
    values when None: any value above 50 means ``total``, as ``total_mr`` has 50 classes).
    For a folder every ``<structure>.nii.gz`` becomes one label (values 1..n in name order);
    all masks must share one grid. Empty masks are kept (their name is in the table).
    """
    path = Path(path_or_folder)
    if not path.is_dir():
        img, raw = _read_label_image(path)
        data, affine, codes = _to_ras(img, raw)
        names = _extension_table(img)
        source = "nifti-extension"
        if names is None:
            if task is None:
                task = "total" if data.max() > 50 else "total_mr"
            if task not in ("total", "total_mr"):
                msg = f"`task` must be 'total' or 'total_mr'; got {task!r}."
                raise InputError(msg)
            names, source = dict(NAMED_TABLES[task]), task
        zooms = tuple(float(z) for z in np.sqrt((affine[:3, :3] ** 2).sum(axis=0)))
        return LabelMap(data, affine, names, zooms, codes, source, path)
    files = sorted(p for p in path.iterdir()
                   if p.name.endswith((".nii.gz", ".nii")) and not p.name.startswith("."))
    if not files:
        msg = f"{path}: folder holds no .nii/.nii.gz masks"
        raise LabelFileError(msg)
    data = affine = codes = None
    names: dict[int, str] = {}
    overlap = 0
    for value, f in enumerate(files, 1):
        img, raw = _read_label_image(f)
        ras, aff, c = _to_ras(img, raw)
        if data is None:
            data, affine, codes = np.zeros(ras.shape, np.int32), aff, c
        elif ras.shape != data.shape or not np.allclose(aff, affine, atol=1e-3):
            msg = (f"{f}: grid {ras.shape} differs from {files[0].name} {data.shape}; all "
                   "per-structure masks in a folder must share one grid")
            raise LabelFileError(msg)
        m = ras > 0
        overlap += int(np.count_nonzero(data[m]))
        data[m] = value
        stem = f.name[: -len(".nii.gz")] if f.name.endswith(".nii.gz") else f.name[:-4]
        names[value] = stem
    if overlap:
        warnings.warn(f"{path}: {overlap} voxels belong to more than one mask; the mask later "
                      "in name order was kept", UserWarning, stacklevel=2)
    zooms = tuple(float(z) for z in np.sqrt((affine[:3, :3] ** 2).sum(axis=0)))
    return LabelMap(data, affine, names, zooms, codes, "folder", path)


def save_labels(labelmap_or_array, affine=None, table=None, path=None, *,
                overwrite: bool = False) -> Path:
    """Write a label map as NIfTI plus a JSON table beside it (``labels.nii.gz`` ->
    ``labels.json``), both atomically; existing files are never replaced unless `overwrite`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> data = np.zeros((2, 2, 2), np.int32); data[0, 0, 0] = 7
    >>> p = save_labels(data, np.eye(4), {7: "gluteus_minimus_left"}, folder / "labels.nii.gz")
    >>> lm = load_labels(p)
    >>> lm.table, int((lm.data == 7).sum())
    ({7: 'gluteus_minimus_left'}, 1)
    """
    if isinstance(labelmap_or_array, LabelMap):
        lm = labelmap_or_array
        data = lm.data
        affine = lm.affine if affine is None else affine
        table = lm.table if table is None else table
    else:
        data = np.asarray(labelmap_or_array)
    if path is None or affine is None or table is None:
        msg = "save_labels needs `affine`, `table` and `path` (or a LabelMap and `path`)."
        raise InputError(msg)
    path = Path(path)
    side = _sidecar(path)
    for p in (path, side):
        if p.exists() and not overwrite:
            msg = f"{p}: already exists; pass overwrite=True (or choose another name)"
            raise LabelFileError(msg)
    data = np.asarray(data)
    if data.size and (data.min() < 0 or not np.all(data == np.round(data))):
        msg = "`labels` must hold whole numbers >= 0."
        raise InputError(msg)
    dtype = np.int16 if (data.size == 0 or data.max() < 32768) else np.int32
    img = nib.Nifti1Image(data.astype(dtype), np.asarray(affine, float))
    img.set_qform(np.asarray(affine, float), code=1)
    img.set_sform(np.asarray(affine, float), code=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = ".nii.gz" if path.name.endswith(".gz") else ".nii"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=suffix)
    os.close(fd)
    try:
        nib.save(img, tmp)
        write_label_table(table, side, overwrite=overwrite)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
