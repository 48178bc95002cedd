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

Primal recovery at a kink (games with one free price entry, e.g. one period of a rolling day
with the later prices fixed, :func:`gamecore.rolling.current_period_game`): responses that jump
at a price (LP bids, a supply limit) or change steeply leave a residual at any single price of
the final bracket. When the bracket has collapsed with excesses ``g_lo > 0 > g_hi`` at its two
ends, the answer is the convex combination ``θ·(point at lo) + (1 − θ)·(point at hi)``,
``θ = −g_hi/(g_lo − g_hi)``, at the price ``θ·lo + (1 − θ)·hi``: it clears the entry exactly,
every follower's point stays feasible (a convex combination of feasible points), and each is
ε-optimal at that price with ε ≤ bracket × its traded quantity (the certificate measures it).
The iterations stay at ⌈log₂(range / price_tol)⌉ (no verification call is needed: both ends
were evaluated). ``history`` and ``extra`` record ``theta`` (1: realised at one price) and
``residual_unmixed`` (the best single price's residual).

Rolling-horizon days (day-ahead forecast, then one real-time clearing per period) are a
workflow, not a mode of this strategy: :func:`gamecore.rolling.solve_rolling`
(``gamecore rolling CASE``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from gamecore.errors import StrategyError
from gamecore.game import Game
from gamecore.market import mix_responses
from gamecore.options import option, time_limit_option
from gamecore.strategy import IterativeStrategy, MarketPoint, Outcome, SolveContext


@dataclass
class BisectionOptions:
    """Options of ``bisection``. ``tol``: relative coupling residual (the certificate's ``coupling_residual``) at
    which the single-game bisection stops.
    """

    max_iter: int = option(500, doc="iterations (one batched pool call each)", ge=1)
    tol: float = option(1e-5, doc="relative coupling residual at which to stop", gt=0, lt=1)
    price_tol: float = option(1e-9, doc="bracket width below which a sweep ends", gt=0, unit="price units")
    max_sweeps: int = option(20, doc="sweeps (brackets re-opened around unsettled prices) at most", ge=1)
    time_limit: float | None = time_limit_option()


@dataclass
class _State:
    lo: np.ndarray
    hi: np.ndarray
    point: MarketPoint
    sweeps: int = 1
    reopened: int = 0
    done: bool = False
    #: one free entry only: the evaluated points closest to the bracket's ends (excess > 0 at lo, < 0 at hi)
    at_lo: MarketPoint | None = None
    at_hi: MarketPoint | None = None


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
        at_lo, at_hi = state.at_lo, state.at_hi
        entry = _single_entry(ctx)
        if entry is not None:
            at_lo = state.point if g[entry] > 0 else at_lo
            at_hi = state.point if g[entry] < 0 else at_hi
        collapsed = _collapsed(ctx, lo, hi, state.point)
        if collapsed.all() and state.point.residual > opts.tol:
            if entry is not None and at_lo is not None and at_hi is not None:
                return _State(lo, hi, state.point, state.sweeps, state.reopened, True, at_lo, at_hi)
            return self._verify(ctx, state, lo, hi)
        mid = np.where(mask & ~collapsed, 0.5 * (lo + hi), p)
        return _State(lo, hi, ctx.market_point(mid), state.sweeps, state.reopened, False, at_lo, at_hi)

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
        point, theta = state.point, 1.0
        if state.point.residual > ctx.options.tol and state.at_lo is not None and state.at_hi is not None:
            point, theta = _mixed(ctx, state.at_lo, state.at_hi)
        how = ("residual within tol" if point.residual <= ctx.options.tol and theta == 1.0
               else f"bracket {widest:.3g} realised at its ends' convex combination (theta {theta:.4g})"
               if theta != 1.0
               else f"price precision {ctx.options.price_tol:g} reached with every sign change bracketed"
               if state.sweeps < ctx.options.max_sweeps else f"max_sweeps={ctx.options.max_sweeps} reached")
        msg = (f"{how}: relative coupling residual {point.residual:.3g} (tol {ctx.options.tol:g}); "
               f"widest bracket {widest:.3g}; sweeps {state.sweeps}; brackets re-opened {state.reopened}")
        exhausted = point.residual > ctx.options.tol and state.sweeps >= ctx.options.max_sweeps
        extra: dict[str, Any] = {"theta": theta, "residual_unmixed": state.point.residual, "bracket": widest}
        entry = _single_entry(ctx)
        if entry is not None:
            span = float(ctx.game.layout.upper()[entry] - ctx.game.layout.lower()[entry])
            extra["bound"] = max(1, math.ceil(math.log2(span / ctx.options.price_tol))) \
                if span > ctx.options.price_tol else 1
        return Outcome("max_iter" if exhausted else "converged", msg, 0, point.signal_vector,
                       point.responses, point.supplies, extra=extra)


def _single_entry(ctx: SolveContext) -> int | None:
    """The index of the only price entry that can move (priced and with a non-degenerate box), or
    None when there are several (primal recovery at a kink needs exactly one)."""
    layout = ctx.game.layout
    free = np.flatnonzero(ctx.price_mask() & (layout.upper() > layout.lower()))
    return int(free[0]) if free.size == 1 else None


def _mixed(ctx: SolveContext, at_lo: MarketPoint, at_hi: MarketPoint) -> tuple[MarketPoint, float]:
    """The convex combination of the bracket's end points that clears the single free entry
    (module docstring) and its weight θ on ``at_lo``."""
    entry = _single_entry(ctx)
    assert entry is not None
    g_lo, g_hi = float(at_lo.excess[entry]), float(at_hi.excess[entry])
    theta = -g_hi / (g_lo - g_hi)
    vector = theta * at_lo.signal_vector + (1.0 - theta) * at_hi.signal_vector
    game = ctx.game
    responses = [mix_responses(a, b, theta, f.program, game.follower_signals(i, vector))
                 for i, (f, a, b) in enumerate(zip(game.followers, at_lo.responses, at_hi.responses))]
    supplies = {c.name: mix_responses(at_lo.supplies[c.name], at_hi.supplies[c.name], theta,
                                      game.suppliers[c.name], vector[game.layout.slices[c.signal]])
                for c in game.leader.couplings}
    return ctx.market_point_from(vector, responses, supplies), theta


def _collapsed(ctx: SolveContext, lo: np.ndarray, hi: np.ndarray, point: MarketPoint) -> np.ndarray:
    """Price entries whose bracket is below price_tol or that sit at a bound their excess pushes to."""
    layout = ctx.game.layout
    p, g = point.signal_vector, point.excess
    pinned = ((p <= layout.lower()) & (g < 0)) | ((p >= layout.upper()) & (g > 0))
    return ~ctx.price_mask() | (hi - lo <= ctx.options.price_tol) | pinned
