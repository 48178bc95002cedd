"""county IES programs compiled once per IES type and stage length (gamecore.family): an instance
at any IES and state equals the IES's model solved directly with cvxpy, and a rolling day compiles
one program per (type, stage length)."""

from __future__ import annotations

import numpy as np
import pytest

import gamecore
from gamecore.cases.county.model import solve_ies
from gamecore.cases.county.rolling import CountyRolling, advance
from gamecore.rolling import centralized_rolling


@pytest.fixture(scope="module")
def day() -> tuple[CountyRolling, list[list]]:
    case = gamecore.make_case("county", agents=4, periods=8, seed=1)
    rolling = CountyRolling(case.params["scenario"])
    run = centralized_rolling(rolling)
    return rolling, run.states


@pytest.mark.parametrize("start", [0, 4, 7])
def test_instance_equals_the_direct_model(day: tuple[CountyRolling, list], start: int) -> None:
    rolling, states = day
    sc = rolling.scenario
    rng = np.random.default_rng(start)
    for i, (ies, state) in enumerate(zip(sc.agents, states[start])):
        profile = sc.profile(i, start, "rolling")
        follower = rolling.programs.follower(ies, state, profile)
        prices = rng.uniform(0.3, 1.2, sc.periods - start)
        direct = solve_ies(ies, state, profile, prices)
        response = follower.respond({"price": prices})
        assert response.objective == pytest.approx(direct.cost + direct.regularizer, rel=1e-6, abs=1e-3)
        np.testing.assert_allclose(response.outputs["net"] / ies.dt, direct.net, atol=1e-3 * ies.grid_max)


def test_one_program_per_type_and_stage_length(day: tuple[CountyRolling, list]) -> None:
    rolling, _ = day
    kinds = {ies.kind for ies in rolling.scenario.agents}
    assert len(rolling.programs) == len(kinds) * rolling.periods


def test_advance_subtracts_the_energy_served(day: tuple[CountyRolling, list]) -> None:
    rolling, states = day
    sc = rolling.scenario
    t = 2
    game = rolling.stage_game(t, states[t])
    reports = [f.respond({"price": np.full(sc.periods - t, 0.7)}) for f in game.followers]
    for st, rep, new in zip(states[t], reports, advance(sc, t, states[t], reports)):
        assert new.shift_remaining == pytest.approx(st.shift_remaining - rep.outputs["state"][2], abs=1e-6)
