"""The IES follower program of the ``county`` case, composed from :mod:`gamecore.energy` components.

IES ``i`` over the periods ``[s, s + H)`` of a stage (kW, kWh, yuan; ``dt`` h)::

    minimize   Σ_t dt·λ_t·P_t + fuel(CHP) + fuel(boiler) + v·dt·Σ_t (U^e_t + U^h_t) + c_soc·Σ end misses
               + w·Σ_t P_t² + τ·Σ_t (ch² + dis² + S²)                         (regularizers, w, τ ≥ 0)
    s.t.  P_t + P^chp_t + (R_t − C_t) + dis^b_t − ch^b_t + U^e_t = L^e_t + S_t + P^hp_t     electric bus
          H^chp_t + H^boiler_t + COP_t·P^hp_t + dis^tes_t − ch^tes_t + U^h_t = L^h_t      heat bus
          −export_max ≤ P_t ≤ grid_max,   0 ≤ C_t ≤ R_t,   U ≥ 0
          CHP:     :func:`gamecore.energy.conversion.gas_turbine_model` (heat ≤ recoverable: dumping)
          boiler:  :func:`gamecore.energy.conversion.gas_boiler_model`
          battery, thermal store: :func:`gamecore.energy.storage.storage_model` (soft end target)
          shiftable load S: :func:`gamecore.energy.loads.shiftable_load_model` with the energy
          still to serve as its total
          heat pump: :func:`heat_pump_model` (``H = COP·P``; the component library has none)

``P`` (import +, export −) is the only quantity that leaves the IES (its output ``"net"`` =
``dt·P`` kWh per period), paid at the local price λ (the leader's signal); ``"state"`` is the
state after the stage's first period, reported for the rolling bookkeeping only.

Where state enters a program (for compile-once): :func:`storage_block` (stored energy at the
stage start, ``initial_energy``) and :func:`shiftable_block` (energy still to serve, the
shiftable load's ``total``). Nothing else in a program depends on the state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cvxpy as cp
import numpy as np

from gamecore.cases.county.data import HeatPump, IESData, IESProfile
from gamecore.energy.conversion import UnitModel, gas_boiler_model, gas_turbine_model
from gamecore.energy.loads import LoadModel, ShiftableLoad, shiftable_load_model
from gamecore.energy.storage import Storage, StorageModel, storage_model
from gamecore.follower import Follower

STATE_FIELDS = ("battery_energy", "tes_energy", "shift_remaining")
#: quadratic weight on P², ``w = QUADRATIC_SCALE / grid_max`` yuan/kW² (marginal 0.04 yuan/kWh at
#: P = grid_max): makes every bid continuous in the price (see ``IEHRolling`` for why). Tuned
#: with :data:`TIE_SCALE` so that the per-period bisection clears the day-ahead game (at
#: 5e-3 / 1e-3 it stalls: storage and shiftable loads then respond to price *differences* far more
#: steeply than P to its own price, and a per-period search loses diagonal dominance)
QUADRATIC_SCALE = 2e-2
#: tie-breaking weight on squared storage powers and shiftable rates, ``τ = TIE_SCALE / grid_max``
#: yuan/kW²: unique states whoever solves a stage
TIE_SCALE = 2e-2
#: penalty (yuan/kW) of the repair slacks of the period accounting (rounding only)
REPAIR_PENALTY = 1e3


@dataclass(frozen=True)
class IESState:
    """An IES's state at the start of period ``period``: stored energies (kWh; 0 without the
    store) and the shiftable energy still to serve today (kWh)."""

    period: int
    battery_energy: float
    tes_energy: float
    shift_remaining: float

    def as_array(self) -> np.ndarray:
        return np.array([self.battery_energy, self.tes_energy, self.shift_remaining])


def initial_state(ies: IESData) -> IESState:
    """Start of the day: stores at their initial SOC, the whole shiftable energy to serve."""
    return IESState(0, ies.battery.energy_init if ies.battery else 0.0, ies.tes.energy_init if ies.tes else 0.0,
                    ies.shift_total)


def regularizer_weights(ies: IESData) -> tuple[float, float]:
    """``(w, τ)`` yuan/kW² of the stage games: :data:`QUADRATIC_SCALE` / grid_max, :data:`TIE_SCALE` / grid_max."""
    return QUADRATIC_SCALE / ies.grid_max, TIE_SCALE / ies.grid_max


# --------------------------------------------------------------- state entry points
def storage_block(store: Storage | None, horizon: int, energy: float, end_of_day: bool,
                  penalty: float) -> StorageModel | None:
    """THE place where a stored energy (state) enters a program: ``storage_model``'s
    ``initial_energy``. ``None`` when the IES has no such store."""
    if store is None:
        return None
    e0 = float(np.clip(energy, store.energy_min, store.energy_max))
    return storage_model(store, horizon, e0, end_of_day, end_penalty=penalty)


def shiftable_block(ies: IESData, start: int, horizon: int, energy: float) -> LoadModel:
    """THE place where the shiftable energy (state: still to serve, or served in an accounted
    period) enters a program: the shiftable load's ``total`` (kWh), clipped to what the rates of
    ``[start, start + horizon)`` can deliver (solver rounding only: every stage plan serves the
    remaining energy exactly by the end of the day, so its first period leaves a deliverable rest)."""
    rate = np.asarray(ies.shift_max, float)[start:start + horizon]
    total = float(np.clip(energy, 0.0, rate.sum() * ies.dt))
    return shiftable_load_model(ShiftableLoad(total, tuple(rate), dt=ies.dt, name="shift"), horizon)


# --------------------------------------------------------------------- heat pump
@dataclass
class HeatPumpModel:
    power: cp.Variable
    heat: cp.Expression
    constraints: list[cp.Constraint]


def heat_pump_model(hp: HeatPump, start: int, horizon: int) -> HeatPumpModel:
    """Electric input ``power`` ``(H,)`` kW in ``[0, p_max]``; heat ``COP_t·power_t``."""
    power = cp.Variable(horizon, name=f"{hp.name}_power", nonneg=True)
    cop = np.asarray(hp.cop, float)[start:start + horizon]
    return HeatPumpModel(power, cp.multiply(cop, power), [power <= hp.p_max])


# ----------------------------------------------------------------------- the IES
@dataclass
class IESModel:
    """cvxpy model of one IES over a stage (see the module docstring)."""

    ies: IESData
    state: IESState
    net: cp.Variable
    price: cp.Parameter | cp.Expression
    units: dict[str, UnitModel]
    heat_pump: HeatPumpModel | None
    battery: StorageModel | None
    tes: StorageModel | None
    shift: LoadModel
    curtail: cp.Variable
    unserved_e: cp.Variable
    unserved_h: cp.Variable
    renewable: np.ndarray
    constraints: list[cp.Constraint]
    fuel: cp.Expression
    penalty: cp.Expression
    regularizer: cp.Expression
    repair: list[cp.Variable] = field(default_factory=list)

    @property
    def cost(self) -> cp.Expression:
        """Objective (yuan): payment + fuel + penalties + regularizers (+ repair slacks)."""
        total = self.ies.dt * (self.price @ self.net) + self.fuel + self.penalty + self.regularizer
        for s in self.repair:
            total = total + REPAIR_PENALTY * cp.sum(cp.abs(s))
        return total

    @property
    def renewable_used(self) -> cp.Expression:
        return self.renewable - self.curtail

    @property
    def next_state(self) -> cp.Expression:
        """``[battery kWh, TES kWh, shiftable kWh still to serve]`` after the stage's first period."""
        dt = self.ies.dt
        bat = self.battery.energy[1] if self.battery is not None else cp.Constant(0.0)
        tes = self.tes.energy[1] if self.tes is not None else cp.Constant(0.0)
        return cp.hstack([bat, tes, self.state.shift_remaining - dt * self.shift.demand[0]])


def ies_model(ies: IESData, state: IESState, profile: IESProfile, price: np.ndarray | None = None, *,
              regularize: bool = True, net: np.ndarray | None = None, target: IESState | None = None) -> IESModel:
    """IES ``ies``'s model for periods ``[state.period, state.period + H)``.

    Args:
        price: local prices ``(H,)`` as constants; ``None`` = a ``cp.Parameter`` ``"price"``.
        regularize: add the stage games' ``w·ΣP² + τ·Σ(ch² + dis² + S²)`` (:func:`regularizer_weights`).
        net: pin ``P`` to these values (kW ``(H,)``), to recover the dispatch behind a response.
        target: accounting mode (``H`` = 1): the state after the period is given; the stores
            must end there and the shiftable load serves ``state − target``; repair slacks
            (penalised) absorb solver rounding; no end-of-day target inside the program.
    """
    start, horizon, dt = state.period, profile.horizon, ies.dt
    if horizon < 1 or start < 0 or start + horizon > ies.periods:
        raise ValueError(f"IES '{ies.name}': stage [{start}, {start + horizon}) outside the day [0, {ies.periods})")
    end_of_day = target is None and start + horizon == ies.periods
    lam: cp.Parameter | cp.Expression = (cp.Parameter(horizon, name="price") if price is None
                                         else cp.Constant(np.broadcast_to(np.asarray(price, float), (horizon,)).copy()))
    P = cp.Variable(horizon, name="net")
    units: dict[str, UnitModel] = {}
    if ies.chp is not None:
        units["chp"] = gas_turbine_model(ies.chp, horizon)
    if ies.boiler is not None:
        units["boiler"] = gas_boiler_model(ies.boiler, horizon)
    hp = heat_pump_model(ies.heat_pump, start, horizon) if ies.heat_pump is not None else None
    bat = storage_block(ies.battery, horizon, state.battery_energy, end_of_day, ies.end_soc_penalty)
    tes = storage_block(ies.tes, horizon, state.tes_energy, end_of_day, ies.end_soc_penalty)
    shift_energy = state.shift_remaining if target is None else state.shift_remaining - target.shift_remaining
    shift = shiftable_block(ies, start, horizon, shift_energy)
    curtail = cp.Variable(horizon, name="curtail", nonneg=True)
    une = cp.Variable(horizon, name="unserved_e", nonneg=True)
    unh = cp.Variable(horizon, name="unserved_h", nonneg=True)
    ren = np.maximum(np.asarray(profile.renewable, float), 0.0)
    zero = cp.Constant(np.zeros(horizon))
    chp_p = units["chp"].outputs["power"] if "chp" in units else zero
    chp_h = units["chp"].outputs["heat"] if "chp" in units else zero
    boil_h = units["boiler"].outputs["heat"] if "boiler" in units else zero
    bat_net = bat.net_draw if bat is not None else zero
    tes_net = tes.net_draw if tes is not None else zero
    hp_p = hp.power if hp is not None else zero
    hp_h = hp.heat if hp is not None else zero
    repair: list[cp.Variable] = []
    elec_bal = P + chp_p + ren - curtail - bat_net + une - np.asarray(profile.elec_load, float) - shift.demand - hp_p
    heat_bal = chp_h + boil_h + hp_h - tes_net + unh - np.asarray(profile.heat_load, float)
    cons: list[cp.Constraint] = [P <= ies.grid_max, P >= -ies.export_max, curtail <= ren]
    if target is not None:
        repair = [cp.Variable(horizon, name="repair_e"), cp.Variable(horizon, name="repair_h")]
        elec_bal, heat_bal = elec_bal + repair[0], heat_bal + repair[1]
        for store, energy, nm in ((bat, target.battery_energy, "bat"), (tes, target.tes_energy, "tes")):
            if store is not None:
                slack = cp.Variable(1, name=f"repair_{nm}")
                repair.append(slack)
                cons.append(store.energy[1] + slack == energy)
    cons += [elec_bal == 0, heat_bal == 0]
    for unit in units.values():
        cons += unit.constraints
    for block in (bat, tes):
        if block is not None:
            cons += block.constraints
    cons += shift.constraints + (hp.constraints if hp is not None else [])
    if net is not None:
        cons.append(P == np.broadcast_to(np.asarray(net, float), (horizon,)))
    fuel = sum((u.cost for u in units.values()), cp.Constant(0.0))
    penalty = dt * ies.lost_load_value * cp.sum(une + unh)
    for block in (bat, tes):
        if block is not None:
            penalty = penalty + block.penalty
    reg: cp.Expression = cp.Constant(0.0)
    if regularize:
        w, tau = regularizer_weights(ies)
        ties = [shift.demand] + [x for b in (bat, tes) if b is not None for x in (b.charge, b.discharge)]
        reg = w * cp.sum_squares(P) + tau * sum((cp.sum_squares(x) for x in ties), cp.Constant(0.0))
    return IESModel(ies, state, P, lam, units, hp, bat, tes, shift, curtail, une, unh, ren, cons, fuel, penalty,
                    reg, repair)


def ies_follower(ies: IESData, state: IESState, profile: IESProfile) -> Follower:
    """IES ``ies`` as a follower of a stage game: signal ``"price"`` ``(H,)`` yuan/kWh; outputs
    ``"net"`` ``(H,)`` = ``dt·P`` kWh bought from the county bus, ``"state"`` ``(3,)``."""
    model = ies_model(ies, state, profile)
    assert isinstance(model.price, cp.Parameter)
    return Follower(ies.name, cp.Minimize(model.cost), model.constraints, signals={"price": model.price},
                    outputs={"net": ies.dt * model.net, "state": model.next_state})


@dataclass
class IESDispatch:
    """One IES's dispatch over a stage (kW ``(H,)``) and its real cost components (yuan)."""

    net: np.ndarray
    renewable: np.ndarray
    renewable_used: np.ndarray
    unserved_e: np.ndarray
    unserved_h: np.ndarray
    fuel: float
    penalty: float
    payment: float
    regularizer: float
    repair: float

    @property
    def cost(self) -> float:
        """Real cost (yuan): payment + fuel + penalties (no regularizer)."""
        return self.payment + self.fuel + self.penalty


def _value(x: cp.Expression) -> np.ndarray:
    return np.atleast_1d(np.asarray(x.value, float))


def _scalar(x: cp.Expression) -> float:
    return float(np.sum(_value(x)))


def dispatch_of(model: IESModel) -> IESDispatch:
    """Values of a solved :class:`IESModel`."""
    dt = model.ies.dt
    net = _value(model.net)
    repair = max((float(np.max(np.abs(_value(s)))) for s in model.repair), default=0.0)
    return IESDispatch(net, model.renewable.copy(), np.clip(_value(model.renewable_used), 0.0, model.renewable),
                       _value(model.unserved_e), _value(model.unserved_h), _scalar(model.fuel),
                       _scalar(model.penalty), float(dt * _value(model.price) @ net), _scalar(model.regularizer),
                       repair)


def solve_ies(ies: IESData, state: IESState, profile: IESProfile, prices: np.ndarray, *,
              net: np.ndarray | None = None, regularize: bool = True) -> IESDispatch:
    """Plain cvxpy (Clarabel) solve of one IES at fixed prices; ``net`` (kW) pins its exchange."""
    model = ies_model(ies, state, profile, np.asarray(prices, float), regularize=regularize, net=net)
    problem = cp.Problem(cp.Minimize(model.cost), model.constraints)
    problem.solve(solver=cp.CLARABEL)
    if problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        raise RuntimeError(f"IES '{ies.name}': Clarabel returned {problem.status}")
    return dispatch_of(model)
