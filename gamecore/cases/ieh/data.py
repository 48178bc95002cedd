"""Deterministic data of the interconnected-energy-hub (IEH) case (seed 003).

The paper (Cheng & Zhang, "Autonomous-collaborative energy optimization for interconnected
energy hubs based on transactive control") takes its hub parameters, loads and renewables
from its reference [4], which is not published with it; every number below is therefore our
own, chosen to be realistic and documented next to its definition. Everything is generated
from one integer seed by :func:`make_scenario`, for any number of hubs.

Units: power kW (average over a period), energy kWh, prices yuan/kWh, gas as kWh of fuel
(lower heating value), periods of ``dt = 24/T`` hours; period ``t`` covers clock hours
``[t·dt, (t+1)·dt)``.

What a scenario holds
---------------------
* ``hubs``: one :class:`HubData` per energy hub (CHP, gas furnace, EES, TES, PV/wind
  capacities, shiftable loads, grid-exchange limit, gas tariff).
* ``utility_price`` ``(T,)``: the main grid's real-time price (yuan/kWh) paid/earned by the
  IEH agent through the main transformer.
* ``transformer_cap`` (kW): main-transformer limit, ``|Σ_h P_h,t| ≤ cap``.
* ``renewable``, ``elec_load``, ``heat_load``: level -> ``(N, T)`` arrays (kW) for the levels
  ``"actual"`` (the realisation) and the forecasts ``"day-ahead"``, ``"intra-day"``,
  ``"real-time"``. :meth:`Scenario.profile` picks a hub's values for a stage.

Forecast errors (the paper's levels were lost in extraction)
------------------------------------------------------------
``forecast = actual · (1 + ε)``, ``ε ~ N(0, σ)`` truncated to ±3σ, independent per hub,
period, quantity and level. Standard deviations (typical of the multi-time-scale scheduling
literature the paper cites as [8]):

=============  ==========  =========  ==========
quantity        day-ahead   intra-day  real-time
=============  ==========  =========  ==========
renewables      10 %        5 %        2 %
loads (e & h)   5 %         3 %        1 %
=============  ==========  =========  ==========

Renewable forecasts are clipped to ``[0, installed capacity]``. Shiftable-load totals,
equipment and prices are known exactly. In a rolling real-time stage starting at period t
(level ``"rolling"``, :meth:`Scenario.level_rows`) period t is measured (actual values: it is
dispatched now), t+1 uses the real-time forecast, t+2..t+4 the intra-day one and later
periods the day-ahead one; so what is dispatched is physically consistent with the
realisation. A plan made on forecasts can still leave a later stage without a feasible
dispatch of the hard model (e.g. a store that must empty into the last hour's heat demand,
which turns out lower): unserved demand and a missed end-of-day SOC are therefore priced
(:data:`LOST_LOAD_VALUE`, :data:`END_SOC_PENALTY`) rather than forbidden.

Clock and price periods
-----------------------
Period t covers ``[t, t+1)`` h for T = 24. Valley ("night", :attr:`Scenario.night`): periods
starting 23:00–05:00 (t = 23, 0..5; the paper's "24:00–6:00" in hour-ending labels); high
("day", :attr:`Scenario.day`): 07:00–23:00 (t = 7..22); 06:00–07:00 is a morning ramp
(≈0.62 yuan/kWh), in neither set. The hourly curve is :data:`UTILITY_PRICE_HOURLY` times
(1 + 3 % seeded noise).

Transformer congestion
----------------------
Cheap night power (23:00–06:00, ≈0.3 yuan/kWh) makes hubs charge their EES and run their
shiftable electric loads at night, whereas by day (07:00–23:00, 0.8–1.2 yuan/kWh) their
CHPs (electricity at ≈0.5 yuan/kWh when the heat is used), PV and EES cut imports. The
case's transformer limit is calibrated in :func:`gamecore.cases.ieh.calibrate_transformer`
from the uncongested aggregate import (every hub's best response to the utility price):
``cap = 1.2 × max(day-time import peak, export peak)``, which lies below the night import
peak, so the limit binds at night and is slack by day. Without calibration
(:func:`make_scenario` alone) a provisional ``cap = CAP_RATIO · Σ_h mean electric load`` is
used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from gamecore.cases.base import case_arguments
from gamecore.energy.storage import Storage

# ------------------------------------------------------------------------- constants
GAS_PRICE_PER_M3 = 3.3        #: yuan/m³ (paper)
GAS_DENSITY = 0.79            #: kg/m³ (paper)
GAS_HEATING_VALUE = 45.0      #: MJ/kg (paper)
MJ_PER_KWH = 3.6
#: gas energy per m³: 0.79 kg/m³ · 45 MJ/kg / 3.6 MJ/kWh = 9.875 kWh/m³
GAS_KWH_PER_M3 = GAS_DENSITY * GAS_HEATING_VALUE / MJ_PER_KWH
#: gas price per kWh of fuel: 3.3 / 9.875 = 0.334177... yuan/kWh
GAS_PRICE = GAS_PRICE_PER_M3 / GAS_KWH_PER_M3

PRICE_MIN, PRICE_MAX = 0.0, 1.5   #: local electricity price bounds (yuan/kWh, paper)
#: value of lost load (yuan/kWh): price of electric or heat demand a hub leaves unserved.
#: ≈6.7× the local price cap; above any marginal value of energy in the hub model (price ≤ 1.5
#: over a storage round trip ≥ 0.8 efficient is ≤ 1.9; CHP electricity ≈ 1.1; furnace heat ≈ 0.4),
#: so the shedding is exact: zero whenever the demand can be met.
LOST_LOAD_VALUE = 10.0
#: price (yuan/kWh) of missing an EES/TES end-of-day SOC target, see
#: :func:`gamecore.energy.storage.storage_model`; exact by the same argument.
END_SOC_PENALTY = 10.0
LEVELS = ("day-ahead", "intra-day", "real-time")
#: forecast error standard deviations (fraction of the actual value), see module docstring
RENEWABLE_ERROR = {"day-ahead": 0.10, "intra-day": 0.05, "real-time": 0.02}
LOAD_ERROR = {"day-ahead": 0.05, "intra-day": 0.03, "real-time": 0.01}
#: provisional transformer limit / Σ mean non-shiftable electric load (see module docstring)
CAP_RATIO = 1.0
#: periods after the current one that use the intra-day forecast in a "rolling" stage
INTRADAY_WINDOW = 3
#: memory of a scenario (bytes) per hub and per hub × period, :func:`make_scenario` alone (peak
#: RSS measured at 2000–20000 hubs × 4–480 periods: ≈ 2.2 kB + 150 B per period per hub;
#: rounded up). The ``ieh`` case's followers take far more, see ``gamecore.cases.ieh``.
BYTES_PER_HUB = 4_000
BYTES_PER_HUB_PERIOD = 200

#: utility real-time price by clock hour [h, h+1) (yuan/kWh): valley 23:00–06:00, morning
#: ramp 06:00–07:00, high 07:00–23:00 with a late-morning and an evening peak.
UTILITY_PRICE_HOURLY = np.array([
    0.32, 0.30, 0.28, 0.28, 0.29, 0.31,                     # 00–06 valley
    0.62,                                                   # 06–07 ramp
    0.86, 0.96, 1.06, 1.14, 1.12, 0.98, 0.90, 0.93, 1.00,   # 07–16
    1.08, 1.15, 1.20, 1.18, 1.10, 0.98, 0.86,               # 16–23 evening peak
    0.36,                                                   # 23–24 valley
])

# Normalised daily shapes by clock hour (mean 1 over the day), used for the non-shiftable
# loads. Residential: night trough, morning and evening peaks. Commercial: office hours.
# Industrial: two-shift operation, flat with a day plateau.
_ELEC_SHAPES = {
    "residential": [0.55, 0.50, 0.48, 0.47, 0.48, 0.55, 0.75, 1.00, 1.05, 0.95, 0.90, 0.92,
                    0.95, 0.90, 0.88, 0.92, 1.05, 1.30, 1.60, 1.75, 1.70, 1.45, 1.10, 0.80],
    "commercial": [0.40, 0.38, 0.37, 0.37, 0.38, 0.42, 0.55, 0.95, 1.40, 1.60, 1.65, 1.65,
                   1.55, 1.60, 1.65, 1.60, 1.50, 1.35, 1.10, 0.90, 0.75, 0.60, 0.50, 0.45],
    "industrial": [0.85, 0.82, 0.80, 0.80, 0.82, 0.88, 0.95, 1.08, 1.15, 1.18, 1.18, 1.12,
                   1.05, 1.15, 1.18, 1.15, 1.10, 1.05, 1.00, 0.98, 0.95, 0.92, 0.90, 0.88],
}
# Heat (space heating + hot water; process heat for industry).
_HEAT_SHAPES = {
    "residential": [0.85, 0.80, 0.80, 0.82, 0.90, 1.10, 1.40, 1.45, 1.20, 0.95, 0.85, 0.80,
                    0.78, 0.75, 0.75, 0.80, 0.90, 1.10, 1.30, 1.35, 1.30, 1.20, 1.05, 0.95],
    "commercial": [0.50, 0.48, 0.48, 0.50, 0.55, 0.70, 1.00, 1.45, 1.60, 1.50, 1.40, 1.30,
                   1.25, 1.25, 1.25, 1.25, 1.20, 1.10, 0.95, 0.80, 0.70, 0.60, 0.55, 0.52],
    "industrial": [0.95, 0.95, 0.95, 0.95, 0.96, 0.98, 1.00, 1.05, 1.05, 1.05, 1.05, 1.02,
                   1.00, 1.03, 1.05, 1.05, 1.03, 1.00, 0.98, 0.97, 0.96, 0.96, 0.95, 0.95],
}
KINDS = ("residential", "commercial", "industrial")


@dataclass(frozen=True)
class HubData:
    """Equipment and contracts of one energy hub (privately known to that hub).

    Attributes:
        name: hub label (``"hub00"``...).
        mix: weights of residential/commercial/industrial demand (sum 1).
        mean_load: mean non-shiftable electric load (kW), the hub's size.
        grid_max: limit of its grid exchange with the IEH bus, import and export (kW).
        chp_gas_max: CHP fuel input capacity (kW of gas); ``chp_eta_e`` (0.30–0.35) and
            ``chp_eta_h`` (0.40–0.45): gas → electricity / heat efficiencies.
        gf_gas_max: gas-furnace fuel capacity (kW of gas); ``gf_eta`` (0.85–0.90).
        ees, tes: electric and thermal storage (:class:`~gamecore.energy.storage.Storage`).
        pv_cap, wind_cap: installed renewable capacity (kW).
        elec_shift_total, heat_shift_total: daily energy of the shiftable electric / thermal
            load (kWh) that must be served within the day.
        elec_shift_max, heat_shift_max: per-period maximum rate of those loads (kW), ``(T,)``.
        gas_price: gas tariff (yuan per kWh of gas).
        dt: period length (h).
        export_max: export limit (kW) when tighter than ``grid_max`` (``None`` = ``grid_max``).
        lost_load_value: price (yuan/kWh) of unserved electric or heat demand; ``None`` = the
            demand is a hard constraint (the paper's model, which a rolling horizon cannot
            always keep feasible: see :mod:`gamecore.cases.ieh`).
        end_soc_penalty: price (yuan/kWh) of missing the EES/TES end-of-day SOC target;
            ``None`` = hard target.
    """

    name: str
    mix: tuple[float, float, float]
    mean_load: float
    grid_max: float
    chp_gas_max: float
    chp_eta_e: float
    chp_eta_h: float
    gf_gas_max: float
    gf_eta: float
    ees: Storage
    tes: Storage
    pv_cap: float
    wind_cap: float
    elec_shift_total: float
    heat_shift_total: float
    elec_shift_max: np.ndarray = field(repr=False)
    heat_shift_max: np.ndarray = field(repr=False)
    gas_price: float = GAS_PRICE
    dt: float = 1.0
    export_max: float | None = None
    lost_load_value: float | None = LOST_LOAD_VALUE
    end_soc_penalty: float | None = END_SOC_PENALTY

    def __post_init__(self) -> None:
        for name in ("lost_load_value", "end_soc_penalty"):
            value = getattr(self, name)
            if value is not None and not (np.isfinite(value) and value > 0):
                raise ValueError(f"hub '{self.name}': {name} must be a positive finite price (yuan/kWh) "
                                 f"or None for a hard constraint, got {value}")

    @property
    def export_limit(self) -> float:
        """Export limit (kW): ``export_max`` or ``grid_max``."""
        return self.grid_max if self.export_max is None else float(self.export_max)

    @property
    def periods(self) -> int:
        """Periods in the day, T."""
        return int(np.asarray(self.elec_shift_max).size)


@dataclass(frozen=True)
class HubProfile:
    """What a hub expects over a stage's horizon (kW, each ``(H,)``): the uncertain data."""

    renewable: np.ndarray
    elec_load: np.ndarray
    heat_load: np.ndarray

    @property
    def horizon(self) -> int:
        return int(np.asarray(self.renewable).size)


@dataclass
class Scenario:
    """A full IEH scenario: hubs, prices, transformer and forecast/realised profiles.

    ``renewable``, ``elec_load``, ``heat_load`` map a level (``"actual"``, ``"day-ahead"``,
    ``"intra-day"``, ``"real-time"``) to an ``(N, T)`` array in kW.
    """

    hubs: list[HubData]
    utility_price: np.ndarray
    transformer_cap: float
    renewable: dict[str, np.ndarray]
    elec_load: dict[str, np.ndarray]
    heat_load: dict[str, np.ndarray]
    seed: int
    gas_price: float = GAS_PRICE
    price_bounds: tuple[float, float] = (PRICE_MIN, PRICE_MAX)
    intraday_window: int = INTRADAY_WINDOW

    @property
    def n_hubs(self) -> int:
        return len(self.hubs)

    @property
    def periods(self) -> int:
        return int(self.utility_price.size)

    @property
    def dt(self) -> float:
        return 24.0 / self.periods

    @property
    def hours(self) -> np.ndarray:
        """Clock hour at the start of each period, ``(T,)``."""
        return np.arange(self.periods) * self.dt

    @property
    def night(self) -> np.ndarray:
        """Valley periods (start in 23:00–06:00), boolean ``(T,)``."""
        h = self.hours
        return (h >= 23.0) | (h < 6.0)

    @property
    def day(self) -> np.ndarray:
        """High-price periods (start in 07:00–23:00), boolean ``(T,)``; 06:00–07:00 is neither."""
        h = self.hours
        return (h >= 7.0) & (h < 23.0)

    def subset(self, hubs: Sequence[int], transformer_cap: float | None = None) -> Scenario:
        """The scenario of the hubs at indices ``hubs`` only, same data (e.g. one hub of a
        1000-hub scenario); ``transformer_cap`` (kW) defaults to this scenario's."""
        idx = [int(i) for i in hubs]
        bad = [i for i in idx if not 0 <= i < self.n_hubs]
        if not idx or bad:
            raise ValueError(f"subset: hub indices must be in [0, {self.n_hubs}), got {list(hubs)}")

        def rows(data: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            return {level: values[idx].copy() for level, values in data.items()}

        cap = self.transformer_cap if transformer_cap is None else float(transformer_cap)
        return replace(self, hubs=[self.hubs[i] for i in idx], transformer_cap=cap, renewable=rows(self.renewable),
                       elec_load=rows(self.elec_load), heat_load=rows(self.heat_load))

    def level_rows(self, start: int, level: str) -> list[str]:
        """Which data level each period of ``[start, T)`` uses.

        ``level`` is one of ``"actual"``, ``"day-ahead"``, ``"intra-day"``, ``"real-time"``
        (the same level for every period) or ``"rolling"``: the current period ``start``
        is measured (``"actual"``), the next one uses the real-time forecast, the
        ``intraday_window`` after it the intra-day forecast and the rest the day-ahead one.
        """
        horizon = self.periods - start
        if level in ("actual",) + LEVELS:
            return [level] * horizon
        if level != "rolling":
            raise ValueError(f"level must be one of {('actual',) + LEVELS + ('rolling',)}, got {level!r}")
        rows = []
        for k in range(horizon):
            rows.append("actual" if k == 0 else "real-time" if k == 1
                        else "intra-day" if k <= 1 + self.intraday_window else "day-ahead")
        return rows

    def profile(self, hub: int, start: int = 0, level: str = "day-ahead") -> HubProfile:
        """Hub ``hub``'s renewable and load values for periods ``[start, T)`` at ``level``."""
        if not 0 <= start < self.periods:
            raise ValueError(f"start must be in [0, {self.periods}), got {start}")
        rows = self.level_rows(start, level)
        cols = np.arange(start, self.periods)

        def pick(data: dict[str, np.ndarray]) -> np.ndarray:
            return np.array([data[lv][hub, t] for lv, t in zip(rows, cols)])

        return HubProfile(pick(self.renewable), pick(self.elec_load), pick(self.heat_load))


# ------------------------------------------------------------------------ generation
def _by_hour(hourly: np.ndarray, periods: int) -> np.ndarray:
    """Sample a 24-value clock-hour profile at the midpoints of ``periods`` periods."""
    mids = (np.arange(periods) + 0.5) * 24.0 / periods
    hours = np.arange(24) + 0.5
    return np.interp(mids, np.concatenate([hours - 24, hours, hours + 24]), np.tile(hourly, 3))


def utility_price(periods: int, rng: np.random.Generator) -> np.ndarray:
    """Real-time utility price (yuan/kWh), ``(T,)``: the hourly curve ×(1 + 3 % noise), in [0.05, 1.45]."""
    base = _by_hour(UTILITY_PRICE_HOURLY, periods)
    return np.clip(base * (1.0 + 0.03 * rng.standard_normal(periods)), 0.05, 1.45)


def pv_shape(periods: int) -> np.ndarray:
    """Clear-sky PV output per kW installed: sine between 06:00 and 18:00, peak 0.85 at noon."""
    mids = (np.arange(periods) + 0.5) * 24.0 / periods
    return np.clip(0.85 * np.sin(np.pi * (mids - 6.0) / 12.0), 0.0, None)


def wind_shape(periods: int, rng: np.random.Generator) -> np.ndarray:
    """Wind output per kW installed: stronger at night (mean ≈0.35) plus a smooth random walk."""
    mids = (np.arange(periods) + 0.5) * 24.0 / periods
    walk = np.cumsum(rng.normal(0.0, 0.04, periods))
    walk -= walk.mean()
    return np.clip(0.35 + 0.15 * np.cos(2 * np.pi * (mids - 2.0) / 24.0) + walk, 0.02, 0.95)


def _mixed_shape(shapes: dict[str, list[float]], mix: np.ndarray, periods: int, rng: np.random.Generator) -> np.ndarray:
    raw = sum(w * np.asarray(shapes[k]) for w, k in zip(mix, KINDS))
    shape = _by_hour(raw, periods) * (1.0 + 0.03 * rng.standard_normal(periods))   # hub-specific wiggle
    return shape / shape.mean()


def make_hub(index: int, periods: int, rng: np.random.Generator) -> tuple[HubData, np.ndarray, np.ndarray, np.ndarray]:
    """Draw one hub: its data and its actual renewable, electric and heat profiles ``(T,)`` kW.

    Sizes are diverse: the mean electric load is log-uniform in [150, 1500] kW. Ranges:
    heat/electric mean ratio 0.5–1.1; PV 0.1–0.8 × mean load (every fifth hub 1.2–2.0 ×,
    a PV-rich hub), wind 0.1–0.5 × on half the hubs; CHP electric capacity 0.3–0.7 × mean
    load; furnace sized for the peak heat plus the shiftable heat rate (×1.1–1.3), so heat
    is always feasible; EES 1–3 h of mean load, charged/discharged in 3–5 h, efficiencies
    0.92–0.96, SOC in [0.1, 0.9], 0.5 at the start and end of the day; TES 1–4 h of mean heat,
    2–4 h rate, efficiencies 0.90–0.95; shiftable electric energy 10–25 % and thermal 5–15 %
    of the daily non-shiftable energy, each at most total/(5–10 h) per hour; grid exchange
    limit 1.2 × (peak load + shiftable rate + EES charge rate), so every hub can always
    run on the grid alone; PV-rich hubs may export only 0.2–0.5 × mean load (a typical
    export cap of a distribution connection), so they curtail PV at midday — where the
    storage relaxation of Sec. II-C matters.
    """
    dt = 24.0 / periods
    mix = rng.dirichlet([1.0, 1.0, 1.0])
    mean_e = float(np.exp(rng.uniform(np.log(150.0), np.log(1500.0))))
    mean_h = mean_e * rng.uniform(0.5, 1.1)
    elec = mean_e * _mixed_shape(_ELEC_SHAPES, mix, periods, rng)
    heat = mean_h * _mixed_shape(_HEAT_SHAPES, mix, periods, rng)
    pv_cap = mean_e * (rng.uniform(2.0, 3.0) if index % 5 == 4 else rng.uniform(0.1, 0.8))   # every 5th: PV-rich
    wind_cap = mean_e * rng.uniform(0.1, 0.5) if rng.random() < 0.5 else 0.0
    renewable = pv_cap * pv_shape(periods) + wind_cap * wind_shape(periods, rng)
    eta_e, eta_h = rng.uniform(0.30, 0.35), rng.uniform(0.40, 0.45)
    chp_gas_max = mean_e * rng.uniform(0.3, 0.7) / eta_e
    gf_eta = rng.uniform(0.85, 0.90)
    e_shift_total = rng.uniform(0.10, 0.25) * elec.sum() * dt
    h_shift_total = rng.uniform(0.05, 0.15) * heat.sum() * dt
    e_shift_rate = e_shift_total / rng.uniform(5.0, 10.0)
    h_shift_rate = h_shift_total / rng.uniform(5.0, 10.0)
    gf_gas_max = (heat.max() * 1.1 + h_shift_rate) * rng.uniform(1.1, 1.3) / gf_eta
    ees_cap = mean_e * rng.uniform(1.0, 3.0)
    ees_rate = ees_cap / rng.uniform(3.0, 5.0)
    ees = Storage(ees_cap, ees_rate, ees_rate, 0.1, 0.9, 0.5, 0.5,
                  rng.uniform(0.92, 0.96), rng.uniform(0.92, 0.96), dt, name="ees")
    tes_cap = mean_h * rng.uniform(1.0, 4.0)
    tes_rate = tes_cap / rng.uniform(2.0, 4.0)
    tes = Storage(tes_cap, tes_rate, tes_rate, 0.1, 0.9, 0.5, 0.5,
                  rng.uniform(0.90, 0.95), rng.uniform(0.90, 0.95), dt, name="tes")
    grid_max = 1.2 * (elec.max() * 1.1 + e_shift_rate + ees_rate)
    pv_rich = index % 5 == 4
    export_max = float(mean_e * rng.uniform(0.2, 0.5)) if pv_rich else None
    hub = HubData(
        name=f"hub{index:02d}" if index < 100 else f"hub{index}", mix=(float(mix[0]), float(mix[1]), float(mix[2])),
        mean_load=mean_e, grid_max=float(grid_max),
        chp_gas_max=float(chp_gas_max), chp_eta_e=float(eta_e), chp_eta_h=float(eta_h),
        gf_gas_max=float(gf_gas_max), gf_eta=float(gf_eta), ees=ees, tes=tes,
        pv_cap=float(pv_cap), wind_cap=float(wind_cap),
        elec_shift_total=float(e_shift_total), heat_shift_total=float(h_shift_total),
        elec_shift_max=np.full(periods, e_shift_rate), heat_shift_max=np.full(periods, h_shift_rate),
        gas_price=GAS_PRICE, dt=dt, export_max=export_max)
    return hub, renewable, elec, heat


def _forecast(actual: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    eps = np.clip(rng.standard_normal(actual.shape), -3.0, 3.0) * sigma
    return actual * (1.0 + eps)


def make_scenario(hubs: int = 15, periods: int = 24, seed: int = 0,
                  transformer_cap: float | None = None, max_memory_gb: float | None = None) -> Scenario:
    """Generate a scenario with ``hubs`` energy hubs over ``periods`` periods from ``seed``.

    Deterministic: the same arguments give identical arrays. Hub ``i``'s data depend only on
    ``(seed, i, periods)``, so the first hubs of a larger scenario equal a smaller one's; the
    forecast errors depend on ``(seed, hubs, periods)``. ``transformer_cap`` (kW) defaults to
    the provisional ``CAP_RATIO · Σ_h mean_load``; the ``ieh`` case calibrates it instead.

    Raises:
        ValueError: ``hubs`` / ``periods`` not an integer >= 1, ``seed`` not a non-negative
            integer, ``transformer_cap`` not > 0; (``ResourceLimitError``) an estimated memory
            ``hubs × (BYTES_PER_HUB + BYTES_PER_HUB_PERIOD × periods)`` above the limit
            (``max_memory_gb`` GB, see :mod:`gamecore.limits`). All checked before any data is drawn.
    """
    hubs, periods, seed = case_arguments("ieh", hubs, periods, seed, bytes_per_agent=BYTES_PER_HUB,
                                         bytes_per_agent_period=BYTES_PER_HUB_PERIOD,
                                         max_memory_gb=max_memory_gb, agents_label="hubs")
    if transformer_cap is not None and not (isinstance(transformer_cap, (int, float, np.floating))
                                            and not isinstance(transformer_cap, bool)
                                            and np.isfinite(transformer_cap) and transformer_cap > 0):
        raise ValueError(f"case 'ieh': transformer_cap must be a finite number > 0 (kW) or None, "
                         f"got {transformer_cap!r}")
    price_rng = np.random.default_rng([seed, 0])
    price = utility_price(periods, price_rng)
    hub_list, ren, elec, heat = [], [], [], []
    for i in range(hubs):
        hub, r, e, h = make_hub(i, periods, np.random.default_rng([seed, 1, i]))
        hub_list.append(hub); ren.append(r); elec.append(e); heat.append(h)
    actual = {"renewable": np.array(ren), "elec_load": np.array(elec), "heat_load": np.array(heat)}
    caps = np.array([h.pv_cap + h.wind_cap for h in hub_list])[:, None]
    err_rng = np.random.default_rng([seed, 2, hubs, periods])
    data: dict[str, dict[str, np.ndarray]] = {k: {"actual": v} for k, v in actual.items()}
    for level in LEVELS:
        data["renewable"][level] = np.clip(_forecast(actual["renewable"], RENEWABLE_ERROR[level], err_rng), 0.0, caps)
        for key in ("elec_load", "heat_load"):
            data[key][level] = np.maximum(_forecast(actual[key], LOAD_ERROR[level], err_rng), 0.0)
    cap = CAP_RATIO * float(sum(h.mean_load for h in hub_list)) if transformer_cap is None else float(transformer_cap)
    if not cap > 0:
        raise ValueError(f"transformer_cap must be > 0 kW, got {cap}")
    return Scenario(hub_list, price, cap, data["renewable"], data["elec_load"], data["heat_load"], seed)
