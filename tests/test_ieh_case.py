"""The ``ieh`` case (seed 003): data, the day-ahead game, congestion, rolling-stage API."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import gamecore
from gamecore.cases import ieh
from gamecore.cases.ieh import data as ieh_data
from gamecore.cases.ieh.data import make_scenario


@pytest.fixture(scope="module")
def case() -> gamecore.Case:
    return gamecore.make_case("ieh")


@pytest.fixture(scope="module")
def central(case: gamecore.Case) -> gamecore.Result:
    return gamecore.solve(case, "centralized")


# ---------------------------------------------------------------------------- data
def test_gas_price_conversion() -> None:
    # 3.3 yuan/m³ / (0.79 kg/m³ · 45 MJ/kg / 3.6 MJ/kWh = 9.875 kWh/m³)
    assert ieh_data.GAS_KWH_PER_M3 == pytest.approx(9.875, rel=1e-12)
    assert ieh_data.GAS_PRICE == pytest.approx(0.33417721518987, rel=1e-12)


def test_data_reproducible_and_diverse() -> None:
    a, b = make_scenario(15, 24, seed=0), make_scenario(15, 24, seed=0)
    for key in ("renewable", "elec_load", "heat_load"):
        for level in ("actual", "day-ahead", "intra-day", "real-time"):
            np.testing.assert_array_equal(getattr(a, key)[level], getattr(b, key)[level])
    np.testing.assert_array_equal(a.utility_price, b.utility_price)
    assert a.hubs[3].ees == b.hubs[3].ees and a.hubs[3].chp_gas_max == b.hubs[3].chp_gas_max
    other = make_scenario(15, 24, seed=1)
    assert not np.allclose(other.elec_load["actual"], a.elec_load["actual"])
    # a hub's data depend on (seed, index) only: the first hubs of a larger scenario are the same
    bigger = make_scenario(20, 24, seed=0)
    np.testing.assert_array_equal(bigger.elec_load["actual"][:15], a.elec_load["actual"])
    sizes = np.array([h.mean_load for h in a.hubs])
    assert sizes.max() / sizes.min() > 3.0
    for h in a.hubs:
        assert 0.30 <= h.chp_eta_e <= 0.35 and 0.40 <= h.chp_eta_h <= 0.45 and 0.85 <= h.gf_eta <= 0.90


def test_utility_price_shape() -> None:
    sc = make_scenario(15, 24, seed=0)
    price = sc.utility_price
    assert np.all(price >= 0.0) and np.all(price <= 1.5)
    assert price[sc.night].max() < 0.45 and price[sc.day].min() > 0.75 and price[sc.day].max() <= 1.3
    assert sc.night.sum() == 7 and sc.day.sum() == 16


def test_forecast_errors_shrink_with_level() -> None:
    sc = make_scenario(200, 24, seed=2)
    actual = sc.renewable["actual"]
    mask = actual > 1.0
    stds = {lv: np.std(sc.renewable[lv][mask] / actual[mask] - 1.0) for lv in ieh_data.LEVELS}
    # 10 % / 5 % / 2 % by construction (renewables at full scale are rarely clipped)
    assert stds["day-ahead"] == pytest.approx(0.10, rel=0.1)
    assert stds["intra-day"] == pytest.approx(0.05, rel=0.1)
    assert stds["real-time"] == pytest.approx(0.02, rel=0.1)
    load = sc.elec_load["actual"]
    lstd = {lv: np.std(sc.elec_load[lv] / load - 1.0) for lv in ieh_data.LEVELS}
    assert lstd["day-ahead"] == pytest.approx(0.05, rel=0.1) and lstd["real-time"] == pytest.approx(0.01, rel=0.1)
    assert sc.level_rows(20, "rolling") == ["actual", "real-time", "intra-day", "intra-day"]
    assert sc.level_rows(10, "rolling")[:6] == ["actual", "real-time", "intra-day", "intra-day", "intra-day",
                                                  "day-ahead"]


# ---------------------------------------------------------------------------- the game
def test_case_builds(case: gamecore.Case) -> None:
    game = case.game
    assert case.name == "ieh" and case.reference is None
    assert game.n_followers == 15 and game.is_market and not game.is_stackelberg
    sig = game.leader.signal("price")
    assert sig.shape == (24,) and float(np.min(sig.lower_array)) == 0.0 and float(np.max(sig.upper_array)) == 1.5
    assert game.followers[0].output_shapes == {"net": (24,), "state": (4,)}
    scenario = case.params["scenario"]
    assert scenario.n_hubs == 15 and case.params["start"] == 0
    assert "ieh" in gamecore.CASES


def test_centralized_transformer_and_congestion(case: gamecore.Case, central: gamecore.Result) -> None:
    sc = case.params["scenario"]
    assert central.status == "converged"
    assert central.certificate.within()
    supply = central.supplies["transformer"]
    cap = sc.transformer_cap * sc.dt
    assert np.all(np.abs(supply) <= cap * (1 + 1e-7))
    total = sum(central.outputs[h.name]["net"] for h in sc.hubs)
    np.testing.assert_allclose(total, supply, atol=1e-5 * cap)
    price, utility = central.signals["price"], sc.utility_price
    congested = (price > utility + 1e-3) & (supply >= cap * (1 - 1e-6))
    assert congested[sc.night].any()
    assert not congested[sc.day].any()
    np.testing.assert_allclose(price[sc.day], utility[sc.day], atol=1e-6)
    assert np.all(np.abs(supply[sc.day]) < 0.99 * cap)
    assert np.all(price >= utility - 1e-6)          # never export-congested


def test_night_demand_exceeds_cap_at_utility_price(case: gamecore.Case) -> None:
    """Independent of any market solver: at the utility price the hubs' own best responses
    overload the transformer at night and fit under it by day, so utility price cannot be
    the night equilibrium."""
    sc = case.params["scenario"]
    total = sum(f.respond({"price": sc.utility_price}).outputs["net"] for f in case.game.followers)
    cap = sc.transformer_cap * sc.dt
    assert total[sc.night].max() > 1.1 * cap
    assert np.all(np.abs(total[sc.day]) <= cap / ieh.CAP_MARGIN * (1 + 1e-6))


def test_storage_condition_on_15_hubs(case: gamecore.Case, central: gamecore.Result) -> None:
    sc = case.params["scenario"]
    nets = [central.outputs[h.name]["net"] for h in sc.hubs]
    report = ieh.check_storage(sc, central.signals["price"], nets, milp=True)
    assert report.checks == 15 * 24 * 2
    # Theorem 2's condition holds everywhere (simultaneous operation is rare: storage, CHP
    # turn-down and shiftable loads absorb PV surpluses before curtailment)
    assert report.failures == [] and report.milp == {}
    assert report.max_violation < 1e-6
    for d, h in zip(report.dispatches, sc.hubs):
        assert np.all(d.ees_charge * d.ees_discharge == 0.0) and np.all(d.tes_charge * d.tes_discharge == 0.0)


def test_rolling_stage_api(case: gamecore.Case, central: gamecore.Result) -> None:
    sc = case.params["scenario"]
    states = case.params["states"]
    responses = [central.outputs[h.name] for h in sc.hubs]
    nxt = ieh.advance(sc, 0, states, responses)
    assert all(s.period == 1 for s in nxt)
    for s, h, r in zip(nxt, sc.hubs, responses):
        assert s.ees_energy == pytest.approx(r["state"][0]) and h.ees.energy_min - 1e-9 <= s.ees_energy
        assert 0.0 <= s.elec_served <= h.elec_shift_total
    game = ieh.stage_game(sc, 1, nxt, "rolling")
    assert game.layout.signals["price"].shape == (23,)
    sol = gamecore.solve_centralized(game)
    assert sol.status == "optimal"
    # the stage meets the end-of-day obligations from the advanced state
    for i, (h, s) in enumerate(zip(sc.hubs, nxt)):
        d = ieh.solve_hub(h, s, sc.profile(i, 1, "rolling"), sol.signal_vector, net=sol.responses[i].outputs["net"])
        assert s.elec_served + d.shift_e.sum() == pytest.approx(h.elec_shift_total, rel=1e-6)
        assert d.ees_energy[-1] == pytest.approx(h.ees.energy_end, rel=1e-6)
    with pytest.raises(ValueError, match="expected the stage start 2"):
        ieh.stage_game(sc, 2, nxt)
    with pytest.raises(ValueError, match="expected 1"):
        ieh.advance(sc, 1, states, responses)


def test_hub_follower_matches_plain_solve(case: gamecore.Case) -> None:
    """The compiled follower and the plain cvxpy model are the same program."""
    sc = case.params["scenario"]
    rng = np.random.default_rng(0)
    prices = rng.uniform(0.2, 1.4, 24)
    for i in (0, 7):
        resp = case.game.followers[i].respond({"price": prices})
        d = ieh.solve_hub(sc.hubs[i], case.params["states"][i], sc.profile(i, 0, "day-ahead"), prices)
        assert resp.objective == pytest.approx(d.cost, rel=1e-6)
    # the optional strictly convex variant (unique responses)
    hub, state, profile = sc.hubs[0], case.params["states"][0], sc.profile(0, 0, "day-ahead")
    follower = ieh.hub_follower(hub, state, profile, quadratic_weight=1e-4)
    assert follower.program.is_quadratic
    resp = follower.respond({"price": prices})
    d = ieh.solve_hub(hub, state, profile, prices, quadratic_weight=1e-4)
    assert resp.objective == pytest.approx(d.cost, rel=1e-6)
    # unique optimum; weak curvature (1e-4 yuan/kW²) leaves ~0.1 kW of solver-tolerance slack
    np.testing.assert_allclose(resp.outputs["net"], d.net, atol=0.1)


def test_tie_weight_makes_the_realised_state_unique(case: gamecore.Case) -> None:
    """At the same prices the centralized stage solve and each hub's own solve realise the
    same state (stored energies, shiftable energy served) — not only the same bid."""
    def state_differences(rolling: ieh.IEHRolling) -> np.ndarray:
        game = rolling.stage_game(0, rolling.initial_states())
        sol = gamecore.solve_centralized(game)
        return np.array([np.max(np.abs(f.respond({"price": sol.signal_vector}).outputs["state"]
                                       - sol.responses[i].outputs["state"])) for i, f in enumerate(game.followers)])

    sc = case.params["scenario"]
    assert case.rolling.tie_weight > 0
    with_tie = state_differences(case.rolling)
    without = state_differences(ieh.IEHRolling(sc, tie_weight=0.0))
    assert with_tie.max() < 0.5 and np.median(with_tie) < 0.01, with_tie      # kWh: solver tolerance
    assert without.max() > 2.0                                                # kWh: ties split differently
    with pytest.raises(ValueError, match="tie_weight must be >= 0"):
        ieh.IEHRolling(case.params["scenario"], tie_weight=-1.0)


def test_50_hubs_build() -> None:
    case = gamecore.make_case("ieh", agents=50, seed=1)
    game, sc = case.game, case.params["scenario"]
    assert game.n_followers == 50 and game.is_market and not game.is_stackelberg
    assert [c.name for c in game.leader.couplings] == ["transformer"]
    assert game.leader.signal("price").shape == (24,)
    assert [f.name for f in game.followers] == [h.name for h in sc.hubs] and len({h.name for h in sc.hubs}) == 50
    assert all(f.output_shapes == {"net": (24,), "state": (4,)} for f in game.followers)
    # a hub's data depend on (seed, index) only: the first 15 are those of the 15-hub scenario
    np.testing.assert_array_equal(sc.elec_load["actual"][:15], make_scenario(15, 24, seed=1).elec_load["actual"])
    # the calibrated transformer limit, checked on the hubs' own best responses at the utility
    # price: CAP_MARGIN × the day-time import / export peak, overloaded at night
    total = sum(f.respond({"price": sc.utility_price}).outputs["net"] for f in game.followers)
    cap = sc.transformer_cap * sc.dt
    assert ieh.CAP_MARGIN * max(total[sc.day].max(), (-total).max()) == pytest.approx(cap, rel=1e-6)
    assert total[sc.night].max() > 1.1 * cap


# ------------------------------------------------------------------- soft constraints
def _hard(hub: ieh_data.HubData) -> ieh_data.HubData:
    """The paper's model: demand served and end-of-day SOC met exactly."""
    return replace(hub, lost_load_value=None, end_soc_penalty=None)


def test_priced_unserved_demand_and_soc_miss_are_exact(case: gamecore.Case, central: gamecore.Result) -> None:
    """Where the paper's hard model is feasible the priced model has the same optimum."""
    sc = case.params["scenario"]
    prices = central.signals["price"]
    for i, (hub, state) in enumerate(zip(sc.hubs, case.params["states"])):
        profile = sc.profile(i, 0, "day-ahead")
        soft = ieh.solve_hub(hub, state, profile, prices)
        hard = ieh.solve_hub(_hard(hub), state, profile, prices)
        assert soft.cost == pytest.approx(hard.cost, rel=1e-7), hub.name
        assert max(soft.unserved_e.max(), soft.unserved_h.max(), soft.end_miss.max()) < 1e-6 * hub.grid_max
        assert soft.cost_at(hub) == pytest.approx(soft.cost, rel=1e-7)


def test_rolling_day_that_breaks_the_hard_model() -> None:
    """hub743 of the 1000-hub scenario (seed 0) — the hub that stopped the 1000-hub benchmark.

    Run alone with an ample transformer (local price = utility price), the 22:00 stage plans
    hour 23 on the real-time forecast of the heat demand (333.05 kW), leaving TES 845.88 kWh that
    must discharge 333.1 kW to end on its 490.2 kWh target; the realised demand is 330.56 kW
    and heat cannot be dumped without the CHP. The hard model is infeasible at hour 23; the
    priced one ends the day with TES ≈2 kWh above target, pays for it and says so.
    """
    from gamecore.rolling import centralized_rolling

    big = make_scenario(1000, 24, seed=0)
    one = big.subset([743], transformer_cap=10 * big.hubs[743].grid_max)
    hub = one.hubs[0]
    assert one.heat_load["real-time"][0, 23] > 333.0 > one.heat_load["actual"][0, 23]
    run = centralized_rolling(ieh.IEHRolling(one))
    np.testing.assert_allclose(run.prices["price"], one.utility_price, atol=1e-6)
    assert run.penalties[:23].max() < 1e-4                      # yuan: the priced slacks only where needed
    miss = float(run.details[23]["end_miss"][0])
    assert 0.5 < miss < 3.0                                     # kWh, TES above target
    assert run.penalties[23] == pytest.approx(hub.end_soc_penalty * miss, rel=1e-6)
    assert run.states[-1][0].tes_energy == pytest.approx(hub.tes.energy_end + miss, abs=1e-6)
    assert float(run.details[23]["unserved_h"][0]) < 1e-6 and run.violation < 1e-6
    assert run.total_cost == pytest.approx(run.system_costs.sum()) and run.total_penalty == run.penalties.sum()
    # the same day with the hard model: the last stage has no feasible dispatch at any price
    hard = replace(one, hubs=[_hard(hub)])
    with pytest.raises(gamecore.GameError, match="ieh-stage23.*infeasible"):
        centralized_rolling(ieh.IEHRolling(hard))
    follower = ieh.hub_follower(_hard(hub), run.states[23][0], one.profile(0, 23, "rolling"))
    for price in (0.0, 0.75, 1.5):
        with pytest.raises(gamecore.FollowerSolveError, match="hub743.*infeasible"):
            follower.respond({"price": np.array([price])})


def test_soft_constraint_prices_are_checked() -> None:
    hub = make_scenario(1, 24, seed=0).hubs[0]
    for name in ("lost_load_value", "end_soc_penalty"):
        for bad in (0.0, -1.0, float("nan")):
            with pytest.raises(ValueError, match=f"hub00.*{name}"):
                replace(hub, **{name: bad})


# ------------------------------------------------------------ violations of the exact model
def test_dispatch_violations_evaluate_the_model_constraints() -> None:
    """0 on a feasible (exclusive) dispatch; a perturbation shows, in kW, in the family it breaks."""
    from dataclasses import replace as copy_with

    sc = make_scenario(2, 24, seed=5)
    hub, state = sc.hubs[0], ieh.initial_states(sc)[0]
    profile = sc.profile(0, 0, "day-ahead")
    relaxed = ieh.solve_hub(hub, state, profile, sc.utility_price)
    feasible, ok_e, ok_h = ieh.exclusive_dispatch(hub, profile, relaxed)
    assert ok_e.all() and ok_h.all()
    base = ieh.dispatch_violations(hub, state, profile, feasible)
    assert max(base.values()) < 1e-6 * hub.grid_max, {k: v for k, v in base.items() if v >= 1e-6 * hub.grid_max}
    for key in ("grid", "chp", "furnace", "curtail", "shift_e", "shift_h", "electric_balance", "heat_balance",
                "ees", "tes", "ees_complementarity", "tes_complementarity", "unserved_e", "unserved_h",
                "ees_end", "tes_end"):
        assert key in base

    def perturbed(**arrays: np.ndarray) -> dict[str, float]:
        return ieh.dispatch_violations(hub, state, profile, copy_with(feasible, **arrays))

    net = feasible.net.copy()
    net[3] += 10.0                                                     # the electric bus no longer balances
    assert perturbed(net=net)["electric_balance"] == pytest.approx(10.0, abs=1e-6)
    net = feasible.net.copy()
    net[0] = hub.grid_max + 3.0                                        # above the grid limit
    assert perturbed(net=net)["grid"] == pytest.approx(3.0, abs=1e-6)
    t = int(np.argmax(feasible.chp_gas))
    dump = feasible.heat_dump.copy()
    dump[t] = hub.chp_eta_h * feasible.chp_gas[t] + 7.0                 # dumps more heat than the CHP recovers
    viol = perturbed(heat_dump=dump)
    assert viol["chp"] == pytest.approx(7.0, abs=1e-6)
    # the recovered heat (a non-negative variable) is evaluated at 0: the bus misses what was recovered before
    assert viol["heat_balance"] == pytest.approx(dump[t] - 7.0 - feasible.heat_dump[t], abs=1e-6)
    gf = feasible.gf_gas.copy()
    gf[t] = hub.gf_gas_max + 2.0                                      # furnace over capacity (heat kW = η·gas)
    assert perturbed(gf_gas=gf)["furnace"] == pytest.approx(hub.gf_eta * 2.0, rel=1e-9)
    ch, dis = feasible.ees_charge.copy(), feasible.ees_discharge.copy()
    ch[5], dis[5] = ch[5] + 4.0, dis[5] + 4.0                         # simultaneous charge and discharge
    viol = perturbed(ees_charge=ch, ees_discharge=dis)
    assert viol["ees_complementarity"] >= 4.0 - 1e-9
    assert viol["ees_end"] > 0.1                                       # the round-trip loss misses the hard target
