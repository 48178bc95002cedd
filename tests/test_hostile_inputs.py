"""Hostile inputs (issue 9): each case failed silently or with an unhelpful error before.

Library-level items: NaN answers (1), price-dependent feasible sets and the two-sided
duality gap in market games (2), misspelt or unused outputs (3), several leader objectives
in admm (4), clearing prices outside the signal box (5), ``gap_to_reference`` at points that
are not equilibria (6), solve's documented failure mode (7), bad seeds, sizes and signal
boxes (13). Pool faults are in ``test_hostile_pool.py``, sizes and solver settings in
``test_hostile_limits.py``, the CLI in ``test_hostile_cli.py``.
"""

from __future__ import annotations

import warnings

import cvxpy as cp
import numpy as np
import pytest

import gamecore
from gamecore import (Bilinear, Follower, Game, GameDefinitionError, GameDefinitionWarning, Leader, LeaderObjective,
                      MarketCoupling, Outcome, Response, Signal, Strategy)

T = 4


def toy_market(supply_cost=lambda s: 10 * cp.sum(s) + 0.5 * cp.sum_squares(s),
               supply_constraints=lambda s: [s >= 0, s <= 30], rhs: float | None = None,
               first_output: str = "demand", extra_output: bool = False) -> Game:
    """README's toy market (prices clear at 35 $/MWh), with one thing changed for consumer0:
    ``rhs`` adds ``d <= rhs − price``, ``first_output`` renames its output, ``extra_output``
    makes it also send an output ``"spare"``."""
    followers = []
    for i, a in enumerate([50.0, 60.0, 70.0]):
        price, d = cp.Parameter(T, name="price"), cp.Variable(T)
        constraints = [d >= 0, d <= 20] + ([d <= rhs - price] if rhs is not None and i == 0 else [])
        outputs = {first_output if i == 0 else "demand": d}
        if extra_output and i == 0:
            outputs["spare"] = 20 - d
        followers.append(Follower(f"consumer{i}", cp.Minimize(-(a * cp.sum(d) - 1.5 * cp.sum_squares(d)) + price @ d),
                                  constraints, {"price": price}, outputs))
    balance = MarketCoupling("balance", signal="price", output="demand", supply_cost=supply_cost,
                             supply_constraints=supply_constraints)
    return Game(Leader([Signal("price", (T,), 0.0, 100.0)], couplings=[balance]), followers, name="toy-market")


class Reporter(Strategy):
    """Reports given prices and, unless given, the followers' best responses there: an answer
    whose quality the test controls, judged by the driver's certificate."""

    name = "reporter"
    equilibrium = "market"
    Options = type("Options", (), {"__dataclass_fields__": {}})

    def __init__(self, prices: np.ndarray, outputs: float | None = None, shift: float = 0.0) -> None:
        self.options = None
        self.prices, self.outputs, self.shift = prices, outputs, shift

    def run(self, ctx):
        vector = ctx.game.layout.pack({"price": self.prices})
        if self.outputs is not None:     # outputs only, no canonical point
            fake = [Response("optimal", {"demand": np.full(self.prices.shape, self.outputs)}, self.outputs, 0.0, 0)
                    for _ in ctx.game.followers]
            return Outcome("converged", "reported", 1, vector, fake)
        best = ctx.respond(vector)
        moved = []
        for f, r in zip(ctx.game.followers, best):   # every canonical coordinate moved by ``shift``
            x = r.x - self.shift
            moved.append(Response("optimal", f.program.outputs_of(x), r.objective, 0.0, 0, x))
        return Outcome("converged", "reported", 1, vector, moved)


def test_nan_answers_fail_the_certificate(market_case: gamecore.Case) -> None:
    """Item 1: NaN outputs at the equilibrium prices were read as zero gaps: converged, within()."""
    result = Reporter(market_case.reference.signals["price"], outputs=np.nan).solve(market_case, progress=False)
    cert = result.certificate
    assert not np.isfinite(cert.best_response_gap) and not np.isfinite(cert.coupling_residual)
    assert result.status == "failed" and "not certified" in result.message
    assert not cert.within() and not cert.feasible and result.gap_to_reference is None
    assert "follower_infeasibility" in cert.unchecked    # no canonical point reported: not checked, not passed


def test_price_dependent_feasible_set_is_refused_in_a_market_game() -> None:
    """Item 2: ``d <= 52 − price`` was accepted; centralized then converged to a wrong price."""
    with pytest.raises(GameDefinitionError, match=r"consumer0: constraints\[2\]: depends on price 'price'"):
        toy_market(rhs=52.0)


def test_duality_gap_is_two_sided_and_the_reported_point_must_be_feasible(market_case: gamecore.Case) -> None:
    """Item 2: a clearly negative duality gap, or an infeasible reported point, failed nothing."""
    from gamecore.certificate import Certificate
    negative = Certificate(required=["duality_gap"], duality_gap=-0.064)
    assert not negative.within() and "below a valid bound" in negative.failures()[0]
    prices = market_case.reference.signals["price"]
    outside = Reporter(prices, shift=5.0).solve(market_case, progress=False)   # every consumer has d >= 0
    assert outside.certificate.follower_infeasibility > 0.1 and outside.status != "converged"
    assert "follower_infeasibility" in outside.message


def test_a_misspelt_output_is_refused() -> None:
    """Item 3: a consumer sending "load" instead of "demand" left the balance: price 22.5, converged."""
    with pytest.raises(GameDefinitionError, match=r"consumer0: outputs: pays price 'price'.*does not send "
                                                  r"output 'demand'.*it sends \['load'\]"):
        toy_market(first_output="load")


def test_an_output_nobody_uses_draws_a_warning_unless_declared_reported() -> None:
    """Item 3: an output no coupling, objective or constraint uses is most likely a mistake."""
    with pytest.warns(GameDefinitionWarning, match=r"output 'spare' \(sent by consumer0\) is used by no coupling"):
        game = toy_market(extra_output=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Game(game.leader, game.followers, reported_outputs=["spare"])
        gamecore.make_case("ieh", agents=2)          # hubs report their storage state: declared


def test_clearing_prices_outside_the_box_are_reported(market_case: gamecore.Case) -> None:
    """Item 5: supply cost −10·s, s ≥ 0: the clearing price is −10, below the box [0, 100].
    centralized reported converged at price 0 (duals clipped), NaN duality gap, no message."""
    game = toy_market(supply_cost=lambda s: -10 * cp.sum(s), supply_constraints=lambda s: [s >= 0])
    result = gamecore.solve(game, "centralized", progress=False)
    assert result.status == "failed"
    assert "price 'price' clears at -10" in result.message and "outside the leader's box [0, 100]" in result.message
    for strategy in ("bisection", "subgradient"):
        other = gamecore.solve(game, strategy, progress=False)
        assert other.status == "failed" and "supply program of coupling 'balance' is unbounded" in other.message


def test_gap_to_reference_only_for_feasible_answers(market_case: gamecore.Case) -> None:
    """Item 6: gap_to_reference was negative at points that are not equilibria (−0.087, −5.04)."""
    early = gamecore.solve(market_case, "subgradient", max_iter=3, progress=False)
    assert early.status == "max_iter" and not early.certificate.feasible
    assert early.gap_to_reference is None and early.reference_objective is not None
    lower, upper = market_case.game.layout.lower(), market_case.game.layout.upper()
    midpoint = Reporter((lower + upper) / 2).solve(market_case, progress=False)
    assert midpoint.certificate.coupling_residual > 1e-2 and midpoint.gap_to_reference is None
    exact = Reporter(market_case.reference.signals["price"]).solve(market_case, progress=False)
    assert exact.status == "converged" and exact.certificate.feasible
    assert exact.gap_to_reference == pytest.approx(0.0, abs=1e-4)   # the coupling tolerance


def test_admm_refuses_several_leader_objectives(stackelberg_case: gamecore.Case) -> None:
    """Item 4: admm optimised only the first of two objectives, silently."""
    game = stackelberg_case.game
    profit = game.leader.objectives[0]
    volume = LeaderObjective("volume", cost=lambda s, agg: -cp.sum(agg["demand"]), sense="min")
    two = gamecore.Game(Leader(game.leader.signals, [profit, volume]), game.followers)
    with pytest.raises(gamecore.StrategyError, match="2 objectives"):
        gamecore.solve(two, "admm", progress=False)


def test_unsolvable_follower_ends_the_solve_failed_naming_it(make_consumer) -> None:
    """Item 7: solve() returns status failed with the follower named (Follower.respond raises)."""
    price = cp.Parameter(1, name="price")
    d = cp.Variable(1)
    broken = gamecore.Follower("broken", cp.Minimize(price @ d), [d >= 5, d <= 1 + 0 * price[0]],
                               {"price": price}, {"demand": d})
    profit = LeaderObjective("profit", bilinear=(Bilinear("price", "demand"),), sense="max")
    game = gamecore.Game(Leader([Signal("price", (1,), 0.0, 10.0)], [profit]), [make_consumer("ok"), broken])
    with pytest.raises(gamecore.FollowerSolveError, match="broken"):
        broken.respond({"price": np.array([1.0])})
    result = gamecore.solve(game, "nsga-qp", progress=False)
    assert result.status == "failed" and "broken" in result.message, result.message
    assert not result.certificate.certified
    with pytest.raises(gamecore.StrategyError, match="broken"):   # admm's bounds need a feasible follower
        gamecore.solve(game, "admm", progress=False)


@pytest.mark.parametrize("seed", [-1, "abc", 2.5, True])
def test_bad_seed_is_a_usage_error_naming_seed(market_case: gamecore.Case, seed: object) -> None:
    with pytest.raises(gamecore.StrategyError, match="seed"):
        gamecore.solve(market_case, "centralized", seed=seed, progress=False)


@pytest.mark.parametrize("kwargs,word", [({"agents": 2.5}, "agents"), ({"periods": 0}, "periods"),
                                         ({"seed": None}, "seed"), ({"seed": -1}, "seed")])
def test_bad_case_sizes_and_seeds_name_the_argument(kwargs: dict, word: str) -> None:
    with pytest.raises(ValueError, match=f"{word} must be"):
        gamecore.make_case("analytic-market", **kwargs)


@pytest.mark.parametrize("lower,upper,shape,field", [(np.inf, np.inf, (2,), "lower"), (-np.inf, -np.inf, (2,), "upper"),
                                                     (0.0, 1.0, (0,), "shape")])
def test_signals_that_no_value_satisfies_are_refused(lower: float, upper: float, shape: tuple, field: str) -> None:
    with pytest.raises(GameDefinitionError, match=rf"signals\['p'\]\.{field}"):
        Signal("p", shape, lower, upper)


@pytest.mark.parametrize("value", [10**100, float("nan"), float("inf"), "x", True])
def test_numeric_options_out_of_range_are_usage_errors(value: object) -> None:
    """Item 13: ``partitions=10**100`` crashed in numpy (ufunc 'isfinite' not supported)."""
    with pytest.raises(gamecore.StrategyError, match="option partitions must be a finite number"):
        gamecore.get_strategy("nsga-qp", partitions=value)
