"""Loads and user utility (gamecore.energy.loads) against hand-computed responses."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gamecore.energy import (SEED004_ELEC_UTILITY, SEED004_HEAT_UTILITY, CurtailableLoad, FixedLoad,
                             QuadraticUtility, ShiftableLoad, curtailable_load_model, fixed_load_model,
                             shiftable_load_model)


def test_fixed_load_is_constant():
    m = fixed_load_model(FixedLoad.of([1.0, 2.5, 0.0]))
    np.testing.assert_allclose(m.demand.value, [1.0, 2.5, 0.0])
    assert m.constraints == [] and m.variables == {}
    with pytest.raises(ValueError, match="FixedLoad 'bad': profile must be >= 0"):
        FixedLoad.of([1.0, -1.0], name="bad")


def test_shiftable_load_moves_energy_to_cheap_periods():
    price = np.array([3.0, 1.0, 2.0, 1.0])
    m = shiftable_load_model(ShiftableLoad(total=30.0, p_max=10.0), 4)
    prob = cp.Problem(cp.Minimize(price @ m.demand), m.constraints)
    prob.solve(solver=cp.HIGHS)
    np.testing.assert_allclose(m.demand.value, [0.0, 10.0, 10.0, 10.0], atol=1e-7)
    assert prob.value == pytest.approx(40.0)
    # lower bounds of 2 kW: 2 at t0, then the cheapest periods, the rest (8) at t2
    m = shiftable_load_model(ShiftableLoad(total=30.0, p_max=10.0, p_min=2.0), 4)
    prob = cp.Problem(cp.Minimize(price @ m.demand), m.constraints)
    prob.solve(solver=cp.HIGHS)
    np.testing.assert_allclose(m.demand.value, [2.0, 10.0, 8.0, 10.0], atol=1e-7)
    assert prob.value == pytest.approx(42.0)


def test_shiftable_load_keeps_total_with_half_hour_periods():
    m = shiftable_load_model(ShiftableLoad(total=5.0, p_max=(4.0, 4.0, 4.0), dt=0.5), 3)
    prob = cp.Problem(cp.Minimize(np.array([1.0, 0.5, 2.0]) @ m.demand), m.constraints)
    prob.solve(solver=cp.HIGHS)
    # cheapest first: t1 (0.5), t0 (1.0), the rest at t2; 0.5 h × 10 kW = 5 kWh
    np.testing.assert_allclose(m.demand.value, [4.0, 4.0, 2.0], atol=1e-7)
    assert float(np.sum(m.demand.value)) * 0.5 == pytest.approx(5.0)


def test_shiftable_load_validation():
    with pytest.raises(ValueError, match="ShiftableLoad 'ev': total=50.0 kWh outside"):
        shiftable_load_model(ShiftableLoad(total=50.0, p_max=10.0, name="ev"), 4)
    with pytest.raises(ValueError, match="ShiftableLoad 'ev': p_max must be a scalar or have shape"):
        shiftable_load_model(ShiftableLoad(total=5.0, p_max=(1.0, 2.0), name="ev"), 4)


def test_curtailable_load_cuts_where_price_exceeds_discomfort():
    m = curtailable_load_model(CurtailableLoad(base=10.0, cut_max=3.0, cut_cost=0.5), 2)
    price = np.array([1.0, 0.2])
    prob = cp.Problem(cp.Minimize(price @ m.demand + m.cost), m.constraints)
    prob.solve(solver=cp.HIGHS)
    np.testing.assert_allclose(m.demand.value, [7.0, 10.0], atol=1e-7)
    assert prob.value == pytest.approx(7.0 + 2.0 + 1.5)
    with pytest.raises(ValueError, match="CurtailableLoad 'h': cut_max must be in"):
        curtailable_load_model(CurtailableLoad(base=1.0, cut_max=2.0, name="h"), 2)


def test_quadratic_utility_seed004_values():
    u = SEED004_ELEC_UTILITY
    assert (u.gamma, u.lam) == (2100.0, 0.9)
    assert (SEED004_HEAT_UTILITY.gamma, SEED004_HEAT_UTILITY.lam) == (1100.0, 1.2)
    assert u.value([1.0, 2.0]) == pytest.approx(2100.0 * 3 - 0.45 * 5)
    x = cp.Variable(2)
    assert u.expr(x).is_concave()
    np.testing.assert_allclose(u.marginal([0.0, 1000.0]), [2100.0, 1200.0])
    per_kw = u.per_kw()
    assert per_kw.value(1000.0) == pytest.approx(u.value(1.0))


def test_quadratic_utility_best_response_matches_closed_form():
    u = SEED004_ELEC_UTILITY
    price = np.array([1200.0, 1500.0, 2500.0])      # CNY/MWh
    x = cp.Variable(3)
    prob = cp.Problem(cp.Maximize(u.expr(x) - price @ x), [x >= 0, x <= 800.0])
    prob.solve(solver=cp.CLARABEL)
    expected = [800.0, 600.0 / 0.9, 0.0]            # (2100 − 1200)/0.9 = 1000 → bound 800
    np.testing.assert_allclose(x.value, expected, atol=1e-4)
    np.testing.assert_allclose(u.demand_at(price, 0.0, 800.0), expected)


@settings(max_examples=15)
@given(gamma=st.floats(1.0, 100.0), lam=st.floats(0.01, 5.0), price=st.floats(0.0, 120.0))
def test_quadratic_utility_demand_is_argmax(gamma, lam, price):
    u = QuadraticUtility(gamma, lam)
    x_star = float(u.demand_at(price, 0.0, 50.0))
    best = u.value(x_star) - price * x_star
    for x in np.linspace(0.0, 50.0, 41):
        assert u.value(x) - price * x <= best + 1e-9
