"""ieh hub programs compiled once per stage length (gamecore.family): an instance at any hub and
state equals the hub's model solved directly with cvxpy, and a rolling day compiles one program
per stage length whatever the number of hubs."""

from __future__ import annotations

import numpy as np
import pytest

from gamecore.cases import ieh
from gamecore.cases.ieh.data import make_scenario
from gamecore.rolling import centralized_rolling

W = ieh.ROLLING_QUADRATIC_WEIGHT
TAU = ieh.ROLLING_TIE_WEIGHT


@pytest.fixture(scope="module")
def day() -> tuple[ieh.IEHRolling, list[list[ieh.HubState]]]:
    rolling = ieh.IEHRolling(ieh.make_ieh_scenario(4, 8, seed=2))
    run = centralized_rolling(rolling)
    return rolling, run.states


@pytest.mark.parametrize("start", [0, 3, 7])
def test_instance_equals_the_direct_model(day: tuple[ieh.IEHRolling, list], start: int) -> None:
    rolling, states = day
    sc = rolling.scenario
    rng = np.random.default_rng(start)
    for i, (hub, state) in enumerate(zip(sc.hubs, states[start])):
        profile = sc.profile(i, start, "rolling")
        follower = rolling.programs.follower(hub, state, profile, W, TAU)
        prices = rng.uniform(0.3, 1.2, sc.periods - start)
        direct = ieh.solve_hub(hub, state, profile, prices, quadratic_weight=W, tie_weight=TAU)
        response = follower.respond({"price": prices})
        assert response.objective == pytest.approx(direct.cost, rel=1e-6, abs=1e-4)
        np.testing.assert_allclose(response.outputs["net"] / hub.dt, direct.net, atol=1e-3 * max(1.0, hub.grid_max))


def test_a_rolling_day_compiles_one_program_per_stage_length(day: tuple[ieh.IEHRolling, list]) -> None:
    rolling, states = day
    assert len(rolling.programs) == rolling.periods          # stages [t, T) for t = 0..T-1, nothing more
    rolling.day_ahead_game()                                 # same length as stage 0: no new program
    rolling.stage_game(2, states[2])
    assert len(rolling.programs) == rolling.periods


def test_advance_adds_the_energy_served_in_the_period(day: tuple[ieh.IEHRolling, list]) -> None:
    rolling, states = day
    sc = rolling.scenario
    t = 3
    game = rolling.stage_game(t, states[t])
    reports = [f.respond({"price": np.full(sc.periods - t, 0.8)}) for f in game.followers]
    nxt = ieh.advance(sc, t, states[t], reports)
    for st, rep, new in zip(states[t], reports, nxt):
        ees, tes, served_e, served_h = rep.outputs["state"]
        assert new.elec_served == pytest.approx(st.elec_served + served_e, abs=1e-6)
        assert new.heat_served == pytest.approx(st.heat_served + served_h, abs=1e-6)
        assert new.ees_energy == pytest.approx(ees, abs=1e-6)


def test_one_stage_game_compiles_once_for_all_hubs() -> None:
    sc = make_scenario(6, 6, seed=1)
    programs = ieh.HubPrograms()
    game = ieh.stage_game(sc, 0, ieh.initial_states(sc), "day-ahead", W, TAU, programs)
    assert len(programs) == 1 and game.n_followers == 6
    # hubs share the signal maps of their one compiled program, not their numbers
    first, second = (f.program for f in game.followers[:2])
    assert first.Qs is second.Qs and not np.array_equal(first.b0, second.b0)
