"""The energy generation operator (EGO), the leader of ``ries``: its signals, constraints and objective.

The EGO announces hourly electricity and heat selling prices (``price_e``, ``price_h``, seen by
the load aggregators) and decides its own dispatch (signals no follower sees, chosen after the
aggregators respond in the optimistic reading: :attr:`gamecore.game.Game.leader_only`). Per
period ``t`` (MW unless stated, ``dt`` h; units of :mod:`gamecore.cases.ries.data`)::

    electricity:  coal + gt + pv + buy − sell − p2g − ω·ccs + ess_dis − ess_ch = E_t / dt
    heat:         gt_heat + tes_dis − tes_ch = H_t / dt          gt_heat ≤ k_whb·gt (heat dump)
    gas bought:   gt/η_e − η_el·η_mr·p2g ≥ 0                      (methane replaces gas in the GT)
    capture:      ccs ≤ rate·(μ_coal·coal + μ_gas·gt/η_e)        CO₂ captured, t/h
                  κ_el·p2g ≤ ccs ≤ κ_el·p2g + sequestration_max  (methanised or sequestered)
    storage:      e_0 + dt·Σ_{s≤t}(η_c·ch_s − dis_s/η_d) ∈ [e_min, e_max],  = e_end at t = T
    prices:       FIT_t ≤ price_e_t ≤ TOU_t,  mean(price_e) ≤ cap_e;  heat likewise

with ``E_t``, ``H_t`` the aggregators' total purchases (MWh per period, the followers' outputs
``elec`` and ``heat``). Profit (maximised)::

    Σ_t (price_e_t·E_t + price_h_t·H_t)                           sales (bilinear: the game's terms)
    + dt·Σ_t (FIT_t·sell − TOU_t·buy) − coal cost − gas cost − c_ccs·dt·Σ_t ccs − carbon cost

Carbon: emissions ``dt·(μ_coal·coal + μ_gas·gt/η_e + μ_grid·buy − ccs)`` (net of capture),
quota ``χ_e·E_t + χ_h·H_t`` (allocated on the energy the RIES's own users consume, the usual
rule of RIES dispatch papers: exports to the grid earn no allowance), cost
``C(Σ emissions − Σ quota)`` with
``C`` the stepwise ladder (:class:`~gamecore.energy.carbon.SteppedCarbonPrice`, the max of its
affine pieces: concave profit) or, without SCTM, the base price times the excess.

:func:`ego_terms` writes every quantity once as expressions of the signals; the leader's
objective and constraints and the case's accounting (:mod:`gamecore.cases.ries.analysis`)
all read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from gamecore.cases.ries.data import RIESData
from gamecore.energy.conversion import gas_turbine_numbers
from gamecore.energy.storage import Storage, storage_numbers
from gamecore.leader import Bilinear, Leader, LeaderObjective
from gamecore.signals import Signal

#: the EGO's own decisions (MW per period; ``ccs`` t CO₂/h), signals no load aggregator sees
OWN = ("coal", "gt", "gt_heat", "pv", "buy", "sell", "p2g", "ccs", "ess_ch", "ess_dis", "tes_ch", "tes_dis")
#: the prices the aggregators see
PRICES = ("price_e", "price_h")


@dataclass
class EGOTerms:
    """The EGO's quantities as cvxpy expressions of its signals (module docstring); kCNY, t, MWh.

    ``elec_supply`` / ``heat_supply``: ``(T,)`` MWh delivered to the aggregators per period.
    """

    elec_supply: cp.Expression
    heat_supply: cp.Expression
    gas: cp.Expression            # (T,) MWh of purchased gas per period
    flue_gas: cp.Expression       # (T,) t/h of CO₂ from the coal unit and the GT (what capture can treat)
    emissions: cp.Expression      # (T,) t, net of capture
    quota: cp.Expression          # (T,) t
    ess_energy: cp.Expression     # (T,) MWh at the end of each period
    tes_energy: cp.Expression
    coal_cost: cp.Expression
    gas_cost: cp.Expression
    ccs_cost: cp.Expression       # capture, transport and storage, beyond its electricity
    grid_cost: cp.Expression      # purchases minus feed-in revenue
    carbon_cost: cp.Expression

    @property
    def operating_cost(self) -> cp.Expression:
        """Coal + gas + CCS + net grid + carbon (kCNY): what the profit subtracts from the sales."""
        return self.coal_cost + self.gas_cost + self.ccs_cost + self.grid_cost + self.carbon_cost


def _energy(storage: Storage, charge: cp.Expression, discharge: cp.Expression, dt: float) -> cp.Expression:
    v = storage_numbers(storage)
    return v["initial_energy"] + dt * cp.cumsum(v["eta_c"] * charge - v["inv_eta_d"] * discharge)


def ego_terms(data: RIESData, signals: Mapping[str, cp.Expression]) -> EGOTerms:
    """Every EGO quantity of the module docstring from its signals (expressions or constants)."""
    ego, dt, s = data.ego, data.dt, signals
    gt = gas_turbine_numbers(ego.gt)
    gas_burnt = s["gt"] / gt["eta_e"]                                         # MW of gas into the GT
    methane = ego.p2g.eta_el * ego.p2g.eta_mr * s["p2g"]                      # MW of CH4 from P2G
    gas = dt * (gas_burnt - methane)
    flue_gas = ego.coal.emission_intensity * s["coal"] + ego.gt.emission_factor * gas_burnt
    emissions = dt * (flue_gas + ego.grid_emission * s["buy"] - s["ccs"])
    elec_supply = dt * (s["coal"] + s["gt"] + s["pv"] + s["buy"] - s["sell"] - s["p2g"]
                        - ego.ccs.energy_per_kg * s["ccs"] + s["ess_dis"] - s["ess_ch"])
    heat_supply = dt * (s["gt_heat"] + s["tes_dis"] - s["tes_ch"])
    quota = ego.quota_elec * elec_supply + ego.quota_heat * heat_supply
    excess = cp.sum(emissions - quota)
    if data.scenario.sctm:
        slopes, intercepts = ego.carbon.pieces()
        carbon = cp.max(cp.hstack([float(a) * excess + float(b) for a, b in zip(slopes, intercepts)]))
    else:
        carbon = ego.carbon.base_price * excess
    return EGOTerms(
        elec_supply=elec_supply, heat_supply=heat_supply, gas=gas, flue_gas=flue_gas, emissions=emissions, quota=quota,
        ess_energy=_energy(ego.ess, s["ess_ch"], s["ess_dis"], dt),
        tes_energy=_energy(ego.tes, s["tes_ch"], s["tes_dis"], dt),
        coal_cost=ego.coal.cost.expr(s["coal"], dt),
        gas_cost=ego.gt.gas_price / ego.gt.gas_lhv * cp.sum(gas),
        ccs_cost=ego.ccs_cost * dt * cp.sum(s["ccs"]),
        grid_cost=dt * (data.tou @ s["buy"] - data.fit @ s["sell"]),
        carbon_cost=carbon,
    )


def ego_constraints(data: RIESData, signals: Mapping[str, cp.Expression],
                    agg: Mapping[str, cp.Expression]) -> list[cp.Constraint]:
    """The EGO's constraints (module docstring) on its signals and the aggregators' purchases."""
    ego, s = data.ego, signals
    terms = ego_terms(data, s)
    gt = gas_turbine_numbers(ego.gt)
    kappa = ego.p2g.co2_per_kwh_el
    cons: list[cp.Constraint] = [
        terms.elec_supply == agg["elec"],
        terms.heat_supply == agg["heat"],
        s["gt_heat"] <= gt["recovery"] / gt["eta_e"] * s["gt"],
        terms.gas >= 0,
        s["ccs"] <= ego.ccs.capture_rate_max * terms.flue_gas,
        s["ccs"] >= kappa * s["p2g"],
        s["ccs"] <= kappa * s["p2g"] + ego.sequestration_max,
        cp.sum(s["price_e"]) <= ego.mean_price_e * data.periods,
        cp.sum(s["price_h"]) <= ego.mean_price_h * data.periods,
    ]
    for storage, energy in ((ego.ess, terms.ess_energy), (ego.tes, terms.tes_energy)):
        v = storage_numbers(storage)
        cons += [energy >= v["energy_min"], energy <= v["energy_max"], energy[-1] == v["energy_end"]]
    return cons


def ego_signals(data: RIESData) -> list[Signal]:
    """Prices (seen by the aggregators) and the EGO's own dispatch, with their boxes (module docstring)."""
    ego, sc, T = data.ego, data.scenario, data.periods
    gt = gas_turbine_numbers(ego.gt)
    kappa = ego.p2g.co2_per_kwh_el
    store = 1.0 if sc.storage else 0.0
    p2g = 1.0 if sc.p2g_ccs else 0.0
    capture_max = ego.ccs.capture_rate_max * (ego.coal.emission_intensity * ego.coal.p_max
                                              + ego.gt.emission_factor * ego.gt.p_max / gt["eta_e"])
    boxes: dict[str, tuple[float, float | np.ndarray, str]] = {
        "coal": (ego.coal.p_min, ego.coal.p_max, "MW"),
        "gt": (0.0, ego.gt.p_max, "MW"),
        "gt_heat": (0.0, gt["recovery"] / gt["eta_e"] * ego.gt.p_max, "MW"),
        "pv": (0.0, data.pv, "MW"),
        "buy": (0.0, ego.buy_max, "MW"),
        "sell": (0.0, ego.sell_max, "MW"),
        "p2g": (0.0, p2g * ego.p2g.p_max, "MW"),
        "ccs": (0.0, p2g * min(capture_max, kappa * ego.p2g.p_max + ego.sequestration_max), "t/h"),
        "ess_ch": (0.0, store * ego.ess.charge_max, "MW"),
        "ess_dis": (0.0, store * ego.ess.discharge_max, "MW"),
        "tes_ch": (0.0, store * ego.tes.charge_max, "MW"),
        "tes_dis": (0.0, store * ego.tes.discharge_max, "MW"),
    }
    lo_h, hi_h = ego.heat_price
    signals = [Signal("price_e", (T,), data.fit, data.tou, unit="kCNY/MWh"),
               Signal("price_h", (T,), lo_h, hi_h, unit="kCNY/MWh")]
    signals += [Signal(name, (T,), lo, hi, unit=unit) for name, (lo, hi, unit) in boxes.items()]
    return signals


def ego_leader(data: RIESData) -> Leader:
    """The EGO as the game's leader: maximise sales + feed-in − costs (module docstring)."""
    profit = LeaderObjective(
        "profit", bilinear=(Bilinear("price_e", "elec"), Bilinear("price_h", "heat")),
        cost=lambda sig, agg: -ego_terms(data, sig).operating_cost, sense="max")
    return Leader(ego_signals(data), objectives=[profit], name="EGO",
                  constraints=lambda sig, agg: ego_constraints(data, sig, agg))


def ego_numbers(data: RIESData, signals: Mapping[str, np.ndarray]) -> dict[str, np.ndarray | float]:
    """The EGO's quantities (:class:`EGOTerms`) evaluated at signal values (kCNY, t, MWh)."""
    consts = {k: cp.Constant(np.asarray(v, dtype=float)) for k, v in signals.items()}
    terms = ego_terms(data, consts)
    out: dict[str, np.ndarray | float] = {}
    for name in ("elec_supply", "heat_supply", "gas", "emissions", "quota", "ess_energy", "tes_energy"):
        out[name] = np.asarray(getattr(terms, name).value, dtype=float)
    for name in ("coal_cost", "gas_cost", "ccs_cost", "grid_cost", "carbon_cost", "operating_cost"):
        out[name] = float(np.asarray(getattr(terms, name).value))
    return out
