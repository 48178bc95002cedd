"""Data of the ``ries`` case (seed 001: Jiang, Tong, Yao, Zhao, Energies 18(17) 4638, 2025).

The paper publishes its tariff table, a parameter table whose symbol names were lost in
extraction, and the five-scenario ablation; its load, renewable and weather profiles and
most equipment sizes are not published. Every number below is therefore either read from
the paper's tables (marked *paper*) or our own documented choice (marked *ours*), sized so
that the three load aggregators' demand is served by the energy generation operator (EGO)
with its units near their ratings at the evening peak.

Units: power MW (mean over a period), energy MWh, money kCNY (thousand CNY), CO₂ t,
temperatures °C — chosen so that every number of the game is of order 0.1–100 (the solvers'
sweet spot); prices in kCNY/MWh are numerically CNY/kWh, intensities in t/MWh are kg/kWh and
carbon prices in kCNY/t are CNY/kg, so the paper's figures read unchanged. Tables convert
money to CNY and CO₂ to kg for comparison with the paper. Periods of ``dt = 24/T`` hours
(``T`` must divide 24); period ``t`` covers clock hours ``[t·dt, (t+1)·dt)``. A coarser day
(``T < 24``, the reduced test instances) averages every hourly profile and tariff over the hours of each period.

EGO (the leader) — equipment
----------------------------
* coal-fired unit (CPG, :class:`~gamecore.energy.conversion.CoalUnit`): 2–12 MW, cost
  ``0.01·P² + 0.28·P`` kCNY/h (P in MW; marginal 0.32–0.52 CNY/kWh), 0.95 kg CO₂/kWh (*ours*).
* gas turbine + waste-heat boiler (GT/WHB, :class:`~gamecore.energy.conversion.GasTurbineCHP`):
  6 MW electric, η_e 0.35, stack loss 0.15, η_whb 0.8 (1.14 kW heat per kW electric, heat
  may be dumped); gas 3.2 CNY/m³ at 9.7 kWh/m³ (*paper*: "3.2 CNY/m3", "9.7"); 0.202 kg
  CO₂/kWh of gas (*ours*, the engine's default).
* PV: 6 MW peak, clear winter day (*ours*; the paper's abbreviations list PV, its profile is lost).
* P2G-CCS (:class:`~gamecore.energy.p2g_ccs.CarbonCapture`, :class:`~gamecore.energy.p2g_ccs.PowerToGas`):
  capture up to 90 % of the coal and gas flue gas at 0.269 kWh/kg, electrolyser 2 MW
  (η_el 0.75, methanation 0.8), methane replaces purchased gas in the GT; captured CO₂ not
  methanised is sequestered, up to 3 t/h; capture, transport and storage cost 150 CNY/t beyond
  the capture's electricity (*ours*: with the electricity alone, ≈ 0.1 CNY/kg, capture would
  undercut even the ladder's base price and run flat out whatever the carbon mechanism).
* electric storage (ESS) and thermal storage (TES): 20 MWh each, SOC 10–90 %, start and end
  at 50 %, efficiencies 0.95 (*paper*: "20 MWh", "0.95", "0.1", "0.9"); power 2 MW (*paper*:
  the "2 MWh" entries read as the per-hour limit).
* grid: purchase at the TOU tariff, feed-in at the FIT (*paper*'s tariff table), each up to
  10 MW (*ours*); grid electricity counts 0.80 kg CO₂/kWh in the RIES emissions (*ours*).
* carbon: free quota 0.728 kg per kWh of electricity and 0.367 kg per kWh of heat delivered to
  the load aggregators (*paper*: "0.728", "0.367"; allocated on the RIES's own load, *ours*: the
  paper's allocation rule was lost, and exports to the grid then earn no allowance); stepwise
  trading (SCTM) of the excess with base price 0.2 CNY/kg, growth 50 % per 10,000 kg interval, 5 intervals (*paper*:
  :data:`~gamecore.energy.carbon.SEED001_CARBON`, here in t and kCNY: :data:`CARBON`); scenario 2
  trades at the base price only.

EGO — selling prices (its signals)
----------------------------------
Electricity ``price_e[t] ∈ [FIT[t], TOU[t]]`` (the EGO cannot sell above the grid's retail
tariff nor below what the grid pays for the energy); heat ``price_h[t] ∈ [0.3, 0.8]``
(*paper*: "0.8 CNY/kWh", "0.3 CNY/kWh" read as the heat-price bounds). The daily mean
electricity price is capped at 0.75 CNY/kWh (the flat tariff) and the mean heat price at
0.55 CNY/kWh (*ours*: the paper's price constraints were lost; a mean-price cap is the usual
consumer protection of Stackelberg IES models, and without it the leader would price at
the upper bounds in every period and there would be no game).

Load aggregators (the followers)
--------------------------------
Three building stocks (*ours*): LA1 residential (evening peak), LA2 commercial/office
(daytime), LA3 mixed with light industry (flat). Per LA: an electric base profile, 15 % of
it shiftable within the day (at most 1.5× its own profile per period), up to 10 % of the
non-shiftable load curtailable at 1.0 CNY/kWh; heat through a first-order RC building
(:class:`~gamecore.energy.comfort.Building`) against a winter outdoor temperature
(−8 °C at 02:00, +2 °C at 14:00), comfort by the PMV (ISO 7730 fit over 18–24 °C for met
1.2, clo 1.0: PMV ≈ −4.668 + 0.2167·T_in, neutral at 21.5 °C; the paper's "33.5 °C", "M 80",
"0.11" are the simplified PMV's, :func:`~gamecore.energy.comfort.pmv_simplified`) with
``|PMV| ≤ 0.5`` (ISO 7730 class B) and, beyond ``|PMV| = 0.2`` (class A, ±0.9 °C around
neutral, free), a discomfort cost of 100 CNY per °C-equivalent (PMV / 0.2167) and hour for each
of LA1–LA3, scaled with the stock's size (*paper*: "100 CNY/°C"); scenario 5 (no PMV) holds the indoor temperature in
21.0–22.0 °C instead, without a discomfort cost. The indoor temperature starts at 21.5 °C
and must end the day at or above it.

A generator for ``N`` LAs: LA1–LA3 are the stocks above; LA ``i ≥ 4`` is stock ``(i−1) mod 3``
with its load and building scaled by a factor drawn from ``U(0.7, 1.3)`` and its thermal
time constant by ``U(0.8, 1.25)`` (seeded). The LAs of each stock are then scaled so their
factors sum to 1: the total demand is the three-LA case's whatever ``N ≥ 3``, the EGO's
equipment stays the same and only the number of agents changes. With ``N < 3`` (reduced test
instances) the LAs are scaled by ``3/N``: LA1 alone carries the three stocks' size.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from gamecore.cases.daily import CLOCK, HOURS, check_day_periods, daily_bump, period_means
from gamecore.energy import (
    SEED001_CARBON,
    CarbonCapture,
    CoalUnit,
    GasTurbineCHP,
    PowerToGas,
    QuadraticCost,
    SteppedCarbonPrice,
    Storage,
    seed001_fit,
    seed001_tou,
)

#: hourly electric load shapes (fraction of peak) of the three building stocks (*ours*)
LOAD_SHAPES = {
    "residential": 0.45 + 0.25 * daily_bump(8.0, 1.5) + 0.55 * daily_bump(20.0, 2.2),
    "commercial": 0.30 + 0.70 * np.clip((daily_bump(13.0, 3.2) * 1.15), 0.0, 1.0),
    "mixed": 0.65 + 0.20 * daily_bump(11.0, 4.0) + 0.15 * daily_bump(19.0, 2.0),
}
#: PV availability (fraction of capacity), clear winter day, sunrise 07:00, sunset 17:00 (*ours*)
PV_SHAPE = np.clip(np.sin(np.pi * (CLOCK + 0.5 - 7.0) / 10.0), 0.0, None) ** 1.3
#: outdoor temperature (°C): −8 °C at 02:00, +2 °C at 14:00 (*ours*)
OUTDOOR = -3.0 - 5.0 * np.cos(2.0 * np.pi * (CLOCK + 0.5 - 2.0) / 24.0)


@dataclass(frozen=True)
class Scenario:
    """One row of the paper's ablation table: which features are on.

    Attributes:
        number: 1–5 (the paper's numbering).
        sctm: stepwise carbon trading (off: every kg at the base price).
        p2g_ccs: P2G with carbon capture available.
        storage: electric and thermal storage available.
        pmv: PMV comfort model (off: a fixed indoor-temperature band).
    """

    number: int
    sctm: bool = True
    p2g_ccs: bool = True
    storage: bool = True
    pmv: bool = True

    @property
    def label(self) -> str:
        off = [name for name, on in (("SCTM", self.sctm), ("P2G-CCS", self.p2g_ccs), ("ESS", self.storage),
                                     ("PMV", self.pmv)) if not on]
        return "all features" if not off else "without " + ", ".join(off)


#: the paper's five scenarios (its ablation table)
SCENARIOS = {1: Scenario(1), 2: Scenario(2, sctm=False), 3: Scenario(3, p2g_ccs=False), 4: Scenario(4, storage=False),
             5: Scenario(5, pmv=False)}

#: the paper's results per scenario: EGO operating revenue (CNY), LA1–LA3 operating cost (CNY), emissions (kg)
PAPER_TABLE = {
    1: (296_639.0, (76_493.0, 85_950.0, 81_326.0), 388_835.0),
    2: (305_350.0, (76_411.0, 85_799.0, 81_219.0), 434_447.0),
    3: (243_382.0, (76_040.0, 85_418.0, 80_787.0), 328_298.0),
    4: (305_622.0, (78_419.0, 89_630.0, 83_815.0), 397_736.0),
    5: (297_568.0, (77_640.0, 88_098.0, 83_033.0), 388_936.0),
}


#: seed 001's ladder (:data:`~gamecore.energy.carbon.SEED001_CARBON`) in kCNY/t and t
CARBON: SteppedCarbonPrice = SteppedCarbonPrice(
    base_price=SEED001_CARBON.base_price, growth=SEED001_CARBON.growth, interval=SEED001_CARBON.interval / 1000.0,
    steps=SEED001_CARBON.steps, name="seed001-sctm-t")


@dataclass(frozen=True)
class EGOData:
    """The energy generation operator's equipment and market data (module docstring; MW, MWh, t, kCNY).

    Attributes are the component parameter objects of :mod:`gamecore.energy` (in the case's
    units: MW for kW, kCNY for CNY, t for kg, which leaves prices and intensities unchanged)
    plus: pv_capacity (MW); sequestration_max (t/h); ccs_cost (kCNY/t captured, besides its
    electricity); buy_max, sell_max (MW); grid_emission
    (t/MWh); quota_elec, quota_heat (t per MWh of electricity / heat); heat_price (lower,
    upper) kCNY/MWh; mean_price_e, mean_price_h: caps on the daily mean selling prices.
    """

    coal: CoalUnit = CoalUnit(p_max=12.0, p_min=2.0, cost=QuadraticCost(a=0.005, b=0.20), emission_intensity=0.95,
                              name="coal")
    gt: GasTurbineCHP = GasTurbineCHP(p_max=6.0, eta_e=0.35, eta_loss=0.15, eta_whb=0.8, heat_dump=True, name="gt")
    pv_capacity: float = 6.0
    ccs: CarbonCapture = CarbonCapture(capture_rate_max=0.9, energy_per_kg=0.269, name="ccs")
    p2g: PowerToGas = PowerToGas(p_max=2.0, eta_el=0.75, eta_mr=0.8, name="p2g")
    sequestration_max: float = 3.0
    ccs_cost: float = 0.15
    ess: Storage = Storage(20.0, 2.0, 2.0, soc_min=0.1, soc_max=0.9, soc_init=0.5, soc_end=0.5, eta_c=0.95,
                           eta_d=0.95, name="ess")
    tes: Storage = Storage(20.0, 2.0, 2.0, soc_min=0.1, soc_max=0.9, soc_init=0.5, soc_end=0.5, eta_c=0.95,
                           eta_d=0.95, name="tes")
    buy_max: float = 10.0
    sell_max: float = 10.0
    grid_emission: float = 0.80
    quota_elec: float = 0.728
    quota_heat: float = 0.367
    carbon: SteppedCarbonPrice = CARBON
    heat_price: tuple[float, float] = (0.3, 0.8)
    mean_price_e: float = 0.75
    mean_price_h: float = 0.55


@dataclass(frozen=True)
class LAData:
    """One load aggregator's building stock (module docstring).

    Attributes:
        name: ``"LA1"``...; stock: ``"residential"`` / ``"commercial"`` / ``"mixed"``.
        elec_peak: peak electric load (MW); shiftable_share: share of the daily electric
            energy that is shiftable; curtail_share: largest curtailment as a share of the
            non-shiftable load; curtail_cost: kCNY per MWh curtailed.
        resistance (°C/MW), capacitance (MWh/°C): the building stock's RC model; heat_max (MW).
        comfort_weight: discomfort cost, kCNY per °C-equivalent of PMV deviation and hour.
    """

    name: str
    stock: str
    elec_peak: float
    resistance: float
    capacitance: float
    shiftable_share: float = 0.15
    curtail_share: float = 0.10
    curtail_cost: float = 1.0
    heat_max: float = 6.0
    comfort_weight: float = 0.1

    @property
    def design_heat(self) -> float:
        """Heat (MW) that holds 21.5 °C against −8 °C: ``29.5/R``."""
        return 29.5 / self.resistance


#: LA1–LA3 (*ours*): peak electric load (MW), R (°C/MW), C (MWh/°C): time constants 10, 8.4, 19.8 h
BASE_LAS = (
    LAData("LA1", "residential", elec_peak=3.5, resistance=12.5, capacitance=0.8),
    LAData("LA2", "commercial", elec_peak=4.0, resistance=15.0, capacitance=0.56),
    LAData("LA3", "mixed", elec_peak=3.0, resistance=18.0, capacitance=1.1),
)
#: PMV linearisation band (°C) and the comfort limits
PMV_BAND = (18.0, 24.0)
PMV_LIMIT = 0.5
#: |PMV| below which discomfort is free (ISO 7730 class A)
PMV_FREE = 0.2
#: indoor temperature at the start (°C) and the fixed band of scenario 5
T_START = 21.5
FIXED_BAND = (21.0, 22.0)


@dataclass(frozen=True)
class RIESData:
    """Everything the ``ries`` game is built from, at ``periods`` periods of ``dt`` hours.

    Attributes:
        ego: the EGO's equipment; las: the load aggregators (scaled, module docstring).
        periods, dt: horizon and period length (h).
        tou, fit: ``(T,)`` grid purchase / feed-in tariffs (kCNY/MWh), period means.
        pv: ``(T,)`` PV available power (MW); outdoor: ``(T,)`` °C.
        elec: ``(N, T)`` electric load of each LA (MW); scenario: the features on.
    """

    ego: EGOData
    las: tuple[LAData, ...]
    periods: int
    dt: float
    tou: np.ndarray
    fit: np.ndarray
    pv: np.ndarray
    outdoor: np.ndarray
    elec: np.ndarray
    scenario: Scenario = field(default_factory=lambda: SCENARIOS[1])


def make_las(agents: int, seed: int) -> tuple[LAData, ...]:
    """``agents`` load aggregators (module docstring): LA1–LA3 then seeded variations, scaled so the
    total demand is the three-LA case's (with ``N ≥ 3`` per stock: the LAs of a stock share its
    load exactly; with fewer, LA1 (and LA2) carry the three stocks' total size)."""
    rng = np.random.default_rng(seed)
    las = []
    for i in range(agents):
        base = BASE_LAS[i % 3]
        if i < 3:
            size, tau = 1.0, 1.0
        else:
            size, tau = float(rng.uniform(0.7, 1.3)), float(rng.uniform(0.8, 1.25))
        las.append((base, size, tau, f"LA{i + 1}"))
    if agents >= 3:
        per_stock = {b.stock: sum(sz for bb, sz, _, _ in las if bb.stock == b.stock) for b in BASE_LAS}
        scales = [1.0 / per_stock[base.stock] for base, _, _, _ in las]
    else:
        scales = [3.0 / float(sum(sz for _, sz, _, _ in las))] * agents
    out = []
    for (base, size, tau, name), scale in zip(las, scales):
        s = size * scale
        # a stock s times as large: load × s, conductance (1/R) × s, capacitance × s (same time constant),
        # then the time constant × tau through the capacitance
        out.append(replace(base, name=name, elec_peak=base.elec_peak * s, resistance=base.resistance / s,
                           capacitance=base.capacitance * s * tau, heat_max=base.heat_max * s,
                           comfort_weight=base.comfort_weight * s))
    return tuple(out)


def make_data(agents: int, periods: int, seed: int, scenario: Scenario) -> RIESData:
    """The data of the case (module docstring).

    Raises:
        ValueError: ``periods`` does not divide 24 (the day is split into equal periods).
    """
    check_day_periods("ries", periods)
    las = make_las(agents, seed)
    elec = np.array([la.elec_peak * LOAD_SHAPES[la.stock] for la in las])
    ego = EGOData()
    return RIESData(ego=ego, las=las, periods=periods, dt=HOURS / periods, tou=period_means(seed001_tou(), periods),
                    fit=period_means(seed001_fit(), periods), pv=period_means(ego.pv_capacity * PV_SHAPE, periods),
                    outdoor=period_means(OUTDOOR, periods), elec=period_means(elec, periods), scenario=scenario)
