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

import numpy as np

from gamecore.driver import IterationInfo, Limit, LoopStatus, MaxIter, Rule, Termination
from gamecore.errors import StrategyError
from gamecore.game import Game
from gamecore.options import check_max_iter, option, time_limit_option
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

    No ``tol``: the stopping rule is Boyd's (§3.3), primal and dual residuals below
    ε_pri / ε_dual built from ``eps_abs`` (absolute, in the residuals' units) and ``eps_rel``
    (relative to the primal / dual norms); 0 = the algorithm's default (:data:`EPS_DEFAULTS`).
    """

    #: (eps_abs, eps_rel) used where the options are 0
    EPS_DEFAULT: ClassVar[tuple[float, float]] = EPS_DEFAULTS["market"]

    max_iter: int = option(5000, doc="total ADMM iterations (over all rounds of admm-mccormick)", ge=1)
    rho: float = option(0.0, doc="initial penalty; 0 = automatic (see strategies.admm_exchange / admm_bilevel)",
                        ge=0)
    eps_abs: float = option(0.0, doc="Boyd's absolute tolerance of the primal and dual residuals; "
                                     "0 = the algorithm's default", ge=0)
    eps_rel: float = option(0.0, doc="Boyd's tolerance relative to the primal / dual norms; "
                                     "0 = the algorithm's default", ge=0)
    balance: bool = option(True, doc="residual balancing (Boyd §3.4.1) on/off")
    mu: float = option(10.0, doc="residual balancing: residual ratio that triggers a change of rho", gt=1)
    tau: float = option(2.0, doc="residual balancing: factor by which rho changes", gt=1)
    time_limit: float | None = time_limit_option()

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

    ``tol``: none; Boyd's rule with ``eps_abs`` / ``eps_rel`` (default 1e-6 / 1e-6) on residuals
    in the couplings' quantity units. ``rho`` is in $/unit² (price per unit of quantity mismatch).
    """

    EPS_DEFAULT: ClassVar[tuple[float, float]] = EPS_DEFAULTS["market"]


@dataclass
class McCormickOptions(BoydOptions):
    """Options of ``admm-mccormick``: those of :class:`BoydOptions` plus the outer (box) loop's.

    ``tol``: none; Boyd's rule with ``eps_abs`` / ``eps_rel`` (default 1e-5 / 1e-4) on
    box-normalised residuals, and ``relax_tol`` for the outer loop. ``rho`` acts on the
    box-normalised consensus (objective units).
    """

    EPS_DEFAULT: ClassVar[tuple[float, float]] = EPS_DEFAULTS["stackelberg"]

    relax_tol: float = option(1e-4, doc="relative McCormick gap max|π − σf| / max(1, max|σf|) over the products "
                                        "π = σ·f at which the outer loop may stop", gt=0, lt=1)
    max_rounds: int = option(200, doc="maximum number of box rounds (trust region and branch-and-bound nodes)", ge=1)
    factor: float = option(0.5, doc="box width factor on entries that shrink", gt=0, lt=1)
    obbt: bool = option(True, doc="optimality-based tightening of the factor (v / y / r) boxes each round")
    obbt_passes: int = option(2, doc="tightening sweeps per round (each uses the previous sweep's bounds)", ge=0)
    expand: float = option(2.0, doc="box width factor on entries whose accepted consensus value sits on an open "
                                    "face of the box", ge=1)
    samples: int = option(16, doc="points on the box diagonal tried (with the midpoint) for the starting "
                                  "incumbent; 0 = midpoint only", ge=0)
    round_iter: int = option(400, doc="ADMM iterations after which a round ends even if Boyd's rule does not hold "
                                      "yet (flagged inexact in the round history)", ge=1)
    branch_signals: int = option(16, doc="branch and bound on the signal box (each node one ADMM round) when the "
                                         "trust region stops short of the relaxation bound, on games whose followers "
                                         "see at most this many signal entries (0 = never)", ge=0)
    branch_nodes: int = option(150, doc="branch-and-bound nodes at most; when they (or max_iter, max_rounds) are used "
                                        "up the answer is the last point at which the trust region's rule held", ge=0)
    branch_tol: float = option(1e-3, doc="relative gap (answer − smallest open-box relaxation bound) / max(1, "
                                         "|answer|) at which the branch and bound stops (the certificate's "
                                         "leader_regret tolerance by default)", gt=0, lt=1)


@dataclass
class ADMMOptions(McCormickOptions):
    """Options of the alias ``admm``: the union of :class:`ExchangeOptions` and
    :class:`McCormickOptions` (the latter's fields, since the former's are a subset).

    ``tol``: none; Boyd's rule with ``eps_abs`` / ``eps_rel`` (0 = the picked algorithm's defaults).
    On a market game the ``admm-mccormick``-only options (:data:`MCCORMICK_ONLY`) must keep
    their defaults (:meth:`ADMM.check` refuses others).
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


class _Stopped(Termination):
    """Stops a loop (status ``max_iter``) once ``reasons`` holds one, which becomes the loop's reason."""

    status: ClassVar[LoopStatus] = "max_iter"

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons

    def check(self, info: IterationInfo) -> str | None:
        return self.reasons[0] if self.reasons else None


class ADMMMcCormick(Strategy[McCormickOptions]):
    """Consensus ADMM on the McCormick relaxation of the strong-duality reformulation (Stackelberg games).

    Two nested loops run through the solve's driver (:meth:`run`): the outer loop ``"rounds"``
    (one record per box round: the round's summary, as in ``extra["round_history"]``; at most
    ``max_rounds``) and per round k the loop ``"round k"`` of ADMM iterations (one record each;
    ``result.loops`` lists ``"rounds/round 1"``, ``"rounds/round 2"``, ... and ``"rounds"``).
    A round's loop stops at Boyd's rule, at ``round_iter`` iterations (the round ends
    ``inexact``) or when ``max_iter`` — the ADMM iterations over all rounds — is used up.
    ``result.iterations`` is that total and ``result.history`` one row per ADMM iteration
    (``"iteration"`` counted over all rounds, ``"round"`` the round it belongs to).

    Stopping early: when ``max_iter`` is used up, a block's solver fails, the solve's
    ``time_limit`` passes, or the callback returns True — in a round's loop or in the
    ``"rounds"`` loop — the solve ends (an interrupted round is not closed: no gap, no face
    probe) with status ``max_iter``, a message that starts with the reason, and the better of
    the last consensus and the incumbent (true leader objective) as the answer.
    """

    name = admm_bilevel.NAME
    equilibrium = "stackelberg"
    summary = ("consensus ADMM on the McCormick relaxation of the strong-duality reformulation with bound "
               "tightening and trust-region boxes (Stackelberg games without market couplings)")
    Options = McCormickOptions

    def __init__(self, options: Any = None, **overrides: Any) -> None:
        super().__init__(options, **overrides)
        check_max_iter(self.name, self.options)

    def check(self, game: Game) -> None:
        """Stackelberg games without market couplings that the relaxation covers, else StrategyError."""
        refuse_market_couplings(self.name, game, "use 'admm-exchange' (or the alias 'admm') for the market "
                                                 "equilibrium")
        super().check(game)     # a leader objective; continuous signals
        check_bilevel(game)

    def run(self, ctx: SolveContext) -> Outcome:
        """The rounds loop, each round's ADMM loop nested in it (class docstring)."""
        opts = ctx.options
        max_iter, round_iter = int(opts.max_iter), int(opts.round_iter)
        state = BilevelADMM(ctx)
        history: list[dict[str, Any]] = []      # one row per ADMM iteration, numbered over all rounds
        stopped: list[str] = []                 # why the solve stops before the relaxation rule held

        def admm_step(k: int) -> dict[str, Any]:
            state.step(k)
            return state.record()

        def round_step(k: int) -> dict[str, Any]:
            if k > 1:
                state.next_round()
            inner = ctx.driver.run(f"round {k}", admm_step, until=[
                Rule(lambda _: state.boyd_converged, "Boyd's rule: residuals within eps_pri / eps_dual"),
                Limit(lambda _: state.block_error is not None, "a block's solver failed"),
                MaxIter(min(round_iter, max_iter - len(history)))])
            offset = len(history)
            history.extend(dict(entry, iteration=offset + entry["iteration"]) for entry in inner.history)
            budget = (f"stopped at max_iter={max_iter} (ADMM iterations over all rounds) in round {k} before the "
                      "stopping rule held")
            if state.block_error is not None:
                stopped.append(f"stopped: {state.block_error}")
            elif inner.converged or (isinstance(inner.stopped_by, MaxIter) and inner.iterations == round_iter):
                summary = state.end_round(inexact=not inner.converged)
                if len(history) >= max_iter and not state.done:
                    stopped.append(budget)
                return dataclasses.asdict(summary)
            elif isinstance(inner.stopped_by, MaxIter):
                stopped.append(budget)
            else:   # the callback or the solve's time limit
                stopped.append(f"{inner.reason} (loop '{inner.loop}', {len(history)} ADMM iteration(s) in all)")
            return {"round": k, "iterations": inner.iterations, "box_width": float(np.max(state.hi - state.lo)),
                    "interrupted": stopped[-1]}

        rounds = ctx.driver.run("rounds", round_step, until=[
            Rule(lambda _: state.done, "relaxation gap <= relax_tol, consensus off every open face, no better face "
                                       "or parabola point, no open box whose relaxation bound is better"),
            _Stopped(stopped),
            MaxIter(int(opts.max_rounds))])
        if rounds.converged:
            reason = None
        elif stopped:
            reason = stopped[0]
        elif isinstance(rounds.stopped_by, MaxIter):
            reason = (f"max_rounds={opts.max_rounds} reached before the relaxation gap met relax_tol"
                      + (f" ({len(state.open_boxes)} box(es) of the branch and bound still open)"
                         if state.open_boxes else ""))
        else:       # the callback or the time limit between rounds
            reason = f"{rounds.reason} (loop '{rounds.loop}', {len(history)} ADMM iteration(s) in all)"
        note = None
        if reason is not None and state.branched and state.settled:
            # stopped inside the branch and bound, which found nothing better than the local
            # solution the trust region had settled on: that solution is the answer
            note, reason = f"branch and bound stopped early: {reason}", None
        outcome = state.outcome(reason)
        if note is not None:
            outcome.message += f"; {note}"
        outcome.iterations, outcome.history = len(history), history
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
