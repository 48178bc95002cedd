"""Data of the ``county`` case (seed 000): IES equipment, 24-hourly profiles, forecasts, prices.

Yang & Fang (Energies 19(13) 3090) simulate "three typical interconnected integrated energy
systems in a county in northern China"; only the abstract is available, so every number
below is our own, chosen to be realistic for a northern-China county on a winter (heating
season) weekday and documented next to its definition. Everything is generated from one
integer seed by :func:`make_scenario`, for any number of IES.

Units: power kW (average over a period), energy kWh, prices yuan/kWh, fuel as kWh of its lower
heating value (LHV); periods of ``dt = 24/T`` h, period ``t`` covering clock hours
``[t·dt, (t+1)·dt)``.

IES types (index 0, 1, 2 are always one of each, in this order; later ones are drawn)
------------------------------------------------------------------------------------
* ``industrial`` — industrial park: gas CHP (gas turbine + waste-heat boiler, heat may be
  dumped), gas boiler, electric and process-heat loads, part of the electric load shiftable
  (batch processes), a little rooftop PV.
* ``residential`` — residential area: air-source heat pumps (space heating), rooftop PV,
  electric and heat loads, a thermal store (water tank), EV charging as shiftable load.
* ``agricultural`` — rural / agricultural area: wind turbines, a biomass CHP (straw-pellet
  fired; modelled with the gas-turbine CHP component, fuel priced per kWh of pellet LHV) and
  a biomass boiler for greenhouse heat, a battery, irrigation pumping as shiftable load.

For ``agents > 3`` the type of IES ``i ≥ 3`` is drawn from ``rng([seed, 1, i])`` with
probabilities :data:`TYPE_WEIGHTS`; every IES's sizes are drawn from the same generator, so
IES ``i``'s data depend on ``(seed, i, periods)`` only.

Profiles (all "documented assumptions": no measured county data are published)
-------------------------------------------------------------------------------
* Load shapes (:data:`ELEC_SHAPES`, :data:`HEAT_SHAPES`): hourly multipliers of the mean,
  built in the style of the IEEE RTS-96 winter weekday hourly load factors (night trough
  at 60–70 % of the daily mean, morning rise, evening peak) for residential electricity;
  two-shift industrial operation (flat, day plateau) for the park; rural pumping and greenhouse
  lighting for agriculture. Heat: residential space heating follows the outdoor temperature
  (peak before dawn and in the evening), industrial process heat is flat, greenhouse heat
  peaks at night.
* PV (:func:`pv_shape`): clear-sky bell curve ``0.70·sin(π(h − 7)/10)`` between 07:00 and
  17:00 (winter day length ≈10 h at ≈38° N; 0.70 peak capacity factor of a fixed rooftop
  array in winter).
* Wind (:func:`wind_shape`): diurnal pattern stronger at night (mean 0.38, amplitude 0.15,
  maximum at 02:00: the nocturnal low-level-jet pattern of northern-China plains) plus a
  seeded smooth random walk (σ = 0.04 per hour), clipped to [0.03, 0.95].
* Heat-pump COP (:func:`heat_pump_cop`): ``COP = 3.0 + 0.05·T_out`` with the outdoor
  temperature ``T_out = −5 + 5·cos(2π(h − 14)/24)`` °C (−10 °C at 02:00, 0 °C at 14:00):
  a linear fit of air-source heat pumps' rated COPs (≈2.5 at −10 °C, ≈3.0 at 0 °C,
  EN 14511-style A−7/W35 and A2/W35 points). Known exactly (no forecast error).
* Utility price (:data:`UTILITY_PRICE_HOURLY`): a northern-China industrial time-of-use
  tariff structure (valley 23:00–07:00, peaks 08:00–11:00 and 17:00–21:00, peak : flat :
  valley ≈ 1.7 : 1 : 0.45), × (1 + 2 % seeded noise).

Forecast errors (as the ``ieh`` case, :mod:`gamecore.cases.ieh_data`)
-------------------------------------------------------------------
``forecast = actual · (1 + ε)``, ``ε ~ N(0, σ)`` truncated to ±3σ, independent per IES,
period, quantity and level, drawn from ``rng([seed, 2, agents, periods])``:
renewables 10 % / 5 % / 2 % (day-ahead / intra-day / real-time), loads 5 % / 3 % / 1 %.
Renewable forecasts are clipped to ``[0, installed capacity]``. In a rolling stage starting
at ``t`` (level ``"rolling"``) period t is measured (actual), t+1 uses the real-time
forecast, the next :data:`INTRADAY_WINDOW` the intra-day one, later ones the day-ahead one.

Transformer
-----------
The county main transformer limit is calibrated by the case (:func:`gamecore.cases.county.build`)
from the uncongested aggregate import (every IES's day-ahead best response to the utility
price): ``cap = cap_ratio × peak import`` with ``cap_ratio`` < 1 (default
:data:`CAP_RATIO` = 0.9), so the limit binds at the uncongested peak (the night valley, where
cheap power draws heat pumps, shiftable loads and storage charging). Without calibration
(:func:`make_scenario` alone) a provisional ``cap = Σ mean electric load`` is used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gamecore.cases.base import case_arguments
from gamecore.energy.conversion import GasBoiler, GasTurbineCHP, HeatPump
from gamecore.energy.storage import Storage

# ------------------------------------------------------------------------- constants
#: natural gas: 3.3 yuan/m³ (northern-China non-residential tariff), LHV 9.87 kWh/m³ (35.5 MJ/m³)
GAS_PRICE_PER_M3 = 3.3
GAS_LHV = 9.87
#: biomass (straw pellets): 800 yuan/t = 0.8 yuan/kg, LHV 4.0 kWh/kg (14.4 MJ/kg), i.e. 0.2
#: yuan per kWh of fuel; passed to the CHP/boiler components as ``gas_price`` / ``gas_lhv``
#: (their "per m³" unit then reads "per kg")
BIOMASS_PRICE_PER_KG = 0.8
BIOMASS_LHV = 4.0
PRICE_MIN, PRICE_MAX = 0.0, 1.5     #: local electricity price bounds (yuan/kWh)
#: value of lost load (yuan/kWh) of unserved electric or heat demand: ≈6.7× the price cap and
#: above every marginal value of energy in the model, so shedding happens only when unavoidable
LOST_LOAD_VALUE = 10.0
#: price (yuan/kWh) of missing a storage's end-of-day SOC target (soft, as in ``ieh``)
END_SOC_PENALTY = 10.0
LEVELS = ("day-ahead", "intra-day", "real-time")
RENEWABLE_ERROR = {"day-ahead": 0.10, "intra-day": 0.05, "real-time": 0.02}
LOAD_ERROR = {"day-ahead": 0.05, "intra-day": 0.03, "real-time": 0.01}
INTRADAY_WINDOW = 3
#: transformer limit / uncongested peak import (see module docstring)
CAP_RATIO = 0.9
#: transformer load losses at rated power, as a fraction of the power (load losses grow with
#: the square of the loading: ``loss = LOSS_RATIO·s²/cap``); 0.8 % is typical of a 110/35/10 kV
#: county main transformer's short-circuit (copper) losses. It also makes the operator's supply
#: strictly convex, so its best supply is unique at every price (see ``county.game``)
LOSS_RATIO = 0.008
KINDS = ("industrial", "residential", "agricultural")
#: probabilities of the types of IES 3, 4, ... (a county has more villages and housing estates
#: than industrial parks)
TYPE_WEIGHTS = (0.2, 0.4, 0.4)

#: utility (main-grid) price by clock hour [h, h+1), yuan/kWh (see module docstring)
UTILITY_PRICE_HOURLY = np.array([
    0.30, 0.29, 0.28, 0.28, 0.29, 0.30, 0.32,          # 00–07 valley
    0.66,                                              # 07–08 flat
    1.08, 1.12, 1.10,                                  # 08–11 peak
    0.68, 0.64, 0.62, 0.63, 0.66, 0.70,                # 11–17 flat
    1.05, 1.15, 1.18, 1.10,                            # 17–21 peak
    0.70, 0.64,                                        # 21–23 flat
    0.33,                                              # 23–24 valley
])

#: electric load shapes by clock hour (multipliers, normalised to mean 1 when used)
ELEC_SHAPES = {
    # two-shift industrial park: flat night base, day plateau, lunch dip
    "industrial": [0.80, 0.78, 0.77, 0.77, 0.78, 0.82, 0.90, 1.05, 1.15, 1.18, 1.18, 1.12,
                   1.02, 1.12, 1.16, 1.15, 1.10, 1.05, 1.00, 0.98, 0.95, 0.90, 0.86, 0.82],
    # RTS-96-style winter weekday residential: night trough, morning shoulder, evening peak
    "residential": [0.62, 0.57, 0.55, 0.54, 0.55, 0.60, 0.78, 1.00, 1.05, 0.98, 0.93, 0.94,
                    0.96, 0.92, 0.90, 0.94, 1.06, 1.32, 1.58, 1.68, 1.62, 1.42, 1.10, 0.80],
    # rural: pumping and processing by day, greenhouse lighting at dawn and dusk
    "agricultural": [0.70, 0.66, 0.64, 0.64, 0.70, 0.85, 1.05, 1.15, 1.20, 1.15, 1.10, 1.08,
                     1.02, 1.05, 1.10, 1.12, 1.18, 1.25, 1.20, 1.05, 0.95, 0.85, 0.78, 0.73],
}
#: heat load shapes by clock hour (space heating + hot water; process heat; greenhouses)
HEAT_SHAPES = {
    "industrial": [0.95, 0.95, 0.95, 0.95, 0.96, 0.98, 1.00, 1.05, 1.05, 1.05, 1.05, 1.02,
                   1.00, 1.03, 1.05, 1.05, 1.03, 1.00, 0.98, 0.97, 0.96, 0.96, 0.95, 0.95],
    "residential": [1.10, 1.15, 1.18, 1.20, 1.22, 1.25, 1.30, 1.20, 1.00, 0.85, 0.75, 0.70,
                    0.66, 0.64, 0.65, 0.70, 0.82, 0.98, 1.10, 1.15, 1.15, 1.12, 1.10, 1.08],
    "agricultural": [1.30, 1.35, 1.38, 1.40, 1.40, 1.35, 1.20, 1.00, 0.80, 0.65, 0.55, 0.50,
                     0.48, 0.48, 0.52, 0.62, 0.80, 1.00, 1.15, 1.22, 1.25, 1.27, 1.28, 1.29],
}
#: memory of the built case (bytes) per IES and per IES × period: compiled follower program,
#: cvxpy model and scenario data (peak RSS of ``build`` measured at 40 IES × 24 periods: 27.7 kB
#: per IES-period; 20 IES × 96: 19.9 kB; rounded up)
BYTES_PER_AGENT = 30_000
BYTES_PER_AGENT_PERIOD = 30_000


# ------------------------------------------------------------------------ data types
@dataclass(frozen=True)
class IESData:
    """Equipment and contracts of one IES (privately known to it).

    Attributes:
        name, kind: label and type (one of :data:`KINDS`).
        mean_load: mean non-shiftable electric load (kW), the IES's size.
        grid_max: import limit of its connection to the county bus (kW); export_max: export limit (kW).
        chp: CHP (gas or biomass) or ``None``; boiler: gas / biomass boiler or ``None``;
            heat_pump: or ``None``; battery, tes: storages or ``None``.
        pv_cap, wind_cap: installed renewable capacity (kW).
        shift_total: daily energy of the shiftable electric load (kWh); shift_max ``(T,)`` kW.
        dt: period length (h). lost_load_value, end_soc_penalty: yuan/kWh.
    """

    name: str
    kind: str
    mean_load: float
    grid_max: float
    export_max: float
    chp: GasTurbineCHP | None
    boiler: GasBoiler | None
    heat_pump: HeatPump | None
    battery: Storage | None
    tes: Storage | None
    pv_cap: float
    wind_cap: float
    shift_total: float
    shift_max: np.ndarray = field(repr=False)
    dt: float = 1.0
    lost_load_value: float = LOST_LOAD_VALUE
    end_soc_penalty: float = END_SOC_PENALTY

    @property
    def periods(self) -> int:
        return int(np.asarray(self.shift_max).size)


@dataclass(frozen=True)
class IESProfile:
    """What an IES expects over a stage (each ``(H,)`` kW): the uncertain data."""

    renewable: np.ndarray
    elec_load: np.ndarray
    heat_load: np.ndarray

    @property
    def horizon(self) -> int:
        return int(np.asarray(self.renewable).size)


@dataclass
class Scenario:
    """A county scenario: IES, utility price, transformer limit, profiles by data level.

    ``renewable``, ``elec_load``, ``heat_load``: level (``"actual"`` and :data:`LEVELS`) ->
    ``(N, T)`` kW. ``transformer_cap`` kW (``|Σ_i P_i,t| ≤ cap``).
    """

    agents: list[IESData]
    utility_price: np.ndarray
    transformer_cap: float
    renewable: dict[str, np.ndarray]
    elec_load: dict[str, np.ndarray]
    heat_load: dict[str, np.ndarray]
    seed: int
    price_bounds: tuple[float, float] = (PRICE_MIN, PRICE_MAX)
    intraday_window: int = INTRADAY_WINDOW
    loss_ratio: float = LOSS_RATIO

    def supply_cost(self, t: int, flow: float) -> float:
        """Operator's cost (yuan) of period ``t`` with transformer flow ``flow`` kW: energy at
        the utility price plus the load losses, ``dt·π_t·(flow + loss_ratio·flow²/cap)``."""
        return float(self.dt * self.utility_price[t] * (flow + self.loss_ratio * flow ** 2 / self.transformer_cap))

    def marginal_supply_cost(self, t: int, flow: float) -> float:
        """``π_t·(1 + 2·loss_ratio·flow/cap)`` yuan/kWh: the local price of period ``t`` when the
        limit does not bind; above it = congestion."""
        return float(self.utility_price[t] * (1.0 + 2.0 * self.loss_ratio * flow / self.transformer_cap))

    @property
    def n_agents(self) -> int:
        return len(self.agents)

    @property
    def periods(self) -> int:
        return int(self.utility_price.size)

    @property
    def dt(self) -> float:
        return 24.0 / self.periods

    def level_rows(self, start: int, level: str) -> list[str]:
        """Data level of each period of ``[start, T)`` (see the module docstring, ``"rolling"``)."""
        horizon = self.periods - start
        if level in ("actual",) + LEVELS:
            return [level] * horizon
        if level != "rolling":
            raise ValueError(f"level must be one of {('actual',) + LEVELS + ('rolling',)}, got {level!r}")
        return ["actual" if k == 0 else "real-time" if k == 1
                else "intra-day" if k <= 1 + self.intraday_window else "day-ahead" for k in range(horizon)]

    def profile(self, agent: int, start: int = 0, level: str = "day-ahead") -> IESProfile:
        """IES ``agent``'s renewable and load values for periods ``[start, T)`` at ``level``."""
        if not 0 <= start < self.periods:
            raise ValueError(f"start must be in [0, {self.periods}), got {start}")
        rows, cols = self.level_rows(start, level), np.arange(start, self.periods)

        def pick(data: dict[str, np.ndarray]) -> np.ndarray:
            return np.array([data[lv][agent, t] for lv, t in zip(rows, cols)])

        return IESProfile(pick(self.renewable), pick(self.elec_load), pick(self.heat_load))


# ------------------------------------------------------------------------ shapes
def by_hour(hourly: np.ndarray | list[float], periods: int) -> np.ndarray:
    """A 24-value clock-hour profile sampled at the midpoints of ``periods`` periods (periodic)."""
    mids = (np.arange(periods) + 0.5) * 24.0 / periods
    hours = np.arange(24) + 0.5
    values = np.asarray(hourly, float)
    return np.interp(mids, np.concatenate([hours - 24, hours, hours + 24]), np.tile(values, 3))


def _mids(periods: int) -> np.ndarray:
    return (np.arange(periods) + 0.5) * 24.0 / periods


def pv_shape(periods: int) -> np.ndarray:
    """Winter clear-sky PV per kW installed: ``0.70·sin(π(h − 7)/10)`` on 07:00–17:00, else 0."""
    return np.clip(0.70 * np.sin(np.pi * (_mids(periods) - 7.0) / 10.0), 0.0, None)


def wind_shape(periods: int, rng: np.random.Generator) -> np.ndarray:
    """Wind per kW installed: night-strong diurnal cosine (mean 0.38) + seeded smooth walk."""
    walk = np.cumsum(rng.normal(0.0, 0.04, periods))
    walk -= walk.mean()
    return np.clip(0.38 + 0.15 * np.cos(2 * np.pi * (_mids(periods) - 2.0) / 24.0) + walk, 0.03, 0.95)


def outdoor_temperature(periods: int) -> np.ndarray:
    """Winter outdoor temperature (°C): ``−5 + 5·cos(2π(h − 14)/24)``."""
    return -5.0 + 5.0 * np.cos(2 * np.pi * (_mids(periods) - 14.0) / 24.0)


def heat_pump_cop(periods: int) -> np.ndarray:
    """Air-source heat-pump COP per period: ``3.0 + 0.05·T_out`` (2.5 at −10 °C, 3.0 at 0 °C)."""
    return 3.0 + 0.05 * outdoor_temperature(periods)


def utility_price(periods: int, rng: np.random.Generator) -> np.ndarray:
    """Utility price (yuan/kWh) ``(T,)``: the TOU curve × (1 + 2 % noise), clipped to [0.05, 1.45]."""
    return np.clip(by_hour(UTILITY_PRICE_HOURLY, periods) * (1.0 + 0.02 * rng.standard_normal(periods)), 0.05, 1.45)


def _shape(shapes: dict[str, list[float]], kind: str, periods: int, rng: np.random.Generator) -> np.ndarray:
    s = by_hour(shapes[kind], periods) * (1.0 + 0.03 * rng.standard_normal(periods))   # IES-specific wiggle
    return s / s.mean()


# ------------------------------------------------------------------------ generation
def make_ies(index: int, kind: str, periods: int,
             rng: np.random.Generator) -> tuple[IESData, np.ndarray, np.ndarray, np.ndarray]:
    """Draw one IES of type ``kind``: its data and actual renewable, electric, heat profiles ``(T,)`` kW.

    Size ranges (mean non-shiftable electric load, log-uniform): industrial 2–4 MW,
    residential 0.8–2 MW, agricultural 0.4–1 MW. Ratios (uniform draws):

    * industrial: heat 0.6–0.9 × electric mean; CHP electric capacity 0.4–0.6 × mean load
      (η_e 0.33, η_loss 0.15, WHB 0.85, heat dump allowed); gas boiler 1.2 × peak heat
      (η 0.92); shiftable electric 10–15 % of the daily energy at total/(6–8 h) per hour;
      rooftop PV 0.05–0.15 × mean load.
    * residential: heat 1.2–1.8 × electric mean, served by heat pumps sized 1.15 × peak heat /
      lowest COP (so heat is always feasible); TES 2–4 h of mean heat, 3 h rate, efficiencies
      0.95/0.95, SOC 0.1–0.9 (0.5 at the start and end of the day); rooftop PV 1.5–2.5 × mean
      load (whole-county rooftop PV programme: high penetration); EV charging 5–10 % of the
      daily energy at total/(4–6 h).
    * agricultural: heat 0.4–0.8 × electric mean; wind 2.5–4.0 × mean load (a wind-rich rural
      area); biomass CHP 0.3–0.5 × mean load (η_e 0.25, η_loss 0.20, WHB 0.85, heat dump allowed), biomass
      boiler 1.2 × peak heat (η 0.85); battery 1–2 h of mean load at a 2.5 h rate,
      efficiencies 0.95/0.95, SOC 0.1–0.9; irrigation pumping 15–25 % of the daily energy
      at total/(6–10 h).

    Connection: import limit 1.3 × (peak load + shiftable rate + heat-pump and battery
    charge power); export limit (× mean load) industrial 0.05–0.10, residential 0.05–0.15,
    agricultural 0.10–0.20: the reverse-power limits of rural 10 kV feeders, so windy nights and
    sunny noons can force curtailment (renewable accommodation below 1).
    """
    dt = 24.0 / periods
    lo, hi = {"industrial": (2000.0, 4000.0), "residential": (800.0, 2000.0), "agricultural": (400.0, 1000.0)}[kind]
    mean_e = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
    heat_ratio = {"industrial": (0.6, 0.9), "residential": (1.2, 1.8), "agricultural": (0.4, 0.8)}[kind]
    mean_h = mean_e * rng.uniform(*heat_ratio)
    elec = mean_e * _shape(ELEC_SHAPES, kind, periods, rng)
    heat = mean_h * _shape(HEAT_SHAPES, kind, periods, rng)
    daily_e = float(elec.sum() * dt)
    chp = boiler = None
    hp = None
    battery = tes = None
    pv_cap = wind_cap = 0.0
    renewable = np.zeros(periods)
    if kind == "industrial":
        chp = GasTurbineCHP(p_max=mean_e * rng.uniform(0.4, 0.6), eta_e=0.33, eta_loss=0.15, eta_whb=0.85,
                            heat_dump=True,
                            gas_price=GAS_PRICE_PER_M3, gas_lhv=GAS_LHV, dt=dt, name="chp")
        boiler = GasBoiler(h_max=1.2 * float(heat.max()), eta=0.92, gas_price=GAS_PRICE_PER_M3, gas_lhv=GAS_LHV,
                           dt=dt, name="boiler")
        shift_total = rng.uniform(0.10, 0.15) * daily_e
        shift_rate = shift_total / rng.uniform(6.0, 8.0)
        pv_cap = mean_e * rng.uniform(0.05, 0.15)
        renewable = pv_cap * pv_shape(periods)
    elif kind == "residential":
        cop = heat_pump_cop(periods)
        hp = HeatPump(p_max=1.15 * float(np.max(heat)) / float(cop.min()),
                      cop=tuple(float(c) for c in cop), name="hp")
        tes_cap = mean_h * rng.uniform(2.0, 4.0)
        tes = Storage(tes_cap, tes_cap / 3.0, tes_cap / 3.0, 0.1, 0.9, 0.5, 0.5, 0.95, 0.95, dt, name="tes")
        shift_total = rng.uniform(0.05, 0.10) * daily_e
        shift_rate = shift_total / rng.uniform(4.0, 6.0)
        pv_cap = mean_e * rng.uniform(1.5, 2.5)
        renewable = pv_cap * pv_shape(periods)
    else:
        chp = GasTurbineCHP(p_max=mean_e * rng.uniform(0.3, 0.5), eta_e=0.25, eta_loss=0.20, eta_whb=0.85,
                            heat_dump=True,
                            gas_price=BIOMASS_PRICE_PER_KG, gas_lhv=BIOMASS_LHV, dt=dt, name="biochp")
        boiler = GasBoiler(h_max=1.2 * float(heat.max()), eta=0.85, gas_price=BIOMASS_PRICE_PER_KG,
                           gas_lhv=BIOMASS_LHV, dt=dt, name="bioboiler")
        bat_cap = mean_e * rng.uniform(1.0, 2.0)
        battery = Storage(bat_cap, bat_cap / 2.5, bat_cap / 2.5, 0.1, 0.9, 0.5, 0.5, 0.95, 0.95, dt, name="battery")
        shift_total = rng.uniform(0.15, 0.25) * daily_e
        shift_rate = shift_total / rng.uniform(6.0, 10.0)
        wind_cap = mean_e * rng.uniform(2.5, 4.0)
        renewable = wind_cap * wind_shape(periods, rng)
    flexible = shift_rate + (hp.p_max if hp else 0.0) + (battery.charge_max if battery else 0.0)
    grid_max = 1.3 * (float(elec.max()) + flexible)
    export_share = {"industrial": (0.05, 0.10), "residential": (0.05, 0.15), "agricultural": (0.1, 0.2)}[kind]
    export_max = mean_e * rng.uniform(*export_share)
    name = f"{kind[:3]}{index:02d}" if index < 100 else f"{kind[:3]}{index}"
    ies = IESData(name=name, kind=kind, mean_load=mean_e, grid_max=float(grid_max), export_max=float(export_max),
                  chp=chp, boiler=boiler, heat_pump=hp, battery=battery, tes=tes, pv_cap=float(pv_cap),
                  wind_cap=float(wind_cap), shift_total=float(shift_total),
                  shift_max=np.full(periods, float(shift_rate)), dt=dt)
    return ies, renewable, elec, heat


def _forecast(actual: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    return actual * (1.0 + np.clip(rng.standard_normal(actual.shape), -3.0, 3.0) * sigma)


def agent_kind(index: int, seed: int) -> str:
    """Type of IES ``index``: the three types in order for 0, 1, 2, then drawn from the seed."""
    if index < len(KINDS):
        return KINDS[index]
    return str(np.random.default_rng([seed, 3, index]).choice(KINDS, p=TYPE_WEIGHTS))


def make_scenario(agents: int = 3, periods: int = 24, seed: int = 0, transformer_cap: float | None = None,
                  max_memory_gb: float | None = None) -> Scenario:
    """Generate a county scenario of ``agents`` IES over ``periods`` periods from ``seed``.

    Deterministic. Sizes are checked (:func:`~gamecore.cases.base.case_arguments`, memory
    ``agents × (BYTES_PER_AGENT + BYTES_PER_AGENT_PERIOD × periods)``) before any data is drawn.
    """
    agents, periods, seed = case_arguments("county", agents, periods, seed, bytes_per_agent=BYTES_PER_AGENT,
                                           bytes_per_agent_period=BYTES_PER_AGENT_PERIOD,
                                           max_memory_gb=max_memory_gb)
    price = utility_price(periods, np.random.default_rng([seed, 0]))
    ies_list, ren, elec, heat = [], [], [], []
    for i in range(agents):
        ies, r, e, h = make_ies(i, agent_kind(i, seed), periods, np.random.default_rng([seed, 1, i]))
        ies_list.append(ies); ren.append(r); elec.append(e); heat.append(h)
    actual = {"renewable": np.array(ren), "elec_load": np.array(elec), "heat_load": np.array(heat)}
    caps = np.array([a.pv_cap + a.wind_cap for a in ies_list])[:, None]
    err = np.random.default_rng([seed, 2, agents, periods])
    data: dict[str, dict[str, np.ndarray]] = {k: {"actual": v} for k, v in actual.items()}
    for level in LEVELS:
        data["renewable"][level] = np.clip(_forecast(actual["renewable"], RENEWABLE_ERROR[level], err), 0.0, caps)
        for key in ("elec_load", "heat_load"):
            data[key][level] = np.maximum(_forecast(actual[key], LOAD_ERROR[level], err), 0.0)
    cap = float(sum(a.mean_load for a in ies_list)) if transformer_cap is None else float(transformer_cap)
    if not cap > 0:
        raise ValueError(f"case 'county': transformer_cap must be > 0 kW, got {cap}")
    return Scenario(ies_list, price, cap, data["renewable"], data["elec_load"], data["heat_load"], seed)
