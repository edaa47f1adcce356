"""Regenerate ``sample_data/``: the shipped case folders and the README with sha256 sums.

Usage (from the repository root)::

    python scripts/make_sample_data.py            # rebuild the shipped cases + README
    python scripts/make_sample_data.py --check    # rebuild in memory and compare, write nothing

Only :data:`mri_teach.datasets.SHIPPED_SAMPLES` are written (the repository has a size limit);
every other sample is rebuilt from its seed by ``mri_teach.datasets.load_sample(name)`` or
``mri-teach synth --sample NAME --out DIR``. The sums are of the decoded int16 voxel arrays
(``datasets.array_digest``), not of the gzip bytes, and of the JSON files' bytes.
"""

# ruff: noqa: T201 - a command-line script reports on stdout
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mri_teach import datasets

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "sample_data"
COMMAND = "python scripts/make_sample_data.py"


def _size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.iterdir()) / 1e6


def render_readme(digests: dict[str, dict[str, str]], sizes: dict[str, float]) -> str:
    """The text of ``sample_data/README.md``."""
    lines = [
        "# sample_data: synthetic pelvis teaching cases",
        "",
        "Synthetic images from the mri_teach phantom (`mri_teach.phantom.make_case`), not "
        "patient data. Each case folder holds `t1.nii.gz`, `stir.nii.gz` (int16 with "
        "`scl_slope`; the float signal is kept), `labels.nii.gz` (int16), `labels.json` "
        "(label value -> name; sides come from the names) and `truth.json` (cause, side, "
        "days, time stage of domain.md 1.4, affected muscles, per-muscle tissue values and "
        "noise-free T1/STIR ratios and volume ratio, the phantom parameters). Arrays are RAS+.",
        "",
        "To keep the repository small only the cases marked *shipped* are stored here. Every "
        "case (shipped or not) is rebuilt from its seed (bit for bit on the same platform; "
        "another CPU may move a voxel on a rounding boundary by one int16 step) by",
        "`mri_teach.datasets.load_sample(name)` (into `$MRI_TEACH_CACHE` or "
        "`~/.cache/mri_teach/samples`) or by `mri-teach synth --sample NAME --out DIR`; "
        "`mri-teach synth --all-samples --out DIR` writes them all.",
        "",
        "| case | cause | side | days | seed | in this folder | description |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, sample in datasets.SAMPLES.items():
        p = sample.params
        shipped = f"shipped ({sizes[name]:.1f} MB)" if name in digests else "rebuilt"
        lines.append(f"| `{name}` | {p['cause']} | {p['side']} | {p['days']:g} | "
                     f"{sample.seed} | {shipped} | {sample.description} |")
    lines += [
        "",
        "All cases use the default protocol grid (0.9 x 0.9 mm in-plane, 4 mm slices) at "
        "1.5 T unless the table says otherwise; see `docs/phantom.md` for the model.",
        "",
        "## Regenerate",
        "",
        "```",
        COMMAND,
        "```",
        "",
        f"`{COMMAND} --check` rebuilds in memory and compares with the files here "
        "(`tests/test_datasets.py` does the same for the shipped cases).",
        "",
        "## sha256 of the decoded arrays (NIfTI) and of the bytes (JSON)",
        "",
    ]
    for name, sums in digests.items():
        lines.append(f"### {name}")
        lines.append("")
        lines.append("```")
        for fname, digest in sums.items():
            lines.append(f"{digest}  {name}/{fname}")
        lines.append("```")
        lines.append("")
    return "\n".join(lines)


def parse_readme_digests(text: str) -> dict[str, dict[str, str]]:
    """Read the sums back from the README (``<sha256>  <case>/<file>`` lines)."""
    out: dict[str, dict[str, str]] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and len(parts[0]) == 64 and "/" in parts[1]:
            case, fname = parts[1].split("/", 1)
            out.setdefault(case, {})[fname] = parts[0]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="compare a rebuild with the shipped files; write nothing")
    args = parser.parse_args(argv)
    names = datasets.SHIPPED_SAMPLES
    if args.check:
        bad = 0
        for name in names:
            want = datasets.expected_digests(datasets.make_sample(name))
            have = datasets.case_digests(OUT / name)
            for fname in datasets.CASE_FILES:
                ok = want[fname] == have[fname]
                bad += not ok
                print(f"{'ok ' if ok else 'DIFF'} {name}/{fname}")
        return 1 if bad else 0
    digests, sizes = {}, {}
    for i, name in enumerate(names, 1):
        print(f"[{i}/{len(names)}] building {name} ...", file=sys.stderr, flush=True)
        folder = datasets.write_case(datasets.make_sample(name), OUT / name, overwrite=True)
        digests[name] = datasets.case_digests(folder)
        sizes[name] = _size_mb(folder)
    (OUT / "README.md").write_text(render_readme(digests, sizes) + "\n", encoding="utf-8")
    total = sum(sizes.values())
    print(f"wrote {len(names)} case(s), {total:.1f} MB, and {OUT / 'README.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
