"""Program families: an instance must equal a fresh compile of the same program with its numbers
written as constants — objective, outputs, feasibility — for coefficients, quadratic weights,
right-hand sides, cost terms and data parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cvxpy as cp
import numpy as np
import pytest

import gamecore
from gamecore import Follower, Game, Leader, MarketCoupling, Signal
from gamecore.errors import GameDefinitionError
from gamecore.family import ProgramFamily, structure_parameters
from gamecore.pool import FollowerPool

T = 5


def numbers(rng: np.random.Generator) -> dict[str, Any]:
    """One agent's numbers: a generator (efficiency, fuel price, capacity), a load profile,
    a storage (efficiency, initial level) and a quadratic weight."""
    return {"eta": rng.uniform(0.3, 0.5), "fuel": rng.uniform(0.2, 0.4), "gen_max": rng.uniform(1.0, 3.0),
            "load": rng.uniform(1.0, 4.0, T), "eta_c": rng.uniform(0.85, 0.95), "level0": rng.uniform(0.0, 2.0),
            "weight": rng.uniform(0.01, 0.1)}


def model(p: Mapping[str, Any]) -> tuple[cp.Problem, cp.Parameter, dict[str, cp.Expression]]:
    """The agent's program written once against ``p`` (parameters or plain numbers)."""
    price = cp.Parameter(T, name="price")
    buy, gas, charge = cp.Variable(T), cp.Variable(T, nonneg=True), cp.Variable(T, nonneg=True)
    level = cp.Variable(T + 1)
    cost = price @ buy + p["fuel"] * cp.sum(gas) + p["weight"] * cp.sum_squares(buy)
    cons = [buy + cp.multiply(p["eta"], gas) == p["load"] + charge,          # coefficient in A
            p["eta"] * gas <= p["gen_max"],
            level[0] == p["level0"], level[1:] == level[:-1] + p["eta_c"] * charge,
            level <= 5.0, charge <= 1.0, buy >= -1.0, buy <= 8.0]
    return cp.Problem(cp.Minimize(cost), cons), price, {"net": buy}


def family_of(example: Mapping[str, Any]) -> ProgramFamily:
    p = structure_parameters(example, nonneg=["weight", "fuel"])
    problem, price, outputs = model(p)
    return ProgramFamily("agent", problem.objective, problem.constraints, {"price": price}, outputs, p)


def fresh(name: str, values: Mapping[str, Any]) -> Follower:
    problem, price, outputs = model(values)
    return Follower(name, problem.objective, problem.constraints, {"price": price}, outputs)


@pytest.mark.parametrize("seed", range(4))
def test_instance_equals_a_fresh_compile(seed: int) -> None:
    rng = np.random.default_rng(seed)
    family = family_of(numbers(np.random.default_rng(100)))       # compiled with another agent's numbers
    values = numbers(rng)
    instance, reference = family.follower("a", values), fresh("a", values)
    assert instance.program.A.shape == reference.program.A.shape
    for price in (np.full(T, 0.5), rng.uniform(0.0, 2.0, T)):
        r1, r2 = instance.respond({"price": price}), reference.respond({"price": price})
        assert r1.objective == pytest.approx(r2.objective, rel=1e-7, abs=1e-7)
        np.testing.assert_allclose(r1.outputs["net"], r2.outputs["net"], atol=1e-6)
        # the same point is feasible for both programs and costs the same in both
        assert reference.program.infeasibility(r1.x, price) < 1e-7
        assert instance.program.objective_at(r2.x, price) == pytest.approx(r2.objective, rel=1e-9, abs=1e-9)


def test_instances_are_independent() -> None:
    family = family_of(numbers(np.random.default_rng(0)))
    a_vals, b_vals = numbers(np.random.default_rng(1)), numbers(np.random.default_rng(2))
    a, b = family.follower("a", a_vals), family.follower("b", b_vals)
    price = np.full(T, 0.8)
    assert a.respond({"price": price}).objective == pytest.approx(fresh("a", a_vals).respond({"price": price}).objective,
                                                                  rel=1e-7)
    assert b.respond({"price": price}).objective == pytest.approx(fresh("b", b_vals).respond({"price": price}).objective,
                                                                  rel=1e-7)
    assert a.program.Qs is b.program.Qs                 # signal maps shared, numbers not


def test_market_equilibrium_of_family_followers_matches_fresh_ones() -> None:
    rng = np.random.default_rng(7)
    agents = [numbers(rng) for _ in range(4)]
    family = family_of(agents[0])

    def game(followers: list[Follower]) -> Game:
        coupling = MarketCoupling("balance", "price", "net", supply_cost=lambda s: 0.6 * cp.sum(s)
                                  + 0.02 * cp.sum_squares(s), supply_constraints=lambda s: [s >= -5, s <= 20])
        return Game(Leader([Signal("price", (T,), 0.0, 5.0)], couplings=[coupling]), followers)

    fam = gamecore.solve_centralized(game([family.follower(f"a{i}", v) for i, v in enumerate(agents)]))
    ref = gamecore.solve_centralized(game([fresh(f"a{i}", v) for i, v in enumerate(agents)]))
    assert fam.objective == pytest.approx(ref.objective, rel=1e-7)
    np.testing.assert_allclose(fam.signal_vector, ref.signal_vector, atol=1e-5)


def test_family_followers_travel_to_pool_workers() -> None:
    rng = np.random.default_rng(3)
    agents = [numbers(rng) for _ in range(4)]
    family = family_of(agents[0])
    coupling = MarketCoupling("balance", "price", "net", supply_cost=lambda s: 0.6 * cp.sum(s))
    g = Game(Leader([Signal("price", (T,), 0.0, 5.0)], couplings=[coupling]),
             [family.follower(f"a{i}", v) for i, v in enumerate(agents)])
    sigma = np.linspace(0.2, 1.5, T)
    with FollowerPool(g, n_jobs=2) as pool:
        remote = pool.respond(sigma)
    local = [f.respond({"price": sigma}) for f in g.followers]
    for r, s in zip(remote, local):
        assert r.objective == pytest.approx(s.objective, rel=1e-8, abs=1e-8)


def test_bad_values_name_agent_and_parameter() -> None:
    example = numbers(np.random.default_rng(0))
    family = family_of(example)
    with pytest.raises(GameDefinitionError, match=r"hub7.*parameters\['load'\].*missing"):
        family.follower("hub7", {k: v for k, v in example.items() if k != "load"})
    with pytest.raises(GameDefinitionError, match=r"hub7.*parameters\['speed'\]"):
        family.follower("hub7", {**example, "speed": 1.0})
    with pytest.raises(GameDefinitionError, match=r"parameters\['load'\].*shape"):
        family.follower("hub7", {**example, "load": np.ones(T + 1)})
    with pytest.raises(GameDefinitionError, match=r"parameters\['eta'\].*NaN"):
        family.follower("hub7", {**example, "eta": float("nan")})
    with pytest.raises(GameDefinitionError, match=r"parameters\['weight'\].*nonneg"):
        family.follower("hub7", {**example, "weight": -0.1})


def test_family_refuses_what_a_follower_refuses() -> None:
    p = structure_parameters({"a": 1.0, "b": 2.0})
    price = cp.Parameter(T, name="price")
    x = cp.Variable(T)
    with pytest.raises(GameDefinitionError, match="DPP"):            # a product of two parameters
        ProgramFamily("f", cp.Minimize(price @ x + p["a"] * p["b"] * cp.sum(x)), [x >= 0, x <= 1],
                      {"price": price}, {"x": x}, p)
    q = cp.Parameter(name="q")
    with pytest.raises(GameDefinitionError, match=r"parameters\['q'\].*value"):
        ProgramFamily("f", cp.Minimize(price @ x), [x >= q, x <= 1], {"price": price}, {"x": x}, {"q": q})


def test_data_parameters_still_work_on_instances() -> None:
    """A family may also keep data parameters (set between solves, e.g. a rolling state)."""
    example = numbers(np.random.default_rng(0))
    p = structure_parameters({k: v for k, v in example.items() if k != "level0"}, nonneg=["weight", "fuel"])
    level0 = cp.Parameter(name="level0", value=1.0)
    problem, price, outputs = model({**p, "level0": level0})
    family = ProgramFamily("agent", problem.objective, problem.constraints, {"price": price}, outputs, p,
                           data={"level0": level0})
    values = numbers(np.random.default_rng(5))
    inst = family.follower("a", {k: v for k, v in values.items() if k != "level0"})
    inst.set_data({"level0": values["level0"]})
    sigma = np.full(T, 0.9)
    assert inst.respond({"price": sigma}).objective == pytest.approx(
        fresh("a", values).respond({"price": sigma}).objective, rel=1e-7)
