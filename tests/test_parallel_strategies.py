"""Strategies other than bisection in a parallel follower pool (``n_jobs=2``, loky workers).

A pool of two worker processes must give the answer of the in-process pool, bit for bit
(the same programs, solved with the same settings): subgradient, exchange ADMM (whose
proximal requests ``Prox(rho, targets)`` travel to the workers with every call) and nsga-qp
(populations evaluated in the workers, optimistic tie-break included). The loky workers are
started once per session (joblib's reusable executor); the first parallel call pays for it.
"""

from __future__ import annotations

import numpy as np
import pytest
from joblib import cpu_count

import gamecore
from gamecore import FollowerPool

from _two_carrier import CARRIERS, build_game, random_data

#: a loky pool is capped at the CPUs: on one CPU it would run in-process
pytestmark = pytest.mark.skipif(cpu_count() < 2, reason="needs 2 CPUs for a 2-worker loky pool")


@pytest.fixture(scope="module")
def market_case() -> gamecore.Case:
    return gamecore.make_case("analytic-market", agents=6, periods=3, seed=2)


def _same(serial: gamecore.Result, parallel: gamecore.Result) -> None:
    assert serial.status == parallel.status == "converged", (serial.message, parallel.message)
    assert parallel.iterations == serial.iterations
    for name, value in serial.signals.items():
        np.testing.assert_array_equal(parallel.signals[name], value)
    assert parallel.objective == serial.objective
    # the same traffic: every request (with its proximal payload) counted once
    assert (parallel.messages, parallel.floats) == (serial.messages, serial.floats)


@pytest.mark.parametrize("strategy", ["subgradient", "admm"])
def test_market_strategy_in_a_loky_pool_matches_serial(strategy: str, market_case: gamecore.Case) -> None:
    serial = gamecore.solve(market_case, strategy, progress=False)
    pool = FollowerPool(market_case.game, n_jobs=2, backend="loky")
    parallel = gamecore.solve(market_case, strategy, progress=False, pool=pool)
    assert pool.parallel and pool.workers == 2
    _same(serial, parallel)
    np.testing.assert_allclose(parallel.signals["price"], market_case.reference.signals["price"], atol=1e-3)
    n, t = market_case.game.n_followers, market_case.game.layout.size
    plain = 2 * n * t * pool.stats.calls          # one price vector down and one output up per follower
    if strategy == "admm":
        # the proximal requests went through the workers: rho and a target per follower on top
        assert pool.stats.floats > plain
        assert (pool.stats.floats - plain) % (n * (1 + t)) == 0
    else:
        assert pool.stats.floats == plain


def test_admm_two_carriers_in_a_loky_pool_matches_serial() -> None:
    """Two couplings, two outputs per follower: the proximal targets of both travel together."""
    data = random_data(n=4, periods=2, seed=1)
    assert data.interior()
    game = build_game(data)
    serial = gamecore.solve(game, "admm", progress=False)
    parallel = gamecore.solve(game, "admm", progress=False, n_jobs=2)
    _same(serial, parallel)
    prices = data.closed_form()[0]
    for k, carrier in enumerate(CARRIERS):
        np.testing.assert_allclose(parallel.signals[f"{carrier}_price"], prices[k], atol=1e-3)


def test_nsga_qp_in_a_loky_pool_matches_serial() -> None:
    case = gamecore.make_case("analytic-stackelberg", agents=4, periods=2, seed=0)
    options = {"seed": 3, "max_iter": 10, "pop_size": 12}
    serial = gamecore.solve(case, "nsga-qp", progress=False, **options)
    parallel = gamecore.solve(case, "nsga-qp", progress=False, n_jobs=2, **options)
    assert parallel.iterations == serial.iterations == 10
    np.testing.assert_array_equal(parallel.signals["price"], serial.signals["price"])
    assert parallel.objective == serial.objective
    assert parallel.extra["evaluations"] == serial.extra["evaluations"]
    for a, b in zip(serial.history, parallel.history):
        np.testing.assert_array_equal(a["signals"], b["signals"])
    # and the answer is the closed form, certified
    assert parallel.certificate.certified, parallel.message
    assert parallel.objective == pytest.approx(case.reference.objective, rel=1e-6)
