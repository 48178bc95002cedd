"""Rolling-horizon games and the centralized rolling reference (energy-agnostic).

A day of ``T`` periods is operated stage by stage. At period ``t`` the remaining periods
``[t, T)`` form a market game — the *stage game* — built from the agents' current states
and the data known at ``t``; its first period is *realised* (dispatched for good), every
agent's state advances, and the next stage starts from the new states. A case describes
this with a :class:`RollingHorizon` attached to its game as ``game.rolling`` (``None`` or
absent: the game is a single shot). The engine needs nothing else to know about the case.

Conventions a rolling description guarantees:

* every signal of a stage game is a bounded coupling price of shape ``(T − t,)``; entry 0
  is the current period's price, entry ``k`` the price of period ``t + k``;
* :meth:`RollingHorizon.day_ahead_game` has the same signals with shape ``(T,)`` (the
  day-ahead stage: all periods, day-ahead data, initial states);
* ``advance`` and ``period_cost`` accept, per agent, a :class:`~gamecore.canonical.Response`
  of its follower in that stage game (or anything with the same ``outputs``).

:func:`centralized_rolling` is the reference the distributed rolling strategies are
measured against (the paper's "centralized rolling optimization"): at every period the
stage game's welfare problem is solved by :func:`gamecore.solve_centralized`, its first
period realised and the states advanced.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gamecore.canonical import Response
from gamecore.centralized import solve_centralized
from gamecore.errors import GameError
from gamecore.game import Game
from gamecore.market import require_priced


@dataclass
class PeriodCost:
    """Cost accounting of one realised period.

    Attributes:
        system: the system's cost of the period (objective units, e.g. yuan): what the
            agents and the leader together pay outside (supply cost plus the agents' own
            costs); internal payments at the local prices cancel.
        agents: ``(N,)`` each agent's cost of the period including its payments at the
            realised prices (the per-agent table of a report).
        flows: realised physical flow of each coupling in the period (e.g. transformer
            power, kW), coupling name -> value.
        limits: coupling name -> ``(lower, upper)`` limits of that flow (same units).
        details: name -> ``(N,)`` per-agent quantities of the realised period (e.g. the
            components of a dispatch), for reports and plots.
        violation: largest repair (≥ 0, case units) the accounting needed to make the
            realised responses consistent (solver rounding); 0 when exact.
        penalty: the part of ``system`` that prices soft constraints of the case (e.g. unserved
            demand, a missed storage target); 0 when the period kept every hard constraint.
    """

    system: float
    agents: np.ndarray
    flows: dict[str, float] = field(default_factory=dict)
    limits: dict[str, tuple[float, float]] = field(default_factory=dict)
    details: dict[str, np.ndarray] = field(default_factory=dict)
    violation: float = 0.0
    penalty: float = 0.0


class RollingHorizon(ABC):
    """How a case is operated over a rolling horizon (see the module docstring).

    Attributes:
        periods: ``T``, periods of the day.
        agent_names: the agents (followers) in order, the same in every stage game.
    """

    periods: int
    agent_names: list[str]

    @abstractmethod
    def initial_states(self) -> list[Any]:
        """Every agent's state at the start of the day."""

    @abstractmethod
    def stage_game(self, start: int, states: Sequence[Any]) -> Game:
        """The market game of periods ``[start, T)`` from ``states`` (real-time data)."""

    @abstractmethod
    def day_ahead_game(self) -> Game:
        """The day-ahead game: all ``T`` periods, day-ahead data, initial states."""

    def initial_prices(self) -> dict[str, np.ndarray] | None:
        """Public starting prices of the day-ahead iteration, signal name -> ``(T,)``
        (e.g. the utility price); ``None`` (default) = the middle of the price box."""
        return None

    @abstractmethod
    def advance(self, start: int, states: Sequence[Any], responses: Sequence[Any]) -> list[Any]:
        """States after realising period ``start`` with the agents' ``responses`` in its stage game."""

    @abstractmethod
    def period_cost(self, start: int, states: Sequence[Any], next_states: Sequence[Any], game: Game,
                    signal_vector: np.ndarray, responses: Sequence[Any]) -> PeriodCost:
        """Costs and flows of realised period ``start`` at the stage game's ``signal_vector``.

        ``states`` / ``next_states``: the states before and after the period.
        """


def rolling_of(game: Game) -> RollingHorizon | None:
    """The rolling description attached to ``game`` (``game.rolling``), or ``None``."""
    rolling = getattr(game, "rolling", None)
    if rolling is not None and not isinstance(rolling, RollingHorizon):
        raise GameError(f"game '{game.name}': attribute 'rolling' is a {type(rolling).__name__}, "
                        "not a gamecore.rolling.RollingHorizon")
    return rolling


def current_entries(game: Game) -> dict[str, int]:
    """Coupling name -> index (game layout) of its current-period price (entry 0).

    Raises:
        GameError: a signal that is not one-dimensional or prices no coupling.
    """
    require_priced(game, "a rolling stage game")
    for name, signal in game.layout.signals.items():
        if len(signal.shape) != 1:
            raise GameError(f"stage game '{game.name}': signal '{name}' has shape {signal.shape}; "
                            "a rolling stage needs one price per period, shape (periods,)")
    return {c.name: game.layout.slices[c.signal].start for c in game.leader.couplings}


def stage_vector(game: Game, forecast: dict[str, np.ndarray], start: int) -> np.ndarray:
    """The stage game's signal vector holding every price at ``forecast[name][start:]``.

    ``forecast``: signal name -> ``(T,)`` prices (e.g. the day-ahead stage's signals).
    """
    vector = np.zeros(game.layout.size)
    for name, sl in game.layout.slices.items():
        values = np.asarray(forecast[name], float).ravel()[start:]
        if values.size != sl.stop - sl.start:
            raise GameError(f"stage game '{game.name}': forecast of '{name}' covers {values.size} periods "
                            f"from {start}, the stage has {sl.stop - sl.start}")
        vector[sl] = values
    return np.clip(vector, game.layout.lower(), game.layout.upper())


@dataclass
class RollingRun:
    """A realised day.

    Attributes:
        prices: signal name -> ``(T,)`` realised (current-period) prices.
        system_costs: ``(T,)`` system cost per period; agent_costs: ``(N, T)``.
        flows: coupling name -> ``(T,)`` realised flows; limits: coupling -> (lower, upper).
        details: per period, the :attr:`PeriodCost.details`.
        outputs: per agent, output name -> realised values: coupling outputs (one entry
            per remaining period in stage t) stitched from each stage's entry 0 to ``(T,)``;
            other outputs as realised in the first stage.
        supplies: coupling name -> ``(T,)`` leader supply of each realised period.
        states: ``T + 1`` state lists (start of the day ... end of the day).
        violation: largest :attr:`PeriodCost.violation`.
        penalties: ``(T,)`` :attr:`PeriodCost.penalty` of each period (part of ``system_costs``).
        wall_s: seconds; build_s: of which building stage games.
    """

    prices: dict[str, np.ndarray]
    system_costs: np.ndarray
    agent_costs: np.ndarray
    flows: dict[str, np.ndarray]
    limits: dict[str, tuple[float, float]]
    details: list[dict[str, np.ndarray]]
    outputs: list[dict[str, np.ndarray]]
    supplies: dict[str, np.ndarray]
    states: list[list[Any]]
    violation: float = 0.0
    penalties: np.ndarray = field(default_factory=lambda: np.zeros(0))
    wall_s: float = 0.0
    build_s: float = 0.0

    @property
    def total_cost(self) -> float:
        """Σ_t system cost of the realised day."""
        return float(np.sum(self.system_costs))

    @property
    def total_penalty(self) -> float:
        """Σ_t penalty cost of soft constraints in the realised day (0 when all hard ones held)."""
        return float(np.sum(self.penalties))

    @property
    def agent_totals(self) -> np.ndarray:
        """``(N,)`` each agent's cost over the day."""
        return self.agent_costs.sum(axis=1)


class RollingRecorder:
    """Collects realised periods into a :class:`RollingRun` (used by every rolling method)."""

    def __init__(self, rolling: RollingHorizon) -> None:
        self.rolling = rolling
        self.T = int(rolling.periods)
        self.states: list[list[Any]] = [list(rolling.initial_states())]
        self.prices: dict[str, np.ndarray] = {}
        self.system = np.zeros(self.T)
        self.agents = np.zeros((len(rolling.agent_names), self.T))
        self.flows: dict[str, np.ndarray] = {}
        self.limits: dict[str, tuple[float, float]] = {}
        self.supplies: dict[str, np.ndarray] = {}
        self.details: list[dict[str, np.ndarray]] = []
        self.outputs: list[dict[str, np.ndarray]] = [{} for _ in rolling.agent_names]
        self.violation = 0.0
        self.penalties = np.zeros(self.T)
        self.build_s = 0.0
        self.clock = time.perf_counter()

    @property
    def current(self) -> list[Any]:
        return self.states[-1]

    def build(self, start: int) -> Game:
        """The stage game of period ``start`` from the current states (timed)."""
        clock = time.perf_counter()
        game = self.rolling.stage_game(start, self.current)
        self.build_s += time.perf_counter() - clock
        return game

    def realise(self, start: int, game: Game, signal_vector: np.ndarray, responses: Sequence[Any],
                supplies: dict[str, float]) -> PeriodCost:
        """Fix period ``start``: account it, record it and advance the states."""
        states = self.current
        nxt = self.rolling.advance(start, states, responses)
        cost = self.rolling.period_cost(start, states, nxt, game, signal_vector, responses)
        T = self.T
        for name, sl in game.layout.slices.items():
            self.prices.setdefault(name, np.full(T, np.nan))[start] = float(signal_vector[sl.start])
        self.system[start] = cost.system
        self.agents[:, start] = np.asarray(cost.agents, float)
        for name, value in cost.flows.items():
            self.flows.setdefault(name, np.full(T, np.nan))[start] = float(value)
        self.limits.update(cost.limits)
        for name, value in supplies.items():
            self.supplies.setdefault(name, np.full(T, np.nan))[start] = float(value)
        self.details.append(cost.details)
        self.violation = max(self.violation, float(cost.violation))
        self.penalties[start] = float(cost.penalty)
        coupled = {c.output for c in game.leader.couplings}
        for i, response in enumerate(responses):
            outputs = response.outputs if hasattr(response, "outputs") else response
            for name, value in outputs.items():
                arr = np.asarray(value, float)
                if name in coupled:
                    self.outputs[i].setdefault(name, np.full(T, np.nan))[start] = float(arr.ravel()[0])
                elif start == 0:
                    self.outputs[i][name] = arr.copy()
        self.states.append(list(nxt))
        return cost

    def finish(self) -> RollingRun:
        return RollingRun(self.prices, self.system, self.agents, self.flows, self.limits, self.details,
                          self.outputs, self.supplies, self.states, self.violation, self.penalties,
                          time.perf_counter() - self.clock, self.build_s)


def centralized_rolling(rolling: RollingHorizon, settings: dict | None = None,
                        progress: Callable[[int], None] | None = None) -> RollingRun:
    """The centralized rolling optimization: solve each stage's welfare problem, realise, advance.

    Args:
        rolling: the case's rolling description.
        settings: Clarabel settings for :func:`gamecore.solve_centralized`.
        progress: called with each period once it is realised.

    Prices of a realised period are the duals of its balance rows (the stage's clearing
    prices); supplies are the leader's optimal supplies of the stage.
    """
    recorder = RollingRecorder(rolling)
    for t in range(recorder.T):
        game = recorder.build(t)
        current_entries(game)
        sol = solve_centralized(game, settings)
        supplies = {name: float(np.ravel(r.outputs["supply"])[0]) for name, r in sol.supplies.items()}
        recorder.realise(t, game, sol.signal_vector, sol.responses, supplies)
        if progress is not None:
            progress(t)
    return recorder.finish()


def mix_responses(a: Response, b: Response, theta: float, program: Any, sigma: np.ndarray) -> Response:
    """``θ·a + (1 − θ)·b`` of two responses of the same follower (outputs and canonical x).

    A convex combination of two feasible points of a convex program is feasible; its
    objective is re-evaluated at ``sigma`` (the follower's signals). Needs both ``x``.
    """
    if a.x is None or b.x is None:
        raise GameError("mix_responses: both responses must carry their canonical x")
    x = theta * a.x + (1.0 - theta) * b.x
    outputs = {k: theta * np.asarray(a.outputs[k]) + (1.0 - theta) * np.asarray(b.outputs[k]) for k in a.outputs}
    status = a.status if a.status == b.status else "optimal_inaccurate"
    return Response(status, outputs, program.objective_at(x, sigma), a.solve_time + b.solve_time,
                    a.iterations + b.iterations, x)


__all__ = ["PeriodCost", "RollingHorizon", "RollingRecorder", "RollingRun", "centralized_rolling",
           "current_entries", "mix_responses", "rolling_of", "stage_vector"]
