"""The shared iteration driver: terminations, nested loops, callback, time limit, honest progress."""

from __future__ import annotations

import time

import numpy as np
import pytest

import gamecore
from gamecore.driver import Driver, IterationInfo, Limit, MaxIter, Rule, TimeLimit, Tolerance


def countdown(start: float, factor: float = 0.5):
    """A step whose record ``residual`` is ``start · factor^k``."""
    return lambda k: {"residual": start * factor ** k}


def test_tolerance_stops_converged_with_history() -> None:
    run = Driver().run("halve", countdown(1.0), until=[Tolerance("residual", 1e-3), MaxIter(100)])
    # 0.5^10 = 9.8e-4 is the first residual <= 1e-3
    assert run.status == "converged" and run.iterations == 10
    assert [r["iteration"] for r in run.history] == list(range(1, 11))
    assert run.history[-1]["residual"] == pytest.approx(0.5 ** 10)
    assert "residual" in run.reason and "1e-03" not in run.reason


def test_max_iter_stops_with_its_status() -> None:
    run = Driver().run("slow", countdown(1.0, 0.99), until=[Tolerance("residual", 1e-3), MaxIter(7)])
    assert run.status == "max_iter" and run.iterations == 7 and isinstance(run.stopped_by, MaxIter)
    assert run.reason == "max_iter=7 reached"


def test_convergence_wins_over_budget_at_the_same_iteration() -> None:
    # the rule first holds at iteration 10, which is also the last allowed one
    run = Driver().run("tie", countdown(1.0), until=[MaxIter(10), Tolerance("residual", 1e-3)])
    assert run.status == "converged" and run.iterations == 10


def test_nan_never_converges() -> None:
    run = Driver().run("nan", lambda k: {"residual": float("nan")}, until=[Tolerance("residual", 1.0), MaxIter(3)])
    assert run.status == "max_iter" and run.iterations == 3


def test_rule_and_limit_predicates_see_the_history() -> None:
    stall = Limit(lambda info: len(info.history) >= 3 and info.history[-1]["x"] == info.history[-3]["x"], "stalled")
    run = Driver().run("flat", lambda k: {"x": min(k, 2)}, until=[stall, MaxIter(50)])
    assert run.status == "max_iter" and run.reason == "stalled" and run.iterations == 4
    run = Driver().run("rule", lambda k: {"x": k}, until=[Rule(lambda i: i.record["x"] == 5, "x hit 5"), MaxIter(9)])
    assert run.status == "converged" and run.reason == "x hit 5" and run.iterations == 5


def test_unbounded_loop_is_refused() -> None:
    with pytest.raises(ValueError, match="could run forever"):
        Driver().run("forever", countdown(1.0), until=[Tolerance("residual", 0.0)])
    # a time limit on the loop or on the driver is a bound
    assert Driver(time_limit=60).run("ok", countdown(1.0), until=[Tolerance("residual", 0.1)]).converged


def test_max_iter_zero_runs_nothing() -> None:
    calls: list[int] = []
    run = Driver().run("none", lambda k: calls.append(k) or {}, until=[MaxIter(0)])
    assert run.iterations == 0 and calls == [] and run.status == "max_iter"


def test_bad_terminations_are_refused() -> None:
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="MaxIter"):
            MaxIter(bad)  # type: ignore[arg-type]
    for bad_s in (0, -1.0, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="TimeLimit"):
            TimeLimit(bad_s)


def test_callback_sees_nested_loops_and_can_stop_one() -> None:
    seen: list[tuple[str, int, int]] = []

    def callback(info: IterationInfo) -> bool:
        seen.append((info.loop, info.depth, info.iteration))
        return info.loop.endswith("inner") and info.iteration == 2     # stop every inner loop at 2

    driver = Driver(callback=callback)

    def outer_step(k: int) -> dict[str, float]:
        inner = driver.run("inner", countdown(1.0), until=[MaxIter(10)])
        return {"inner_iterations": inner.iterations}

    outer = driver.run("outer", outer_step, until=[MaxIter(3)])
    assert outer.iterations == 3 and [r["inner_iterations"] for r in outer.history] == [2, 2, 2]
    assert seen[:3] == [("outer/inner", 1, 1), ("outer/inner", 1, 2), ("outer", 0, 1)]
    assert [r.loop for r in driver.runs] == ["outer/inner"] * 3 + ["outer"]
    assert driver.runs[0].reason == "stopped by the callback at iteration 2"
    assert driver.runs[0].status == "max_iter" and driver.runs[0].cause == "callback"
    assert outer.cause == "termination" and isinstance(outer.stopped_by, MaxIter)


def test_a_rule_that_holds_wins_over_a_callback_stop() -> None:
    """The callback sees every iteration, but a termination that fires at the same iteration decides."""
    seen: list[int] = []
    run = Driver(callback=lambda info: seen.append(info.iteration) or True).run(
        "tie", countdown(1.0), until=[Tolerance("residual", 0.6), MaxIter(5)])
    assert run.status == "converged" and run.cause == "termination" and seen == [1]
    run = Driver(callback=lambda info: True).run("stop", countdown(1.0), until=[Tolerance("residual", 0.1), MaxIter(5)])
    assert run.status == "max_iter" and run.cause == "callback" and run.iterations == 1


def test_infinite_time_limit_means_none() -> None:
    assert Driver(time_limit=float("inf")).time_limit is None


def test_solve_wide_time_limit_bounds_nested_loops() -> None:
    driver = Driver(time_limit=0.2)

    def slow_step(k: int) -> dict[str, float]:
        time.sleep(0.05)
        return {}

    first = driver.run("first", slow_step, until=[MaxIter(1000)])
    assert 2 <= first.iterations <= 8 and "time limit 0.2 s of the solve reached" in first.reason
    assert first.cause == "time_limit" and first.stopped_by is None
    second = driver.run("second", slow_step, until=[MaxIter(1000)])    # starts after the deadline
    assert second.iterations == 0 and "before the loop started" in second.reason and second.cause == "time_limit"


def test_loop_time_limit() -> None:
    run = Driver().run("timed", lambda k: time.sleep(0.03) or {}, until=[TimeLimit(0.1), MaxIter(1000)])
    assert run.status == "max_iter" and 2 <= run.iterations <= 6 and isinstance(run.stopped_by, TimeLimit)


def test_progress_total_is_what_ran(capsys: pytest.CaptureFixture[str]) -> None:
    run = Driver(progress=True).run("bar", countdown(1.0), until=[Tolerance("residual", 1e-2), MaxIter(5000)])
    lines = [line for line in capsys.readouterr().err.replace("\r", "\n").splitlines() if line.strip()]
    assert run.iterations == 7
    assert "/5000" in lines[0]          # the budget while running ...
    assert "7/7" in lines[-1]           # ... and what ran once it stopped, not 7/5000


# ----------------------------------------------------------------------------- strategies
def test_strategy_callback_stops_the_solve(market_case: gamecore.Case) -> None:
    infos: list[IterationInfo] = []
    result = gamecore.solve(market_case, "subgradient", progress=False,
                            callback=lambda info: infos.append(info) or info.iteration >= 4)
    assert result.iterations == 4 and len(result.history) == 4
    assert result.status == "max_iter" and "stopped by the callback at iteration 4" in result.message
    assert [i.iteration for i in infos] == [1, 2, 3, 4] and infos[0].loop == "subgradient"
    assert result.loops == [{"loop": "subgradient", "depth": 0, "iterations": 4, "status": "max_iter",
                             "cause": "callback", "reason": "stopped by the callback at iteration 4",
                             "elapsed_s": result.loops[0]["elapsed_s"]}]


def test_strategy_history_matches_the_loop(market_case: gamecore.Case) -> None:
    result = gamecore.solve(market_case, "bisection", progress=False)
    assert result.status == "converged"
    assert result.loops[-1]["loop"] == "bisection" and result.loops[-1]["iterations"] == result.iterations
    assert np.all(np.diff([h["iteration"] for h in result.history]) == 1)
