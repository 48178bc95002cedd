"""P2G-CCS (gamecore.energy.p2g_ccs): CO₂ mass balance and energy penalty by hand numbers."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest

from gamecore.energy import (CO2_PER_KWH_CH4, CarbonCapture, GasTurbineCHP, PowerToGas, co2_store,
                             gas_turbine_model, p2g_ccs_model)

KAPPA = 44.01e-3 / (802.3 / 3600.0)          # kg CO₂ per kWh of CH₄ (Sabatier stoichiometry)


def test_stoichiometric_constant():
    assert CO2_PER_KWH_CH4 == pytest.approx(KAPPA)
    assert CO2_PER_KWH_CH4 == pytest.approx(0.1975, abs=1e-4)
    assert PowerToGas(p_max=1.0, eta_el=0.75, eta_mr=0.8).co2_per_kwh_el == pytest.approx(0.6 * KAPPA)


def test_capture_limited_by_methanation_without_store():
    ccs = CarbonCapture(capture_rate_max=0.9, energy_per_kg=0.269, base_power=5.0)
    p2g = PowerToGas(p_max=500.0, eta_el=0.75, eta_mr=0.8)
    m = p2g_ccs_model(ccs, p2g, [1000.0, 1000.0, 1000.0], 3)
    prob = cp.Problem(cp.Maximize(cp.sum(m.captured)), m.constraints + [m.electrolysis == 400.0])
    prob.solve(solver=cp.HIGHS)
    assert prob.status == cp.OPTIMAL
    ch4 = 400.0 * 0.75 * 0.8                 # 240 kW of methane
    used = ch4 * KAPPA                       # 47.39 kg per period
    np.testing.assert_allclose(m.methane.value, ch4, rtol=1e-9)
    np.testing.assert_allclose(m.co2_used.value, used, rtol=1e-9)
    np.testing.assert_allclose(m.captured.value, used, rtol=1e-7)          # nothing else can take it
    np.testing.assert_allclose(m.net_emissions.value, 1000.0 - used, rtol=1e-7)
    np.testing.assert_allclose(m.ccs_power.value, 5.0 + 0.269 * used, rtol=1e-7)
    np.testing.assert_allclose(m.power_in.value, 400.0 + 5.0 + 0.269 * used, rtol=1e-7)


def test_store_shifts_captured_co2_to_later_methanation():
    ccs = CarbonCapture(capture_rate_max=0.9)
    p2g = PowerToGas(p_max=500.0)
    used = 500.0 * 0.75 * 0.8 * KAPPA        # 59.24 kg per period at full electrolysis
    gross = [1000.0, 0.0, 0.0]               # only the first period emits
    bare = p2g_ccs_model(ccs, p2g, gross, 3)
    prob = cp.Problem(cp.Minimize(cp.sum(bare.net_emissions)), bare.constraints + [bare.electrolysis == 500.0])
    prob.solve(solver=cp.HIGHS)
    assert prob.status == cp.INFEASIBLE      # no CO₂ for methanation in periods 1 and 2
    m = p2g_ccs_model(ccs, p2g, gross, 3, store=co2_store(500.0, 200.0, init=0.0, end=0.0))
    prob = cp.Problem(cp.Minimize(cp.sum(m.net_emissions)), m.constraints + [m.electrolysis == 500.0])
    prob.solve(solver=cp.HIGHS)
    assert prob.status == cp.OPTIMAL
    np.testing.assert_allclose(m.captured.value, [3 * used, 0.0, 0.0], atol=1e-6)
    # the lossless tank may charge and discharge at once (a tie); its net flow is determined
    np.testing.assert_allclose(m.store.net_draw.value, [2 * used, -used, -used], atol=1e-6)
    np.testing.assert_allclose(m.store.energy.value, [0.0, 2 * used, used, 0.0], atol=1e-6)
    assert prob.value == pytest.approx(1000.0 - 3 * used, rel=1e-7)
    # mass balance per period: captured = direct + into store + sequestered; used = direct + out of store
    np.testing.assert_allclose(m.captured.value, m.direct.value + m.store.charge.value + m.sequestered.value,
                               atol=1e-6)
    np.testing.assert_allclose(m.co2_used.value, m.direct.value + m.store.discharge.value, atol=1e-6)


def test_sequestration_and_capture_rate_bound_with_gas_turbine_emissions():
    gt = gas_turbine_model(GasTurbineCHP(p_max=1000.0, emission_factor=0.2), 2)
    ccs = CarbonCapture(capture_rate_max=0.9, capture_max=150.0)
    p2g = PowerToGas(p_max=100.0)
    m = p2g_ccs_model(ccs, p2g, gt.emissions, 2, sequestration_max=1e4)
    cons = gt.constraints + m.constraints + [gt.inputs["gas"] == [500.0, 1000.0], m.electrolysis == 0.0]
    prob = cp.Problem(cp.Minimize(cp.sum(m.net_emissions)), cons)
    prob.solve(solver=cp.HIGHS)
    assert prob.status == cp.OPTIMAL
    gross = np.array([100.0, 200.0])             # 0.2 kg/kWh × gas
    captured = np.minimum(0.9 * gross, 150.0)    # [90, 150]: rate bound, then capacity bound
    np.testing.assert_allclose(m.captured.value, captured, atol=1e-6)
    np.testing.assert_allclose(m.sequestered.value, captured, atol=1e-6)
    np.testing.assert_allclose(m.net_emissions.value, gross - captured, atol=1e-6)


def test_validation():
    with pytest.raises(ValueError, match="CarbonCapture 'c1': capture_rate_max"):
        CarbonCapture(capture_rate_max=1.5, name="c1")
    with pytest.raises(ValueError, match="PowerToGas 'p1': eta_el"):
        PowerToGas(p_max=10.0, eta_el=0.0, name="p1")
    with pytest.raises(ValueError, match="dt must agree"):
        p2g_ccs_model(CarbonCapture(dt=1.0), PowerToGas(p_max=1.0, dt=0.5), [1.0], 1)
    with pytest.raises(ValueError, match="gross_emissions"):
        p2g_ccs_model(CarbonCapture(), PowerToGas(p_max=1.0), [1.0, 2.0], 3)
