"""``subgradient``: projected (sub)gradient ascent on the dual function — the baseline.

The dual function of the welfare problem is ``D(p) = Σ_i φ_i(p) + Σ_c ψ_c(p_c)`` and its
(super)gradient at p is the excess ``g = Σ_i y_i(p) − s(p)``. Step rule (seed 000's baseline):

    p_{k+1} = Π_[lower, upper]( p_k + α_k g_k )

* ``step_rule="constant"``: α_k = α.
* ``step_rule="diminishing"``: α_k = α / sqrt(k) (convergent for non-smooth duals).

``step_size=0`` (default) picks α = 1 / L̂ at the start, with L̂ the largest per-entry
slope |Δg/Δp| of the excess measured by one probe of Δp = 1 % of the price range; for a
dual with L-Lipschitz gradient, α = 1/L makes constant-step ascent converge. A probe can
see a flatter part of the excess than the one near equilibrium (a capacity binding at the
start price, say), so a safeguard halves α on overshoot: when an entry that carries a
dominant excess (|g_t| ≥ ½ max|g|) flips sign without shrinking at least by half, the local
linear model g⁺ = (1 − αL_t) g says αL_t > 1.5, too close to the divergence limit 2. Entries
with small excess are ignored, so solver noise on cleared periods never shrinks the step.
α is recorded per iteration in the history as ``step``. With an explicit ``step_size`` the
step is never changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gamecore.market import dual_value
from gamecore.options import option, time_limit_option
from gamecore.strategy import IterativeStrategy, MarketPoint, Outcome, SolveContext


@dataclass
class SubgradientOptions:
    """``tol``: relative coupling residual (the certificate's ``coupling_residual``) at which to stop."""

    max_iter: int = option(5000, doc="iterations (one pool call each)", ge=1)
    tol: float = option(1e-5, doc="relative coupling residual at which to stop", gt=0, lt=1)
    step_rule: str = option("constant", doc="'constant': α_k = α; 'diminishing': α_k = α / sqrt(k)",
                            choices=("constant", "diminishing"))
    step_size: float = option(0.0, doc="α; 0 = 1 / probed slope, halved on overshoot", ge=0,
                              unit="price units per output unit")
    time_limit: float | None = time_limit_option()


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
        point = ctx.market_point(vector)
        base = state.alpha
        if not ctx.options.step_size and _overshoot(state.point.excess, point.excess, mask):
            base = 0.5 * base
        return _State(point, base, k)

    def converged(self, ctx: SolveContext, state: _State) -> bool:
        return state.point.residual <= ctx.options.tol

    def record(self, ctx: SolveContext, state: _State) -> dict[str, Any]:
        # dual value D(p) = Σ_i φ_i(p) + Σ_c ψ_c(p) (best responses' objectives): lets a benchmark
        # compare methods at equal duality gap when the balance residual cannot fall (LP supply jumps)
        dual = dual_value(ctx.game, state.point.responses, state.point.supplies)
        return {"residual": state.point.residual, "step": state.alpha, "dual": dual,
                "signals": state.point.signal_vector.copy()}

    def outcome(self, ctx: SolveContext, state: _State) -> Outcome:
        return Outcome("converged", f"relative coupling residual {state.point.residual:.3g} (tol {ctx.options.tol:g}), "
                       f"step {state.alpha:.4g}", state.k, state.point.signal_vector, state.point.responses,
                       state.point.supplies)


def _overshoot(before: np.ndarray, after: np.ndarray, mask: np.ndarray) -> bool:
    """A dominant excess entry flipped sign and kept more than half its size (αL > 1.5)."""
    old, new = np.where(mask, before, 0.0), np.where(mask, after, 0.0)
    peak = float(np.max(np.abs(old))) if old.size else 0.0
    if peak == 0.0:
        return False
    dominant = np.abs(old) >= 0.5 * peak
    flipped = np.sign(new) == -np.sign(old)
    return bool(np.any(dominant & flipped & (np.abs(new) > 0.5 * np.abs(old))))


def _probe_step(ctx: SolveContext, point: MarketPoint) -> float:
    """α = 1 / (largest per-entry slope of the excess), from one probe of 1 % of the range
    (:meth:`~gamecore.strategy.SolveContext.probe_slopes`); the probe step itself when the
    excess did not respond."""
    slopes, delta = ctx.probe_slopes(point)
    slope = float(np.max(slopes))
    return 1.0 / slope if slope > 0 else float(np.max(delta))
