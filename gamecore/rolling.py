"""Rolling-horizon games and the centralized rolling reference (energy-agnostic).

A day of ``T`` periods is operated stage by stage. At period ``t`` the remaining periods
``[t, T)`` form a market game — the *stage game* — built from the agents' current states
and the data known at ``t``; its first period is *realised* (dispatched for good), every
agent's state advances, and the next stage starts from the new states. A case describes
this with a :class:`RollingHorizon` given as its ``Case.rolling`` (``None``: the case is a
single shot). The engine needs nothing else to know about the case.

Conventions a rolling description guarantees:

* every signal of a stage game is a bounded coupling price of shape ``(T − t,)``; entry 0
  is the current period's price, entry ``k`` the price of period ``t + k``;
* :meth:`RollingHorizon.day_ahead_game` has the same signals with shape ``(T,)`` (the
  day-ahead stage: all periods, day-ahead data, initial states);
* ``advance`` and ``period_cost`` accept, per agent, a :class:`~gamecore.canonical.Response`
  of its follower in that stage game (or anything with the same ``outputs``).

:func:`solve_rolling` operates a day as a two-stage workflow (:class:`RollingResult`):

1. **Day-ahead**: ``gamecore.solve(rolling.day_ahead_game(), day_ahead)`` — a normal solve (the
   ``day-ahead`` price iteration by default, started from :meth:`RollingHorizon.initial_prices`)
   with the driver's independent certificate; its prices are the forecast.
2. **Real time**, t = 0..T−1: the stage game of ``[t, T)`` from the current states. With
   ``real_time="bisection"`` the prices of later periods are held at the day-ahead forecast
   and the current price alone is found by scalar bisection on its box (:func:`clear_current`,
   ⌈log₂(range / price_tol)⌉ iterations at most; primal recovery at the dual kink, see there).
   With any other registered market strategy (``"centralized"``, ``"admm"``...) the stage
   game is solved by ``gamecore.solve(stage, real_time)`` (all remaining prices re-cleared,
   the driver's certificate) and only its first period is kept.
3. Period t is realised (:meth:`RollingHorizon.advance`, :meth:`RollingHorizon.period_cost`).

The centralized rolling reference (the paper's "centralized rolling optimization") is
``solve_rolling(case, day_ahead=None, real_time="centralized")`` (no forecast needed);
:func:`centralized_rolling` is its direct form (:func:`gamecore.solve_centralized` per stage,
returns the bare :class:`RollingRun`).
"""

from __future__ import annotations

import json
import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gamecore.canonical import Response
from gamecore.centralized import solve_centralized
from gamecore.certificate import certify, relative
from gamecore.errors import GameError, StrategyError
from gamecore.game import SUPPLY, Game
from gamecore.jsonable import dumps
from gamecore.market import coupling_balance, require_priced
from gamecore.options import build_options, format_vector, option
from gamecore.result import Result, Status

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from gamecore.case import Case
    from gamecore.driver import Callback


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
    def renewable_accommodation(self) -> float | None:
        """Renewable energy used ÷ available over the day and all agents, when every period's
        details carry ``renewable_used`` and ``renewable_available`` (per agent, same units);
        None otherwise (or when nothing was available)."""
        keys = ("renewable_used", "renewable_available")
        if not self.details or not all(all(k in d for k in keys) for d in self.details):
            return None
        used = sum(float(np.sum(d["renewable_used"])) for d in self.details)
        available = sum(float(np.sum(d["renewable_available"])) for d in self.details)
        return used / available if available > 0 else None

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


# ---------------------------------------------------------------------- the workflow
#: default bracket width (price units) at which :func:`clear_current` stops a period: 9
#: iterations on a price range of 1.5 (``ieh``; the paper's Table II)
REAL_TIME_PRICE_TOL = 3e-3
#: default relative excess at which :func:`clear_current` clears a period early
REAL_TIME_TOL = 1e-6
#: tolerances of a scalar-bisection stage's certificate (see :func:`solve_rolling`). The
#: best-response gap is the price of the primal recovery at the kink (ε ≤ bracket × traded
#: quantity, relative ≈ 1e-5..1e-4 on ``ieh``), hence looser than a plain solve's 1e-5.
STAGE_TOLERANCES: dict[str, float] = {"best_response_gap": 1e-4, "follower_infeasibility": 1e-6,
                                      "coupling_residual": 1e-4}


@dataclass
class Cleared:
    """A period cleared by :func:`clear_current`.

    Attributes:
        price: realised current price; vector: the stage's signal vector at it.
        responses: realised responses (mixed at the kink, see :func:`clear_current`).
        supply, demand: the leader's supply and Σ_i y_i of the realised period (output units).
        iterations: bid rounds; bound: ⌈log₂(range / price_tol)⌉.
        theta: weight of the lower bracket end's responses (1 when realised at one price).
        residual: realised relative excess; residual_unmixed: the best single price of the
            final bracket; bracket: its width; pinned: no sign change seen (price at a bound).
        history: per iteration ``{"iteration", "price", "residual", "bracket"}``.
        leader_solver_s: seconds in the leader's supply solves.
    """

    price: float
    vector: np.ndarray
    responses: list[Response]
    supply: float
    demand: float
    iterations: int
    bound: int
    theta: float
    residual: float
    residual_unmixed: float
    bracket: float
    pinned: bool
    history: list[dict[str, Any]] = field(default_factory=list)
    leader_solver_s: float = 0.0


def bisection_bound(game: Game, index: int, price_tol: float) -> int:
    """⌈log₂(price range / price_tol)⌉: the iteration bound of :func:`clear_current` on entry ``index``."""
    span = float(game.layout.upper()[index] - game.layout.lower()[index])
    return max(1, math.ceil(math.log2(span / price_tol))) if span > price_tol else 1


def clear_current(game: Game, pool: Any, base: np.ndarray, price_tol: float = REAL_TIME_PRICE_TOL,
                  tol: float = REAL_TIME_TOL) -> Cleared:
    """Scalar bisection of the current price (entry 0) of a stage game, later prices held at ``base``.

    Each iteration broadcasts the midpoint of ``[lo, hi]`` (initially the price box), the agents
    bid (one pool call) and the leader's excess ``Σ_i y_i,t − s_t`` decides the half; it stops when
    the relative excess is ≤ ``tol`` or the bracket is ≤ ``price_tol``.

    Primal recovery at the kink: with piecewise-constant responses (a supply that jumps at a
    price, LP bids) no single price clears the period; at the final bracket with excesses
    ``g_lo > 0 > g_hi`` the period is realised at ``θ·(responses at lo) + (1 − θ)·(responses at
    hi)``, ``θ = −g_hi/(g_lo − g_hi)``, price ``θ·lo + (1 − θ)·hi`` (both endpoint responses are
    ε-optimal at any price of the bracket, ε ≤ bracket × traded quantity, so is their mix, and
    it clears). A bracket that never saw a sign change is realised at the last price evaluated.

    Raises:
        StrategyError: a stage with more than one coupling.
        GameError: a leader supply program that cannot be solved.
    """
    entries = current_entries(game)
    if len(entries) != 1:
        raise StrategyError(f"real-time bisection clears one current price per stage; stage game "
                            f"'{game.name}' has couplings {sorted(entries)}")
    name, index = next(iter(entries.items()))
    coupling = next(c for c in game.leader.couplings if c.name == name)
    sl = game.layout.slices[coupling.signal]
    lo, hi = float(game.layout.lower()[index]), float(game.layout.upper()[index])
    limit = bisection_bound(game, index, price_tol)
    history: list[dict[str, Any]] = []
    solver_s = 0.0

    def evaluate(price: float) -> tuple[np.ndarray, list[Response], float, float, float]:
        nonlocal solver_s
        vector = np.array(base, float)
        vector[index] = price
        responses = pool.respond(vector, keep_x=True)
        supply = game.suppliers[coupling.name].solve(vector[sl])
        solver_s += supply.solve_time
        if not supply.ok:
            raise GameError(f"leader supply program of coupling '{coupling.name}' is {supply.status}")
        s0 = float(np.ravel(supply.outputs[SUPPLY])[0])
        balance = coupling_balance(game, coupling, responses, supply.outputs[SUPPLY], entries=slice(0, 1))
        return vector, responses, s0, float(balance.excess[0]), balance.residual

    at_lo: tuple[float, np.ndarray, list[Response], float, float, float] | None = None
    at_hi: tuple[float, np.ndarray, list[Response], float, float, float] | None = None
    last: tuple[float, np.ndarray, list[Response], float, float, float] | None = None
    k = 0
    for k in range(1, limit + 1):
        price = 0.5 * (lo + hi)
        vector, responses, supply, excess, residual = evaluate(price)
        history.append({"iteration": k, "price": price, "residual": residual, "bracket": hi - lo})
        last = (price, vector, responses, supply, excess, residual)
        if residual <= tol:
            return Cleared(price, vector, responses, supply, supply + excess, k, limit, 1.0, residual, residual,
                           hi - lo, False, history, solver_s)
        if excess > 0:
            lo, at_lo = price, last
        else:
            hi, at_hi = price, last
        if hi - lo <= price_tol:
            break
    if at_lo is None or at_hi is None:   # no sign change seen: the price wants to leave the box
        assert last is not None
        price, vector, responses, supply, excess, residual = last
        return Cleared(price, vector, responses, supply, supply + excess, k, limit, 1.0, residual, residual,
                       hi - lo, True, history, solver_s)
    theta = -at_hi[4] / (at_lo[4] - at_hi[4])
    price = theta * at_lo[0] + (1.0 - theta) * at_hi[0]
    vector = np.array(base, float)
    vector[index] = price
    mixed = [mix_responses(a, b, theta, f.program, game.follower_signals(i, vector))
             for i, (f, a, b) in enumerate(zip(game.followers, at_lo[2], at_hi[2]))]
    supply = theta * at_lo[3] + (1.0 - theta) * at_hi[3]
    balance = coupling_balance(game, coupling, mixed, np.array([supply]), entries=slice(0, 1))
    return Cleared(price, vector, mixed, supply, float(balance.total[0]), k, limit, theta, balance.residual,
                   min(at_lo[5], at_hi[5]), hi - lo, False, history, solver_s)


@dataclass
class StageResult:
    """One real-time stage of :func:`solve_rolling` (period ``period`` realised).

    Attributes:
        period: t; prices: signal name -> realised current price.
        quantities: coupling output name -> ``(N,)`` each agent's realised quantity of the period.
        cost: the period's :class:`PeriodCost`.
        iterations: bid rounds (scalar bisection) or the stage solve's iterations.
        status: ``"converged"``, ``"max_iter"`` or ``"failed"``; message: why.
        certificate: the stage certificate's measures (``summary()`` of the driver's certificate
            for a ``gamecore.solve`` stage; best-response gap, follower infeasibility and the
            current period's coupling residual for a scalar-bisection stage, see
            :func:`solve_rolling`); certified: whether they are within their tolerances.
        wall_s: seconds of the stage (clearing and certificate; building the stage game is in
            compile_s); solver_s: of which in follower and leader solves; messages: agent messages.
        bound, theta, residual, residual_unmixed, bracket, pinned: scalar bisection only (see
            :class:`Cleared`); residual is the realised relative excess of the current period.
        history: the stage's iterations.
    """

    period: int
    prices: dict[str, float]
    quantities: dict[str, np.ndarray]
    cost: PeriodCost
    iterations: int
    status: Status
    message: str
    certificate: dict[str, Any]
    certified: bool
    wall_s: float = 0.0
    solver_s: float = 0.0
    compile_s: float = 0.0
    messages: int = 0
    bound: int | None = None
    theta: float | None = None
    residual: float | None = None
    residual_unmixed: float | None = None
    bracket: float | None = None
    pinned: bool = False
    history: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"period": self.period, "prices": self.prices, "quantities": self.quantities,
                "system_cost": self.cost.system, "agent_costs": self.cost.agents, "penalty": self.cost.penalty,
                "flows": self.cost.flows, "iterations": self.iterations, "status": self.status,
                "message": self.message, "certificate": self.certificate, "certified": self.certified,
                "wall_s": self.wall_s, "solver_s": self.solver_s, "compile_s": self.compile_s,
                "messages": self.messages, "bound": self.bound, "theta": self.theta, "residual": self.residual,
                "residual_unmixed": self.residual_unmixed, "bracket": self.bracket, "pinned": self.pinned}


def flow_ratio(run: RollingRun) -> float | None:
    """Largest ``|flow| ÷ limit`` over the day and over every coupling with a finite limit on the
    side of the flow (None when no coupling reports limits)."""
    worst: float | None = None
    for name, flows in run.flows.items():
        if name not in run.limits:
            continue
        lower, upper = run.limits[name]
        for value in np.asarray(flows, float):
            if not np.isfinite(value):
                continue
            limit = upper if value >= 0 else -lower
            if np.isfinite(limit) and limit > 0:
                ratio = abs(float(value)) / float(limit)
                worst = ratio if worst is None else max(worst, ratio)
    return worst


@dataclass
class RollingResult:
    """A day operated by :func:`solve_rolling`.

    Attributes:
        case: case (or rolling description) name; day_ahead_strategy / real_time_strategy: names.
        status: ``"converged"`` only when the day-ahead solve and every stage converged and
            passed their certificates; else ``"max_iter"`` / ``"failed"``; message: names the stage.
        stages: one :class:`StageResult` per realised period.
        day_ahead: the day-ahead stage's :class:`~gamecore.Result` (None without a day-ahead stage).
        forecast: signal name -> ``(T,)`` day-ahead prices (None without a day-ahead stage).
        run: the realised day (:class:`RollingRun`: prices, costs, flows, states...).
        hindsight_cost: the rolling description's ``hindsight_cost()`` when it offers one.
        wall_s: seconds of the workflow (hindsight excluded); solver_s: of which in solves;
        compile_s: of which building (compiling) the day-ahead and stage games and their pools.
        messages: agent messages of the day (day-ahead and real time).
    """

    case: str
    day_ahead_strategy: str | None
    real_time_strategy: str
    status: Status
    message: str
    stages: list[StageResult]
    day_ahead: Result | None
    forecast: dict[str, np.ndarray] | None
    run: RollingRun
    hindsight_cost: float | None = None
    wall_s: float = 0.0
    solver_s: float = 0.0
    compile_s: float = 0.0
    messages: int = 0

    @property
    def cost(self) -> float:
        """Realised cost of the day (Σ_t system cost, penalties included)."""
        return self.run.total_cost

    @property
    def penalty(self) -> float:
        """Part of :attr:`cost` paid for the case's soft constraints."""
        return self.run.total_penalty

    @property
    def penalties(self) -> np.ndarray:
        return self.run.penalties

    @property
    def day_ahead_iterations(self) -> int:
        return self.day_ahead.iterations if self.day_ahead is not None else 0

    @property
    def real_time_iterations(self) -> list[int]:
        return [s.iterations for s in self.stages]

    @property
    def iterations(self) -> int:
        """Day-ahead iterations plus every stage's."""
        return self.day_ahead_iterations + sum(self.real_time_iterations)

    @property
    def flow_ratio(self) -> float | None:
        """Largest coupling flow ÷ its limit over the day (:func:`flow_ratio`)."""
        return flow_ratio(self.run)

    def to_frame(self) -> pd.DataFrame:
        """One row per realised period: prices, forecast, system cost, penalty, flows and limits,
        iterations, status, certificate verdict, seconds, messages."""
        import pandas as pd

        rows = []
        for st in self.stages:
            row: dict[str, Any] = {"period": st.period}
            for name, value in st.prices.items():
                row[f"price_{name}"] = value
                if self.forecast is not None and name in self.forecast:
                    row[f"forecast_{name}"] = float(self.forecast[name][st.period])
            row.update({"system_cost": st.cost.system, "penalty": st.cost.penalty})
            for name, value in st.cost.flows.items():
                row[f"flow_{name}"] = value
                if name in st.cost.limits:
                    row[f"lower_{name}"], row[f"upper_{name}"] = st.cost.limits[name]
            row.update({"iterations": st.iterations, "status": st.status, "certified": st.certified,
                        "residual": st.residual, "best_response_gap": st.certificate.get("best_response_gap"),
                        "wall_s": st.wall_s, "solver_s": st.solver_s, "compile_s": st.compile_s,
                        "messages": st.messages})
            rows.append(row)
        return pd.DataFrame(rows)

    def to_dict(self, stages: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "case": self.case, "day_ahead_strategy": self.day_ahead_strategy,
            "real_time_strategy": self.real_time_strategy, "status": self.status, "message": self.message,
            "cost": self.cost, "penalty": self.penalty, "hindsight_cost": self.hindsight_cost,
            "iterations": self.iterations, "day_ahead_iterations": self.day_ahead_iterations,
            "real_time_iterations": self.real_time_iterations, "flow_ratio": self.flow_ratio,
            "wall_s": self.wall_s, "solver_s": self.solver_s, "compile_s": self.compile_s,
            "messages": self.messages, "prices": self.run.prices, "forecast": self.forecast,
            "flows": self.run.flows, "limits": self.run.limits, "system_costs": self.run.system_costs,
            "agent_costs": self.run.agent_totals, "penalties": self.run.penalties,
            "day_ahead": None if self.day_ahead is None else {
                k: v for k, v in self.day_ahead.to_dict(include_outputs=False).items()
                if k in ("status", "message", "iterations", "objective", "reference_objective", "gap_to_reference",
                         "certificate", "messages", "wall_s", "solver_s", "signals", "extra", "loops")},
        }
        if stages:
            data["stages"] = [s.to_dict() for s in self.stages]
        return data

    def to_json(self, path: str | Path | None = None, indent: int | None = 2) -> str:
        """:meth:`to_dict` as strict JSON (NaN/inf -> null); written to ``path`` when given."""
        text = dumps(self.to_dict(), indent=indent)
        json.loads(text)   # strict by construction; fails loudly otherwise
        if path is not None:
            Path(path).write_text(text)
        return text

    def plot(self) -> Figure:
        """Prices (realised, day-ahead forecast) and coupling flows against their limits, per period."""
        import matplotlib.pyplot as plt

        fig, (ax_p, ax_f) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
        T = self.run.system_costs.size
        t = np.arange(T)
        edges = np.arange(T + 1)   # period t spans [t, t + 1)
        for name, values in self.run.prices.items():
            ax_p.step(edges, np.append(values, values[-1]), where="post",
                      label=f"{name} (real time, {self.real_time_strategy})")
            if self.forecast is not None and name in self.forecast:
                ax_p.step(edges, np.append(self.forecast[name], self.forecast[name][-1]), where="post",
                          linestyle="--", label=f"{name} (day-ahead forecast)")
        ax_p.set_ylabel("price"); ax_p.legend(fontsize=8); ax_p.grid(alpha=0.3)
        for name, values in self.run.flows.items():
            ax_f.bar(t + 0.5, values, width=0.8, alpha=0.6, label=f"{name} flow")
            if name in self.run.limits:
                lower, upper = self.run.limits[name]
                for bound in (lower, upper):
                    if np.isfinite(bound):
                        ax_f.axhline(bound, color="k", linestyle=":", linewidth=1)
        ax_f.set_xlabel("period"); ax_f.set_ylabel("flow"); ax_f.legend(fontsize=8); ax_f.grid(alpha=0.3)
        ax_p.set_title(f"{self.case}: realised day, cost {self.cost:.6g}")
        fig.tight_layout()
        return fig


def rolling_of_case(case_or_rolling: Case | RollingHorizon) -> tuple[str, RollingHorizon]:
    """``(name, rolling description)`` of a case (its ``Case.rolling``) or of a description itself.

    Raises:
        GameError: a case without a rolling description, or one that is not a RollingHorizon.
    """
    if isinstance(case_or_rolling, RollingHorizon):
        return type(case_or_rolling).__name__, case_or_rolling
    name = str(getattr(case_or_rolling, "name", type(case_or_rolling).__name__))
    rolling = getattr(case_or_rolling, "rolling", None)
    if rolling is None:
        raise GameError(f"case '{name}' has no rolling description (Case.rolling is None): it is a single game; "
                        "solve it with gamecore.solve / `gamecore solve`")
    if not isinstance(rolling, RollingHorizon):
        raise GameError(f"case '{name}': rolling is a {type(rolling).__name__}, not a gamecore.rolling.RollingHorizon")
    return name, rolling


@dataclass
class ScalarClearingOptions:
    """Options of the real-time ``"bisection"`` stage of :func:`solve_rolling` (:func:`clear_current`).
    ``tol``: relative excess of the current period at which it clears early."""

    price_tol: float = option(REAL_TIME_PRICE_TOL, doc="bracket width at which a period stops", gt=0,
                              unit="price")
    tol: float = option(REAL_TIME_TOL, doc="relative excess at which a period clears early", gt=0, lt=1)


def solve_rolling(case_or_rolling: Case | RollingHorizon, day_ahead: str | None = "day-ahead",
                  real_time: str = "bisection", *, n_jobs: int = 1, backend: str = "loky",
                  progress: bool | None = None, day_ahead_options: Mapping[str, Any] | None = None,
                  real_time_options: Mapping[str, Any] | None = None, callback: Callback | None = None,
                  initial_prices: bool = True, hindsight: bool = True) -> RollingResult:
    """Operate a rolling day: day-ahead forecast, then one real-time clearing per period (module docstring).

    Args:
        case_or_rolling: a :class:`~gamecore.Case` with ``rolling`` set, or a :class:`RollingHorizon`.
        day_ahead: registered market strategy of the day-ahead stage (``"day-ahead"``,
            ``"centralized"``...), or None for no day-ahead stage (only with a real-time strategy
            that needs no forecast, i.e. not ``"bisection"``).
        real_time: ``"bisection"`` (scalar bisection of the current price, later prices at the
            forecast; options ``price_tol`` (default 3e-3) and ``tol`` (1e-6)) or any registered
            market strategy, run as ``gamecore.solve(stage, real_time)`` on every stage game.
        n_jobs, backend: follower pool parallelism of every solve.
        progress: progress bars (the day-ahead solve's and one over the periods).
        day_ahead_options / real_time_options: options of the two stages' strategies.
        callback: passed to every ``gamecore.solve`` of the day (the driver calls it after every
            iteration; a truthy return stops that loop).
        initial_prices: with ``day_ahead="day-ahead"`` and no ``start`` option, start the
            iteration from :meth:`RollingHorizon.initial_prices` (its ``start`` option).
        hindsight: also compute the description's ``hindsight_cost()`` when it has one (not timed).

    The stage certificate: a ``gamecore.solve`` stage carries the driver's certificate of its
    stage game. A scalar-bisection stage is certified here, independently of the clearing:
    every agent's best response is re-solved at the realised prices (best-response gap and
    follower infeasibility of the realised responses, :func:`gamecore.certificate.certify`)
    and the current period's balance is recomputed; later periods are not cleared by design
    (their prices are the forecast), so they are not part of the stage's certificate. The
    tolerances are :data:`STAGE_TOLERANCES`.

    Raises:
        GameError: a case without a rolling description.
        StrategyError: an unknown strategy or option.
    """
    from tqdm.auto import tqdm

    from gamecore.pool import FollowerPool
    from gamecore.registry import get_strategy, solve

    name, rolling = rolling_of_case(case_or_rolling)
    da_opts = dict(day_ahead_options or {})
    rt_opts = dict(real_time_options or {})
    scalar = real_time == "bisection"
    if scalar:
        scalar_opts = build_options("bisection (real-time scalar clearing)", ScalarClearingOptions, rt_opts, {})
        price_tol, tol = scalar_opts.price_tol, scalar_opts.tol
        if day_ahead is None:
            raise StrategyError("real-time 'bisection' holds later prices at the day-ahead forecast: give day_ahead")
    else:
        get_strategy(real_time, **rt_opts)          # unknown names / options fail before any work
    if day_ahead is not None:
        get_strategy(day_ahead, **da_opts)
    clock = time.perf_counter()
    compile_s = solver_s = 0.0
    messages = 0
    da_result: Result | None = None
    forecast: dict[str, np.ndarray] | None = None
    problems: list[tuple[Status, str]] = []
    if day_ahead is not None:
        started = time.perf_counter()
        da_game = rolling.day_ahead_game()
        compile_s += time.perf_counter() - started
        if day_ahead == "day-ahead" and initial_prices and da_opts.get("start") is None:
            start = rolling.initial_prices()
            if start is not None:
                da_opts["start"] = format_vector(da_game.layout.pack(start))
        da_result = solve(da_game, day_ahead, n_jobs=n_jobs, backend=backend, progress=progress, callback=callback,
                          **da_opts)
        messages += da_result.messages
        solver_s += da_result.solver_s
        if da_result.status != "converged":
            problems.append((da_result.status, f"day-ahead stage ({day_ahead}): {da_result.status}: "
                                               f"{da_result.message}"))
        if da_result.status == "failed" or not da_result.signals:
            run = RollingRecorder(rolling).finish()
            return RollingResult(name, day_ahead, real_time, "failed", problems[-1][1], [], da_result, None, run,
                                 None, time.perf_counter() - clock, solver_s, compile_s, messages)
        forecast = {k: np.asarray(v, float).ravel() for k, v in da_result.signals.items()}
    recorder = RollingRecorder(rolling)
    stages: list[StageResult] = []
    bar = tqdm(total=recorder.T, desc="real time", disable=not progress, leave=False)
    try:
        for t in range(recorder.T):
            started = time.perf_counter()
            game = recorder.build(t)
            current_entries(game)
            coupled = [c.output for c in game.leader.couplings]
            if scalar:
                assert forecast is not None
                pool = FollowerPool(game, n_jobs=n_jobs, backend=backend)
                stage_compile = time.perf_counter() - started
                cleared_at = time.perf_counter()
                try:
                    before = pool.stats.snapshot()
                    cleared = clear_current(game, pool, stage_vector(game, forecast, t), price_tol, tol)
                    traffic = pool.stats.since(before)
                    audit = pool.stats.snapshot()
                    best = pool.respond(cleared.vector, keep_x=True)     # the certificate's re-solve
                    audit_s = pool.stats.since(audit).solver_s
                finally:
                    pool.close()
                cert = certify(game, cleared.vector, cleared.responses, best)
                gaps = [max(0.0, relative(r.objective - b.objective, b.objective))
                        for r, b in zip(cleared.responses, best)]
                summary = {"best_response_gap": float(max(gaps)) if gaps else 0.0,
                           "follower_infeasibility": cert.follower_infeasibility,
                           "coupling_residual": cleared.residual}
                certified = all(v is not None and np.isfinite(v) and v <= STAGE_TOLERANCES[k]
                                for k, v in summary.items())
                status: Status = "converged" if cleared.residual <= tol and not cleared.pinned else "max_iter"
                message = (f"scalar bisection: {cleared.iterations} iterations (bound {cleared.bound}), realised "
                           f"residual {cleared.residual:.3g} (tol {tol:g}), bracket {cleared.bracket:.3g}, "
                           f"theta {cleared.theta:.3g}" + ("; price at a bound (no sign change)" if cleared.pinned
                                                          else ""))
                vector, responses = cleared.vector, cleared.responses
                supplies = {game.leader.couplings[0].name: cleared.supply}
                stage_messages = traffic.messages
                stage_solver = traffic.solver_s + cleared.leader_solver_s + audit_s
                extra: dict[str, Any] = {
                    "bound": cleared.bound, "theta": cleared.theta, "residual": cleared.residual,
                    "residual_unmixed": cleared.residual_unmixed, "bracket": cleared.bracket,
                    "pinned": cleared.pinned, "history": cleared.history}
                iterations = cleared.iterations
                stage_wall = time.perf_counter() - cleared_at
            else:
                stage_compile = time.perf_counter() - started
                res = solve(game, real_time, n_jobs=n_jobs, backend=backend, progress=False, callback=callback,
                            **rt_opts)
                stage_messages, stage_solver, iterations = res.messages, res.solver_s, res.iterations
                stage_wall = res.wall_s + res.certificate_s
                if res.status == "failed" or not res.signals:
                    problems.append(("failed", f"stage {t} ({real_time}) failed: {res.message}"))
                    messages += stage_messages
                    solver_s += stage_solver
                    break
                vector = game.layout.pack(res.signals)
                responses = [Response("optimal", dict(res.outputs[f.name]), float("nan"), 0.0, 0)
                             for f in game.followers]
                supplies = {c: float(np.ravel(v)[0]) for c, v in res.supplies.items()}
                summary = res.certificate.summary()
                certified = not res.certificate.failures()
                status, message = res.status, res.message
                residual = summary.get("coupling_residual")
                extra = {"residual": residual, "history": res.history}
            compile_s += stage_compile
            messages += stage_messages
            solver_s += stage_solver
            cost = recorder.realise(t, game, vector, responses, supplies)
            quantities = {out: np.array([float(np.ravel(np.asarray(r.outputs[out], float))[0]) for r in responses])
                          for out in coupled if all(out in r.outputs for r in responses)}
            prices = {n: float(vector[sl.start]) for n, sl in game.layout.slices.items()}
            stage = StageResult(t, prices, quantities, cost, iterations, status, message, summary, certified,
                                stage_wall, stage_solver, stage_compile, stage_messages, **extra)
            stages.append(stage)
            if status != "converged":
                problems.append((status, f"stage {t} ({real_time}): {status}: {message}"))
            elif not certified:
                problems.append(("max_iter", f"stage {t} ({real_time}): not certified: {summary}"))
            bar.update(1)
    finally:
        bar.close()
    run = recorder.finish()
    wall = time.perf_counter() - clock
    if len(stages) < recorder.T and not any(s == "failed" for s, _ in problems):
        problems.append(("failed", f"only {len(stages)} of {recorder.T} periods realised"))
    if problems:
        day_status: Status = "failed" if any(s == "failed" for s, _ in problems) else "max_iter"
        how = "; ".join(p for _, p in problems[:5]) + (f"; ... ({len(problems)} problems)" if len(problems) > 5
                                                      else "")
    else:
        day_status = "converged"
        how = (f"{recorder.T} periods realised; day-ahead {da_result.iterations if da_result else 0} iterations; "
               f"real time {sum(s.iterations for s in stages)} iterations; every stage converged and certified")
    hind = None
    if hindsight and callable(getattr(rolling, "hindsight_cost", None)):
        hind = float(rolling.hindsight_cost())   # type: ignore[attr-defined]
    return RollingResult(name, day_ahead, real_time, day_status, how, stages, da_result, forecast, run, hind,
                         wall, solver_s, compile_s, messages)


__all__ = ["PeriodCost", "RollingHorizon", "RollingRecorder", "RollingResult", "RollingRun", "StageResult",
           "centralized_rolling", "clear_current", "current_entries", "mix_responses", "rolling_of_case",
           "solve_rolling", "stage_vector"]
