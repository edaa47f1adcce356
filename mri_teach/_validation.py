"""Shared input checks and the exception hierarchy (layer L0).

Every check names the argument in backticks, says what was expected and what came in,
and where it can, how to fix it (``../shared/style.md`` C5).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = [
    "MriTeachError",
    "InputError",
    "check_choice",
    "check_positive",
    "check_non_negative",
    "check_mask",
]


class MriTeachError(ValueError):
    """Base class of every error mri_teach raises on bad input.

    A subclass of :class:`ValueError`, so ``except ValueError`` keeps working. The command
    line turns it into ``mri-teach: error: <message>`` with exit status 2.
    """


class InputError(MriTeachError):
    """A value, option or argument that mri_teach cannot use."""


def check_choice(value: Any, choices: Iterable[Any], *, name: str) -> Any:
    """Return `value` if it is one of `choices`, else raise :class:`InputError`.

    Examples
    --------
    >>> check_choice("right", ("left", "right"), name="side")
    'right'
    >>> check_choice("up", ("left", "right"), name="side")
    Traceback (most recent call last):
    ...
    mri_teach._validation.InputError: `side` must be one of 'left', 'right'; got 'up'.
    """
    choices = tuple(choices)
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        msg = f"`{name}` must be one of {listed}; got {value!r}."
        raise InputError(msg)
    return value


def check_positive(value: Any, *, name: str) -> float:
    """Return `value` as a float if it is finite and > 0, else raise :class:`InputError`.

    Examples
    --------
    >>> check_positive(2, name="snr")
    2.0
    >>> check_positive(0, name="snr")
    Traceback (most recent call last):
    ...
    mri_teach._validation.InputError: `snr` must be a finite number > 0; got 0.
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or number <= 0:
        msg = f"`{name}` must be a finite number > 0; got {value!r}."
        raise InputError(msg)
    return number


def check_non_negative(value: Any, *, name: str) -> float:
    """Return `value` as a float if it is finite and >= 0, else raise :class:`InputError`.

    Examples
    --------
    >>> check_non_negative(0, name="days")
    0.0
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or number < 0:
        msg = f"`{name}` must be a finite number >= 0; got {value!r}."
        raise InputError(msg)
    return number


def check_mask(mask: Any, shape: tuple[int, ...], *, name: str = "mask") -> np.ndarray:
    """Return `mask` as a boolean array of `shape`, or raise.

    Examples
    --------
    >>> int(check_mask(np.ones((2, 2), bool), (2, 2)).sum())
    4
    """
    mask = np.asarray(mask)
    if mask.dtype != bool:
        msg = f"`{name}` must be boolean; got dtype {mask.dtype} (binarize with `{name} > 0`)."
        raise TypeError(msg)
    if mask.shape != tuple(shape):
        msg = f"`{name}` shape {mask.shape} does not match image shape {tuple(shape)}."
        raise InputError(msg)
    return mask
