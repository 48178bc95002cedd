"""``subgradient``: projected (sub)gradient ascent on the dual function — the baseline.

The dual function of the welfare problem is ``D(p) = Σ_i φ_i(p) + Σ_c ψ_c(p_c)`` and its
(super)gradient at p is the excess ``g = Σ_i y_i(p) − s(p)``. Step rule (seed 000's baseline):

    p_{k+1} = Π_[lower, upper]( p_k + α_k g_k )

* ``step_rule="constant"``: α_k = α.
* ``step_rule="diminishing"``: α_k = α / sqrt(k) (convergent for non-smooth duals).
* ``step_rule="polyak"``: Polyak's step with the known optimum,
  α_k = (D* − D(p_k)) / ‖g_k‖² with ``g_k`` the excess on the priced entries (the same masked
  excess the update uses) and ``D*`` the option ``optimum``: the optimal dual value, which by
  strong duality is the welfare optimum P* in the *same* sign convention as
  :func:`gamecore.market.dual_value` (``D(p) = Σ_i φ_i(p) + Σ_c ψ_c(p_c) ≤ P*``, a minimised
  cost), i.e. ``gamecore.solve(game, "centralized").objective`` as is — no sign flip. Required
  with this rule (the options refuse ``step_rule="polyak"`` without it). D(p_k) is computed
  from the best responses' objectives, so in a distributed run every agent also reports its
  optimal value φ_i(p_k) with its bid (one scalar; not counted as a separate message).
  Precision floor: D* is known only to the accuracy of the solve that produced it and D(p_k)
  to that of the follower solves (relative ~1e-9 with Clarabel's defaults), so once the
  measured gap D* − D(p_k) is at most :data:`POLYAK_GAP_FLOOR` · max(1, |D*|) it is rounding,
  not information (measured on ``analytic-market``: taking it at face value shrank α from 0.28
  to 4e-5 and stalled the run at residual 8e-5); the previous accepted Polyak step is then
  reused (before any accepted Polyak step that is 0: a run whose ``optimum`` is below D(p_0)
  never moves and ends at ``max_iter``). ``step_size`` and the
  overshoot safeguard below do not apply to this rule.

Every run starts at ``start`` (comma-separated prices in the game's signal layout, e.g.
:func:`gamecore.options.format_vector` of a forecast or a utility price), projected on the
price box; by default at the middle of the box.

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

from gamecore.game import Game
from gamecore.market import dual_value
from gamecore.options import option, parse_vector, time_limit_option
from gamecore.strategy import IterativeStrategy, MarketPoint, Outcome, SolveContext

#: relative gap D* − D(p_k) below which Polyak's step reuses the previous one (see the module docstring)
POLYAK_GAP_FLOOR = 1e-8


@dataclass
class SubgradientOptions:
    """``tol``: relative coupling residual (the certificate's ``coupling_residual``) at which to stop."""

    max_iter: int = option(5000, doc="iterations (one pool call each)", ge=1)
    tol: float = option(1e-5, doc="relative coupling residual at which to stop", gt=0, lt=1)
    step_rule: str = option("constant", doc="'constant': α_k = α; 'diminishing': α_k = α / sqrt(k); "
                                       "'polyak': α_k = (optimum − D(p_k)) / ‖g_k‖²",
                            choices=("constant", "diminishing", "polyak"))
    step_size: float = option(0.0, doc="α; 0 = 1 / probed slope, halved on overshoot (not used by 'polyak')", ge=0,
                              unit="price units per output unit")
    start: str | None = option(None, doc="first prices, comma-separated in the game's signal layout "
                                         "(gamecore.options.format_vector); none = the middle of the price box")
    optimum: float | None = option(None, doc="known optimal dual value D* (= the centralized welfare optimum, "
                                             "sign of gamecore.market.dual_value); required by step_rule='polyak'",
                                   unit="objective units")
    time_limit: float | None = time_limit_option()

    def __post_init__(self) -> None:
        if self.step_rule == "polyak" and self.optimum is None:
            raise ValueError("option optimum is required with step_rule='polyak' (Polyak's step needs the known "
                             "optimal dual value D*, e.g. gamecore.solve(game, 'centralized').objective)")


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

    def check(self, game: Game) -> None:
        super().check(game)
        parse_vector(self.name, "start", self.options.start, game.layout.size)

    def initialize(self, ctx: SolveContext) -> _State:
        given = parse_vector(self.name, "start", ctx.options.start, ctx.game.layout.size)
        start = ctx.project(ctx.game.layout.midpoint() if given is None else given)
        point = ctx.market_point(start)
        if ctx.options.step_rule == "polyak":
            return _State(point, 0.0, 0)            # no probe: the step comes from the gap
        alpha = ctx.options.step_size or _probe_step(ctx, point)
        return _State(point, alpha, 0)

    def step(self, ctx: SolveContext, state: _State) -> _State:
        if state.point.residual <= ctx.options.tol:
            return state
        k = state.k + 1
        mask = ctx.price_mask()
        if ctx.options.step_rule == "polyak":
            alpha = _polyak_step(ctx, state, mask)
            vector = state.point.signal_vector + alpha * np.where(mask, state.point.excess, 0.0)
            return _State(ctx.market_point(vector), alpha, k)
        alpha = state.alpha / np.sqrt(k) if ctx.options.step_rule == "diminishing" else state.alpha
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


def _polyak_step(ctx: SolveContext, state: _State, mask: np.ndarray) -> float:
    """(D* − D(p_k)) / ‖g_k‖² on the priced entries; the previous step when the gap is within
    the precision floor (:data:`POLYAK_GAP_FLOOR`)."""
    g = np.where(mask, state.point.excess, 0.0)
    norm2 = float(g @ g)
    optimum = float(ctx.options.optimum)
    gap = optimum - dual_value(ctx.game, state.point.responses, state.point.supplies)
    if gap <= POLYAK_GAP_FLOOR * max(1.0, abs(optimum)) or norm2 <= 0.0:
        return state.alpha
    return gap / norm2


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
