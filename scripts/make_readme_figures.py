"""Render the README figures of the motivating case into ``docs/img/``.

Usage (from the repository root)::

    .venv/bin/python scripts/make_readme_figures.py [--out docs/img] [--dpi 90]

Writes ``readme_case_panel.png``, ``readme_sir_chart.png`` and ``readme_timeline.png``: the
case panel (axial T1 and STIR, radiological convention), the SIR chart and the denervation
timeline of the bundled sample ``sgn_subacute`` (right superior gluteal nerve, 3 months),
made by exactly the code the demo, report and deck use (``report.build_figures``), saved at a
small dpi so the repository stays small.
"""

# ruff: noqa: T201 - a command-line script reports on stdout
from __future__ import annotations

import argparse
import io as _io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from PIL import Image  # noqa: E402 - Pillow comes with matplotlib

from mri_teach import datasets, report  # noqa: E402

NAMES = ("case_panel", "sir_chart", "timeline")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/img", type=Path)
    parser.add_argument("--dpi", default=90, type=int)
    args = parser.parse_args(argv)
    inputs = report.inputs_from_case(datasets.load_sample("sgn_subacute"))
    analysis = report.analyze_case(inputs)
    figures = report.build_figures(inputs, analysis, which=NAMES)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in NAMES:
        path = args.out / f"readme_{name}.png"
        buffer = _io.BytesIO()
        figures[name].savefig(buffer, dpi=args.dpi, metadata={"Software": None})
        plt.close(figures[name])
        # 8-bit palette PNG: a third of the size, no visible change for these figures
        image = Image.open(buffer).convert("RGB").quantize(colors=192)
        image.save(path, optimize=True)
        print(f"wrote {path} ({path.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
