"""What a case is: a game plus, where one exists, an independent reference solution."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Literal

import numpy as np

from gamecore.game import Game


@dataclass(frozen=True)
class Reference:
    """An independently computed optimum.

    Attributes:
        kind: ``"market"`` (objective = minimal total welfare cost of the centralized problem)
            or ``"stackelberg"`` (objective = leader's optimal value, minimisation form).
        objective: the optimal value, in minimisation form.
        signals: optimal signals (name -> array).
        source: how it was obtained (``"closed form"``, ``"centralized"``...).
    """

    kind: Literal["market", "stackelberg"]
    objective: float
    signals: dict[str, np.ndarray]
    source: str


@dataclass
class Case:
    """A runnable case: a game and, when known, its reference solution."""

    name: str
    game: Game
    reference: Reference | None = None
    description: str = ""
    params: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class CaseSpec:
    """A registered case generator: ``build(agents, periods, seed) -> Case``."""

    name: str
    build: Callable[..., Case]
    summary: str
    kind: Literal["market", "stackelberg"]
    default_agents: int
    default_periods: int


def piecewise_linear_root(func: Callable[[float], float], breakpoints: np.ndarray, lo: float, hi: float) -> float:
    """Root of a non-increasing piecewise-linear ``func`` on ``[lo, hi]`` with the given kinks.

    Exact (up to rounding): evaluates at the kinks, brackets the sign change and interpolates
    linearly on the bracketing segment. Returns ``lo`` / ``hi`` when there is no sign change.
    """
    points = np.unique(np.clip(np.concatenate([[lo, hi], breakpoints]), lo, hi))
    values = np.array([func(p) for p in points])
    if values[0] <= 0:
        return float(lo)
    if values[-1] >= 0:
        return float(hi)
    k = int(np.flatnonzero(values <= 0)[0])
    p0, p1, v0, v1 = points[k - 1], points[k], values[k - 1], values[k]
    return float(p0 + (p1 - p0) * v0 / (v0 - v1))
