"""Consistency of the published bilevel test problems (:mod:`gamecore.cases.bilevel`).

For every problem that lists a solution point (x*, y*):

* F(x*, y*) matches the listed optimum (relative 1e-4): ``f_star``, or ``listed_f_star``
  where the library corrected a wrong listed value,
* (x*, y*) satisfies every constraint (tolerance 1e-6, scaled by the size of the row),
* y* is an optimal follower response at x*: f(x*, y*) is within 1e-6 (relative) of the
  follower's optimal value at x*, computed independently with cvxpy + CLARABEL.

Problems tagged ``"listed-point-mismatch"`` carry a documented discrepancy between the
listed point and the listed optimum (see their ``notes``); for them the check is an
expected failure (strict: a tagged problem whose listed point passes fails the suite,
so the tag cannot go stale). The problems are read from the registry, not named here.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest

from gamecore.cases.bilevel import PROBLEMS, BilevelProblem, linear, quadratic, tp

F_RTOL = 1e-4
FEAS_TOL = 1e-6
FOLLOWER_RTOL = 1e-6
MISMATCH = "listed-point-mismatch"

WITH_POINT = sorted(name for name, p in PROBLEMS.items() if p.x_star is not None and p.y_star is not None)


def _params() -> list:
    params = []
    for name in WITH_POINT:
        marks = []
        if MISMATCH in PROBLEMS[name].tags:
            reason = f"{name}: listed point and optimum disagree (see notes)"
            marks.append(pytest.mark.xfail(strict=True, reason=reason))
        params.append(pytest.param(name, marks=marks, id=name))
    return params


def _rows(p: BilevelProblem) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray, bool]]:
    """(label, coefficients of x, coefficients of y, right-hand side, equality) of every constraint block."""
    n_x, n_y = p.n_x, p.n_y
    eye_x, eye_y = np.eye(n_x), np.eye(n_y)
    blocks = [("upper level", p.Gx, p.Gy, p.g, False), ("lower level", p.Ax, p.By, p.b, False),
              ("lower level (equality)", p.Ex, p.Ey, p.e, True),
              ("x >= xl", -eye_x, np.zeros((n_x, n_y)), -p.xl, False),
              ("x <= xu", eye_x, np.zeros((n_x, n_y)), p.xu, False),
              ("y >= yl", np.zeros((n_y, n_x)), -eye_y, -p.yl, False),
              ("y <= yu", np.zeros((n_y, n_x)), eye_y, p.yu, False)]
    return [(label, a, b, r, eq) for label, a, b, r, eq in blocks if len(r)]


def _violations(p: BilevelProblem, x: np.ndarray, y: np.ndarray) -> list[str]:
    out = []
    for label, a, b, rhs, eq in _rows(p):
        finite = np.isfinite(rhs)
        lhs = a @ x + b @ y
        scale = 1.0 + np.abs(rhs) + np.abs(a) @ np.abs(x) + np.abs(b) @ np.abs(y)
        excess = np.abs(lhs - rhs) if eq else lhs - rhs
        bad = finite & (excess > FEAS_TOL * np.where(finite, scale, 1.0))
        out += [f"{label} row {i}: lhs {lhs[i]:.9g} vs rhs {rhs[i]:.9g}" for i in np.flatnonzero(bad)]
    return out


def _follower_optimum(p: BilevelProblem, x: np.ndarray) -> float:
    """Optimal value of the follower's LP/QP at x (cvxpy + CLARABEL)."""
    y = cp.Variable(p.n_y)
    objective = (p.dy + p.R.T @ x) @ y
    if np.any(p.Q):
        objective = objective + 0.5 * cp.quad_form(y, cp.psd_wrap(p.Q))
    constraints = []
    if len(p.b):
        constraints.append(p.By @ y <= p.b - p.Ax @ x)
    if len(p.e):
        constraints.append(p.Ey @ y == p.e - p.Ex @ x)
    lower, upper = np.isfinite(p.yl), np.isfinite(p.yu)
    if lower.any():
        constraints.append(y[np.flatnonzero(lower)] >= p.yl[lower])
    if upper.any():
        constraints.append(y[np.flatnonzero(upper)] <= p.yu[upper])
    problem = cp.Problem(cp.Minimize(objective), constraints)
    problem.solve(solver=cp.CLARABEL)
    assert problem.status == cp.OPTIMAL, f"{p.name}: follower problem at x* is {problem.status}"
    return float(problem.value)


def test_names_unique_across_modules() -> None:
    """The registry is a dict: a name entered twice would silently hide one problem."""
    names = [p.name for module in (linear, quadratic, tp) for p in module.PROBLEMS]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    assert not duplicates, f"problems entered more than once: {duplicates}"


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_leader_box_finite(name: str) -> None:
    p = PROBLEMS[name]
    assert np.isfinite(p.xl).all() and np.isfinite(p.xu).all(), f"{name}: leader box must be finite"


@pytest.mark.parametrize("name", _params())
def test_listed_point(name: str) -> None:
    p = PROBLEMS[name]
    x, y = np.asarray(p.x_star, float), np.asarray(p.y_star, float)
    problems = []

    value = p.leader_value(x, y)
    listed = p.listed_f_star if p.optimum_status == "corrected" else p.f_star
    if abs(value - listed) > F_RTOL * max(1.0, abs(listed)):
        problems.append(f"F(x*, y*) = {value:.9g} but the listed optimum is {listed:.9g}")

    problems += _violations(p, x, y)

    best = _follower_optimum(p, x)
    c = p.dy + p.R.T @ x + 0.5 * p.Q @ y
    got = p.follower_value(x, y)
    if abs(got - best) > FOLLOWER_RTOL * (1.0 + abs(best) + np.abs(c) @ np.abs(y)):
        problems.append(f"y* is not a follower optimum at x*: f(x*, y*) = {got:.9g}, "
                        f"follower optimum {best:.9g}")

    assert not problems, f"{name}: " + "; ".join(problems)
