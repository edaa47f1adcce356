"""Benchmark: the full teaching figure set, report and deck for one case.

Run: ``.venv/bin/python benchmarks/bench_figures.py`` (writes to a temporary folder, removed
afterwards). Target (issue 6): figures (case panel, SIR chart, timeline, four-stage gallery,
innervation) + PNG export + report (Markdown + HTML) + deck for one case in < 5 s, with the
case already loaded and analyzed. SVG/PDF export and the one-off costs (loading and
analyzing the case, building the phantom anatomy for the gallery) are reported beside it.
Not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import matplotlib.pyplot as plt  # noqa: E402

from mri_teach import datasets, report  # noqa: E402
from mri_teach._optional import have  # noqa: E402

TARGET_S = 5.0


class Clock:
    def __init__(self):
        self.t = time.perf_counter()
        self.rows: list[tuple[str, float]] = []

    def lap(self, name: str) -> float:
        now = time.perf_counter()
        self.rows.append((name, now - self.t))
        self.t = now
        return self.rows[-1][1]


def run(case_dir: Path, out: Path, *, warm: bool) -> dict[str, float]:
    c = Clock()
    sample = datasets.load_sample("sgn_subacute", folder=case_dir)
    inputs = report.inputs_from_case(sample)
    c.lap("load case")
    analysis = report.analyze_case(inputs)
    c.lap("analyze (staging)")
    if warm:  # one-off: phantom anatomy for the gallery (cached per process)
        from mri_teach import phantom

        phantom.build_anatomy("fast", seed=0)
        c.lap("phantom anatomy (once per process)")
    figures = report.build_figures(inputs, analysis)
    c.lap("figures (5, incl. gallery)")
    report.write_report(inputs, analysis, out, figures=figures, save_formats=("png",))
    c.lap("PNG 300 dpi + report.md/html")
    if have("pptx"):
        report.write_deck(inputs, analysis, out / "deck.pptx", figures=figures,
                          overwrite=True)
        c.lap("deck (pptx)")
    for name, fig in figures.items():
        report.save_figure(fig, out / "extra" / name, formats=("svg", "pdf"))
    c.lap("SVG + PDF of the 5 figures")
    for fig in figures.values():
        plt.close(fig)
    return dict(c.rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        results = []
        for n in range(args.repeats):
            results.append(run(tmp / "case", tmp / f"out{n}", warm=(n == 0)))
    print(f"case: sample 'sgn_subacute' (default preset); {args.repeats} runs in one process")
    keys = list(results[-1])
    for k in results[0]:
        if k not in keys:
            keys.insert(0, k)
    for k in keys:
        vals = " ".join(f"{r[k]:7.2f}" if k in r else "      -" for r in results)
        print(f"{k:38s} {vals} s")
    core = ("figures (5, incl. gallery)", "PNG 300 dpi + report.md/html", "deck (pptx)")
    best = min(sum(r.get(k, 0.0) for k in core) for r in results)
    ok = best < TARGET_S
    print(f"figures + PNG + report + deck (best run): {best:.2f} s "
          f"(target < {TARGET_S:g} s) {'OK' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
