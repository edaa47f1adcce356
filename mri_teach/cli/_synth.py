"""``mri-teach synth``: write synthetic pelvis cases (T1, STIR, labels, ground truth).

Examples::

    mri-teach synth --nerve superior_gluteal --side right --days 90 --field 1.5 --seed 0 --out case
    mri-teach synth --cause abductor_tendon_tear --side left --days 365 --out tear
    mri-teach synth --sample sgn_chronic --out chronic
    mri-teach synth --all-samples --out samples        # every teaching case, with a progress bar

Each case folder holds ``t1.nii.gz``, ``stir.nii.gz``, ``labels.nii.gz``, ``labels.json`` and
``truth.json`` (see :mod:`mri_teach.datasets`). The folder is written atomically; an existing
non-empty folder is only replaced with ``--overwrite``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from mri_teach import anatomy, datasets
from mri_teach._validation import InputError, check_choice, check_non_negative, check_positive

__all__ = ["register", "run"]

FIELDS_T = (1.5, 3.0)
PRESETS = ("default", "fast", "isotropic")
FAT_SUPPRESSION = ("ideal", "imperfect")


def register(subparsers) -> None:
    """Add the ``synth`` subcommand to `subparsers`."""
    p = subparsers.add_parser(
        "synth",
        help="write a synthetic pelvis case (T1, STIR, labels, truth)",
        description="Simulate a pelvis MRI case (T1 + STIR + label map + ground truth) from "
        "the physics-based phantom and write it as NIfTI files. Deterministic for a seed. "
        "Synthetic teaching data, not patient data.",
        epilog="causes: " + ", ".join(anatomy.CAUSES) + ". samples: "
        + ", ".join(datasets.SAMPLES) + ".",
    )
    what = p.add_argument_group("what to simulate")
    what.add_argument("--nerve", metavar="NERVE",
                      help="injured nerve: " + ", ".join(anatomy.NERVE_CAUSES))
    what.add_argument("--cause", metavar="CAUSE",
                      help="any cause, including the mimics " + ", ".join(anatomy.MIMIC_CAUSES))
    what.add_argument("--side", default="right", metavar="SIDE", help="left or right")
    what.add_argument("--days", type=float, default=0.0,
                      help="days since onset (default 0)")
    what.add_argument("--reinnervation-day", type=float, default=None, metavar="DAY",
                      help="day reinnervation starts (edema then falls back)")
    what.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    what.add_argument("--body", default=None, help="body preset (e.g. female, male)")
    samples = p.add_argument_group("teaching samples")
    samples.add_argument("--sample", metavar="NAME",
                         help="write one registered sample: " + ", ".join(datasets.SAMPLES))
    samples.add_argument("--all-samples", action="store_true",
                         help="write every registered sample as OUT/<name>/")
    proto = p.add_argument_group("protocol")
    proto.add_argument("--field", type=float, default=1.5, metavar="TESLA",
                       help="field strength: 1.5 or 3 (default 1.5)")
    proto.add_argument("--preset", default=None, metavar="PRESET",
                       help="grid: default (0.9 x 0.9 x 4 mm), fast, isotropic")
    proto.add_argument("--stir-slice-mm", type=float, default=None, metavar="MM",
                       help="write the STIR with thicker slices than the T1")
    proto.add_argument("--snr-t1", type=float, default=None, help="T1 SNR of normal muscle")
    proto.add_argument("--snr-stir", type=float, default=None, help="STIR SNR of normal muscle")
    proto.add_argument("--coil-shading", type=float, default=None, metavar="AMOUNT",
                       help="receive-coil shading strength (0 = none)")
    proto.add_argument("--fat-suppression", default=None, metavar="MODE",
                       help="STIR fat suppression: ideal or imperfect")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an existing non-empty output folder")
    p.set_defaults(func=run)


def _case_params(args) -> dict:
    """Validate the options and turn them into ``make_case`` keyword arguments."""
    if args.nerve is not None and args.cause is not None and args.nerve != args.cause:
        msg = "give either --nerve or --cause, not both"
        raise InputError(msg)
    if args.nerve in anatomy.MIMIC_CAUSES:
        msg = f"--nerve {args.nerve!r} is a mimic, not a nerve; use --cause {args.nerve}"
        raise InputError(msg)
    if args.nerve is not None:
        cause = check_choice(args.nerve, anatomy.NERVE_CAUSES, name="--nerve")
    elif args.cause is not None:
        cause = check_choice(args.cause, anatomy.CAUSES, name="--cause")
    else:
        cause = "none"
    params = {
        "cause": cause,
        "side": check_choice(args.side, anatomy.SIDES, name="--side"),
        "days": check_non_negative(args.days, name="--days"),
        "field_t": check_choice(args.field, FIELDS_T, name="--field"),
        "rng": args.seed,
    }
    if args.reinnervation_day is not None:
        params["reinnervation_day"] = check_non_negative(args.reinnervation_day,
                                                         name="--reinnervation-day")
    if args.body is not None:
        from mri_teach import phantom  # imported on first use: building a case is heavy

        params["body"] = check_choice(args.body, phantom.BODY_PRESETS, name="--body")
    for opt in ("snr_t1", "snr_stir", "stir_slice_mm"):
        value = getattr(args, opt)
        if value is not None:
            params[opt] = check_positive(value, name="--" + opt.replace("_", "-"))
    if args.coil_shading is not None:
        params["coil_shading"] = check_non_negative(args.coil_shading, name="--coil-shading")
    if args.fat_suppression is not None:
        params["fat_suppression"] = check_choice(args.fat_suppression, FAT_SUPPRESSION,
                                                 name="--fat-suppression")
    return params


def _overrides(args) -> dict:
    """Protocol options that may be combined with --sample / --all-samples."""
    out = {}
    if args.preset is not None:
        out["preset"] = check_choice(args.preset, PRESETS, name="--preset")
    return out


class _Progress:
    """A one-line text progress bar on stderr (tqdm is not needed)."""

    def __init__(self, stream=None, width: int = 24):
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.start = time.monotonic()

    def __call__(self, done: int, total: int, name: str) -> None:
        filled = int(round(self.width * done / max(total, 1)))
        bar = "#" * filled + "-" * (self.width - filled)
        elapsed = time.monotonic() - self.start
        label = f"building {name}" if name else "done"
        end = "\n" if done == total else ""
        self.stream.write(f"\r[{bar}] {done}/{total} {elapsed:5.1f} s  {label:<32}{end}")
        self.stream.flush()


def _summary(folder, truth: dict) -> str:
    affected = truth.get("affected") or []
    stage = truth.get("time_stage", "?")
    return (f"wrote {folder}: cause={truth.get('cause')} side={truth.get('side')} "
            f"days={truth.get('days')} time stage={stage}; "
            f"affected: {', '.join(affected) if affected else 'none'}")


def _check_out(folder, overwrite: bool) -> None:
    """Refuse a non-empty output folder before spending seconds on the simulation."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        msg = f"--out {folder}: exists and is not a folder"
        raise InputError(msg)
    if folder.is_dir() and any(folder.iterdir()) and not overwrite:
        msg = (f"--out {folder}: folder exists and is not empty; add --overwrite to "
               "replace it, or choose another folder")
        raise InputError(msg)


def run(args: argparse.Namespace) -> int:
    """Run ``mri-teach synth`` with parsed `args`; return the exit status."""
    overrides = _overrides(args)
    if args.all_samples or args.sample is not None:
        lesion_opts = [o for o in ("nerve", "cause", "reinnervation_day", "body", "snr_t1",
                                   "snr_stir", "stir_slice_mm", "coil_shading",
                                   "fat_suppression")
                       if getattr(args, o) is not None]
        if lesion_opts:
            msg = ("--sample/--all-samples use the registered parameters; drop "
                   + ", ".join("--" + o.replace("_", "-") for o in lesion_opts))
            raise InputError(msg)
        if args.all_samples and args.sample is not None:
            msg = "give either --sample or --all-samples, not both"
            raise InputError(msg)
        names = list(datasets.SAMPLES) if args.all_samples else [
            check_choice(args.sample, tuple(datasets.SAMPLES), name="--sample")]
        if args.all_samples:
            folders = datasets.write_samples(args.out, names, overwrite=args.overwrite,
                                             progress=_Progress(), **overrides)
        else:
            _check_out(args.out, args.overwrite)
            case = datasets.make_sample(names[0], **overrides)
            folders = [datasets.write_case(case, args.out, overwrite=args.overwrite)]
        for folder in folders:
            truth = datasets.load_case(folder).truth
            sys.stdout.write(_summary(folder, truth) + "\n")
        return 0

    params = _case_params(args)
    params.update(overrides)
    _check_out(args.out, args.overwrite)
    from mri_teach import phantom  # imported on first use: building a case is heavy

    case = phantom.make_case(**params)
    folder = datasets.write_case(case, args.out, overwrite=args.overwrite)
    sys.stdout.write(_summary(folder, dict(case.truth)) + "\n")
    return 0
