"""The generic outer approximation (:mod:`gamecore.outer_approximation`) on a small convex MINLP.

Problem (5 items, ``y`` binary switches ``x`` on and off)::

    min  Σ_i (x_i − a_i)² + c·y   s.t.  0 ≤ x_i ≤ U y_i,  Σ_i x_i ≥ b

The master replaces each square by an epigraph variable ``t_i ≥ 0`` with tangent cuts
``t_i ≥ (x̂_i − a_i)² + 2 (x̂_i − a_i)(x_i − x̂_i)``; the reference optimum enumerates all 2⁵
binary points, each a convex QP solved by Clarabel.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass

import cvxpy as cp
import numpy as np
import pytest

from gamecore.driver import Driver, MaxIter
from gamecore.outer_approximation import (
    CallbackCuts,
    CutSite,
    OAResult,
    SubproblemResult,
    as_cut_pool,
    outer_approximation,
    relative_gap,
)

A = np.array([3.0, 2.5, 1.0, 4.0, 2.0])
C = np.array([5.0, 2.0, 3.0, 9.0, 1.5])
U, B = 3.0, 8.0
N = len(A)
RECORD_KEYS = {"iteration", "lower", "upper", "gap", "new_cuts", "violated_cuts", "point_changed", "master_status",
               "master_value", "subproblem_feasible", "subproblem_value", "converged", "stalled", "failed", "solver_s"}


def solve_fixed(y: np.ndarray) -> tuple[float, np.ndarray | None]:
    """The convex QP at the binary point ``y`` (Clarabel): ``(value, x)``, ``(inf, None)`` if infeasible."""
    x = cp.Variable(N)
    prob = cp.Problem(cp.Minimize(cp.sum_squares(x - A) + C @ y), [x >= 0, x <= U * y, cp.sum(x) >= B])
    prob.solve(solver="CLARABEL")
    if prob.status not in ("optimal", "optimal_inaccurate"):
        return math.inf, None
    return float(prob.value), np.asarray(x.value)


@pytest.fixture(scope="module")
def enumerated() -> tuple[float, np.ndarray, float]:
    """``(optimum, its y, second-best value)`` over all 2^N binary points."""
    values = sorted((solve_fixed(np.array(y, float))[0], y) for y in itertools.product((0.0, 1.0), repeat=N))
    (best, y_best), (second, _) = values[0], values[1]
    return best, np.array(y_best), second


@dataclass
class Model:
    """The master model and the callbacks of the OA."""

    x: cp.Variable
    y: cp.Variable
    t: cp.Variable
    constraints: list[cp.Constraint]

    @property
    def objective(self) -> cp.Expression:
        return cp.sum(self.t) + C @ self.y

    def subproblem(self, point: np.ndarray) -> SubproblemResult:
        value, x = solve_fixed(point)
        return SubproblemResult(x is not None, value, solution=x)

    def cuts(self, site: CutSite) -> list[cp.Constraint]:
        """Tangent cuts of ``t_i ≥ (x_i − a_i)²``: at the QP's solution (every ``i``) or at the
        master's point (only where it violates the square)."""
        if site.kind == "subproblem":
            if not site.subproblem.feasible:
                return []
            idx = np.arange(N)
            xh = site.subproblem.solution
        else:
            xv, tv = np.asarray(self.x.value), np.asarray(self.t.value)
            idx = np.flatnonzero(tv < (xv - A) ** 2 - 1e-9 * (1 + (xv - A) ** 2))
            if idx.size == 0:
                return []
            xh = xv[idx]
        d = xh - A[idx]
        return [self.t[idx] >= d ** 2 + cp.multiply(2 * d, self.x[idx] - xh)]


def make_model(extra: bool = False) -> Model:
    x, y, t = cp.Variable(N, name="x"), cp.Variable(N, boolean=True, name="y"), cp.Variable(N, name="t")
    cons = [x >= 0, x <= U * y, cp.sum(x) >= B, t >= 0]
    if extra:
        cons.append(cp.sum(y) >= N + 1)  # no binary point satisfies it
    return Model(x, y, t, cons)


def run(model: Model, **kwargs) -> OAResult:
    return outer_approximation(model.objective, model.constraints, model.y, model.subproblem, model.cuts,
                               **{"gap": 1e-6, **kwargs})


def test_reaches_the_enumerated_optimum(enumerated) -> None:
    best, y_best, second = enumerated
    assert second > best + 1e-3  # the optimum's binary point is unique
    res = run(make_model())
    assert res.status == "optimal", res.message
    np.testing.assert_array_equal(res.integer_point, y_best)
    assert res.upper_bound == pytest.approx(best, rel=1e-6)
    assert res.lower_bound <= res.upper_bound and res.lower_bound <= best + 1e-7
    assert res.gap <= 1e-6 and res.gap == relative_gap(res.upper_bound, res.lower_bound)
    assert res.incumbent is not None and res.incumbent.upper_bound == res.upper_bound
    assert res.cuts > 0 and res.solver_s > 0 and res.subproblem_s > 0
    # one record per iteration; the bounds are monotone
    assert res.iterations >= 2 and len(res.history) == res.iterations == res.loop.iterations
    assert [r["iteration"] for r in res.history] == list(range(1, res.iterations + 1))
    assert all(RECORD_KEYS <= set(r) for r in res.history)
    lowers, uppers = [r["lower"] for r in res.history], [r["upper"] for r in res.history]
    assert lowers == sorted(lowers) and uppers == sorted(uppers, reverse=True)
    assert res.history[0]["point_changed"] and res.history[-1]["converged"]
    assert not any(r["converged"] for r in res.history[:-1])


def test_a_cut_pool_object_gives_the_same_run(enumerated) -> None:
    model = make_model()
    pool = CallbackCuts(model.cuts)
    assert as_cut_pool(pool) is pool
    res = outer_approximation(model.objective, model.constraints, model.y, model.subproblem, pool, gap=1e-6)
    ref = run(make_model())
    assert res.status == "optimal" and res.iterations == ref.iterations
    assert len(pool) == res.cuts == ref.cuts
    assert res.upper_bound == pytest.approx(enumerated[0], rel=1e-6)
    with pytest.raises(TypeError):
        as_cut_pool(42)  # type: ignore[arg-type]


def test_a_subproblem_reusing_the_master_variables_does_not_spoil_the_master_cuts(enumerated) -> None:
    model = make_model()

    def subproblem(point: np.ndarray) -> SubproblemResult:  # overwrites model.x.value
        prob = cp.Problem(cp.Minimize(cp.sum_squares(model.x - A) + C @ point),
                          [model.x >= 0, model.x <= U * point, cp.sum(model.x) >= B])
        prob.solve(solver="CLARABEL")
        return SubproblemResult(True, float(prob.value), solution=np.asarray(model.x.value))

    res = outer_approximation(model.objective, model.constraints, model.y, subproblem, model.cuts, gap=1e-6)
    ref = run(make_model())
    assert res.status == "optimal" and res.iterations == ref.iterations
    assert [r["violated_cuts"] for r in res.history] == [r["violated_cuts"] for r in ref.history]
    assert res.upper_bound == pytest.approx(enumerated[0], rel=1e-6)


def test_one_iteration_is_suboptimal_with_valid_bounds(enumerated) -> None:
    best = enumerated[0]
    res = run(make_model(), max_iter=1)
    assert res.status == "suboptimal", res.message
    assert res.iterations == 1 and len(res.history) == 1
    assert res.lower_bound <= best <= res.upper_bound
    assert res.gap > 1e-6 and "iteration limit 1" in res.message
    assert res.integer_point is not None and res.integer_point.shape == (N,)


def test_infeasible_master_fails_with_a_message() -> None:
    res = run(make_model(extra=True))
    assert res.status == "failed"
    assert "infeasible" in res.message and res.master_status == "infeasible"
    assert res.iterations == 1 and res.history[0]["failed"]
    assert res.integer_point is None and res.incumbent is None
    assert res.lower_bound == -math.inf and res.upper_bound == math.inf and res.gap == math.inf


def test_a_callback_stops_the_loop(enumerated) -> None:
    seen: list[int] = []

    def stop(info) -> bool:
        seen.append(info.iteration)
        return True

    res = run(make_model(), callback=stop)
    assert seen == [1] and res.iterations == 1
    assert res.status == "suboptimal" and "callback" in res.message
    assert res.lower_bound <= enumerated[0] <= res.upper_bound
    # the same through a driver passed in
    res = run(make_model(), driver=Driver(callback=lambda info: info.iteration >= 2))
    assert res.iterations == 2 and res.status in ("suboptimal", "optimal")


def test_an_expired_driver_gives_a_clean_failed_result() -> None:
    driver = Driver(time_limit=1e-6)
    time.sleep(0.01)
    res = run(make_model(), driver=driver)
    assert res.status == "failed" and res.iterations == 0 and res.history == []
    assert "time limit" in res.message and res.integer_point is None
    # a budget already spent (≤ 0) without a driver: no iteration either
    res = run(make_model(), time_limit=0.0)
    assert res.status == "failed" and res.iterations == 0 and "time limit" in res.message


def test_nested_in_an_outer_loop_of_the_same_driver(enumerated) -> None:
    driver = Driver(time_limit=120.0)
    results: list[OAResult] = []

    def outer_step(k: int) -> dict[str, float]:
        results.append(run(make_model(), driver=driver))
        return {"upper": results[-1].upper_bound}

    outer = driver.run("outer", outer_step, until=[MaxIter(1)])
    assert outer.iterations == 1 and results[0].status == "optimal"
    assert results[0].loop.loop == "outer/outer-approximation" and results[0].loop.depth == 1
    with pytest.raises(ValueError, match="driver"):
        run(make_model(), driver=driver, progress=True)


def test_stall_without_cuts_is_suboptimal() -> None:
    model = make_model()
    res = outer_approximation(model.objective, model.constraints, model.y, model.subproblem, lambda site: [],
                              gap=1e-6)
    assert res.status == "suboptimal" and "stalled" in res.message
    assert res.iterations == 2 and res.history[-1]["stalled"] and not res.history[-1]["point_changed"]


def test_relative_gap() -> None:
    assert relative_gap(2.0, 1.0) == 0.5
    assert relative_gap(-2.0, -3.0) == 0.5
    assert relative_gap(math.inf, 0.0) == math.inf and relative_gap(1.0, -math.inf) == math.inf
    assert relative_gap(0.0, 0.0) == 0.0
