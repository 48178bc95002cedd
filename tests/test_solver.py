"""gamecore.solver: the one place Clarabel is configured, solved and its statuses read."""

from __future__ import annotations

import time

import clarabel
import numpy as np
import pytest
import scipy.sparse as sp

import gamecore
from gamecore.cases import make_case
from gamecore.errors import GameDefinitionError
from gamecore.solver import (BASE_SETTINGS, EQUILIBRATE_ONCE, FAILED_STATUSES, LOOSEN_THEN_EQUILIBRATE, NO_RETRY,
                             OK_STATUSES, RetryPolicy, check_solver_options, clarabel_settings, new_solver, solve)


def lp(lower: float, upper: float) -> tuple:
    """``min x  s.t.  lower <= x <= upper`` in Clarabel form (rows −x ≤ −lower, x ≤ upper)."""
    P = sp.csc_matrix((1, 1))
    A = sp.csc_matrix(np.array([[-1.0], [1.0]]))
    return P, np.array([1.0]), A, np.array([-lower, upper]), [clarabel.NonnegativeConeT(2)]


def test_an_optimal_solve_is_not_retried() -> None:
    sol = solve(*lp(2.0, 5.0), {"verbose": False}, retry=LOOSEN_THEN_EQUILIBRATE)
    assert sol.status == "optimal" and sol.ok and sol.retries == 0
    assert sol.x == pytest.approx([2.0], abs=1e-7)


def test_policies_differ_on_infeasibility() -> None:
    """x ≥ 3 and x ≤ 1: infeasibility is an answer for followers (EQUILIBRATE_ONCE) but
    retried twice by the ADMM blocks' policy (LOOSEN_THEN_EQUILIBRATE)."""
    for policy, retries in ((NO_RETRY, 0), (EQUILIBRATE_ONCE, 0), (LOOSEN_THEN_EQUILIBRATE, 2)):
        sol = solve(*lp(3.0, 1.0), {"verbose": False}, retry=policy)
        assert sol.status == "infeasible" and not sol.ok and sol.x is None
        assert sol.retries == retries, policy.name


def test_iteration_limit_is_retried_once_with_equilibration() -> None:
    sol = solve(*lp(2.0, 5.0), {"verbose": False, "max_iter": 1}, retry=EQUILIBRATE_ONCE)
    assert sol.retries == 1 and sol.status == "max_iter"    # the retry keeps the call's max_iter
    assert sol.iterations >= 2                              # summed over both attempts


def test_statuses_and_policies_are_consistent() -> None:
    assert set(OK_STATUSES).isdisjoint(FAILED_STATUSES)
    with pytest.raises(ValueError, match="unknown statuses"):
        RetryPolicy("typo", on=("infeasable",))


def test_settings_are_applied_over_clarabel_defaults() -> None:
    settings = clarabel_settings({"max_iter": 7, "verbose": False})
    assert settings.max_iter == 7 and settings.verbose is False
    assert settings.tol_gap_abs == clarabel.DefaultSettings().tol_gap_abs
    with pytest.raises(GameDefinitionError, match=r"f: solver_options\['max_itr'\].*did you mean 'max_iter'"):
        check_solver_options("f", {"max_itr": 5})


def test_solve_time_is_measured_around_the_call() -> None:
    """Clarabel's own ``solve_time`` of a solver built earlier and updated since also counts its
    setup (about twice the call on this QP); ``Solution.solve_time`` is the call's own time, so
    repeated solves never add up to more than the wall time around them."""
    n = 200
    P = sp.csc_matrix(sp.eye(n))
    A = sp.csc_matrix(sp.vstack([sp.eye(n), -sp.eye(n)]))
    b = np.ones(2 * n)
    cones = [clarabel.NonnegativeConeT(2 * n)]
    solver = new_solver(P, np.ones(n), A, b, cones, BASE_SETTINGS)
    inside = 0.0
    start = time.perf_counter()
    for k in range(20):
        q = np.full(n, float(k + 1))
        solver.update(q=q)
        found = solve(P, q, A, b, cones, BASE_SETTINGS, solver=solver)
        assert found.ok and found.solve_time > 0
        inside += found.solve_time
    assert inside <= time.perf_counter() - start


def test_admm_mccormick_counts_its_relaxation_solves() -> None:
    """The relaxation blocks and the bound tightening are solver time of admm-mccormick
    (left out of ``Result.solver_s`` before: 0.21 of 1.57 s here, 4 of 67 s at 10 × 24; with them
    1.27 of 1.6 s here)."""
    result = gamecore.solve(make_case("analytic-stackelberg", agents=5, periods=12), "admm-mccormick",
                            progress=False, max_iter=100)
    assert 0.4 * result.wall_s < result.solver_s <= result.wall_s
