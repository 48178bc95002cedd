"""Lower bounds on the leader's optimum, for the certificate's leader regret.

In order of preference:

1. the case's reference (a closed form, or an optimum verified independently);
2. a bound the strategy proved itself, handed over in ``Outcome.extra["leader_bound"]``
   (``kkt``: the branch-and-bound dual bound, valid at any time limit);
3. ``kkt`` run by the certificate, when every follower qualifies and the game has at most
   :data:`KKT_BOUND_MAX_PAIRS` complementarity pairs (time limit :data:`KKT_BOUND_TIME_S`);
   its proven dual bound is valid even when the time limit stops it;
4. otherwise the optimum of the first-round McCormick relaxation over the declared signal
   box (:func:`mccormick_bound`): valid, usually weaker, so a good answer can still fail
   the regret tolerance against it ("not certified", never a false pass).

Without any, the leader regret is unchecked and the answer is not certified.

Several objectives: an answer is one point of a Pareto set, so its first objective is bounded
on the ε-constraint problem with the other objectives held at the answer's values
(:func:`gamecore.scalarise.epsilon_constraint`, a relative slack of :data:`PARETO_SLACK`):
``min f_1 s.t. f_k ≤ f_k(answer)``. The regret is then the *Pareto regret* — how much ``f_1``
could improve without worsening any other objective; 0 on the Pareto front. Sources 3 and 4
apply to that problem (a closed form or a strategy's single-objective bound does not bound
it); objectives 2.. with bilinear terms cannot be held by convex constraints, and the regret
is then unchecked.

Integer and binary signals: the ``kkt`` bounds (2 and 3) keep integrality (the signals are
integer variables of the SCIP model), so they bound the mixed-integer optimum and are the
tighter ones; the McCormick bound (4) relaxes integrality to the signal box, which only
lowers it, so it stays a valid bound on the mixed-integer optimum.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from gamecore.certificate import LeaderBound
from gamecore.game import Game
from gamecore.options import check_values, option

#: largest number of follower complementarity pairs for which the certificate runs ``kkt``
KKT_BOUND_MAX_PAIRS = 2000
#: time limit (s) of the certificate's ``kkt`` run
KKT_BOUND_TIME_S = 60.0
#: relative slack on the held objectives of the ε-constraint bound of a multi-objective answer
#: (keeps the answer itself strictly feasible there)
PARETO_SLACK = 1e-7


@dataclass(frozen=True)
class BoundOptions:
    """How the certificate may look for a leader bound (``gamecore.solve(..., bound=...)``).

    Built directly (not through a strategy), so ``__post_init__`` checks the declared ranges
    (:func:`gamecore.options.check_values`: ``ValueError`` naming the option).
    """

    kkt_max_pairs: int = option(KKT_BOUND_MAX_PAIRS, doc="largest number of follower complementarity pairs for "
                                                         "which the certificate runs kkt (0: never)", ge=0)
    kkt_time_limit: float = option(KKT_BOUND_TIME_S, doc="wall time of that run (its proven dual bound is valid "
                                                         "at any stop)", gt=0, unit="s")
    mccormick: bool = option(True, doc="fall back to the first-round McCormick relaxation")

    def __post_init__(self) -> None:
        check_values(self)


def leader_bound(game: Game, reference: Any, extra: Mapping[str, Any] | None = None,
                 options: BoundOptions | None = None, objectives: np.ndarray | None = None) -> LeaderBound | None:
    """The best available lower bound on the leader's first objective (minimisation form), or None.

    With integer signals the ``kkt`` bounds are bounds of the mixed-integer problem (integrality
    kept); the McCormick fallback relaxes it (still valid, weaker).

    Args:
        game: a Stackelberg game.
        reference: the case's :class:`~gamecore.cases.base.Reference` (or None).
        extra: the strategy's ``Outcome.extra``; a ``"leader_bound"`` entry (``{"value",
            "source"}``) there is a bound the strategy proved.
        options: size and time limits of the certificate's own ``kkt`` run, McCormick fallback.
        objectives: the answer's objectives (minimisation form), needed with several objectives
            (the ε-constraint bound of the module docstring; None there: no bound).
    """
    options = options or BoundOptions()
    if len(game.leader.objectives) > 1:
        return _pareto_bound(game, objectives, options)
    if reference is not None and getattr(reference, "kind", None) == "stackelberg":
        return LeaderBound(float(reference.objective), f"reference ({reference.source})")
    proven = (extra or {}).get("leader_bound")
    if isinstance(proven, Mapping) and proven.get("value") is not None:
        return LeaderBound(float(proven["value"]), str(proven.get("source", "strategy")))
    from gamecore.kkt import KKTModel, kkt_applicable

    if kkt_applicable(game) is None:
        model = KKTModel(game)
        if model.pairs <= options.kkt_max_pairs:
            solution = model.solve(time_limit=options.kkt_time_limit)
            if solution.bound is not None:
                how = "proven optimal" if solution.status == "optimal" else f"{solution.status}: dual bound"
                return LeaderBound(float(solution.bound), f"kkt ({how}, certificate run)")
    return mccormick_bound(game, options.kkt_time_limit) if options.mccormick else None


def _pareto_bound(game: Game, objectives: np.ndarray | None, options: BoundOptions) -> LeaderBound | None:
    """Bound on ``min f_1 s.t. f_k ≤ f_k(answer)(1 + slack)``, k ≥ 2 (module docstring), or None."""
    from gamecore.errors import GameDefinitionError
    from gamecore.scalarise import epsilon_constraint

    if objectives is None or not np.all(np.isfinite(objectives)):
        return None
    held = [None] + [float(f + PARETO_SLACK * max(1.0, abs(f))) for f in np.asarray(objectives)[1:]]
    try:
        held_game = epsilon_constraint(game, held)
    except GameDefinitionError:
        return None
    bound = leader_bound(held_game, None, None, options)
    if bound is None:
        return None
    names = ", ".join(o.name for o in game.leader.objectives[1:])
    return LeaderBound(bound.value, f"Pareto regret: {bound.source} on min {game.leader.objectives[0].name} with "
                                    f"{names} held at the answer's values")


def mccormick_bound(game: Game, time_limit: float = KKT_BOUND_TIME_S) -> LeaderBound | None:
    """The optimum of the first-round McCormick relaxation over the declared signal box, or None.

    Every follower's strong-duality reformulation with McCormick envelopes on its products
    (:class:`gamecore.bilevel.FollowerRelaxation`, factor bounds derived from the data by
    :func:`gamecore.bilevel.complete_bounds`), all sharing σ, plus the leader's compiled cost
    and constraints: one convex program whose optimum is at most the leader's optimum (every
    bilevel-feasible point, lifted by its products and a dual, is feasible in it). The dual
    objective less a margin is returned, so solver error cannot make the bound invalid.
    Integer / binary signals are relaxed to their (integer-rounded) box: every mixed-integer
    bilevel-feasible point is feasible in the relaxation too, so the bound stays valid for the
    integer problem, only weaker than one that keeps integrality (the ``kkt`` bounds). None
    when a follower is outside the reformulation (exponential/PSD/power cones), a factor has
    no finite bound, a signal box is infinite, or the solve fails.
    """
    import scipy.sparse as sp

    from gamecore.assembly import ConicProgram
    from gamecore.bilevel import FollowerRelaxation, complete_bounds, leader_bilinear_costs
    from gamecore.errors import GameError

    layout = game.layout
    lo, hi = layout.lower(), layout.upper()
    if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
        return None
    objective = game.leader.objectives[0]
    try:
        costs = leader_bilinear_costs(game, objective)
        relaxations = [FollowerRelaxation(f.name, f.program, game.signal_index[i], costs.w[i], costs.u[i],
                                          signal_box=(lo, hi), sigma_cost=costs.sigma[i])
                       for i, f in enumerate(game.followers)]
        complete_bounds(game, relaxations, time_limit)
        leader = game.leader_program(0)
    except (GameError, ValueError):
        return None
    problem = ConicProgram()
    sigma = problem.variables(layout.size)
    problem.add_rows([(sigma, sp.eye(layout.size))], hi, "nonneg")
    problem.add_rows([(sigma, -sp.eye(layout.size))], -lo, "nonneg")
    blocks = []
    for rel in relaxations:
        xi = problem.variables(rel.N)
        blocks.append(xi)
        A, b, cones = rel.system(lo[rel.local], hi[rel.local])
        problem.add_clarabel_rows(xi, A, b, cones)
        if rel.S:
            problem.add_rows([(xi[rel.isig:rel.isig + rel.S], sp.eye(rel.S)), (sigma[rel.local], -sp.eye(rel.S))],
                             np.zeros(rel.S), "zero")
        problem.add_objective(xi, q=rel.cost)
    problem.add_leader(leader, game, blocks, sigma_cols=sigma)
    solution = problem.solve()
    if solution.x is None or solution.dual_objective is None or solution.objective is None:
        return None
    value = min(solution.objective, solution.dual_objective)
    value -= 1e-7 * max(1.0, abs(value))
    return LeaderBound(float(value), "McCormick relaxation (first round, declared signal box)")
