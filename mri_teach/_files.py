"""Small file-system helpers shared by the modules that write folders (layer L0)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["replace_dir"]


def replace_dir(staging: Path, target: Path) -> Path:
    """Move the finished folder `staging` to `target`, replacing an existing `target`.

    Both must be on the same file system (make `staging` inside ``target.parent``). The old
    `target` is first renamed aside and deleted only after the new one is in place, so a
    crash leaves either the old or the new folder, never a half-written one.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / "new").mkdir(); _ = (root / "new" / "a.txt").write_text("new")
    >>> (root / "out").mkdir(); _ = (root / "out" / "a.txt").write_text("old")
    >>> (replace_dir(root / "new", root / "out") / "a.txt").read_text()
    'new'
    >>> sorted(p.name for p in root.iterdir())
    ['out']
    """
    staging, target = Path(staging), Path(target)
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".old-{target.name}-", dir=target.parent))
        os.replace(target, old / "previous")
        os.replace(staging, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, target)
    return target
