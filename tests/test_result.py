"""Result exports: JSON round trip, pandas frames, honest max-iteration status."""

from __future__ import annotations

import json
from pathlib import Path

import cvxpy as cp
import numpy as np
import pytest

import gamecore
from gamecore import Follower, Game

DOCUMENTED_KEYS = {
    "game", "strategy", "equilibrium", "status", "message", "iterations", "wall_s", "solver_s", "certificate_s",
    "objective", "objectives", "reference_objective", "gap_to_reference", "certificate", "certificate_detail",
    "messages", "floats", "workers", "workers_note", "loops", "signals", "supplies", "follower_objectives", "extra", "outputs",
}
CERTIFICATE_KEYS = {"best_response_gap", "follower_infeasibility", "coupling_residual", "duality_gap",
                    "leader_violation", "optimistic_gap", "leader_regret", "certified"}


@pytest.fixture(scope="module")
def bisection_result(market_case: gamecore.Case) -> gamecore.Result:
    return gamecore.solve(market_case, "bisection", progress=False)


@pytest.fixture(scope="module")
def max_iter_result(market_case: gamecore.Case) -> gamecore.Result:
    return gamecore.solve(market_case, "subgradient", max_iter=1, progress=False)


def test_to_json_round_trip(bisection_result: gamecore.Result, market_case: gamecore.Case) -> None:
    result = bisection_result
    data = json.loads(result.to_json())
    assert set(data) == DOCUMENTED_KEYS
    assert set(data["certificate"]) == CERTIFICATE_KEYS
    assert data["status"] == "converged" and data["strategy"] == "bisection" and data["equilibrium"] == "market"
    assert data["game"] == "analytic-market" and data["iterations"] == result.iterations
    assert data["messages"] == result.messages and data["floats"] == result.floats
    # numbers survive the trip, and they are the closed-form equilibrium
    np.testing.assert_allclose(data["signals"]["price"], result.signals["price"], rtol=0, atol=0)
    np.testing.assert_allclose(data["signals"]["price"], market_case.reference.signals["price"], atol=1e-3)
    assert data["reference_objective"] == pytest.approx(market_case.reference.objective, rel=1e-12)
    assert data["objective"] == pytest.approx(market_case.reference.objective, rel=1e-4)
    assert set(data["outputs"]) == {f.name for f in market_case.game.followers}
    for name, outputs in data["outputs"].items():
        np.testing.assert_array_equal(outputs["demand"], result.outputs[name]["demand"])
    assert data["certificate"]["coupling_residual"] == result.certificate.coupling_residual
    assert data["certificate"]["leader_regret"] is None
    assert data["certificate_detail"]["best_response_gaps"] == result.certificate.best_response_gaps


def test_to_json_options(bisection_result: gamecore.Result, tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    text = bisection_result.to_json(path)
    assert path.read_text() == text
    compact = json.loads(bisection_result.to_json(include_outputs=False, indent=None))
    assert set(compact) == DOCUMENTED_KEYS - {"outputs"}


def test_failed_result_serialises(market_case: gamecore.Case) -> None:
    price = cp.Parameter(market_case.game.layout.size, name="price")
    d = cp.Variable(market_case.game.layout.size)
    stubborn = Follower("stubborn", cp.Minimize(cp.sum_squares(d) + price @ d), [d >= 6, d <= 5], {"price": price},
                        {"demand": d})
    game = Game(market_case.game.leader, list(market_case.game.followers) + [stubborn], name="broken")
    result = gamecore.solve(game, "bisection", progress=False)
    assert result.status == "failed" and not result.success
    data = json.loads(result.to_json())          # allow_nan=False: NaNs must have been mapped to null
    assert data["status"] == "failed" and "stubborn" in data["message"]
    assert data["signals"] == {} and data["objective"] is None


def test_history_frame_has_one_row_per_iteration(bisection_result: gamecore.Result,
                                                  market_case: gamecore.Case) -> None:
    frame = bisection_result.history_frame()
    T = market_case.game.layout.size
    assert len(frame) == bisection_result.iterations == len(bisection_result.history)
    assert list(frame["iteration"]) == list(range(1, bisection_result.iterations + 1))
    assert {"residual", *(f"signals[{t}]" for t in range(T))} <= set(frame.columns)
    last = [frame[f"signals[{t}]"].iloc[-1] for t in range(T)]
    np.testing.assert_allclose(last, bisection_result.signals["price"])
    assert frame["residual"].iloc[-1] <= 1e-5


def test_followers_frame_has_one_row_per_follower(bisection_result: gamecore.Result,
                                                   market_case: gamecore.Case) -> None:
    frame = bisection_result.followers_frame()
    names = [f.name for f in market_case.game.followers]
    assert len(frame) == len(names) and list(frame["follower"]) == names
    assert {"objective", "best_response_gap", "demand_total"} <= set(frame.columns)
    for row, name in zip(frame.itertuples(), names):
        assert row.demand_total == pytest.approx(float(np.sum(bisection_result.outputs[name]["demand"])))
        assert row.objective == pytest.approx(bisection_result.follower_objectives[name])
    np.testing.assert_allclose(frame["best_response_gap"], bisection_result.certificate.best_response_gaps)
    # consumers' total demand clears against the supply
    supply = float(np.sum(bisection_result.supplies["balance"]))
    assert frame["demand_total"].sum() == pytest.approx(supply, rel=1e-4)


def test_max_iter_run_says_so(max_iter_result: gamecore.Result) -> None:
    result = max_iter_result
    assert result.status == "max_iter" and not result.success
    assert "max_iter=1" in result.message
    assert result.iterations == 1 and len(result.history) == 1 and len(result.history_frame()) == 1
    # the certificate is still computed, and shows the answer is not an equilibrium yet
    assert result.certificate.coupling_residual > 1e-5
    assert json.loads(result.to_json())["status"] == "max_iter"


def test_summary_row_and_repr(bisection_result: gamecore.Result) -> None:
    row = bisection_result.summary_row()
    assert row["strategy"] == "bisection" and row["status"] == "converged"
    assert CERTIFICATE_KEYS <= set(row)
    assert "bisection" in repr(bisection_result) and "converged" in repr(bisection_result)
