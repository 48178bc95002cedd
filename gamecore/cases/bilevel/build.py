"""A :class:`~gamecore.cases.bilevel.problem.BilevelProblem` as a gamecore Stackelberg game.

One leader variable x_k becomes the scalar signal ``x{k}`` (box ``[xl_k, xu_k]``), the
follower ``follower`` sends each y_j as the scalar output ``y{j}`` (and ``ry{k} = R[k] @ y``
where the leader's cross terms price exactly that: ``Hxy[k] = α R[k]``). The leader objective F:
linear terms and the quadratic ones go into a convex ``cost`` when the whole Hessian
``[[Hxx, Hxy], [Hxyᵀ, Hyy]]`` is positive semidefinite; otherwise (Hxx and Hyy PSD) the
cross terms Hxy[k, j]·x_k·y_j become :class:`~gamecore.leader.Bilinear` terms. Upper-level
constraints become leader constraints. The follower is a cvxpy program in which x enters
its objective through R (DPP: x_k · (R[k] @ y)) and its constraints as right-hand sides.
"""

from __future__ import annotations

from collections.abc import Mapping

import cvxpy as cp
import numpy as np

from gamecore.case import Case, Reference
from gamecore.cases.bilevel.problem import BilevelProblem
from gamecore.follower import Follower
from gamecore.game import Game
from gamecore.leader import Bilinear, Leader, LeaderObjective
from gamecore.signals import Signal


def _psd(matrix: np.ndarray) -> bool:
    return bool(matrix.size == 0 or np.linalg.eigvalsh(0.5 * (matrix + matrix.T)).min() >= -1e-10)


def _stack(values: Mapping[str, cp.Expression], prefix: str, size: int) -> cp.Expression:
    return cp.hstack([cp.reshape(values[f"{prefix}{k}"], (1,), order="C") for k in range(size)])


def follower_of(problem: BilevelProblem) -> Follower:
    """The lower level as a gamecore follower (signals ``x{k}``, outputs ``y{j}``)."""
    p = problem
    xs = {f"x{k}": cp.Parameter(name=f"x{k}") for k in range(p.n_x)}
    y = cp.Variable(p.n_y, name="y")
    cost = p.dy @ y
    for k in range(p.n_x):
        if np.any(p.R[k]):
            cost = cost + xs[f"x{k}"] * (p.R[k] @ y)
    if np.any(p.Q):
        cost = cost + 0.5 * cp.quad_form(y, cp.psd_wrap(p.Q))
    constraints = []
    if p.b.size:
        rhs = p.b - sum((xs[f"x{k}"] * p.Ax[:, k] for k in range(p.n_x) if np.any(p.Ax[:, k])), np.zeros(p.b.size))
        constraints.append(p.By @ y <= rhs)
    if p.e.size:
        rhs = p.e - sum((xs[f"x{k}"] * p.Ex[:, k] for k in range(p.n_x) if np.any(p.Ex[:, k])), np.zeros(p.e.size))
        constraints.append(p.Ey @ y == rhs)
    low, up = np.isfinite(p.yl), np.isfinite(p.yu)
    if low.any():
        constraints.append(y[np.flatnonzero(low)] >= p.yl[low])
    if up.any():
        constraints.append(y[np.flatnonzero(up)] <= p.yu[up])
    outputs = {f"y{j}": y[j] for j in range(p.n_y)}
    outputs.update({f"ry{k}": p.R[k] @ y for k in _priced_terms(p)})
    return Follower("follower", cp.Minimize(cost), constraints, signals=xs, outputs=outputs)


def _priced_rows(p: BilevelProblem) -> dict[int, float]:
    """Leader variables k whose cross terms price exactly what the follower pays: Hxy[k] = α·R[k].

    For those the follower sends ``ry{k} = R[k] @ y`` and the leader's term is the single
    bilinear α·x_k·ry{k}, so strategies can use strong duality on it (toll setting: the
    leader earns the tolls the follower pays)."""
    out = {}
    for k in range(p.n_x):
        if np.any(p.Hxy[k]) and np.any(p.R[k]):
            j = int(np.argmax(np.abs(p.R[k])))
            alpha = float(p.Hxy[k, j] / p.R[k, j])
            if np.allclose(p.Hxy[k], alpha * p.R[k], rtol=1e-12, atol=1e-12):
                out[k] = alpha
    return out


def _joint_hessian(p: BilevelProblem) -> np.ndarray:
    """The leader objective's Hessian in (x, y)."""
    return np.block([[p.Hxx, p.Hxy], [p.Hxy.T, p.Hyy]])


def _priced_terms(p: BilevelProblem) -> dict[int, float]:
    """:func:`_priced_rows` where the leader uses them: none when its objective is jointly
    convex in (x, y) (the cross terms then stay in its convex remainder)."""
    return {} if _psd(_joint_hessian(p)) else _priced_rows(p)


def leader_of(problem: BilevelProblem) -> Leader:
    """The upper level as a gamecore leader (objective ``F``, constraints ``G``)."""
    p = problem
    H = _joint_hessian(p)
    joint = _psd(H)
    if not joint and not (_psd(p.Hxx) and _psd(p.Hyy)):
        raise ValueError(f"bilevel problem '{p.name}': the leader objective is not convex in x and in y "
                         "(gamecore needs a convex remainder plus x·y bilinear terms)")
    priced = _priced_terms(p)
    bilinear = () if joint else tuple(
        [Bilinear(f"x{k}", f"ry{k}", alpha) for k, alpha in priced.items()]
        + [Bilinear(f"x{k}", f"y{j}", float(p.Hxy[k, j]))
           for k in range(p.n_x) if k not in priced for j in range(p.n_y) if p.Hxy[k, j]])

    def cost(signals: Mapping[str, cp.Expression], agg: Mapping[str, cp.Expression]) -> cp.Expression:
        X, Y = _stack(signals, "x", p.n_x), _stack(agg, "y", p.n_y)
        value = p.cx @ X + p.cy @ Y
        if joint and np.any(H):
            value = value + 0.5 * cp.quad_form(cp.hstack([X, Y]), cp.psd_wrap(H))
        elif not joint:
            if np.any(p.Hxx):
                value = value + 0.5 * cp.quad_form(X, cp.psd_wrap(p.Hxx))
            if np.any(p.Hyy):
                value = value + 0.5 * cp.quad_form(Y, cp.psd_wrap(p.Hyy))
        return value

    def constraints(signals: Mapping[str, cp.Expression], agg: Mapping[str, cp.Expression]) -> list[cp.Constraint]:
        X, Y = _stack(signals, "x", p.n_x), _stack(agg, "y", p.n_y)
        return [p.Gx @ X + p.Gy @ Y <= p.g]

    objective = LeaderObjective("F", bilinear=bilinear, cost=cost, sense="min")
    signals = [Signal(f"x{k}", (), float(p.xl[k]), float(p.xu[k])) for k in range(p.n_x)]
    return Leader(signals, objectives=[objective], name="leader", constraints=constraints if p.g.size else None)


def build_case(problem: BilevelProblem) -> Case:
    """The problem as a :class:`~gamecore.cases.base.Case` with its (verified) optimum as reference."""
    game = Game(leader_of(problem), [follower_of(problem)], name=f"bilevel/{problem.name}")
    signals = ({f"x{k}": np.asarray(problem.x_star[k]) for k in range(problem.n_x)}
               if problem.x_star is not None else {})
    how = {"literature": "literature optimum", "verified": "literature optimum, verified independently",
           "corrected": "corrected optimum (the listed one is wrong)"}[problem.optimum_status]
    reference = Reference("stackelberg", float(problem.f_star), signals, f"{how}: {problem.source}")
    return Case(f"bilevel/{problem.name}", game, reference, description=problem.source,
                params={"problem": problem})
