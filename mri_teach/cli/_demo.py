"""``mri-teach demo``: the motivating case end to end, in one command.

Example::

    mri-teach demo --out demo_output

Loads the bundled sample ``sgn_subacute`` (a right superior gluteal nerve lesion at 3 months:
STIR up, mild T1 rise in gluteus medius, gluteus minimus and TFL) from ``sample_data/`` or the
user cache (``$MRI_TEACH_CACHE``; rebuilt from its seed the first time), applies the sample
ROIs (the phantom label map restricted to muscles), prints the per-muscle table and the stage
and nerve pattern, and writes the figures (case panel, SIR chart, timeline, stage gallery,
innervation), the report and the deck (when python-pptx is installed) to DIR. DIR is the
demo's own output folder: its demo files are refreshed on every run. Synthetic teaching
data; for education, not clinical use.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

from mri_teach._validation import InputError

__all__ = ["register", "run", "SAMPLE"]

#: The motivating case (datasets.SAMPLES).
SAMPLE = "sgn_subacute"
#: Its clinical story (the product brief; imaging pattern as in Eurorad case 16251, domain.md 1.1).
VIGNETTE = ("A 47-year-old woman with 3 months of right buttock pain and weakness of hip "
            "abduction. (Synthetic teaching case.)")
_MARKER = ".mri_teach_demo"


def register(subparsers) -> None:
    """Add the ``demo`` subcommand to `subparsers`."""
    p = subparsers.add_parser(
        "demo", help="run the motivating case end to end (figures, report, deck)",
        description="Analyze the bundled superior-gluteal-nerve sample case and write its "
        "figures, report and deck. Synthetic teaching data; for education, not clinical use.")
    p.add_argument("--out", default="mri_teach_demo", metavar="DIR",
                   help="output folder (default ./mri_teach_demo); refreshed on every run")
    p.add_argument("--no-deck", action="store_true", help="skip the PowerPoint deck")
    p.set_defaults(func=run)


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        msg = f"--out {out} is a file; give a folder for the demo output."
        raise InputError(msg)
    if out.is_dir() and any(out.iterdir()) and not (out / _MARKER).exists():
        msg = (f"--out {out} is a non-empty folder not made by `mri-teach demo`; choose an "
               "empty or new folder (the demo refreshes its own output only).")
        raise InputError(msg)
    out.mkdir(parents=True, exist_ok=True)
    (out / _MARKER).write_text("output folder of `mri-teach demo`; safe to delete\n",
                               encoding="utf-8")


def _load_case():
    """The sample from ``sample_data/`` or the user cache (rebuilt from its seed once)."""
    from mri_teach import datasets, report

    sample = datasets.load_sample(SAMPLE)
    return report.inputs_from_case(sample, vignette=VIGNETTE), sample.folder


def _table(analysis: dict) -> str:
    from mri_teach import anatomy

    head = f"{'muscle':28s} {'T1 ratio':>9s} {'STIR ratio':>11s} {'volume':>7s}  stage"
    lines = [head, "-" * len(head)]

    def f(x):
        try:
            v = float(x)
        except (TypeError, ValueError):
            return "-"
        return f"{v:.2f}" if math.isfinite(v) else "-"

    for m in analysis["muscles"]:
        if not m.get("voxels"):
            continue
        lines.append(f"{anatomy.display_name(m['name']):28s} {f(m.get('t1_sir')):>9s} "
                     f"{f(m.get('stir_sir')):>11s} {f(m.get('volume_ratio')):>7s}  "
                     f"{m.get('stage', '-')}")
    lines.append("ratios: each muscle / its contralateral partner on the same sequence, so the "
                 "healthy partner of an abnormal muscle shows the reciprocal (below 1).")
    return "\n".join(lines)


def run(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mri_teach import anatomy, report
    from mri_teach._optional import have

    t0 = time.perf_counter()
    out = Path(args.out)
    _check_out(out)
    inputs, case_folder = _load_case()
    analysis = report.analyze_case(inputs)
    print(f"mri-teach demo: sample case {SAMPLE!r} (synthetic; for education, not clinical use)")
    if inputs.vignette:
        print(f"vignette: {inputs.vignette}")
    print()
    print(_table(analysis))
    pattern = analysis.get("pattern") or {}
    info = anatomy.CAUSE_INFO.get(pattern.get("nerve") or "none")
    print()
    print(f"stage: {pattern.get('stage', '-')}")
    print(f"nerve pattern: {pattern.get('side', '-')} "
          f"{info.display if info else pattern.get('nerve')}")
    truth = inputs.truth or {}
    if truth:
        cause = anatomy.CAUSE_INFO.get(truth.get("cause", "none"))
        print(f"answer key: {truth.get('side', '')} {cause.display if cause else '-'}, "
              f"{truth.get('days', '-')} days ({truth.get('time_stage', '-')})")
    for w in analysis.get("warnings") or []:
        print(f"warning: {w}")
    figures = report.build_figures(inputs, analysis)
    written = report.write_report(inputs, analysis, out, figures=figures, save_formats=("png",))
    deck_note = None
    if args.no_deck:
        deck_note = "deck skipped (--no-deck)"
    elif not have("pptx"):
        deck_note = ("deck skipped: python-pptx is not installed "
                     "(pip install 'mri_teach[slides]')")
    else:
        deck = report.write_deck(inputs, analysis, out / "deck.pptx", figures=figures,
                                 overwrite=True)
    for fig in figures.values():
        plt.close(fig)
    print()
    print(f"wrote to {out}/ in {time.perf_counter() - t0:.1f} s:")
    for name in figures:
        print(f"  figure  {written[name].relative_to(out)}")
    print(f"  report  {written['html'].relative_to(out)}  (and report.md)")
    if deck_note:
        print(f"  {deck_note}")
    else:
        print(f"  deck    {deck.relative_to(out)}")
    print(f"  case    {case_folder} (the sample's NIfTI files and truth.json)")
    print()
    print("next: open the tour notebook with  .venv/bin/jupyter lab notebooks/01_tour.ipynb")
    return 0
