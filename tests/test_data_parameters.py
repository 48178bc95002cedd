"""Data parameters: a follower's own state compiled once and changed between solves.

Every check compares the program compiled once and re-set with ``set_data`` against a program
compiled afresh with the same values written as constants.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest

import gamecore
from gamecore import Follower, Game, Leader, MarketCoupling, Signal
from gamecore.errors import GameDefinitionError
from gamecore.pool import FollowerPool

T = 4
DEMAND = np.array([3.0, 5.0, 4.0, 2.0])


def storage_follower(name: str, level0: float | None, fee: float | None, cap: float = 6.0) -> Follower:
    """A consumer with a battery: buys ``demand + charge`` at the price, pays a wear fee per unit
    charged; the battery starts at ``level0`` (a data parameter when ``level0`` is None) and must
    end at least at it. ``fee`` (per-unit wear cost) is a data parameter when None."""
    price = cp.Parameter(T, name="price")
    buy = cp.Variable(T, name="buy")
    charge = cp.Variable(T, name="charge")
    level = cp.Variable(T + 1, name="level")
    data: dict[str, cp.Parameter] = {}
    start: cp.Parameter | float = level0 if level0 is not None else 0.0
    wear: cp.Parameter | float = fee if fee is not None else 0.0
    if level0 is None:
        start = data.setdefault("level0", cp.Parameter(name="level0", value=1.0))
    if fee is None:
        wear = data.setdefault("fee", cp.Parameter(name="fee", value=0.1, nonneg=True))
    cost = price @ buy + wear * cp.sum(cp.pos(charge)) + 0.05 * cp.sum_squares(buy)
    constraints = [buy == DEMAND + charge, level[0] == start, level[1:] == level[:-1] + charge,
                   level >= 0, level <= cap, level[T] >= start, buy >= 0]
    return Follower(name, cp.Minimize(cost), constraints, signals={"price": price}, outputs={"demand": buy},
                    data=data)


def market(followers: list[Follower]) -> Game:
    coupling = MarketCoupling("balance", "price", "demand",
                              supply_cost=lambda s: 2.0 * cp.sum(s) + 0.1 * cp.sum_squares(s),
                              supply_constraints=lambda s: [s >= 0, s <= 12.0])
    leader = Leader([Signal("price", (T,), 0.0, 50.0)], couplings=[coupling])
    return Game(leader, followers, name="storage-market")


STATES = [(0.0, 0.0), (2.5, 0.3), (6.0, 1.5), (4.0, 0.0)]


@pytest.mark.parametrize(("level0", "fee"), STATES)
def test_set_data_equals_a_fresh_compile(level0: float, fee: float) -> None:
    once = storage_follower("a", None, None)
    once.set_data({"level0": level0, "fee": fee})
    fresh = storage_follower("a", level0, fee)
    for price in (np.full(T, 3.0), np.array([1.0, 8.0, 2.0, 6.0])):
        r1, r2 = once.respond({"price": price}), fresh.respond({"price": price})
        np.testing.assert_allclose(r1.outputs["demand"], r2.outputs["demand"], atol=1e-6)
        assert r1.objective == pytest.approx(r2.objective, abs=1e-6)


def test_one_program_serves_every_state_in_turn() -> None:
    once = storage_follower("a", None, None)
    program = once.program
    price = np.array([1.0, 8.0, 2.0, 6.0])
    for level0, fee in STATES + STATES[::-1]:
        once.set_data({"level0": level0, "fee": fee})
        assert once.program is program
        expected = storage_follower("a", level0, fee).respond({"price": price})
        assert once.respond({"price": price}).objective == pytest.approx(expected.objective, abs=1e-6)
    assert once.data_names == ("level0", "fee")


def test_centralized_and_certificate_see_the_current_data() -> None:
    """The welfare problem stacks the followers' canonical data, so it sees set_data too."""
    names = ["a", "b"]
    game = market([storage_follower(n, None, None) for n in names])
    for (l0, f0), (l1, f1) in ((STATES[1], STATES[2]), (STATES[3], STATES[0])):
        game.followers[0].set_data({"level0": l0, "fee": f0})
        game.followers[1].set_data({"level0": l1, "fee": f1})
        fresh = market([storage_follower("a", l0, f0), storage_follower("b", l1, f1)])
        r1 = gamecore.solve(game, "centralized", progress=False)
        r2 = gamecore.solve(fresh, "centralized", progress=False)
        assert r1.status == "converged" and r1.certificate.certified, r1.message
        assert r1.objective == pytest.approx(r2.objective, rel=1e-7)
        np.testing.assert_allclose(r1.signals["price"], r2.signals["price"], atol=1e-5)


@pytest.mark.slow
def test_parallel_pool_workers_receive_the_data() -> None:
    """Workers hold copies shipped once; every request carries the shard's data vectors."""
    game = market([storage_follower(f"h{i}", None, None) for i in range(4)])
    price = np.array([1.0, 8.0, 2.0, 6.0])
    with FollowerPool(game, n_jobs=2) as pool:
        assert pool.parallel
        for level0, fee in STATES:
            for f in game.followers:
                f.set_data({"level0": level0, "fee": fee})
            parallel = pool.respond(price)
            local = [f.program.solve(price) for f in game.followers]
            for a, b in zip(parallel, local):
                np.testing.assert_allclose(a.outputs["demand"], b.outputs["demand"], atol=1e-7)
        assert pool.stats.reshipped_shards == 0


def test_refusals_name_the_follower_and_the_field() -> None:
    price = cp.Parameter(T, name="price")
    x = cp.Variable(T)
    scale = cp.Parameter(name="scale", value=2.0)
    with pytest.raises(GameDefinitionError, match=r"constraints\[0\]"):
        Follower("f", cp.Minimize(price @ x + cp.sum_squares(x)), [scale * x <= 1], {"price": price},
                 {"demand": x}, data={"scale": scale})
    with pytest.raises(GameDefinitionError, match=r"data\['empty'\].*initial value"):
        Follower("f", cp.Minimize(price @ x + cp.sum_squares(x)), [x <= cp.Parameter(name="e")], {"price": price},
                 {"demand": x}, data={"empty": cp.Parameter(name="e")})
    with pytest.raises(GameDefinitionError, match=r"data\['price'\].*also a signal"):
        Follower("f", cp.Minimize(price @ x + cp.sum_squares(x)), [x <= 1], {"price": price}, {"demand": x},
                 data={"price": price})
    follower = storage_follower("s", None, None)
    with pytest.raises(GameDefinitionError, match=r"s: data\['fee'\]: missing value"):
        follower.set_data({"level0": 1.0})
    with pytest.raises(GameDefinitionError, match=r"data\['soc'\]: unknown data parameter"):
        follower.set_data({"level0": 1.0, "fee": 0.1, "soc": 2.0})
    with pytest.raises(GameDefinitionError, match=r"data\['level0'\]: shape"):
        follower.set_data({"level0": [1.0, 2.0], "fee": 0.1})
    with pytest.raises(GameDefinitionError, match=r"data\['fee'\]: contains NaN"):
        follower.set_data({"level0": 1.0, "fee": np.nan})
