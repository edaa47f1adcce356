"""Helpers of the real-browser test (tests/test_e2e_browser.py): notebooks and a Lab server."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PROBE_MARK = "E2E_JSON "

#: Appended after the editor cell: picks the axial slice where the right gluteus medius is
#: largest, shows it, and prints where (in canvas pixels) the vertices of a polygon inside
#: the right and the left gluteus medius are, from the case's own label map.
PROBE_SOURCE = r'''
import json as _json
import numpy as _np
from scipy import ndimage as _ndi
from skimage import measure as _measure
import mri_teach as _mt

if hasattr(case.labels, "table"):  # datasets.SampleCase: an io.LabelMap
    _lab, _lab_aff, _table = _np.asarray(case.labels.data), case.labels.affine, case.labels.table
else:  # phantom.Case: arrays on the T1 grid
    _lab, _lab_aff, _table = _np.asarray(case.labels), case.affine, case.label_table
if _lab.shape != editor.shape or not _np.allclose(_lab_aff, editor.affine, atol=1e-4):
    _lab = _mt.stats.labels_on_grid(_lab, _lab_aff, editor.shape, editor.affine)
_value = {n: v for v, n in _table.items()}
_k = int(_np.argmax((_lab == _value["gluteus_medius_right"]).sum(axis=(0, 1))))
if editor.plane != "axial":
    editor.set_plane("axial", index=_k)
editor.set_slice(_k)
editor.set_label("gluteus_medius", "right")
editor.set_tool("polygon")


def _inner_polygon(name, n=10, min_px=14.0):
    m = _lab[:, :, _k] == _value[name]
    inner = _ndi.binary_erosion(m, iterations=2)
    m = inner if inner.sum() > 20 else m
    contour = max(_measure.find_contours(m.astype(float), 0.5), key=len)  # (i, j) = (x, y)
    pts = contour[_np.linspace(0, len(contour), n, endpoint=False).astype(int)]
    px = _np.asarray(editor.to_canvas_pixels(pts, sequence="T1"))
    keep = [0]
    for q in range(1, len(pts)):
        if all(_np.hypot(*(px[q] - px[r])) >= min_px for r in keep):
            keep.append(q)
    return pts[keep].tolist(), px[keep].tolist()


_right_vox, _right_px = _inner_polygon("gluteus_medius_right")
_left_vox, _left_px = _inner_polygon("gluteus_medius_left")
_ax = editor.axes[0].get_window_extent()
_h = editor.figure.bbox.height
print("E2E_JSON " + _json.dumps({
    "slice": _k,
    "fig_px": [editor.figure.bbox.width, _h],
    "t1_axes_px": [_ax.x0, _h - _ax.y1, _ax.x1, _h - _ax.y0],
    "right_vox": _right_vox, "right_px": _right_px,
    "left_vox": _left_vox, "left_px": _left_px,
    "sidecar": str(editor.sidecar),
}))
'''


def own_notebook(path: Path) -> Path:
    """Write the test's own small notebook (public API only) to `path`."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("%matplotlib widget\nimport mri_teach as mt\n"
                                  "from mri_teach.widgets import RoiEditor"),
        nbformat.v4.new_code_cell(
            'case = mt.phantom.make_case(cause="superior_gluteal", side="right", days=90,\n'
            '                            preset="fast")'),
        nbformat.v4.new_code_cell(
            'editor = RoiEditor(case.t1, case.stir, affine=case.affine,\n'
            '                   stir_affine=case.stir_affine, muscle="gluteus_medius",\n'
            '                   side="right")\neditor.show()',
            metadata={"tags": ["e2e-editor"]}),
        nbformat.v4.new_code_cell(PROBE_SOURCE, metadata={"tags": ["e2e-probe"]}),
    ]
    nbformat.write(nb, path)
    return path


def tour_notebook(src: Path, path: Path) -> Path | None:
    """Copy the tour up to its cell tagged ``e2e-editor`` and append the probe cell."""
    if not src.exists():
        return None
    nb = nbformat.read(src, as_version=4)
    cut = next((i for i, c in enumerate(nb.cells)
                if "e2e-editor" in c.get("metadata", {}).get("tags", [])), None)
    if cut is None:
        return None
    nb.cells = nb.cells[:cut + 1] + [nbformat.v4.new_code_cell(PROBE_SOURCE)]
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)
    return path


def free_port() -> int:
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def jupyter_lab(root: Path, env_extra: dict[str, str], *, timeout_s: float = 60):
    """Run JupyterLab on localhost serving `root`; yields (base_url, token)."""
    token = os.urandom(12).hex()
    port = free_port()
    state = root.parent / "jupyter-state"
    env = dict(os.environ)
    env.update({
        "JUPYTER_RUNTIME_DIR": str(state / "runtime"),
        "JUPYTER_CONFIG_DIR": str(state / "config"),
        "JUPYTERLAB_SETTINGS_DIR": str(state / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(state / "workspaces"),
        "IPYTHONDIR": str(state / "ipython"),
        "MPLBACKEND": "",
        **env_extra,
    })
    env.pop("MPLBACKEND")
    settings = {  # render every cell (no windowing: off-screen outputs would be 0x0), no news
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
            "fetchNews": "false", "checkForUpdates": False},
    }
    for rel, value in settings.items():
        target = state / "settings" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(value))
    log = open(root.parent / "jupyter.log", "w")  # noqa: SIM115 - closed below
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
           "--ip=127.0.0.1", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--ServerApp.open_browser=False", "--LabApp.expose_app_in_browser=True",
           "--LabApp.news_url=", "--ServerApp.port_retries=0",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers / CI run as root
        cmd.append("--allow-root")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                msg = f"jupyter lab exited early: {(root.parent / 'jupyter.log').read_text()}"
                raise RuntimeError(msg)
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.25)
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def wait_for(predicate, *, timeout_s: float, what: str, interval_s: float = 0.2):
    """Poll `predicate` until it returns a truthy value (returned) or fail naming `what`."""
    deadline = time.monotonic() + timeout_s
    last_err = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except AssertionError:
            raise
        except Exception as err:  # noqa: BLE001 - keep polling, report the last error
            last_err, value = err, None
        if value:
            return value
        time.sleep(interval_s)
    msg = f"timed out after {timeout_s:.0f} s waiting for {what}" + (
        f" (last error: {last_err})" if last_err else "")
    raise TimeoutError(msg)


def sidecar_edits(roi_root: Path) -> list[dict]:
    """All edits in the autosave sidecars under `roi_root` (the kernel's MRI_TEACH_ROI_DIR)."""
    edits = []
    for path in sorted(roi_root.glob("*/rois.json")):
        try:
            edits += json.loads(path.read_text())["edits"]
        except (OSError, ValueError, KeyError):
            continue
    return edits
