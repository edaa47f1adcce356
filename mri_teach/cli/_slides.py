"""``mri-teach slides``: an editable 16:9 PowerPoint deck of one case.

Example::

    mri-teach slides sample_data/sgn_subacute --out deck.pptx

Needs python-pptx (``pip install 'mri_teach[slides]'``). Slides: title, case panel, SIR
chart, timeline, stage gallery, innervation, findings, stage and nerve pattern, teaching
points, management as taught, references. Text slides are editable text boxes. For
education, not for clinical use.
"""

from __future__ import annotations

from pathlib import Path

from mri_teach.cli._report import add_case_arguments, inputs_from_args

__all__ = ["register", "run"]


def register(subparsers) -> None:
    """Add the ``slides`` subcommand to `subparsers`."""
    p = subparsers.add_parser(
        "slides", help="write an editable PowerPoint deck of a case",
        description="Analyze a T1 + STIR case and write a 16:9 teaching deck (python-pptx). "
        "For education, not for clinical use.")
    add_case_arguments(p)
    p.add_argument("--out", required=True, metavar="DECK.pptx", help="output .pptx file")
    p.add_argument("--overwrite", action="store_true", help="replace an existing deck")
    p.set_defaults(func=run)


def run(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from mri_teach import report
    from mri_teach._optional import require

    require("pptx", extra="slides")  # fail before the analysis if the extra is missing
    inputs = inputs_from_args(args)
    analysis = report.analyze_case(inputs)
    figures = report.build_figures(inputs, analysis, neurological=args.neurological,
                                   plane=args.plane)
    path = report.write_deck(inputs, analysis, Path(args.out), figures=figures,
                             overwrite=args.overwrite, show_paths=args.show_paths)
    import matplotlib.pyplot as plt

    for fig in figures.values():
        plt.close(fig)
    print(f"deck: {path}")
    return 0
