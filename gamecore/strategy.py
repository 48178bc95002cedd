"""Strategy base classes and the one shared iteration driver.

A strategy is a class with an ``Options`` dataclass, a registry ``name`` and the
``equilibrium`` it targets (``"market"``, ``"stackelberg"``, or ``"both"`` for a strategy
that computes whichever notion the game poses, see :meth:`Strategy.equilibrium_for`). Iterative strategies write
only their idea — ``initialize``, ``step``, ``converged``, ``record``, ``outcome`` — and
leave the loop, history, progress bar, timing, message counting, failure handling and the
certificate to :meth:`Strategy.solve` / :meth:`IterativeStrategy.run` here (as pymoo's
``Algorithm.run`` does).
"""

from __future__ import annotations

import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Literal, TypeVar

import numpy as np

from gamecore.bounds import BoundOptions, leader_bound
from gamecore.canonical import Prox, Response
from gamecore.case import Case, Reference
from gamecore.certificate import Certificate, certify, required_measures
from gamecore.driver import Callback, Driver, MaxIter, Rule
from gamecore.errors import FollowerSolveError, GameError, StrategyError
from gamecore.game import SUPPLY, Game
from gamecore.leader import MarketCoupling
from gamecore.market import (
    best_supplies,
    centralized_bound,
    coupling_balance,
    price_mask,
    probe_delta,
    probe_vector,
    secant_slopes,
)
from gamecore.options import build_options, check_max_iter
from gamecore.pool import FollowerPool
from gamecore.result import Result, Status


@dataclass
class Outcome:
    """What a strategy hands back to the driver.

    ``responses=None`` means "the followers' best responses at the final signals" (e.g. for
    NSGA, whose followers always best-respond). ``supplies=None`` means the leader's best
    supply at the final prices. The driver certifies the answer itself (a strategy cannot hand
    over a certificate of its own).
    """

    status: Status
    message: str
    iterations: int
    signal_vector: np.ndarray
    responses: list[Response] | None = None
    supplies: dict[str, Response] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class MarketPoint:
    """Followers' and the leader's best responses at one price vector.

    ``excess`` is in the game's signal layout (zero on signals that price no coupling):
    Σ_i y_i − s per coupling entry; ``residual`` is its relative size, the certificate's
    coupling residual (:func:`gamecore.market.coupling_residual`, worst coupling).
    """

    signal_vector: np.ndarray
    responses: list[Response]
    supplies: dict[str, Response]
    excess: np.ndarray
    residual: float


class SolveContext:
    """What a running strategy may use: the game, the follower pool, its options, a seeded RNG
    and the :class:`~gamecore.driver.Driver` every loop of the strategy runs through
    (``ctx.driver.run(name, step, until=[...])``: history, progress, the solve's time limit,
    the user's callback).

    Followers are reached only through :meth:`respond` / :meth:`respond_many` (counted);
    the leader's own supply programs through :meth:`supply`.
    """

    def __init__(self, game: Game, pool: FollowerPool, options: Any, seed: int | None, progress: bool,
                 driver: Driver | None = None) -> None:
        self.game = game
        self.pool = pool
        self.options = options
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.progress = progress
        self.driver = driver if driver is not None else Driver(progress=progress)
        self.leader_solver_s = 0.0
        #: the case being solved when :meth:`Strategy.solve` was given one (its ``upper`` level,
        #: reference...), else None
        self.case: Case | None = None

    def respond(self, signal_vector: np.ndarray, proxes: Sequence[Prox | None] | None = None) -> list[Response]:
        return self.pool.respond(self.project(signal_vector), proxes, keep_x=True)

    def respond_many(self, signal_vectors: Sequence[np.ndarray]) -> list[list[Response]]:
        return self.pool.respond_many([self.project(v) for v in signal_vectors], keep_x=False)

    def supply(self, coupling: MarketCoupling, price: np.ndarray, prox: Prox | None = None) -> Response:
        """The leader's best (optionally proximal) supply for ``coupling`` at ``price``."""
        response = self.game.suppliers[coupling.name].solve(np.ravel(price), prox)
        self.leader_solver_s += response.solve_time
        if not response.ok:
            raise GameError(f"leader supply program of coupling '{coupling.name}' is {response.status} "
                            f"at price {np.ravel(price)[:6]}")
        return response

    def project(self, signal_vector: np.ndarray) -> np.ndarray:
        layout = self.game.layout
        return np.clip(np.asarray(signal_vector, dtype=float), layout.lower(), layout.upper())

    def market_point(self, signal_vector: np.ndarray) -> MarketPoint:
        """Everyone's best response at ``signal_vector`` (projected on the signal box)."""
        vector = self.project(signal_vector)
        responses = self.respond(vector)
        return self.market_point_from(vector, responses)

    def market_point_from(self, vector: np.ndarray, responses: list[Response],
                          supplies: Mapping[str, Response] | None = None) -> MarketPoint:
        """Excess and residual of given follower responses (leader supplies default to best)."""
        game = self.game
        excess = np.zeros(game.layout.size)
        chosen: dict[str, Response] = {}
        residual = 0.0
        for c in game.leader.couplings:
            sl = game.layout.slices[c.signal]
            chosen[c.name] = supplies[c.name] if supplies else self.supply(c, vector[sl])
            balance = coupling_balance(game, c, responses, chosen[c.name].outputs[SUPPLY])
            excess[sl] = balance.excess
            residual = max(residual, balance.residual)
        return MarketPoint(vector, responses, chosen, excess, residual)

    def price_mask(self) -> np.ndarray:
        """Boolean mask (game layout) of signal entries that price a market coupling."""
        return price_mask(self.game)

    def probe_slopes(self, point: MarketPoint) -> tuple[np.ndarray, np.ndarray]:
        """Per-entry slope of the excess from one probe of 1 % of the price range (one pool call).

        The probe moves every priced entry of ``point`` down by
        :func:`~gamecore.market.probe_delta` (up where that moves nothing, see
        :func:`~gamecore.market.probe_vector`). Returns ``(slopes, delta)``, both in the game
        layout: ``|Δexcess / Δp|`` (output units per price unit; 0 where the price did not move
        or prices no coupling) and the probe step (price units).
        """
        layout = self.game.layout
        mask = self.price_mask()
        lower, upper = layout.lower(), layout.upper()
        delta = probe_delta(lower, upper, point.signal_vector, mask)
        after = self.market_point(probe_vector(point.signal_vector, lower, upper, delta))
        slopes = secant_slopes(point.signal_vector, point.excess, after.signal_vector, after.excess, mask)
        return slopes, delta


Opts = TypeVar("Opts")


class Strategy(ABC, Generic[Opts]):
    """An equilibrium strategy. Subclasses set ``name``, ``equilibrium``, ``Options``, ``summary``."""

    name: ClassVar[str]
    equilibrium: ClassVar[Literal["market", "stackelberg", "both"]]
    summary: ClassVar[str] = ""
    Options: ClassVar[type]
    #: whether the strategy handles integer (and binary) signals; others refuse such games in ``check``
    integer_signals: ClassVar[bool] = False

    def __init__(self, options: Any = None, **overrides: Any) -> None:
        """Validate the class contract and build the options (both raise :class:`StrategyError`).

        ``options``: an instance of ``Options``, a mapping of option values, or None (defaults);
        ``overrides``: option values that replace those of ``options``.
        """
        check_contract(type(self))
        self.options = build_options(self.name, self.Options, options, overrides)

    # ---------------------------------------------------------------- applicability
    @classmethod
    def targets(cls, notion: str) -> bool:
        """Whether this strategy can compute ``notion`` (``"market"`` or ``"stackelberg"``)."""
        return cls.equilibrium in (notion, "both")

    def equilibrium_for(self, game: Game) -> Literal["market", "stackelberg"]:
        """The notion computed on ``game``: a ``"both"`` strategy clears a market game's
        couplings, and solves the leader's problem on a game without couplings."""
        if self.equilibrium != "both":
            return self.equilibrium
        return "market" if game.is_market else "stackelberg"

    def check(self, game: Game) -> None:
        """Raise :class:`StrategyError` if this strategy cannot solve ``game``."""
        notion = self.equilibrium_for(game)
        if notion == "market" and not game.is_market:
            raise StrategyError(f"strategy '{self.name}' computes market equilibria, but game '{game.name}' "
                                "has no market coupling")
        if notion == "market" and game.has_leader_constraints:
            raise StrategyError(f"strategy '{self.name}' computes market equilibria; the leader constraints of "
                                f"'{game.name}' belong to a Stackelberg leader and would be ignored")
        if notion == "stackelberg" and not game.is_stackelberg:
            raise StrategyError(f"strategy '{self.name}' computes Stackelberg equilibria, but the leader of "
                                f"'{game.name}' has no objective")
        if game.layout.has_integer and not self.integer_signals:
            integer = [s.name for s in game.layout.signals.values() if s.integer]
            raise StrategyError(f"strategy '{self.name}' searches continuous signals; game '{game.name}' has "
                                f"integer signals {integer} (use a strategy with integer_signals = True)")

    @abstractmethod
    def run(self, ctx: SolveContext) -> Outcome:
        """Compute an answer (the driver handles timing, failures and the certificate)."""

    # ------------------------------------------------------------------------ driver
    def solve(self, game: Game | Case, *, n_jobs: int = 1, backend: str = "loky", pool: FollowerPool | None = None,
              progress: bool | None = None, seed: int | None = 0, reference: Reference | None = None,
              bound: BoundOptions | None = None, callback: Callback | None = None,
              duality: str = "centralized") -> Result:
        """Solve ``game`` and certify the answer.

        Args:
            game: a :class:`Game` or a :class:`Case` (whose reference is then used).
            n_jobs, backend: follower pool parallelism (ignored when ``pool`` is given).
            pool: an existing :class:`FollowerPool` to reuse (keeps workers' compiled programs).
            progress: show a progress bar (default: only when stderr is a terminal).
            seed: seeds every random choice of the strategy.
            reference: an independent optimum to report ``gap_to_reference`` and leader regret
                against; market games default to the centralized optimum.
            bound: where the certificate may look for a leader bound when no reference is
                given (:class:`~gamecore.bounds.BoundOptions`: size/time limit of its own
                ``kkt`` run, McCormick fallback).
            callback: called after every iteration of every loop of the strategy with a
                :class:`~gamecore.driver.IterationInfo`; a truthy return stops that loop.
            duality: how a market game's duality gap is certified: ``"centralized"`` (default)
                solves the welfare problem for P* (the exact gap, and the reference objective);
                ``"clearing"`` bounds the gap from above by the answer's own clearing welfare
                without solving it (:mod:`gamecore.certificate`; for games whose welfare problem
                costs more than the answer, e.g. every stage of a rolling day).

        The option ``time_limit`` (seconds, when the strategy's ``Options`` has one and it is not
        None) bounds every loop of the strategy (:class:`~gamecore.driver.Driver`).
        """
        case = game if isinstance(game, Case) else None
        if isinstance(game, Case):
            reference = reference or game.reference
            game = game.game
        check_seed(seed)
        if duality not in ("centralized", "clearing"):
            raise StrategyError(f"duality must be 'centralized' or 'clearing', got {duality!r}")
        self.check(game)
        own_pool = pool is None
        pool = pool or FollowerPool(game, n_jobs=n_jobs, backend=backend)
        show = sys.stderr.isatty() if progress is None else bool(progress)
        time_limit = getattr(self.options, "time_limit", None)
        driver = Driver(progress=show, callback=callback, time_limit=time_limit)
        ctx = SolveContext(game, pool, self.options, seed, show, driver)
        ctx.case = case
        before = pool.stats.snapshot()
        start = time.perf_counter()
        try:
            outcome = self.run(ctx)
        except StrategyError:
            raise                      # a usage error, not a failed solve
        except (FollowerSolveError, GameError) as err:
            outcome = Outcome("failed", str(err), 0, np.full(game.layout.size, np.nan))
        wall = time.perf_counter() - start
        traffic = pool.stats.since(before)
        result = Result(game=game.name, strategy=self.name, equilibrium=self.equilibrium_for(game),
                        status=outcome.status, message=outcome.message, iterations=outcome.iterations,
                        history=outcome.history,
                        messages=traffic.messages, floats=traffic.floats, wall_s=wall,
                        solver_s=traffic.solver_s + ctx.leader_solver_s, workers=pool.workers,
                        workers_note=pool.note, extra=outcome.extra,
                        loops=[run.summary() for run in driver.runs])
        result.certificate = Certificate(required=required_measures(game, result.equilibrium),  # type: ignore[arg-type]
                                         notion=result.equilibrium)  # type: ignore[arg-type]
        if outcome.status != "failed":
            cert_start = time.perf_counter()
            try:
                self._finish(result, game, pool, outcome, reference, bound, duality)
            except (FollowerSolveError, GameError) as err:
                result.status, result.message = "failed", f"certificate: {err}"
            result.certificate_s = time.perf_counter() - cert_start
        self._judge(result)
        if own_pool:
            pool.close()
        return result

    @staticmethod
    def _judge(result: Result) -> None:
        """The driver's verdict: ``converged`` only when the certificate holds too.

        A strategy whose own rule held but whose answer the certificate does not certify
        comes back ``max_iter`` (an answer, not certified: more iterations, a tighter
        tolerance or a bound might certify it), or ``failed`` when a measure is NaN/inf
        (the answer is broken). The message says which measures failed or went unchecked.
        """
        if result.status != "converged":
            return
        cert = result.certificate
        problems = cert.failures()
        if not problems:
            return
        broken = any(v is not None and not np.isfinite(v) for v in (getattr(cert, m) for m in cert.required))
        result.status = "failed" if broken else "max_iter"
        result.message = f"not certified: {'; '.join(problems)}; strategy: {result.message}"

    def _finish(self, result: Result, game: Game, pool: FollowerPool, outcome: Outcome,
                reference: Reference | None, bound_options: BoundOptions | None = None,
                duality: str = "centralized") -> None:
        vector = np.clip(outcome.signal_vector, game.layout.lower(), game.layout.upper())
        notion = self.equilibrium_for(game)
        best = pool.respond(vector, keep_x=True)
        reported = outcome.responses if outcome.responses is not None else best
        bound = centralized_bound(game) if game.is_market and duality == "centralized" else None
        ref_leader = reference.objective if reference is not None and reference.kind == "stackelberg" else None
        lb = (leader_bound(game, reference, outcome.extra, bound_options,
                           objectives=game.leader_objectives(game.layout.unpack(vector), reported))
              if notion == "stackelberg" else None)
        cert = certify(game, vector, reported, best, outcome.supplies, bound, notion=notion, leader_bound=lb,
                       clearing_bound=duality == "clearing")
        signals = game.layout.unpack(vector)
        result.certificate = cert
        result.signals = signals
        result.outputs = {f.name: reported[i].outputs for i, f in enumerate(game.followers)}
        result.follower_objectives = {}
        for i, (f, response) in enumerate(zip(game.followers, reported)):
            result.follower_objectives[f.name] = (
                f.program.objective_at(response.x, game.follower_signals(i, vector)) if response.x is not None
                else response.objective)
        if game.is_market:
            supplies = outcome.supplies or best_supplies(game, vector)
            result.supplies = {name: r.outputs[SUPPLY] for name, r in supplies.items()}
        if notion == "market":
            result.objective = cert.welfare_cost
            ref = reference.objective if reference is not None and reference.kind == "market" else bound
            if game.is_stackelberg:   # evaluated, not optimised: say so
                result.objectives = game.leader_objectives(signals, reported).tolist()
                result.message += (f"; the leader's objectives {[o.name for o in game.leader.objectives]} are "
                                   "evaluated at the market equilibrium (result.objectives), not optimised")
        else:
            result.objectives = game.leader_objectives(signals, reported).tolist()
            result.objective = result.objectives[0]
            ref = ref_leader
        if ref is not None and result.objective is not None:
            result.reference_objective = float(ref)
            if cert.feasible:   # an infeasible point can undercut any optimum: no gap to report
                result.gap_to_reference = float((result.objective - ref) / max(1.0, abs(ref)))


class IterativeStrategy(Strategy[Opts]):
    """A strategy written as initialize / step / converged; the loop lives here.

    ``Options`` must define ``max_iter`` (an integer ≥ 1, the driver's iteration budget; checked
    at construction, :class:`StrategyError` otherwise). ``record`` returns the per-iteration history entry
    (scalars and arrays); ``outcome`` turns the final state into an :class:`Outcome` whose
    status is kept when ``converged`` stopped the loop (a strategy may stop on a budget of
    its own and say ``"max_iter"``); reaching ``max_iter`` always gives ``"max_iter"``.
    """

    def __init__(self, options: Any = None, **overrides: Any) -> None:
        super().__init__(options, **overrides)
        check_max_iter(self.name, self.options)

    @abstractmethod
    def initialize(self, ctx: SolveContext) -> Any: ...

    @abstractmethod
    def step(self, ctx: SolveContext, state: Any) -> Any: ...

    @abstractmethod
    def converged(self, ctx: SolveContext, state: Any) -> bool: ...

    @abstractmethod
    def record(self, ctx: SolveContext, state: Any) -> dict[str, Any]: ...

    @abstractmethod
    def outcome(self, ctx: SolveContext, state: Any) -> Outcome: ...

    def run(self, ctx: SolveContext) -> Outcome:
        max_iter = int(ctx.options.max_iter)
        state = self.initialize(ctx)

        def step(_: int) -> dict[str, Any]:
            nonlocal state
            state = self.step(ctx, state)
            return self.record(ctx, state)

        loop = ctx.driver.run(self.name, step, until=[Rule(lambda _: self.converged(ctx, state)), MaxIter(max_iter)])
        outcome = self.outcome(ctx, state)
        outcome.iterations = loop.iterations
        outcome.history = loop.history
        if not loop.converged:
            outcome.status = "max_iter"
            before = "before the stopping rule held; "
            outcome.message = (f"stopped at max_iter={max_iter} {before}" if isinstance(loop.stopped_by, MaxIter)
                               else f"{loop.reason} after {loop.iterations} iterations {before}") + outcome.message
        # else: the strategy's own outcome() decides (``"converged"``, or ``"max_iter"`` when it
        # stopped on a budget of its own, e.g. bisection's sweeps)
        return outcome


def refuse_market_couplings(strategy: str, game: Game, hint: str = "") -> None:
    """:class:`StrategyError` when ``game``'s leader has market couplings, for a Stackelberg
    strategy that would search their prices as free leader decisions (``hint``: what to use)."""
    if game.is_market:
        raise StrategyError(f"strategy '{strategy}': game '{game.name}' has market couplings "
                            f"{[c.name for c in game.leader.couplings]}; their prices clear balances and are "
                            f"not free leader decisions ({hint or 'use a market strategy for the equilibrium'})")


def check_seed(seed: Any) -> None:
    """Raise :class:`StrategyError` unless ``seed`` is None or a non-negative integer."""
    if seed is None:
        return
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise StrategyError(f"seed must be None or a non-negative integer, got {seed!r}")


EQUILIBRIA = ("market", "stackelberg", "both")


def check_contract(cls: type) -> None:
    """Raise :class:`StrategyError` unless strategy class ``cls`` sets a string ``name``, an
    ``equilibrium`` in :data:`EQUILIBRIA` and an ``Options`` dataclass (a plug-in author's
    mistakes are reported at construction, not as a raw AttributeError at solve time)."""
    name = getattr(cls, "name", None)
    label = f"strategy class {cls.__module__}.{cls.__qualname__}"
    if not isinstance(name, str) or not name:
        raise StrategyError(f"{label} must set a class attribute name (its registry name, a non-empty string)")
    equilibrium = getattr(cls, "equilibrium", None)
    if equilibrium not in EQUILIBRIA:
        raise StrategyError(f"strategy '{name}': class attribute equilibrium must be one of {list(EQUILIBRIA)}, "
                            f"got {equilibrium!r}")
    if not isinstance(getattr(cls, "Options", None), type):
        raise StrategyError(f"strategy '{name}': class attribute Options must be a dataclass type "
                            "(e.g. @dataclass class MyOptions: max_iter: int = 100)")
