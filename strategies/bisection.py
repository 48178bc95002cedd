"""``bisection``: per-period scalar bisection on coupling prices, swept until all clear.

Every entry t of every coupling price (one per period and carrier) keeps its own bracket
``[lo_t, hi_t]`` in which its excess ``g_t = Σ_i y_it − s_t`` changes sign (the excess is
non-increasing in its own price for convex followers). One iteration = one pool call that
evaluates all brackets' midpoints at once; each bracket keeps the half where its own sign
change lies. When responses are separable in time this is exact scalar bisection per
period: ⌈log₂(range / price_tol)⌉ iterations at most, fewer when the residual reaches
``tol`` first.

When all brackets are narrower than ``price_tol`` but the residual is still above ``tol``
(periods interact through storage or shiftable loads, or responses jump as LP responses
do), one verification iteration evaluates the all-``lo`` and all-``hi`` price vectors in one
batched pool call. Entries whose sign change is still bracketed are final (the residual is
the one the price precision allows and is reported honestly); entries that lost it are
re-opened around the current price (width doubled each time, inside the signal bounds)
and a new sweep starts, up to ``max_sweeps`` sweeps.

A price at a bound whose excess keeps its sign there (e.g. oversupply at the floor) is
final; its residual is reported by the certificate.

Two-stage mode (rolling-horizon games, seeds 003 and 000)
---------------------------------------------------------
When the game carries a rolling description (``game.rolling``, a
:class:`gamecore.rolling.RollingHorizon`; the ``ieh`` case attaches one) and ``mode`` is
``"auto"`` or ``"two-stage"``, the day is operated as in Cheng & Zhang, Sec. III-B:

1. **Day-ahead**: the whole price vector of the day-ahead game is iterated until the bids
   balance the leader's supply within ``da_tol`` — :func:`strategies.day_ahead.day_ahead_prices`,
   ``day_ahead="gradient"`` (the paper's step, with the leader's supply taken by its proximal
   map) or ``"accelerated"`` (FISTA with adaptive restart; default, 3–12× fewer rounds on ``ieh``).
   ``da_compare=True`` also runs the other variant and reports its iterations.
2. **Real time**: for t = 0..T−1 the stage game of ``[t, T)`` is built from the agents'
   current states (they re-optimise the remaining horizon with updated forecasts); the
   prices of later periods are held at the day-ahead forecast and the current price alone
   is found by bisection on ``[lower, upper]``: each iteration broadcasts the midpoint, the
   agents bid, the leader's excess ``Σ_i y_i,t − s_t`` decides the half. It stops when the
   relative excess is ≤ ``rt_tol`` or the bracket is ≤ ``rt_price_tol``: at most
   ``⌈log₂((upper − lower)/rt_price_tol)⌉`` iterations per period (9 with the default
   3e-3 on the ``ieh`` range of 1.5 yuan/kWh, as in the paper's Table II).
3. **Piecewise-constant responses.** The transformer supply jumps from −cap to +cap at the
   utility price, and LP agents' bids jump too (``ieh``'s rolling description makes them
   continuous with a small quadratic weight, see ``IEHRolling``; the supply jump remains),
   so no single price clears a period exactly (the bracket shrinks around the jump). At the final
   bracket ``[lo, hi]`` with excesses ``g_lo > 0 > g_hi`` the period is realised at the convex combination
   ``θ·(responses at lo) + (1 − θ)·(responses at hi)``, ``θ = −g_hi/(g_lo − g_hi)``, at the
   price ``θ·lo + (1 − θ)·hi`` — primal recovery at the dual kink, a standard tie-breaking
   rule of Lagrangian decomposition: both endpoint responses are feasible and
   ε-optimal at any price of the bracket (ε ≤ bracket × traded quantity), so is their mix,
   and it clears exactly. θ is one more broadcast number. The certificate reports the
   mixed responses' best-response gap at the cleared prices (the price of this rule) and
   the history reports both the realised and the unmixed residual (the best a single price
   of the final bracket achieves). A bracket that never saw a sign change (the price wants
   to leave the box) is realised at the last price evaluated, and its residual is reported.
4. Period t is realised (costs by the rolling description), the states advance.

The outcome: signals = the real-time clearing prices; outputs = the realised day; objective =
realised system cost; reference = :func:`gamecore.rolling.centralized_rolling` (option
``reference``); the certificate aggregates the stages (max best-response gap over the
stages at the cleared prices, max coupling residual of the realised periods, duality gap of
the day-ahead stage against its centralized bound). ``extra["costs"]`` holds per-agent and
system costs of both methods and the part of them paid for the case's soft constraints
(``penalty_two_stage``, ``penalty_per_period``, ``penalty_centralized``: e.g. ``ieh``'s
unserved demand and missed end-of-day SOC, see :attr:`gamecore.rolling.PeriodCost.penalty`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gamecore.canonical import Response
from gamecore.certificate import Certificate, certify, relative
from gamecore.errors import GameError, StrategyError
from gamecore.game import SUPPLY, Game
from gamecore.market import centralized_bound, coupling_balance
from gamecore.options import option, time_limit_option
from gamecore.pool import FollowerPool, PoolStats
from gamecore.result import Status
from gamecore.rolling import (
    RollingHorizon,
    RollingRecorder,
    RollingRun,
    centralized_rolling,
    current_entries,
    mix_responses,
    rolling_of,
    stage_vector,
)
from gamecore.strategy import IterativeStrategy, MarketPoint, Outcome, SolveContext
from strategies.day_ahead import METHODS, DayAheadResult, day_ahead_prices

MODES = ("auto", "two-stage", "single")


@dataclass
class BisectionOptions:
    """Options of ``bisection``. ``tol``: relative coupling residual (the certificate's ``coupling_residual``) at
    which the single-game bisection stops.

    Single-game mode: ``max_iter``, ``tol``, ``price_tol``, ``max_sweeps``. Two-stage mode (games
    with a rolling description, see the module docstring): the ``mode``, ``da_*``, ``rt_*``,
    ``reference`` and ``report_agent`` options.
    """

    max_iter: int = option(500, doc="iterations (one batched pool call each)", ge=1)
    tol: float = option(1e-5, doc="relative coupling residual at which to stop", gt=0, lt=1)
    price_tol: float = option(1e-9, doc="bracket width below which a sweep ends", gt=0, unit="price units")
    max_sweeps: int = option(20, doc="sweeps (brackets re-opened around unsettled prices) at most", ge=1)
    mode: str = option("auto", doc="'auto': two-stage when the game has a rolling description", choices=MODES)
    day_ahead: str = option("accelerated", doc="day-ahead price iteration (two-stage mode)", choices=METHODS)
    da_tol: float = option(1e-4, doc="day-ahead: relative balance of bids and supply at which to stop", gt=0, lt=1)
    da_max_iter: int = option(5000, doc="day-ahead: iterations at most", ge=1)
    da_step: float = option(0.0, doc="day-ahead: step; 0 = observed-Lipschitz rule", ge=0)
    da_compare: bool = option(False, doc="day-ahead: also run the other variant and report its iterations")
    rt_price_tol: float = option(3e-3, doc="real time: bracket width at which a period stops", gt=0,
                                 unit="price units")
    rt_tol: float = option(1e-6, doc="real time: relative excess that clears a period early", gt=0, lt=1)
    reference: bool = option(True, doc="compute the centralized rolling reference (two-stage mode)")
    report_agent: int = option(0, doc="index of the agent whose realised dispatch goes to extra", ge=0)
    time_limit: float | None = time_limit_option()


@dataclass
class _State:
    lo: np.ndarray
    hi: np.ndarray
    point: MarketPoint
    sweeps: int = 1
    reopened: int = 0
    done: bool = False


class Bisection(IterativeStrategy[BisectionOptions]):
    name = "bisection"
    equilibrium = "market"
    summary = "simultaneous per-period scalar bisection on coupling prices, re-swept until all clear"
    Options = BisectionOptions

    def check(self, game: Game) -> None:
        super().check(game)
        for c in game.leader.couplings:
            if not game.leader.signal(c.signal).bounded:
                raise StrategyError(f"strategy 'bisection' needs finite lower and upper bounds on price "
                                    f"'{c.signal}' of coupling '{c.name}'")
        try:
            rolling = rolling_of(game)
        except GameError as err:
            raise StrategyError(str(err)) from None
        if self.options.mode == "two-stage" and rolling is None:
            raise StrategyError(f"strategy 'bisection': mode='two-stage' needs a game with a rolling description "
                                f"(game.rolling), and '{game.name}' has none; use mode='single' or 'auto'")
        if rolling is not None and self.options.mode != "single":
            names = [f.name for f in game.followers]
            if list(rolling.agent_names) != names:
                raise StrategyError(f"strategy 'bisection': the rolling description's agents "
                                    f"{rolling.agent_names[:3]}... differ from the game's followers {names[:3]}...")

    def two_stage(self, game: Game) -> bool:
        """Whether :meth:`run` operates ``game`` in two-stage mode."""
        return self.options.mode != "single" and getattr(game, "rolling", None) is not None

    def run(self, ctx: SolveContext) -> Outcome:
        if self.two_stage(ctx.game):
            return TwoStage(ctx, rolling_of(ctx.game)).run()   # type: ignore[arg-type]
        return super().run(ctx)

    def initialize(self, ctx: SolveContext) -> _State:
        layout = ctx.game.layout
        lo, hi = layout.lower().copy(), layout.upper().copy()
        return _State(lo, hi, ctx.market_point(0.5 * (lo + hi)))

    def step(self, ctx: SolveContext, state: _State) -> _State:
        opts = ctx.options
        mask = ctx.price_mask()
        lo, hi = state.lo.copy(), state.hi.copy()
        p, g = state.point.signal_vector, state.point.excess
        lo[mask & (g > 0)] = p[mask & (g > 0)]
        hi[mask & (g < 0)] = p[mask & (g < 0)]
        collapsed = _collapsed(ctx, lo, hi, state.point)
        if collapsed.all() and state.point.residual > opts.tol:
            return self._verify(ctx, state, lo, hi)
        mid = np.where(mask & ~collapsed, 0.5 * (lo + hi), p)
        return _State(lo, hi, ctx.market_point(mid), state.sweeps, state.reopened)

    def _verify(self, ctx: SolveContext, state: _State, lo: np.ndarray, hi: np.ndarray) -> _State:
        """One batched call at the all-lo and all-hi vectors: keep or re-open each bracket."""
        mask = ctx.price_mask()
        rows = ctx.respond_many([lo, hi])
        at_lo = ctx.market_point_from(ctx.project(lo), rows[0])
        at_hi = ctx.market_point_from(ctx.project(hi), rows[1])
        lower, upper = ctx.game.layout.lower(), ctx.game.layout.upper()
        lost = mask & ((at_lo.excess < 0) & (lo > lower) | (at_hi.excess > 0) & (hi < upper))
        best = state.point
        if not lost.any() or state.sweeps >= ctx.options.max_sweeps:
            return _State(lo, hi, best, state.sweeps, state.reopened, done=True)
        layout = ctx.game.layout
        p = best.signal_vector
        width = np.maximum(2.0 ** state.sweeps * ctx.options.price_tol * 1e3, 2 * (hi - lo))
        lo[lost] = np.maximum(layout.lower()[lost], p[lost] - width[lost])
        hi[lost] = np.minimum(layout.upper()[lost], p[lost] + width[lost])
        mid = np.where(lost, 0.5 * (lo + hi), p)
        return _State(lo, hi, ctx.market_point(mid), state.sweeps + 1, state.reopened + int(lost.sum()))

    def converged(self, ctx: SolveContext, state: _State) -> bool:
        return state.done or state.point.residual <= ctx.options.tol

    def record(self, ctx: SolveContext, state: _State) -> dict[str, Any]:
        mask = ctx.price_mask()
        return {"residual": state.point.residual, "bracket": float(np.max((state.hi - state.lo)[mask])),
                "sweeps": state.sweeps, "reopened": state.reopened, "signals": state.point.signal_vector.copy()}

    def outcome(self, ctx: SolveContext, state: _State) -> Outcome:
        widest = float(np.max((state.hi - state.lo)[ctx.price_mask()]))
        how = ("residual within tol" if state.point.residual <= ctx.options.tol
               else f"price precision {ctx.options.price_tol:g} reached with every sign change bracketed"
               if state.sweeps < ctx.options.max_sweeps else f"max_sweeps={ctx.options.max_sweeps} reached")
        msg = (f"{how}: relative coupling residual {state.point.residual:.3g} (tol {ctx.options.tol:g}); "
               f"widest bracket {widest:.3g}; sweeps {state.sweeps}; brackets re-opened {state.reopened}")
        exhausted = state.point.residual > ctx.options.tol and state.sweeps >= ctx.options.max_sweeps
        return Outcome("max_iter" if exhausted else "converged", msg, 0, state.point.signal_vector,
                       state.point.responses, state.point.supplies)


def _collapsed(ctx: SolveContext, lo: np.ndarray, hi: np.ndarray, point: MarketPoint) -> np.ndarray:
    """Price entries whose bracket is below price_tol or that sit at a bound their excess pushes to."""
    layout = ctx.game.layout
    p, g = point.signal_vector, point.excess
    pinned = ((p <= layout.lower()) & (g < 0)) | ((p >= layout.upper()) & (g > 0))
    return ~ctx.price_mask() | (hi - lo <= ctx.options.price_tol) | pinned


# ------------------------------------------------------------------------- two-stage mode
def _absorb(into: PoolStats, delta: PoolStats) -> None:
    """Add another pool's traffic to ``into`` (the driver reports the main pool's counters)."""
    for key, value in delta.__dict__.items():
        setattr(into, key, getattr(into, key) + value)


@dataclass
class _Eval:
    """One real-time bid round at one current price."""

    price: float
    vector: np.ndarray
    responses: list[Response]
    supply: Response
    excess: float       # Σ_i y_i,t − s_t (output units)
    residual: float     # relative


@dataclass
class _Cleared:
    """A realised period of the real-time stage."""

    price: float
    vector: np.ndarray
    responses: list[Response]
    supply: float
    demand: float              # Σ_i y_i,t of the realised responses (output units)
    iterations: int
    theta: float
    residual: float            # realised (after mixing)
    residual_unmixed: float    # best single-price residual of the final bracket
    bracket: float
    pinned: bool


@dataclass
class _RealTime:
    run: RollingRun | None = None
    periods: list[_Cleared] = field(default_factory=list)
    br_gap: np.ndarray = field(default_factory=lambda: np.zeros(0))   # (T,) max over agents
    br_gaps: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (N,) max over periods
    wall_s: float = 0.0


class TwoStage:
    """The two-stage day-ahead / real-time operation of a rolling game (see module docstring)."""

    def __init__(self, ctx: SolveContext, rolling: RollingHorizon) -> None:
        self.ctx = ctx
        self.rolling = rolling
        self.opts = ctx.options
        self.history: list[dict[str, Any]] = []
        self.da_game = rolling.day_ahead_game()

    def _log(self, entry: dict[str, Any]) -> None:
        """History entry with a running ``iteration`` (day-ahead rounds, then real-time rounds)."""
        self.history.append({"iteration": len(self.history) + 1, **entry})

    # ------------------------------------------------------------------------- pools
    def _pool(self, game: Game) -> FollowerPool:
        return FollowerPool(game, n_jobs=self.ctx.pool.n_jobs, backend=self.ctx.pool.backend)

    def _counted(self, pool: FollowerPool, before: PoolStats) -> None:
        _absorb(self.ctx.pool.stats, pool.stats.since(before))

    # ----------------------------------------------------------------------- day-ahead
    def day_ahead(self) -> tuple[DayAheadResult, dict[str, Any]]:
        opts = self.opts
        game = self.da_game
        start_prices = self.rolling.initial_prices()
        start = game.layout.pack(start_prices) if start_prices is not None else None
        pool = self._pool(game)
        before = pool.stats.snapshot()
        da = day_ahead_prices(game, pool, opts.day_ahead, opts.da_tol, opts.da_max_iter, opts.da_step, start,
                              driver=self.ctx.driver)
        self._counted(pool, before)
        self.ctx.leader_solver_s += da.leader_solver_s
        for entry in da.history:
            entry = dict(entry)
            self._log({"stage": "day-ahead", "period": -1, "stage_iteration": entry.pop("iteration"), **entry})
        info: dict[str, Any] = {
            "method": da.method, "iterations": da.iterations, "pool_calls": da.pool_calls,
            "converged": da.converged, "residual": da.residual, "step": da.step, "wall_s": da.wall_s,
            "prices": game.layout.unpack(da.prices), "tol": opts.da_tol,
            "residuals": [h["residual"] for h in da.history], "duals": [h["dual"] for h in da.history]}
        # the day-ahead stage's own certificate: dual value at the forecast vs the centralized bound
        best = pool.respond(da.prices, keep_x=True)
        bound = centralized_bound(game)
        cert = certify(game, da.prices, best, best, None, bound)
        info["duality_gap"] = cert.duality_gap
        info["dual_value"] = cert.dual_value
        info["centralized_bound"] = bound
        if opts.da_compare:
            other = "gradient" if da.method == "accelerated" else "accelerated"
            alt = day_ahead_prices(game, self._pool(game), other, opts.da_tol, opts.da_max_iter, opts.da_step, start,
                                   driver=self.ctx.driver)
            info["compare"] = {m: {"iterations": r.iterations, "pool_calls": r.pool_calls, "converged": r.converged,
                                   "residual": r.residual, "wall_s": r.wall_s,
                                   "residuals": [h["residual"] for h in r.history],
                                   "duals": [h["dual"] for h in r.history]}
                               for m, r in ((da.method, da), (other, alt))}
        return da, info

    # ----------------------------------------------------------------------- real time
    def bound(self, game: Game, index: int) -> int:
        """⌈log₂(price range / rt_price_tol)⌉: the real-time iteration bound of one period."""
        span = float(game.layout.upper()[index] - game.layout.lower()[index])
        return max(1, math.ceil(math.log2(span / self.opts.rt_price_tol))) if span > self.opts.rt_price_tol else 1

    def _evaluate(self, game: Game, pool: FollowerPool, base: np.ndarray, coupling: Any, index: int,
                  price: float) -> _Eval:
        vector = base.copy()
        vector[index] = price
        responses = pool.respond(vector, keep_x=True)
        sl = game.layout.slices[coupling.signal]
        supply = game.suppliers[coupling.name].solve(vector[sl])
        self.ctx.leader_solver_s += supply.solve_time
        if not supply.ok:
            raise GameError(f"leader supply program of coupling '{coupling.name}' is {supply.status}")
        balance = coupling_balance(game, coupling, responses, supply.outputs[SUPPLY], entries=slice(0, 1))
        return _Eval(price, vector, responses, supply, float(balance.excess[0]), balance.residual)

    def clear(self, t: int, game: Game, pool: FollowerPool, base: np.ndarray) -> _Cleared:
        """Bisection on the current price of stage ``t`` (see the module docstring)."""
        entries = current_entries(game)
        if len(entries) != 1:
            raise StrategyError(f"two-stage bisection clears one current price per stage; stage game "
                                f"'{game.name}' has couplings {sorted(entries)}")
        name, index = next(iter(entries.items()))
        coupling = next(c for c in game.leader.couplings if c.name == name)
        lo, hi = float(game.layout.lower()[index]), float(game.layout.upper()[index])
        limit = self.bound(game, index)
        at_lo: _Eval | None = None
        at_hi: _Eval | None = None
        k = 0
        for k in range(1, limit + 1):
            ev = self._evaluate(game, pool, base, coupling, index, 0.5 * (lo + hi))
            self._log({"stage": "real-time", "period": t, "stage_iteration": k, "residual": ev.residual,
                       "price": ev.price, "bracket": hi - lo})
            if ev.residual <= self.opts.rt_tol:
                return self._single(ev, k, hi - lo, pinned=False)
            if ev.excess > 0:
                lo, at_lo = ev.price, ev
            else:
                hi, at_hi = ev.price, ev
            if hi - lo <= self.opts.rt_price_tol:
                break
        if at_lo is None or at_hi is None:   # no sign change seen: the price wants to leave the box
            seen = at_lo or at_hi
            assert seen is not None
            return self._single(seen, k, hi - lo, pinned=True)
        theta = -at_hi.excess / (at_lo.excess - at_hi.excess)
        price = theta * at_lo.price + (1.0 - theta) * at_hi.price
        vector = base.copy()
        vector[index] = price
        mixed = [mix_responses(a, b, theta, f.program, game.follower_signals(i, vector))
                 for i, (f, a, b) in enumerate(zip(game.followers, at_lo.responses, at_hi.responses))]
        s_lo = float(np.ravel(at_lo.supply.outputs[SUPPLY])[0])
        s_hi = float(np.ravel(at_hi.supply.outputs[SUPPLY])[0])
        supply = theta * s_lo + (1.0 - theta) * s_hi
        balance = coupling_balance(game, coupling, mixed, np.array([supply]), entries=slice(0, 1))
        return _Cleared(price, vector, mixed, supply, float(balance.total[0]), k, theta, balance.residual,
                        min(at_lo.residual, at_hi.residual), hi - lo, False)

    @staticmethod
    def _single(ev: _Eval, iterations: int, bracket: float, pinned: bool) -> _Cleared:
        """A period realised at one evaluated price (cleared early, or pinned at a bound)."""
        supply = float(np.ravel(ev.supply.outputs[SUPPLY])[0])
        return _Cleared(ev.price, ev.vector, ev.responses, supply, supply + ev.excess, iterations, 1.0, ev.residual,
                        ev.residual, bracket, pinned)

    def real_time(self, forecast: dict[str, np.ndarray]) -> _RealTime:
        clock = time.perf_counter()
        recorder = RollingRecorder(self.rolling)
        n = len(self.rolling.agent_names)
        out = _RealTime(br_gap=np.zeros(recorder.T), br_gaps=np.zeros(n))
        for t in range(recorder.T):
            game = recorder.build(t)
            pool = self._pool(game)
            before = pool.stats.snapshot()
            cleared = self.clear(t, game, pool, stage_vector(game, forecast, t))
            self._counted(pool, before)
            # audit (not counted as traffic): each agent's best response at the cleared prices
            best = pool.respond(cleared.vector, keep_x=True)
            gaps = np.array([max(0.0, relative(r.objective - b.objective, b.objective))
                             for r, b in zip(cleared.responses, best)])
            out.br_gap[t] = float(gaps.max()) if gaps.size else 0.0
            out.br_gaps = np.maximum(out.br_gaps, gaps)
            name = game.leader.couplings[0].name
            recorder.realise(t, game, cleared.vector, cleared.responses, {name: cleared.supply})
            out.periods.append(cleared)
            self._log({"stage": "realised", "period": t, "stage_iteration": cleared.iterations,
                       "residual": cleared.residual, "residual_unmixed": cleared.residual_unmixed,
                       "price": cleared.price, "theta": cleared.theta, "br_gap": out.br_gap[t],
                       "bracket": cleared.bracket})
        out.run = recorder.finish()
        out.wall_s = time.perf_counter() - clock
        return out

    # ------------------------------------------------------------------------- outcome
    def run(self) -> Outcome:
        da, da_info = self.day_ahead()
        rt = self.real_time(self.da_game.layout.unpack(da.prices))
        reference = centralized_rolling(self.rolling) if self.opts.reference else None
        return self._outcome(da, da_info, rt, reference)

    def _outcome(self, da: DayAheadResult, da_info: dict[str, Any], rt: _RealTime,
                 reference: RollingRun | None) -> Outcome:
        game, opts, run = self.ctx.game, self.opts, rt.run
        assert run is not None
        names = list(self.rolling.agent_names)
        T = self.rolling.periods
        signals = {name: run.prices[name] for name in game.layout.names}
        vector = game.layout.pack(signals)
        totals = run.agent_totals
        responses = [Response("optimal", {k: np.asarray(v) for k, v in run.outputs[i].items()}, float(totals[i]),
                              0.0, 0) for i in range(len(names))]
        supplies = {c: Response("optimal", {SUPPLY: np.asarray(v)}, float("nan"), 0.0, 0)
                    for c, v in run.supplies.items()}
        residuals = np.array([p.residual for p in rt.periods])
        excess = {name: [p.demand - p.supply for p in rt.periods] for name in run.supplies}
        cert = Certificate(required=["best_response_gap", "coupling_residual", "duality_gap"],
                           best_response_gap=float(rt.br_gap.max()), coupling_residual=float(residuals.max()),
                           duality_gap=da_info.get("duality_gap"), best_response_gaps=rt.br_gaps.tolist(),
                           coupling_residuals=excess, dual_value=da_info.get("dual_value"),
                           centralized_bound=da_info.get("centralized_bound"), welfare_cost=run.total_cost)
        rt_iters = [p.iterations for p in rt.periods]
        bound = max(self.bound(self.da_game, i) for i in range(self.da_game.layout.size))
        pinned = [t for t, p in enumerate(rt.periods) if p.pinned]
        uncleared = [t for t, p in enumerate(rt.periods) if p.residual > opts.rt_tol]
        pick = min(opts.report_agent, len(names) - 1)
        extra: dict[str, Any] = {
            "mode": "two-stage",
            "day_ahead": da_info,
            "real_time": {"prices": signals, "iterations": rt_iters, "bound": bound, "price_tol": opts.rt_price_tol,
                          "theta": [p.theta for p in rt.periods], "residual_realised": residuals.tolist(),
                          "residual_unmixed": [p.residual_unmixed for p in rt.periods],
                          "br_gap": rt.br_gap.tolist(), "pinned": pinned, "wall_s": rt.wall_s,
                          "build_s": run.build_s},
            "costs": {"agents": names, "two_stage": totals.tolist(), "system_two_stage": run.total_cost,
                      "system_per_period": run.system_costs.tolist(), "penalty_two_stage": run.total_penalty,
                      "penalty_per_period": run.penalties.tolist()},
            "flows": {c: {"two_stage": v.tolist(), "limit": list(run.limits.get(c, (np.nan, np.nan)))}
                      for c, v in run.flows.items()},
            "dispatch": {"agent": names[pick],
                         "components": {k: [float(np.ravel(d[k])[pick]) for d in run.details] for k in
                                        (run.details[0] if run.details else {})}},
            "accounting_violation": run.violation,
        }
        ref_total = None
        if reference is not None:
            ref_total = reference.total_cost
            extra["costs"].update({"centralized": reference.agent_totals.tolist(), "system_centralized": ref_total,
                                   "penalty_centralized": reference.total_penalty,
                                   "gap": relative(run.total_cost - ref_total, ref_total)})
            for c, v in reference.flows.items():
                extra["flows"].setdefault(c, {})["centralized"] = v.tolist()
            extra["reference"] = {"kind": "centralized rolling", "prices": reference.prices,
                                  "wall_s": reference.wall_s, "build_s": reference.build_s,
                                  "accounting_violation": reference.violation}
        status: Status = "converged" if da.converged and not uncleared else "max_iter"
        how = [f"day-ahead ({da.method}): {da.iterations} iterations, balance {da.residual:.2g} (tol {opts.da_tol:g})"
               + ("" if da.converged else " NOT reached")]
        how.append(f"real-time: {sum(rt_iters)} bisection iterations over {T} periods (max {max(rt_iters)}, "
                   f"bound {bound}); realised residual max {residuals.max():.2g}"
                   + (f"; periods not cleared: {uncleared}" if uncleared else "")
                   + (f"; price at a bound: {pinned}" if pinned else ""))
        if run.total_penalty > 1e-6 * max(1.0, abs(run.total_cost)):
            how.append(f"soft constraints priced in the realised cost: {run.total_penalty:.4g} "
                       "(e.g. unserved demand; see the case's period details)")
        if ref_total is not None:
            how.append(f"realised cost {run.total_cost:.6g} vs centralized rolling {ref_total:.6g} "
                       f"(gap {extra['costs']['gap']:.3g})")
        return Outcome(status, "; ".join(how), da.iterations + sum(rt_iters), vector, responses, supplies,
                       self.history, extra, certificate=cert, objective=run.total_cost, reference_objective=ref_total)
