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
          heat pump: :func:`gamecore.energy.conversion.heat_pump_model` (``H = COP·P``)

``P`` (import +, export −) is the only quantity that leaves the IES (its output ``"net"`` =
``dt·P`` kWh per period), paid at the local price λ (the leader's signal); ``"state"`` is what the
stage's first period does to the state (:attr:`IESModel.period_report`), reported for the rolling
bookkeeping only.

Compiled once: every number of an IES's program comes from :func:`ies_numbers` (its units', stores'
and loads' numbers, the stage's profile, the state), so one :class:`IESPrograms` family per IES type
and stage length serves every IES and state (:mod:`gamecore.family`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import cvxpy as cp
import numpy as np

from gamecore.cases.county.data import IESData, IESProfile
from gamecore.energy.conversion import (
    HeatPumpModel,
    UnitModel,
    gas_boiler_model,
    gas_boiler_numbers,
    gas_turbine_model,
    gas_turbine_numbers,
    heat_pump_model,
    heat_pump_numbers,
)
from gamecore.energy.loads import LoadModel, ShiftableLoad, shiftable_load_model, shiftable_numbers
from gamecore.energy.storage import StorageModel, storage_model, storage_numbers
from gamecore.family import FamilyCache, ProgramFamily, component, prefixed
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


# ------------------------------------------------------------------- the numbers
def ies_numbers(ies: IESData, state: IESState, profile: IESProfile, *, regularize: bool = True,
                target: IESState | None = None) -> dict[str, Any]:
    """Every number of IES ``ies``'s program for the stage starting at ``state.period`` (name ->
    scalar or ``(H,)`` array; kW, kWh, yuan): its units' and stores' numbers (the components'
    ``*_numbers``), the stage's profile, the state and the regularizer weights. :func:`ies_model`
    is written against these names, so the same numbers build a direct model or instantiate a
    compiled :class:`IESPrograms` family.

    Where state enters (the only place): the stores' ``initial_energy`` (stored energy at the stage
    start) and the shiftable load's ``total`` (energy still to serve; in accounting mode, with a
    ``target`` state, the energy served in the period), clipped to what the rates of the stage can
    deliver (solver rounding only: every stage plan serves the remaining energy exactly by the end
    of the day, so its first period leaves a deliverable rest).
    """
    start, horizon, dt = state.period, profile.horizon, ies.dt
    if horizon < 1 or start < 0 or start + horizon > ies.periods:
        raise ValueError(f"IES '{ies.name}': stage [{start}, {start + horizon}) outside the day [0, {ies.periods})")
    end_of_day = target is None and start + horizon == ies.periods
    numbers: dict[str, Any] = {
        "grid_max": ies.grid_max, "export_max": ies.export_max, "lost_load_value": ies.lost_load_value,
        "renewable": np.maximum(np.asarray(profile.renewable, float), 0.0),
        "elec_load": np.asarray(profile.elec_load, float), "heat_load": np.asarray(profile.heat_load, float),
    }
    w, tau = regularizer_weights(ies) if regularize else (0.0, 0.0)
    numbers.update(quadratic_weight=w, tie_weight=tau)
    if ies.chp is not None:
        numbers.update(prefixed("chp", gas_turbine_numbers(ies.chp)))
    if ies.boiler is not None:
        numbers.update(prefixed("boiler", gas_boiler_numbers(ies.boiler)))
    if ies.heat_pump is not None:
        numbers.update(prefixed("hp", heat_pump_numbers(ies.heat_pump, start, horizon)))
    for key, store, energy in (("battery", ies.battery, state.battery_energy), ("tes", ies.tes, state.tes_energy)):
        if store is not None:
            e0 = float(np.clip(energy, store.energy_min, store.energy_max))
            penalty = ies.end_soc_penalty if end_of_day else None
            numbers.update(prefixed(key, storage_numbers(store, e0, penalty)))
    rate = np.asarray(ies.shift_max, float)[start:start + horizon]
    energy = state.shift_remaining if target is None else state.shift_remaining - target.shift_remaining
    total = float(np.clip(energy, 0.0, rate.sum() * dt))
    numbers.update(prefixed("shift", shiftable_numbers(ShiftableLoad(total, tuple(rate), dt=dt, name="shift"),
                                                        horizon)))
    if target is not None:
        numbers.update({"battery.target": target.battery_energy, "tes.target": target.tes_energy})
    return numbers


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
    def period_report(self) -> cp.Expression:
        """``[battery kWh, TES kWh]`` after the stage's first period and the shiftable kWh served in
        it (the follower's output ``"state"``; :func:`gamecore.cases.county.rolling.advance`
        subtracts the served energy from the state). Variables only, so one compiled program serves
        every IES and state of a family."""
        dt = self.ies.dt
        bat = self.battery.energy[1] if self.battery is not None else cp.Constant(0.0)
        tes = self.tes.energy[1] if self.tes is not None else cp.Constant(0.0)
        return cp.hstack([bat, tes, dt * self.shift.demand[0]])


def ies_model(ies: IESData, state: IESState, profile: IESProfile, price: np.ndarray | None = None, *,
              regularize: bool = True, net: np.ndarray | None = None, target: IESState | None = None,
              numbers: Mapping[str, Any] | None = None) -> IESModel:
    """IES ``ies``'s model for periods ``[state.period, state.period + H)``.

    Args:
        price: local prices ``(H,)`` as constants; ``None`` = a ``cp.Parameter`` ``"price"``.
        regularize: add the stage games' ``w·ΣP² + τ·Σ(ch² + dis² + S²)`` (:func:`regularizer_weights`).
        net: pin ``P`` to these values (kW ``(H,)``), to recover the dispatch behind a response.
        target: accounting mode (``H`` = 1): the state after the period is given; the stores
            must end there and the shiftable load serves ``state − target``; repair slacks
            (penalised) absorb solver rounding; no end-of-day target inside the program.
        numbers: the program's numbers (:func:`ies_numbers`' names), e.g. the structure parameters
            of an :class:`IESPrograms` family; default ``ies_numbers(ies, state, profile, ...)``.
    """
    v = ies_numbers(ies, state, profile, regularize=regularize, target=target) if numbers is None else numbers
    start, horizon, dt = state.period, profile.horizon, ies.dt
    end_of_day = target is None and start + horizon == ies.periods
    lam: cp.Parameter | cp.Expression = (cp.Parameter(horizon, name="price") if price is None
                                         else cp.Constant(np.broadcast_to(np.asarray(price, float), (horizon,)).copy()))
    P = cp.Variable(horizon, name="net")
    units: dict[str, UnitModel] = {}
    if ies.chp is not None:
        units["chp"] = gas_turbine_model(ies.chp, horizon, numbers=component(v, "chp"))
    if ies.boiler is not None:
        units["boiler"] = gas_boiler_model(ies.boiler, horizon, numbers=component(v, "boiler"))
    hp = heat_pump_model(ies.heat_pump, start, horizon, numbers=component(v, "hp")) if ies.heat_pump else None
    stores: dict[str, StorageModel | None] = {}
    for key, store in (("battery", ies.battery), ("tes", ies.tes)):
        stores[key] = None if store is None else storage_model(
            store, horizon, end_of_day=end_of_day, end_penalty=ies.end_soc_penalty if end_of_day else None,
            numbers=component(v, key))
    bat, tes = stores["battery"], stores["tes"]
    shift = shiftable_load_model(ShiftableLoad(0.0, 0.0, dt=dt, name="shift"), horizon,   # shape only
                                 numbers=component(v, "shift"))
    curtail = cp.Variable(horizon, name="curtail", nonneg=True)
    une = cp.Variable(horizon, name="unserved_e", nonneg=True)
    unh = cp.Variable(horizon, name="unserved_h", nonneg=True)
    ren = v["renewable"]
    zero = cp.Constant(np.zeros(horizon))
    chp_p = units["chp"].outputs["power"] if "chp" in units else zero
    chp_h = units["chp"].outputs["heat"] if "chp" in units else zero
    boil_h = units["boiler"].outputs["heat"] if "boiler" in units else zero
    bat_net = bat.net_draw if bat is not None else zero
    tes_net = tes.net_draw if tes is not None else zero
    hp_p = hp.power if hp is not None else zero
    hp_h = hp.heat if hp is not None else zero
    repair: list[cp.Variable] = []
    elec_bal = P + chp_p + ren - curtail - bat_net + une - v["elec_load"] - shift.demand - hp_p
    heat_bal = chp_h + boil_h + hp_h - tes_net + unh - v["heat_load"]
    cons: list[cp.Constraint] = [P <= v["grid_max"], P >= -v["export_max"], curtail <= ren]
    if target is not None:
        repair = [cp.Variable(horizon, name="repair_e"), cp.Variable(horizon, name="repair_h")]
        elec_bal, heat_bal = elec_bal + repair[0], heat_bal + repair[1]
        for stored, key in ((bat, "battery"), (tes, "tes")):
            if stored is not None:
                slack = cp.Variable(1, name=f"repair_{key}")
                repair.append(slack)
                cons.append(stored.energy[1] + slack == v[f"{key}.target"])
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
    penalty = dt * v["lost_load_value"] * cp.sum(une + unh)
    for block in (bat, tes):
        if block is not None:
            penalty = penalty + block.penalty
    # a family keeps the regularizers whatever their weights (parameters); a direct model drops
    # zero-weight terms
    reg: cp.Expression = cp.Constant(0.0)
    w, tau = v["quadratic_weight"], v["tie_weight"]
    if isinstance(w, cp.Parameter) or w > 0:
        reg = reg + w * cp.sum_squares(P)
    if isinstance(tau, cp.Parameter) or tau > 0:
        ties = [shift.demand] + [x for b in (bat, tes) if b is not None for x in (b.charge, b.discharge)]
        reg = reg + tau * sum((cp.sum_squares(x) for x in ties), cp.Constant(0.0))
    return IESModel(ies, state, P, lam, units, hp, bat, tes, shift, curtail, une, unh, ren, cons, fuel, penalty,
                    reg, repair)


#: numbers that must stay >= 0 for an IES program to be convex (weights on squares)
_NONNEG = ("quadratic_weight", "tie_weight")


def _signature(ies: IESData, horizon: int, end_of_day: bool) -> tuple[Any, ...]:
    """What fixes the shape of an IES's program (its family): which units and stores it has and
    their kinds of constraints, the horizon, whether it ends the day."""
    units = tuple(None if u is None else (type(u).__name__, getattr(u, "heat_dump", None), getattr(u, "ramp_up", None),
                                          getattr(u, "ramp_down", None), getattr(u, "cost", None), u.dt)
                  for u in (ies.chp, ies.boiler, ies.heat_pump))
    stores = tuple(None if s is None else (s.energy_end is None, s.end_equality, s.dt) for s in (ies.battery, ies.tes))
    return (horizon, end_of_day, units, stores, ies.dt)


class IESPrograms:
    """Compiled IES programs: one :class:`~gamecore.family.ProgramFamily` per program shape (IES
    type, horizon; :func:`_signature`), compiled at the first IES of that shape and instantiated for
    every other IES and state by setting :func:`ies_numbers`. Owned by the rolling description."""

    def __init__(self) -> None:
        self._families = FamilyCache(nonneg=_NONNEG)

    def __len__(self) -> int:
        return len(self._families)

    def follower(self, ies: IESData, state: IESState, profile: IESProfile) -> Follower:
        """IES ``ies`` as a follower of the stage starting at ``state.period`` (see :func:`ies_follower`)."""

        def build(params: dict[str, cp.Parameter]) -> ProgramFamily:
            model = ies_model(ies, state, profile, numbers=params)
            assert isinstance(model.price, cp.Parameter)
            return ProgramFamily(f"county-{ies.kind}[H={profile.horizon}]", cp.Minimize(model.cost),
                                 model.constraints, {"price": model.price},
                                 {"net": ies.dt * model.net, "state": model.period_report}, params)

        key = _signature(ies, profile.horizon, state.period + profile.horizon == ies.periods)
        return self._families.follower(key, ies.name, ies_numbers(ies, state, profile), build)


def ies_follower(ies: IESData, state: IESState, profile: IESProfile, programs: IESPrograms | None = None) -> Follower:
    """IES ``ies`` as a follower of a stage game: signal ``"price"`` ``(H,)`` yuan/kWh; outputs
    ``"net"`` ``(H,)`` = ``dt·P`` kWh bought from the county bus, ``"state"`` ``(3,)``
    (:attr:`IESModel.period_report`). ``programs``: the compiled families to instantiate from
    (default: a fresh one, i.e. this IES's program is compiled)."""
    return (programs or IESPrograms()).follower(ies, state, profile)


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
