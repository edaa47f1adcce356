"""``mri-teach report``: a Markdown + HTML teaching-file report of one case.

Examples::

    mri-teach report sample_data/sgn_subacute --out report_sgn
    mri-teach report --t1 t1.nii.gz --stir stir.nii.gz --labels labels.nii.gz --out rep \\
        --vignette "47-year-old woman, 3 months of buttock pain and a Trendelenburg gait"

CASE is a folder as written by ``mri-teach synth`` (t1.nii.gz, stir.nii.gz, labels.nii.gz,
labels.json, truth.json). The report never shows header free text or file paths unless
``--show-paths`` is given. For education, not for clinical use.
"""

from __future__ import annotations

from pathlib import Path

from mri_teach._validation import InputError

__all__ = ["register", "run", "add_case_arguments", "inputs_from_args"]


def add_case_arguments(p) -> None:
    """CASE folder or --t1/--stir/--labels, plus the privacy and vignette options."""
    p.add_argument("case", nargs="?", metavar="CASE",
                   help="case folder (t1.nii.gz, stir.nii.gz, labels.nii.gz, labels.json, "
                   "truth.json)")
    p.add_argument("--t1", metavar="T1", help="T1-weighted NIfTI (overrides CASE's)")
    p.add_argument("--stir", metavar="STIR", help="STIR NIfTI (overrides CASE's)")
    p.add_argument("--labels", metavar="LABELS", help="label map NIfTI (overrides CASE's)")
    p.add_argument("--label-names", metavar="NAMES.json",
                   help="label table (default: labels.json beside LABELS)")
    p.add_argument("--vignette", metavar="TEXT", help="clinical vignette to print in the report")
    p.add_argument("--show-paths", action="store_true",
                   help="include the input file paths (hidden by default for privacy)")
    p.add_argument("--neurological", action="store_true",
                   help="neurological view (patient right on screen right); default radiological")
    p.add_argument("--plane", default="axial", choices=("axial", "coronal"),
                   help="plane of the T1/STIR case panel (default axial)")


def inputs_from_args(args):
    """Load the case named by the parsed arguments."""
    from mri_teach import report

    if args.case is None and not (args.t1 and args.stir and args.labels):
        msg = "give a CASE folder or all of --t1, --stir and --labels."
        raise InputError(msg)
    return report.load_case_inputs(args.case, t1=args.t1, stir=args.stir, labels=args.labels,
                                   label_names=args.label_names, vignette=args.vignette)


def register(subparsers) -> None:
    """Add the ``report`` subcommand to `subparsers`."""
    p = subparsers.add_parser(
        "report", help="write a Markdown + HTML teaching report of a case",
        description="Analyze a T1 + STIR case and write report.md and a self-contained "
        "report.html (findings per muscle, stage with reasons, nerve pattern and anatomy, "
        "differential, fat grade, teaching points, management as taught, references) plus "
        "figures as PNG/SVG/PDF. For education, not for clinical use.")
    add_case_arguments(p)
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an existing report in DIR")
    p.add_argument("--formats", default="png,svg,pdf",
                   help="figure formats, comma-separated (default png,svg,pdf)")
    p.set_defaults(func=run)


def run(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from mri_teach import report

    out = Path(args.out)
    if (out / "report.md").exists() and not args.overwrite:
        msg = f"{out}/report.md already exists; pass --overwrite to replace the report."
        raise InputError(msg)
    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    inputs = inputs_from_args(args)
    analysis = report.analyze_case(inputs)
    figures = report.build_figures(inputs, analysis, neurological=args.neurological,
                                   plane=args.plane)
    written = report.write_report(inputs, analysis, out, figures=figures,
                                  show_paths=args.show_paths, save_formats=formats)
    _close(figures)
    print(f"report: {written['html']}")
    print(f"        {written['markdown']}")
    print(f"figures: {out / 'figures'}")
    return 0


def _close(figures) -> None:
    import matplotlib.pyplot as plt

    for fig in figures.values():
        plt.close(fig)
