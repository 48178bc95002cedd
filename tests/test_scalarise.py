"""Scalarised games (weighted sum, ε-constraint) and the Pareto regret of a multi-objective answer,
on the reduced ``cies`` game (two leader objectives: revenue, emissions; kkt solves it in ~1 s)."""

from __future__ import annotations

import pytest

from gamecore import make_case, solve
from gamecore.bounds import leader_bound
from gamecore.errors import GameDefinitionError
from gamecore.pool import FollowerPool
from gamecore.scalarise import epsilon_constraint, weighted_sum


@pytest.fixture(scope="module")
def game():  # type: ignore[no-untyped-def]
    return make_case("cies", periods=4).game


@pytest.fixture(scope="module")
def revenue_optimum(game):  # type: ignore[no-untyped-def]
    result = solve(make_case("cies", periods=4, objectives="revenue"), "kkt", progress=False, time_limit=60)
    assert result.status == "converged", result.message
    return result


def _objectives(game, x):  # type: ignore[no-untyped-def]
    with FollowerPool(game) as pool:
        return game.leader_objectives(game.layout.unpack(x), pool.respond(x))


def test_weighted_sum_of_one_objective_is_that_objective(game, revenue_optimum) -> None:  # type: ignore[no-untyped-def]
    scalar = weighted_sum(game, [2.0, 0.0])
    assert [o.name for o in scalar.leader.objectives] == ["weighted(2*revenue)"]
    result = solve(scalar, "kkt", progress=False, time_limit=60)
    assert result.status == "converged", result.message
    assert result.objective == pytest.approx(2.0 * revenue_optimum.objective, rel=1e-7)
    # the value of a weighted sum at a point is the weighted sum of the objectives there
    x = game.layout.pack(result.signals)
    F = _objectives(game, x)
    mixed = weighted_sum(game, [0.3, 1.7])
    assert _objectives(mixed, x)[0] == pytest.approx(0.3 * F[0] + 1.7 * F[1], rel=1e-12)


def test_epsilon_constraint_holds_the_other_objective(game, revenue_optimum) -> None:  # type: ignore[no-untyped-def]
    emissions_at_optimum = _objectives(game, game.layout.pack(revenue_optimum.signals))[1]
    loose = solve(epsilon_constraint(game, [None, emissions_at_optimum + 1.0]), "kkt", progress=False, time_limit=60)
    assert loose.objective == pytest.approx(revenue_optimum.objective, rel=1e-7)
    tight_eps = emissions_at_optimum - 1.0
    tight = solve(epsilon_constraint(game, [None, tight_eps]), "kkt", progress=False, time_limit=60)
    assert tight.objective > revenue_optimum.objective + 1e-3          # holding emissions costs revenue
    assert _objectives(game, game.layout.pack(tight.signals))[1] <= tight_eps + 1e-6


@pytest.mark.parametrize("call, field", [
    (lambda g: weighted_sum(g, [1.0]), "weights"),
    (lambda g: weighted_sum(g, [1.0, -1.0]), "weights"),
    (lambda g: weighted_sum(g, [0.0, 0.0]), "weights"),
    (lambda g: epsilon_constraint(g, [1.0, None], objective=1), "objectives\\['revenue'\\]"),
    (lambda g: epsilon_constraint(g, [None, 1.0], objective=1), "bounds\\[1\\]"),
    (lambda g: epsilon_constraint(g, [None, float("nan")]), "bounds\\[1\\]"),
])
def test_bad_scalarisations_name_the_field(game, call, field: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(GameDefinitionError, match=field):
        call(game)


def test_pareto_regret_is_zero_on_the_front_and_fails_off_it(game, revenue_optimum) -> None:  # type: ignore[no-untyped-def]
    on_front = game.layout.pack(revenue_optimum.signals)
    F = _objectives(game, on_front)
    bound = leader_bound(game, None, None, objectives=F)
    assert bound is not None and "Pareto regret" in bound.source
    # (plain best responses here, not kkt's optimistic selection: 1.3e-4 apart)
    assert (F[0] - bound.value) / max(1.0, abs(bound.value)) <= 1e-3
    # the box midpoint is dominated: at its emissions the revenue could be much higher
    middle = game.layout.midpoint()
    G = _objectives(game, middle)
    bound = leader_bound(game, None, None, objectives=G)
    assert bound is not None and (G[0] - bound.value) / max(1.0, abs(bound.value)) > 1e-2
    # without the answer's objectives there is no bound: the regret stays unchecked
    assert leader_bound(game, None, None) is None
