"""``mri-teach quiz``: export a quiz set for a class (images + separate answer key)."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["register"]


def register(subparsers) -> None:
    """Add the ``quiz`` subcommand to `subparsers`."""
    p = subparsers.add_parser(
        "quiz",
        help="export random unlabelled synthetic cases and a separate answer key",
        description="Write N random synthetic pelvis cases (T1, STIR, anatomy labels) into "
        "neutral case_XX folders of OUT, and answer_key.json / answer_key.md beside them. "
        "Nothing in the case folders gives the answer away. The same --seed gives the "
        "same quiz.",
    )
    p.add_argument("--n", type=int, default=10, help="number of cases (default 10)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--out", type=Path, required=True, help="output folder (empty or new)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an earlier quiz export in OUT")
    p.add_argument("--preset", default="fast", choices=("fast", "default"),
                   help="phantom preset (default fast)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from mri_teach import quiz

    out = quiz.export_quiz(args.out, args.n, seed=args.seed, overwrite=args.overwrite,
                           preset=args.preset)
    print(f"wrote {args.n} quiz cases to {out} (answer key: {out / 'answer_key.md'}; "
          "keep it private)")
    return 0
