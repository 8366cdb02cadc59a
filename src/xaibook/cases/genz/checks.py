"""Input checks shared by the Gen Z experiments."""

from __future__ import annotations

__all__ = ["unit_interval"]


def unit_interval(value, name: str) -> float:
    """Return ``value`` as a float, or raise if it is not a number in [0, 1]."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number in [0, 1], got {value!r}") from None
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value}")
    return value
