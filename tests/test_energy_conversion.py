"""Conversion units (gamecore.energy.conversion) against hand-computed dispatches."""

from __future__ import annotations

import re

import cvxpy as cp
import numpy as np
import pytest

from gamecore.energy import (SEED004_GB_COST, SEED004_ICG_COST, AbsorptionChiller, CoalUnit, GasBoiler,
                             GasTurbineCHP, InternalCombustionGenerator, QuadraticCost, absorption_chiller_model,
                             coal_unit_model, gas_boiler_model, gas_turbine_model, icg_model)

TOL = 1e-5


def solve(objective, constraints, solver=cp.CLARABEL) -> cp.Problem:
    problem = cp.Problem(objective, constraints)
    problem.solve(solver=solver)
    return problem


def test_gas_turbine_conversion_cost_and_emissions():
    unit = GasTurbineCHP(p_max=100.0, eta_e=0.35, eta_loss=0.15, eta_whb=0.8, gas_price=3.2, gas_lhv=9.7,
                         emission_factor=0.2)
    m = gas_turbine_model(unit, 3)
    demand = np.array([35.0, 70.0, 100.0])
    prob = solve(cp.Minimize(m.cost), m.constraints + [m.outputs["power"] >= demand])
    assert prob.status == cp.OPTIMAL
    gas = demand / 0.35                                 # [100, 200, 285.714...] kW
    np.testing.assert_allclose(m.inputs["gas"].value, gas, rtol=TOL)
    np.testing.assert_allclose(m.outputs["heat"].value, 0.8 * (1 - 0.35 - 0.15) * gas, rtol=TOL)   # 0.4·gas
    assert prob.value == pytest.approx(3.2 / 9.7 * gas.sum(), rel=TOL)
    np.testing.assert_allclose(m.emissions.value, 0.2 * gas, rtol=TOL)
    assert unit.heat_per_power == pytest.approx(0.4 / 0.35)


def test_gas_turbine_ramp_and_initial_power():
    unit = GasTurbineCHP(p_max=100.0, ramp_up=20.0, ramp_down=20.0)
    m = gas_turbine_model(unit, 3, initial_power=0.0)
    prob = solve(cp.Minimize(m.cost), m.constraints + [m.outputs["power"][2] >= 60.0])
    assert prob.status == cp.OPTIMAL
    np.testing.assert_allclose(m.outputs["power"].value, [20.0, 40.0, 60.0], atol=1e-4)
    m2 = gas_turbine_model(unit, 3, initial_power=0.0)
    prob2 = solve(cp.Minimize(m2.cost), m2.constraints + [m2.outputs["power"][2] >= 61.0])
    assert prob2.status == cp.INFEASIBLE


def test_gas_turbine_heat_dump():
    # 35 kW of power brings 40 kW of heat; a heat sink of 30 kW needs the dump
    strict = gas_turbine_model(GasTurbineCHP(p_max=100.0), 1)
    prob = solve(cp.Minimize(strict.cost), strict.constraints + [strict.outputs["power"] >= 35,
                                                                  strict.outputs["heat"] <= 30])
    assert prob.status == cp.INFEASIBLE
    dump = gas_turbine_model(GasTurbineCHP(p_max=100.0, heat_dump=True), 1)
    prob = solve(cp.Minimize(dump.cost), dump.constraints + [dump.outputs["power"] >= 35,
                                                              dump.outputs["heat"] <= 30])
    assert prob.status == cp.OPTIMAL
    assert dump.inputs["gas"].value[0] == pytest.approx(100.0, rel=TOL)


def test_gas_boiler_gas_cost_and_seed004_quadratic_cost():
    unit = GasBoiler(h_max=50.0, eta=0.9, gas_price=3.2, gas_lhv=9.7)
    m = gas_boiler_model(unit, 2)
    prob = solve(cp.Minimize(m.cost), m.constraints + [m.outputs["heat"] >= [10.0, 20.0]])
    assert prob.value == pytest.approx(3.2 / 9.7 * 30.0 / 0.9, rel=TOL)
    np.testing.assert_allclose(m.emissions.value, 0.202 * np.array([10.0, 20.0]) / 0.9, rtol=TOL)
    quad = gas_boiler_model(GasBoiler(h_max=50.0, cost=SEED004_GB_COST), 2)
    prob = solve(cp.Minimize(quad.cost), quad.constraints + [quad.outputs["heat"] >= [10.0, 20.0]])
    # Σ 0.005·h² + 0.11·h + 0.05 = (0.5 + 1.1 + 0.05) + (2 + 2.2 + 0.05)
    assert prob.value == pytest.approx(5.9, rel=TOL)


def test_icg_price_response_and_heat_recovery():
    assert (SEED004_ICG_COST.a, SEED004_ICG_COST.b, SEED004_ICG_COST.c) == (0.0013, 0.16, 0.0)
    price = 0.8
    for rated, expected in ((300.0, (0.8 - 0.16) / (2 * 0.0013)), (200.0, 200.0)):
        unit = InternalCombustionGenerator(p_rated=rated)
        m = icg_model(unit, 1)
        p = m.outputs["power"]
        prob = solve(cp.Maximize(price * cp.sum(p) - m.cost), m.constraints)
        assert p.value[0] == pytest.approx(expected, rel=1e-5)
        assert prob.value == pytest.approx(price * expected - 0.0013 * expected ** 2 - 0.16 * expected, rel=1e-5)
        # H_re = P·(1 − η)/η·η_re with η = 0.39, η_re = 0.85
        assert m.outputs["heat"].value[0] == pytest.approx(expected * 0.61 / 0.39 * 0.85, rel=1e-5)
        assert m.inputs["gas"].value[0] == pytest.approx(expected / 0.39, rel=1e-5)
        assert m.emissions.value[0] == pytest.approx(0.488 * expected, rel=1e-5)


def test_coal_unit_ramp_limited_dispatch():
    unit = CoalUnit(p_max=300.0, cost=QuadraticCost(0.001, 0.3), ramp_up=50.0, ramp_down=50.0)
    m = coal_unit_model(unit, 3, initial_power=100.0)
    grid = cp.Variable(3, nonneg=True)                  # expensive backup at 2 CNY/kWh
    demand = np.array([100.0, 200.0, 150.0])
    prob = solve(cp.Minimize(m.cost + 2.0 * cp.sum(grid)), m.constraints + [m.outputs["power"] + grid == demand])
    assert prob.status == cp.OPTIMAL
    np.testing.assert_allclose(m.outputs["power"].value, [100.0, 150.0, 150.0], atol=1e-4)
    np.testing.assert_allclose(grid.value, [0.0, 50.0, 0.0], atol=1e-4)
    assert m.total_emissions.value == pytest.approx(0.924 * 400.0, rel=1e-5)
    cost = sum(0.001 * p ** 2 + 0.3 * p for p in (100.0, 150.0, 150.0))
    assert prob.value == pytest.approx(cost + 100.0, rel=1e-5)


def test_absorption_chiller():
    m = absorption_chiller_model(AbsorptionChiller(cool_max=80.0, cop=0.7), 2)
    prob = solve(cp.Minimize(cp.sum(m.inputs["heat"])), m.constraints + [m.outputs["cooling"] >= [70.0, 35.0]])
    np.testing.assert_allclose(m.inputs["heat"].value, [100.0, 50.0], rtol=TOL)
    m2 = absorption_chiller_model(AbsorptionChiller(cool_max=80.0), 1)
    prob = solve(cp.Minimize(cp.sum(m2.inputs["heat"])), m2.constraints + [m2.outputs["cooling"] >= 90.0])
    assert prob.status == cp.INFEASIBLE


@pytest.mark.parametrize("factory, message", [
    (lambda: GasTurbineCHP(p_max=100.0, eta_e=0.6, eta_loss=0.5, name="gt1"), "GasTurbineCHP 'gt1': eta_e + eta_loss"),
    (lambda: GasTurbineCHP(p_max=-1.0, name="gt2"), "GasTurbineCHP 'gt2': p_max"),
    (lambda: GasBoiler(h_max=10.0, eta=1.2, name="gb1"), "GasBoiler 'gb1': eta"),
    (lambda: InternalCombustionGenerator(p_rated=10.0, p_min=20.0, name="icg1"), "'icg1': p_min"),
    (lambda: CoalUnit(p_max=10.0, cost=QuadraticCost(0, 1), ramp_up=-1.0, name="c1"), "CoalUnit 'c1': ramp_up"),
    (lambda: AbsorptionChiller(cool_max=10.0, cop=0.0, name="ac1"), "AbsorptionChiller 'ac1': cop"),
    # the range check names each unit's own fields
    (lambda: GasBoiler(h_max=-1.0, name="gb2"), "GasBoiler 'gb2': h_max must be > 0"),
    (lambda: GasBoiler(h_max=5.0, h_min=9.0, name="gb3"), "GasBoiler 'gb3': h_min=9.0 kW exceeds h_max=5.0 kW"),
    (lambda: InternalCombustionGenerator(p_rated=-2.0, name="icg2"), "'icg2': p_rated must be > 0"),
    (lambda: AbsorptionChiller(cool_max=0.0, name="ac2"), "AbsorptionChiller 'ac2': cool_max must be > 0"),
])
def test_validation_names_component_and_field(factory, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        factory()


def test_quadratic_cost_rejects_concave_and_horizon_checked():
    with pytest.raises(ValueError, match="a must be >= 0"):
        QuadraticCost(-1.0, 0.0)
    with pytest.raises(ValueError, match="horizon"):
        gas_boiler_model(GasBoiler(h_max=1.0, name="gbx"), 0)


def test_components_compose_into_a_dpp_follower():
    """A seed-004-like CCHP operator (ICG + GB + ladder carbon cost) as a gamecore Follower."""
    from gamecore import Follower
    from gamecore.energy import SEED001_CARBON, stepped_carbon_cost

    T = 2
    elec_price = cp.Parameter(T, name="elec_price")
    heat_price = cp.Parameter(T, name="heat_price")
    icg = icg_model(InternalCombustionGenerator(p_rated=500.0), T)
    gb = gas_boiler_model(GasBoiler(h_max=100.0, cost=SEED004_GB_COST, emission_factor=0.202), T)
    # a quota far above the emissions: every kg saved sells at the base price 0.2 CNY/kg
    carbon = stepped_carbon_cost(SEED001_CARBON, icg.emissions + gb.emissions, 1e6)
    power = icg.outputs["power"]
    heat = icg.outputs["heat"] + gb.outputs["heat"]
    follower = Follower("cchp", cp.Minimize(icg.cost + gb.cost + carbon.cost + elec_price @ (-power)
                                            + heat_price @ (-heat)),
                        icg.constraints + gb.constraints + carbon.constraints,
                        signals={"elec_price": elec_price, "heat_price": heat_price},
                        outputs={"power": -power, "heat": -heat})
    response = follower.respond({"elec_price": np.array([0.8, 0.5]), "heat_price": np.array([0.3, 0.3])})
    assert response.ok
    # ICG: 2aP + b + 0.2·0.488 = c_e + c_h·(heat per kW) ; GB: 2aH + b + 0.2·0.202/0.9 = c_h
    k = InternalCombustionGenerator(p_rated=500.0).heat_per_power
    p_icg = (np.array([0.8, 0.5]) + 0.3 * k - 0.16 - 0.2 * 0.488) / (2 * 0.0013)
    h_gb = (0.3 - 0.11 - 0.2 * 0.202 / 0.9) / (2 * 0.005)
    np.testing.assert_allclose(-response.outputs["power"], p_icg, rtol=1e-5)
    np.testing.assert_allclose(-response.outputs["heat"], k * p_icg + h_gb, rtol=1e-5)


# ------------------------------------------------------------------ heat pump
def test_heat_pump_heat_is_cop_times_power_per_period():
    from gamecore.energy import HeatPump, heat_pump_model

    cop = (2.5, 2.6, 3.0, 3.2)
    unit = HeatPump(p_max=40.0, cop=cop, name="ashp")
    m = heat_pump_model(unit, 0, 4)
    demand = np.array([50.0, 52.0, 90.0, 128.0])
    prob = solve(cp.Minimize(cp.sum(m.power)), m.constraints + [m.heat >= demand])
    assert prob.status == cp.OPTIMAL
    np.testing.assert_allclose(m.power.value, demand / np.array(cop), rtol=TOL)   # [20, 20, 30, 40] kW
    np.testing.assert_allclose(m.heat.value, demand, rtol=TOL)
    assert m.power.name() == "ashp_power"
    assert set(m.inputs) == {"power"} and set(m.outputs) == {"heat"}
    # 129 kW of heat in the last period needs 40.3 kW > p_max
    over = heat_pump_model(unit, 0, 4)
    prob = solve(cp.Minimize(cp.sum(over.power)), over.constraints + [over.heat >= demand + np.array([0, 0, 0, 1.0])])
    assert prob.status == cp.INFEASIBLE


def test_heat_pump_stage_uses_its_slice_of_the_cop_profile():
    from gamecore.energy import HeatPump, heat_pump_model

    unit = HeatPump(p_max=10.0, cop=(2.0, 2.5, 3.0, 4.0))
    m = heat_pump_model(unit, 2, 2)               # periods 2 and 3 of the day
    prob = solve(cp.Maximize(cp.sum(m.heat)), m.constraints)
    assert prob.status == cp.OPTIMAL
    np.testing.assert_allclose(m.heat.value, [30.0, 40.0], rtol=TOL)
    const = heat_pump_model(HeatPump(p_max=10.0, cop=3.5), 17, 3)   # a constant COP: any start
    prob = solve(cp.Maximize(cp.sum(const.heat)), const.constraints)
    np.testing.assert_allclose(const.heat.value, [35.0] * 3, rtol=TOL)
    with pytest.raises(ValueError, match=re.escape("HeatPump 'hp': periods [3, 5) outside its cop profile of 4")):
        heat_pump_model(unit, 3, 2)


@pytest.mark.parametrize("kwargs, message", [
    ({"p_max": 0.0, "cop": 3.0}, "p_max must be > 0 kW"),
    ({"p_max": 5.0, "cop": (3.0, 0.0)}, "cop must be finite and > 0"),
    ({"p_max": 5.0, "cop": (3.0, float("nan"))}, "cop must be finite and > 0"),
    ({"p_max": 5.0, "cop": ()}, "cop must be a number or a non-empty sequence"),
    ({"p_max": 5.0, "cop": 3.0, "dt": 0.0}, "dt must be > 0 h"),
])
def test_heat_pump_validation_names_the_unit_and_field(kwargs, message):
    from gamecore.energy import HeatPump

    with pytest.raises(ValueError, match=re.escape(f"HeatPump 'x': {message}")):
        HeatPump(name="x", **kwargs)


def test_county_uses_the_library_heat_pump():
    from gamecore.cases.county import data, model
    from gamecore.energy import HeatPump, HeatPumpModel, heat_pump_model

    assert data.HeatPump is HeatPump
    assert model.heat_pump_model is heat_pump_model and model.HeatPumpModel is HeatPumpModel
    scenario = data.make_scenario(3, 24, 0)
    hp = next(ies.heat_pump for ies in scenario.agents if ies.heat_pump is not None)
    assert isinstance(hp, HeatPump)
    np.testing.assert_allclose(hp.cop, data.heat_pump_cop(24))
