"""gamecore.solver: the one place Clarabel is configured, solved and its statuses read."""

from __future__ import annotations

import clarabel
import numpy as np
import pytest
import scipy.sparse as sp

from gamecore.errors import GameDefinitionError
from gamecore.solver import (EQUILIBRATE_ONCE, FAILED_STATUSES, LOOSEN_THEN_EQUILIBRATE, NO_RETRY, OK_STATUSES,
                             RetryPolicy, check_solver_options, clarabel_settings, solve)


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
