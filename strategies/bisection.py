"""``bisection``: per-period scalar bisection on coupling prices, swept until all clear.

Every entry t of every coupling price (one per period and carrier) keeps its own bracket
``[lo_t, hi_t]`` in which its excess ``g_t = Σ_i y_it − s_t`` changes sign (the excess is
non-increasing in its own price for convex followers). One iteration = one pool call that
evaluates all brackets' midpoints at once; each bracket keeps the half where its own sign
change lies. When responses are separable in time this is exact scalar bisection per
period, needing ⌈log₂(range / price_tol)⌉ iterations. When periods interact (storage,
shiftable loads) a bracket may lose its sign change as other prices move: the sweep then
re-opens that bracket around the current price (doubling its width up to the signal bounds)
and bisects again, until every period clears (relative residual ≤ ``tol``) or every bracket
is narrower than ``price_tol``.

A price at a bound whose excess keeps its sign there (e.g. oversupply at the floor) is
final; its residual is reported honestly by the certificate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gamecore.strategy import IterativeStrategy, MarketPoint, Outcome, SolveContext


@dataclass
class BisectionOptions:
    max_iter: int = 500
    tol: float = 1e-5
    price_tol: float = 1e-9

    def __post_init__(self) -> None:
        if self.max_iter < 1:
            raise ValueError(f"max_iter must be >= 1, got {self.max_iter}")
        if not 0 < self.tol < 1:
            raise ValueError(f"tol must be in (0, 1), got {self.tol}")
        if self.price_tol <= 0:
            raise ValueError(f"price_tol must be > 0, got {self.price_tol}")


@dataclass
class _State:
    lo: np.ndarray
    hi: np.ndarray
    point: MarketPoint
    reopened: int


class Bisection(IterativeStrategy[BisectionOptions]):
    name = "bisection"
    equilibrium = "market"
    summary = "simultaneous per-period scalar bisection on coupling prices, re-swept until all clear"
    Options = BisectionOptions

    def initialize(self, ctx: SolveContext) -> _State:
        layout = ctx.game.layout
        lo, hi = layout.lower().copy(), layout.upper().copy()
        mask = ctx.price_mask()
        if not (np.isfinite(lo[mask]).all() and np.isfinite(hi[mask]).all()):
            from gamecore.errors import StrategyError

            raise StrategyError("strategy 'bisection' needs finite lower and upper bounds on every coupling price")
        point = ctx.market_point(0.5 * (lo + hi))
        return _State(lo, hi, point, 0)

    def step(self, ctx: SolveContext, state: _State) -> _State:
        opts = ctx.options
        mask = ctx.price_mask()
        layout = ctx.game.layout
        lower, upper = layout.lower(), layout.upper()
        lo, hi = state.lo.copy(), state.hi.copy()
        p, g = state.point.signal_vector, state.point.excess
        # keep the half that still brackets the sign change of each entry's own excess
        raise_price = mask & (g > 0)
        lower_price = mask & (g < 0)
        lo[raise_price] = p[raise_price]
        hi[lower_price] = p[lower_price]
        # a bracket that collapsed without clearing: re-open it around the current price
        reopened = 0
        stuck = mask & (hi - lo <= opts.price_tol) & (np.abs(g) > 0) & ~_at_bound(p, g, lower, upper)
        if stuck.any() and state.point.residual > opts.tol:
            width = np.maximum(2 * (state.hi - state.lo), 1e-3 * (upper - lower))
            lo[stuck] = np.maximum(lower[stuck], p[stuck] - width[stuck])
            hi[stuck] = np.minimum(upper[stuck], p[stuck] + width[stuck])
            reopened = int(stuck.sum())
        mid = np.where(mask, 0.5 * (lo + hi), p)
        return _State(lo, hi, ctx.market_point(mid), state.reopened + reopened)

    def converged(self, ctx: SolveContext, state: _State) -> bool:
        if state.point.residual <= ctx.options.tol:
            return True
        mask = ctx.price_mask()
        layout = ctx.game.layout
        done = (state.hi - state.lo <= ctx.options.price_tol) | _at_bound(
            state.point.signal_vector, state.point.excess, layout.lower(), layout.upper())
        return bool(np.all(done[mask])) and state.reopened == 0

    def record(self, ctx: SolveContext, state: _State) -> dict[str, Any]:
        mask = ctx.price_mask()
        return {"residual": state.point.residual, "bracket": float(np.max((state.hi - state.lo)[mask])),
                "reopened": state.reopened, "signals": state.point.signal_vector.copy()}

    def outcome(self, ctx: SolveContext, state: _State) -> Outcome:
        msg = (f"relative coupling residual {state.point.residual:.3g} (tol {ctx.options.tol:g}); "
               f"widest bracket {np.max((state.hi - state.lo)[ctx.price_mask()]):.3g}; brackets re-opened {state.reopened}")
        return Outcome("converged", msg, 0, state.point.signal_vector, state.point.responses, state.point.supplies)


def _at_bound(p: np.ndarray, g: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Entries pinned at a bound by their excess sign (complementarity with the box)."""
    return ((p <= lower) & (g < 0)) | ((p >= upper) & (g > 0))
