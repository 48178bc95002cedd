"""The leader's problem in cvxpy terms: its arguments (signals, aggregated outputs) and constraints.

Leader objectives (:class:`~gamecore.leader.LeaderObjective`) and leader constraints
(:attr:`~gamecore.leader.Leader.constraints`) are written as callables of two mappings,
``signals[name]`` (the signal's shape) and ``agg[o]`` (Σ_i y_i[o], the output's shape).
:func:`leader_arguments` builds those mappings over any flat cvxpy vector of signals and
any aggregate expressions, so every place that needs the leader's problem (the certificate,
``kkt``, ``admm``) builds it the same way. :class:`LeaderConstraints` checks the
constraints once at game construction and measures their violation at a point;
:func:`compile_leader` compiles cost and constraints once to canonical form
(:class:`LeaderProgram`, memoised per game by :meth:`gamecore.game.Game.leader_program`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from gamecore.canonical import CanonicalProgram, compile_program
from gamecore.errors import GameDefinitionError
from gamecore.leader import ConstraintBuilder, LeaderObjective
from gamecore.signals import SignalLayout


def leader_arguments(layout: SignalLayout, sigma: cp.Expression,
                     aggregates: Mapping[str, cp.Expression],
                     output_shapes: Mapping[str, tuple[int, ...]]) -> tuple[dict[str, cp.Expression],
                                                                              dict[str, cp.Expression]]:
    """``(signals, agg)`` for a leader callable from a flat signal vector and flat aggregates.

    Args:
        layout: the game's signal layout.
        sigma: cvxpy vector of shape ``(layout.size,)`` (variable, parameter or constant).
        aggregates: output name -> flat cvxpy vector of size ``prod(output_shapes[o])``.
        output_shapes: output name -> declared shape.
    """
    signals = {}
    for name, sig in layout.signals.items():
        part = sigma[layout.slices[name]]
        signals[name] = cp.reshape(part, sig.shape, order="C") if len(sig.shape) != 1 else part
        if not sig.shape:
            signals[name] = sigma[layout.slices[name].start]
    agg = {}
    for o, expr in aggregates.items():
        shape = output_shapes[o]
        if not shape:
            agg[o] = expr[0] if expr.ndim else expr
        else:
            agg[o] = cp.reshape(expr, shape, order="C") if len(shape) != 1 else expr
    return signals, agg


def cost_outputs(objective: LeaderObjective, layout: SignalLayout,
                 output_shapes: Mapping[str, tuple[int, ...]], agent: str = "leader") -> list[str]:
    """The outputs whose aggregate ``objective.cost`` uses (built once over placeholder variables).

    Raises:
        GameDefinitionError: naming the leader and the objective's cost when it uses an
            unknown signal or output name or raises.
    """
    if objective.cost is None:
        return []
    where = f"objectives['{objective.name}'].cost"
    sigma = cp.Variable(layout.size, name="signals")
    aggs = {o: cp.Variable(int(np.prod(s, dtype=int)), name=f"agg_{o}") for o, s in output_shapes.items()}
    signals, agg = leader_arguments(layout, sigma, aggs, output_shapes)
    try:
        expr = cp.Expression.cast_to_const(objective.cost(signals, agg))
    except KeyError as err:
        raise GameDefinitionError(agent, where, f"uses unknown name {err}; signals: {layout.names}, "
                                  f"outputs: {sorted(output_shapes)}") from None
    except Exception as err:  # the user's callable: report it with the agent named
        raise GameDefinitionError(agent, where, f"raised {type(err).__name__}: {err}") from None
    used = {v.id for v in expr.variables()}
    return [o for o, v in aggs.items() if v.id in used]


def _relative(violation: np.ndarray, constraint: cp.Constraint) -> float:
    """Largest violation of one constraint relative to ``max(1, |sides|)``; NaN/inf -> inf."""
    v = np.asarray(violation, dtype=float)
    if not np.isfinite(v).all():
        return float("inf")
    scale = 1.0
    for arg in constraint.args:
        value = arg.value
        if value is not None:
            arr = np.asarray(value, dtype=float)
            if arr.size and np.isfinite(arr).all():
                scale = max(scale, float(np.abs(arr).max()))
    return float(v.max()) / scale if v.size else 0.0


class LeaderConstraints:
    """The leader's upper-level constraints of one game, checked once and evaluable at points.

    Args:
        builder: ``constraints(signals, agg) -> [cp.Constraint]`` (see :class:`~gamecore.leader.Leader`).
        layout: the game's signal layout.
        output_shapes: output name -> shape, over every output some follower sends.
        agent: the leader's name (for errors).

    Raises:
        GameDefinitionError: naming the leader and ``constraints`` when the builder raises,
            returns something else than constraints, uses an unknown signal or output, or
            returns a non-convex (non-DCP) constraint.
    """

    def __init__(self, builder: ConstraintBuilder, layout: SignalLayout,
                 output_shapes: Mapping[str, tuple[int, ...]], agent: str = "leader") -> None:
        self.builder = builder
        self.layout = layout
        self.output_shapes = dict(output_shapes)
        self.agent = agent
        sigma = cp.Variable(layout.size, name="signals")
        aggs = {o: cp.Variable(int(np.prod(s, dtype=int)), name=f"agg_{o}") for o, s in self.output_shapes.items()}
        constraints = self.build(sigma, aggs)
        for k, con in enumerate(constraints):
            if not con.is_dcp():
                raise GameDefinitionError(agent, f"constraints[{k}]",
                                          f"is not convex in signals and aggregated outputs (fails DCP rules): {con}")
        used = {v.id for con in constraints for v in con.variables()}
        #: outputs whose aggregate some constraint uses
        self.outputs = [o for o, v in aggs.items() if v.id in used]
        self.count = len(constraints)
        # parametrised copy for fast evaluation at points
        self._sigma = cp.Parameter(layout.size)
        self._aggs = {o: cp.Parameter(int(np.prod(s, dtype=int))) for o, s in self.output_shapes.items()}
        self._constraints = self.build(self._sigma, self._aggs)

    def build(self, sigma: cp.Expression, aggregates: Mapping[str, cp.Expression]) -> list[cp.Constraint]:
        """The constraints over a flat signal vector ``sigma`` and flat ``aggregates`` (cvxpy)."""
        signals, agg = leader_arguments(self.layout, sigma, aggregates, self.output_shapes)
        try:
            constraints = self.builder(signals, agg)
        except KeyError as err:
            raise GameDefinitionError(self.agent, "constraints",
                                      f"uses unknown name {err}; signals: {self.layout.names}, "
                                      f"outputs: {sorted(self.output_shapes)}") from None
        except Exception as err:  # the user's callable: report it with the agent named
            raise GameDefinitionError(self.agent, "constraints", f"raised {type(err).__name__}: {err}") from None
        if isinstance(constraints, cp.Constraint):
            constraints = [constraints]
        constraints = list(constraints or [])
        for k, con in enumerate(constraints):
            if not isinstance(con, cp.Constraint):
                raise GameDefinitionError(self.agent, f"constraints[{k}]",
                                          f"expected a cvxpy constraint, got {type(con).__name__}")
        return constraints

    def violation(self, signal_vector: np.ndarray, aggregates: Mapping[str, np.ndarray]) -> float:
        """Largest relative violation ``viol / max(1, |sides|)`` at a point (0 if feasible; inf on NaN).

        Args:
            signal_vector: flat signals (game layout).
            aggregates: output name -> Σ_i y_i[o] (any shape of the right size).
        """
        sigma = np.asarray(signal_vector, dtype=float)
        if not np.isfinite(sigma).all():
            return float("inf")
        self._sigma.value = sigma
        for o, p in self._aggs.items():
            value = np.asarray(aggregates[o], dtype=float).ravel() if o in aggregates else np.zeros(p.size)
            if not np.isfinite(value).all():
                return float("inf")
            p.value = value
        worst = 0.0
        for con in self._constraints:
            worst = max(worst, _relative(con.violation(), con))
        return worst


@dataclass(frozen=True)
class LeaderProgram:
    """The leader's convex remainder and constraints compiled once to canonical form.

    ``minimize sign·cost(σ, agg)  s.t.  leader constraints(σ, agg)`` over its own variables
    w (cvxpy's canonical form, :class:`~gamecore.canonical.CanonicalProgram` without
    signals); ``w[sigma_cols]`` holds σ (game layout) and ``w[agg_cols[o]]`` holds Σ_i y_i[o]
    for every output the cost or constraints use. Other programs link to it by equality
    rows (the ``kkt`` model, its polish, the optimistic selection).

    Attributes:
        program: the compiled program (objective in minimisation form, incl. the sign).
        sigma_cols: (layout.size,) columns of σ; agg_cols: output -> its columns.
        sign: +1 for ``sense="min"``, −1 for ``"max"`` (the bilinear terms take it too).
    """

    program: CanonicalProgram
    sigma_cols: np.ndarray
    agg_cols: dict[str, np.ndarray]
    sign: float


def compile_leader(name: str, layout: SignalLayout, output_shapes: Mapping[str, tuple[int, ...]],
                   objective: LeaderObjective | None, constraints: LeaderConstraints | None) -> LeaderProgram:
    """Compile ``objective.cost`` (in minimisation form) and the leader's constraints (see :class:`LeaderProgram`).

    Raises:
        GameDefinitionError: naming the leader and the objective when the cost is not
            convex (``sense="min"``) / concave (``"max"``) in signals and aggregates.
    """
    sign = 1.0 if objective is None or objective.sense == "min" else -1.0
    sigma = cp.Variable(layout.size, name="sigma")
    aggs = {o: cp.Variable(int(np.prod(s, dtype=int)), name=f"agg_{o}") for o, s in output_shapes.items()}
    signals, agg = leader_arguments(layout, sigma, aggs, output_shapes)
    expr: cp.Expression = cp.Constant(0.0)
    if objective is not None and objective.cost is not None:
        expr = sign * cp.sum(cp.Expression.cast_to_const(objective.cost(signals, agg)))
        if not expr.is_convex():
            raise GameDefinitionError(name, f"objectives['{objective.name}'].cost",
                                      f"is not {'convex' if sign > 0 else 'concave'} (DCP) in signals and "
                                      "aggregated outputs")
    rows = constraints.build(sigma, aggs) if constraints is not None else []
    used = {v.id for v in expr.variables()} | {v.id for c in rows for v in c.variables()}
    outputs: dict[str, cp.Expression] = {"__sigma": sigma}
    outputs.update({f"__agg_{o}": v for o, v in aggs.items() if v.id in used})
    anchor = [v == v for v in outputs.values()]   # every linked variable gets columns in cvxpy's form
    program = compile_program(name, cp.Minimize(expr), list(rows) + anchor, {}, outputs)
    return LeaderProgram(program, program.outputs["__sigma"][0],
                         {key[len("__agg_"):]: cols for key, (cols, _) in program.outputs.items()
                          if key.startswith("__agg_")}, sign)
