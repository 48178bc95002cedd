"""Seed 001's time-of-use (TOU) purchase and feed-in (FIT) tariffs as 24-hour data.

Seed 001, tariff table (values in CNY/kWh = yuan/kWh)::

    type  period                                   TOU purchase   FIT (feed-in)
    peak  11:00–14:00, 19:00–22:00                 1.20           0.65
    flat  7:00–10:00, 15:00–18:00                  0.75           0.45
    valley 1:00–6:00, 23:00–24:00                  0.40           0.25

Period convention: the table's hours are the clock hours 1..24 that *end* each hourly period
(periods "1:00–6:00" are the six hours 1, 2, …, 6; "23:00–24:00" the hours 23 and 24), the
reading under which the three rows cover the 24 hours exactly once (6 + 2 valley, 4 + 4 flat,
4 + 4 peak). Array index ``t = 0..23`` is the period ``[t:00, t+1:00)``, i.e. hour ``t + 1``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Period label per table hour 1..24, as ranges of hours (inclusive), from seed 001's table.
SEED001_PERIOD_HOURS: dict[str, tuple[tuple[int, int], ...]] = {
    "peak": ((11, 14), (19, 22)),
    "flat": ((7, 10), (15, 18)),
    "valley": ((1, 6), (23, 24)),
}
#: Seed 001 TOU purchase prices (CNY/kWh).
SEED001_TOU_PRICES: dict[str, float] = {"peak": 1.20, "flat": 0.75, "valley": 0.40}
#: Seed 001 feed-in tariffs (CNY/kWh).
SEED001_FIT_PRICES: dict[str, float] = {"peak": 0.65, "flat": 0.45, "valley": 0.25}


def period_labels(period_hours: dict[str, tuple[tuple[int, int], ...]] | None = None) -> tuple[str, ...]:
    """Label (``"peak"``/``"flat"``/``"valley"``) of each of the 24 hourly periods, index ``t = hour − 1``.

    Raises:
        ValueError: if the ranges do not cover the hours 1..24 exactly once.
    """
    hours = SEED001_PERIOD_HOURS if period_hours is None else period_hours
    labels: list[str | None] = [None] * 24
    for label, ranges in hours.items():
        for first, last in ranges:
            for hour in range(first, last + 1):
                if not 1 <= hour <= 24:
                    raise ValueError(f"period_labels: hour {hour} of '{label}' outside 1..24")
                if labels[hour - 1] is not None:
                    raise ValueError(f"period_labels: hour {hour} is both '{labels[hour - 1]}' and '{label}'")
                labels[hour - 1] = label
    missing = [h + 1 for h, lab in enumerate(labels) if lab is None]
    if missing:
        raise ValueError(f"period_labels: hours {missing} have no period")
    return tuple(lab for lab in labels if lab is not None)


@dataclass(frozen=True)
class Tariff:
    """A 24-hour tariff: one price per hourly period.

    Attributes:
        name: label. prices: ``(24,)`` CNY/kWh as a tuple (index t = period [t:00, t+1:00)).
        labels: ``(24,)`` period names.
    """

    name: str
    prices: tuple[float, ...]
    labels: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.prices) != 24 or len(self.labels) != 24:
            raise ValueError(f"Tariff '{self.name}': prices and labels must have 24 entries, "
                             f"got {len(self.prices)} and {len(self.labels)}")
        if any(not np.isfinite(p) or p < 0 for p in self.prices):
            raise ValueError(f"Tariff '{self.name}': prices must be finite and >= 0 CNY/kWh")

    @property
    def values(self) -> np.ndarray:
        """Prices as a ``(24,)`` array (CNY/kWh)."""
        return np.asarray(self.prices, dtype=float)

    def profile(self, periods: int = 24, dt: float = 1.0, start_hour: float = 0.0) -> np.ndarray:
        """Price per period for ``periods`` periods of ``dt`` hours starting at clock ``start_hour``.

        Each period takes the price of the hour its start falls in (wrapping past midnight), so
        ``profile(96, 0.25)`` gives a 15-minute profile.
        """
        if periods < 1 or not dt > 0:
            raise ValueError(f"Tariff '{self.name}': need periods >= 1 and dt > 0, got {periods}, {dt}")
        starts = start_hour + dt * np.arange(periods)
        return self.values[np.floor(starts + 1e-9).astype(int) % 24]


def _tariff(name: str, prices: dict[str, float]) -> Tariff:
    labels = period_labels()
    return Tariff(name, tuple(prices[lab] for lab in labels), labels)


#: Seed 001 TOU purchase tariff, 24 values (CNY/kWh).
SEED001_TOU = _tariff("seed001-tou", SEED001_TOU_PRICES)
#: Seed 001 feed-in tariff, 24 values (CNY/kWh).
SEED001_FIT = _tariff("seed001-fit", SEED001_FIT_PRICES)


def seed001_tou() -> np.ndarray:
    """Seed 001 TOU purchase prices ``(24,)`` CNY/kWh (a fresh array)."""
    return SEED001_TOU.values.copy()


def seed001_fit() -> np.ndarray:
    """Seed 001 feed-in tariffs ``(24,)`` CNY/kWh (a fresh array)."""
    return SEED001_FIT.values.copy()
