"""``mri-teach info FILE...``: what is in a NIfTI file, and what mri_teach will make of it.

The first thing to run on your own data: shape, voxel size, stored orientation (e.g. LPS),
data type and value range, which header transform (qform/sform) is used, and warnings
(oblique, NaNs, unusual scaling, ...). Header free text (``descrip``, ``aux_file``, ...)
often carries patient details, so it is only printed with ``--show-header-text``.
"""

from __future__ import annotations

import argparse
import json
import sys

from mri_teach._validation import MriTeachError

__all__ = ["register", "format_info"]


def register(subparsers) -> None:
    """Add the ``info`` subcommand to `subparsers`."""
    p = subparsers.add_parser(
        "info",
        help="describe NIfTI files: shape, voxel size, orientation, value range, warnings",
        description="Print, for each FILE, its shape, voxel size, stored orientation codes, "
        "data type and value range, whether the qform or sform is used, and warnings "
        "(oblique, NaNs, unusual scaling, non-RAS storage). Unusable files are reported as "
        "errors (exit status 2) after the usable ones.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help=".nii or .nii.gz file(s)")
    p.add_argument("--show-header-text", action="store_true",
                   help="also print header free text (descrip, aux_file, intent_name, "
                   "db_name); it may contain patient details")
    p.add_argument("--json", action="store_true", help="print one JSON object per file")
    p.set_defaults(func=_run)


def _num(v: float) -> str:
    return f"{v:.4g}"


def format_info(info: dict, *, label: str | None = None) -> str:
    """Readable block for one :func:`mri_teach.io._volume.header_info` result.

    Examples
    --------
    >>> block = format_info({"path": "a.nii", "format": "NIfTI-1", "compressed": False,
    ...     "shape": (2, 3, 4), "ras_shape": (2, 3, 4), "voxel_size_mm": (1.0, 1.0, 2.5),
    ...     "axcodes": "LPS", "dtype": "int16", "scl_slope": 1.0, "scl_inter": 0.0,
    ...     "min": 0.0, "max": 7.0, "n_nonfinite": 0, "qform_code": 1, "qform_name":
    ...     "scanner", "sform_code": 0, "sform_name": "unknown", "geometry_source": "qform",
    ...     "oblique_deg": 0.0, "warnings": []})
    >>> print(block)  # doctest: +NORMALIZE_WHITESPACE
    a.nii
      format       NIfTI-1, uncompressed
      shape        2 x 3 x 4 voxels
      voxel size   1 x 1 x 2.5 mm
      orientation  LPS (stored); loaded as RAS+, shape 2 x 3 x 4
      data type    int16, no scaling
      value range  0 .. 7
      geometry     qform used (qform_code 1 scanner, sform_code 0 unknown)
      warnings     none
    """
    shape = " x ".join(str(n) for n in info["shape"])
    lines = [label or info["path"]]

    def row(key: str, value: str) -> None:
        lines.append(f"  {key:<12} {value}")

    packing = "gzip-compressed" if info["compressed"] else "uncompressed"
    row("format", f"{info['format']}, {packing}")
    row("shape", f"{shape} voxels")
    row("voxel size", " x ".join(_num(v) for v in info["voxel_size_mm"]) + " mm")
    ras = " x ".join(str(n) for n in info["ras_shape"])
    row("orientation", f"{info['axcodes']} (stored); loaded as RAS+, shape {ras}")
    if info["scl_slope"] == 1.0 and info["scl_inter"] == 0.0:
        scaling = "no scaling"
    else:
        scaling = f"scaled: value = stored x {_num(info['scl_slope'])} + {_num(info['scl_inter'])}"
    row("data type", f"{info['dtype']}, {scaling}")
    if info["min"] is None:
        vrange = "no finite values"
    else:
        vrange = f"{_num(info['min'])} .. {_num(info['max'])}"
    if info["n_nonfinite"]:
        vrange += f" ({info['n_nonfinite']} NaN/Inf voxels)"
    row("value range", vrange)
    geo = (f"{info['geometry_source']} used" if info["geometry_source"] != "none"
           else "neither qform nor sform set")
    geo += (f" (qform_code {info['qform_code']} {info['qform_name']}, "
            f"sform_code {info['sform_code']} {info['sform_name']})")
    if info["oblique_deg"] > 0.01:
        geo += f"; oblique {info['oblique_deg']:.1f} deg"
    row("geometry", geo)
    if "extent_mm" in info:
        ext = ", ".join(f"{axis} {lo:.0f}..{hi:.0f}" for axis, (lo, hi)
                        in zip("xyz", info["extent_mm"], strict=True))
        row("extent", f"{ext} mm (RAS+ world; x > 0 is patient right)")
    warnings = info["warnings"]
    if not warnings:
        row("warnings", "none")
    for i, text in enumerate(warnings):
        row("warnings" if i == 0 else "", f"- {text}")
    for key, value in info.get("header_text", {}).items():
        row(key, repr(value))
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    from mri_teach.io._volume import header_info

    status = 0
    first = True
    for name in args.files:
        try:
            info = header_info(name, include_text=args.show_header_text)
        except (MriTeachError, OSError) as err:
            sys.stdout.flush()
            print(f"mri-teach: error: {err}", file=sys.stderr)
            status = 2
            continue
        if args.json:
            print(json.dumps(info))
        else:
            if not first:
                print()
            print(format_info(info, label=name))
        first = False
    return status
