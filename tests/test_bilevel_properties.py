"""Property tests on generated bilevel games with LP / convex-QP followers.

* ``kkt`` is global: no other strategy's leader objective is below it (beyond tolerance).
* No strategy returns ``converged`` with a leader regret above tolerance against ``kkt``'s
  optimum, computed separately from the certificate.
* ``kkt``'s answer is bilevel feasible: the follower's re-solved optimal value at its
  signals equals the reported response's value (best-response gap) and the point is
  feasible.

Generated games always have a feasible, bounded follower for every leader decision in the
box (y = 0 is feasible: ``b ≥ max_x Ax x``; y is boxed), so every strategy has an answer.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import gamecore
from gamecore.cases.bilevel.build import build_case
from gamecore.cases.bilevel.problem import BilevelProblem


@st.composite
def bilevel_problems(draw: st.DrawFn) -> BilevelProblem:
    seed = draw(st.integers(0, 2**31 - 1))
    n_x, n_y, m = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 3))
    quadratic = draw(st.booleans())
    rng = np.random.default_rng(seed)
    xu = rng.uniform(1.0, 5.0, n_x)
    Ax = np.round(rng.uniform(-2, 2, (m, n_x)), 1)
    By = np.round(rng.uniform(-1, 2, (m, n_y)), 1)
    b = np.maximum(Ax, 0.0) @ xu + np.round(rng.uniform(0.5, 4.0, m), 1)   # y = 0 always feasible
    Q = np.diag(np.round(rng.uniform(0.5, 2.0, n_y), 1)) if quadratic else None
    return BilevelProblem(
        f"generated-{seed}", "generated", n_x, n_y, f_star=0.0,
        cx=np.round(rng.uniform(-2, 2, n_x), 1), cy=np.round(rng.uniform(-3, 3, n_y), 1),
        xl=0.0, xu=xu, dy=np.round(rng.uniform(-3, 3, n_y), 1), R=np.round(rng.uniform(-1, 1, (n_x, n_y)), 1),
        Q=Q, Ax=Ax, By=By, b=b, yl=0.0, yu=np.full(n_y, 5.0))


@settings(max_examples=6)
@given(problem=bilevel_problems())
def test_kkt_is_global_and_no_strategy_converges_above_its_regret(problem: BilevelProblem) -> None:
    game = build_case(problem).game
    exact = gamecore.solve(game, "kkt", time_limit=60.0, progress=False)
    assert exact.status == "converged", exact.message
    assert exact.certificate.best_response_gap <= 1e-6
    assert exact.certificate.follower_infeasibility <= 1e-6
    scale = max(1.0, abs(exact.objective))
    for name in ("nsga-qp", "admm"):
        try:
            other = gamecore.solve(game, name, progress=False)
        except gamecore.StrategyError:
            continue
        if other.objective is None:
            continue
        assert other.objective >= exact.objective - 1e-6 * scale, (name, other.objective, exact.objective)
        if other.status == "converged":
            assert (other.objective - exact.objective) / scale <= 1e-3, (name, other.message)
