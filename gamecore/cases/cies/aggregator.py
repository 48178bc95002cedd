"""A load aggregator (LA), a follower of ``cies``: electricity and heat bought from the energy seller.

LA ``i`` over the periods of the day (MW, MWh, kCNY; data in :mod:`gamecore.cases.cies.data`)::

    maximize   U_e(P^ue) + U_h(H^uh) + U_c(C^uc)                         utility (Table 1 quadratics)
               − Σ_t price_es_t·E^ue_t − Σ_t price_hs_t·Q^uh_t                    payments
    s.t.  P^ue_t = P^fix_t + P^tra_t,  0 ≤ P^tra_t ≤ P^tra,max,  Σ_t P^tra_t·dt = Z^tra   (seed 004)
          H^uh_t = H_t − cut_t,  0 ≤ cut_t ≤ 0.3·H_t;  cooling C^uc_t likewise (MW of cold)
          C^uc_t ≤ cooling capacity;   E^ue_t = dt·P^ue_t,   Q^uh_t = dt·(H^uh_t + C^uc_t/COP)

``U(x) = Σ_t (γ·x_t − λ/2·x_t²)·dt`` (:class:`~gamecore.energy.QuadraticUtility`). The cooling
comes from an absorption chiller in the aggregator's buildings driven by the heat it buys
(COP 0.7), so the heat bought ``Q^uh`` serves both. Strictly concave in the space heat, the
cooling and the electric load per period, so the response is unique. Outputs (MWh per
period): ``elec_demand``, ``heat_demand``. The follower minimises the negative surplus: its
objective is ``−surplus``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cvxpy as cp

from gamecore.cases.cies.data import CIESData, LAData
from gamecore.energy import CurtailableLoad, ShiftableLoad, curtailable_load_model, shiftable_load_model
from gamecore.follower import Follower


@dataclass
class LAModel:
    """One LA's loads and utility as cvxpy objects (module docstring), without the payments.

    Attributes:
        elec, heat: ``(T,)`` MWh bought per period (affine; heat for space heating and the chiller).
        cooling: ``(T,)`` MW of cold delivered.
        utility: ``U_e + U_h + U_c`` (kCNY), concave.
        constraints: every constraint.
    """

    elec: cp.Expression
    heat: cp.Expression
    cooling: cp.Expression
    utility: cp.Expression
    constraints: list[cp.Constraint]


def la_model(la: LAData, i: int, data: CIESData) -> LAModel:
    """LA ``la`` (index ``i`` in ``data.las``) over the case's periods (module docstring)."""
    T, dt = data.periods, data.dt
    load = data.elec[i]
    fixed = (1.0 - la.shiftable_share) * load
    shift = shiftable_load_model(ShiftableLoad(float(la.shiftable_share * load.sum() * dt), la.shiftable_max_mw,
                                               dt=dt, name=f"{la.name}-shiftable"), T)
    heat = curtailable_load_model(CurtailableLoad(tuple(data.heat[i]), tuple(la.reducible_share * data.heat[i]),
                                                  dt=dt, name=f"{la.name}-heat"), T)
    cool = curtailable_load_model(CurtailableLoad(tuple(data.cool[i]), tuple(la.reducible_share * data.cool[i]),
                                                  dt=dt, name=f"{la.name}-cooling"), T)
    power = fixed + shift.demand
    utility = (replace(la.elec_utility, dt=dt).expr(power) + replace(la.heat_utility, dt=dt).expr(heat.demand)
               + replace(la.cool_utility, dt=dt).expr(cool.demand))
    return LAModel(dt * power, dt * (heat.demand + cool.demand / la.chiller_cop), cool.demand, utility,
                   shift.constraints + heat.constraints + cool.constraints + [cool.demand <= la.chiller_mw])


def la_follower(la: LAData, i: int, data: CIESData) -> Follower:
    """LA ``la`` as a follower: minimise payments − utility (module docstring)."""
    T = data.periods
    price_es = cp.Parameter(T, name="price_es")
    price_hs = cp.Parameter(T, name="price_hs")
    model = la_model(la, i, data)
    cost = price_es @ model.elec + price_hs @ model.heat - model.utility
    return Follower(la.name, cp.Minimize(cost), model.constraints, signals={"price_es": price_es, "price_hs": price_hs},
                    outputs={"elec_demand": model.elec, "heat_demand": model.heat})
