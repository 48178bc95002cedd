"""``fixed-step``: damped fixed-step price update for market games (the plug-in example of
docs/writing-a-strategy.md; tested by tests/test_plugin_example.py).

    p_{k+1} = Π_[lower, upper]( p_k + α · excess(p_k) ),   α = damping / L̂

with L̂ the largest slope |Δexcess/Δp| measured by one probe at the start (or ``step`` if set).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gamecore import IterativeStrategy, MarketPoint, Outcome, SolveContext
from gamecore.options import option, time_limit_option


@dataclass
class FixedStepOptions:
    """``tol``: relative coupling residual at which to stop (the certificate's measure)."""
    max_iter: int = option(500, doc="iterations (one pool call each)", ge=1)
    tol: float = option(1e-6, doc="relative coupling residual at which to stop", gt=0, lt=1)
    damping: float = option(0.5, doc="fraction of the probed step 1 / L̂ taken", gt=0, le=1)
    step: float = option(0.0, doc="fixed step; 0 = damping / probed slope", ge=0, unit="price units per output unit")
    time_limit: float | None = time_limit_option()    # read by the driver


class FixedStep(IterativeStrategy[FixedStepOptions]):
    name = "fixed-step"
    equilibrium = "market"
    summary = "damped fixed-step price update on the coupling excess (plug-in example)"
    Options = FixedStepOptions

    def initialize(self, ctx: SolveContext) -> tuple[MarketPoint, float]:
        point = ctx.market_point(ctx.game.layout.midpoint())
        slopes, _ = ctx.probe_slopes(point)
        alpha = ctx.options.step or ctx.options.damping / max(float(np.max(slopes)), 1e-12)
        return point, alpha

    def step(self, ctx: SolveContext, state: tuple[MarketPoint, float]) -> tuple[MarketPoint, float]:
        point, alpha = state
        move = alpha * np.where(ctx.price_mask(), point.excess, 0.0)
        return ctx.market_point(point.signal_vector + move), alpha

    def converged(self, ctx: SolveContext, state: tuple[MarketPoint, float]) -> bool:
        return state[0].residual <= ctx.options.tol

    def record(self, ctx: SolveContext, state: tuple[MarketPoint, float]) -> dict[str, Any]:
        return {"residual": state[0].residual, "step": state[1]}

    def outcome(self, ctx: SolveContext, state: tuple[MarketPoint, float]) -> Outcome:
        point, alpha = state
        return Outcome("converged", f"residual {point.residual:.3g} (tol {ctx.options.tol:g}), step {alpha:.4g}",
                       0, point.signal_vector, point.responses, point.supplies)
