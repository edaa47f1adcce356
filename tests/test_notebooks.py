"""Execute the four teaching notebooks headless (nbclient) and check what they show.

The notebooks run top to bottom in a fresh ``python3`` kernel with ``cwd = notebooks/``,
as a trainee would run them. Wall-clock times are recorded (``pytest --durations=0`` or the
printed summary with ``-s``) but never asserted (``style``: no timed tests).
"""

from __future__ import annotations

import json
import runpy
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
NOTEBOOKS = ("01_tour.ipynb", "02_timeline.ipynb", "03_quiz.ipynb", "04_your_data.ipynb")
CELL_TIMEOUT_S = 240

pytestmark = pytest.mark.notebook

_RESULTS: dict[str, tuple[nbformat.NotebookNode, float]] = {}


def _execute(name: str, tmp_root: Path) -> tuple[nbformat.NotebookNode, float]:
    if name in _RESULTS:
        return _RESULTS[name]
    from nbclient import NotebookClient

    nb = nbformat.read(NB_DIR / name, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                            resources={"metadata": {"path": str(NB_DIR)}},
                            store_widget_state=True)
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    nbformat.write(nb, tmp_root / name)  # executed copy, for inspection after a failure
    _RESULTS[name] = (nb, elapsed)
    return nb, elapsed


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    tmp = tmp_path_factory.mktemp("nb")
    mp = pytest.MonkeyPatch()
    # the kernel inherits the environment: keep ROI autosaves and caches out of $HOME
    mp.setenv("MRI_TEACH_ROI_DIR", str(tmp / "rois"))
    mp.setenv("MPLBACKEND", "Agg")
    yield lambda name: _execute(name, tmp)
    mp.undo()
    if _RESULTS:
        total = sum(t for _, t in _RESULTS.values())
        times = ", ".join(f"{n} {t:.1f} s" for n, (_, t) in _RESULTS.items())
        print(f"\nnotebook execution: {times}; total {total:.1f} s")


def _text(nb) -> str:
    parts = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                parts.append(out.get("text", ""))
            elif "data" in out:
                parts.append(out["data"].get("text/plain", ""))
    return "\n".join(parts)


def _images(nb) -> int:
    return sum(1 for cell in nb.cells if cell.cell_type == "code"
               for out in cell.get("outputs", []) if "image/png" in out.get("data", {}))


def _widget_images(nb) -> int:
    """PNG figures inside ipywidgets Output widgets."""
    return sum(1 for out in _widget_outputs(nb) if "image/png" in out.get("data", {}))


def _widget_outputs(nb) -> list[dict]:
    """Outputs captured inside ipywidgets Output widgets (stored widget state)."""
    state = nb.metadata.get("widgets", {}).get(
        "application/vnd.jupyter.widget-state+json", {}).get("state", {})
    return [out for model in state.values()
            for out in (model.get("state", {}).get("outputs", []) or [])]


def _errors(nb) -> list[str]:
    """Errors of the cells and of callbacks that ran inside Output widgets."""
    outs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    outs += _widget_outputs(nb)
    return [f"{o.get('ename')}: {o.get('evalue')}" for o in outs
            if o.get("output_type") == "error"]


# --------------------------------------------------------------------------------------
# committed notebooks are clean and generated
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_notebook_has_no_outputs(name):
    nb = nbformat.read(NB_DIR / name, as_version=4)
    nbformat.validate(nb)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert code_cells
    for cell in code_cells:
        assert cell.outputs == [], f"{name}: a cell has outputs"
        assert cell.execution_count is None, f"{name}: a cell has an execution count"
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_notebooks_match_their_generator():
    script = runpy.run_path(str(ROOT / "scripts" / "make_notebooks.py"))
    assert script["main"](["--check"]) == 0, "run scripts/make_notebooks.py"


def test_tour_has_the_tagged_editor_cell_before_the_headless_rois():
    nb = nbformat.read(NB_DIR / "01_tour.ipynb", as_version=4)
    tagged = [i for i, c in enumerate(nb.cells) if "e2e-editor" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    cell = nb.cells[tagged[0]]
    assert "RoiEditor(" in cell.source
    following = [c for c in nb.cells[tagged[0] + 1:] if c.cell_type == "code"][0]
    assert "rois" in following.source and "labels" in following.source


def test_notebooks_use_only_the_public_api():
    for name in NOTEBOOKS:
        nb = nbformat.read(NB_DIR / name, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert "mt._" not in cell.source and "._private" not in cell.source
                assert "mri_teach._" not in cell.source, f"{name} uses a private module"


# --------------------------------------------------------------------------------------
# execution
# --------------------------------------------------------------------------------------



def test_tour_runs_and_reads_the_motivating_case(run):
    nb, _ = run("01_tour.ipynb")
    assert _errors(nb) == []
    text = _text(nb)
    assert "superior_gluteal" in text
    assert "subacute" in text
    assert "right" in text
    assert _images(nb) >= 3


def test_timeline_runs_and_draws(run):
    nb, _ = run("02_timeline.ipynb")
    assert _errors(nb) == []
    assert _images(nb) >= 3  # static curves and the stage gallery
    assert _widget_images(nb) >= 1  # the explorer drew once without a front end
    assert "time stage" in _widget_text(nb)


def _widget_text(nb) -> str:
    return "\n".join(o["text"] for o in _widget_outputs(nb) if isinstance(o.get("text"), str))


def test_quiz_runs_grades_and_exports(run):
    nb, _ = run("03_quiz.ipynb")
    assert _errors(nb) == []
    text = _text(nb)
    assert "score" in text.lower()
    assert "Answered 4/4 cases" in text
    assert "Wrong side" in text  # the mirrored ROI
    assert "gluteus_medius_right: Good placement" in text  # ROI from the editor
    assert "answer_key.json" in text and "case_01" in text
    assert _images(nb) >= 2


def test_your_data_runs_with_orientation_and_sides(run):
    nb, _ = run("04_your_data.ipynb")
    assert _errors(nb) == []
    text = _text(nb)
    assert "loaded as RAS" in text
    assert "CHECK SIDE" not in text
    assert " OK" in text
    assert "same names from ITK-SNAP: True" in text
    assert "slides: case.pptx" in text and "report.html" in text
    assert "pattern: left superior_gluteal" in text  # the synthetic case: left SGN
    assert _images(nb) >= 2
    if (ROOT.parent / "shared" / "data" / "real" / "totalsegmentator").is_dir():
        assert "gluteus_medius_left" in text and "gluteus_medius_right" in text


def test_helpers_read_outputs():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x")])
    nb.cells[0].outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="hello"),
        nbformat.v4.new_output("display_data", data={"image/png": "AA==", "text/plain": "<F>"}),
        nbformat.v4.new_output("error", ename="E", evalue="bad", traceback=[]),
    ]
    assert "hello" in _text(nb) and _images(nb) == 1 and _errors(nb) == ["E: bad"]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {
        "m": {"state": {"outputs": [{"output_type": "display_data",
                                     "data": {"image/png": "AA=="}}]}}}}}
    assert _widget_images(nb) == 1
    nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]["m"][
        "state"]["outputs"].append({"output_type": "error", "ename": "W", "evalue": "cb"})
    assert _errors(nb) == ["E: bad", "W: cb"]
    json.dumps(nb)
