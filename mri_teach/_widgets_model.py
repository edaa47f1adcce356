"""ROI editing model behind :mod:`mri_teach.widgets`: edits, undo/redo, sidecars (layer L6).

This module holds no matplotlib and no ipywidgets: it is the state of an ROI editing session
(a base label map plus a list of :class:`Edit` records replayed on top of it), the undo/redo
history, and the autosave sidecar keyed by the images' *content*. Geometry (polygon, lasso,
brush, ellipse -> pixels) is delegated to :mod:`mri_teach.roi`; label-map files to
:mod:`mri_teach.io`.

Coordinates: an edit's ``points`` are in-plane voxel coordinates of the T1 grid in the
plane's ``(screen_x_axis, screen_y_axis)`` order (``orientation.plane_axes``), exactly the
data coordinates of a click on ``imshow(plane_slice(...).T, origin="lower")``. The sidecar
JSON also stores every point in world RAS+ mm, and restores from the world coordinates.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mri_teach import anatomy, orientation
from mri_teach._validation import InputError, check_choice

__all__ = [
    "EDIT_KINDS",
    "Edit",
    "RoiSession",
    "content_hash",
    "default_roi_dir",
    "atomic_write_text",
]

#: Kinds of edit. ``polygon``/``lasso``/``ellipse``/``brush`` paint, ``erase`` removes the
#: edit's label under a brush stroke, ``clear`` removes the label from one slice and ``copy``
#: copies the label of slice ``source_index`` onto slice ``index``.
EDIT_KINDS = ("polygon", "lasso", "ellipse", "brush", "erase", "clear", "copy")
_PAINT_KINDS = ("polygon", "lasso", "ellipse", "brush")
SIDECAR_VERSION = 1


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Edit:
    """One ROI edit on one slice of the T1 grid.

    Attributes
    ----------
    kind : str
        One of :data:`EDIT_KINDS`.
    name : str
        Label name, e.g. ``'gluteus_medius_right'`` (the side comes from the name).
    plane : str
        ``'axial'``, ``'coronal'`` or ``'sagittal'``.
    index : int
        Slice index in `plane` on the T1 grid.
    points : tuple of (x, y) float pairs
        In-plane voxel coordinates: polygon/lasso vertices, brush path, or the two corners
        of an ellipse's bounding box.
    radius_vox : float
        Brush/eraser radius in voxels.
    source_index : int or None
        Source slice of a ``copy``.
    time : str
        ISO 8601 UTC time of the edit.
    """

    kind: str
    name: str
    plane: str
    index: int
    points: tuple[tuple[float, float], ...] = ()
    radius_vox: float = 0.0
    source_index: int | None = None
    time: str = field(default_factory=_now)

    def __post_init__(self) -> None:
        check_choice(self.kind, EDIT_KINDS, name="kind")
        check_choice(self.plane, orientation.PLANES, name="plane")
        pts = tuple((float(x), float(y)) for x, y in self.points)
        object.__setattr__(self, "points", pts)
        object.__setattr__(self, "index", int(self.index))

    # -- serialisation ------------------------------------------------------------------
    def to_json(self, affine: np.ndarray) -> dict:
        """JSON record with the points in world RAS+ mm (and in voxels for reference)."""
        rec = {
            "kind": self.kind,
            "name": self.name,
            "plane": self.plane,
            "index": self.index,
            "points_mm": [list(map(float, p)) for p in _points_to_world(self, affine)],
            "points_vox": [list(p) for p in self.points],
            "radius_vox": self.radius_vox,
            "time": self.time,
        }
        if self.source_index is not None:
            rec["source_index"] = self.source_index
        return rec

    @classmethod
    def from_json(cls, rec: dict, affine: np.ndarray) -> Edit:
        """Rebuild an edit from :meth:`to_json` output, mapping world mm back to voxels."""
        plane = rec["plane"]
        slice_axis, xa, ya = orientation.plane_axes(plane)
        pts_mm = np.asarray(rec.get("points_mm", []), float).reshape(-1, 3)
        if len(pts_mm):
            ijk = _world_to_voxel(affine, pts_mm)
            points = tuple(zip(ijk[:, xa].tolist(), ijk[:, ya].tolist(), strict=True))
        else:
            points = ()
        return cls(rec["kind"], rec["name"], plane, int(rec["index"]), points,
                   float(rec.get("radius_vox", 0.0)), rec.get("source_index"),
                   rec.get("time", _now()))


def _voxel_to_world(affine: np.ndarray, ijk: np.ndarray) -> np.ndarray:
    ijk = np.asarray(ijk, float).reshape(-1, 3)
    return ijk @ np.asarray(affine, float)[:3, :3].T + np.asarray(affine, float)[:3, 3]


def _world_to_voxel(affine: np.ndarray, xyz: np.ndarray) -> np.ndarray:
    inv = np.linalg.inv(np.asarray(affine, float))
    xyz = np.asarray(xyz, float).reshape(-1, 3)
    return xyz @ inv[:3, :3].T + inv[:3, 3]


def _points_to_world(edit: Edit, affine: np.ndarray) -> np.ndarray:
    slice_axis, xa, ya = orientation.plane_axes(edit.plane)
    pts = np.asarray(edit.points, float).reshape(-1, 2)
    ijk = np.zeros((len(pts), 3))
    ijk[:, slice_axis] = edit.index
    ijk[:, xa] = pts[:, 0]
    ijk[:, ya] = pts[:, 1]
    return _voxel_to_world(affine, ijk)


def edit_centroid_world(edit: Edit, affine: np.ndarray) -> tuple[float, float, float]:
    """Mean of an edit's points in world RAS+ mm (used for the left/right sanity check)."""
    xyz = _points_to_world(edit, affine)
    return tuple(float(v) for v in xyz.mean(axis=0))


# -- content hash and folders -------------------------------------------------------------
def content_hash(*arrays_and_affines) -> str:
    """SHA-256 over the bytes, shapes and dtypes of arrays (images and their affines).

    The key of an autosave sidecar: the same images give the same key wherever the files
    live or whatever they are called; any change of data or geometry gives another key.

    Examples
    --------
    >>> a = np.zeros((2, 2, 2), np.float32)
    >>> content_hash(a, np.eye(4)) == content_hash(a.copy(), np.eye(4))
    True
    >>> content_hash(a, np.eye(4)) == content_hash(a + 1, np.eye(4))
    False
    """
    h = hashlib.sha256()
    for arr in arrays_and_affines:
        arr = np.ascontiguousarray(arr)
        h.update(str((arr.shape, arr.dtype.str)).encode())
        h.update(memoryview(arr).cast("B"))
    return h.hexdigest()


def default_roi_dir() -> Path:
    """Folder for autosave sidecars: env ``MRI_TEACH_ROI_DIR``, else the user data dir.

    Linux ``$XDG_DATA_HOME/mri_teach/rois`` (default ``~/.local/share/mri_teach/rois``),
    macOS ``~/Library/Application Support/mri_teach/rois``, Windows
    ``%LOCALAPPDATA%\\mri_teach\\rois``. Never beside the (possibly read-only) inputs.
    """
    env = os.environ.get("MRI_TEACH_ROI_DIR")
    if env:
        return Path(env).expanduser()
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", home / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / "mri_teach" / "rois"


def atomic_write_text(path: Path, text: str) -> Path:
    """Write `text` to `path` through a temporary file and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


# -- the session ----------------------------------------------------------------------------
class RoiSession:
    """Base label map + replayable edits + undo/redo + autosave (no GUI).

    Parameters
    ----------
    shape : tuple of 3 ints
        T1 grid shape ``(I, J, K)``.
    affine : ndarray of shape (4, 4)
        T1 voxel -> RAS+ mm.
    base : ndarray of int, shape (I, J, K), optional
        Imported label map (on the T1 grid) the edits are drawn on top of.
    base_table : dict, optional
        ``{value: name}`` of `base`.
    key : str, optional
        Content hash of the images; with `roi_dir`, enables the autosave sidecar.
    roi_dir : path, optional
        Root folder of sidecars (default :func:`default_roi_dir`).
    autosave : bool, default True
    """

    def __init__(self, shape, affine, *, base=None, base_table=None, key=None, roi_dir=None,
                 autosave=True):
        self.shape = tuple(int(s) for s in shape)
        self.affine = np.asarray(affine, float)
        self.base = (np.zeros(self.shape, np.int16) if base is None
                     else np.asarray(base).astype(np.int16, copy=True))
        if self.base.shape != self.shape:
            msg = (f"`labels` shape {self.base.shape} does not match the T1 grid {self.shape}; "
                   "pass labels on the T1 grid or as a LabelMap with its affine.")
            raise InputError(msg)
        self.table: dict[int, str] = {int(k): str(v) for k, v in (base_table or {}).items()}
        self.edits: list[Edit] = []
        self._undo: list[list[Edit]] = []
        self._redo: list[list[Edit]] = []
        self.labels = self.base.copy()
        self._mask_cache: dict[int, np.ndarray] = {}
        self.key = key
        self.autosave = bool(autosave) and key is not None
        root = default_roi_dir() if roi_dir is None else Path(roi_dir).expanduser()
        self.folder = root / key[:24] if key is not None else None
        self.saved_at: str | None = None
        self.restored = False
        self.last_error: str | None = None

    # -- labels ---------------------------------------------------------------------------
    def value_of(self, name: str) -> int:
        """Integer value of label `name`, adding it to the table if new.

        New names take their phantom value (``anatomy.PHANTOM_LABELS``) when free, else
        the next free integer, so exported maps from the editor match the phantom's.
        """
        for v, n in self.table.items():
            if n == name:
                return v
        phantom = {n: v for v, n in anatomy.PHANTOM_LABELS.items()}
        value = phantom.get(name)
        if value is None or value in self.table:
            value = max([0, *self.table, *anatomy.PHANTOM_LABELS]) + 1
        self.table[int(value)] = name
        return int(value)

    def used_table(self) -> dict[int, str]:
        """Label table restricted to values present in the current label map."""
        present = set(np.unique(self.labels).tolist()) - {0}
        return {v: n for v, n in sorted(self.table.items()) if v in present}

    def slice_view(self, arr: np.ndarray, plane: str, index: int) -> np.ndarray:
        """Writable 2D view ``(screen_x, screen_y)`` of `arr` at `plane`/`index`."""
        slice_axis = orientation.plane_axes(plane)[0]
        sl: list = [slice(None)] * 3
        sl[slice_axis] = int(index)
        return arr[tuple(sl)]

    def plane_shape(self, plane: str) -> tuple[int, int]:
        _, xa, ya = orientation.plane_axes(plane)
        return self.shape[xa], self.shape[ya]

    def _mask(self, edit: Edit) -> np.ndarray | None:
        from mri_teach import roi

        key = id(edit)
        cached = self._mask_cache.get(key)
        if cached is not None and cached[0] is edit:
            return cached[1]
        shape2d = self.plane_shape(edit.plane)
        pts = np.asarray(edit.points, float).reshape(-1, 2)
        if edit.kind in ("polygon", "lasso"):
            mask = roi.polygon_to_mask(pts, shape2d) if len(pts) >= 3 else None
        elif edit.kind in ("brush", "erase"):
            mask = roi.brush_to_mask(pts, edit.radius_vox, shape2d) if len(pts) else None
        elif edit.kind == "ellipse":
            (x0, y0), (x1, y1) = pts[0], pts[-1]
            center = ((x0 + x1) / 2, (y0 + y1) / 2)
            radii = (abs(x1 - x0) / 2, abs(y1 - y0) / 2)
            mask = roi.ellipse_to_mask(center, radii, shape2d) if min(radii) > 0 else None
        else:
            mask = None
        if mask is not None:
            mask = np.asarray(mask, bool)
            self._mask_cache[key] = (edit, mask)
        return mask

    def _apply(self, labels: np.ndarray, edit: Edit) -> None:
        value = self.value_of(edit.name)
        target = self.slice_view(labels, edit.plane, edit.index)
        if edit.kind == "clear":
            target[target == value] = 0
            return
        if edit.kind == "copy":
            if edit.source_index is None:
                return
            src = self.slice_view(labels, edit.plane, edit.source_index) == value
            target[src] = value
            return
        mask = self._mask(edit)
        if mask is None:
            return
        if edit.kind == "erase":
            target[mask & (target == value)] = 0
        else:
            target[mask] = value

    def _rebuild(self) -> None:
        labels = self.base.copy()
        for e in self.edits:
            self._apply(labels, e)
        self.labels = labels
        live = {id(e) for e in self.edits} | {id(e) for h in (*self._undo, *self._redo)
                                              for e in h}
        self._mask_cache = {k: v for k, v in self._mask_cache.items() if k in live}

    # -- history --------------------------------------------------------------------------
    def add(self, edit: Edit) -> Edit:
        """Apply `edit`, record it for undo and autosave."""
        if edit.plane not in orientation.PLANES:  # pragma: no cover - Edit validates
            raise InputError(edit.plane)
        n = orientation.n_slices(self.shape, edit.plane)
        if not 0 <= edit.index < n:
            msg = f"`index` {edit.index} is outside the {edit.plane} range 0..{n - 1}."
            raise InputError(msg)
        self._undo.append(list(self.edits))
        self._redo.clear()
        self.edits = [*self.edits, edit]
        self._apply(self.labels, edit)
        self.save()
        return edit

    def replace_last(self, edit: Edit) -> Edit:
        """Replace the last edit (moving/deleting a vertex of the current polygon)."""
        if not self.edits:
            return self.add(edit)
        self._undo.append(list(self.edits))
        self._redo.clear()
        self.edits = [*self.edits[:-1], edit]
        self._rebuild()
        self.save()
        return edit

    def undo(self) -> bool:
        if not self._undo:
            return False
        self._redo.append(list(self.edits))
        self.edits = self._undo.pop()
        self._rebuild()
        self.save()
        return True

    def redo(self) -> bool:
        if not self._redo:
            return False
        self._undo.append(list(self.edits))
        self.edits = self._redo.pop()
        self._rebuild()
        self.save()
        return True

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    # -- sidecar --------------------------------------------------------------------------
    @property
    def json_path(self) -> Path | None:
        return None if self.folder is None else self.folder / "rois.json"

    @property
    def labels_path(self) -> Path | None:
        return None if self.folder is None else self.folder / "labels.nii.gz"

    @property
    def base_path(self) -> Path | None:
        return None if self.folder is None else self.folder / "base_labels.nii.gz"

    def base_hash(self) -> str:
        return content_hash(self.base)

    def to_json(self) -> dict:
        return {
            "format": "mri_teach ROI sidecar",
            "version": SIDECAR_VERSION,
            "images_sha256": self.key,
            "base_sha256": self.base_hash(),
            "has_base": bool(self.base.any()),
            "affine": self.affine.tolist(),
            "shape": list(self.shape),
            "table": {str(k): v for k, v in sorted(self.table.items())},
            "edits": [e.to_json(self.affine) for e in self.edits],
            "saved": _now(),
        }

    def save(self) -> Path | None:
        """Write the sidecar (label map NIfTI + edits JSON) atomically; errors are kept."""
        if not self.autosave or self.folder is None:
            return None
        from mri_teach import io

        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if self.base.any() and not self.base_path.exists():
                io.save_volume(self.base, self.affine, self.base_path, overwrite=True,
                               dtype=np.int16)
            # the journal first (small, enough to restore by replay), then the label map
            atomic_write_text(self.json_path, json.dumps(self.to_json(), indent=1))
            io.save_labels(self.labels.astype(np.int16), self.affine, self.used_table(),
                           self.labels_path, overwrite=True)
        except OSError as err:  # read-only home etc.: keep working, say so in the widget
            self.last_error = f"autosave failed: {err}"
            return None
        self.last_error = None
        self.saved_at = _now()
        return self.json_path

    def restore(self, *, base_given: bool) -> bool:
        """Load edits from an existing sidecar; returns True when something was restored.

        When `base_given` (labels were imported) the edits are restored only if they were
        drawn on the same base; otherwise the old sidecar is kept as a backup file.
        """
        path = self.json_path
        if path is None or not path.exists():
            return False
        try:
            rec = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            self.last_error = f"could not read {path.name}: {err}; starting empty"
            self._backup(path)
            return False
        if base_given and rec.get("base_sha256") != self.base_hash():
            self._backup(path)
            return False
        if not base_given and rec.get("has_base") and self.base_path.exists():
            import nibabel as nib

            self.base = np.asarray(nib.load(self.base_path).dataobj).astype(np.int16)
        self.table.update({int(k): v for k, v in rec.get("table", {}).items()})
        self.edits = [Edit.from_json(e, self.affine) for e in rec.get("edits", [])]
        # restored edits stay undoable one by one (after a kernel restart too)
        self._undo = [self.edits[:i] for i in range(len(self.edits))]
        self._rebuild()
        self.restored = bool(self.edits) or bool(self.base.any())
        return self.restored

    def _backup(self, path: Path) -> None:
        stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
        try:
            os.replace(path, path.with_name(f"rois-{stamp}.json.bak"))
        except OSError:  # pragma: no cover
            pass
