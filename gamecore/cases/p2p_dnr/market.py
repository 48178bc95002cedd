"""The P2P market of the ``p2p-dnr`` case as an engine market game: one coupling per trading pair.

Agents ``a`` (prosumers, then the grid) trade bilaterally. ``t_ab`` (kW, per period) is what
``a`` buys from ``b`` (negative: sells); follower ``a`` sends, for each partner ``b``, the
output ``trade:<a>|<b>`` (pair names in agent order) = ``t_ab · dt`` (kWh, ``(T,)``), and the
pair's coupling ``t_ab + t_ba = 0`` (reciprocity) is cleared by the pair's price signal
``price:<a>|<b>`` ($/kWh, ``(T,)``) — one price per trade pair, paid by the buyer to the
seller. Only trades and prices cross between agents.

Prosumer ``a`` (:func:`prosumer_follower`) minimises, over the day::

    Σ_t dt [ α (ℓ_t − d_t)² + w (ch_t² + dis_t²) + Σ_b (c_ab |t_ab,t| + κ t_ab,t² / 2) ]
      + Σ_b ⟨price_ab, t_ab dt⟩ + ⟨charge, net dt⟩
    s.t. |t_ab,t| ≤ twice its largest possible net withdrawal or injection (:func:`trade_limit_kw`),
         net_t = ℓ_t − pv_t + ch_t − dis_t = Σ_b t_ab,t,   0 ≤ pv_t ≤ PV_t,
         (1 − f) d_t ≤ ℓ_t ≤ (1 + f) d_t,  Σ_t ℓ_t = Σ_t d_t,
         battery: 0 ≤ ch, dis ≤ P_b, soc_t = soc_{t−1} + (η ch_t − dis_t / η) dt ∈ [0.1 E, E], soc_T = soc_0 = E / 2

``charge`` ($/kWh, ``(T,)``) is the network usage charge at its bus, a *data parameter* set by
the DSO between market clearings (:meth:`gamecore.follower.Follower.set_data`): with nodal
charges ``g``, the charge on a trade ``t_ab`` is ``(g_a − g_b) t_ab`` (buyer's bus minus
seller's bus), which is exactly ``Σ_a g_a net_a`` summed over the agents. The follower also
sends ``net`` (kWh, its net withdrawal × dt), read by the DSO.

The grid (:func:`grid_follower`) sells ``s ≥ 0`` at the retail price and buys ``b ≥ 0`` at
the feed-in price, ``Σ_c t_{grid,c} = b − s``, with the same trading costs; it sits at the
substation (no charge).

The game's centralized welfare problem (the engine's market reference) is the P2P market's
social-welfare problem at the given charges.
"""

from __future__ import annotations

from collections.abc import Mapping

import cvxpy as cp
import numpy as np

from gamecore.cases.p2p_dnr.data import BATTERY_WEAR, GRID, GRID_CAPACITY_KW, Prosumer, Scenario
from gamecore.follower import Follower
from gamecore.game import Game
from gamecore.leader import Leader, MarketCoupling
from gamecore.signals import Signal

#: battery efficiency (each way) and state-of-charge window, fractions of the energy
EFFICIENCY: float = 0.95
SOC_MIN: float = 0.1
SOC_START: float = 0.5
#: price box of every pair price, $/kWh (wide: a pair's price lies between the feed-in and retail
#: prices ± charges and preferences)
PRICE_BOUNDS: tuple[float, float] = (-0.5, 1.0)
#: Clarabel settings of the followers (tight: the trades of a pair must match to 1e-6 kWh)
SOLVER_OPTIONS = {"tol_gap_abs": 1e-9, "tol_gap_rel": 1e-9, "tol_feas": 1e-9}


def pair_name(a: str, b: str, agents: list[str]) -> str:
    """``"<first>|<second>"`` in agent order (the same for ``(a, b)`` and ``(b, a)``)."""
    first, second = (a, b) if agents.index(a) < agents.index(b) else (b, a)
    return f"{first}|{second}"


def _trading(name: str, scenario: Scenario, limit_kw: float):
    """Trade variables of agent ``name`` (each ``|t_ab| ≤ limit_kw``): ``(t, signals, outputs, payment,
    cost, constraints)``."""
    agents = scenario.agents
    me = agents.index(name)
    partners = [b for b in agents if b != name]
    n_t, dt = scenario.periods, scenario.dt
    t = cp.Variable((len(partners), n_t), name=f"{name}_trade")
    pref = np.array([scenario.preference[me, agents.index(b)] for b in partners])
    signals: dict[str, cp.Parameter] = {}
    outputs: dict[str, cp.Expression] = {}
    payment = 0
    for k, b in enumerate(partners):
        pair = pair_name(name, b, agents)
        signals[f"price:{pair}"] = cp.Parameter(n_t, name=f"{name}_price_{pair}")
        outputs[f"trade:{pair}"] = dt * t[k, :]
        payment = payment + signals[f"price:{pair}"] @ outputs[f"trade:{pair}"]
    cost = dt * (cp.sum(cp.multiply(pref[:, None], cp.abs(t))) + scenario.trade_quadratic / 2 * cp.sum_squares(t))
    return t, signals, outputs, payment, cost, [t <= limit_kw, t >= -limit_kw]


#: a bilateral trade is limited to this multiple of the prosumer's largest net position
TRADE_LIMIT_FACTOR: float = 2.0


def trade_limit_kw(pro: Prosumer) -> float:
    """Largest bilateral trade of ``pro`` in either direction, kW: :data:`TRADE_LIMIT_FACTOR` × its
    largest possible net withdrawal or injection. Some limit is needed (with prices at the box's
    ends a prosumer would buy from one peer to resell to another without end); one equal to the
    largest net position would bind at the peak of a prosumer without resources and leave the
    prices of its other pairs undetermined (any price clears a pair whose trade cannot move)."""
    return TRADE_LIMIT_FACTOR * float(max(pro.max_net_kw.max(), (-pro.min_net_kw).max(), 1e-3))


def prosumer_follower(pro: Prosumer, scenario: Scenario) -> Follower:
    """Prosumer ``pro``'s follower (module docstring)."""
    n_t, dt = scenario.periods, scenario.dt
    t, signals, outputs, payment, trade_cost, cons = _trading(pro.name, scenario, trade_limit_kw(pro))
    load = cp.Variable(n_t, name=f"{pro.name}_load")
    pv = cp.Variable(n_t, name=f"{pro.name}_pv")
    net = cp.sum(t, axis=0)
    d = pro.load_kw
    cons += [pv >= 0, pv <= pro.pv_kw]
    if pro.flex > 0:
        cons += [load >= (1 - pro.flex) * d, load <= (1 + pro.flex) * d, cp.sum(load) == float(d.sum())]
    else:
        cons.append(load == d)
    own = dt * pro.discomfort * cp.sum_squares(load - d)
    supplied = load - pv
    if pro.battery_kw > 0:
        ch = cp.Variable(n_t, name=f"{pro.name}_charge", nonneg=True)
        dis = cp.Variable(n_t, name=f"{pro.name}_discharge", nonneg=True)
        e = pro.battery_kwh
        soc = SOC_START * e + dt * cp.cumsum(EFFICIENCY * ch - dis / EFFICIENCY)
        cons += [ch <= pro.battery_kw, dis <= pro.battery_kw, soc >= SOC_MIN * e, soc <= e,
                 soc[n_t - 1] == SOC_START * e]
        supplied = supplied + ch - dis
        own = own + dt * BATTERY_WEAR * (cp.sum_squares(ch) + cp.sum_squares(dis))
    cons.append(net == supplied)
    charge = cp.Parameter(n_t, name=f"{pro.name}_charge_price", value=np.zeros(n_t))
    outputs["net"] = dt * net
    objective = cp.Minimize(own + trade_cost + payment + charge @ outputs["net"])
    return Follower(pro.name, objective, cons, signals, outputs, solver_options=SOLVER_OPTIONS,
                    data={"charge": charge})


def grid_follower(scenario: Scenario) -> Follower:
    """The grid agent's follower (module docstring)."""
    n_t, dt = scenario.periods, scenario.dt
    t, signals, outputs, payment, trade_cost, cons = _trading(GRID, scenario, GRID_CAPACITY_KW)
    sell = cp.Variable(n_t, name="grid_sell", nonneg=True)
    buy = cp.Variable(n_t, name="grid_buy", nonneg=True)
    cons += [cp.sum(t, axis=0) == buy - sell, sell <= GRID_CAPACITY_KW, buy <= GRID_CAPACITY_KW]
    outputs["net"] = dt * cp.sum(t, axis=0)
    own = dt * (scenario.retail_price @ sell - scenario.feed_in_price @ buy)
    return Follower(GRID, cp.Minimize(own + trade_cost + payment), cons, signals, outputs,
                    solver_options=SOLVER_OPTIONS)


def market_leader(scenario: Scenario) -> Leader:
    """The pair prices and the reciprocity couplings of every trading pair."""
    agents = scenario.agents
    signals, couplings = [], []
    lo, hi = PRICE_BOUNDS
    for i, a in enumerate(agents):
        for b in agents[i + 1:]:
            pair = pair_name(a, b, agents)
            signals.append(Signal(f"price:{pair}", (scenario.periods,), lo, hi, unit="$/kWh"))
            couplings.append(MarketCoupling(f"pair:{pair}", signal=f"price:{pair}", output=f"trade:{pair}",
                                            followers=(a, b)))
    return Leader(signals, couplings=couplings, name="p2p-market")


def market_game(scenario: Scenario) -> Game:
    """The P2P market game of ``scenario`` (charges start at 0; the DSO sets them)."""
    followers = [prosumer_follower(p, scenario) for p in scenario.prosumers] + [grid_follower(scenario)]
    return Game(market_leader(scenario), followers, name="p2p-market", reported_outputs=["net"])


def set_charges(game: Game, charges: dict[str, np.ndarray]) -> None:
    """Set every prosumer's nodal charge ($/kWh, ``(T,)``; prosumers missing from ``charges`` get 0)."""
    for f in game.followers:
        if "charge" in f.data_names:
            f.set_data({"charge": charges.get(f.name, np.zeros(f.program.data_shapes["charge"]))})


def trade_matrix(scenario: Scenario, outputs: Mapping[str, Mapping[str, np.ndarray]]) -> np.ndarray:
    """``(A, A, T)`` purchases ``t_ab`` in kW (row buys from column) from the followers' outputs."""
    agents = scenario.agents
    n = len(agents)
    out = np.zeros((n, n, scenario.periods))
    for i, a in enumerate(agents):
        for j, b in enumerate(agents):
            if i != j:
                out[i, j] = np.asarray(outputs[a][f"trade:{pair_name(a, b, agents)}"], float) / scenario.dt
    return out
