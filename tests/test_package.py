"""Package-level contracts: layering, headless import, entry points, docstrings."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import mri_teach

ROOT = Path(__file__).resolve().parents[1]


def _modules():
    for info in pkgutil.walk_packages(mri_teach.__path__, "mri_teach."):
        if info.name.endswith("__main__"):
            continue
        yield info.name


def test_import_is_headless():
    code = (
        "import sys, mri_teach, mri_teach.io, mri_teach.anatomy, mri_teach.orientation;"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported';"
        "assert 'ipywidgets' not in sys.modules, 'ipywidgets imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_compute_modules_do_not_import_matplotlib():
    compute = ["physics", "phantom", "roi", "stats", "staging", "datasets", "io", "orientation",
               "anatomy"]
    present = [m for m in compute if importlib.util.find_spec(f"mri_teach.{m}") is not None]
    code = (
        "import sys, importlib\n"
        f"for m in {present!r}:\n"
        "    importlib.import_module('mri_teach.' + m)\n"
        "bad = [m for m in ('matplotlib', 'ipywidgets', 'ipympl') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_import_linter_contracts_hold():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe, "import-linter is part of the test extra"
    result = subprocess.run([exe, "--config", str(ROOT / "pyproject.toml")], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken" in result.stdout


def test_every_module_declares_all_and_documents_public_functions():
    missing = []
    for name in _modules():
        if name.startswith("mri_teach.cli._") or name == "mri_teach.widgets":
            continue
        module = importlib.import_module(name)
        if not module.__doc__:
            missing.append(f"{name}: no module docstring")
        public = getattr(module, "__all__", None)
        if public is None and not name.rsplit(".", 1)[-1].startswith("_"):
            missing.append(f"{name}: no __all__")
            continue
        for attr in public or ():
            obj = getattr(module, attr)
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and not obj.__doc__:
                missing.append(f"{name}.{attr}: no docstring")
    assert not missing, missing


def test_console_script_reports_version():
    exe = shutil.which("mri-teach", path=str(Path(sys.executable).parent))
    assert exe, "the mri-teach console script is installed with the package"
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"mri-teach {mri_teach.__version__}"


def test_cli_without_command_prints_help_and_fails(capsys):
    from mri_teach.cli import main

    assert main([]) == 2
    assert "usage: mri-teach" in capsys.readouterr().out


def test_cli_unknown_option_is_one_line_exit_2():
    from mri_teach.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["--no-such-option"])
    assert exc.value.code == 2


def test_lazy_submodule_access():
    assert mri_teach.anatomy.parse_name("gluteus_medius_right") == ("gluteus_medius", "right")
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        mri_teach.nonexistent  # noqa: B018
