"""mri_teach: learn to recognise muscle denervation on pelvis MRI.

Load T1-weighted and STIR NIfTI volumes in true patient orientation, draw ROIs on the
gluteal muscles and tensor fasciae latae, compare T1 against STIR, stage the denervation
and infer the injured nerve; or simulate every stage with a physics-based synthetic pelvis.

Submodules are imported on first use (``import mri_teach as mt; mt.io.load_volume``), so
``import mri_teach`` is fast and never imports matplotlib. The Jupyter widgets live in
:mod:`mri_teach.widgets` and are imported explicitly.

Examples
--------
>>> import mri_teach as mt
>>> mt.__version__
'0.1.0'
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_SUBMODULES = (
    "anatomy",
    "datasets",
    "io",
    "orientation",
    "phantom",
    "physics",
    "quiz",
    "report",
    "roi",
    "staging",
    "stats",
    "viz",
)

__all__ = ["__version__", *_SUBMODULES]


def __getattr__(name: str):
    if name in _SUBMODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    msg = f"module 'mri_teach' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted(__all__)
