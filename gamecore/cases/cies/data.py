"""Data of the ``cies`` case (seed 004: Wang, Pen, Chen, Li, Zhang, Appl. Sci. 14(15) 6811, 2024).

The paper publishes Table 1 (a partial parameter list), the scenario settings (Table 2) and
the results (Table 3); its load and renewable profiles, equipment sizes, tariffs and carbon
prices are not published. Every number below is read from the paper (*paper*) or is our own
documented choice (*ours*), sized for a community of about 1.5 MW electric and 0.8 MW heat
load on a winter day in North China, with the CCHP operator's units near their ratings at
the price peaks.

Units: power MW (mean over a period), energy MWh, money kCNY (thousand CNY), CO₂ t — so
that every number of the game is of order 0.1–10; prices in kCNY/MWh are numerically
CNY/kWh, and carbon prices in kCNY/t are CNY/kg. Tables convert to CNY and t. Periods of
``dt = 24/T`` hours (``T`` divides 24; profiles and tariffs averaged over each period,
:mod:`gamecore.cases.daily`).

Table 1, and how we read it
---------------------------
* Carbon quota ``μ_e,q = 0.728 t/MWh`` of grid electricity, ``μ_h,q = 0.102 t/GJ = 0.3672
  t/MWh`` of heat (*paper*). Actual emissions ``μ_e,r = 0.924 t/MWh`` of grid (coal-fired)
  electricity, ``μ_g,r = 0.488 t/MWh`` of gas-fired electricity (*paper*); the gas boiler's
  heat then emits ``μ_g,r·η_ice/η_gb = 0.211 t/MWh`` (the same gas at its own efficiency;
  0.488·0.39 = 0.190 t per MWh of gas, close to natural gas's 0.202).
* ICG: ``η_ice = 0.39``, heat recovery ``η_re = 0.85`` (*paper*), fuel cost ``a·P² + b·P + c``
  with ``a = 0.0013``, ``b = 0.16``, ``c = 0`` read with P in kW and CNY/h (*paper*; in case
  units ``a = 1.3 kCNY/MW²h``, marginal cost 0.16 + 2.6·P CNY/kWh at P MW); rated 0.6 MW (*ours*).
* Gas boiler: cost ``a_h = 0.005``, ``b_h = 0.11``, ``c_h = 0.05`` (the table prints the first
  as "b_h,bt": :data:`~gamecore.energy.conversion.SEED004_GB_COST`), heat in kW (*paper*): a
  steep peak boiler (marginal 0.11 + 10·H CNY/kWh at H MW); 0.3 MW, efficiency 0.9 (*ours*).
* Battery: charge and discharge ≤ 350 kW (*paper*), 1.4 MWh, SOC 10–90 %, start = end 50 %,
  efficiencies 0.95 (*ours*). Heat storage tank: charge ≤ 200 kW, discharge ≤ 150 kW
  (*paper*), 0.8 MWh, 5–95 %, efficiencies 0.95 (*ours*). The paper's charge/discharge state
  markers (binaries) are dropped: the storage model is the convex one of
  :mod:`gamecore.energy.storage` (losses make simultaneous charge and discharge unprofitable).
  A small quadratic wear cost on storage power, 0.02 kCNY/MW²h (*ours*: 2.5 CNY/h at the
  battery's full 350 kW, against ~175 CNY/h of arbitrage value), makes the operator's best
  response unique — without it many charging schedules earn the same and the game's value
  depends on which one the operator picks.
* User utility ``γ·x − λ/2·x²`` per hour: ``γ_e = 2100 CNY/MWh``, ``λ_e = 0.9``, ``γ_h = 1100
  CNY/MWh``, ``λ_h = 1.2`` (*paper*). Read with the consumption in kW and the marginal utility
  ``γ − λ·x`` in CNY/MWh — in case units ``λ_e = 0.9``, ``λ_h = 1.2 kCNY/MWh²`` with x in MW: a
  community of ~1.5 MW then values its last MWh at 0.75 CNY/kWh, within the tariff range
  (read per MWh with x in MW, ``λ`` would be 1000 times smaller and demand would never react
  to any price). Cooling: ``γ_c = 1100``, ``λ_c = 3.0`` (*ours*: the paper's LA has no cooling
  utility; steeper than heat so that the small cooling load reacts within the heat-price range).
* Shiftable electric load ≤ 30 % of the load and ≤ 400 kW per hour, reducible heat ≤ 30 %
  (*paper*, Section 5.1): 20 % of every hour's electric load is shiftable (*ours*), the
  reducible share of heat and cooling is 30 %.

Ours
----
* LA (one community): electric load 0.9–1.7 MW with peaks 10–14 h and 18–21 h (the paper's
  Figure 5a description), heat 0.35–0.55 MW (cold nights; what the CCHP operator's recovered
  heat can carry), cooling 0.05–0.12 MW (a commercial core cooled all year, daytime).
* CCHP: wind 0.5 MW (windier at night), PV 0.4 MW peak (winter sun 07–17 h), heat-network
  efficiency ``η_h/f = 0.9``.
* Absorption chiller (COP 0.7, 0.15 MW of cold) at the aggregator's buildings, driven by the
  heat it buys: the paper's ES trades electricity and heat only (its F_es has no cooling term),
  so the cooling demand reaches the market as heat.
* Grid: purchase at seed 001's TOU tariff, feed-in at its FIT (the same country and era;
  seed 004 publishes neither). The ES's prices lie in that envelope (the paper's Figure 4:
  "within the envelope of time-of-use electricity price and on-grid electricity price");
  heat prices in [0.3, 0.8] CNY/kWh (seed 001's heat-price bounds). The mean electricity
  selling price is capped at 0.75 CNY/kWh and the mean heat selling price at 0.55 (consumer
  protection; without the cap the ES sells the fixed electricity total at the TOU tariff in
  every hour). Unserved heat or cooling costs the ES 2 CNY/kWh (``δ_p``; the paper's value lost).
* Carbon trading (Table 1 lists no prices): base price 0.2 CNY/kg, stage length 1 t, feedback
  factors ``δ_a = δ_p = 0.25``, two penalty and four reward stages
  (:class:`~gamecore.energy.carbon.StageFeedbackCarbon`). Each trading agent holds its own
  account: the ES for the grid electricity it imports (quota 0.728, actual 0.924 t/MWh), the
  CCHP operator for its gas (quota ``μ_h,q`` on the heat and cooling it delivers, actual
  ``μ_g,r`` on its ICG electricity and the boiler's heat). The quota's ``ε·P_gt`` term
  (electricity counted as heat) is taken with ``ε = 0``: with ``ε = 1`` every MWh of ICG
  electricity would earn 0.37 t of surplus allowances, the operator would sit deep in the
  reward stages whose rising rewards make its cost concave — its best response a
  mixed-integer program, not the QP every strategy here (and the paper's NSGA-QP) needs.
  With ``ε = 0`` its account stays within one stage of its quota, where the convex model of
  :func:`~gamecore.energy.carbon.stage_feedback_cost` is exact (checked on every solution).

A generator for ``N`` CCHP operators and ``N`` LAs (``agents = N``): operator / LA ``i`` is the
base one scaled by a factor drawn from ``U(0.7, 1.3)`` (seeded), the factors then normalised
to sum to 1 — the total equipment and load are the one-agent case's; a scaled unit's cost
curve is ``f·C(P/f)`` and a scaled utility ``g·U(x/g)``, so ``N`` equal copies have the
one-agent case's aggregate behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from gamecore.cases.daily import CLOCK, check_day_periods, daily_bump, period_means
from gamecore.energy import (
    SEED004_QUOTA_ELEC,
    SEED004_QUOTA_HEAT,
    QuadraticCost,
    QuadraticUtility,
    StageFeedbackCarbon,
    Storage,
    seed001_fit,
    seed001_tou,
)
from gamecore.energy.carbon import SEED004_MU_E, SEED004_MU_G
from gamecore.energy.conversion import SEED004_ETA_ICE, SEED004_ETA_RE

#: kCNY -> CNY
TO_CNY = 1000.0


@dataclass(frozen=True)
class Scenario:
    """One row of the paper's Table 2.

    Attributes:
        number: 1–4.
        carbon: ``"none"``, ``"fixed"`` (every tonne traded at the base price) or ``"stage"``
            (stage-feedback trading).
        scheduling: ``"centralized"`` (welfare-maximising schedule of the whole community) or
            ``"game"`` (the two-layer Stackelberg game).
    """

    number: int
    carbon: str
    scheduling: str


SCENARIOS = {1: Scenario(1, "none", "centralized"), 2: Scenario(2, "fixed", "centralized"),
             3: Scenario(3, "stage", "centralized"), 4: Scenario(4, "stage", "game")}

#: the paper's Table 3: ES earnings, CCHP earnings, LA consumer surplus (CNY), emissions (t)
PAPER_TABLE = {
    1: {"es": 6034.0, "cchp": 8872.0, "la": 9419.0, "emissions_t": 1006.7},
    2: {"es": 5904.0, "cchp": 8415.0, "la": 8973.0, "emissions_t": 994.3},
    3: {"es": 6072.0, "cchp": 8781.0, "la": 9532.0, "emissions_t": 914.6},
    4: {"es": 7468.0, "cchp": 9637.0, "la": 10624.0, "emissions_t": 841.3},
}

#: hourly profiles (*ours*, module docstring): LA electric / heat / cooling load (MW), wind and PV (fraction)
ELEC_LOAD = 0.9 + 0.55 * daily_bump(12.0, 2.2) + 0.75 * daily_bump(19.5, 1.6) + 0.15 * daily_bump(8.0, 1.2)
HEAT_LOAD = 0.45 + 0.10 * np.cos(2.0 * np.pi * (CLOCK + 0.5 - 4.0) / 24.0)
COOL_LOAD = 0.05 + 0.07 * daily_bump(14.0, 3.5)
WIND_SHAPE = 0.55 + 0.3 * np.cos(2.0 * np.pi * (CLOCK + 0.5 - 3.0) / 24.0)
PV_SHAPE = np.clip(np.sin(np.pi * (CLOCK + 0.5 - 7.0) / 10.0), 0.0, None) ** 1.3


@dataclass(frozen=True)
class CCHPData:
    """One CCHP operator (MW, MWh, kCNY; module docstring); :meth:`scaled` sizes a copy."""

    name: str = "CCHP1"
    wind_mw: float = 0.5
    pv_mw: float = 0.4
    icg_mw: float = 0.6
    icg_cost: QuadraticCost = QuadraticCost(a=1.3, b=0.16, c=0.0)
    eta_ice: float = SEED004_ETA_ICE
    eta_re: float = SEED004_ETA_RE
    gb_mw: float = 0.3
    gb_cost: QuadraticCost = QuadraticCost(a=5.0, b=0.11, c=5e-5)
    eta_gb: float = 0.9
    eta_network: float = 0.9
    storage_wear: float = 0.02
    battery: Storage = Storage(capacity=1.4, charge_max=0.35, discharge_max=0.35, soc_min=0.1, soc_max=0.9,
                               soc_init=0.5, soc_end=0.5, eta_c=0.95, eta_d=0.95, name="battery")
    tank: Storage = Storage(capacity=0.8, charge_max=0.2, discharge_max=0.15, soc_min=0.05, soc_max=0.95,
                            soc_init=0.5, soc_end=0.5, eta_c=0.95, eta_d=0.95, name="heat-tank")

    @property
    def heat_per_power(self) -> float:
        """Recoverable heat per MW of ICG electricity, ``(1 − η_ice)/η_ice·η_re`` (seed 004)."""
        return (1.0 - self.eta_ice) / self.eta_ice * self.eta_re

    def scaled(self, factor: float, name: str) -> CCHPData:
        """The operator ``factor`` times as large (costs ``f·C(P/f)``)."""
        def store(s: Storage) -> Storage:
            return replace(s, capacity=s.capacity * factor, charge_max=s.charge_max * factor,
                           discharge_max=s.discharge_max * factor)
        def curve(c: QuadraticCost) -> QuadraticCost:
            return QuadraticCost(a=c.a / factor, b=c.b, c=c.c * factor)
        return replace(self, name=name, wind_mw=self.wind_mw * factor, pv_mw=self.pv_mw * factor,
                       icg_mw=self.icg_mw * factor, icg_cost=curve(self.icg_cost), gb_mw=self.gb_mw * factor,
                       gb_cost=curve(self.gb_cost), battery=store(self.battery),
                       tank=store(self.tank))


@dataclass(frozen=True)
class LAData:
    """One load aggregator (MW, kCNY/MWh; module docstring). ``scale`` multiplies every load."""

    name: str = "LA1"
    scale: float = 1.0
    shiftable_share: float = 0.2
    shiftable_max_mw: float = 0.4
    reducible_share: float = 0.3
    chiller_mw: float = 0.15
    chiller_cop: float = 0.7
    elec_utility: QuadraticUtility = QuadraticUtility(gamma=2.1, lam=0.9, name="electricity")
    heat_utility: QuadraticUtility = QuadraticUtility(gamma=1.1, lam=1.2, name="heat")
    cool_utility: QuadraticUtility = QuadraticUtility(gamma=1.1, lam=3.0, name="cooling")

    def scaled(self, factor: float, name: str) -> LAData:
        """The aggregator ``factor`` times as large (utility ``g·U(x/g)``: ``λ/g``)."""
        def util(u: QuadraticUtility) -> QuadraticUtility:
            return replace(u, lam=u.lam / factor)
        return replace(self, name=name, scale=self.scale * factor, shiftable_max_mw=self.shiftable_max_mw * factor,
                       chiller_mw=self.chiller_mw * factor,
                       elec_utility=util(self.elec_utility), heat_utility=util(self.heat_utility),
                       cool_utility=util(self.cool_utility))


@dataclass(frozen=True)
class MarketData:
    """The energy seller's market and carbon data (kCNY/MWh, t/MWh, t; module docstring)."""

    heat_price: tuple[float, float] = (0.3, 0.8)
    mean_price_e: float = 0.75
    mean_price_h: float = 0.55
    shortfall_penalty: float = 2.0
    quota_elec: float = SEED004_QUOTA_ELEC
    quota_heat: float = SEED004_QUOTA_HEAT
    grid_emission: float = SEED004_MU_E
    gas_emission: float = SEED004_MU_G
    carbon: StageFeedbackCarbon = StageFeedbackCarbon(price=0.2, interval=1.0, delta_a=0.25, delta_p=0.25,
                                                      name="cies-stage-feedback")


@dataclass(frozen=True)
class CIESData:
    """Everything the ``cies`` game is built from (``(T,)`` arrays per period; ``(N, T)`` per agent)."""

    market: MarketData
    cchps: tuple[CCHPData, ...]
    las: tuple[LAData, ...]
    periods: int
    dt: float
    tou: np.ndarray
    fit: np.ndarray
    wind: np.ndarray        # (N, T) MW available per operator
    pv: np.ndarray          # (N, T) MW available per operator
    elec: np.ndarray        # (N, T) MW electric load per LA
    heat: np.ndarray        # (N, T) MW heat load per LA
    cool: np.ndarray        # (N, T) MW cooling load per LA
    scenario: Scenario = field(default_factory=lambda: SCENARIOS[4])

    @property
    def agents(self) -> int:
        return len(self.las)



def _factors(agents: int, rng: np.random.Generator) -> np.ndarray:
    """Size factors of ``agents`` agents: ``U(0.7, 1.3)`` draws normalised to sum to 1 (one agent: 1)."""
    if agents == 1:
        return np.ones(1)
    f = rng.uniform(0.7, 1.3, agents)
    return f / f.sum()


def make_data(agents: int, periods: int, seed: int, scenario: Scenario) -> CIESData:
    """The data of the case (module docstring): ``agents`` CCHP operators and ``agents`` LAs.

    Raises:
        ValueError: ``periods`` does not divide 24.
    """
    check_day_periods("cies", periods)
    rng = np.random.default_rng(seed)
    f_cchp, f_la = _factors(agents, rng), _factors(agents, rng)
    base_cchp, base_la = CCHPData(), LAData()
    cchps = tuple(base_cchp.scaled(float(f), f"CCHP{i + 1}") if agents > 1 else base_cchp
                  for i, f in enumerate(f_cchp))
    las = tuple(base_la.scaled(float(f), f"LA{i + 1}") if agents > 1 else base_la for i, f in enumerate(f_la))
    per_cchp = np.array([c.wind_mw for c in cchps])[:, None]
    pv = np.array([c.pv_mw for c in cchps])[:, None]
    scale = np.array([la.scale for la in las])[:, None]
    return CIESData(market=MarketData(), cchps=cchps, las=las, periods=periods, dt=24.0 / periods,
                    tou=period_means(seed001_tou(), periods), fit=period_means(seed001_fit(), periods),
                    wind=period_means(per_cchp * WIND_SHAPE, periods), pv=period_means(pv * PV_SHAPE, periods),
                    elec=period_means(scale * ELEC_LOAD, periods), heat=period_means(scale * HEAT_LOAD, periods),
                    cool=period_means(scale * COOL_LOAD, periods), scenario=scenario)
