"""The ``mri-teach`` command line (layer L7).

Each subcommand lives in its own private module ``mri_teach.cli._<name>`` that defines
``register(subparsers)``; the module adds its parser and sets ``func`` to a function taking
the parsed arguments and returning an exit status. :func:`main` is the only entry point.

Errors in the user's input (:class:`mri_teach._validation.MriTeachError`, a missing file or
a missing optional dependency) print one line ``mri-teach: error: ...`` on stderr and return
exit status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from mri_teach import __version__
from mri_teach._validation import MriTeachError

__all__ = ["build_parser", "main"]

#: Subcommand modules, in the order ``mri-teach --help`` lists them.
COMMANDS = ("info", "synth", "analyze", "compare", "report", "slides", "anonymize", "quiz",
            "demo")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own errors: one line, exit 2
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every available subcommand."""
    parser = _Parser(
        prog="mri-teach",
        description="Teach muscle denervation on pelvis MRI (T1 vs STIR). "
        "For education, not for clinical use.",
    )
    parser.add_argument("--version", action="version", version=f"mri-teach {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"mri_teach.cli._{name}")
        except ModuleNotFoundError as err:
            if err.name == f"mri_teach.cli._{name}":
                continue  # subcommand not built yet
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``mri-teach`` with `argv` (default ``sys.argv[1:]``) and return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (MriTeachError, FileNotFoundError, IsADirectoryError, PermissionError) as err:
        print(f"mri-teach: error: {err}", file=sys.stderr)
        return 2
    except ImportError as err:
        if "pip install" in str(err):
            print(f"mri-teach: error: {err}", file=sys.stderr)
            return 2
        raise
    except KeyboardInterrupt:
        print("mri-teach: interrupted", file=sys.stderr)
        return 130
