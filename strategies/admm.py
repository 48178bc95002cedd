"""ADMM strategies: ``admm-exchange`` (market games), ``admm-mccormick`` (Stackelberg games) and
the alias ``admm`` that picks one of them by the game.

* ``admm-exchange`` (:class:`ADMMExchange`, options :class:`ExchangeOptions`): exchange ADMM
  on the coupling prices (Boyd et al. 2011, §7.3.2) — :mod:`strategies.admm_exchange`; its
  fixed point is the market equilibrium. Refuses a game without market couplings.
* ``admm-mccormick`` (:class:`ADMMMcCormick`, options :class:`McCormickOptions`): for
  Stackelberg games (a leader objective: bilinear price × quantity terms and/or a convex
  cost in signals and aggregated outputs; leader constraints allowed; signals in the
  followers' objectives and constraint right-hand sides), consensus ADMM (Boyd §7.1) on the
  McCormick relaxation of the followers' strong-duality single-level reformulation
  (:mod:`gamecore.bilevel`, factor bounds derived from the data), inside a trust-region
  loop of shrinking / moving boxes with bound tightening — :mod:`strategies.admm_bilevel`;
  its fixed point is a local Stackelberg solution (global when it meets the first-round
  relaxation bound). Refuses a game with market couplings (their prices clear balances).
* ``admm`` (:class:`ADMM`, options :class:`ADMMOptions`, the union of the two): picks
  ``admm-exchange`` on a game with market couplings, ``admm-mccormick`` on one without (a
  game that is both market and Stackelberg gets the market equilibrium, as before the split),
  and runs it with the same code and options, so the alias and the specific name give
  bit-identical results. ``result.strategy`` stays ``"admm"``; ``result.extra["algorithm"]``
  (set by both algorithms, whichever name ran them) says which one ran. An option of the
  other algorithm is refused by :meth:`ADMM.check` with a :class:`StrategyError` naming it
  and its algorithm — unless it equals its default (a configuration that spells out
  defaults stays valid; the value is then simply unused). ``ADMM.alias_of`` lists the two
  names, so :func:`gamecore.registry.available_strategies` with ``aliases=False`` leaves the
  alias out (the CLI demo runs each algorithm once).

Both algorithms stop by Boyd's rule (§3.3: primal and dual residuals below
ε_pri = √n ε_abs + ε_rel·(primal norm), ε_dual = √n ε_abs + ε_rel·(dual norm); defaults per
algorithm in :data:`EPS_DEFAULTS`) and balance the residuals (§3.4.1), measured in units of
their tolerances (as OSQP and Wohlberg 2017 do, so balancing and stopping agree):
ρ ← τρ when ‖r‖/ε_pri > μ‖s‖/ε_dual, ρ ← ρ/τ when ‖s‖/ε_dual > μ‖r‖/ε_pri (defaults μ = 10,
τ = 2). This module holds the options, the applicability checks and the strategy classes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from gamecore.errors import StrategyError
from gamecore.game import Game
from gamecore.strategy import IterativeStrategy, Outcome, SolveContext, Strategy, refuse_market_couplings
from strategies import admm_bilevel, admm_exchange
from strategies.admm_bilevel import BilevelADMM, check_bilevel
from strategies.admm_exchange import (
    ExchangeState,
    check_exchange,
    exchange_init,
    exchange_outcome,
    exchange_step,
)

#: default (eps_abs, eps_rel) per game kind; Stackelberg residuals are in box-normalised units
EPS_DEFAULTS = {"market": (1e-6, 1e-6), "stackelberg": (1e-5, 1e-4)}


@dataclass
class BoydOptions:
    """Options shared by both ADMM algorithms (Boyd's stopping rule and residual balancing).

    Attributes:
        max_iter: total ADMM iterations (over all rounds of ``admm-mccormick``), >= 1.
        rho: initial penalty, > 0; 0 (default) = automatic (see :mod:`strategies.admm_exchange`
            and :mod:`strategies.admm_bilevel`).
        eps_abs, eps_rel: Boyd's absolute / relative tolerances of the stopping rule (``tol``
            of this family: the primal and dual residuals must fall below ε_pri / ε_dual); 0 =
            the algorithm's default (:data:`EPS_DEFAULTS`).
        balance: residual balancing on/off; mu (> 1), tau (> 1): its ratio threshold and factor.
    """

    #: (eps_abs, eps_rel) used where the options are 0
    EPS_DEFAULT: ClassVar[tuple[float, float]] = EPS_DEFAULTS["market"]

    max_iter: int = 5000
    rho: float = 0.0
    eps_abs: float = 0.0
    eps_rel: float = 0.0
    balance: bool = True
    mu: float = 10.0
    tau: float = 2.0

    def __post_init__(self) -> None:
        if self.max_iter < 1:
            raise ValueError(f"max_iter must be >= 1, got {self.max_iter}")
        if self.rho < 0:
            raise ValueError(f"rho must be >= 0 (0 = automatic), got {self.rho}")
        if self.eps_abs < 0 or self.eps_rel < 0:
            raise ValueError(f"eps_abs and eps_rel must be >= 0 (0 = the algorithm's default), "
                             f"got {self.eps_abs}, {self.eps_rel}")
        if self.mu <= 1:
            raise ValueError(f"mu must be > 1, got {self.mu}")
        if self.tau <= 1:
            raise ValueError(f"tau must be > 1, got {self.tau}")

    def tolerances(self) -> tuple[float, float]:
        """Boyd's (ε_abs, ε_rel): the options, or :attr:`EPS_DEFAULT` where an option is 0."""
        abs_default, rel_default = self.EPS_DEFAULT
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


@dataclass
class ExchangeOptions(BoydOptions):
    """Options of ``admm-exchange``: exactly those of :class:`BoydOptions`.

    ``rho`` is in $/unit² (price per unit of quantity mismatch); ``eps_abs`` / ``eps_rel``
    default to 1e-6 / 1e-6 (residuals in the couplings' quantity units).
    """

    EPS_DEFAULT: ClassVar[tuple[float, float]] = EPS_DEFAULTS["market"]


@dataclass
class McCormickOptions(BoydOptions):
    """Options of ``admm-mccormick``: those of :class:`BoydOptions` plus the outer (box) loop's.

    ``rho`` acts on the box-normalised consensus (objective units); ``eps_abs`` / ``eps_rel``
    default to 1e-5 / 1e-4 (box-normalised residuals).

    Attributes:
        relax_tol: relative McCormick gap ``max|π − σf| / max(1, max|σf|)`` over the products
            π = σ·f (w, u, t) at which the outer loop may stop, in (0, 1).
        max_rounds: maximum number of box rounds.
        factor: box width factor on entries that shrink, in (0, 1).
        obbt: optimality-based tightening of the factor (v / y / r) boxes each round;
            obbt_passes: sweeps per round (each uses the previous sweep's bounds).
        expand: box width factor (≥ 1) on entries whose accepted consensus value sits on an
            open face of the box.
        samples: points on the box diagonal tried (with the midpoint) for the starting
            incumbent; 0 = midpoint only.
        round_iter: ADMM iterations after which a round ends even if Boyd's rule does not hold
            yet (on tiny boxes the blocks' solver accuracy can sit at the tolerance); such
            rounds are flagged ``inexact`` in the round history.
    """

    EPS_DEFAULT: ClassVar[tuple[float, float]] = EPS_DEFAULTS["stackelberg"]

    relax_tol: float = 1e-4
    max_rounds: int = 30
    factor: float = 0.5
    obbt: bool = True
    obbt_passes: int = 2
    expand: float = 2.0
    samples: int = 16
    round_iter: int = 400

    def __post_init__(self) -> None:
        super().__post_init__()
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


@dataclass
class ADMMOptions(McCormickOptions):
    """Options of the alias ``admm``: the union of :class:`ExchangeOptions` and
    :class:`McCormickOptions` (the latter's fields, since the former's are a subset).

    On a market game the ``admm-mccormick``-only options (:data:`MCCORMICK_ONLY`) must keep
    their defaults (:meth:`ADMM.check` refuses others); ``eps_abs`` / ``eps_rel`` = 0 take the
    picked algorithm's defaults.
    """

    def tolerances(self, mode: str = "stackelberg") -> tuple[float, float]:
        """Boyd's (ε_abs, ε_rel) for ``mode`` (``"market"`` / ``"stackelberg"``)."""
        abs_default, rel_default = EPS_DEFAULTS[mode]
        return (self.eps_abs or abs_default, self.eps_rel or rel_default)


#: options of ``admm-mccormick`` that ``admm-exchange`` does not have
MCCORMICK_ONLY = tuple(f.name for f in dataclasses.fields(McCormickOptions)
                       if f.name not in {g.name for g in dataclasses.fields(ExchangeOptions)})


class ADMMExchange(IterativeStrategy[ExchangeOptions]):
    """Exchange ADMM on the coupling prices (market games)."""

    name = admm_exchange.NAME
    equilibrium = "market"
    summary = ("exchange ADMM on the coupling prices with residual balancing and Boyd's stopping rule "
               "(market games)")
    Options = ExchangeOptions

    def check(self, game: Game) -> None:
        """Market games whose follower outputs each enter at most one coupling, else StrategyError."""
        if not game.is_market:
            hint = ("; its leader has an objective: use 'admm-mccormick' (or the alias 'admm') for the "
                    "Stackelberg solution" if game.is_stackelberg else "")
            raise StrategyError(f"strategy '{self.name}' clears market couplings, but game '{game.name}' has "
                                f"none{hint}")
        super().check(game)          # a market game's leader constraints would be ignored
        check_exchange(game)

    def initialize(self, ctx: SolveContext) -> ExchangeState:
        return exchange_init(ctx)

    def step(self, ctx: SolveContext, state: ExchangeState) -> ExchangeState:
        return exchange_step(ctx, state)

    def converged(self, ctx: SolveContext, state: ExchangeState) -> bool:
        return bool(state.done)

    def record(self, ctx: SolveContext, state: ExchangeState) -> dict[str, Any]:
        return state.record()

    def outcome(self, ctx: SolveContext, state: ExchangeState) -> Outcome:
        outcome = exchange_outcome(ctx, state)
        outcome.extra["algorithm"] = self.name
        return outcome


class ADMMMcCormick(IterativeStrategy[McCormickOptions]):
    """Consensus ADMM on the McCormick relaxation of the strong-duality reformulation (Stackelberg games)."""

    name = admm_bilevel.NAME
    equilibrium = "stackelberg"
    summary = ("consensus ADMM on the McCormick relaxation of the strong-duality reformulation with bound "
               "tightening and trust-region boxes (Stackelberg games without market couplings)")
    Options = McCormickOptions

    def check(self, game: Game) -> None:
        """Stackelberg games without market couplings that the relaxation covers, else StrategyError."""
        refuse_market_couplings(self.name, game, "use 'admm-exchange' (or the alias 'admm') for the market "
                                                 "equilibrium")
        if not game.is_stackelberg:
            raise StrategyError(f"strategy '{self.name}' computes Stackelberg equilibria, but the leader of "
                                f"'{game.name}' has no objective")
        check_bilevel(game)

    def initialize(self, ctx: SolveContext) -> BilevelADMM:
        return BilevelADMM(ctx)

    def step(self, ctx: SolveContext, state: BilevelADMM) -> BilevelADMM:
        state.step()
        return state

    def converged(self, ctx: SolveContext, state: BilevelADMM) -> bool:
        return bool(state.done)

    def record(self, ctx: SolveContext, state: BilevelADMM) -> dict[str, Any]:
        return state.record()

    def outcome(self, ctx: SolveContext, state: BilevelADMM) -> Outcome:
        outcome = state.outcome()
        outcome.extra["algorithm"] = self.name
        return outcome


class ADMM(Strategy[ADMMOptions]):
    """Alias: ``admm-exchange`` on market games, ``admm-mccormick`` on the others (module docstring)."""

    name = "admm"
    equilibrium = "both"
    summary = ("alias: admm-exchange on market games, admm-mccormick on Stackelberg games "
               "(options: the union of theirs)")
    Options = ADMMOptions
    #: the strategies this alias dispatches to (``available_strategies(aliases=False)`` omits it)
    alias_of: ClassVar[tuple[str, ...]] = (ADMMExchange.name, ADMMMcCormick.name)

    def algorithm(self, game: Game) -> ADMMExchange | ADMMMcCormick:
        """The strategy this alias runs on ``game``, with the options that belong to it.

        Raises :class:`StrategyError` for an option of the other algorithm set to a value other
        than its default (:class:`ADMMOptions`).
        """
        values = dataclasses.asdict(self.options)
        if game.is_market:
            unused = [f for f in dataclasses.fields(McCormickOptions)
                      if f.name in MCCORMICK_ONLY and values[f.name] != f.default]
            if unused:
                listing = ", ".join(f"{f.name}={values[f.name]!r}" for f in unused)
                raise StrategyError(f"strategy '{self.name}': option(s) {listing} belong to '{ADMMMcCormick.name}' "
                                    f"(Stackelberg games without market couplings); game '{game.name}' has market "
                                    f"couplings, so '{self.name}' runs '{ADMMExchange.name}', which does not use "
                                    "them: leave them at their defaults or drop them")
            keep = {f.name for f in dataclasses.fields(ExchangeOptions)}
            return ADMMExchange({k: v for k, v in values.items() if k in keep})
        return ADMMMcCormick(values)

    def check(self, game: Game) -> None:
        """The picked algorithm's check (and that the options fit it)."""
        if not (game.is_market or game.is_stackelberg):
            raise StrategyError(f"strategy '{self.name}' needs a market coupling or a leader objective; "
                                f"game '{game.name}' has neither")
        self.algorithm(game).check(game)

    def run(self, ctx: SolveContext) -> Outcome:
        delegate = self.algorithm(ctx.game)
        ctx.options = delegate.options
        return delegate.run(ctx)
