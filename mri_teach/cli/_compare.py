"""``mri-teach compare``: follow-up of one patient, baseline study vs follow-up study.

Design: both studies are given as images (``--baseline-t1/--baseline-stir/--baseline-labels``
and ``--t1/--stir/--labels``) and analysed with the same settings, so the ratios are
comparable. The output lists the change of every ratio and flags "reinnervation suggested"
when a muscle's STIR SIR has fallen by at least half of its initial rise above 1.0
(Viddeleer 2016, domain.md 1.2). Library users can compare saved ``analyze --json`` results
with :func:`mri_teach.staging.compare`, which accepts those dicts.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mri_teach.cli._analyze import (
    add_study_arguments,
    check_output,
    run_analysis,
    study_inputs,
    write_json,
)

__all__ = ["register"]


def register(subparsers) -> None:
    """Add the ``compare`` subcommand to `subparsers`."""
    p = subparsers.add_parser(
        "compare",
        help="compare a follow-up study with a baseline: ratio changes, reinnervation",
        description="Analyse a baseline and a follow-up T1 + STIR study of the same patient "
        "with the same settings and report the change of each ratio. Reinnervation is "
        "suggested when the STIR SIR has fallen by at least half of its initial rise above "
        "1.0 (Viddeleer 2016). For education, not for clinical use.",
    )
    for prefix, what in (("baseline-", "baseline"), ("", "follow-up")):
        p.add_argument(f"--{prefix}t1", required=True, type=Path, help=f"{what} T1 NIfTI")
        p.add_argument(f"--{prefix}stir", required=True, type=Path, help=f"{what} STIR NIfTI")
        p.add_argument(f"--{prefix}labels", required=True, type=Path,
                       help=f"{what} label map")
        p.add_argument(f"--{prefix}label-names", type=Path, default=None,
                       help=f"{what} label table (default: labels.json beside the labels)")
    add_study_arguments(p)
    p.add_argument("--json", type=Path, default=None, metavar="OUT.json",
                   help="write {baseline, followup, comparison} as JSON")
    p.set_defaults(func=_run)


def _f(x) -> str:
    return "-" if x is None else f"{x:+.2f}"


def _run(args: argparse.Namespace) -> int:
    from mri_teach import staging

    inputs = study_inputs(args.baseline_t1, args.baseline_stir, args.baseline_labels,
                          args.baseline_label_names) + \
        study_inputs(args.t1, args.stir, args.labels, args.label_names)
    if args.json is not None:
        check_output(args.json, inputs)
    base = run_analysis(args.baseline_t1, args.baseline_stir, args.baseline_labels,
                        args.baseline_label_names, args)
    follow = run_analysis(args.t1, args.stir, args.labels, args.label_names, args)
    comp = staging.compare(base, follow)
    rows = [("ROI", "stage then -> now", "dT1 SIR", "dSTIR SIR", "dvol", "status")]
    for m in comp.muscles:
        rows.append((m["name"], f"{m['stage_baseline']} -> {m['stage_followup']}",
                     _f(m["t1_sir_change"]), _f(m["stir_sir_change"]),
                     _f(m["volume_ratio_change"]), m["status"]))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)))
    print()
    bp, fp = base.pattern, follow.pattern
    print(f"baseline: {bp.nerve} ({bp.side}), {bp.stage}; follow-up: {fp.nerve} "
          f"({fp.side}), {fp.stage}")
    for s in comp.summary:
        print(f"note: {s}")
    for w in base.warnings:
        print(f"warning (baseline): {w}")
    for w in follow.warnings:
        print(f"warning (follow-up): {w}")
    print("For education, not for clinical use.")
    if args.json is not None:
        write_json({"baseline": base.to_dict(), "followup": follow.to_dict(),
                    "comparison": comp.to_dict()}, args.json, inputs)
        print(f"wrote {args.json}")
    return 0
