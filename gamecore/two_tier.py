"""Two-tier games: a market of followers under a leader with its own (mixed-integer) model.

The leader of a two-tier game (seed 002's DSO) does not set the market's prices: the market
clears them itself (the game's couplings). The leader observes the market's outcome (the
followers' outputs), takes its own decisions (integer ones such as line switches, solved in
its own model) and sets the followers' *data* (e.g. network charges, see
:meth:`gamecore.follower.Follower.set_data`); the market clears again at the new data, and so
on (the ``two-tier`` strategy, :mod:`strategies.two_tier`). A case offers its leader as
:attr:`gamecore.case.Case.upper` (an :class:`UpperLevel`).

The leader also checks its own decisions independently of the iteration
(:meth:`UpperLevel.check`: e.g. radiality and an AC power flow) and bounds the joint problem
(:meth:`UpperLevel.bound`: a lower bound on the system cost of *any* market outcome and leader
decision, so the two-tier answer's gap to it can be reported).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np


@dataclass
class Decision:
    """What the leader decided after one market clearing.

    Attributes:
        data: follower name -> its data values (name -> array) for the next clearing.
        integer: the integer decisions (any shape; compared between iterations).
        cost: the leader's own cost at this decision (e.g. losses in money), in the units of
            the market's welfare cost.
        status: ``"optimal"`` (the leader's problem solved to its tolerance), ``"suboptimal"``
            or ``"failed"``.
        message: why.
        report: anything to show (losses, open lines, bounds), JSON-able.
    """

    data: dict[str, dict[str, np.ndarray]]
    integer: np.ndarray
    cost: float
    status: str
    message: str = ""
    report: dict[str, Any] = field(default_factory=dict)


@dataclass
class Check:
    """The leader's independent checks of a final decision.

    Attributes:
        passed: every check passed (False when any failed or was not computed).
        failures: what failed, one line each.
        report: the measured values (JSON-able).
    """

    passed: bool
    failures: list[str]
    report: dict[str, Any] = field(default_factory=dict)


@dataclass
class Bound:
    """A lower bound on the joint problem's system cost (market welfare cost + leader cost).

    Attributes:
        value: the bound (``-inf`` when none could be computed).
        source: how it was obtained.
        proven: the value is a proven bound (False when a solver stopped without one).
        report: details (JSON-able).
    """

    value: float
    source: str
    proven: bool
    report: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class UpperLevel(Protocol):
    """The leader of a two-tier game (module docstring)."""

    def initial_data(self) -> dict[str, dict[str, np.ndarray]]:
        """Follower data for the first market clearing."""
        ...

    def decide(self, outputs: Mapping[str, Mapping[str, np.ndarray]], time_limit: float | None = None) -> Decision:
        """The leader's decision given the followers' outputs (name -> output -> array)."""
        ...

    def transfers(self, data: Mapping[str, Mapping[str, np.ndarray]],
                  outputs: Mapping[str, Mapping[str, np.ndarray]]) -> float:
        """What the followers pay the leader through its ``data`` at the market outcome ``outputs``
        (money; e.g. network charges): part of their objectives, not of the market's welfare cost."""
        ...

    def check(self, decision: Decision, outputs: Mapping[str, Mapping[str, np.ndarray]]) -> Check:
        """Independent checks of ``decision`` at the market outcome ``outputs``."""
        ...

    def bound(self, decision: Decision, market_cost: float, time_limit: float | None = None) -> Bound:
        """A lower bound on the joint system cost, given the final ``decision`` and the market's
        optimal welfare cost ``market_cost`` at the decision's data."""
        ...


def data_change(new: Mapping[str, Mapping[str, np.ndarray]], old: Mapping[str, Mapping[str, np.ndarray]]) -> float:
    """``max |new − old|`` over every follower's data entries (absent in ``old``: compared with 0)."""
    worst = 0.0
    for name, values in new.items():
        for key, arr in values.items():
            prev = old.get(name, {}).get(key)
            diff = np.abs(np.asarray(arr, float) - (0.0 if prev is None else np.asarray(prev, float)))
            worst = max(worst, float(diff.max(initial=0.0)))
    return worst


__all__ = ["Bound", "Check", "Decision", "UpperLevel", "data_change"]
