"""``nsga-qp`` — a genetic algorithm over the leader's signals, followers solved as QPs (seed 004).

Decision variables are the leader's flat signal vector (``game.layout``), boxed by the
signals' bounds (every bound must be finite). Every individual is evaluated by asking the
follower pool for all best responses to it — a whole population per pool call
(``respond_many``) — and then ``game.leader_objectives`` (minimisation form).

* **One leader objective** → pymoo NSGA-II. **Several** → pymoo NSGA-III with Das–Dennis
  reference directions (``partitions`` divisions per objective).
* **Failures**: a follower whose program fails (infeasible, unbounded, solver error) at an
  individual does not stop the run: the individual gets one inequality constraint
  ``G = number of failing followers > 0`` (pymoo's constraint domination ranks it behind
  every feasible individual) and the failure is counted in ``extra``.
* **Termination**: at most ``max_iter`` generations (one generation = one iteration), or the
  stall rule: the best objective (several objectives: every entry of the population's ideal
  point) improved by less than ``tol`` relative (``Δ / max(1, |f|)``) over the last
  ``stall_window`` generations.
* **Polish** (``polish=True``, single objective only): a GA is imprecise in tens of
  dimensions, so the best individual is refined by projected finite-difference gradient
  descent on the leader objective, still using nothing but follower responses. Coordinates
  are normalised to the unit box (``u = (x − lower) / (upper − lower)``). One gradient = the
  point plus ``k`` forward perturbations of ``fd_step`` (backward where the forward step
  would leave the box) evaluated as ONE pool call; the step length is Barzilai–Borwein
  (BB1), and the line search is a batched backtracking: the trial steps
  ``α·2, α, α/2, …`` (``line_search_trials`` of them) are evaluated in ONE pool call and
  the best trial satisfying Armijo's condition is taken. It stops when no trial decreases
  the objective, when an iteration improves it by less than ``polish_tol`` relative, or
  after ``polish_max_iter`` iterations. Perturbations at which a follower fails contribute a
  zero gradient entry; failing trials are rejected. The polished point replaces the GA's
  only if it is better.
* **Several objectives**: the Pareto set (non-dominated feasible individuals of the final
  population) is returned in ``extra["pareto"]`` as ``{"signals", "objectives"}`` entries.
  The chosen point is the front member closest (Euclidean) to the ideal point after each
  objective is normalised by its range over the front (``(f − min) / (max − min)``, a zero
  range counting as 1); ties go to the first. It is not polished (a polish of a scalarisation
  would move it off the returned front).

Status: ``converged`` when the stall rule held and the polish (if any) ended by its own
stopping rule rather than ``polish_max_iter``; ``max_iter`` otherwise. Seeded from the
solve's seed: the same seed gives the same result. History: one row per generation
(``phase="ga"``: best objective(s), front size, population diversity = mean standard
deviation of the normalised signals, cumulative evaluations and failures, best/chosen
signals) and one per polish iteration (``phase="polish"``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.algorithms.moo.nsga3 import NSGA3
from pymoo.core.algorithm import Algorithm
from pymoo.core.problem import Problem
from pymoo.core.termination import NoTermination
from pymoo.operators.crossover.sbx import SBX
from pymoo.operators.mutation.pm import PM
from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting
from pymoo.util.ref_dirs import get_reference_directions
from tqdm.auto import tqdm

from gamecore.errors import StrategyError
from gamecore.game import Game
from gamecore.strategy import Outcome, SolveContext, Strategy


@dataclass
class NSGAQPOptions:
    """Options of ``nsga-qp``.

    Attributes:
        max_iter: maximum number of generations (iterations).
        pop_size: population size; 0 = automatic (``clip(2·n_var, 20, 100)``, and at least the
            number of reference directions for several objectives, rounded up to a multiple of 4).
        tol: stall rule threshold on the relative improvement of the best objective(s).
        stall_window: number of generations the stall rule looks back.
        partitions: Das–Dennis partitions per objective for NSGA-III's reference directions.
        crossover_eta, crossover_prob: SBX distribution index and probability.
        mutation_eta: polynomial mutation distribution index.
        polish: refine the best individual by projected finite-difference gradient descent
            (single objective only).
        polish_max_iter: maximum polish iterations.
        polish_tol: polish stops when one iteration improves the objective by less than this
            (relative, ``Δ / max(1, |f|)``).
        fd_step: finite-difference step in normalised coordinates (fraction of each signal's range).
        line_search_trials: step lengths evaluated per line search (one pool call).
    """

    max_iter: int = 200
    pop_size: int = 0
    tol: float = 1e-4
    stall_window: int = 10
    partitions: int = 12
    crossover_eta: float = 15.0
    crossover_prob: float = 0.9
    mutation_eta: float = 20.0
    polish: bool = True
    polish_max_iter: int = 100
    polish_tol: float = 1e-10
    fd_step: float = 1e-6
    line_search_trials: int = 8

    def __post_init__(self) -> None:
        if self.max_iter < 1:
            raise ValueError(f"max_iter (generations) must be >= 1, got {self.max_iter}")
        if self.pop_size != 0 and self.pop_size < 4:
            raise ValueError(f"pop_size must be 0 (automatic) or >= 4, got {self.pop_size}")
        if not 0 <= self.tol < 1:
            raise ValueError(f"tol must be in [0, 1), got {self.tol}")
        if self.stall_window < 1:
            raise ValueError(f"stall_window must be >= 1, got {self.stall_window}")
        if self.partitions < 1:
            raise ValueError(f"partitions must be >= 1, got {self.partitions}")
        if self.crossover_eta <= 0 or self.mutation_eta <= 0:
            raise ValueError(f"crossover_eta and mutation_eta must be > 0, got {self.crossover_eta}, "
                             f"{self.mutation_eta}")
        if not 0 <= self.crossover_prob <= 1:
            raise ValueError(f"crossover_prob must be in [0, 1], got {self.crossover_prob}")
        if self.polish_max_iter < 1:
            raise ValueError(f"polish_max_iter must be >= 1, got {self.polish_max_iter}")
        if not 0 <= self.polish_tol < 1:
            raise ValueError(f"polish_tol must be in [0, 1), got {self.polish_tol}")
        if not 0 < self.fd_step < 0.1:
            raise ValueError(f"fd_step must be in (0, 0.1) (fraction of the signal range), got {self.fd_step}")
        if self.line_search_trials < 1:
            raise ValueError(f"line_search_trials must be >= 1, got {self.line_search_trials}")


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


class _Evaluator:
    """Leader objectives of a batch of signal vectors, one pool call per batch."""

    def __init__(self, ctx: SolveContext, counters: _Counters) -> None:
        self.ctx = ctx
        self.game: Game = ctx.game
        self.counters = counters
        self.n_obj = len(self.game.leader.objectives)

    def __call__(self, X: np.ndarray, polish: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """``X`` (n, k) signal vectors → objectives ``F`` (n, m; +inf where a follower failed)
        and failure counts ``fails`` (n,)."""
        ctx, game, c = self.ctx, self.game, self.counters
        vectors = [ctx.project(x) for x in np.atleast_2d(X)]
        rows = ctx.pool.respond_many(vectors, keep_x=False, raise_on_failure=False)
        c.pool_calls += 1
        if polish:
            c.polish_evaluations += len(vectors)
        else:
            c.evaluations += len(vectors)
        F = np.full((len(vectors), self.n_obj), np.inf)
        fails = np.zeros(len(vectors), dtype=int)
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
            F[b] = game.leader_objectives(game.layout.unpack(vector), row)
        return F, fails


class _SignalProblem(Problem):
    """pymoo problem over the signal box; ``G = failing followers`` (≤ 0 means feasible)."""

    def __init__(self, evaluator: _Evaluator, lower: np.ndarray, upper: np.ndarray) -> None:
        super().__init__(n_var=lower.size, n_obj=evaluator.n_obj, n_ieq_constr=1, xl=lower, xu=upper)
        self.evaluator = evaluator

    def _evaluate(self, X: np.ndarray, out: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        F, fails = self.evaluator(X)
        out["F"] = F
        out["G"] = fails.astype(float)[:, None]


@dataclass
class _Run:
    """State of the GA loop after it ended."""

    algorithm: Algorithm
    pop_size: int
    n_dirs: int
    generations: int = 0
    stalled: bool = False
    history: list[dict[str, Any]] = field(default_factory=list)


# ----------------------------------------------------------------------------- strategy
class NSGAQP(Strategy[NSGAQPOptions]):
    name = "nsga-qp"
    equilibrium = "stackelberg"
    summary = "NSGA-II/III over the leader's signals, followers as QPs, FD-gradient polish"
    Options = NSGAQPOptions

    def check(self, game: Game) -> None:
        super().check(game)
        if game.has_leader_constraints:
            raise StrategyError(f"strategy '{self.name}': leader constraints are not supported yet")
        for sig in game.layout.signals.values():
            if not sig.bounded:
                raise StrategyError(f"strategy '{self.name}' searches the signal box, but signal '{sig.name}' "
                                    f"has an infinite bound (lower {np.min(sig.lower_array):g}, upper "
                                    f"{np.max(sig.upper_array):g}); give it finite lower and upper bounds")
        n_obj = len(game.leader.objectives)
        if n_obj > 1 and self.options.pop_size:
            n_dirs = len(get_reference_directions("das-dennis", n_obj, n_partitions=self.options.partitions))
            if self.options.pop_size < n_dirs:
                raise StrategyError(f"strategy '{self.name}': pop_size={self.options.pop_size} is below the "
                                    f"{n_dirs} NSGA-III reference directions of {n_obj} objectives with "
                                    f"partitions={self.options.partitions}; raise pop_size or lower partitions")

    def run(self, ctx: SolveContext) -> Outcome:
        self.check(ctx.game)
        opts: NSGAQPOptions = ctx.options
        counters = _Counters()
        evaluator = _Evaluator(ctx, counters)
        run = self._evolve(ctx, evaluator)
        X, F, _ = _front(run.algorithm)
        extra: dict[str, Any] = {"algorithm": "NSGA-II" if evaluator.n_obj == 1 else "NSGA-III",
                                 "pop_size": run.pop_size, "generations": run.generations, "polish_iterations": 0}
        if evaluator.n_obj > 1:
            extra["reference_directions"] = run.n_dirs
        if len(F) == 0:
            extra.update(_counters_dict(counters))
            return Outcome("failed", f"no individual in {run.generations} generations had every follower feasible "
                           f"({counters.failed_evaluations} of {counters.evaluations} evaluations failed; by "
                           f"follower: {counters.failures_by_follower})", run.generations,
                           np.full(ctx.game.layout.size, np.nan), history=run.history, extra=extra)
        ga_msg = (f"stall rule held after {run.generations} generations (relative improvement < {opts.tol:g} "
                  f"over {opts.stall_window})" if run.stalled
                  else f"{run.generations} generations (max_iter) without the stall rule")
        if evaluator.n_obj == 1:
            vector, ok, message = self._single(ctx, evaluator, X, F, run.history, extra)
        else:
            vector, ok, message = self._multi(ctx, X, F, extra)
        extra.update(_counters_dict(counters))
        status = "converged" if run.stalled and ok else "max_iter"
        return Outcome(status, f"{ga_msg}; {message}", run.generations, ctx.project(vector), history=run.history,
                       extra=extra)

    def _evolve(self, ctx: SolveContext, evaluator: _Evaluator) -> _Run:
        """The ask / evaluate (one pool call) / tell loop, until the stall rule or ``max_iter``."""
        opts: NSGAQPOptions = ctx.options
        lower, upper = ctx.game.layout.lower(), ctx.game.layout.upper()
        pop_size, ref_dirs = _sizes(opts, evaluator.n_obj, lower.size)
        seed = int(ctx.rng.integers(0, 2**31 - 1))
        algorithm = _algorithm(opts, pop_size, ref_dirs, _initial_sample(ctx.rng, lower, upper, pop_size))
        problem = _SignalProblem(evaluator, lower, upper)
        algorithm.setup(problem, termination=NoTermination(), seed=seed, verbose=False)
        run = _Run(algorithm, pop_size, 0 if ref_dirs is None else len(ref_dirs))
        bests: list[np.ndarray] = []
        with tqdm(total=opts.max_iter, desc=self.name, disable=not ctx.progress, leave=False) as bar:
            for generation in range(1, opts.max_iter + 1):
                pop = algorithm.ask()
                algorithm.evaluator.eval(problem, pop)
                algorithm.tell(infills=pop)
                run.generations = generation
                X, F, front = _front(algorithm)
                best = F.min(axis=0) if len(F) else np.full(evaluator.n_obj, np.inf)
                bests.append(best)
                chosen = _choose(F) if len(F) else None
                run.history.append(_ga_row(generation, best, algorithm, front, X, chosen, lower, upper,
                                           evaluator.counters))
                bar.update(1)
                if _stalled(bests, opts.stall_window, opts.tol):
                    run.stalled = True
                    break
        return run

    @staticmethod
    def _single(ctx: SolveContext, evaluator: _Evaluator, X: np.ndarray, F: np.ndarray,
                history: list[dict[str, Any]], extra: dict[str, Any]) -> tuple[np.ndarray, bool, str]:
        """Best individual, polished if asked: (vector, polish ended by its own rule, message)."""
        opts: NSGAQPOptions = ctx.options
        k = int(np.argmin(F[:, 0]))
        vector, value = X[k].copy(), float(F[k, 0])
        extra["ga_objective"] = value
        if not opts.polish:
            return vector, True, f"best objective {value:.10g} (no polish)"
        vector, value, ok, message, rows = _polish(ctx, evaluator, vector, value, opts)
        history.extend(rows)
        extra["polish_iterations"] = len(rows)
        extra["polished_objective"] = value
        return vector, ok, f"best objective {value:.10g}; {message}"

    @staticmethod
    def _multi(ctx: SolveContext, X: np.ndarray, F: np.ndarray, extra: dict[str, Any]) -> tuple[np.ndarray, bool, str]:
        """Pareto set into ``extra`` and the chosen point (closest to the normalised ideal point)."""
        k = _choose(F)
        extra["pareto"] = [{"signals": x.tolist(), "objectives": f.tolist()} for x, f in zip(X, F)]
        extra["chosen_index"] = k
        extra["choice_rule"] = "closest to the ideal point after normalising each objective by its range on the front"
        extra["objective_names"] = [o.name for o in ctx.game.leader.objectives]
        return X[k].copy(), True, (f"Pareto set of {len(F)} points, chosen #{k} with objectives "
                                   f"{np.array2string(F[k], precision=6)} (not polished: several objectives)")


def _counters_dict(c: _Counters) -> dict[str, Any]:
    return {"evaluations": c.evaluations, "polish_evaluations": c.polish_evaluations, "pool_calls": c.pool_calls,
            "failed_evaluations": c.failed_evaluations, "failed_solves": c.failed_solves,
            "failures_by_follower": dict(c.failures_by_follower)}


# ----------------------------------------------------------------------------- GA helpers
def _sizes(opts: NSGAQPOptions, n_obj: int, n_var: int) -> tuple[int, np.ndarray | None]:
    """Population size and (several objectives) the Das–Dennis reference directions (n_dirs, m)."""
    auto = int(np.clip(2 * n_var, 20, 100))
    if n_obj == 1:
        return opts.pop_size or auto + auto % 2, None
    ref_dirs = get_reference_directions("das-dennis", n_obj, n_partitions=opts.partitions)
    pop = opts.pop_size or int(np.ceil(max(auto, len(ref_dirs)) / 4) * 4)
    return pop, ref_dirs


def _algorithm(opts: NSGAQPOptions, pop_size: int, ref_dirs: np.ndarray | None, sample: np.ndarray) -> Algorithm:
    """NSGA-II (``ref_dirs=None``: one objective) or NSGA-III, with fresh operators and the given
    initial population ``sample`` (pop_size, k)."""
    kwargs: dict[str, Any] = {"pop_size": pop_size, "sampling": sample, "eliminate_duplicates": True,
                              "crossover": SBX(eta=opts.crossover_eta, prob=opts.crossover_prob),
                              "mutation": PM(eta=opts.mutation_eta)}
    return NSGA2(**kwargs) if ref_dirs is None else NSGA3(ref_dirs=ref_dirs, **kwargs)


def _initial_sample(rng: np.random.Generator, lower: np.ndarray, upper: np.ndarray, size: int) -> np.ndarray:
    """Uniform samples in the box, the first one replaced by the box midpoint, shape (size, k)."""
    X = lower + rng.random((size, lower.size)) * (upper - lower)
    X[0] = 0.5 * (lower + upper)
    return X


def _front(algorithm: Algorithm) -> tuple[np.ndarray, np.ndarray, int]:
    """Distinct non-dominated feasible individuals of the population: ``X`` (n, k), ``F`` (n, m),
    and the size of that front."""
    pop = algorithm.pop
    X, F, CV = pop.get("X"), pop.get("F"), pop.get("CV").ravel()
    feasible = (CV <= 0) & np.all(np.isfinite(F), axis=1)
    X, F = X[feasible], F[feasible]
    if len(F) == 0:
        return X, F, 0
    nd = NonDominatedSorting().do(F, only_non_dominated_front=True)
    X, F = X[nd], F[nd]
    _, unique = np.unique(np.round(X, 12), axis=0, return_index=True)
    unique = np.sort(unique)
    X, F = X[unique], F[unique]
    order = np.lexsort(F.T[::-1])
    return X[order], F[order], len(order)


def _choose(F: np.ndarray) -> int:
    """Index of the front point closest to the ideal point after range normalisation."""
    lo, hi = F.min(axis=0), F.max(axis=0)
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    return int(np.argmin(np.linalg.norm((F - lo) / span, axis=1)))


def _ga_row(generation: int, best: np.ndarray, algorithm: Algorithm, front: int, X: np.ndarray,
            chosen: int | None, lower: np.ndarray, upper: np.ndarray, c: _Counters) -> dict[str, Any]:
    span = np.where(upper - lower > 0, upper - lower, 1.0)
    U = (algorithm.pop.get("X") - lower) / span
    row: dict[str, Any] = {"iteration": generation, "phase": "ga",
                           "best_objective": float(best[0]) if best.size == 1 else best.copy(),
                           "front_size": front, "diversity": float(np.mean(np.std(U, axis=0))),
                           "evaluations": c.evaluations, "failed_evaluations": c.failed_evaluations}
    row["signals"] = X[chosen].copy() if chosen is not None else np.full(lower.size, np.nan)
    return row


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
def _polish(ctx: SolveContext, evaluate: _Evaluator, vector: np.ndarray, value: float,
            opts: NSGAQPOptions) -> tuple[np.ndarray, float, bool, str, list[dict[str, Any]]]:
    """Projected FD-gradient descent (BB steps, batched backtracking) from ``vector``.

    Returns the final vector, its objective, whether a stopping rule (rather than
    ``polish_max_iter``) ended it, a message, and one history row per iteration.
    """
    lower, upper = ctx.game.layout.lower(), ctx.game.layout.upper()
    span = upper - lower
    free = span > 0
    k = int(free.sum())
    start_value = value
    if k == 0:
        return vector, value, True, "polish skipped: every signal is fixed", []

    def to_x(u: np.ndarray) -> np.ndarray:
        x = lower.copy()
        x[free] = lower[free] + span[free] * u
        x[~free] = lower[~free]
        return x

    u = np.clip((vector[free] - lower[free]) / span[free], 0.0, 1.0)
    f = value
    rows: list[dict[str, Any]] = []
    alpha: float | None = None
    prev: tuple[np.ndarray, np.ndarray] | None = None
    for it in range(1, opts.polish_max_iter + 1):
        g, f_here = _fd_gradient(evaluate, to_x, u, opts.fd_step)
        if np.isfinite(f_here):
            f = f_here
        if prev is not None:
            s, y = u - prev[0], g - prev[1]
            sy = float(s @ y)
            alpha = float(s @ s) / sy if sy > 0 else 2.0 * (alpha or 1.0)
        if alpha is None or not np.isfinite(alpha) or alpha <= 0:
            alpha = 0.05 / max(float(np.abs(g).max()), 1e-300)
        pg = float(np.abs(np.clip(u - g, 0.0, 1.0) - u).max())
        trials = alpha * 2.0 ** (1 - np.arange(opts.line_search_trials))
        U = np.array([np.clip(u - a * g, 0.0, 1.0) for a in trials])
        F, _ = evaluate(np.array([to_x(v) for v in U]), polish=True)
        values = F[:, 0]
        armijo = values <= f + 1e-4 * (U - u) @ g
        ok = np.flatnonzero(armijo & np.isfinite(values) & (values < f))
        if ok.size == 0:
            ok = np.flatnonzero(np.isfinite(values) & (values < f))
        if ok.size == 0:
            rows.append(_polish_row(it, f, 0.0, pg, to_x(u), evaluate.counters))
            return (to_x(u), f, True, f"polish: {it} iterations, no descent along the projected FD gradient "
                    f"(projected gradient {pg:.3g}); objective {start_value:.10g} -> {f:.10g}", rows)
        j = int(ok[np.argmin(values[ok])])
        prev = (u, g)
        improvement = (f - values[j]) / max(1.0, abs(f))
        u, f, alpha = U[j], float(values[j]), float(trials[j])
        rows.append(_polish_row(it, f, alpha, pg, to_x(u), evaluate.counters))
        if improvement < opts.polish_tol:
            return (to_x(u), f, True, f"polish: {it} iterations, relative improvement {improvement:.3g} < "
                    f"polish_tol; objective {start_value:.10g} -> {f:.10g}", rows)
    return (to_x(u), f, False, f"polish stopped at polish_max_iter={opts.polish_max_iter}; objective "
            f"{start_value:.10g} -> {f:.10g}", rows)


def _fd_gradient(evaluate: _Evaluator, to_x: Callable[[np.ndarray], np.ndarray], u: np.ndarray,
                 h: float) -> tuple[np.ndarray, float]:
    """Forward-difference gradient in normalised coordinates: the point and its ``k`` perturbations
    (backward where forward would leave [0, 1]) in ONE pool call. Returns (gradient (k,), f(u));
    entries whose perturbation made a follower fail are 0."""
    k = u.size
    steps = np.where(u + h <= 1.0, h, -h)
    U = np.repeat(u[None, :], k + 1, axis=0)
    U[1 + np.arange(k), np.arange(k)] += steps
    F, _ = evaluate(np.array([to_x(v) for v in U]), polish=True)
    values = F[:, 0]
    g = (values[1:] - values[0]) / steps
    g[~np.isfinite(g)] = 0.0
    return g, float(values[0])


def _polish_row(it: int, f: float, step: float, pg: float, x: np.ndarray, c: _Counters) -> dict[str, Any]:
    return {"phase": "polish", "polish_iteration": it, "best_objective": f, "step": step,
            "projected_gradient": pg, "evaluations": c.evaluations + c.polish_evaluations,
            "failed_evaluations": c.failed_evaluations, "signals": x.copy()}
