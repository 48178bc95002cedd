"""Single-objective games from a multi-objective leader: weighted sums and ε-constraints.

A leader with objectives ``f_1, …, f_m`` (minimisation form: a ``sense="max"`` objective
counts negated) has a Pareto set, not an optimum. The two classical scalarisations turn it
into single-objective Stackelberg games every strategy (and the exact ``kkt``) can solve,
sharing the followers (compiled once) with the original game:

* :func:`weighted_sum` — minimise ``Σ_k w_k·f_k`` (``w ≥ 0``): its optima are Pareto optimal
  (``w > 0``), and every point of a convex part of the front is one of them.
* :func:`epsilon_constraint` — minimise ``f_j`` subject to ``f_k ≤ ε_k`` for the other
  objectives: reaches every Pareto point, convex front or not. Each constrained objective
  becomes a leader constraint on signals and aggregated outputs, so it must be convex there
  and have no bilinear price × quantity terms (those are not convex constraints);
  :class:`~gamecore.errors.GameDefinitionError` otherwise, naming the objective.

The certificate uses the ε-constraint to bound a multi-objective answer (its Pareto regret:
how much ``f_1`` could improve with the other objectives held at the answer's values,
:func:`gamecore.bounds.leader_bound`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import cvxpy as cp
import numpy as np

from gamecore.errors import GameDefinitionError
from gamecore.game import Game
from gamecore.leader import Bilinear, Leader, LeaderObjective


def _minimised(objective: LeaderObjective, sig: Mapping[str, cp.Expression],
               agg: Mapping[str, cp.Expression]) -> cp.Expression:
    """The cost part of ``objective`` in minimisation form (0 without one)."""
    if objective.cost is None:
        return cp.Constant(0.0)
    value = cp.sum(cp.Expression.cast_to_const(objective.cost(sig, agg)))
    return value if objective.sense == "min" else -value


def _with_objective(game: Game, objective: LeaderObjective, extra_constraints: Sequence[
        tuple[LeaderObjective, float]] = (), name: str = "") -> Game:
    """``game`` with the leader's objectives replaced by ``objective`` and, for every
    ``(f, ε)`` of ``extra_constraints``, the constraint ``f ≤ ε`` (minimisation form) added."""
    leader = game.leader
    own = leader.constraints

    def constraints(sig: Mapping[str, cp.Expression], agg: Mapping[str, cp.Expression]) -> list[cp.Constraint]:
        cons = list(own(sig, agg)) if own is not None else []
        return cons + [_minimised(f, sig, agg) <= eps for f, eps in extra_constraints]

    has_constraints = own is not None or bool(extra_constraints)
    new_leader = Leader(leader.signals, objectives=[objective], couplings=leader.couplings, name=leader.name,
                        constraints=constraints if has_constraints else None)
    # the outputs only a dropped objective used stay reported (no unused-output warning)
    return Game(new_leader, game.followers, name=f"{game.name}/{name}" if name else game.name,
                reported_outputs=tuple(sorted(game.output_shapes)))


def weighted_sum(game: Game, weights: Sequence[float]) -> Game:
    """The game whose leader minimises ``Σ_k weights[k]·f_k`` (objectives in minimisation form).

    Args:
        game: a Stackelberg game with ``m ≥ 1`` leader objectives.
        weights: ``m`` finite non-negative numbers, not all zero (units: those of the objective
            they multiply, inverted — e.g. CNY per tonne for an emissions objective beside a revenue).

    Raises:
        GameDefinitionError: naming the leader and ``weights``, for a wrong count or bad values.
    """
    objectives = list(game.leader.objectives)
    w = np.asarray(weights, dtype=float)
    if w.shape != (len(objectives),) or not np.all(np.isfinite(w)) or np.any(w < 0) or not np.any(w > 0):
        raise GameDefinitionError(game.leader.name, "weights", f"need {len(objectives)} finite weights >= 0, not all "
                                  f"zero (one per objective {[o.name for o in objectives]}), got {list(weights)}")
    terms: list[Bilinear] = []
    for wk, obj in zip(w, objectives):
        sign = 1.0 if obj.sense == "min" else -1.0
        terms += [Bilinear(t.signal, t.output, float(wk) * sign * t.weight, t.followers) for t in obj.bilinear if wk]

    def cost(sig: Mapping[str, cp.Expression], agg: Mapping[str, cp.Expression]) -> cp.Expression:
        return sum((float(wk) * _minimised(obj, sig, agg) for wk, obj in zip(w, objectives) if wk), cp.Constant(0.0))

    label = " + ".join(f"{wk:g}*{obj.name}" for wk, obj in zip(w, objectives) if wk)
    return _with_objective(game, LeaderObjective(f"weighted({label})", tuple(terms), cost, "min"), name="weighted-sum")


def epsilon_constraint(game: Game, bounds: Sequence[float | None], objective: int = 0) -> Game:
    """The game whose leader minimises objective ``objective`` subject to ``f_k ≤ bounds[k]``.

    Args:
        game: a Stackelberg game with ``m ≥ 2`` leader objectives.
        bounds: ``m`` entries: ``ε_k`` (minimisation form; a ``sense="max"`` objective ``g`` held
            at ``g ≥ G`` is ``ε = −G``) or None (objective ``k`` left free); the entry of
            ``objective`` itself must be None.
        objective: index of the objective minimised.

    Raises:
        GameDefinitionError: naming the leader and the field, for a wrong count, a bound on the
            minimised objective, a non-finite bound, or a bounded objective with bilinear terms.
    """
    objectives = list(game.leader.objectives)
    if len(bounds) != len(objectives) or not 0 <= objective < len(objectives):
        raise GameDefinitionError(game.leader.name, "bounds", f"need {len(objectives)} entries and an objective "
                                  f"index in [0, {len(objectives)}), got {len(bounds)} and {objective}")
    if bounds[objective] is not None:
        raise GameDefinitionError(game.leader.name, f"bounds[{objective}]",
                                  f"objective '{objectives[objective].name}' is the one minimised: its bound "
                                  "must be None")
    held: list[tuple[LeaderObjective, float]] = []
    for k, (eps, obj) in enumerate(zip(bounds, objectives)):
        if eps is None:
            continue
        if not np.isfinite(eps):
            raise GameDefinitionError(game.leader.name, f"bounds[{k}]", f"must be finite, got {eps}")
        if obj.bilinear:
            raise GameDefinitionError(game.leader.name, f"objectives['{obj.name}']",
                                      "has bilinear price x quantity terms: it cannot be held by a convex "
                                      "constraint (use weighted_sum, or bound another objective)")
        held.append((obj, float(eps)))
    main = objectives[objective]
    label = ", ".join(f"{o.name}<={e:.6g}" for o, e in held)
    return _with_objective(game, main, held, name=f"epsilon({label})")
