"""``subgradient``: projected (sub)gradient ascent on the dual function — the baseline.

The dual function of the welfare problem is ``D(p) = Σ_i φ_i(p) + Σ_c ψ_c(p_c)`` and its
(super)gradient at p is the excess ``g = Σ_i y_i(p) − s(p)``. Step rule (seed 000's baseline):

    p_{k+1} = Π_[lower, upper]( p_k + α_k g_k )

* ``step_rule="constant"``: α_k = α.
* ``step_rule="diminishing"``: α_k = α / sqrt(k) (convergent for non-smooth duals).

``step_size=0`` (default) picks α = 1 / L̂ once at the start, with L̂ the largest per-entry
slope |Δg/Δp| of the excess measured by one probe of Δp = 1 % of the price range; for a
dual with L-Lipschitz gradient, α = 1/L makes constant-step ascent converge.
Stops when the relative coupling residual at the current prices is ≤ ``tol``; the
reported answer is the prices and the best responses of that last evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gamecore.strategy import IterativeStrategy, MarketPoint, Outcome, SolveContext


@dataclass
class SubgradientOptions:
    max_iter: int = 5000
    tol: float = 1e-5
    step_rule: str = "constant"
    step_size: float = 0.0

    def __post_init__(self) -> None:
        if self.max_iter < 1:
            raise ValueError(f"max_iter must be >= 1, got {self.max_iter}")
        if not 0 < self.tol < 1:
            raise ValueError(f"tol must be in (0, 1), got {self.tol}")
        if self.step_rule not in ("constant", "diminishing"):
            raise ValueError(f"step_rule must be 'constant' or 'diminishing', got {self.step_rule!r}")
        if self.step_size < 0:
            raise ValueError(f"step_size must be >= 0 (0 = automatic), got {self.step_size}")


@dataclass
class _State:
    point: MarketPoint
    alpha: float
    k: int


class Subgradient(IterativeStrategy[SubgradientOptions]):
    name = "subgradient"
    equilibrium = "market"
    summary = "projected subgradient ascent on the coupling prices (baseline)"
    Options = SubgradientOptions

    def initialize(self, ctx: SolveContext) -> _State:
        start = ctx.project(ctx.game.layout.midpoint())
        point = ctx.market_point(start)
        alpha = ctx.options.step_size or _probe_step(ctx, point)
        return _State(point, alpha, 0)

    def step(self, ctx: SolveContext, state: _State) -> _State:
        if state.point.residual <= ctx.options.tol:
            return state
        k = state.k + 1
        alpha = state.alpha / np.sqrt(k) if ctx.options.step_rule == "diminishing" else state.alpha
        mask = ctx.price_mask()
        vector = state.point.signal_vector + alpha * np.where(mask, state.point.excess, 0.0)
        return _State(ctx.market_point(vector), state.alpha, k)

    def converged(self, ctx: SolveContext, state: _State) -> bool:
        return state.point.residual <= ctx.options.tol

    def record(self, ctx: SolveContext, state: _State) -> dict[str, Any]:
        return {"residual": state.point.residual, "step": state.alpha, "signals": state.point.signal_vector.copy()}

    def outcome(self, ctx: SolveContext, state: _State) -> Outcome:
        return Outcome("converged", f"relative coupling residual {state.point.residual:.3g} (tol {ctx.options.tol:g}), "
                       f"step {state.alpha:.4g}", state.k, state.point.signal_vector, state.point.responses,
                       state.point.supplies)


def _probe_step(ctx: SolveContext, point: MarketPoint) -> float:
    """α = 1 / (largest per-entry slope of the excess), from one probe of 1 % of the range."""
    layout = ctx.game.layout
    mask = ctx.price_mask()
    span = np.where(np.isfinite(layout.upper() - layout.lower()), layout.upper() - layout.lower(), 1.0)
    delta = 0.01 * span
    probe_vec = ctx.project(point.signal_vector - np.where(mask, delta, 0.0))
    moved = np.abs(probe_vec - point.signal_vector)
    if not np.any(moved[mask] > 0):
        probe_vec = ctx.project(point.signal_vector + np.where(mask, delta, 0.0))
        moved = np.abs(probe_vec - point.signal_vector)
    probe = ctx.market_point(probe_vec)
    ok = mask & (moved > 0)
    slopes = np.abs(probe.excess[ok] - point.excess[ok]) / moved[ok]
    slope = float(slopes.max()) if slopes.size else 0.0
    return 1.0 / slope if slope > 0 else float(np.max(delta))
