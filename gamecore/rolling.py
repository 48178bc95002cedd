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
2. **Real time**, t = 0..T−1: the stage game of ``[t, T)`` from the current states, with the
   prices of later periods held at the day-ahead forecast: :func:`current_period_game` (one
   price per coupling, the later prices folded into the agents' data — nothing is compiled),
   solved by ``gamecore.solve(game, real_time)`` — by default plain ``bisection``, i.e. scalar
   bisection of the current price, ⌈log₂(range / price_tol)⌉ iterations at most, with primal
   recovery at a kink (see :mod:`strategies.bisection`) — and certified by the driver.
   Without a day-ahead stage the whole stage game is re-cleared by ``real_time`` and only its
   first period is kept.
3. Period t is realised (:meth:`RollingHorizon.advance`, :meth:`RollingHorizon.period_cost`).

The centralized rolling reference (the paper's "centralized rolling optimization") is
``solve_rolling(case, day_ahead=None, real_time="centralized")`` (no forecast needed);
:func:`centralized_rolling` is its direct form (:func:`gamecore.solve_centralized` per stage,
returns the bare :class:`RollingRun`).
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cvxpy as cp
import numpy as np

from gamecore.canonical import CanonicalProgram, Response
from gamecore.centralized import solve_centralized
from gamecore.errors import GameError
from gamecore.follower import Follower
from gamecore.game import Game
from gamecore.jsonable import dumps
from gamecore.leader import Leader, MarketCoupling
from gamecore.market import require_priced
from gamecore.options import format_vector
from gamecore.result import Result, Status
from gamecore.signals import Signal

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


def check_stage_states(names: Sequence[str], states: Sequence[Any], start: int, kind: str = "agents") -> None:
    """One state per agent (``names``), each for period ``start`` (its ``period``): a stage game of
    ``[start, T)`` is built from them. Raises ValueError naming the agent."""
    if len(states) != len(names):
        raise ValueError(f"states: {len(states)} given for {len(names)} {kind}")
    for name, state in zip(names, states):
        if state.period != start:
            raise ValueError(f"states['{name}'].period = {state.period}, expected the stage start {start}")


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


# ---------------------------------------------------------------------- the workflow
#: default options of a real-time ``bisection`` stage (:func:`solve_rolling`): a final bracket of
#: 3.75e-4 price units, 12 iterations on a price range of 1.5 (``ieh``, ``county``), and the relative
#: excess 1e-6 at which a period clears early. The paper's Table II reports 9 iterations (bracket
#: 3e-3). The primal recovery at a kink is ε-optimal with ε growing with the bracket, and the driver
#: certifies every stage's duality gap (bounded by its clearing welfare) at 1e-4: with 9 iterations
#: two late stages of ``ieh`` at 10 hubs end at 1.5e-4 and 1.9e-4, with 10 one stage at 3 hubs at
#: 1.04e-4, with 11 one stage of ``county`` at 100 IES at 1.1e-4 (not certified); with 12 every stage
#: of those days is certified (``benchmarks/README.md``).
REAL_TIME_DEFAULTS: dict[str, dict[str, Any]] = {"bisection": {"price_tol": 3.75e-4, "tol": 1e-6}}


def current_period_game(stage: Game, forecast: np.ndarray) -> Game:
    """The real-time market of a stage's current period: ``stage`` with every later price fixed.

    ``forecast``: a signal vector of ``stage`` (its layout, e.g. :func:`stage_vector` of the
    day-ahead prices); the entries after the first of every signal are held fixed. The result has
    one price per coupling (shape ``(1,)``, the stage's bounds of entry 0); its followers are the
    stage's programs with the fixed prices folded into their data (``q0 += Qs_later·p_later``,
    likewise ``d0`` and ``b0``: no compilation) and each coupled output cut to its first entry;
    each coupling's supply is the current period's: the stage's supply program with the later
    supplies optimised against the fixed later prices. A market equilibrium of this game is a
    period cleared at its current price with the later prices at the forecast — what real-time
    clearing computes — and the driver certifies it like any market game.

    Raises:
        GameError: a stage that is not a rolling stage game (:func:`current_entries`).
    """
    current_entries(stage)
    forecast = np.asarray(forecast, dtype=float).ravel()
    layout = stage.layout
    held = {name: forecast[sl][1:] for name, sl in layout.slices.items()}
    coupled = {c.output for c in stage.leader.couplings}
    shared: dict[tuple[int, ...], tuple[Any, ...]] = {}
    followers = [Follower.from_program(f.name, _current_program(f.program, held, coupled, shared),
                                       signals=f.signal_params, constraints=f.constraints, outputs=f.output_exprs)
                 for f in stage.followers]
    signals = [Signal(sig.name, (1,), float(layout.lower()[layout.slices[sig.name].start]),
                      float(layout.upper()[layout.slices[sig.name].start]), unit=sig.unit)
               for sig in stage.leader.signals]
    couplings = [_current_coupling(c, held[c.signal]) for c in stage.leader.couplings]
    leader = Leader(signals, couplings=couplings, name=stage.leader.name)
    return Game(leader, followers, name=f"{stage.name}-now", reported_outputs=stage.reported_outputs)


def _current_program(prog: CanonicalProgram, held: Mapping[str, np.ndarray], coupled: set[str],
                     shared: dict[tuple[int, ...], tuple[Any, ...]]) -> CanonicalProgram:
    """``prog`` with its signals' later entries fixed at ``held`` (see :func:`current_period_game`).
    ``shared``: restricted maps by the program's own maps, so followers of one program family keep
    sharing theirs (the game's payment check relies on it to stay cheap)."""
    key = (id(prog.Qs), id(prog.Bs), id(prog.ds))
    if key not in shared:
        now: list[int] = []
        later: list[int] = []
        offset = 0
        for name in prog.signal_names:
            size = int(np.prod(prog.signal_shapes[name], dtype=int))
            now.append(offset)
            later.extend(range(offset + 1, offset + size))
            offset += size
        values = np.concatenate([held[n] for n in prog.signal_names]) if later else np.zeros(0)
        shared[key] = (prog.Qs[:, now], prog.ds[now], prog.Bs[:, now],
                       np.asarray(prog.Qs[:, later] @ values).ravel(), float(prog.ds[later] @ values),
                       np.asarray(prog.Bs[:, later] @ values).ravel())
    Qs, ds, Bs, dq, dd, db = shared[key]
    outputs = {name: ((cols[:1], (1,)) if name in coupled else (cols, shape))
               for name, (cols, shape) in prog.outputs.items()}
    restricted = replace(prog, q0=prog.q0 + dq, Qs=Qs, d0=prog.d0 + dd, ds=ds, b0=prog.b0 + db, Bs=Bs,
                         signal_shapes={n: (1,) for n in prog.signal_names}, outputs=outputs, _solvers={})
    if prog.base is not None:
        q0, d0, b0 = prog.base
        restricted.base = (q0 + dq, d0 + dd, b0 + db)
    return restricted


def _current_coupling(coupling: MarketCoupling, later: np.ndarray) -> MarketCoupling:
    """The current period's supply of ``coupling``: its supply program over the stage with the
    later supplies (one variable shared by cost and constraints) priced at the fixed ``later``."""
    cost, limits = coupling.supply_cost, coupling.supply_constraints
    if later.size == 0:
        return replace(coupling)
    rest = cp.Variable(later.size, name=f"{coupling.name}_later")

    def whole(s0: cp.Variable) -> Any:     # an expression where the stage's supply variable was
        return cp.hstack([s0, rest])

    def supply_cost(s0: cp.Variable) -> cp.Expression:
        return (cost(whole(s0)) if cost is not None else cp.Constant(0.0)) - later @ rest

    def supply_constraints(s0: cp.Variable) -> list[cp.Constraint]:
        return list(limits(whole(s0))) if limits is not None else []

    return replace(coupling, supply_cost=supply_cost, supply_constraints=supply_constraints)


@dataclass
class StageResult:
    """One real-time stage of :func:`solve_rolling` (period ``period`` realised).

    Attributes:
        period: t; prices: signal name -> realised current price.
        quantities: coupling output name -> ``(N,)`` each agent's realised quantity of the period.
        cost: the period's :class:`PeriodCost`.
        iterations: the stage solve's iterations (bid rounds of a real-time bisection).
        status: ``"converged"``, ``"max_iter"`` or ``"failed"``; message: why (the driver's).
        certificate: the measures of the driver's certificate of the stage's game (``summary()``);
            certified: whether they are within their tolerances.
        wall_s: seconds of the stage (clearing and certificate; building the stage game is in
            compile_s); solver_s: of which in follower and leader solves; messages: agent messages.
        residual: the certificate's coupling residual of the realised period.
        bound, theta, residual_unmixed, bracket: a real-time ``bisection``'s ⌈log₂(range /
            price_tol)⌉, weight of the primal recovery at a kink (1: realised at one price), best
            single-price residual and final bracket (``strategies.bisection``); None otherwise.
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
    history: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"period": self.period, "prices": self.prices, "quantities": self.quantities,
                "system_cost": self.cost.system, "agent_costs": self.cost.agents, "penalty": self.cost.penalty,
                "flows": self.cost.flows, "iterations": self.iterations, "status": self.status,
                "message": self.message, "certificate": self.certificate, "certified": self.certified,
                "wall_s": self.wall_s, "solver_s": self.solver_s, "compile_s": self.compile_s,
                "messages": self.messages, "bound": self.bound, "theta": self.theta, "residual": self.residual,
                "residual_unmixed": self.residual_unmixed, "bracket": self.bracket}


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


def solve_rolling(case_or_rolling: Case | RollingHorizon, day_ahead: str | None = "day-ahead",
                  real_time: str = "bisection", *, n_jobs: int = 1, backend: str = "loky",
                  progress: bool | None = None, day_ahead_options: Mapping[str, Any] | None = None,
                  real_time_options: Mapping[str, Any] | None = None, callback: Callback | None = None,
                  initial_prices: bool = True, hindsight: bool = True) -> RollingResult:
    """Operate a rolling day: day-ahead forecast, then one real-time clearing per period (module docstring).

    Args:
        case_or_rolling: a :class:`~gamecore.Case` with ``rolling`` set, or a :class:`RollingHorizon`.
        day_ahead: registered market strategy of the day-ahead stage (``"day-ahead"``,
            ``"centralized"``...), or None for no day-ahead stage.
        real_time: registered market strategy of every real-time stage. With a day-ahead stage it
            clears the current period with the later prices held at the forecast
            (:func:`current_period_game`; ``"bisection"`` is then scalar bisection of the current
            price, with :data:`REAL_TIME_DEFAULTS` unless overridden); without one it re-clears the
            whole stage game (the centralized rolling reference: ``day_ahead=None,
            real_time="centralized"``).
        n_jobs, backend: follower pool parallelism of every solve.
        progress: progress bars (the day-ahead solve's and one over the periods).
        day_ahead_options / real_time_options: options of the two stages' strategies.
        callback: passed to every ``gamecore.solve`` of the day (the driver calls it after every
            iteration; a truthy return stops that loop).
        initial_prices: with ``day_ahead="day-ahead"`` and no ``start`` option, start the
            iteration from :meth:`RollingHorizon.initial_prices` (its ``start`` option).
        hindsight: also compute the description's ``hindsight_cost()`` when it has one (not timed).

    Every stage is a ``gamecore.solve`` and carries the driver's certificate of the game it
    solved; the real-time stages are certified with ``duality="clearing"`` (the duality gap
    bounded by the stage's own clearing welfare, :mod:`gamecore.certificate`): solving every
    stage's welfare problem for it would cost more than the clearing.

    Raises:
        GameError: a case without a rolling description.
        StrategyError: an unknown strategy or option.
    """
    from tqdm.auto import tqdm

    from gamecore.registry import get_strategy, solve

    name, rolling = rolling_of_case(case_or_rolling)
    da_opts = dict(day_ahead_options or {})
    rt_opts = dict(real_time_options or {})
    if day_ahead is not None:
        rt_opts = {**REAL_TIME_DEFAULTS.get(real_time, {}), **rt_opts}
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
            vector = stage_vector(game, forecast, t) if forecast is not None else None
            cleared = current_period_game(game, vector) if vector is not None else game
            stage_compile = time.perf_counter() - started
            res = solve(cleared, real_time, n_jobs=n_jobs, backend=backend, progress=False, callback=callback,
                        duality="clearing", **rt_opts)
            compile_s += stage_compile
            messages += res.messages
            solver_s += res.solver_s
            if res.status == "failed" or not res.signals:
                problems.append(("failed", f"stage {t} ({real_time}) failed: {res.message}"))
                break
            now = cleared.layout.pack(res.signals)
            if vector is None:
                vector = now
            else:                                   # the current prices into the stage's vector
                for sig, sl in game.layout.slices.items():
                    vector[sl.start] = now[cleared.layout.slices[sig].start]
            responses = [Response("optimal", dict(res.outputs[f.name]), float("nan"), 0.0, 0) for f in game.followers]
            supplies = {c: float(np.ravel(v)[0]) for c, v in res.supplies.items()}
            cost = recorder.realise(t, game, vector, responses, supplies)
            coupled = [c.output for c in game.leader.couplings]
            quantities = {out: np.array([float(np.ravel(np.asarray(r.outputs[out], float))[0]) for r in responses])
                          for out in coupled if all(out in r.outputs for r in responses)}
            prices = {n: float(vector[sl.start]) for n, sl in game.layout.slices.items()}
            summary = res.certificate.summary()
            certified = not res.certificate.failures()
            stage = StageResult(t, prices, quantities, cost, res.iterations, res.status, res.message, summary,
                                certified, res.wall_s + res.certificate_s, res.solver_s, stage_compile, res.messages,
                                bound=res.extra.get("bound"), residual=summary.get("coupling_residual"),
                                theta=res.extra.get("theta"),
                                residual_unmixed=res.extra.get("residual_unmixed"),
                                bracket=res.extra.get("bracket"), history=res.history)
            stages.append(stage)
            if res.status != "converged":
                problems.append((res.status, f"stage {t} ({real_time}): {res.status}: {res.message}"))
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


__all__ = ["REAL_TIME_DEFAULTS", "PeriodCost", "RollingHorizon", "RollingRecorder", "RollingResult", "RollingRun",
           "StageResult", "centralized_rolling", "check_stage_states", "current_entries", "current_period_game",
           "rolling_of_case",
           "solve_rolling", "stage_vector"]
