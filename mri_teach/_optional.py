"""Optional dependencies behind one helper (layer L0, ``style.md`` C12)."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["require", "have"]


def require(module: str, *, extra: str) -> ModuleType:
    """Import `module` or raise an ImportError that gives the pip command.

    Examples
    --------
    >>> require("json", extra="notebook").__name__
    'json'
    >>> require("surely_not_installed_xyz", extra="slides")
    Traceback (most recent call last):
    ...
    ImportError: 'surely_not_installed_xyz' is needed ...: pip install 'mri_teach[slides]'
    """
    try:
        return importlib.import_module(module)
    except ImportError as err:
        msg = (
            f"{module!r} is needed for this feature; install it with: "
            f"pip install 'mri_teach[{extra}]'"
        )
        raise ImportError(msg) from err


def have(module: str) -> bool:
    """Whether `module` can be imported.

    Examples
    --------
    >>> have("json")
    True
    """
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True
