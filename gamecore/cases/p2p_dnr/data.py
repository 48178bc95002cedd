"""Data of the ``p2p-dnr`` case: prosumers on the IEEE 33-bus feeder, prices, trading costs.

Every number is *ours* (the seed's abstract gives none); the feeder, its loads and the load
shape are the network package's (:func:`gamecore.network.load_feeder`, Baran & Wu loads,
:data:`gamecore.network.data.HOURLY_LOAD_FACTOR` the IEEE RTS-79 winter weekday shape, each
period of ``24/T`` hours at the largest factor of its hours, so ``T = 1`` is the peak).

Units: power kW (the average over a period), energy kWh, money $, prices $/kWh; ``dt`` =
hours per period.

**Placement.** The feeder's load buses (32 in IEEE 33) are put in a seeded random order and
prosumer ``k`` sits at the ``(k mod 32)``-th of them; the prosumers at a bus share its load
equally (its *preferred* load ``d_t`` = share × nominal load × the period's factor). Buses
without a prosumer keep their load as a passive load (bought from the grid outside the
market). Reactive loads stay the buses' nominal ones × the factor (the prosumers trade active
energy only). ``agents = 32`` puts one prosumer at every load bus.

**Resources** (``resources=True``; all drawn from ``seed``):

* PV on :data:`PV_SHARE` of the prosumers, capacity ``U(0.6, 1.6)`` × the prosumer's peak
  load, hourly shape :data:`PV_SHAPE` (clear day, peak at noon), per period the mean over its
  hours (energy-conserving); curtailable.
* a battery on :data:`BATTERY_SHARE` of them: power ``0.3`` × peak load, 2 h of energy,
  efficiency 0.95 each way, state of charge from 10 % to 100 %, starting and ending at 50 %;
  wear cost :data:`BATTERY_WEAR` ``$/kW²·h`` on charge and discharge (makes responses unique).
* flexible load: each period's load within ``(1 ± FLEX) d_t``, the day's energy kept,
  discomfort ``α (ℓ_t − d_t)² dt`` with ``α`` ``U(0.5, 1.5)`` × :data:`DISCOMFORT`.

With ``resources=False`` a prosumer's load is its preferred load and it has nothing else.

**The grid** (agent ``grid``, at the substation) sells at the time-of-use retail price
:data:`RETAIL_PRICE` and buys back at the feed-in price :data:`FEED_IN_PRICE`, up to
:data:`GRID_CAPACITY_KW` each way.

**Trading costs** (every pair of agents may trade): a trade of ``t`` kW between agents ``a``
and ``b`` costs each side ``(c_ab |t| + κ t² / 2) dt``: ``c_ab`` = :data:`PREFERENCE_GRID`
for the grid, else :data:`PREFERENCE_PEER` × (path length between their buses) / (longest
path) — prosumers prefer close peers, as in Sorin et al.'s product differentiation — and ``κ``
= :data:`TRADE_QUADRATIC`, a small transaction cost that makes the bilateral trades unique
(with linear costs only the net positions are).
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from gamecore.cases.daily import period_means
from gamecore.network.data import HOURLY_LOAD_FACTOR, Feeder, load_feeder, load_profile

#: name of the grid agent (the retailer at the substation)
GRID = "grid"
#: time-of-use retail price per hour of the day, $/kWh (ours: off-peak 0–7 h, peak 17–21 h)
RETAIL_PRICE: tuple[float, ...] = tuple(0.08 if h < 7 else 0.18 if 17 <= h < 21 else 0.12 for h in range(24))
#: price the grid pays for energy fed back, $/kWh (ours)
FEED_IN_PRICE: float = 0.04
#: the grid's limit on sales and purchases, kW (well above the feeder's 3.7 MW peak)
GRID_CAPACITY_KW: float = 10_000.0
#: linear trading preference with the grid, $/kWh
PREFERENCE_GRID: float = 0.004
#: linear trading preference between the two most distant prosumers, $/kWh
PREFERENCE_PEER: float = 0.002
#: quadratic transaction cost of a bilateral trade, $/kW²·h
TRADE_QUADRATIC: float = 2e-5
#: shares of prosumers with PV / with a battery
PV_SHARE: float = 0.7
BATTERY_SHARE: float = 0.5
#: load flexibility: ± fraction of the preferred load per period
FLEX: float = 0.2
#: discomfort coefficient scale, $/kW²·h
DISCOMFORT: float = 2e-4
#: battery wear cost, $/kW²·h
BATTERY_WEAR: float = 1e-5
#: clear-day PV output per hour, per-unit of capacity (sunrise 6 h, noon peak, sunset 19 h)
PV_SHAPE: tuple[float, ...] = tuple(max(0.0, float(np.sin(np.pi * (h + 0.5 - 6.0) / 13.0))) for h in range(24))


@dataclass(frozen=True)
class Prosumer:
    """One prosumer (``T`` periods).

    Attributes:
        name: agent name (``"P01"``...).
        bus: its bus (position in the feeder's bus arrays).
        load_kw: ``(T,)`` preferred load.
        pv_kw: ``(T,)`` available PV output (zeros without PV).
        battery_kw, battery_kwh: battery power and energy (0 without one).
        flex: load flexibility (fraction, 0 = fixed load).
        discomfort: ``α``, $/kW²·h.
    """

    name: str
    bus: int
    load_kw: np.ndarray
    pv_kw: np.ndarray
    battery_kw: float
    battery_kwh: float
    flex: float
    discomfort: float

    @property
    def min_net_kw(self) -> np.ndarray:
        """``(T,)`` smallest possible net withdrawal (all PV, full discharge, least load)."""
        return (1 - self.flex) * self.load_kw - self.pv_kw - self.battery_kw

    @property
    def max_net_kw(self) -> np.ndarray:
        """``(T,)`` largest possible net withdrawal (no PV, full charge, most load)."""
        return (1 + self.flex) * self.load_kw + self.battery_kw


@dataclass(frozen=True)
class Scenario:
    """Everything the case is built from (``T`` periods, ``N`` buses).

    Attributes:
        feeder: the feeder.
        periods: ``T``.
        dt: hours per period.
        load_factor: ``(T,)`` per-unit of the peak load.
        prosumers: the prosumers.
        passive_p_kw: ``(N, T)`` loads of the buses without a prosumer (0 elsewhere).
        q_kw: ``(N, T)`` reactive loads of every bus, kvar.
        retail_price, feed_in_price: ``(T,)`` the grid's selling / buying price, $/kWh.
        preference: ``(A, A)`` linear trading preference ``c_ab`` between agents (the grid last), $/kWh.
        trade_quadratic: ``κ``, $/kW²·h.
        max_switching: switching operations allowed over the day (None: no limit).
        resources: whether the prosumers have PV, batteries and flexibility.
    """

    feeder: Feeder
    periods: int
    dt: float
    load_factor: np.ndarray
    prosumers: tuple[Prosumer, ...]
    passive_p_kw: np.ndarray
    q_kw: np.ndarray
    retail_price: np.ndarray
    feed_in_price: np.ndarray
    preference: np.ndarray
    trade_quadratic: float
    max_switching: int | None
    resources: bool

    @property
    def agents(self) -> list[str]:
        """Every market agent: the prosumers, then the grid."""
        return [p.name for p in self.prosumers] + [GRID]

    @property
    def bus_of(self) -> dict[str, int]:
        """Agent -> bus (the grid at the substation)."""
        out = {p.name: p.bus for p in self.prosumers}
        out[GRID] = self.feeder.root
        return out

    def bus_withdrawal_kw(self, net_kw: dict[str, np.ndarray]) -> np.ndarray:
        """``(N, T)`` active withdrawal per bus: passive loads + the prosumers' net withdrawals ``net_kw``."""
        p = self.passive_p_kw.copy()
        for pro in self.prosumers:
            p[pro.bus] += np.asarray(net_kw[pro.name], float)
        return p


def load_buses(feeder: Feeder) -> np.ndarray:
    """Positions of the buses with a positive nominal active load."""
    return np.flatnonzero(feeder.p_load_pu > 0)


def _preferences(feeder: Feeder, buses: list[int]) -> np.ndarray:
    """``(A, A)`` preferences of agents at ``buses`` (the grid last), see the module docstring."""
    g = nx.Graph()
    closed = feeder.initially_closed
    g.add_edges_from(zip(feeder.from_bus[closed].tolist(), feeder.to_bus[closed].tolist()))
    hops = dict(nx.all_pairs_shortest_path_length(g))
    n = len(buses)
    dist = np.array([[hops[a][b] for b in buses] for a in buses], float)
    pref = np.zeros((n + 1, n + 1))
    pref[:n, :n] = PREFERENCE_PEER * dist / max(float(dist.max()), 1.0)
    pref[n, :n] = pref[:n, n] = PREFERENCE_GRID
    return pref


def make_scenario(agents: int, periods: int, seed: int = 0, resources: bool = True,
                  max_switching: int | None = None, feeder: Feeder | None = None) -> Scenario:
    """The scenario of ``agents`` prosumers over ``periods`` periods (module docstring).

    Raises:
        ValueError: ``periods`` does not divide 24.
    """
    feeder = load_feeder("ieee33") if feeder is None else feeder
    lf = load_profile(periods)
    dt = 24.0 / periods
    rng = np.random.default_rng(seed)
    buses = load_buses(feeder)
    order = rng.permutation(buses)
    where = [int(order[k % len(order)]) for k in range(agents)]
    count = {b: where.count(b) for b in set(where)}
    kw = feeder.s_base_mva * 1000.0
    pv_shape = period_means(np.asarray(PV_SHAPE), periods)
    prosumers = []
    for k, bus in enumerate(where):
        peak = feeder.p_load_pu[bus] * kw / count[bus]
        load = peak * lf
        has_pv = resources and rng.random() < PV_SHARE
        pv = rng.uniform(0.6, 1.6) * peak * pv_shape if has_pv else np.zeros(periods)
        has_battery = resources and rng.random() < BATTERY_SHARE
        power = 0.3 * peak if has_battery else 0.0
        alpha = rng.uniform(0.5, 1.5) * DISCOMFORT
        prosumers.append(Prosumer(f"P{k + 1:02d}" if agents < 100 else f"P{k + 1:03d}", bus, load, pv, power,
                                  2.0 * power, FLEX if resources else 0.0, alpha))
    passive = np.outer(feeder.p_load_pu, lf) * kw
    passive[list(count)] = 0.0
    retail = period_means(np.asarray(RETAIL_PRICE), periods)
    return Scenario(feeder=feeder, periods=periods, dt=dt, load_factor=lf, prosumers=tuple(prosumers),
                    passive_p_kw=passive, q_kw=np.outer(feeder.q_load_pu, lf) * kw, retail_price=retail,
                    feed_in_price=np.full(periods, FEED_IN_PRICE),
                    preference=_preferences(feeder, where + [feeder.root]),
                    trade_quadratic=TRADE_QUADRATIC, max_switching=max_switching, resources=resources)


__all__ = ["GRID", "HOURLY_LOAD_FACTOR", "Prosumer", "Scenario", "load_buses", "make_scenario"]
