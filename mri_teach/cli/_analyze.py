"""``mri-teach analyze``: T1 vs STIR ratios, stage and nerve pattern of labelled muscles.

JSON contract (``--json OUT.json``; stable, other tools depend on it): an object with
``muscles`` (list of {name, muscle, side, voxels, volume_ml, t1_mean, stir_mean, t1_sir,
stir_sir, volume_ratio, reference, stage, reasons, ...}), ``pattern`` {side, affected, nerve,
candidates, stage, ...} and ``warnings`` (list of str); plus ``notes``, ``stir_grid`` and
``settings``. Undefined numbers are ``null``. ``t1_mean``/``stir_mean`` are plain means over
all ROI voxels and ``t1_sir``/``stir_sir`` use them; ``--robust`` adds ``t1_sir_robust`` /
``stir_sir_robust`` (means after MAD-based outlier exclusion; staged on),
``t1_sir_median`` / ``stir_sir_median`` and fills ``t1_median`` / ``stir_median`` (null
without ``--robust``, to keep the default run close to the cost of reading the files).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from mri_teach._validation import InputError

__all__ = ["register", "add_study_arguments", "run_analysis", "write_json", "format_table",
           "study_inputs", "check_output"]


def add_study_arguments(p: argparse.ArgumentParser) -> None:
    """The options shared by ``analyze`` and ``compare`` (how to measure)."""
    p.add_argument("--reference", default="contralateral", metavar="contralateral|ROI_NAME",
                   help="reference ROI of the SIRs (default: the contralateral homologous "
                   "muscle; an ipsilateral reference outside the nerve territory is always "
                   "computed too)")
    p.add_argument("--robust", action="store_true",
                   help="also compute SIRs after excluding outlier voxels (vessels, fat "
                   "streaks; > 3 scaled MADs from the ROI median) and stage on them; "
                   "median-based SIRs are reported too")
    p.add_argument("--rim", action="store_true",
                   help="drop the in-plane 1-voxel rim of every ROI (partial volume)")
    p.add_argument("--bias-correct", nargs="?", const="poly", default=None,
                   choices=("poly", "n4"),
                   help="correct smooth coil shading first: 'poly' (default; low-order "
                   "polynomial with one intercept per muscle) or 'n4' (SimpleITK)")
    p.add_argument("--stir-grid", default="native", choices=("native", "t1"),
                   help="where STIR statistics are computed: on the native STIR voxels "
                   "with the labels mapped there by nearest neighbour (default), or on the "
                   "STIR resampled to the T1 grid")


def register(subparsers) -> None:
    """Add the ``analyze`` subcommand to `subparsers`."""
    p = subparsers.add_parser(
        "analyze",
        help="compare T1 and STIR in labelled muscles: ratios, stage, nerve pattern",
        description="Measure every muscle label on T1 and STIR, compute signal-intensity "
        "ratios (SIR = ROI mean / reference mean on the same sequence), stage each muscle "
        "(normal / acute / subacute / chronic; domain.md 1.4 teaching defaults) and rank "
        "the nerve lesions or mimics that fit the pattern. T1, STIR and labels may each be "
        "on a different grid and in any orientation: they meet through world coordinates. "
        "For education, not for clinical use.",
    )
    p.add_argument("--t1", required=True, type=Path, help="T1-weighted NIfTI")
    p.add_argument("--stir", required=True, type=Path, help="STIR NIfTI")
    p.add_argument("--labels", required=True, type=Path,
                   help="label map NIfTI (or a TotalSegmentator folder of masks)")
    p.add_argument("--label-names", type=Path, default=None, metavar="NAMES",
                   help="label table: JSON {\"1\": \"gluteus_medius_right\"}, an ITK-SNAP "
                   "file, or a built-in table name (musclemap, musclemap_abdomen, total, "
                   "total_mr); default: labels.json beside LABELS, the NIfTI header "
                   "extension (TotalSegmentator), or MuscleMap ids")
    add_study_arguments(p)
    p.add_argument("--json", type=Path, default=None, metavar="OUT.json",
                   help="also write the full result as JSON (never over an input)")
    p.set_defaults(func=_run)


def run_analysis(t1: Path, stir: Path, labels: Path, label_names, args):
    """Load one study and analyse it (shared with ``compare``)."""
    from mri_teach import io, staging

    t1v = io.load_volume(t1, name="T1")
    stv = io.load_volume(stir, name="STIR")
    table = None
    if label_names is not None:
        table = str(label_names) if not Path(label_names).exists() and \
            str(label_names) in io.NAMED_TABLES else Path(label_names)
    lm = io.load_labels(labels, table=table)
    return staging.analyze(t1v, stv, lm, reference=args.reference, robust=args.robust,
                           rim=args.rim, bias_correct=args.bias_correct,
                           stir_grid=args.stir_grid)


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and
                                              os.path.samefile(a, b))
    except OSError:
        return False


def write_json(obj: dict, out: Path, inputs) -> Path:
    """Write `obj` to `out` atomically; refuse to write over any of `inputs`."""
    out = Path(out)
    check_output(out, [p for p in inputs if p is not None])
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(obj, fh, indent=2, allow_nan=False)
            fh.write("\n")
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out


def _f(x, nd=2) -> str:
    return "-" if x is None or x != x else f"{x:.{nd}f}"


def format_table(result: dict) -> str:
    """A readable text table of an ``analyze`` result dict."""
    rows = [("ROI", "vox", "ml", "T1", "STIR", "T1 SIR", "STIR SIR", "vol", "ref", "stage")]
    for m in result["muscles"]:
        rows.append((m["name"], str(m["voxels"]), _f(m["volume_ml"], 1), _f(m["t1_mean"], 1),
                     _f(m["stir_mean"], 1), _f(m["t1_sir"]), _f(m["stir_sir"]),
                     _f(m["volume_ratio"]), m["reference"] or "-", m["stage"]))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i in (0, 8, 9) else c.rjust(w)
                       for i, (c, w) in enumerate(zip(r, widths, strict=True))) for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    p = result["pattern"]
    lines.append("")
    lines.append(f"pattern: side {p['side']}, nerve {p['nerve']}, stage {p['stage']}, "
                 f"confidence {p.get('confidence', '-')}")
    if p["affected"]:
        lines.append("affected: " + ", ".join(p["affected"]))
    for c in p["candidates"][:4]:
        lines.append(f"  candidate {c['cause']} ({c['side']}) score {c['score']:.2f}; "
                     f"supports: {', '.join(c['supporting']) or '-'}; "
                     f"against: {', '.join(c['contradicting']) or '-'}")
    lines.append(f"STIR statistics on the {result.get('stir_grid', 'native')} grid")
    for c in p.get("caveats", []):
        lines.append(f"note: {c}")
    for n in result.get("notes", []):
        lines.append(f"note: {n}")
    for w in result["warnings"]:
        lines.append(f"warning: {w}")
    lines.append("For education, not for clinical use.")
    return "\n".join(lines)


def study_inputs(t1, stir, labels, label_names) -> list[Path]:
    """Every file a study reads, including the label tables looked up beside LABELS."""
    labels = Path(labels)
    name = labels.name
    stem = name[:-7] if name.endswith(".nii.gz") else name[:-4] if name.endswith(".nii") \
        else name
    paths = [Path(t1), Path(stir), labels, labels.with_name(stem + ".json"),
             labels.with_name("labels.json")]
    if label_names is not None:
        paths.append(Path(label_names))
    return paths


def check_output(out: Path, inputs) -> None:
    """Refuse an output path that is one of the inputs (checked before any work)."""
    for p in inputs:
        if _same(Path(out), Path(p)):
            msg = f"--json {out} is one of the input files; choose another output name"
            raise InputError(msg)


def _run(args: argparse.Namespace) -> int:
    inputs = study_inputs(args.t1, args.stir, args.labels, args.label_names)
    if args.json is not None:
        check_output(args.json, inputs)
    analysis = run_analysis(args.t1, args.stir, args.labels, args.label_names, args)
    result = analysis.to_dict()
    print(format_table(result))
    if args.json is not None:
        write_json(result, args.json, inputs)
        print(f"wrote {args.json}")
    return 0
