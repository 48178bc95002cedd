"""Typed errors raised by gamecore.

Every error that concerns one agent names it (``agent``) and the offending field
(``field``) so that a user with a thousand followers can find the culprit.
"""

from __future__ import annotations

from collections.abc import Mapping

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


class GameDefinitionWarning(UserWarning):
    """A game that is valid but probably not what was meant (e.g. an output nobody uses)."""


class WorkerLostError(GameError, RuntimeError):
    """A worker process of the follower pool died (e.g. killed, out of memory, segfault) while
    solving a batch, and died again when the batch was retried once on fresh workers.

    Attributes:
        followers: names of the followers of the lost batch (every follower whose answer was
            still outstanding when the worker died; the retry runs exactly these again).
        detail: the backend's own account of the last loss (e.g. the workers' exit codes).
    """

    def __init__(self, followers: list[str], detail: str = "") -> None:
        self.followers = list(followers)
        self.detail = detail
        shown = ", ".join(f"'{name}'" for name in self.followers[:8])
        more = f", ... ({len(self.followers)} followers)" if len(self.followers) > 8 else ""
        extra = f" ({detail})" if detail else ""
        super().__init__(f"follower pool: a worker process died while solving followers {shown}{more}, "
                         f"and again when they were retried on fresh workers{extra}")


class ResourceLimitError(GameError, ValueError):
    """A request (a case's size, a strategy's population...) would need more memory than the
    limit of :mod:`gamecore.limits`; refused before anything is allocated.

    Attributes:
        what: the request, e.g. ``"case 'ieh' with agents=10000000, periods=24"``.
        estimate_bytes: its estimated memory (bytes).
        limit_bytes: the limit it exceeds (bytes).
    """

    def __init__(self, what: str, estimate_bytes: float, limit_bytes: int, message: str) -> None:
        self.what = what
        self.estimate_bytes = estimate_bytes
        self.limit_bytes = limit_bytes
        super().__init__(message)


class PluginWarning(UserWarning):
    """A plug-in (entry-point group ``gamecore.strategies`` or ``gamecore.cases``) was registered
    inconsistently: it failed to load, is not what the group expects, its entry-point name
    differs from the name it declares, or it shadows a built-in. Issued once per distinct
    message and process (see :func:`gamecore.registry.clear_plugin_warnings`)."""
