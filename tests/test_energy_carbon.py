"""Carbon trading (gamecore.energy.carbon): seed 001's ladder and seed 004's stage feedback.

The reference functions below are plain-python transcriptions of the seeds' piecewise
formulas (interval by interval), independent of the library's max-of-pieces / stage code.
"""

from __future__ import annotations

import math

import cvxpy as cp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gamecore.energy import (SEED001_CARBON, SEED004_QUOTA_ELEC, SEED004_QUOTA_HEAT, StageFeedbackCarbon,
                             SteppedCarbonPrice, quota, seed004_actual_emissions, stage_feedback_cost,
                             stepped_carbon_cost)


def ladder_reference(x: float, lam: float, alpha: float, d: float, steps: int, sell: str = "linear") -> float:
    """Seed 001 ladder, written as the usual case list (interval k priced λ(1 + kα))."""
    if x <= 0:
        return lam * x if sell == "linear" else 0.0
    k = min(int(x // d), steps - 1)
    paid = sum(lam * (1 + j * alpha) * d for j in range(k))
    return paid + lam * (1 + k * alpha) * (x - k * d)


def stage_feedback_reference(e: float, eq: float, p: float, s: float, da: float, dp: float) -> float:
    """Seed 004 eq. 8, case by case in the paper's variables E_co2 and E_q (continuous reading)."""
    if eq <= e - s:
        return p * (1 + da) * s + p * (1 + 2 * da) * (e - s - eq)
    if e - s < eq <= e:
        return p * (1 + da) * (e - eq)
    if e < eq <= e + s:
        return p * (e - eq)
    if e + s < eq <= e + 2 * s:
        return -p * s - p * (1 + dp) * (eq - s - e)
    if e + 2 * s < eq <= e + 3 * s:
        return -p * s * (2 + dp) - p * (1 + 2 * dp) * (eq - 2 * s - e)
    return -p * s * (3 + 3 * dp) - p * (1 + 3 * dp) * (eq - 3 * s - e)


# ---- seed 001 ladder ------------------------------------------------------------------------

HAND = [  # x = E − E_q (kg) -> cost (CNY) with λ = 0.2, α = 0.5, d = 10,000 kg, 5 intervals
    (-5_000.0, -1_000.0),
    (0.0, 0.0),
    (5_000.0, 1_000.0),
    (10_000.0, 2_000.0),
    (15_000.0, 2_000.0 + 1_500.0),
    (20_000.0, 2_000.0 + 3_000.0),
    (40_000.0, 2_000.0 + 3_000.0 + 4_000.0 + 5_000.0),
    (45_000.0, 14_000.0 + 0.2 * 3.0 * 5_000.0),
    (60_000.0, 14_000.0 + 0.2 * 3.0 * 20_000.0),
]


@pytest.mark.parametrize("x, expected", HAND)
def test_ladder_numpy_matches_hand_values(x, expected):
    assert SEED001_CARBON.cost(x) == pytest.approx(expected, abs=1e-9)
    assert ladder_reference(x, 0.2, 0.5, 10_000.0, 5) == pytest.approx(expected, abs=1e-9)


def test_ladder_epigraph_is_exact_at_edges_and_interiors():
    emissions = cp.Parameter(name="emissions")
    quota_kg = 30_000.0
    model = stepped_carbon_cost(SEED001_CARBON, emissions, quota_kg)
    problem = cp.Problem(cp.Minimize(model.cost), model.constraints)
    for x, expected in HAND:
        emissions.value = quota_kg + x
        problem.solve(solver=cp.HIGHS)
        assert problem.value == pytest.approx(expected, abs=1e-6)
        assert model.excess.value == pytest.approx(x)


def test_ladder_without_sales():
    price = SteppedCarbonPrice(0.2, 0.5, 10_000.0, sell="none")
    assert price.cost(-5_000.0) == 0.0
    assert price.cost(15_000.0) == pytest.approx(3_500.0)
    model = stepped_carbon_cost(price, [1_000.0, 1_000.0], [3_000.0, 2_000.0])   # x = −3000 kg
    problem = cp.Problem(cp.Minimize(model.cost), model.constraints)
    problem.solve(solver=cp.HIGHS)
    assert problem.value == pytest.approx(0.0, abs=1e-9)


def test_ladder_drives_an_emitter_to_the_right_interval():
    # margin 0.45 CNY per kWh (= per kg, 1 kg/kWh): profitable while the carbon price is 0.2, 0.3, 0.4
    power = cp.Variable(nonneg=True)
    model = stepped_carbon_cost(SEED001_CARBON, power, 0.0)
    problem = cp.Problem(cp.Maximize(0.45 * power - model.cost), model.constraints + [power <= 1e6])
    problem.solve(solver=cp.HIGHS)
    assert power.value == pytest.approx(30_000.0, rel=1e-7)
    assert problem.value == pytest.approx(0.45 * 30_000.0 - 9_000.0, rel=1e-7)


@settings(max_examples=25)
@given(x=st.floats(-50_000.0, 120_000.0), lam=st.floats(0.05, 1.0), alpha=st.floats(0.0, 1.0),
       d=st.floats(100.0, 20_000.0), steps=st.integers(1, 6))
def test_ladder_max_of_pieces_equals_case_list(x, lam, alpha, d, steps):
    price = SteppedCarbonPrice(lam, alpha, d, steps)
    assert price.cost(x) == pytest.approx(ladder_reference(x, lam, alpha, d, steps), rel=1e-9, abs=1e-6)


def test_ladder_validation():
    with pytest.raises(ValueError, match="SteppedCarbonPrice 'x': interval"):
        SteppedCarbonPrice(0.2, 0.5, 0.0, name="x")
    with pytest.raises(ValueError, match="SteppedCarbonPrice 'x': sell"):
        SteppedCarbonPrice(0.2, 0.5, 1.0, sell="stepped", name="x")


# ---- seed 004 quota, emissions, stage feedback ------------------------------------------------

def test_seed004_quota_and_actual_emissions():
    assert SEED004_QUOTA_HEAT == pytest.approx(0.3672)                 # 0.102 t/GJ × 3.6 GJ/MWh
    q = quota([(SEED004_QUOTA_ELEC, np.array([100.0, 100.0])), (SEED004_QUOTA_HEAT, np.array([50.0, 50.0]))])
    assert q.value == pytest.approx(0.728 * 200.0 + 0.3672 * 100.0)
    e = seed004_actual_emissions(np.array([100.0, 100.0]), np.array([50.0, 50.0]), np.array([10.0, 10.0]),
                                 eta_pcu=0.5)
    assert e.value == pytest.approx((0.924 - 0.144 * 0.5) * 200.0 + 0.488 * 100.0 + 0.118 * 20.0)


SF = StageFeedbackCarbon(price=0.25, interval=1_000.0, delta_a=0.2, delta_p=0.1)
SF_HAND = [  # x = E − E_q -> cost
    (1_500.0, 300.0 + 0.25 * 1.4 * 500.0),
    (1_000.0, 300.0),
    (500.0, 0.25 * 1.2 * 500.0),
    (0.0, 0.0),
    (-500.0, -125.0),
    (-1_000.0, -250.0),
    (-1_500.0, -250.0 - 0.25 * 1.1 * 500.0),
    (-2_000.0, -525.0),
    (-2_500.0, -525.0 - 0.25 * 1.2 * 500.0),
    (-3_000.0, -825.0),
    (-3_500.0, -825.0 - 0.25 * 1.3 * 500.0),
]


@pytest.mark.parametrize("x, expected", SF_HAND)
def test_stage_feedback_exact_cost(x, expected):
    assert SF.cost(x) == pytest.approx(expected, abs=1e-9)
    eq = 10_000.0
    assert stage_feedback_reference(eq + x, eq, 0.25, 1_000.0, 0.2, 0.1) == pytest.approx(expected, abs=1e-9)


def test_stage_feedback_is_concave_below_quota():
    xs = np.array([-3_000.0, -2_000.0, -1_000.0])
    mid = SF.cost(xs[1])
    assert mid > 0.5 * (SF.cost(xs[0]) + SF.cost(xs[2]))            # concave on the reward side


def test_stage_feedback_conservative_mode():
    emissions = cp.Parameter(name="e")
    model = stage_feedback_cost(SF, emissions, 10_000.0, mode="conservative")
    problem = cp.Problem(cp.Minimize(model.cost), model.constraints)
    for x, expected in SF_HAND:
        emissions.value = 10_000.0 + x
        problem.solve(solver=cp.HIGHS)
        assert problem.value == pytest.approx(SF.conservative_cost(x), abs=1e-6)
        if x >= -1_000.0:
            assert problem.value == pytest.approx(expected, abs=1e-6)      # exact down to −s
        else:
            assert problem.value == pytest.approx(0.25 * x, abs=1e-6)      # base price only
            assert problem.value > expected                                # an upper bound


def test_stage_feedback_mixed_integer_mode_is_exact():
    emissions = cp.Parameter(name="e")
    model = stage_feedback_cost(SF, emissions, 10_000.0, mode="mixed-integer", big_m=1e5)
    problem = cp.Problem(cp.Minimize(model.cost), model.constraints)
    for x, expected in SF_HAND:
        emissions.value = 10_000.0 + x
        problem.solve(solver=cp.HIGHS)
        assert problem.value == pytest.approx(expected, abs=1e-5)


def test_stage_feedback_abatement_decision():
    # abatement costs 0.27 CNY/kg, up to 4,000 kg. Stage rewards 0.25, 0.275, 0.30, 0.325:
    # the exact optimum abates everything (1150 − 1080 = 70 CNY profit); the conservative
    # model (reward 0.25 < 0.27) abates nothing.
    results = {}
    for mode in ("mixed-integer", "conservative"):
        r = cp.Variable(nonneg=True)
        model = stage_feedback_cost(SF, 10_000.0 - r, 10_000.0, mode=mode, big_m=1e5)
        problem = cp.Problem(cp.Minimize(0.27 * r + model.cost), model.constraints + [r <= 4_000.0])
        problem.solve(solver=cp.HIGHS)
        results[mode] = (float(r.value), problem.value)
    assert results["mixed-integer"][0] == pytest.approx(4_000.0, abs=1e-4)
    assert results["mixed-integer"][1] == pytest.approx(1_080.0 - 1_150.0, abs=1e-4)
    assert results["conservative"][0] == pytest.approx(0.0, abs=1e-4)
    assert results["conservative"][1] == pytest.approx(0.0, abs=1e-4)


def test_stage_feedback_validation():
    with pytest.raises(ValueError, match="big_m"):
        stage_feedback_cost(SF, 1.0, 0.0, mode="mixed-integer")
    with pytest.raises(ValueError, match="mode"):
        stage_feedback_cost(SF, 1.0, 0.0, mode="envelope")
    with pytest.raises(ValueError, match="StageFeedbackCarbon 'sf': delta_p"):
        StageFeedbackCarbon(0.25, 1_000.0, 0.2, -0.1, name="sf")


@settings(max_examples=25)
@given(x=st.floats(-6_000.0, 6_000.0))
def test_stage_feedback_matches_reference_everywhere(x):
    assert SF.cost(x) == pytest.approx(stage_feedback_reference(10_000.0 + x, 10_000.0, 0.25, 1_000.0, 0.2, 0.1),
                                       abs=1e-7)
    assert math.isfinite(SF.conservative_cost(x)) and SF.conservative_cost(x) >= SF.cost(x) - 1e-9
