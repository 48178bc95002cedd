"""``admm`` — ADMM for both game kinds, with residual balancing and Boyd's stopping rule.

One strategy, two modes, chosen by the game:

* market games (``game.is_market``): exchange ADMM on the coupling prices (Boyd et al. 2011,
  §7.3.2) — :mod:`strategies.admm_exchange`; its fixed point is the market equilibrium.
* Stackelberg games (a leader objective: bilinear price × quantity terms and/or a convex
  cost in signals and aggregated outputs; leader constraints allowed; signals in the
  followers' objectives and constraint right-hand sides): consensus ADMM (Boyd §7.1) on the
  McCormick relaxation of the followers' strong-duality single-level reformulation
  (:mod:`gamecore.bilevel`, factor bounds derived from the data), inside a trust-region
  loop of shrinking / moving boxes with bound tightening — :mod:`strategies.admm_bilevel`;
  its fixed point is a local Stackelberg solution (global when it meets the first-round
  relaxation bound).

Both modes stop by Boyd's rule (§3.3: primal and dual residuals below
ε_pri = √n ε_abs + ε_rel·(primal norm), ε_dual = √n ε_abs + ε_rel·(dual norm); defaults
per mode in :data:`EPS_DEFAULTS`) and balance the residuals (§3.4.1), measured in units of
their tolerances (as OSQP and Wohlberg 2017 do, so balancing and stopping agree):
ρ ← τρ when ‖r‖/ε_pri > μ‖s‖/ε_dual, ρ ← ρ/τ when ‖s‖/ε_dual > μ‖r‖/ε_pri (defaults μ = 10,
τ = 2). This module holds the options, the applicability check and the dispatch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gamecore.errors import StrategyError
from gamecore.game import Game
from gamecore.strategy import IterativeStrategy, Outcome, SolveContext
from strategies.admm_bilevel import BilevelADMM, check_bilevel
from strategies.admm_exchange import (
    ExchangeState,
    check_exchange,
    exchange_init,
    exchange_outcome,
    exchange_step,
)

#: default (eps_abs, eps_rel) per mode; Stackelberg residuals are in box-normalised units
EPS_DEFAULTS = {"market": (1e-6, 1e-6), "stackelberg": (1e-5, 1e-4)}


@dataclass
class ADMMOptions:
    """Options of ``admm`` (market mode uses the first block, Stackelberg mode all).

    Attributes:
        max_iter: total ADMM iterations (over all rounds in Stackelberg mode).
        rho: initial penalty, > 0; 0 (default) = automatic (see the docstrings of
            :mod:`strategies.admm_exchange` and :mod:`strategies.admm_bilevel`).
            Market mode: in $/unit² (price per unit of quantity mismatch); Stackelberg mode:
            on the box-normalised consensus (objective units).
        eps_abs, eps_rel: Boyd's absolute / relative tolerances of the stopping rule; 0 =
            the mode's default (market 1e-6 / 1e-6, Stackelberg 1e-5 / 1e-4).
        balance: residual balancing on/off; mu (> 1), tau (> 1): its ratio threshold and factor.
        relax_tol: (Stackelberg) relative McCormick gap ``max|π − σf| / max(1, max|σf|)``
            over the products π = σ·f (w, u, t) at which the outer loop may stop.
        max_rounds: (Stackelberg) maximum number of box rounds.
        factor: (Stackelberg) box width factor on entries that shrink, in (0, 1).
        expand: (Stackelberg) box width factor (≥ 1) on entries whose accepted consensus
            value sits on an open face of the box.
        obbt: (Stackelberg) optimality-based tightening of the factor (v / y / r) boxes each round;
            obbt_passes: sweeps per round (each uses the previous sweep's bounds).
        samples: (Stackelberg) points on the box diagonal tried (with the midpoint) for the
            starting incumbent; 0 = midpoint only.
        round_iter: (Stackelberg) ADMM iterations after which a round ends even if Boyd's
            rule does not hold yet (on tiny boxes the blocks' solver accuracy can sit at the
            tolerance); such rounds are flagged ``inexact`` in the round history.
    """

    max_iter: int = 5000
    rho: float = 0.0
    eps_abs: float = 0.0
    eps_rel: float = 0.0
    balance: bool = True
    mu: float = 10.0
    tau: float = 2.0
    relax_tol: float = 1e-4
    max_rounds: int = 30
    factor: float = 0.5
    obbt: bool = True
    obbt_passes: int = 2
    expand: float = 2.0
    samples: int = 16
    round_iter: int = 400

    def __post_init__(self) -> None:
        if self.max_iter < 1:
            raise ValueError(f"max_iter must be >= 1, got {self.max_iter}")
        if self.rho < 0:
            raise ValueError(f"rho must be >= 0 (0 = automatic), got {self.rho}")
        if self.eps_abs < 0 or self.eps_rel < 0:
            raise ValueError(f"eps_abs and eps_rel must be >= 0 (0 = the mode's default), "
                             f"got {self.eps_abs}, {self.eps_rel}")
        if self.mu <= 1:
            raise ValueError(f"mu must be > 1, got {self.mu}")
        if self.tau <= 1:
            raise ValueError(f"tau must be > 1, got {self.tau}")
        if not 0 < self.relax_tol < 1:
            raise ValueError(f"relax_tol must be in (0, 1), got {self.relax_tol}")
        if self.max_rounds < 1:
            raise ValueError(f"max_rounds must be >= 1, got {self.max_rounds}")
        if not 0 < self.factor < 1:
            raise ValueError(f"factor must be in (0, 1), got {self.factor}")
        if self.expand < 1:
            raise ValueError(f"expand must be >= 1, got {self.expand}")
        if self.round_iter < 1:
            raise ValueError(f"round_iter must be >= 1, got {self.round_iter}")
        if self.samples < 0:
            raise ValueError(f"samples must be >= 0, got {self.samples}")
        if self.obbt_passes < 0:
            raise ValueError(f"obbt_passes must be >= 0, got {self.obbt_passes}")

    def tolerances(self, mode: str) -> tuple[float, float]:
        """Boyd's (ε_abs, ε_rel) in ``mode`` (``"market"`` / ``"stackelberg"``): the options,
        or the mode's default (:data:`EPS_DEFAULTS`) where an option is 0."""
        abs_default, rel_default = EPS_DEFAULTS[mode]
        return (self.eps_abs or abs_default, self.eps_rel or rel_default)

    def rebalance(self, rho: float, r_norm: float, s_norm: float) -> tuple[float, bool]:
        """Boyd §3.4.1 residual balancing with ``mu``, ``tau``: the new ρ and whether it changed.

        ``r_norm``, ``s_norm``: primal / dual residuals (here in units of their tolerances).
        """
        if r_norm > self.mu * s_norm:
            return rho * self.tau, True
        if s_norm > self.mu * r_norm:
            return rho / self.tau, True
        return rho, False


class ADMM(IterativeStrategy[ADMMOptions]):
    """Exchange ADMM (market games) / consensus ADMM on a McCormick relaxation (Stackelberg)."""

    name = "admm"
    equilibrium = "both"
    summary = ("ADMM: exchange ADMM on coupling prices (market); consensus ADMM on the McCormick relaxation "
               "of the strong-duality reformulation with bound tightening (Stackelberg)")
    Options = ADMMOptions

    # ------------------------------------------------------------------ applicability
    def check(self, game: Game) -> None:
        """Market games (exchange ADMM) or pure Stackelberg games (relaxation ADMM), else StrategyError."""
        if not (game.is_market or game.is_stackelberg):
            raise StrategyError(f"strategy '{self.name}' needs a market coupling or a leader objective; "
                                f"game '{game.name}' has neither")
        if game.is_market:
            super().check(game)          # a market game's leader constraints would be ignored
            check_exchange(game)
        else:
            check_bilevel(game)

    # ------------------------------------------------------------------ iteration
    def initialize(self, ctx: SolveContext) -> Any:
        if ctx.game.is_market:
            return exchange_init(ctx)
        return BilevelADMM(ctx)

    def step(self, ctx: SolveContext, state: Any) -> Any:
        if isinstance(state, ExchangeState):
            return exchange_step(ctx, state)
        state.step()
        return state

    def converged(self, ctx: SolveContext, state: Any) -> bool:
        return bool(state.done)

    def record(self, ctx: SolveContext, state: Any) -> dict[str, Any]:
        return state.record()

    def outcome(self, ctx: SolveContext, state: Any) -> Outcome:
        if isinstance(state, ExchangeState):
            return exchange_outcome(ctx, state)
        return state.outcome()

