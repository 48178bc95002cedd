"""``nsga-qp`` — a genetic algorithm over the leader's signals, followers solved as QPs (seed 004).

Decision variables are the leader's flat signal vector (``game.layout``), boxed by the
signals' bounds (every bound must be finite), except the leader's own decisions (entries no
follower sees, ``game.leader_only``): the GA and the polish search only the entries the
followers see, and every individual's own entries are set to their best for its responses
(:func:`gamecore.optimistic.leader_recourse`, the first objective; an individual whose
responses leave no feasible own decision is infeasible, ranked by the leader violation at the
box-midpoint decisions). Pareto points and the answer report the completed signals. Every
individual is evaluated by asking the follower pool for all responses to it — a whole
population per pool call — and then the leader's objectives (minimisation form) and constraints at those responses.

* **Integer signals** (``Signal(integer=True)``, binaries): every individual is rounded on its
  integer entries by a pymoo repair after sampling, crossover and mutation (so the population
  and the duplicate elimination see integer points) and the evaluator evaluates rounded vectors:
  the polish moves every entry, an integer entry counting at its rounding. The answer is
  rounded, so the certificate's integrality check holds.
* **One leader objective** → pymoo NSGA-II. **Several** → pymoo NSGA-III with Das–Dennis
  reference directions (``partitions`` divisions per objective).
* **Optimistic responses**: a follower whose optimal set can hold more than one point
  (:func:`gamecore.optimistic.outputs_unique` is False, e.g. an LP; a strictly convex QP is
  skipped) answers, in the same pool call and in the worker, the leader-best point of its
  optimal set: after its best response x* it minimises the tie-break objective
  ``½ yᵀH_i y + c_iᵀ y`` of :class:`gamecore.optimistic.LeaderModel` (the leader's first
  objective as a function of its outputs y) over ``{feasible, P x = P x*, q(σ)ᵀx ≤ q(σ)ᵀx* + δ}``
  (:func:`gamecore.optimistic.select_in_optimal_set`; exact rows, see
  :mod:`gamecore.optimistic`). This is the leader-best selection exactly when the first
  objective is linear in the outputs, or quadratic with one follower sending them; with
  several followers and a quadratic cost, the other followers' outputs are held at those of
  the best individual evaluated so far; for a cost that is not an explicit quadratic it is
  the linearisation at that individual's aggregate. Leader constraints do not enter the
  tie-break (they are checked at the selected responses). The GA, the polish and the ranking
  all see these responses. The **reported** responses (``Outcome.responses``) are, when some
  follower is tie-broken, the exact optimistic selection at the final signals
  (:func:`gamecore.optimistic.optimistic_selection`, leader constraints included), or the
  tie-broken responses when that selection is not available; when no follower needs it,
  the best responses.
* **Constraints** (pymoo ``G ≤ 0`` is feasible; constraint domination ranks every feasible
  individual before any infeasible one, infeasible ones by total violation):
  ``G₁ = number of failing followers`` (a follower whose program fails — infeasible,
  unbounded, solver error — does not stop the run; failures are counted in ``extra``) and,
  when the leader has constraints, ``G₂ = leader violation − 1e-9`` (relative violation of
  the leader's constraints at the selected responses, :meth:`LeaderModel.violation`).
* **Termination**: at most ``max_iter`` generations (one generation = one iteration), or the
  stall rule: the best objective (several objectives: every entry of the population's ideal
  point) improved by less than ``tol`` relative (``Δ / max(1, |f|)``) over the last
  ``stall_window`` generations (or no new distinct individual is left to evaluate, a tiny box).
  Both loops (``"generations"``, then ``"polish"``) run through the solve's driver
  (``ctx.driver``, :mod:`gamecore.driver`): the solve's ``time_limit`` and the user's callback
  can stop either; stopped generations still hand their best individual to the polish (which
  runs no iteration once the deadline has passed), and the result says why it stopped.
* **Polish** (``polish=True``; several objectives: below): a derivative-free local search for
  piecewise-smooth objectives with kinks and jumps (the leader's objective through the
  followers' responses is one): a batched pattern search in normalised coordinates
  ``u = (x − lower) / (upper − lower)``, run together from ``polish_starts`` starts — the best
  point of every GA evaluation, then the best one farther than 0.1 (max norm) from those
  chosen, and so on (other basins the GA visited). One iteration is ONE pool call holding,
  for every active start with step Δ, the poll points ``u ± Δ d`` clipped to the box, with d
  the coordinate directions, a fresh random orthonormal basis (after an iteration without
  improvement, at least two free signals), and a random orthonormal basis of the directions
  along the leader's linear constraints on the signals that are active within Δ (a feasible
  descent along a constraint that is not axis-aligned); plus search points: the diagonal
  Newton point of the previous coordinate poll (central differences) and the pattern line
  ``u + 2^m (u − u_prev)``, m = 0, 1, 2, after a success. The best point replaces the
  incumbent when it is better (feasible before infeasible, then lower objective, or lower
  violation among infeasible points; points with a failing follower are rejected). Δ doubles
  (at most 0.5) after a poll success, follows a search move (twice its length, shrinking by
  at most ``polish_shrink³``), and shrinks by ``polish_shrink`` after a failure — by up to
  ``polish_shrink³`` towards the Newton model's predicted distance when that model predicted
  its last decrease within a factor 2. A start ends when Δ falls below ``polish_step_tol``,
  when its objective improved by less than ``polish_tol`` (relative) over the last
  ``stall_window`` iterations, or when it comes within Δ of a better start. The polish ends
  when every start has ended or after ``polish_max_iter`` iterations. The first Δ is
  ``polish_step`` (0: twice the final population's spread, within [1e-3, 0.25]). The best
  polished point replaces the GA's only if it is better.
* **Piece descent** (``polish_pieces=True``, LP/QP followers where ``kkt`` applies): from the
  pattern search's final points and ``descent_starts`` distinct GA points, a descent over the
  followers' complementarity pieces (:mod:`gamecore.piece_descent`: the incumbent's tight rows
  fix a piece on which the bilevel problem is one convex program; solve, move, repeat while
  it improves; a point counts only where the optimistic selection meeting the leader's
  constraints exists). Derivative-free steps stall on ridges — a kink such as a balance
  penalty whose minimum runs along ``demand(σ) = supply(σ)``, aligned with no search
  direction — which the piece's program handles exactly.
* **Several objectives**: the Pareto set (non-dominated feasible individuals of the final
  population) is returned in ``extra["pareto"]`` as ``{"signals", "objectives"}`` entries.
  With ``polish``, the GA's front is normalised by its ranges (``f̂ = (f − min)/(max − min)``,
  a zero range counting as 1); first, with ``anchors``, a single-objective GA per objective
  (NSGA-II on that objective alone, loop ``anchor <name>``, history phase ``"anchor"``) whose
  evaluations join the archive — NSGA-III spreads its population over the front and rarely
  reaches its ends; then ``m + 1`` weighted sums are polished together (one batched
  pattern search, each sum from its ``polish_starts`` best front points, then the piece
  descent from the archive's best points for that sum): every single
  objective (the front's ends) and the compromise ``Σ_k f̂_k``. A weighted-sum minimiser is
  Pareto optimal, so each polished point joins the set (non-dominated filtering again) and
  moves it onto the true front where the GA stopped short of it; ``extra["scalarised"]``
  lists them with their weights on the raw objectives (``λ_k / range_k``), so that an exact
  method can be run on the same sums (:func:`gamecore.scalarise.weighted_sum`). The chosen
  point is the polished compromise (without ``polish``: the front member with the least
  ``Σ_k f̂_k``; ties to the first). Tie-breaking uses the first objective. The certificate
  bounds the chosen point's first objective with the others held (its Pareto regret,
  :mod:`gamecore.bounds`).

Status: ``converged`` when the stall rule held and the polish (if any; several objectives
too) ended by its own stopping rules rather than ``polish_max_iter`` — or the piece descent
after it did (a local optimum over pieces) (read from the two loops' ``LoopRun.status``);
``max_iter`` otherwise (also when the time limit or the callback stopped a loop; the message
gives the driver's reason); ``failed`` when no individual had every follower feasible and the
leader's constraints met, or when the time limit had passed before the first generation. When every signal
is fixed by its bounds, the one point is evaluated (no GA) and ``converged`` if feasible. The driver then
certifies the answer (optimistic gap, leader regret against a bound, leader violation) and
downgrades an uncertified ``converged``. Seeded from the solve's seed: the same seed gives
the same result. History: one row per generation (``phase="ga"``: best objective(s), front
size, population diversity = mean standard deviation of the normalised signals, cumulative
evaluations and failures, best/chosen signals) and one per polish iteration
(``phase="polish"``: ``polish_iteration``, best objective, step, active starts, cumulative
evaluations, signals); ``iteration`` counts on across both (a polish row's is the number of
generations plus its ``polish_iteration``). ``Result.loops`` lists both loops.
``extra``: ``evaluations`` (GA), ``polish_evaluations``, ``pool_calls`` (one per generation
and one per polish iteration), failures, ``tie_broken_followers``, ``leader_model`` (exact
or fallback), ``ga_objective`` / ``polished_objective``, ``response_selection`` (how the
reported responses were chosen).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.algorithms.moo.nsga3 import NSGA3
from pymoo.core.algorithm import Algorithm
from pymoo.core.problem import Problem
from pymoo.core.repair import Repair
from pymoo.core.termination import NoTermination
from pymoo.operators.crossover.sbx import SBX
from pymoo.operators.mutation.pm import PM
from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting
from pymoo.util.ref_dirs import get_reference_directions

from gamecore.canonical import Response
from gamecore.driver import LoopRun, MaxIter, Rule
from gamecore.errors import ResourceLimitError, StrategyError
from gamecore.game import Game
from gamecore.limits import check_memory
from gamecore.optimistic import LeaderModel, leader_recourse, optimistic_selection, outputs_unique
from gamecore.options import option, time_limit_option
from gamecore.piece_descent import descent_applicable, piece_descent
from gamecore.result import Status
from gamecore.scalarise import weighted_sum
from gamecore.strategy import Outcome, SolveContext, Strategy, refuse_market_couplings

#: leader-constraint violation (relative) below which an individual counts as feasible
LEADER_TOL = 1e-9

#: memory model of a GA run (bytes), checked by :meth:`NSGAQP.check` against
#: :mod:`gamecore.limits` before anything is allocated. Measured once (peak RSS, 2–40
#: followers, 2–96 signals, populations 400–6400, two generations): pymoo's pairwise
#: matrices over parents + offspring (duplicate elimination, constrained non-dominated
#: sorting) grow as pop² (≈ 18 B × pop² measured), the rest linearly: per individual its
#: pymoo ``Individual`` and bookkeeping, its signal vector (population, offspring, archive
#: copies) and one ``Response`` per follower with its outputs. Rounded up.
MEMORY_PER_PAIR = 24            # bytes per pop²
MEMORY_PER_INDIVIDUAL = 2048    # bytes per individual
MEMORY_PER_SIGNAL = 64          # bytes per individual per signal entry
MEMORY_PER_RESPONSE = 1024      # bytes per individual per follower
MEMORY_PER_OUTPUT = 16          # bytes per individual per follower output entry
MEMORY_PER_ARCHIVED_SIGNAL = 8  # bytes per individual per generation per signal entry (the archive)


@dataclass
class NSGAQPOptions:
    """Options of ``nsga-qp``. ``tol``: the stall rule's threshold on the relative improvement
    ``Δ / max(1, |f|)`` of the best objective(s) over the last ``stall_window`` generations."""

    max_iter: int = option(200, doc="generations (iterations) at most", ge=1)
    pop_size: int = option(0, doc="population size; 0 = automatic (clip(n_var, 20, 50), at least the number of "
                                  "reference directions for several objectives, rounded up to a multiple of 4)",
                           ge=4, also=(0,))
    tol: float = option(1e-3, doc="stall rule: relative improvement of the best objective(s) below which the GA "
                                  "stops", ge=0, lt=1)
    stall_window: int = option(10, doc="generations (and polish iterations) the stall rules look back", ge=1)
    partitions: int = option(12, doc="Das–Dennis partitions per objective for NSGA-III's reference directions",
                             ge=1)
    crossover_eta: float = option(15.0, doc="SBX crossover distribution index", gt=0)
    crossover_prob: float = option(0.9, doc="SBX crossover probability", ge=0, le=1)
    mutation_eta: float = option(20.0, doc="polynomial mutation distribution index", gt=0)
    polish: bool = option(True, doc="refine the best individuals by the batched pattern search (several "
                                    "objectives: the single objectives and the compromise weighted sum)")
    polish_pieces: bool = option(True, doc="after the pattern search, descend over the followers' complementarity "
                                           "pieces (gamecore.piece_descent; LP/QP followers)")
    descent_starts: int = option(20, doc="distinct GA points (besides the pattern search's) the piece descent starts "
                                         "from", ge=0)
    anchors: bool = option(True, doc="several objectives with polish: before polishing, a single-objective GA per "
                                     "objective (its evaluations seed the polish of the front's ends)")
    polish_max_iter: int = option(300, doc="polish iterations (one pool call each) at most", ge=1)
    polish_starts: int = option(3, doc="distinct best individuals the polish starts from", ge=1)
    polish_step: float = option(0.0, doc="first pattern step (fraction of each signal's range); 0 = automatic",
                                ge=0, le=0.5)
    polish_step_tol: float = option(1e-7, doc="a start ends when its step falls below this (fraction of the "
                                              "signal range)", gt=0, lt=0.01)
    polish_shrink: float = option(0.5, doc="factor applied to the step after an unsuccessful iteration", gt=0, lt=1)
    polish_tol: float = option(1e-7, doc="a start also ends when its objective improved by less than this "
                                         "(relative) over the last stall_window polish iterations", ge=0, lt=1)
    time_limit: float | None = time_limit_option()


# ----------------------------------------------------------------------------- evaluation
@dataclass
class _Counters:
    """Evaluation bookkeeping (individual = one signal vector = one response per follower)."""

    evaluations: int = 0
    polish_evaluations: int = 0
    pool_calls: int = 0
    failed_evaluations: int = 0
    failed_solves: int = 0
    failures_by_follower: dict[str, int] = field(default_factory=dict)


@dataclass
class _Batch:
    """Objectives ``F`` (n, m; +inf where a follower failed), failing followers ``fails`` (n,) and
    leader violation ``viol`` (n,; +inf where a follower failed) of a batch of signal vectors."""

    F: np.ndarray
    fails: np.ndarray
    viol: np.ndarray

    @property
    def feasible(self) -> np.ndarray:
        return (self.fails == 0) & (self.viol <= LEADER_TOL) & np.all(np.isfinite(self.F), axis=1)


class _Evaluator:
    """Leader objectives and constraints of a batch of signal vectors, one pool call per batch,
    with optimistic tie-breaking of the followers whose optimal sets can be non-unique."""

    def __init__(self, ctx: SolveContext, counters: _Counters) -> None:
        self.ctx = ctx
        self.game: Game = ctx.game
        self.counters = counters
        self.n_obj = len(self.game.leader.objectives)
        self.models = [LeaderModel(self.game, k) for k in range(self.n_obj)]
        self.tied = [i for i, f in enumerate(self.game.followers) if not outputs_unique(f.program)]
        #: the entries the GA searches: those the followers see (the leader's own entries,
        #: ``game.leader_only``, are chosen by recourse at each individual's responses)
        self.searched = ~self.game.leader_only
        lower, upper = self.game.layout.lower(), self.game.layout.upper()
        self._base = np.clip(0.5 * (lower + upper), lower, upper)
        #: outputs of the best feasible individual so far (the tie-break models' reference point)
        self.reference: list[dict[str, np.ndarray]] | None = None
        self._best = np.inf
        #: every GA evaluation: signal vectors, objectives (n, m), leader violation (inf: a follower failed)
        self.archive: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def embed(self, X: np.ndarray) -> np.ndarray:
        """Full signal vectors (n, layout.size) from the GA's (n, searched entries); the leader's own
        entries at their box midpoint (recourse replaces them when evaluated)."""
        X = np.atleast_2d(X)
        full = np.tile(self._base, (X.shape[0], 1))
        full[:, self.searched] = X
        return full

    def complete(self, vector: np.ndarray, responses: list[Response]) -> np.ndarray:
        """``vector`` with the leader's own entries at their best for ``responses`` (unchanged when
        the game has none, or when no own decisions meet the leader's constraints there)."""
        if not self.game.has_leader_only:
            return vector
        recourse = leader_recourse(self.game, vector, responses)
        return self.ctx.project(recourse.signals) if recourse.signals is not None else vector

    def __call__(self, X: np.ndarray, polish: bool = False) -> _Batch:
        ctx, game, c = self.ctx, self.game, self.counters
        vectors = [game.layout.round_integers(ctx.project(x)) for x in np.atleast_2d(X)]
        if self.tied:
            ties = [self.models[0].tie_breaks(v, self.tied, self.reference) for v in vectors]
            rows = ctx.pool.respond_many_tied(vectors, ties, keep_x=False, raise_on_failure=False)
        else:
            rows = ctx.pool.respond_many(vectors, keep_x=False, raise_on_failure=False)
        c.pool_calls += 1
        if polish:
            c.polish_evaluations += len(vectors)
        else:
            c.evaluations += len(vectors)
        F = np.full((len(vectors), self.n_obj), np.inf)
        fails = np.zeros(len(vectors), dtype=int)
        viol = np.full(len(vectors), np.inf)
        for b, (vector, row) in enumerate(zip(vectors, rows)):
            bad = [i for i, r in enumerate(row) if not r.ok]
            if bad:
                fails[b] = len(bad)
                c.failed_evaluations += 1
                c.failed_solves += len(bad)
                for i in bad:
                    fname = game.followers[i].name
                    c.failures_by_follower[fname] = c.failures_by_follower.get(fname, 0) + 1
                continue
            if game.has_leader_only:
                # the leader's own entries at their best for these responses (first objective)
                recourse = leader_recourse(game, vector, row)
                if recourse.signals is None:
                    # no own decisions meet the leader's constraints: infeasible, ranked by the
                    # violation at the box-midpoint decisions
                    F[b] = [m.value(vector, row) for m in self.models]
                    viol[b] = max(self.models[0].violation(vector, row), 10 * LEADER_TOL)
                    continue
                vector = vectors[b] = ctx.project(recourse.signals)
            F[b] = [m.value(vector, row) for m in self.models]
            viol[b] = self.models[0].violation(vector, row)
            if viol[b] <= LEADER_TOL and F[b, 0] < self._best:
                self._best = float(F[b, 0])
                self.reference = [r.outputs for r in row]
        if not polish:
            self.archive.append((np.array(vectors), F.copy(), viol.copy()))
        return _Batch(F, fails, viol)

    def responses(self, vector: np.ndarray) -> tuple[list[Response] | None, str, np.ndarray]:
        """The responses reported at the final signals (None: the best responses, which the driver
        computes), how they were selected, and the signals (the leader's own entries at their
        best for those responses)."""
        ctx = self.ctx
        if not self.tied:
            if not self.game.has_leader_only:
                return None, "best responses (every follower's outputs are unique)", vector
            best = ctx.respond(vector)
            return best, "best responses (every follower's outputs are unique)", self.complete(vector, best)
        best = ctx.respond(vector)
        selection = optimistic_selection(self.game, vector, best)
        if selection.responses is not None and selection.signals is not None:
            return (selection.responses, "optimistic selection (exact, leader constraints included)",
                    ctx.project(selection.signals))
        ties = self.models[0].tie_breaks(vector, self.tied, self.reference)
        rows = ctx.pool.respond_many_tied([ctx.project(vector)], [ties], keep_x=True)
        return (rows[0], f"tie-broken responses (optimistic selection not available: {selection.status})",
                self.complete(vector, rows[0]))


class _SignalProblem(Problem):
    """pymoo problem over the signal box; ``G₁ = failing followers``, ``G₂ = leader violation − tol``."""

    def __init__(self, evaluator: _Evaluator, lower: np.ndarray, upper: np.ndarray,
                 weights: np.ndarray | None = None) -> None:
        self.constrained = evaluator.game.has_leader_constraints
        super().__init__(n_var=lower.size, n_obj=evaluator.n_obj if weights is None else 1,
                         n_ieq_constr=1 + int(self.constrained), xl=lower, xu=upper)
        self.evaluator = evaluator
        self.weights = weights          # a weighted sum of the objectives as the one objective

    def _evaluate(self, X: np.ndarray, out: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        batch = self.evaluator(self.evaluator.embed(X))
        out["F"] = batch.F if self.weights is None else _scalar(batch.F, self.weights)[:, None]
        G = [batch.fails.astype(float)]
        if self.constrained:
            G.append(np.where(np.isfinite(batch.viol), batch.viol - LEADER_TOL, 1e12))
        out["G"] = np.column_stack(G)


@dataclass
class _Run:
    """State of the GA loop (``ctx.driver``'s ``"generations"`` loop) while it runs and after it ended.

    ``stalled``: the loop ended by its own rules (the stall rule, or no new distinct individual
    left to evaluate), not by ``max_iter``, the solve's time limit or the callback; ``loop``: the
    driver's record of the loop (status, reason)."""

    algorithm: Algorithm
    pop_size: int
    n_dirs: int
    generations: int = 0
    stalled: bool = False
    history: list[dict[str, Any]] = field(default_factory=list)
    loop: LoopRun | None = None
    pending: Any = None            # the next generation's offspring, asked ahead of its iteration

    @property
    def ended(self) -> LoopRun:
        """The driver's record of the finished generations loop."""
        assert self.loop is not None, "the generations loop has not run yet"
        return self.loop
    stall_held: bool = False       # the stall rule held after the last generation
    exhausted: bool = False        # the next generation has no new distinct individual


# ----------------------------------------------------------------------------- strategy
class NSGAQP(Strategy[NSGAQPOptions]):
    name = "nsga-qp"
    equilibrium = "stackelberg"
    integer_signals = True      # integer entries rounded by a repair (module docstring)
    summary = ("NSGA-II/III over the leader's signals, followers as QPs with optimistic tie-breaking, "
               "leader constraints, pattern-search polish")
    Options = NSGAQPOptions

    def check(self, game: Game) -> None:
        """Also refuses: a leader with market couplings (their prices clear balances; they are not
        free leader decisions to search); an unbounded signal; ``pop_size`` below NSGA-III's reference directions;
        a population (``pop_size``, or the automatic one, which ``partitions`` drives with several
        objectives) whose estimated memory (:func:`memory_estimate`) exceeds the limit of
        :mod:`gamecore.limits` (``GAMECORE_MAX_MEMORY_GB``, default half the machine's memory)."""
        super().check(game)
        refuse_market_couplings(self.name, game)
        for sig in game.layout.signals.values():
            if not sig.bounded:
                raise StrategyError(f"strategy '{self.name}' searches the signal box, but signal '{sig.name}' "
                                    f"has an infinite bound (lower {np.min(sig.lower_array):g}, upper "
                                    f"{np.max(sig.upper_array):g}); give it finite lower and upper bounds")
        n_obj = len(game.leader.objectives)
        self._check_memory(game, n_obj)
        if n_obj > 1 and self.options.pop_size:
            n_dirs = _n_directions(n_obj, self.options.partitions)
            if self.options.pop_size < n_dirs:
                raise StrategyError(f"strategy '{self.name}': pop_size={self.options.pop_size} is below the "
                                    f"{n_dirs} NSGA-III reference directions of {n_obj} objectives with "
                                    f"partitions={self.options.partitions}; raise pop_size or lower partitions")

    def _check_memory(self, game: Game, n_obj: int) -> None:
        """:class:`StrategyError` naming ``pop_size`` (and ``partitions``) and the limit when the
        run's estimated memory exceeds it."""
        opts: NSGAQPOptions = self.options
        n_var = game.layout.size
        pop = _population_size(opts, n_obj, n_var)
        outputs = [sum(int(np.prod(shape, dtype=np.int64)) for shape in f.output_shapes.values())
                   for f in game.followers]
        if opts.pop_size:
            what = f"pop_size={opts.pop_size}"
        else:
            drivers = f" from partitions={opts.partitions} with {n_obj} objectives" if n_obj > 1 else ""
            what = f"pop_size=0 (automatic: {pop}{drivers})"
        try:
            check_memory(memory_estimate(pop, n_var, outputs, opts.max_iter),
                         f"strategy '{self.name}' with {what}, {n_var} signals and {len(outputs)} followers "
                         f"sending {sum(outputs)} outputs", keyword=None,
                         remedy="lower pop_size" + (" or partitions" if n_obj > 1 else ""))
        except ResourceLimitError as err:
            raise StrategyError(str(err)) from err

    def run(self, ctx: SolveContext) -> Outcome:
        self.check(ctx.game)
        opts: NSGAQPOptions = ctx.options
        counters = _Counters()
        evaluator = _Evaluator(ctx, counters)
        if np.all(ctx.game.layout.upper() <= ctx.game.layout.lower()):
            return self._fixed(ctx, evaluator)
        run = self._evolve(ctx, evaluator)
        if evaluator.n_obj > 1 and opts.polish and opts.anchors and run.generations:
            for k, objective in enumerate(ctx.game.leader.objectives):
                # the front's ends: NSGA-III spreads its population over the front and rarely finds
                # them; a short single-objective GA per objective leaves its evaluations in the
                # archive the ends' polish starts from
                anchor = self._evolve(ctx, evaluator, np.eye(evaluator.n_obj)[k], name=f"anchor {objective.name}")
                first = run.history[-1]["iteration"] if run.history else 0
                run.history.extend({**row, "phase": "anchor", "iteration": first + row["iteration"]}
                                   for row in anchor.history)
        if run.generations == 0:     # the solve's time limit had passed before the first generation
            extra0: dict[str, Any] = {"algorithm": "NSGA-II" if evaluator.n_obj == 1 else "NSGA-III",
                                      "pop_size": run.pop_size, "generations": 0, "polish_iterations": 0}
            extra0.update(_counters_dict(counters))
            return Outcome("failed", f"no generation ran: {run.ended.reason}", 0,
                           np.full(ctx.game.layout.size, np.nan), extra=extra0)
        X, F, _ = _front(run.algorithm)
        X = evaluator.embed(X)
        extra: dict[str, Any] = {"algorithm": "NSGA-II" if evaluator.n_obj == 1 else "NSGA-III",
                                 "pop_size": run.pop_size, "generations": run.generations, "polish_iterations": 0,
                                 "tie_broken_followers": [ctx.game.followers[i].name for i in evaluator.tied],
                                 "leader_model": "exact" if evaluator.models[0].exact
                                 else f"fallback ({evaluator.models[0].reason})"}
        if evaluator.n_obj > 1:
            extra["reference_directions"] = run.n_dirs
        if len(F) == 0:
            extra.update(_counters_dict(counters))
            what = ("every follower feasible and the leader's constraints met" if ctx.game.has_leader_constraints
                    else "every follower feasible")
            stop = "" if run.stalled or isinstance(run.ended.stopped_by, MaxIter) else f" (stopped: {run.ended.reason})"
            return Outcome("failed", f"no individual in {run.generations} generations{stop} had {what} "
                           f"({counters.failed_evaluations} of {counters.evaluations} evaluations had a failing "
                           f"follower; by follower: {counters.failures_by_follower})", run.generations,
                           np.full(ctx.game.layout.size, np.nan), history=run.history, extra=extra)
        ga_msg = _ga_message(run, opts)
        if evaluator.n_obj == 1:
            vector, ok, message = self._single(ctx, evaluator, run, X, F, extra)
        else:
            vector, ok, message = self._multi(ctx, evaluator, run, X, F, extra)
        vector = ctx.game.layout.round_integers(ctx.project(vector))
        responses, how, vector = evaluator.responses(vector)
        extra["response_selection"] = how
        extra.update(_counters_dict(counters))
        status: Status = "converged" if run.stalled and ok else "max_iter"
        return Outcome(status, f"{ga_msg}; {message}", run.generations, vector, responses=responses,
                       history=run.history, extra=extra)

    @staticmethod
    def _fixed(ctx: SolveContext, evaluator: _Evaluator) -> Outcome:
        """Every signal fixed by its bounds: the one point is the answer (one evaluation, no GA)."""
        vector = ctx.game.layout.lower()
        batch = evaluator(vector[None, :])
        extra: dict[str, Any] = {"algorithm": "none (every signal is fixed by its bounds)", "generations": 0,
                                 "polish_iterations": 0,
                                 "tie_broken_followers": [ctx.game.followers[i].name for i in evaluator.tied]}
        extra.update(_counters_dict(evaluator.counters))
        if not batch.feasible[0]:
            return Outcome("failed", "every signal is fixed by its bounds and that point is infeasible "
                           f"({int(batch.fails[0])} failing followers, leader violation {batch.viol[0]:.3g})", 0,
                           vector, extra=extra)
        responses, how, vector = evaluator.responses(vector)
        extra["response_selection"] = how
        return Outcome("converged", f"every signal is fixed by its bounds; objective {batch.F[0, 0]:.10g}", 0,
                       vector, responses=responses, extra=extra)

    def _evolve(self, ctx: SolveContext, evaluator: _Evaluator, weights: np.ndarray | None = None,
                name: str = "generations") -> _Run:
        """The ask / evaluate (one pool call) / tell loop, run by ``ctx.driver`` as the loop
        ``name``: until the stall rule, no new distinct individual, ``max_iter``, or the
        solve's time limit / the user's callback (then ``run.stalled`` is False). ``weights``:
        evolve one weighted sum of the objectives (NSGA-II) instead of all of them."""
        opts: NSGAQPOptions = ctx.options
        searched = evaluator.searched
        lower, upper = ctx.game.layout.lower()[searched], ctx.game.layout.upper()[searched]
        n_obj = evaluator.n_obj if weights is None else 1
        pop_size, ref_dirs = _sizes(opts, n_obj, lower.size)
        seed = int(ctx.rng.integers(0, 2**31 - 1))
        integer = ctx.game.layout.integer_mask()[searched]
        sample = _initial_sample(ctx.rng, lower, upper, pop_size)
        sample[:, integer] = np.round(sample[:, integer])
        algorithm = _algorithm(opts, pop_size, ref_dirs, sample, integer)
        problem = _SignalProblem(evaluator, lower, upper, weights)
        algorithm.setup(problem, termination=NoTermination(), seed=seed, verbose=False)
        run = _Run(algorithm, pop_size, 0 if ref_dirs is None else len(ref_dirs))
        bests: list[np.ndarray] = []

        def step(generation: int) -> dict[str, Any]:
            # the first generation asks here (the initial sample: never empty); later ones were
            # asked at the end of the previous generation, so that an empty one stops the loop
            pop = run.pending if run.pending is not None else algorithm.ask()
            run.pending = None
            algorithm.evaluator.eval(problem, pop)
            algorithm.tell(infills=pop)
            run.generations = generation
            X, F, front = _front(algorithm)
            best = F.min(axis=0) if len(F) else np.full(n_obj, np.inf)
            bests.append(best)
            chosen = _choose(F) if len(F) else None
            run.stall_held = _stalled(bests, opts.stall_window, opts.tol)
            if not run.stall_held and generation < opts.max_iter:
                # ask the next generation now (same ask / evaluate / tell order as one loop body):
                # no new distinct individual (a tiny box) leaves nothing to try
                run.pending = algorithm.ask()
                run.exhausted = run.pending is None or len(run.pending) == 0
            full = evaluator.embed(X) if len(X) else np.zeros((0, evaluator.searched.size))
            return _ga_row(generation, best, algorithm, front, full, chosen, lower, upper, evaluator.counters)

        loop = ctx.driver.run(name, step, until=[
            Rule(lambda _: run.stall_held, f"best objective improved by < tol={opts.tol:g} (relative) over "
                                           f"stall_window={opts.stall_window} generations"),
            Rule(lambda _: run.exhausted, "no new distinct individual left to evaluate"),
            MaxIter(opts.max_iter)])
        run.loop, run.history, run.stalled = loop, list(loop.history), loop.converged
        run.pending = None
        return run

    @staticmethod
    def _single(ctx: SolveContext, evaluator: _Evaluator, run: _Run, X: np.ndarray, F: np.ndarray,
                extra: dict[str, Any]) -> tuple[np.ndarray, bool, str]:
        """Best individual, polished if asked: (vector, polish ended by its own rule, message)."""
        opts: NSGAQPOptions = ctx.options
        k = int(np.argmin(F[:, 0]))
        vector, value = X[k].copy(), float(F[k, 0])
        extra["ga_objective"] = value
        if not opts.polish:
            return vector, True, f"best objective {value:.10g} (no polish)"
        starts = _starts(evaluator.archive, ctx.game, opts.polish_starts)
        step = opts.polish_step or _auto_step(run.algorithm, ctx.game, evaluator.searched)
        search = _PatternSearch(ctx, evaluator, starts, step, opts)
        polished, pvalue, ok, message = search.run()
        # numbered after the generations, so that the history's iteration column keeps increasing
        run.history.extend({**row, "iteration": run.generations + row["polish_iteration"]} for row in search.rows)
        extra["polish_iterations"] = len(search.rows)
        extra["polish_starts"] = len(starts)
        extra["polished_objective"] = pvalue
        if pvalue < value:
            vector, value = polished, pvalue
        if opts.polish_pieces and np.isfinite(value):
            more = [x for x, _, _ in _starts(evaluator.archive, ctx.game, opts.descent_starts)]
            refined, rvalue, why, done = _piece_polish(ctx, evaluator, run, search.incumbents(0) + more,
                                                       np.eye(evaluator.n_obj)[0], extra)
            message += f"; {why}"
            ok = ok or done         # a descent that ended by its rule: a local optimum over pieces
            if rvalue < value:
                vector, value = refined, rvalue
        return vector, ok, f"best objective {value:.10g}; {message}"

    @staticmethod
    def _multi(ctx: SolveContext, evaluator: _Evaluator, run: _Run, X: np.ndarray, F: np.ndarray,
               extra: dict[str, Any]) -> tuple[np.ndarray, bool, str]:
        """Pareto set into ``extra`` and the chosen point (module docstring): with ``polish``, the
        weighted-sum polish of every single objective and of the compromise, whose points join the
        set; the chosen point is the polished compromise (else the front's compromise).

        With leader-only entries each point's signals are completed by the recourse of the first
        objective at its responses (one pool call)."""
        opts: NSGAQPOptions = ctx.options
        m = F.shape[1]
        lo, hi = F.min(axis=0), F.max(axis=0)
        span = np.where(hi - lo > 0, hi - lo, 1.0)
        lambdas = [np.eye(m)[k] for k in range(m)] + [np.full(m, 1.0 / m)]
        weights = [lam / span for lam in lambdas]          # on the raw objectives
        ok, polish_msg, compromise = True, "not polished", None
        if opts.polish:
            starts: list[tuple[np.ndarray, float, float]] = []
            groups: list[int] = []
            for g, w in enumerate(weights):
                for j in np.argsort(_scalar(F, w), kind="stable")[:opts.polish_starts]:
                    starts.append((X[j], float(_scalar(F[j], w)), 0.0))
                    groups.append(g)
            step = opts.polish_step or _auto_step(run.algorithm, ctx.game, evaluator.searched)
            search = _PatternSearch(ctx, evaluator, starts, step, opts, [weights[g] for g in groups], groups)
            _, _, ok, _ = search.run()
            polish_msg = (f"weighted-sum polish of {len(weights)} scalarisations: {len(search.rows)} pattern-search "
                          f"iterations ({'every start ended by its own rule' if ok else 'stopped early'})")
            run.history.extend({**row, "iteration": run.generations + row["polish_iteration"]} for row in search.rows)
            extra["polish_iterations"] = len(search.rows)
            points = np.array([search.best_of(g)[0] for g in range(len(weights))])
            if opts.polish_pieces:
                whys, all_done = [], True
                for g, w in enumerate(weights):
                    more = [x for x, _, _ in _starts(evaluator.archive, ctx.game, opts.descent_starts, w)]
                    points[g], _, why, done = _piece_polish(ctx, evaluator, run, search.incumbents(g) + more, w,
                                                            extra)
                    whys.append(why)
                    all_done = all_done and done
                ok = ok or all_done
                polish_msg += "; " + "; ".join(sorted(set(whys)))
            batch = evaluator(points, polish=True)
            extra["scalarised"] = [
                {"normalised_weights": lam.tolist(), "weights": w.tolist(), "signals": x.tolist(),
                 "objectives": f.tolist(), "value": float(_scalar(f, w)), "feasible": bool(feasible)}
                for lam, w, x, f, feasible in zip(lambdas, weights, points, batch.F, batch.feasible)]
            keep = batch.feasible
            X, F = _non_dominated(np.vstack([X, points[keep]]), np.vstack([F, batch.F[keep]]))
            if keep[-1]:
                compromise = int(np.argmin(np.max(np.abs(X - points[-1]), axis=1)))
        k = compromise if compromise is not None else _choose(F)
        if ctx.game.has_leader_only:
            rows = ctx.pool.respond_many([ctx.project(x) for x in X], keep_x=False, raise_on_failure=False)
            X = np.array([evaluator.complete(ctx.project(x), list(r)) if all(q.ok for q in r) else x
                          for x, r in zip(X, rows)])
        extra["pareto"] = [{"signals": x.tolist(), "objectives": f.tolist()} for x, f in zip(X, F)]
        extra["chosen_index"] = k
        extra["choice_rule"] = ("minimum of the sum of the objectives normalised by their ranges on the GA's front"
                                + (" (the compromise weighted sum), polished" if compromise is not None else ""))
        extra["objective_names"] = [o.name for o in ctx.game.leader.objectives]
        return X[k].copy(), ok, (f"Pareto set of {len(F)} points, chosen #{k} with objectives "
                                 f"{np.array2string(F[k], precision=6)}; {polish_msg}")


def _piece_polish(ctx: SolveContext, evaluator: _Evaluator, run: _Run, starts: list[np.ndarray], weights: np.ndarray,
                  extra: dict[str, Any]) -> tuple[np.ndarray, float, str, bool]:
    """The descent over complementarity pieces (:func:`gamecore.piece_descent.piece_descent`) on the
    weighted sum ``weights`` of the objectives from each of ``starts`` (the pattern search's final
    points, best first): (best point, its value, what happened, whether it ended by its own rule).
    Its rows join the history (phase ``"piece-descent"``), its pool calls the polish counters."""
    game = ctx.game if evaluator.n_obj == 1 else weighted_sum(ctx.game, weights.tolist())
    reason = descent_applicable(game)
    if reason is not None:
        return starts[0], np.inf, f"piece descent skipped: {reason}", False

    def evaluate(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        batch = evaluator(X, polish=True)
        return _scalar(batch.F, weights), batch.feasible

    before = evaluator.counters.pool_calls
    point, value, why, rows, done = piece_descent(ctx, game, starts, evaluate, max_iter=ctx.options.polish_max_iter)
    first = run.history[-1]["iteration"] if run.history else run.generations
    run.history.extend({**row, "iteration": first + row["iteration"]} for row in rows)
    evaluator.counters.pool_calls += sum(row["pool_calls"] for row in rows)
    extra["piece_descent_iterations"] = extra.get("piece_descent_iterations", 0) + len(rows)
    extra["piece_descent_pool_calls"] = (extra.get("piece_descent_pool_calls", 0)
                                         + evaluator.counters.pool_calls - before)
    return point, value, f"piece descent from {len(starts)} start(s): {len(rows)} pieces ({why})", done


def _counters_dict(c: _Counters) -> dict[str, Any]:
    return {"evaluations": c.evaluations, "polish_evaluations": c.polish_evaluations, "pool_calls": c.pool_calls,
            "failed_evaluations": c.failed_evaluations, "failed_solves": c.failed_solves,
            "failures_by_follower": dict(c.failures_by_follower)}


# ----------------------------------------------------------------------------- GA helpers
def _n_directions(n_obj: int, partitions: int) -> int:
    """Number of Das–Dennis reference directions of ``n_obj`` objectives, counted without
    generating them: C(partitions + n_obj − 1, n_obj − 1)."""
    return math.comb(partitions + n_obj - 1, n_obj - 1)


def _population_size(opts: NSGAQPOptions, n_obj: int, n_var: int) -> int:
    """The population size: ``pop_size``, or the automatic ``clip(n_var, 20, 50)`` (made even;
    several objectives: at least the reference directions, rounded up to a multiple of 4)."""
    if opts.pop_size:
        return opts.pop_size
    auto = int(np.clip(n_var, 20, 50))
    if n_obj == 1:
        return auto + auto % 2
    return -(-max(auto, _n_directions(n_obj, opts.partitions)) // 4) * 4


def memory_estimate(pop: int, n_signals: int, output_sizes: list[int], generations: int) -> float:
    """Estimated peak memory (bytes) of a GA run: ``pop`` individuals over ``n_signals`` signal
    entries, followers sending ``output_sizes`` output entries each, ``generations`` generations
    (the archive of evaluated signal vectors); see :data:`MEMORY_PER_PAIR` and the figures after it."""
    per_individual = (MEMORY_PER_INDIVIDUAL + MEMORY_PER_SIGNAL * n_signals
                      + sum(MEMORY_PER_RESPONSE + MEMORY_PER_OUTPUT * m for m in output_sizes)
                      + MEMORY_PER_ARCHIVED_SIGNAL * n_signals * generations)
    size = float(min(pop, 10**100))   # beyond any limit already; keeps float() from overflowing
    return MEMORY_PER_PAIR * size * size + float(per_individual) * size


def _sizes(opts: NSGAQPOptions, n_obj: int, n_var: int) -> tuple[int, np.ndarray | None]:
    """Population size and (several objectives) the Das–Dennis reference directions (n_dirs, m)."""
    if n_obj == 1:
        return _population_size(opts, n_obj, n_var), None
    ref_dirs = get_reference_directions("das-dennis", n_obj, n_partitions=opts.partitions)
    return _population_size(opts, n_obj, n_var), ref_dirs


class _RoundIntegers(Repair):
    """pymoo repair: round the integer entries (boolean ``mask`` over the k signal entries) of
    every individual; the bounds of integer signals are integers, so the result stays in the box."""

    def __init__(self, mask: np.ndarray) -> None:
        super().__init__()
        self.mask = mask

    def _do(self, problem: Any, X: np.ndarray, **kwargs: Any) -> np.ndarray:
        X = np.array(X, dtype=float)
        X[:, self.mask] = np.round(X[:, self.mask])
        return X


def _algorithm(opts: NSGAQPOptions, pop_size: int, ref_dirs: np.ndarray | None, sample: np.ndarray,
               integer: np.ndarray) -> Algorithm:
    """NSGA-II (``ref_dirs=None``: one objective) or NSGA-III, with fresh operators and the given
    initial population ``sample`` (pop_size, k); ``integer`` (k,) marks the entries a repair rounds."""
    kwargs: dict[str, Any] = {"pop_size": pop_size, "sampling": sample, "eliminate_duplicates": True,
                              "crossover": SBX(eta=opts.crossover_eta, prob=opts.crossover_prob),
                              "mutation": PM(eta=opts.mutation_eta)}
    if integer.any():
        kwargs["repair"] = _RoundIntegers(integer)
    return NSGA2(**kwargs) if ref_dirs is None else NSGA3(ref_dirs=ref_dirs, **kwargs)


def _initial_sample(rng: np.random.Generator, lower: np.ndarray, upper: np.ndarray, size: int) -> np.ndarray:
    """Uniform samples in the box, shape (size, k); the first three replaced by the box midpoint and
    its lower and upper corners (optima of bilevel problems often sit on the box)."""
    X = lower + rng.random((size, lower.size)) * (upper - lower)
    X[0] = 0.5 * (lower + upper)
    if size >= 3:
        X[1], X[2] = lower, upper
    return X


def _front(algorithm: Algorithm) -> tuple[np.ndarray, np.ndarray, int]:
    """Distinct non-dominated feasible individuals of the population: ``X`` (n, k), ``F`` (n, m),
    and the size of that front."""
    pop = algorithm.pop
    X, F, CV = pop.get("X"), pop.get("F"), pop.get("CV").ravel()
    feasible = (CV <= 0) & np.all(np.isfinite(F), axis=1)
    X, F = _non_dominated(X[feasible], F[feasible])
    return X, F, len(F)


def _non_dominated(X: np.ndarray, F: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct non-dominated rows of ``(X, F)``, sorted by the objectives (lexicographic)."""
    if len(F) == 0:
        return X, F
    nd = NonDominatedSorting().do(F, only_non_dominated_front=True)
    X, F = X[nd], F[nd]
    _, unique = np.unique(np.round(X, 12), axis=0, return_index=True)
    unique = np.sort(unique)
    X, F = X[unique], F[unique]
    order = np.lexsort(F.T[::-1])
    return X[order], F[order]


def _choose(F: np.ndarray) -> int:
    """Index of the front point with the least sum of range-normalised objectives (the compromise)."""
    lo, hi = F.min(axis=0), F.max(axis=0)
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    return int(np.argmin(np.sum((F - lo) / span, axis=1)))


def _ga_row(generation: int, best: np.ndarray, algorithm: Algorithm, front: int, X: np.ndarray,
            chosen: int | None, lower: np.ndarray, upper: np.ndarray, c: _Counters) -> dict[str, Any]:
    span = np.where(upper - lower > 0, upper - lower, 1.0)
    U = (algorithm.pop.get("X") - lower) / span
    row: dict[str, Any] = {"iteration": generation, "phase": "ga",
                           "best_objective": float(best[0]) if best.size == 1 else best.copy(),
                           "front_size": front, "diversity": float(np.mean(np.std(U, axis=0))),
                           "evaluations": c.evaluations, "failed_evaluations": c.failed_evaluations}
    row["signals"] = X[chosen].copy() if chosen is not None else np.full(X.shape[1], np.nan)
    return row


def _ga_message(run: _Run, opts: NSGAQPOptions) -> str:
    """How the generations loop ended: the stall rule, no new individual, ``max_iter``, or the reason
    the driver gives (the solve's time limit, the user's callback)."""
    n = run.generations
    if run.stalled:
        return (f"stall rule held after {n} generations (relative improvement < {opts.tol:g} over "
                f"{opts.stall_window})" if run.stall_held
                else f"no new distinct individual left to evaluate after {n} generations")
    if isinstance(run.ended.stopped_by, MaxIter):
        return f"{n} generations (max_iter) without the stall rule"
    return f"GA stopped after {n} generations: {run.ended.reason}"


def _stalled(bests: list[np.ndarray], window: int, tol: float) -> bool:
    """True when every objective's best improved by < tol relative over the last ``window`` generations."""
    if len(bests) <= window:
        return False
    old, new = bests[-1 - window], bests[-1]
    if not (np.all(np.isfinite(old)) and np.all(np.isfinite(new))):
        return False
    rel = (old - new) / np.maximum(1.0, np.abs(old))
    return bool(np.all(rel < tol))


# ----------------------------------------------------------------------------- polish
def _starts(archive: list[tuple[np.ndarray, np.ndarray, np.ndarray]], game: Game, count: int,
            weights: np.ndarray | None = None) -> list[tuple[np.ndarray, float, float]]:
    """Up to ``count`` distinct best points of every GA evaluation as ``(x, F, violation)``: the best
    (feasible before infeasible, then objective — the weighted sum ``weights`` of the objectives,
    the first by default —, or violation among infeasible ones), then the best point farther
    than 0.1 (normalised, max norm) from those chosen, and so on. Drawing from every generation,
    not only the converged final population, gives the polish starts in other basins the GA
    visited."""
    X = np.vstack([a[0] for a in archive])
    F = _scalar(np.vstack([a[1] for a in archive]), weights)
    V = np.concatenate([a[2] for a in archive])
    ok = np.isfinite(F) & np.isfinite(V)
    X, F, V = X[ok], F[ok], V[ok]
    infeasible = V > LEADER_TOL
    order = np.lexsort((np.where(infeasible, V, F), infeasible))
    lower, upper = game.layout.lower(), game.layout.upper()
    span = np.where(upper - lower > 0, upper - lower, 1.0)
    chosen: list[int] = []
    for j in order:
        if all(np.max(np.abs(X[j] - X[i]) / span) > 0.1 for i in chosen):
            chosen.append(int(j))
        if len(chosen) == count:
            break
    return [(X[j].copy(), float(F[j]), float(V[j])) for j in chosen]


def _auto_step(algorithm: Algorithm, game: Game, searched: np.ndarray) -> float:
    """Twice the final population's spread (mean std of normalised signals), within [1e-3, 0.25];
    ``searched`` marks the entries the GA's individuals hold."""
    lower, upper = game.layout.lower()[searched], game.layout.upper()[searched]
    span = np.where(upper - lower > 0, upper - lower, 1.0)
    U = (algorithm.pop.get("X") - lower) / span
    return float(np.clip(2.0 * np.mean(np.std(U, axis=0)), 1e-3, 0.25))


@dataclass
class _Start:
    """One pattern-search start: incumbent (normalised), its value and violation, step, memory."""

    u: np.ndarray
    f: float
    v: float
    step: float
    active: bool = True
    prev: np.ndarray | None = None            # incumbent before the last success (pattern move)
    newton: np.ndarray | None = None          # diagonal Newton point of the last coordinate poll
    predicted: float = 0.0                    # the decrease its quadratic model predicts
    base: float = np.inf                      # the objective that prediction starts from
    scale: float | None = None                # its move (max norm) when the model is convex
    model_ok: bool = False                    # the last Newton point evaluated met its prediction
    failed: bool = False                      # the last iteration did not improve
    trace: list[float] = field(default_factory=list)   # objective after each iteration (stall rule)
    weights: np.ndarray | None = None         # the objectives' weights it minimises (None: the first)
    group: int = 0                            # starts of one scalarisation share a group


def _scalar(F: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """``F @ weights`` over the objectives with a positive weight (the last axis of ``F``; an
    objective weighted 0 never enters, so its inf cannot make NaN); the first objective for None."""
    if weights is None:
        return F[..., 0]
    on = weights > 0
    return F[..., on] @ weights[on]


def _better(f_new: float, v_new: float, f: float, v: float) -> bool:
    """Feasible before infeasible; then lower objective, or lower violation among infeasible points."""
    if not np.isfinite(f_new):
        return False
    if v_new <= LEADER_TOL:
        return v > LEADER_TOL or f_new < f - 1e-12 * max(1.0, abs(f))
    return v > LEADER_TOL and v_new < v * (1 - 1e-9)


class _PatternSearch:
    """The batched pattern search of the module docstring (all starts share each pool call)."""

    def __init__(self, ctx: SolveContext, evaluate: _Evaluator, starts: list[tuple[np.ndarray, float, float]],
                 step: float, opts: NSGAQPOptions, weights: list[np.ndarray] | None = None,
                 groups: list[int] | None = None) -> None:
        """``starts``: ``(x, value, violation)``; with several objectives, ``weights[j]`` is the
        weighted sum start ``j`` minimises (its ``value`` is that sum) and ``groups[j]`` its
        scalarisation (starts merge only within one; :meth:`best_of` reads each one's result)."""
        self.ctx, self.evaluate, self.opts = ctx, evaluate, opts
        lower, upper = ctx.game.layout.lower(), ctx.game.layout.upper()
        self.lower, self.span = lower, upper - lower
        self.free = (self.span > 0) & evaluate.searched     # the leader's own entries: recourse
        self.k = int(self.free.sum())
        self.rng = np.random.default_rng(int(ctx.rng.integers(0, 2**31 - 1)))
        # the leader's linear constraints on the signals, in normalised coordinates: N u ≤ rhs
        C, d, self.equality = evaluate.models[0].signal_constraints()
        self.normals = C[:, self.free] * self.span[self.free]
        self.rhs = d - C[:, ~self.free] @ lower[~self.free] - C[:, self.free] @ lower[self.free]
        self.starts = [_Start(self._to_u(x), f, max(0.0, cv), step,
                              weights=None if weights is None else weights[j], group=0 if groups is None else groups[j])
                       for j, (x, f, cv) in enumerate(starts)]
        self.rows: list[dict[str, Any]] = []
        self.start_value = min((s.f for s in self.starts if s.v <= LEADER_TOL), default=np.inf)

    def _to_u(self, x: np.ndarray) -> np.ndarray:
        return np.clip((x[self.free] - self.lower[self.free]) / self.span[self.free], 0.0, 1.0)

    def _to_x(self, u: np.ndarray) -> np.ndarray:
        x = self.lower.copy()
        x[self.free] = self.lower[self.free] + self.span[self.free] * u
        return x

    def _directions(self, s: _Start) -> np.ndarray:
        """Poll directions (d, k): ± coordinate directions, plus ± a fresh random orthonormal basis
        (at least two free signals) after an iteration without improvement."""
        eye = np.eye(self.k)
        dirs = [eye, -eye]
        if self.k >= 2 and s.failed:
            v = self.rng.normal(size=self.k)
            v /= np.linalg.norm(v)
            house = eye - 2.0 * np.outer(v, v)
            dirs += [house, -house]
        return np.vstack(dirs + [self._tangent(s)])

    def _tangent(self, s: _Start) -> np.ndarray:
        """± a random orthonormal basis of the directions along the leader's linear signal constraints
        that are active within the step at ``s`` (none when no such constraint is near): the
        feasible descent directions along a constraint that is not axis-aligned, which neither
        coordinate nor random directions find when the feasible cone is narrow."""
        if not self.normals.shape[0]:
            return np.zeros((0, self.k))
        norms = np.linalg.norm(self.normals, axis=1)
        slack = self.rhs - self.normals @ s.u
        active = self.equality | (slack <= s.step * norms + 1e-12)
        active &= norms > 0
        if not active.any():
            return np.zeros((0, self.k))
        N = self.normals[active] / norms[active, None]
        _, sv, vt = np.linalg.svd(N, full_matrices=True)
        rank = int(np.sum(sv > 1e-10))
        basis = vt[rank:]
        if not basis.size:
            return np.zeros((0, self.k))
        rotation, _ = np.linalg.qr(self.rng.normal(size=(basis.shape[0], basis.shape[0])))
        basis = rotation.T @ basis          # a fresh random orthonormal basis of the tangent space
        return np.vstack([basis, -basis])

    @staticmethod
    def _key(s: _Start) -> tuple[bool, float]:
        return (s.v > LEADER_TOL, s.f if s.v <= LEADER_TOL else s.v)

    def _best(self) -> _Start:
        return min(self.starts, key=self._key)

    def best_of(self, group: int) -> tuple[np.ndarray, float]:
        """The best point of one scalarisation and its value (inf when infeasible)."""
        best = min((s for s in self.starts if s.group == group), key=self._key)
        return self._to_x(best.u), (best.f if best.v <= LEADER_TOL else np.inf)

    def incumbents(self, group: int) -> list[np.ndarray]:
        """The feasible final points of one scalarisation's starts, best first."""
        mine = sorted((s for s in self.starts if s.group == group and s.v <= LEADER_TOL), key=self._key)
        return [self._to_x(s.u) for s in mine]

    def run(self) -> tuple[np.ndarray, float, bool, str]:
        """Returns the best point, its objective, whether every start ended by its own rule, a message."""
        opts = self.opts
        if self.k == 0:
            best = self._best()
            return self._to_x(best.u), best.f, True, "polish skipped: every signal is fixed"

        def step(it: int) -> dict[str, Any]:
            points: list[np.ndarray] = []
            owner: list[int] = []
            polls: list[tuple[int, int]] = []      # (start, index of its first coordinate poll point)
            newton_at: dict[int, int] = {}         # start -> index of its Newton point
            n_poll: dict[int, int] = {}            # start -> number of its poll points (then search points)
            for j, s in enumerate(self.starts):
                if not s.active:
                    continue
                polls.append((j, len(points)))
                cand = [np.clip(s.u + s.step * d, 0.0, 1.0) for d in self._directions(s)]
                n_poll[j] = len(cand)
                if s.prev is not None:
                    cand += [np.clip(s.u + 2.0 ** m * (s.u - s.prev), 0.0, 1.0) for m in range(3)]
                if s.newton is not None:
                    newton_at[j] = len(points) + len(cand)
                    cand.append(s.newton)
                points += cand
                owner += [j] * len(cand)
            batch = self.evaluate(np.array([self._to_x(u) for u in points]), polish=True)
            for (j, first) in polls:
                s = self.starts[j]
                mine = [p for p, o in enumerate(owner) if o == j]
                if j in newton_at and s.predicted > 1e-9 * max(1.0, abs(s.base)):
                    # did the diagonal model predict the decrease at its point (when it predicts one)?
                    p = newton_at[j]
                    gained = s.base - float(_scalar(batch.F[p], s.weights)) if batch.feasible[p] else -np.inf
                    s.model_ok = 0.5 <= gained / s.predicted <= 2.0
                newton, predicted, scale = self._newton(s, batch, first)
                base = s.f
                values = _scalar(batch.F, s.weights)
                pick = min(mine, key=lambda p: (not batch.feasible[p],
                                                values[p] if batch.feasible[p] else batch.viol[p]))
                f_new, v_new = float(values[pick]), float(batch.viol[pick])
                if batch.fails[pick] == 0 and _better(f_new, v_new, s.f, s.v):
                    moved = float(np.max(np.abs(points[pick] - s.u)))
                    polled = pick < first + n_poll[j]
                    s.prev, s.u, s.f, s.v, s.failed = s.u.copy(), points[pick].copy(), f_new, v_new, False
                    # doubled after a poll success; after a search success it follows the move (near a
                    # smooth minimum the Newton moves shrink fast), by at most polish_shrink³
                    s.step = min(0.5, 2.0 * s.step if polled else max(2.0 * moved, opts.polish_shrink**3 * s.step))
                else:
                    s.prev, s.failed = None, True
                    shrink = opts.polish_shrink
                    if s.model_ok and scale is not None:
                        # a diagonal model that predicted well puts the minimum within `scale`:
                        # shrink towards it, by at most polish_shrink³ per iteration
                        s.step = max(shrink**3 * s.step, min(shrink * s.step, 4.0 * scale))
                    else:
                        s.step *= shrink
                s.newton, s.predicted, s.scale, s.base = newton, predicted, scale, base
                s.trace.append(s.f if s.v <= LEADER_TOL else np.inf)
                if s.step < opts.polish_step_tol or _stalled([np.array([f]) for f in s.trace[-opts.stall_window - 1:]],
                                                             opts.stall_window, opts.polish_tol):
                    s.active = False
            self._merge()
            best = self._best()
            return {"phase": "polish", "polish_iteration": it, "best_objective": best.f,
                    "step": best.step, "active_starts": sum(s.active for s in self.starts),
                    "evaluations": self.evaluate.counters.evaluations + self.evaluate.counters.polish_evaluations,
                    "failed_evaluations": self.evaluate.counters.failed_evaluations,
                    "signals": self._to_x(best.u)}

        # the polish loop runs through the solve's driver: the time limit and the callback can stop it
        # (after the deadline it runs no iteration and the best start is returned as it is)
        loop = self.ctx.driver.run("polish", step, until=[
            Rule(lambda _: not any(s.active for s in self.starts),
                 "every start ended (step below polish_step_tol, improvement below polish_tol over "
                 "stall_window iterations, or reached a better start)"),
            MaxIter(opts.polish_max_iter)])
        self.rows = loop.history
        best = self._best()
        done = loop.converged
        value = best.f if best.v <= LEADER_TOL else np.inf
        if done or not isinstance(loop.stopped_by, MaxIter):
            rule = loop.reason          # every start ended, or the solve's time limit / the callback
        else:
            rule = f"stopped at polish_max_iter={opts.polish_max_iter}"
        return (self._to_x(best.u), value, done,
                f"polish: {len(self.rows)} pattern-search iterations from {len(self.starts)} start(s), {rule}; "
                f"objective {self.start_value:.10g} -> {value:.10g}")

    def _newton(self, s: _Start, batch: _Batch, first: int) -> tuple[np.ndarray | None, float, float | None]:
        """Diagonal Newton point from the coordinate poll ``u ± step e_j`` (central differences):
        ``(point, predicted decrease, move)``; the point is None when a poll value is missing or it
        does not move; coordinates without positive curvature move by the step against the slope,
        and then ``move`` (the max-norm move of a convex model) is None."""
        k = self.k
        values = _scalar(batch.F, s.weights)
        plus, minus = values[first:first + k], values[first + k:first + 2 * k]
        ok = batch.feasible[first:first + 2 * k]
        if not (ok.all() and np.isfinite(s.f) and s.v <= LEADER_TOL):
            return None, 0.0, None
        h = s.step
        g = (plus - minus) / (2 * h)
        curv = (plus - 2 * s.f + minus) / h**2
        convex = curv > 0
        move = np.where(convex, -g / np.where(convex, curv, 1.0), -np.sign(g) * h)
        point = np.clip(s.u + move, 0.0, 1.0)
        step = point - s.u
        predicted = float(-(g @ step) - 0.5 * np.sum(np.where(convex, curv, 0.0) * step**2))
        scale = float(np.max(np.abs(step))) if convex.all() else None
        return (None if np.allclose(point, s.u, rtol=0.0, atol=1e-12) else point), predicted, scale

    def _merge(self) -> None:
        """A start that reached a better start's incumbent (within its step) ends."""
        for a in self.starts:
            if not a.active:
                continue
            for b in self.starts:
                if (b is not a and b.group == a.group and self._key(b) < self._key(a)
                        and np.max(np.abs(a.u - b.u)) <= max(a.step, b.step)):
                    a.active = False
                    break
