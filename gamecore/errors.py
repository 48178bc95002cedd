"""Typed errors raised by gamecore.

Every error that concerns one agent names it (``agent``) and the offending field
(``field``) so that a user with a thousand followers can find the culprit.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np


class GameError(Exception):
    """Base class of all gamecore errors."""


class GameDefinitionError(GameError, ValueError):
    """A game, leader, follower or signal is ill-defined (raised at construction).

    Attributes:
        agent: name of the agent (``"leader"`` or a follower name).
        field: the offending field, e.g. ``"signals['price']"`` or ``"objective"``.
    """

    def __init__(self, agent: str, field: str, problem: str) -> None:
        self.agent = agent
        self.field = field
        self.problem = problem
        super().__init__(f"{agent}: {field}: {problem}")


class FollowerSolveError(GameError, RuntimeError):
    """A follower's program could not be solved at the given signals.

    Attributes:
        follower: name of the follower.
        status: solver status (``"infeasible"``, ``"unbounded"``, ``"solver_error"``, ...).
        signals: the signal values (name -> array) it was asked to respond to.
    """

    def __init__(self, follower: str, status: str, signals: Mapping[str, np.ndarray], detail: str = "") -> None:
        self.follower = follower
        self.status = status
        self.signals = {k: np.asarray(v) for k, v in signals.items()}
        shown = ", ".join(f"{k}={_short(v)}" for k, v in self.signals.items())
        extra = f" ({detail})" if detail else ""
        super().__init__(f"follower '{follower}' is {status} at signals {shown}{extra}")


class StrategyError(GameError, ValueError):
    """Unknown strategy, bad options, or a strategy applied to a game it does not handle."""


def _short(values: np.ndarray, limit: int = 6) -> str:
    flat = np.asarray(values, dtype=float).ravel()
    body = ", ".join(f"{v:.4g}" for v in flat[:limit])
    return f"[{body}{', ...' if flat.size > limit else ''}]"
