"""Tests of the ``admm`` strategy against closed forms computed independently of it.

References: ``gamecore.cases.analytic_market`` (clearing prices from the exact root of the
piecewise-linear excess demand) and ``gamecore.cases.analytic_stackelberg`` (optimal
monopoly prices per linear piece of aggregate demand); a grid search for the game whose
priced quantity differs from the leader's output.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest

import gamecore
from gamecore.bilevel import FollowerRelaxation
from gamecore.cases.base import Reference
from gamecore.errors import StrategyError
from gamecore.follower import Follower
from gamecore.game import Game
from gamecore.leader import Bilinear, Leader, LeaderObjective
from gamecore.signals import Signal
from strategies.admm import ADMM


# ------------------------------------------------------------------------------ market
@pytest.mark.parametrize("agents", [10, 100])
def test_market_certificate_and_closed_form_prices(agents: int) -> None:
    case = gamecore.make_case("analytic-market", agents=agents, periods=24, seed=0)
    res = gamecore.solve(case, "admm")
    assert res.status == "converged", res.message
    assert res.equilibrium == "market"
    cert = res.certificate
    assert cert.best_response_gap <= 1e-5
    assert cert.coupling_residual <= 1e-4
    assert cert.duality_gap <= 1e-4
    np.testing.assert_allclose(res.signals["price"], case.reference.signals["price"], rtol=1e-3)
    assert abs(res.gap_to_reference) <= 1e-4          # welfare cost vs the closed form
    # the reported supply clears the reported demand (independent re-summation)
    total = sum(out["demand"] for out in res.outputs.values())
    supply = res.supplies["balance"]
    assert np.max(np.abs(total - supply)) <= 1e-4 * max(np.max(np.abs(total)), 1.0)
    assert res.history and {"primal_residual", "dual_residual", "rho"} <= set(res.history[-1])
    assert res.strategy == "admm" and res.extra["algorithm"] == "admm-exchange"     # the alias says what ran


def test_market_max_iter_status_and_message() -> None:
    case = gamecore.make_case("analytic-market", agents=10, periods=24, seed=0)
    res = gamecore.solve(case, "admm", max_iter=2)
    assert res.status == "max_iter"
    assert res.iterations == 2
    assert "max_iter=2" in res.message and "residual" in res.message


def test_market_reproducible_with_seed() -> None:
    case = gamecore.make_case("analytic-market", agents=10, periods=24, seed=3)
    a = gamecore.solve(case, "admm", seed=7)
    b = gamecore.solve(case, "admm", seed=7)
    assert np.array_equal(a.signals["price"], b.signals["price"])
    assert a.iterations == b.iterations


# ------------------------------------------------------------------------- stackelberg
def _profit(case: gamecore.Case, prices: np.ndarray) -> float:
    """Leader profit at ``prices`` with the consumers' closed-form best responses."""
    d = case.params["data"]
    demand = np.clip((d["a"] - prices) / d["b"][:, None], 0.0, d["dmax"][:, None]).sum(axis=0)
    return float(((prices - d["c"]) * demand).sum())


@pytest.mark.parametrize("agents", [10, pytest.param(100, marks=pytest.mark.slow)])   # 100 followers: ≈ 28 s
def test_stackelberg_leader_regret_against_closed_form(agents: int) -> None:
    case = gamecore.make_case("analytic-stackelberg", agents=agents, periods=4, seed=0)
    # the trust region alone: it reaches the closed form, and the branch and bound cannot close this
    # game's 5 % McCormick gap within its node budget (25 s for nothing at 10 followers, measured)
    res = gamecore.solve(case, "admm", branch_signals=0)
    assert res.status == "converged", res.message
    assert res.equilibrium == "stackelberg"
    assert ADMM.equilibrium == "both"
    best = -case.reference.objective                   # optimal profit (closed form)
    assert res.certificate.leader_regret <= 1e-3
    assert (best - _profit(case, res.signals["price"])) / best <= 1e-3
    extra = res.extra
    assert res.strategy == "admm" and extra["algorithm"] == "admm-mccormick"      # the alias says what ran
    assert extra["relaxation_gap"] <= 1e-3
    assert extra["rounds"] >= 2
    # the first-round relaxation bounds the leader's optimum over the declared box
    # (minimisation form; valid up to the ADMM tolerance)
    assert extra["first_relaxation_value"] <= case.reference.objective + 1e-4 * best
    assert extra["final_box_width"] < np.max(case.game.layout.upper() - case.game.layout.lower())


def _priced_differently_game() -> tuple[Game, Reference]:
    """Followers pay 1.1·p·d while the leader sells d: no reuse of w, the u-envelope path."""
    rng = np.random.default_rng(1)
    n, periods = 4, 2
    a = rng.uniform(8, 12, (n, periods))
    b = rng.uniform(0.5, 1.5, n)
    c, pmax = np.array([1.5, 2.5]), 12.0
    followers = []
    for i in range(n):
        p = cp.Parameter(periods, name="price")
        d = cp.Variable(periods)
        followers.append(Follower(f"f{i}", cp.Minimize(-(a[i] @ d - 0.5 * b[i] * cp.sum_squares(d)) + 1.1 * (p @ d)),
                                  [d >= 0, d <= 20], {"price": p}, {"demand": d}))
    objective = LeaderObjective("profit", bilinear=(Bilinear("price", "demand", 1.0),),
                                cost=lambda s, g: -(c @ g["demand"]), sense="max")
    game = Game(Leader([Signal("price", (periods,), c, pmax)], objectives=[objective]), followers, "priced-1.1")
    prices, profit = [], 0.0
    for t in range(periods):                          # separable in t: dense grid per period
        grid = np.linspace(c[t], pmax, 200001)
        demand = np.clip((a[:, t][None, :] - 1.1 * grid[:, None]) / b[None, :], 0, 20).sum(axis=1)
        values = (grid - c[t]) * demand
        k = int(np.argmax(values))
        prices.append(grid[k])
        profit += values[k]
    return game, Reference("stackelberg", -profit, {"price": np.array(prices)}, "grid search")


def test_stackelberg_with_separate_product_envelopes() -> None:
    game, ref = _priced_differently_game()
    res = gamecore.solve(game, "admm", reference=ref, branch_signals=0)
    assert res.status == "converged", res.message
    assert res.certificate.leader_regret <= 1e-3


def test_strong_duality_block_is_exact_on_a_point_box() -> None:
    """With σ fixed (a point box) the relaxation's v-range collapses to the best response."""
    case = gamecore.make_case("analytic-stackelberg", agents=3, periods=3, seed=0)
    game = case.game
    f = game.followers[1]
    sigma = np.array([3.0, 6.0, 9.0])
    x = f.program.solve(sigma).x
    v_true = f.program.Qs.T @ x
    block = FollowerRelaxation(f.name, f.program, game.signal_index[1])
    block.tighten_bounds(sigma, sigma)
    lo, hi = block.box_v
    np.testing.assert_allclose(lo, v_true, atol=1e-5)
    np.testing.assert_allclose(hi, v_true, atol=1e-5)


def test_stackelberg_max_iter_and_reproducible() -> None:
    case = gamecore.make_case("analytic-stackelberg", agents=5, periods=3, seed=2)
    res = gamecore.solve(case, "admm", max_iter=2)
    assert res.status == "max_iter" and "max_iter=2" in res.message
    a = gamecore.solve(case, "admm", max_iter=60, seed=1)
    b = gamecore.solve(case, "admm", max_iter=60, seed=1)
    assert np.array_equal(a.signals["price"], b.signals["price"])


def test_stackelberg_accepts_signals_in_constraints(capped_consumer: tuple[Game, gamecore.Reference]) -> None:
    """Signals in a follower's constraints (Bs != 0) are reformulated (t = σ·Bsᵀz products);
    solved against a closed form in tests/test_admm_general.py."""
    game, _ = capped_consumer
    ADMM().check(game)
    block = FollowerRelaxation(game.followers[0].name, game.followers[0].program, game.signal_index[0])
    assert block.nK == 2 and block.nJ == 2        # one t product per capped period, one w per priced one


# ------------------------------------------------------------------------------ options
def test_unknown_option_lists_valid_ones() -> None:
    case = gamecore.make_case("analytic-market", agents=2, periods=2, seed=0)
    with pytest.raises(StrategyError) as err:
        gamecore.solve(case, "admm", rh0=1.0)
    text = str(err.value)
    assert "rh0" in text and "valid options" in text
    for name in ("rho", "eps_abs", "eps_rel", "mu", "tau", "relax_tol", "max_rounds", "factor"):
        assert name in text


@pytest.mark.parametrize("bad", [{"rho": -1.0}, {"factor": 1.5}, {"tau": 1.0}, {"relax_tol": 0.0},
                                 {"max_iter": 0}, {"eps_abs": -1e-6}])
def test_invalid_option_values(bad: dict) -> None:
    name = next(iter(bad))
    with pytest.raises(StrategyError, match=name):
        ADMM(**bad)


def test_specific_names_reject_the_other_algorithms_options() -> None:
    """``admm-exchange`` has only the 8 options it uses; ``admm-mccormick`` all 16."""
    with pytest.raises(StrategyError, match=r"'admm-exchange'.*unknown option.*max_rounds"):
        gamecore.get_strategy("admm-exchange", max_rounds=3)
    assert gamecore.get_strategy("admm-mccormick", max_rounds=3).options.max_rounds == 3
