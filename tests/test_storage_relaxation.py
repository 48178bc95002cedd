"""Storage-energy-equivalent relaxation (paper Sec. II-C) and its Theorem 2 check.

Small hand-built hubs make the relaxed LP (no charge/discharge complementarity) charge and
discharge at once: (A) abundant PV with an export limit, so renewables are curtailed; (H) a
CHP run for electricity at a high price with its heat dumped and a full thermal store;
(B) negative prices without renewables, where burning energy in the storage round trip
pays; (C) zero prices without renewables, where it is free. The relaxed solution comes from
Clarabel (interior point: it splits ties, so simultaneous operation shows up); the exact
model is the MILP with binary complementarity solved by HiGHS.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest

from gamecore.cases import ieh
from gamecore.cases.ieh.data import GAS_PRICE, HubData, HubProfile, Scenario, make_scenario
from gamecore.energy.storage import (Storage, equivalence_condition, soc_trajectory, storage_model,
                                     storage_violations, surplus, to_exclusive)

REL = 1e-6


def make_hub(periods: int, grid_max: float = 50.0, ees_power: float = 150.0, tes_soc: float = 0.5,
             eta: float = 0.9) -> HubData:
    """A 100 kW hub: 300 kW PV, 200 kWh / ``ees_power`` kW battery, 150 kWh heat store."""
    return HubData(
        name="test-hub", mix=(1.0, 0.0, 0.0), mean_load=100.0, grid_max=grid_max,
        chp_gas_max=300.0, chp_eta_e=0.33, chp_eta_h=0.43, gf_gas_max=300.0, gf_eta=0.88,
        ees=Storage(200.0, ees_power, ees_power, 0.1, 0.9, 0.5, 0.5, eta, eta, 1.0, name="ees"),
        tes=Storage(150.0, 100.0, 100.0, 0.1, 0.9, tes_soc, tes_soc, 0.9, 0.9, 1.0, name="tes"),
        pv_cap=300.0, wind_cap=0.0, elec_shift_total=10.0 * periods, heat_shift_total=5.0 * periods,
        elec_shift_max=np.full(periods, 40.0), heat_shift_max=np.full(periods, 20.0), gas_price=GAS_PRICE, dt=1.0)


def start_state(hub: HubData) -> ieh.HubState:
    return ieh.HubState(0, hub.ees.energy_init, hub.tes.energy_init)


def scenario_of(hub: HubData, profile: HubProfile) -> Scenario:
    """A one-hub scenario whose every data level is ``profile`` (for check_storage)."""
    levels = ("actual", "day-ahead", "intra-day", "real-time")
    return Scenario([hub], np.full(profile.horizon, 0.5), 1e4,
                    {lv: profile.renewable[None, :] for lv in levels},
                    {lv: profile.elec_load[None, :] for lv in levels},
                    {lv: profile.heat_load[None, :] for lv in levels}, seed=0)


CASES = {
    # name: (hub, profile, prices)
    "A-curtailment": (make_hub(8), HubProfile(np.array([0, 0, 150, 300, 300, 300, 0, 0.0]), np.full(8, 100.0),
                                              np.full(8, 80.0)),
                      np.array([0.3, 0.3, 0.8, 1.0, 1.0, 0.9, 1.3, 0.4])),
    "H-heat-dump": (make_hub(6, grid_max=20.0, tes_soc=0.5), HubProfile(np.zeros(6), np.full(6, 60.0),
                                                                      np.full(6, 10.0)),
                    np.full(6, 1.45)),
    # same, but the heat store starts (and must end) full: the interior-point optimum drains it
    # into the heat dump in period 0, so the transformed dump would exceed the CHP heat
    "H-drain": (make_hub(6, grid_max=20.0, tes_soc=0.9), HubProfile(np.zeros(6), np.full(6, 60.0), np.full(6, 10.0)),
                np.full(6, 1.45)),
    "B-negative": (make_hub(3, grid_max=400.0), HubProfile(np.zeros(3), np.full(3, 100.0), np.full(3, 80.0)),
                   np.array([-0.2, -0.5, -0.1])),
    "C-zero": (make_hub(3, grid_max=400.0), HubProfile(np.zeros(3), np.full(3, 100.0), np.full(3, 80.0)),
               np.zeros(3)),
}


@pytest.fixture(scope="module")
def solved() -> dict[str, tuple]:
    """name -> (hub, profile, relaxed dispatch, transformed dispatch, ok_ees, ok_tes, MILP dispatch)."""
    out = {}
    for name, (hub, profile, prices) in CASES.items():
        state = start_state(hub)
        relaxed = ieh.solve_hub(hub, state, profile, prices)
        new, ok_e, ok_h = ieh.exclusive_dispatch(hub, profile, relaxed)
        exact = ieh.solve_hub(hub, state, profile, prices, exclusive=True)
        out[name] = (hub, profile, relaxed, new, ok_e, ok_h, exact)
    return out


# ----------------------------------------------------------------- storage.py alone
def test_to_exclusive_keeps_energy_and_removes_simultaneity() -> None:
    rng = np.random.default_rng(3)
    ch, dis = rng.uniform(0, 50, 200), rng.uniform(0, 50, 200)
    ch[:20] = 0.0
    dis[20:40] = 0.0
    for eta_c, eta_d in ((0.95, 0.95), (0.9, 0.8), (1.0, 1.0)):
        new_ch, new_dis, extra = to_exclusive(ch, dis, eta_c, eta_d)
        np.testing.assert_allclose(eta_c * new_ch - new_dis / eta_d, eta_c * ch - dis / eta_d, atol=1e-12)
        assert np.all(new_ch * new_dis == 0.0)
        assert np.all(new_ch <= ch + 1e-12) and np.all(new_dis <= dis + 1e-12)
        # closed form of the surplus, computed independently: (1 − η_cη_d)·min(ch, dis/(η_cη_d))
        expected = (1 - eta_c * eta_d) * np.minimum(ch, dis / (eta_c * eta_d))
        np.testing.assert_allclose(extra, expected, atol=1e-10)
        np.testing.assert_allclose(surplus(ch, dis, eta_c, eta_d), expected, atol=1e-12)
        np.testing.assert_allclose((ch - dis) - (new_ch - new_dis), extra, atol=1e-10)
    # already exclusive operation is untouched and has no surplus
    new_ch, new_dis, extra = to_exclusive(ch[:40], dis[:40], 0.9, 0.9)
    np.testing.assert_allclose(new_ch, ch[:40], atol=1e-12)
    np.testing.assert_allclose(new_dis, dis[:40], atol=1e-12)
    assert np.all(extra <= 1e-12)


def test_equivalence_condition_is_headroom_test() -> None:
    # ch = dis = 10, η = 0.9·0.9 → surplus = 0.19·10 = 1.9 kW
    ch, dis = np.full(3, 10.0), np.full(3, 10.0)
    ok = equivalence_condition(ch, dis, 0.9, 0.9, curtailment=np.array([0.0, 5.0, 5.0]),
                               curtailment_max=np.array([1.8, 6.9, 7.0]))
    assert ok.tolist() == [False, True, True]


def test_storage_model_dynamics_and_rolling_start() -> None:
    store = Storage(100.0, 30.0, 40.0, 0.1, 0.9, 0.5, 0.5, 0.95, 0.9, 0.5, name="bat")
    prices = np.array([0.2, 0.1, 0.9, 1.2, 0.3, 0.8])
    model = storage_model(store, 6)
    # arbitrage against prices; the end SOC equals the start SOC
    cp.Problem(cp.Minimize(prices @ (model.charge - model.discharge)), model.constraints).solve(solver=cp.CLARABEL)
    ch, dis = model.charge.value, model.discharge.value
    np.testing.assert_allclose(model.energy.value, soc_trajectory(store, ch, dis), atol=1e-6)
    assert model.energy.value[-1] == pytest.approx(50.0, abs=1e-6)
    viol = storage_violations(store, ch, dis)
    assert max(v for k, v in viol.items() if k != "complementarity") < 1e-6
    # a horizon starting mid-day from a given energy, not reaching the end of the day
    mid = storage_model(store, 3, initial_energy=80.0, end_of_day=False)
    cp.Problem(cp.Maximize(cp.sum(mid.discharge)), mid.constraints).solve(solver=cp.CLARABEL)
    # 0.5 h steps: draining 80 → 10 kWh at 40 kW takes 70/(0.5·40/0.9) = 3.15 periods > 3
    assert mid.energy.value[0] == pytest.approx(80.0, abs=1e-6)
    assert np.sum(mid.discharge.value) == pytest.approx(120.0, rel=1e-6)
    with pytest.raises(ValueError, match="bat.*initial_energy"):
        storage_model(store, 3, initial_energy=95.0)
    with pytest.raises(ValueError, match="soc_min <= soc_max"):
        Storage(100.0, 1.0, 1.0, 0.9, 0.1)


# --------------------------------------------------------------- hub-level relaxation
@pytest.mark.parametrize("name", ["A-curtailment", "H-heat-dump"])
def test_transformed_solution_is_exact_optimum(solved: dict, name: str) -> None:
    hub, profile, relaxed, new, ok_e, ok_h, exact = solved[name]
    both_e = np.minimum(relaxed.ees_charge, relaxed.ees_discharge)
    both_h = np.minimum(relaxed.tes_charge, relaxed.tes_discharge)
    store = "ees" if name.startswith("A") else "tes"
    # the relaxation really does charge and discharge at once here (else the test is void)
    assert (both_e if store == "ees" else both_h).max() > 1.0
    assert ok_e.all() and ok_h.all()
    # no simultaneous operation, exactly
    assert np.all(new.ees_charge * new.ees_discharge == 0.0)
    assert np.all(new.tes_charge * new.tes_discharge == 0.0)
    # every constraint of the exact (complementarity) model holds
    viol = ieh.dispatch_violations(hub, start_state(hub), profile, new)
    assert max(viol.values()) < 1e-6, {k: v for k, v in viol.items() if v >= 1e-6}
    # same cost, and that cost is the MILP optimum
    assert new.cost_at(hub) == pytest.approx(relaxed.cost, rel=REL)
    assert exact.cost == pytest.approx(relaxed.cost, rel=REL)
    # the stored-energy trajectories are unchanged
    np.testing.assert_allclose(soc_trajectory(hub.ees, new.ees_charge, new.ees_discharge, hub.ees.energy_init),
                               relaxed.ees_energy, atol=1e-5)
    np.testing.assert_allclose(soc_trajectory(hub.tes, new.tes_charge, new.tes_discharge, hub.tes.energy_init),
                               relaxed.tes_energy, atol=1e-5)


def test_negative_price_condition_fails_and_milp_costs_more(solved: dict) -> None:
    hub, profile, relaxed, new, ok_e, ok_h, exact = solved["B-negative"]
    assert not ok_e.all()
    # the surplus does not fit into curtailment: the transformed point violates the exact model
    assert ieh.dispatch_violations(hub, start_state(hub), profile, new)["curtail"] > 1.0
    # ... and the relaxation is not exact: the MILP optimum is strictly worse
    assert exact.cost > relaxed.cost + 1e-3 * abs(relaxed.cost)
    viol = ieh.dispatch_violations(hub, start_state(hub), profile, exact)
    assert max(viol.values()) < 1e-6


@pytest.mark.parametrize("name", ["C-zero", "H-drain"])
def test_condition_is_only_sufficient(solved: dict, name: str) -> None:
    """The condition can fail while the relaxation is still exact (another relaxed optimum
    is exclusive). C-zero: at zero price burned energy costs nothing and there is no
    curtailment headroom, but the hub could simply import less. H-drain: the relaxed optimum
    discharges the full heat store into the dump in period 0 (net TES discharge above the
    heat load), which the exclusive model cannot; keeping the heat in the store costs the same."""
    hub, profile, relaxed, new, ok_e, ok_h, exact = solved[name]
    assert not (ok_e.all() and ok_h.all())
    assert exact.cost == pytest.approx(relaxed.cost, rel=REL)


def test_condition_agrees_with_milp(solved: dict) -> None:
    """Wherever the condition holds in every period, the LP and MILP optima coincide; in the
    negative-price case it fails and the MILP is worse."""
    for name, (hub, profile, relaxed, new, ok_e, ok_h, exact) in solved.items():
        exact_relaxation = abs(exact.cost - relaxed.cost) <= REL * max(1.0, abs(relaxed.cost))
        if ok_e.all() and ok_h.all():
            assert exact_relaxation, name
        if name == "B-negative":
            assert not exact_relaxation


def test_check_storage_falls_back_to_milp() -> None:
    hub, profile, prices = CASES["B-negative"]
    report = ieh.check_storage(scenario_of(hub, profile), prices, level="day-ahead")
    assert report.checks == 2 * 3
    assert report.failures and all(f[1] == "ees" for f in report.failures)
    entry = report.milp["test-hub"]
    assert entry["difference"] > 1e-3 * abs(entry["relaxed_cost"])
    assert report.max_violation < 1e-6          # the MILP dispatch replaced the infeasible one
    assert np.all(report.dispatches[0].ees_charge * report.dispatches[0].ees_discharge < 1e-6)


def test_generated_hubs_relaxation_exact() -> None:
    """Three generated hubs at the utility prices: the condition holds and the MILP agrees."""
    scenario = make_scenario(3, 24, seed=4)
    for i, hub in enumerate(scenario.hubs):
        profile = scenario.profile(i, 0, "day-ahead")
        state = ieh.initial_states(scenario)[i]
        relaxed = ieh.solve_hub(hub, state, profile, scenario.utility_price)
        new, ok_e, ok_h = ieh.exclusive_dispatch(hub, profile, relaxed)
        assert ok_e.all() and ok_h.all()
        assert max(ieh.dispatch_violations(hub, state, profile, new).values()) < 1e-6 * hub.grid_max
        exact = ieh.solve_hub(hub, state, profile, scenario.utility_price, exclusive=True)
        assert exact.cost == pytest.approx(relaxed.cost, rel=REL)


def test_soft_end_target_is_exact_and_priced() -> None:
    store = Storage(100.0, 30.0, 40.0, 0.1, 0.9, 0.5, 0.5, 0.95, 0.9, 0.5, name="bat")
    prices = np.array([0.2, 0.1, 0.9, 1.2, 0.3, 0.8])

    def arbitrage(end_penalty: float | None) -> tuple[float, float]:
        m = storage_model(store, 6, end_penalty=end_penalty)
        problem = cp.Problem(cp.Minimize(prices @ (m.charge - m.discharge) + m.penalty), m.constraints)
        problem.solve(solver=cp.CLARABEL)
        return float(problem.value), float(m.energy.value[-1])

    hard_cost, hard_end = arbitrage(None)
    soft_cost, soft_end = arbitrage(10.0)          # above the stored energy's value: exact
    assert soft_cost == pytest.approx(hard_cost, abs=1e-6) and soft_end == pytest.approx(50.0, abs=1e-6)
    cheap_cost, cheap_end = arbitrage(0.05)        # below it: selling the stored energy pays
    assert cheap_end == pytest.approx(10.0, abs=1e-5) and cheap_cost < hard_cost - 1.0
    # a target out of reach: 80 kWh can drop by at most 0.5 h · 40 kW / 0.9 = 22.2 kWh in one period
    m = storage_model(store, 1, initial_energy=80.0, end_penalty=5.0)
    cp.Problem(cp.Minimize(m.penalty), m.constraints).solve(solver=cp.CLARABEL)
    np.testing.assert_allclose(m.end_miss.value, [0.0, 80.0 - 20.0 / 0.9 - 50.0], atol=1e-6)
    assert m.penalty.value == pytest.approx(5.0 * (80.0 - 20.0 / 0.9 - 50.0), rel=1e-6)
    hard = storage_model(store, 1, initial_energy=80.0)
    problem = cp.Problem(cp.Minimize(0), hard.constraints)
    problem.solve(solver=cp.CLARABEL)
    assert problem.status == cp.INFEASIBLE
    assert storage_model(store, 3, end_of_day=False, end_penalty=5.0).end_miss is None
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="bat.*end_penalty"):
            storage_model(store, 3, end_penalty=bad)
