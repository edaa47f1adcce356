"""``mri-teach anonymize``: copy a NIfTI file without its header free text.

Example::

    mri-teach anonymize scan.nii.gz scan_anon.nii.gz

Clears ``descrip``, ``aux_file``, ``db_name`` and ``intent_name`` and removes every header
extension; voxel data and geometry are unchanged. IN is never modified; OUT must differ from
IN and is only replaced with ``--overwrite``. The copy is written atomically.
"""

from __future__ import annotations

__all__ = ["register", "run"]


def register(subparsers) -> None:
    """Add the ``anonymize`` subcommand to `subparsers`."""
    p = subparsers.add_parser(
        "anonymize", help="copy a NIfTI file with header free text and extensions cleared",
        description="Write a copy of IN with the NIfTI free-text fields (descrip, aux_file, "
        "db_name, intent_name) and all header extensions cleared. IN is never touched.")
    p.add_argument("input", metavar="IN", help="NIfTI file to copy (.nii or .nii.gz)")
    p.add_argument("output", metavar="OUT", help="anonymized copy (.nii or .nii.gz)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing OUT")
    p.set_defaults(func=run)


def run(args) -> int:
    from mri_teach import report

    out = report.anonymize(args.input, args.output, overwrite=args.overwrite)
    print(f"anonymized copy: {out} (free-text fields and extensions cleared)")
    return 0
