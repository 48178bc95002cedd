"""Hourly profiles of one day, shared by the day-ahead energy cases (``ries``, ``cies``).

A day has :data:`HOURS` hourly values; a case with ``T`` periods (``T`` divides 24) uses
periods of ``dt = 24/T`` hours, period ``t`` covering clock hours ``[t·dt, (t+1)·dt)``, and
averages every hourly profile over the hours of each period (:func:`period_means`).
"""

from __future__ import annotations

import numpy as np

HOURS = 24
#: clock hour of each hourly period (its start)
CLOCK = np.arange(HOURS, dtype=float)


def daily_bump(center: float, width: float) -> np.ndarray:
    """A smooth daily bump ``(24,)`` (hourly, periodic in 24 h) peaking at ``center`` o'clock,
    a Gaussian of standard deviation ``width`` hours with peak value 1."""
    d = (CLOCK + 0.5 - center + 12.0) % 24.0 - 12.0
    return np.exp(-0.5 * (d / width) ** 2)


def check_day_periods(case: str, periods: int) -> None:
    """``ValueError`` naming ``case`` unless ``periods`` divides 24 (equal periods of a day)."""
    if HOURS % periods:
        raise ValueError(f"case '{case}': periods must divide 24 (equal periods of a day), got {periods}")


def period_means(hourly: np.ndarray, periods: int) -> np.ndarray:
    """Mean of an hourly ``(24,)`` (or ``(N, 24)``) profile over each of ``periods`` equal periods."""
    arr = np.asarray(hourly, dtype=float)
    return arr.reshape(*arr.shape[:-1], periods, HOURS // periods).mean(axis=-1)
