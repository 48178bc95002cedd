"""``admm-mccormick``'s two loops run through the shared driver: the outer ``"rounds"`` loop and
one nested ``"round k"`` loop of ADMM iterations per box round.

``max_iter`` is the total of ADMM iterations over all rounds, ``round_iter`` the cap of one
round; ``result.history`` is one row per ADMM iteration numbered over all rounds. The
callback, the solve's ``time_limit``, an exhausted ``max_iter`` and a failing block stop the
whole solve (status ``max_iter``, the reason first in the message, the best point so far).
"""

from __future__ import annotations

import numpy as np
import pytest

import gamecore
import strategies.admm_bilevel as admm_bilevel
from gamecore.driver import Driver, IterationInfo
from gamecore.errors import FollowerSolveError
from gamecore.pool import FollowerPool
from gamecore.strategy import SolveContext
from strategies.admm import ADMMMcCormick

#: the per-iteration history keys of admm-mccormick (unchanged by the driver)
HISTORY_KEYS = {"iteration", "round", "primal_residual", "price_residual", "power_residual", "dual_residual", "eps_pri",
                "eps_dual", "rho", "box_width", "signals"}


@pytest.fixture(scope="module")
def case() -> gamecore.Case:
    return gamecore.make_case("analytic-stackelberg", agents=5, periods=3, seed=2)


def round_loops(result: gamecore.Result) -> list[dict]:
    return [loop for loop in result.loops if loop["loop"].startswith("rounds/")]


def check_history(result: gamecore.Result) -> None:
    """One history row per ADMM iteration, numbered 1..N over all rounds, each in its round's loop."""
    history = result.history
    assert len(history) == result.iterations
    assert [h["iteration"] for h in history] == list(range(1, result.iterations + 1))
    assert all(set(h) == HISTORY_KEYS for h in history)
    per_round = [sum(1 for h in history if h["round"] == k) for k in range(1, len(round_loops(result)) + 1)]
    assert per_round == [loop["iterations"] for loop in round_loops(result)]


def test_rounds_and_their_admm_loops(case: gamecore.Case) -> None:
    result = gamecore.solve(case, "admm-mccormick", progress=False, seed=1, round_iter=5)
    assert result.status == "converged", result.message
    names = [loop["loop"] for loop in result.loops]
    rounds = round_loops(result)
    assert names[-1] == "rounds" and result.loops[-1]["depth"] == 0
    assert [loop["loop"] for loop in rounds] == [f"rounds/round {k}" for k in range(1, len(rounds) + 1)]
    assert all(loop["depth"] == 1 for loop in rounds)
    assert result.loops[-1]["iterations"] == len(rounds) == result.extra["rounds"]
    assert sum(loop["iterations"] for loop in rounds) == result.iterations
    assert all(loop["iterations"] <= 5 for loop in rounds)
    assert [r["iterations"] for r in result.extra["round_history"]] == [loop["iterations"] for loop in rounds]
    # a round that hit round_iter is flagged inexact in the round history
    for loop, summary in zip(rounds, result.extra["round_history"]):
        assert summary["inexact"] == (loop["status"] == "max_iter")
    check_history(result)


def test_default_rounds_end_by_boyds_rule(case: gamecore.Case) -> None:
    result = gamecore.solve(case, "admm-mccormick", progress=False, seed=1)
    assert result.status == "converged", result.message
    rounds = round_loops(result)
    assert len(rounds) == result.extra["rounds"] >= 2
    assert all(loop["status"] == "converged" and "Boyd" in loop["reason"] for loop in rounds)
    assert all(loop["iterations"] <= 400 for loop in rounds)            # round_iter default
    assert sum(loop["iterations"] for loop in rounds) == result.iterations
    assert result.loops[-1]["status"] == "converged" and "relax_tol" in result.loops[-1]["reason"]
    check_history(result)


def test_the_outer_loop_records_one_round_summary_per_round(case: gamecore.Case) -> None:
    strategy = ADMMMcCormick(round_iter=5, max_iter=23)
    driver = Driver()
    pool = FollowerPool(case.game)
    try:
        outcome = strategy.run(SolveContext(case.game, pool, strategy.options, 1, False, driver))
    finally:
        pool.close()
    outer = [run for run in driver.runs if run.loop == "rounds"]
    assert len(outer) == 1 and outer[0].iterations == 5
    closed = outcome.extra["round_history"]
    assert len(closed) == 4
    for k, summary in enumerate(closed, start=1):
        assert outer[0].history[k - 1] == {"iteration": k, **summary}
    # round 5 was cut by max_iter: an interrupted record, not a closed round
    last = outer[0].history[-1]
    assert last["round"] == 5 and last["iterations"] == 3 and "max_iter=23" in last["interrupted"]


def test_max_iter_is_the_total_over_rounds(case: gamecore.Case) -> None:
    result = gamecore.solve(case, "admm-mccormick", progress=False, seed=1, round_iter=5, max_iter=23)
    assert result.status == "max_iter" and "max_iter=23" in result.message
    assert result.iterations == 23
    assert [loop["iterations"] for loop in round_loops(result)] == [5, 5, 5, 5, 3]
    assert round_loops(result)[-1]["reason"] == "max_iter=3 reached"        # the budget left, not round_iter
    assert result.extra["rounds"] == 4                                       # round 5 was not closed
    assert np.isfinite(result.objective)
    check_history(result)


def test_max_iter_used_up_at_a_round_end_stops_before_the_next_round(case: gamecore.Case) -> None:
    result = gamecore.solve(case, "admm-mccormick", progress=False, seed=1, round_iter=5, max_iter=20)
    assert result.status == "max_iter" and "max_iter=20" in result.message
    assert [loop["iterations"] for loop in round_loops(result)] == [5, 5, 5, 5]
    assert result.extra["rounds"] == 4
    check_history(result)


def test_callback_stops_round_one_and_the_solve(case: gamecore.Case) -> None:
    """Design: a callback that stops a round's loop ends the whole solve (the round is not closed)."""
    seen: list[str] = []

    def callback(info: IterationInfo) -> bool:
        seen.append(info.loop)
        return info.loop == "rounds/round 1" and info.iteration >= 5

    result = gamecore.solve(case, "admm-mccormick", progress=False, seed=1, callback=callback)
    assert result.status == "max_iter"
    assert result.message.startswith("stopped by the callback at iteration 5 (loop 'rounds/round 1'"), result.message
    assert result.iterations == 5
    assert [(loop["loop"], loop["iterations"]) for loop in result.loops] == [("rounds/round 1", 5), ("rounds", 1)]
    assert seen == ["rounds/round 1"] * 5 + ["rounds"]
    assert [loop["cause"] for loop in result.loops] == ["callback", "termination"]
    assert result.extra["rounds"] == 0
    assert np.isfinite(result.objective) and all(np.all(np.isfinite(v)) for v in result.signals.values())
    check_history(result)


def test_callback_on_the_rounds_loop_stops_between_rounds(case: gamecore.Case) -> None:
    result = gamecore.solve(case, "admm-mccormick", progress=False, seed=1,
                            callback=lambda info: info.loop == "rounds" and info.iteration == 2)
    assert result.status == "max_iter" and "stopped by the callback at iteration 2 (loop 'rounds'" in result.message
    assert result.extra["rounds"] == 2 and len(round_loops(result)) == 2
    check_history(result)


def test_time_limit_stops_the_rounds(case: gamecore.Case) -> None:
    # the trust region alone (a time limit inside the branch and bound leaves its settled answer)
    full = gamecore.solve(case, "admm-mccormick", progress=False, seed=1, branch_signals=0)
    limit = round(full.wall_s / 4, 3)
    result = gamecore.solve(case, "admm-mccormick", progress=False, seed=1, time_limit=limit, branch_signals=0)
    assert result.status == "max_iter"
    assert f"time limit {limit:g} s" in result.message, result.message
    assert any(loop["cause"] == "time_limit" for loop in result.loops)
    assert result.iterations < full.iterations
    assert sum(loop["iterations"] for loop in round_loops(result)) == result.iterations
    assert np.isfinite(result.objective)                # the best point so far is returned
    check_history(result)


def test_block_failure_stops_every_loop(case: gamecore.Case, monkeypatch: pytest.MonkeyPatch) -> None:
    solve = admm_bilevel.RelaxationBlock.solve
    calls = {"n": 0}

    def failing(self, rho_sig, rho_y, alpha, beta):  # noqa: ANN001, ANN202
        calls["n"] += 1
        if calls["n"] > 60:
            raise FollowerSolveError(self.rel.name, "numerical_error", {"sigma_local": alpha},
                                     "ADMM block of the McCormick relaxation")
        return solve(self, rho_sig, rho_y, alpha, beta)

    monkeypatch.setattr(admm_bilevel.RelaxationBlock, "solve", failing)
    result = gamecore.solve(case, "admm-mccormick", progress=False, seed=1)
    assert result.status == "max_iter"
    assert result.message.startswith("stopped: follower 'consumer0' is numerical_error"), result.message
    # measured before the driver (the failing iteration keeps its history row): 13 iterations, 1 closed round
    assert result.iterations == 13 and result.extra["rounds"] == 1
    assert [loop["loop"] for loop in result.loops] == ["rounds/round 1", "rounds/round 2", "rounds"]
    assert round_loops(result)[-1]["reason"] == "a block's solver failed"
    check_history(result)


def test_primal_residual_splits_into_price_and_power_parts(case: gamecore.Case) -> None:
    """The primal residual is the norm of its two parts: the followers' signal copies (the price
    residual) and their outputs (the power residual), as seed 001's stopping rule reports them."""
    result = gamecore.solve(case, "admm-mccormick", progress=False, seed=1, branch_signals=0)
    for row in result.history:
        assert row["primal_residual"] == pytest.approx(np.hypot(row["price_residual"], row["power_residual"]),
                                                       rel=1e-12)
    assert any(row["price_residual"] > 0 for row in result.history)
