"""A load aggregator (LA), a follower of ``ries``: electricity and heat bought at the EGO's prices.

LA ``i`` over the periods of the day (MW, MWh, kCNY, ``dt`` h; data in :mod:`gamecore.cases.ries.data`)::

    minimize   Σ_t price_e_t·E_t + price_h_t·H_t                        payments (kCNY)
               + c_cut·dt·Σ_t cut_t                                      curtailment
               + w·dt·Σ_t max(|PMV(T_in,t)| − 0.2, 0) / s_pmv            discomfort (scenarios 1–4)
    s.t.  E_t = dt·(base_t − cut_t + shift_t)                           electricity bought (MWh)
          0 ≤ cut_t ≤ share·base_t                                       (CurtailableLoad)
          0 ≤ shift_t ≤ 1.5·shift0_t,  dt·Σ_t shift_t = dt·Σ_t shift0_t   (ShiftableLoad)
          H_t = dt·q_t,   0 ≤ q_t ≤ q_max                                 heat bought (MWh)
          T_in,t+1 = a·T_in,t + (1 − a)·(T_out,t + R·q_t),  T_in,0 = 21.5  (Building, RC)
          |PMV(T_in,t)| ≤ 0.5   (scenario 5: 21 ≤ T_in,t ≤ 22 instead),   T_in,T ≥ 21.5

``base`` is the non-shiftable 85 % of the LA's electric profile, ``shift0`` the shiftable 15 %
as it would run unshifted; PMV is the ISO 7730 linear fit (``s_pmv`` = its slope 0.2167/°C,
so ``w`` is per °C-equivalent). A linear program in the prices: the prices enter only the
objective, as the payment ``price @ output`` (outputs ``elec`` and ``heat``, MWh per period).
"""

from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from gamecore.cases.ries.data import FIXED_BAND, PMV_BAND, PMV_FREE, PMV_LIMIT, T_START, LAData, RIESData
from gamecore.energy import (
    Building,
    ComfortConditions,
    CurtailableLoad,
    PMVLinearization,
    ShiftableLoad,
    building_model,
    curtailable_load_model,
    linearize_pmv,
    pmv_constraints,
    pmv_penalty,
    shiftable_load_model,
)
from gamecore.follower import Follower

#: PMV inputs other than the indoor temperature (met 1.2, clo 1.0, still air, 50 % RH)
COMFORT = ComfortConditions(met=1.2, clo=1.0)


def pmv_model() -> PMVLinearization:
    """The linear PMV of every LA: least-squares fit of ISO 7730 over :data:`PMV_BAND`."""
    return linearize_pmv(COMFORT, PMV_BAND)


def la_building(la: LAData, data: RIESData) -> Building:
    """The LA's building stock as an RC model (comfort bounds per scenario)."""
    pmv = pmv_model()
    if data.scenario.pmv:
        t_min, t_max = pmv.temperature_for(-PMV_LIMIT), pmv.temperature_for(PMV_LIMIT)
    else:
        t_min, t_max = FIXED_BAND
    return Building(la.resistance, la.capacitance, t_init=T_START, t_min=t_min, t_max=t_max, heat_max=la.heat_max,
                    dt=data.dt, name=f"{la.name}-building")


@dataclass
class LAModel:
    """One LA's physics and own costs as cvxpy objects (module docstring), without the payments.

    Attributes:
        elec, heat: ``(T,)`` MWh bought per period (affine expressions: the follower's outputs).
        temperature: ``(T+1,)`` °C indoor temperature.
        own_cost: curtailment + discomfort (kCNY), convex.
        constraints: every constraint.
    """

    elec: cp.Expression
    heat: cp.Expression
    temperature: cp.Variable
    own_cost: cp.Expression
    constraints: list[cp.Constraint]


def la_model(la: LAData, elec: np.ndarray, data: RIESData) -> LAModel:
    """LA ``la`` with electric profile ``elec`` (``(T,)`` MW): variables, constraints, own costs."""
    T, dt = data.periods, data.dt
    shift0 = la.shiftable_share * elec
    base = elec - shift0
    cut = curtailable_load_model(CurtailableLoad(tuple(base), tuple(la.curtail_share * base), la.curtail_cost, dt,
                                                 name=f"{la.name}-curtailable"), T)
    shift = shiftable_load_model(ShiftableLoad(float(shift0.sum() * dt), tuple(1.5 * shift0), dt=dt,
                                               name=f"{la.name}-shiftable"), T)
    house = building_model(la_building(la, data), data.outdoor, T)
    own_cost = cut.cost
    constraints = cut.constraints + shift.constraints + house.constraints + [house.temperature[T] >= T_START]
    if data.scenario.pmv:
        pmv = pmv_model()
        constraints += pmv_constraints(house.temperature[1:], pmv, PMV_LIMIT)
        own_cost = own_cost + pmv_penalty(house.temperature[1:], pmv, la.comfort_weight * dt / pmv.slope,
                                          deadband=PMV_FREE)
    return LAModel(dt * (cut.demand + shift.demand), dt * house.heat, house.temperature, own_cost, constraints)


def aggregator(la: LAData, elec: np.ndarray, data: RIESData) -> Follower:
    """Load aggregator ``la`` with electric profile ``elec`` (``(T,)`` MW) as a follower (module docstring)."""
    T = data.periods
    price_e = cp.Parameter(T, name="price_e")
    price_h = cp.Parameter(T, name="price_h")
    model = la_model(la, elec, data)
    cost = price_e @ model.elec + price_h @ model.heat + model.own_cost
    return Follower(la.name, cp.Minimize(cost), model.constraints, signals={"price_e": price_e, "price_h": price_h},
                    outputs={"elec": model.elec, "heat": model.heat})
