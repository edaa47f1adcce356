"""Build the teaching notebooks in ``notebooks/`` from the Python source below (nbformat).

The notebooks are generated, committed without outputs, and executed headless by
``tests/test_notebooks.py``. Edit the cells here, then run::

    .venv/bin/python scripts/make_notebooks.py          # rewrite notebooks/*.ipynb
    .venv/bin/python scripts/make_notebooks.py --check  # exit 1 if they are out of date

Only the public API of mri_teach is used in the cells.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "notebooks"


def md(text: str):
    return new_markdown_cell(text.strip("\n"))


def code(text: str, *tags: str):
    cell = new_code_cell(text.strip("\n"))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


SETUP = """
%matplotlib inline
import numpy as np
import matplotlib.pyplot as plt
import mri_teach as mt
"""

# --------------------------------------------------------------------------------------
# 01 tour
# --------------------------------------------------------------------------------------

TOUR = [
    md("""
# 1. A guided tour: the motivating case

**A 47-year-old woman has had three months of right buttock pain and weakness of hip
abduction.** Pelvis MRI (T1-weighted and STIR) was requested. This notebook walks through
how to read it with mri_teach: look at the images, place ROIs on gluteus medius (Gmed),
gluteus minimus (Gmin) and tensor fasciae latae (TFL) on both sides, compare T1 with STIR,
stage the changes and infer which nerve is injured.

The case is synthetic (a physics-based phantom: a right superior gluteal nerve lesion,
90 days old), so we know the truth and can check ourselves. *For education, not for
clinical use.*

Other notebooks: [2. timeline](02_timeline.ipynb) (how the signal evolves),
[3. quiz](03_quiz.ipynb) (test yourself), [4. your own data](04_your_data.ipynb).
"""),
    code(SETUP),
    md("""
## Load the case

`mt.datasets.load_sample` returns the T1 and STIR as `mri_teach.io.Volume` records in
**RAS+ voxel order** (axis 0 runs patient left to right, axis 1 posterior to anterior,
axis 2 inferior to superior), the anatomy label map and, for a synthetic case, the truth.
"""),
    code("""
case = mt.datasets.load_sample("sgn_subacute")
pair = mt.io.load_pair(case.t1, case.stir)  # STIR resampled onto the T1 grid for display
print("T1 shape", case.t1.shape, "voxel size (mm)", case.t1.voxel_size_mm)
print("STIR shape", case.stir.shape, "voxel size (mm)", case.stir.voxel_size_mm)
print("orientation:", "".join(mt.orientation.axcodes(case.t1.affine)))
"""),
    md("""
## Look at the images (radiological convention)

Every image in mri_teach is shown in **radiological convention**: the patient's right is
on the **left** of the screen, as if looking up from the patient's feet (domain.md 6). The
R/L/A/P markers on every panel say which side is which; wrong-side errors are the cited
hazard. The window/level of each sequence is locked across both sides, so a brighter
muscle really is brighter (domain.md 1.4).

What to look for: on **STIR** (fat suppressed, so fluid-sensitive) denervated muscle is
bright because its water T2 is prolonged; on **T1** fat is bright, so a denervated muscle
brightens on T1 only later, as fat replaces it (domain.md 1.1).
"""),
    code("""
fig = mt.viz.plot_case_panel(pair.t1, pair.stir, case.labels,
                             outline_names=["gluteus_medius", "gluteus_minimus",
                                            "tensor_fasciae_latae"])
plt.show()
"""),
    md("""
## Draw ROIs on Gmed, Gmin and TFL on both sides

The next cell opens the ROI editor (T1 and STIR side by side, linked; polygon, lasso,
brush, eraser and ellipse tools). In JupyterLab with `ipympl` it is interactive: choose the
muscle and the side, draw, and the table of T1/STIR ratios and the stage update after every
edit. Your ROIs are autosaved.

Tips: keep ROIs inside the muscle belly, away from fat planes and fascia (partial volume
with fat raises the T1 ratio and lowers the STIR ratio); draw the same muscle on both sides
at the same level.
"""),
    code("""
%matplotlib widget
from mri_teach.widgets import RoiEditor

editor = RoiEditor(case.t1, case.stir, muscle="gluteus_medius", side="right")
editor.show()
""", "e2e-editor"),
    md("""
No time to draw? The next cell loads sample ROIs instead: the phantom's own label map for
the six muscles (Gmed, Gmin, TFL, right and left). The rest of the notebook uses these, so
it also runs without a browser.
"""),
    code("""
%matplotlib inline
ROI_MUSCLES = ("gluteus_medius", "gluteus_minimus", "tensor_fasciae_latae")
labels = case.labels
keep = {v: n for v, n in labels.table.items() if mt.anatomy.parse_name(n)[0] in ROI_MUSCLES}
rois = mt.io.LabelMap(np.where(np.isin(labels.data, list(keep)), labels.data, 0),
                      labels.affine, keep, labels.voxel_size_mm)
for value, name in sorted(keep.items()):
    n = int((rois.data == value).sum())
    print(f"{value:4d}  {mt.anatomy.display_name(name):32s} {n:6d} voxels")
"""),
    md("""
## Measure and stage

`mt.staging.analyze` measures every ROI on both sequences in one pass and computes the
**signal-intensity ratios** (SIR): mean ROI signal divided by the mean of the same muscle on
the other side (domain.md 2.1), plus an ipsilateral reference outside the candidate nerve's
territory. The teaching defaults (domain.md 1.4, settings, not published cut-offs):

* STIR abnormal: STIR SIR >= 1.15;
* mild T1 fatty change 1.10 <= T1 SIR < 1.35, marked >= 1.35; atrophy: volume ratio <= 0.85;
* acute = STIR only; subacute = STIR + mild T1; chronic = marked T1, or mild T1 + atrophy.
"""),
    code("""
analysis = mt.staging.analyze(case.t1, case.stir, rois)
print(f"{'ROI':34s} {'T1 SIR':>7s} {'STIR SIR':>8s} {'volume':>7s}  stage")
for m in analysis.muscles:
    print(f"{mt.anatomy.display_name(m.name):34s} {m.t1_sir:7.2f} {m.stir_sir:8.2f} "
          f"{m.volume_ratio:7.2f}  {m.stage}")
"""),
    md("""
### The stage, with its reasons

Every decision carries its reasons, so you can check the rule against the numbers.
"""),
    code("""
for m in analysis.muscles:
    print(f"{mt.anatomy.display_name(m.name)} ({m.role}) -> {m.stage}")
    if m.role == "affected":
        for reason in m.reasons:
            print("     ", reason)
for w in analysis.warnings:
    print("warning:", w)
"""),
    md("""
## Which nerve?

The **pattern** of abnormal muscles points to the lesion (domain.md 3.5). Gmed + Gmin + TFL
on one side with gluteus maximus and piriformis spared is the **superior gluteal nerve**:
it leaves the pelvis above piriformis and supplies exactly these three muscles (domain.md
3.1-3.2). Gluteus maximus alone would be the inferior gluteal nerve; the same three plus
multifidus an L5 radiculopathy.
"""),
    code("""
p = analysis.pattern
print("side:", p.side)
print("affected:", ", ".join(mt.anatomy.display_name(a) for a in p.affected))
print("nerve:", p.nerve, f"({mt.anatomy.CAUSE_INFO[p.nerve].display})")
print("stage:", p.stage, "| confidence:", p.confidence)
for c in p.candidates[:3]:
    print(f"  candidate {c.cause:34s} score {c.score:.2f}  {c.note}")
for caveat in p.caveats:
    print("caveat:", caveat)
"""),
    code("""
fig = mt.viz.plot_sir_chart(analysis)
plt.show()
"""),
    code("""
fig = mt.viz.plot_innervation(p.nerve, p.side, labels=rois, background=pair.t1)
plt.show()
"""),
    md("""
## Check against the truth

The phantom knows what it simulated. Note that the **time stage** (90 days: subacute,
domain.md 1.4) and the **signal stage** can differ: many subacute muscles still have a
normal T1 (Uetani 1993: T1 normal in 14/17 patients), so the signal rule may call them
acute. Both readings are defensible; say which one you mean.
"""),
    code("""
truth = case.truth.get("truth", case.truth)  # truth.json also records the parameters
print("truth:", truth["side"], truth["cause"], truth["days"], "days -> time stage",
      truth["time_stage"])
gmed = analysis.muscle("gluteus_medius_right")
fig = mt.viz.plot_timeline(measured={"stir_ratio": gmed.stir_sir, "t1_ratio": gmed.t1_sir,
                                     "volume_ratio": gmed.volume_ratio},
                           days=truth["days"])
plt.show()
"""),
    md("""
## Next

* [2. Timeline explorer](02_timeline.ipynb): drag the days since injury and watch STIR
  brighten first and T1 later.
* [3. Quiz](03_quiz.ipynb): unlabelled cases, graded with explanations.
* [4. Your own data](04_your_data.ipynb): load NIfTI files, check orientation, draw,
  analyse and export slides.
"""),
]

# --------------------------------------------------------------------------------------
# 02 timeline
# --------------------------------------------------------------------------------------

TIMELINE = [
    md("""
# 2. Denervation timeline explorer

How do T1 and STIR change after a nerve is cut? Move the sliders: the synthetic pelvis is
re-simulated for each setting and the images and the ratio curves update.

* **Days since injury** (0-720) and an optional **reinnervation day**;
* the **nerve** (which muscles are denervated), the **side** and the **field strength**.
"""),
    code(SETUP + "import ipywidgets as widgets\nfrom IPython.display import display\n"),
    md("""
## Why STIR brightens first, T1 later, and why fat is dark on STIR

* **STIR first (water T2).** Denervated muscle holds more extracellular water (capillary
  bed enlargement, extracellular space; domain.md 1.2), which prolongs its water T2 by about
  10-15 ms (domain.md 2.2, 4.1). STIR is fluid-sensitive, so the muscle brightens within
  weeks: in humans T2 hyperintensity from about 15 days (Uetani 1993), the STIR ratio
  peaking near 3 months (Viddeleer 2012/2016, domain.md 1.2).
* **T1 later (fat).** T1-weighted images are bright where there is fat. Denervated fibres
  atrophy and are replaced by fat over months, so the T1 ratio rises late; chronic change
  is fatty atrophy with volume loss (domain.md 1.1, 1.3).
* **Fat is dark on STIR.** STIR is an inversion-recovery sequence whose inversion time is
  set at the **null point of fat**, `TI = T1_fat ln(2 / (1 + exp(-TR/T1_fat)))`, about
  `T1_fat ln 2` (domain.md 4.2). At that moment fat has no longitudinal magnetisation and
  gives no signal, so the fat that replaces a chronic muscle is *not* bright on STIR; a
  chronic muscle stays bright on STIR only where water T2 remains prolonged (domain.md 1.1).
* **Reinnervation** lets the edema resolve over months (the STIR ratio falls; Viddeleer's
  good-recovery hand muscles reach about 1.04-1.09 by 12 months, domain.md 1.2), while the fat
  already there stays (domain.md 1.3). Because fat is nulled on STIR, a reinnervated muscle
  that kept some fat can end up slightly *darker* than its partner on STIR (a ratio below 1
  in the phantom): look at T1 and volume, not STIR alone, to judge what is left.
"""),
    md("""
## The explorer

The phantom is rebuilt with `mt.phantom.make_case(preset="fast")` for every change (a few
seconds on a laptop). The curves on the right are the noise-free ratios of the phantom's
time course (`mt.viz.plot_timeline`), with a marker at the chosen day.
"""),
    code("""
NERVES = [c for c in mt.anatomy.NERVE_CAUSES if c != "none"]
days_w = widgets.IntSlider(value=90, min=0, max=720, step=5, description="days",
                           continuous_update=False)
reinn_w = widgets.IntSlider(value=0, min=0, max=720, step=10,
                            description="reinnervation", continuous_update=False)
reinn_on = widgets.Checkbox(value=False, description="reinnervates")
nerve_w = widgets.Dropdown(options=NERVES, value="superior_gluteal", description="nerve")
side_w = widgets.ToggleButtons(options=["right", "left"], value="right", description="side")
field_w = widgets.ToggleButtons(options=[1.5, 3.0], value=1.5, description="field (T)")
out = widgets.Output()


def update(*_):
    reinnervation = reinn_w.value if reinn_on.value else None
    case = mt.phantom.make_case(cause=nerve_w.value, side=side_w.value,
                                days=float(days_w.value), reinnervation_day=reinnervation,
                                field_t=float(field_w.value), preset="fast", rng=0)
    t = case.truth
    # the fast preset puts T1, STIR and labels on one grid (RAS+ arrays)
    panel = mt.viz.plot_case_panel(case.t1, case.stir, case.labels, case.label_table,
                                   voxel_size_mm=mt.orientation.voxel_sizes(case.affine),
                                   highlight=t["affected"], slide=False)
    first = t["affected"][0] if t["affected"] else None
    measured = ({k: t["muscles"][first][k] for k in ("stir_ratio", "t1_ratio", "volume_ratio")}
                if first else None)
    curves = mt.viz.plot_timeline(measured=measured, days=float(days_w.value),
                                  reinnervation_day=reinnervation,
                                  field_t=float(field_w.value), slide=False)
    # fill the Output widget directly (no output capture: robust in every front end)
    out.outputs = ()
    for fig in (panel, curves):
        out.append_display_data(fig)
        plt.close(fig)
    out.append_stdout(f"time stage: {t['time_stage']}; affected: "
                      + ", ".join(mt.anatomy.display_name(a) for a in t["affected"]) + "\\n")
    return case


for w in (days_w, reinn_w, reinn_on, nerve_w, side_w, field_w):
    w.observe(update, names="value")
display(widgets.VBox([widgets.HBox([days_w, nerve_w]), widgets.HBox([reinn_on, reinn_w]),
                      widgets.HBox([side_w, field_w]), out]))
case = update()  # draw once (also when the notebook runs headless)
"""),
    md("""
## Static views of the same story

Without widgets (or to print), here are the curves for the superior gluteal nerve with and
without reinnervation, and the three stages side by side.
"""),
    code("""
fig = mt.viz.plot_timeline()
plt.show()
fig = mt.viz.plot_timeline(reinnervation_day=120)
plt.show()
"""),
    code("""
fig = mt.viz.plot_stage_gallery(days=(0, 21, 90, 540), cause="superior_gluteal",
                                side="right", preset="fast")
plt.show()
"""),
    md("""
Things to try: set the days to 7 (too early: under about 2 weeks a denervated muscle can
look normal, domain.md 1.3), compare 1.5 T with 3 T, choose the inferior gluteal nerve
(gluteus maximus alone) or the L5 root (multifidus too), and switch on reinnervation at
day 120.
"""),
]

# --------------------------------------------------------------------------------------
# 03 quiz
# --------------------------------------------------------------------------------------

QUIZ = [
    md("""
# 3. Self-assessment quiz

Unlabelled synthetic cases: nerve lesions at different times, mimics (abductor tendon tear,
disuse atrophy, muscle strain; domain.md 9), "too early" cases imaged in the first two weeks
(when a denervated muscle can still look normal, domain.md 1.3) and normal pelvises. The
side, time since injury, noise and field strength are random; the same seed gives the same
quiz.

For each case answer the **stage** (normal / acute / subacute / chronic), the **cause**
and the **side**. You get one point for each, half a point for a cause whose pattern
overlaps the true one, and an explanation citing the pattern.
"""),
    code(SETUP + "from IPython.display import display\n"),
    code("""
cases = mt.quiz.make_quiz(4, seed=7)
session = mt.quiz.QuizSession(cases)
print([c.case_id for c in cases])
print("stages:", mt.quiz.STAGES)
print("causes:", mt.anatomy.CAUSES)
"""),
    md("""
## With widgets

Pick your answers and press *Submit*; after grading the abnormal muscles are outlined.
*Next case* moves on; the running score is below the feedback.
"""),
    code("""
quiz_box = mt.quiz.quiz_widget(session)
display(quiz_box)
"""),
    md("""
## Without widgets: plain functions

The same quiz works from code, e.g. in a front end without ipywidgets. Look at the case,
then call `mt.quiz.grade`.
"""),
    code("""
case = cases[0]
fig = mt.quiz.show_case(case)
plt.show()
"""),
    code("""
feedback = session.answer(0, stage="subacute", cause="superior_gluteal", side="right")
print(feedback)
"""),
    code("""
fig = mt.quiz.show_case(case, reveal=True)
plt.show()
"""),
    md("""
## ROI placement feedback

Place an ROI and check it against the phantom's anatomy labels: the overlap (Dice) with the
muscle you meant, which muscle it actually covers most, and whether it is on the wrong side.
Here we put a small ellipse at the centre of the right gluteus medius, then the same ellipse
mirrored to the other side. Remember: in radiological display the patient's right is on the
screen **left** (domain.md 6).
"""),
    code("""
from scipy import ndimage

k = case.best_slice("gluteus_medius")
muscle = case.labels[:, :, k] == case.label_values["gluteus_medius_right"]
depth = ndimage.distance_transform_edt(muscle)  # deepest point: far from the fat planes
centre = np.unravel_index(np.argmax(depth), muscle.shape)
radius = max(1.0, min(3.0, float(depth.max()) - 1))
ellipse = mt.roi.ellipse_to_mask(centre, (radius, radius), muscle.shape)
roi = mt.roi.plane_to_volume(ellipse, "axial", k, case.labels.shape)
print(mt.quiz.check_roi(case, roi, "gluteus_medius_right").message)

mirrored = roi[::-1, :, :]  # flip patient left <-> right (axis 0 of a RAS array)
print(mt.quiz.check_roi(case, mirrored, "gluteus_medius_right").message)
"""),
    md("""
### Draw your own ROI and check it

Draw on the quiz case with the ROI editor (pick the muscle and side, draw with the polygon
tool), then run the cell after it: each ROI you drew is checked against the muscle you
labelled it as. Without a browser, a small square is placed for you.
"""),
    code("""
from mri_teach.widgets import RoiEditor

editor = RoiEditor(case.t1, case.stir, affine=case.affine, stir_affine=case.stir_affine,
                   plane="axial", index=k, muscle="gluteus_medius", side="right",
                   autosave=False, analyze=False)
editor.show()
"""),
    code("""
if not editor.edits:  # nothing drawn (headless run): a 5 x 5 voxel square in the muscle
    ci, cj = (int(c) for c in centre)
    editor.add_polygon("gluteus_medius_right", [(ci - 2.5, cj - 2.5), (ci + 2.5, cj - 2.5),
                                                (ci + 2.5, cj + 2.5), (ci - 2.5, cj + 2.5)])
for value, name in sorted(editor.table.items()):
    drawn = editor.labels == value
    if drawn.any():
        print(f"{name}: {mt.quiz.check_roi(case, drawn, name).message}")
"""),
    md("""
## Score summary

Answer the remaining cases (here with fixed example answers) and look at the summary.
"""),
    code("""
for i in range(1, len(cases)):
    fb = session.answer(i, stage="normal", cause="none")
    print(cases[i].case_id, f"{fb.score:g}/{fb.max_score:g}", "-", fb.correct_reading)
print()
print(session.summary())
"""),
    md("""
## For educators: export a quiz set for a class

`mt.quiz.export_quiz` (or `mri-teach quiz --n 10 --seed 1 --out DIR` in a terminal) writes
one neutral folder per case (`case_01/t1.nii.gz`, `stir.nii.gz`, `labels.nii.gz` with the
anatomy only, `labels.json`) and the answer key **outside** the case folders
(`answer_key.json`, `answer_key.md`). Folder numbers are shuffled; NIfTI headers, file names
and time stamps carry nothing about the answer. Hand out the `case_XX` folders, keep the
key.
"""),
    code("""
import tempfile
from pathlib import Path

# the same 4 cases as above (same seed); `mri-teach quiz --n 4 --seed 7 --out DIR` does the same
out = mt.quiz.export_quiz(Path(tempfile.mkdtemp()) / "class_quiz", 4, seed=7)
for path in sorted(out.rglob("*")):
    print(path.relative_to(out))
print()
print((out / "answer_key.md").read_text().splitlines()[6])
"""),
]

# --------------------------------------------------------------------------------------
# 04 your data
# --------------------------------------------------------------------------------------

YOURS = [
    md("""
# 4. Your own data

Load your own T1 and STIR NIfTI files (and, if you have them, a label map from
TotalSegmentator, MuscleMap or ITK-SNAP), check the orientation, draw ROIs, analyse and
export slides.

**Privacy:** mri_teach never puts header free text or file paths into figures, reports or
slides; still, only use images you are allowed to use, and anonymise first
(`mri-teach anonymize`).

Set the paths in the next cell. If you leave them as `None`, a synthetic case is written to
a temporary folder and used instead, so the notebook always runs.
"""),
    code(SETUP + "from pathlib import Path\nimport tempfile\n"),
    code("""
T1_PATH = None       # e.g. "my_case/t1.nii.gz"
STIR_PATH = None     # e.g. "my_case/stir.nii.gz"
LABELS_PATH = None   # optional: a label NIfTI (+ labels.json / ITK-SNAP .txt beside it)

if T1_PATH is None:
    demo = mt.phantom.make_case(cause="superior_gluteal", side="left", days=120.0,
                                preset="fast", rng=11)
    folder = mt.datasets.write_case(demo, Path(tempfile.mkdtemp()) / "my_case")
    T1_PATH, STIR_PATH = folder / "t1.nii.gz", folder / "stir.nii.gz"
    LABELS_PATH = folder / "labels.nii.gz"
    print("using a synthetic case written to", folder.name, "->",
          sorted(p.name for p in folder.iterdir()))
"""),
    md("""
## Load and check the orientation

NIfTI stores a voxel-to-world **affine** in RAS+ millimetres (x to the patient's Right,
y Anterior, z Superior); the voxel order on disk is arbitrary (domain.md 6). mri_teach
reorients every image to RAS+ on load and prints where it came from. DICOM-derived files
are often LPS; that is fine as long as the affine is right. If the T1 and STIR grids differ,
the STIR is resampled onto the T1 grid through world coordinates.
"""),
    code("""
pair = mt.io.load_pair(T1_PATH, STIR_PATH)
for vol in (pair.t1, pair.stir_native):
    print(f"{vol.name:5s} stored as {''.join(vol.original_axcodes)} -> loaded as "
          f"{''.join(mt.orientation.axcodes(vol.affine))}, shape {vol.shape}, "
          f"voxel {tuple(round(v, 2) for v in vol.voxel_size_mm)} mm")
print("STIR resampled onto the T1 grid:", pair.stir.resampled)
"""),
    md("""
Now look: the markers must match the anatomy. In radiological convention the patient's
right is on the screen left, the liver/ascending colon side; a wrong affine shows up here,
before any measurement.
"""),
    code("""
k = pair.t1.shape[2] // 2
fig, axes = plt.subplots(1, 2, figsize=(10, 4.5), constrained_layout=True)
for ax, vol in zip(axes, (pair.t1, pair.stir)):
    mt.viz.show_plane(ax, vol.data, "axial", k, mt.viz.window_from_percentiles(vol.data),
                      voxel_size_mm=vol.voxel_size_mm)
    ax.set_title(f"{vol.name}, axial slice {k}")
plt.show()
"""),
    md("""
## Labels: sides come from the names

A label map is only as good as its table. mri_teach reads the names (JSON beside the file,
ITK-SNAP label description files, TotalSegmentator header extensions or built-in tables)
and takes each label's **side from its name**, never from whether its number is odd or even
(MuscleMap and TotalSegmentator differ). Check: a right-sided label must have its centre
at positive world x (RAS).
"""),
    code("""
def side_check(labelmap, structures=("gluteus_medius", "gluteus_minimus", "tensor_fasciae_latae")):
    for value, name in sorted(labelmap.table.items()):
        structure, side = mt.anatomy.parse_name(name)
        if structure not in structures:
            continue
        ijk = np.argwhere(labelmap.data == value)
        if not len(ijk):
            print(f"{value:5d} {name:30s} empty")
            continue
        x = mt.orientation.voxel_to_world(labelmap.affine, ijk.mean(axis=0))[0]
        ok = (x > 0) == (side == "right")
        print(f"{value:5d} {name:30s} centre x = {x:+7.1f} mm  {'OK' if ok else 'CHECK SIDE!'}")

labels = mt.io.load_labels(LABELS_PATH) if LABELS_PATH is not None else None
if labels is not None:
    side_check(labels)
"""),
    md("""
### ITK-SNAP label descriptions

If you segmented in ITK-SNAP, export *Segmentation > Export Label Descriptions* and pass the
`.txt` file as `table=`; the names (and so the sides) come from it. Here the table is
written as an ITK-SNAP file and read back.
"""),
    code("""
if labels is not None:
    itk = mt.io.write_itksnap_labels(labels.table, Path(tempfile.mkdtemp()) / "labels.txt")
    print(itk.read_text().splitlines()[-1])
    from_itk = mt.io.load_labels(LABELS_PATH, table=itk)
    print("same names from ITK-SNAP:", from_itk.table == labels.table,
          "| table from:", from_itk.table_source)
"""),
    md("""
### Example: a real TotalSegmentator label file

If the public test files are present (`../shared/data/real/` next to the repository), here
is how a real TotalSegmentator output imports: a CT of the abdomen and pelvis with its
`--fast` multi-label segmentation. The class names come from TotalSegmentator's `total`
table; gluteus medius left/right are 82/83. (It is a CT, not an MRI: it shows the *format*.
The CT also has a metal hip implant on the patient's left.)
"""),
    code("""
def find_real_data():
    for base in [Path.cwd(), *Path.cwd().parents]:
        candidate = base / "shared" / "data" / "real"
        if candidate.is_dir():
            return candidate
    return None

REAL = find_real_data()
ts_dir = REAL / "totalsegmentator" if REAL else None
if ts_dir is not None and (ts_dir / "example_seg_fast_force_split.nii.gz").is_file():
    ct = mt.io.load_volume(ts_dir / "example_ct.nii.gz", name="CT")
    seg = mt.io.load_totalsegmentator(ts_dir / "example_seg_fast_force_split.nii.gz")
    print("table from:", seg.table_source)
    side_check(seg, ("gluteus_medius", "gluteus_minimus", "gluteus_maximus"))
    k = int(np.argmax((np.isin(seg.data, [seg.value_of("gluteus_medius_left"),
                                          seg.value_of("gluteus_medius_right")])).sum((0, 1))))
    fig, ax = plt.subplots(figsize=(5, 4.5), constrained_layout=True)
    mt.viz.show_plane(ax, ct.data, "axial", k, mt.viz.Window(-160, 240),
                      voxel_size_mm=ct.voxel_size_mm)
    mt.viz.draw_label_outlines(ax, mt.orientation.plane_slice(seg.data, "axial", k), seg.table,
                               names=["gluteus_medius", "gluteus_minimus", "gluteus_maximus"])
    ax.set_title(f"TotalSegmentator labels on CT, axial {k}")
    plt.show()
else:
    print("real example files not found; skipping (the synthetic case above shows the same steps)")
"""),
    md("""
## Draw ROIs

Open the editor on your images (interactive in JupyterLab with `%matplotlib widget`). If you
loaded a label map, you can start from it: pass `labels=` and correct the outlines. Here, to
keep the notebook runnable without a browser, we use the label file's Gmed, Gmin and TFL
as the ROIs.
"""),
    code("""
from mri_teach.widgets import RoiEditor

editor = RoiEditor(pair.t1, pair.stir, muscle="gluteus_medius", side="left")
editor.show()
"""),
    code("""
ROI_MUSCLES = ("gluteus_medius", "gluteus_minimus", "tensor_fasciae_latae")
if labels is not None:
    keep = {v: n for v, n in labels.table.items() if mt.anatomy.parse_name(n)[0] in ROI_MUSCLES}
    rois = mt.io.LabelMap(np.where(np.isin(labels.data, list(keep)), labels.data, 0),
                          labels.affine, keep, labels.voxel_size_mm)
else:
    rois = editor.label_map()  # what you drew
print(sorted(rois.table.values()))
"""),
    md("""
## Analyse

Ratios, stage with reasons and the nerve pattern, exactly as in the [tour](01_tour.ipynb).
Real images carry coil shading: left/right ratios of 0.79-0.98 were measured on presumably
normal gluteal muscles of a real pair (domain.md 1.4), so a ratio near a threshold is weak
evidence on its own.
"""),
    code("""
analysis = mt.staging.analyze(pair.t1, pair.stir_native, rois)
for m in analysis.muscles:
    print(f"{mt.anatomy.display_name(m.name):34s} T1 SIR {m.t1_sir:5.2f}  "
          f"STIR SIR {m.stir_sir:5.2f}  -> {m.stage}")
p = analysis.pattern
print("pattern:", p.side, p.nerve, p.stage)
for w in analysis.warnings:
    print("warning:", w)
"""),
    md("""
## Export slides and a report

The deck and the report are written to a folder you choose (here a temporary one). They
show the sequence roles (T1, STIR), never your file names or header text.
"""),
    code("""
out_dir = Path(tempfile.mkdtemp()) / "my_case_slides"
inputs = mt.report.load_case_inputs(t1=T1_PATH, stir=STIR_PATH, labels=LABELS_PATH)
result = mt.report.analyze_case(inputs)
figures = mt.report.build_figures(inputs, result, which=("case_panel", "sir_chart"))
deck = mt.report.write_deck(inputs, result, out_dir / "case.pptx", figures=figures)
report = mt.report.write_report(inputs, result, out_dir, figures=figures,
                                save_formats=("png",))
print("slides:", deck.name)
print("report:", sorted(p.name for p in report.values()))
plt.close("all")
"""),
]


NOTEBOOKS = {
    "01_tour.ipynb": TOUR,
    "02_timeline.ipynb": TIMELINE,
    "03_quiz.ipynb": QUIZ,
    "04_your_data.ipynb": YOURS,
}


def build(cells) -> nbformat.NotebookNode:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                 "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"  # stable ids: clean diffs
    return nb


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a notebook is stale")
    args = parser.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    stale = []
    for name, cells in NOTEBOOKS.items():
        text = nbformat.writes(build(cells)) + "\n"
        path = OUT / name
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
            continue
        path.write_text(text, encoding="utf-8")
    if stale:
        print("out of date:", ", ".join(stale), "- run scripts/make_notebooks.py")  # noqa: T201
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
