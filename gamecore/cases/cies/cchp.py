"""A CCHP operator, a follower of ``cies``: electricity and heat sold to the energy seller.

Operator ``j`` over the periods of the day (MW, MWh, kCNY, t, ``dt`` h; data in
:mod:`gamecore.cases.cies.data`)::

    minimize   C_icg(P_ice) + C_gb(H_gb) + w·dt·Σ (ch² + dis²)            fuel (Table 1) + storage wear
               + C_tc(E − E_q)                                         carbon trading (scenario)
               − Σ_t price_eb_t·E^oe_t − Σ_t price_hb_t·H^oh_t              sales to the ES
    s.t.  E^oe_t = dt·(wind_t + pv_t + P_ice,t + dis_t − ch_t) ≥ 0        electricity sold (MWh)
          wind_t = W_t,  pv_t = S_t                                      renewables (all taken)
          h_re,t = k·P_ice,t,   k = (1 − η_ice)/η_ice·η_re                 recovered heat (seed 004)
          H^oh_t = dt·η_h/f·(h_re,t + H_gb,t + hdis_t − hch_t) ≥ 0         heat sold (MWh)
          0 ≤ P_ice ≤ rated, 0 ≤ H_gb ≤ rated; battery and heat tank (convex storage, start = end)
    E   = Σ_t dt·(μ_g,r·P_ice,t + μ_g,r·η_ice/η_gb·H_gb,t)               actual CO₂ (t)
    E_q = μ_h,q·Σ_t H^oh_t                                               free quota (t)

``C_tc`` is 0 (scenario 1), ``p·x`` (scenario 2) or the stage-feedback cost
(:meth:`~gamecore.energy.carbon.StageFeedbackCarbon.conservative_expr`, exact for ``x ≥ −s``;
scenarios 3–4). A QP in the prices: they enter only the objective, as ``−price @ output``.
Outputs (per period): ``elec_supply``, ``heat_supply`` (MWh) and ``co2`` (t).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cvxpy as cp
import numpy as np

from gamecore.cases.cies.data import CCHPData, CIESData, MarketData
from gamecore.energy import storage_model
from gamecore.follower import Follower


def carbon_cost(market: MarketData, carbon: str, excess: cp.Expression) -> cp.Expression:
    """Trading cost (kCNY) of the excess ``x = E − E_q`` (t) under the mechanism ``carbon``:
    ``"none"`` 0, ``"fixed"`` ``p·x``, ``"stage"`` the stage-feedback cost (convex form)."""
    if carbon == "none":
        return cp.Constant(0.0)
    if carbon == "fixed":
        return market.carbon.price * excess
    return market.carbon.conservative_expr(excess)


@dataclass
class CCHPModel:
    """One operator's physics and own costs as cvxpy objects (module docstring), without the sales.

    Attributes:
        elec, heat: ``(T,)`` MWh sold per period; co2: ``(T,)`` t emitted per period.
        excess: ``E − E_q`` (t), affine scalar.
        fuel: fuel and storage wear cost (kCNY), convex. carbon: trading cost (kCNY), convex.
        units: dispatch by name (``(T,)`` MW): icg, gb, wind, pv, recovered, battery_charge,
            battery_discharge, tank_charge, tank_discharge.
        constraints: every constraint.
    """

    elec: cp.Expression
    heat: cp.Expression
    co2: cp.Expression
    excess: cp.Expression
    fuel: cp.Expression
    carbon: cp.Expression
    units: dict[str, cp.Expression]
    constraints: list[cp.Constraint]

    @property
    def own_cost(self) -> cp.Expression:
        """Fuel + carbon trading (kCNY): what the operator pays besides what it sells."""
        return self.fuel + self.carbon


def cchp_model(op: CCHPData, j: int, data: CIESData) -> CCHPModel:
    """Operator ``op`` (index ``j`` in ``data.cchps``) over the case's periods (module docstring)."""
    T, dt, market = data.periods, data.dt, data.market
    var: dict[str, cp.Expression] = {name: cp.Variable(T, nonneg=True, name=f"{op.name}_{name}")
                                     for name in ("icg", "gb")}
    # renewables are taken whole (the paper's "maximizing consumption"; every price is positive,
    # so curtailing would never pay) and the recovered heat is seed 004's H_re = k·P_ice
    var.update(wind=cp.Constant(data.wind[j]), pv=cp.Constant(data.pv[j]), recovered=op.heat_per_power * var["icg"])
    battery = storage_model(replace(op.battery, dt=dt), T, name=f"{op.name}_battery")
    tank = storage_model(replace(op.tank, dt=dt), T, name=f"{op.name}_tank")
    power = var["wind"] + var["pv"] + var["icg"] + battery.discharge - battery.charge
    heat_node = var["recovered"] + var["gb"] + tank.discharge - tank.charge
    elec = dt * power
    heat = dt * op.eta_network * heat_node
    co2 = dt * market.gas_emission * (var["icg"] + op.eta_ice / op.eta_gb * var["gb"])
    excess = cp.sum(co2) - market.quota_heat * cp.sum(heat)
    cons: list[cp.Constraint] = [
        var["icg"] <= op.icg_mw, var["gb"] <= op.gb_mw,
        power >= 0, heat_node >= 0,
    ] + battery.constraints + tank.constraints
    units = dict(var)
    units.update(battery_charge=battery.charge, battery_discharge=battery.discharge, tank_charge=tank.charge,
                 tank_discharge=tank.discharge)
    wear = op.storage_wear * dt * sum(cp.sum_squares(x) for x in (battery.charge, battery.discharge, tank.charge,
                                                                   tank.discharge))
    fuel = op.icg_cost.expr(var["icg"], dt) + op.gb_cost.expr(var["gb"], dt) + wear
    return CCHPModel(elec, heat, co2, excess, fuel, carbon_cost(market, data.scenario.carbon, excess), units,
                     cons)


def cchp_follower(op: CCHPData, j: int, data: CIESData) -> Follower:
    """Operator ``op`` as a follower: maximise sales − fuel − carbon (module docstring)."""
    T = data.periods
    price_eb = cp.Parameter(T, name="price_eb")
    price_hb = cp.Parameter(T, name="price_hb")
    model = cchp_model(op, j, data)
    cost = model.own_cost - price_eb @ model.elec - price_hb @ model.heat
    return Follower(op.name, cp.Minimize(cost), model.constraints, signals={"price_eb": price_eb, "price_hb": price_hb},
                    outputs={"elec_supply": model.elec, "heat_supply": model.heat, "co2": model.co2})


def exact_carbon_cost(data: CIESData, excess: float) -> float:
    """The exact trading cost (kCNY) of an excess (t) under the scenario's mechanism (the
    stage-feedback cost with its concave reward stages, :meth:`StageFeedbackCarbon.cost`)."""
    market, carbon = data.market, data.scenario.carbon
    if carbon == "none":
        return 0.0
    if carbon == "fixed":
        return market.carbon.price * excess
    return float(market.carbon.cost(np.asarray(excess)))
