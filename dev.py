#!/usr/bin/env python3
"""Bootstrap for mri_teach: one command to run the demo, one to run the tests.

Usage (from the repository root, with only ``python3`` installed)::

    python3 dev.py demo     # set up .venv if needed, then run the demo on the sample case
    python3 dev.py test     # set up .venv if needed, then run the whole test suite

The virtual environment lives in ``.venv/`` beside this file. It is rebuilt only when
``pyproject.toml`` changes (a hash is kept in ``.venv/.mri_teach-installed``), so a second
run is fast. Works the same on Linux, macOS and Windows. On Debian/Ubuntu the standard
library ``venv`` module needs the ``python3-venv`` package.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".mri_teach-installed"
EXTRAS = "notebook,slides,test"


def _venv_python() -> Path:
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def _wanted_stamp() -> str:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    return f"{digest} {EXTRAS} {sys.version_info[:2]}"


def ensure_env() -> Path:
    """Create ``.venv`` and install the project with its extras unless already current."""
    py = _venv_python()
    if not py.exists():
        print(f"[dev.py] creating virtual environment in {VENV} ...", flush=True)
        try:
            venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
        except Exception as err:  # pragma: no cover - platform specific
            print(
                "[dev.py] could not create a virtual environment "
                f"({err}). On Debian/Ubuntu install it with: sudo apt install python3-venv",
                file=sys.stderr,
            )
            raise SystemExit(2) from err
    if STAMP.exists() and STAMP.read_text() == _wanted_stamp():
        return py
    print("[dev.py] installing mri_teach and its dependencies (first run only) ...", flush=True)
    pip = [str(py), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "install", "-e", f"{ROOT}[{EXTRAS}]"], check=True)
    STAMP.write_text(_wanted_stamp())
    return py


def run_demo(py: Path, args: list[str]) -> int:
    out = args[0] if args else str(ROOT / "mri_teach_output")
    return subprocess.call([str(py), "-m", "mri_teach", "demo", "--out", out, *args[1:]])


def run_tests(py: Path, args: list[str]) -> int:
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONHASHSEED="0")
    code = subprocess.call([str(py), "-m", "pytest", *args], cwd=ROOT, env=env)
    if code == 5:
        print("[dev.py] pytest collected no tests: that is a failure.", file=sys.stderr)
        return 1
    return code


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in {"demo", "test", "setup"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    py = ensure_env()
    if command == "setup":
        return 0
    if command == "demo":
        return run_demo(py, rest)
    return run_tests(py, rest)


if __name__ == "__main__":
    raise SystemExit(main())
