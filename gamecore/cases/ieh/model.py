"""The ``ieh`` case's hub model: a hub's state, its cvxpy program, its follower and plain solves.

:class:`HubState` (a hub's state between periods), :func:`hub_model` / :class:`HubModel` (the
lower-level program of one hub over a stage, see :mod:`gamecore.cases.ieh`),
:func:`hub_follower` (that program as a :class:`~gamecore.follower.Follower`) and
:func:`solve_hub` / :class:`HubDispatch` (a plain cvxpy solve returning every variable).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import cvxpy as cp
import numpy as np

from gamecore.cases.ieh.data import HubData, HubProfile, Scenario
from gamecore.energy.loads import ShiftableLoad, shiftable_load_model, shiftable_numbers
from gamecore.energy.storage import StorageModel, storage_model, storage_numbers
from gamecore.family import ProgramFamily, structure_parameters
from gamecore.follower import Follower

STATE_FIELDS = ("ees_energy", "tes_energy", "elec_served", "heat_served")
#: the dispatch arrays (kW) whose squares the tie-breaking weight τ prices (see IEHRolling)
TIE_FIELDS = ("ees_charge", "ees_discharge", "tes_charge", "tes_discharge", "shift_e", "shift_h")


def _check_weights(quadratic_weight: float, tie_weight: float) -> None:
    """Both regularizer weights (yuan/kW²) must be >= 0."""
    for name, weight in (("quadratic_weight", quadratic_weight), ("tie_weight", tie_weight)):
        if not weight >= 0:
            raise ValueError(f"{name} must be >= 0 yuan/kW², got {weight}")


@dataclass(frozen=True)
class HubState:
    """A hub's state at the start of period ``period`` (kWh).

    Attributes:
        period: next period to dispatch (0 at the start of the day).
        ees_energy, tes_energy: stored energies (kWh).
        elec_served, heat_served: shiftable electric / thermal energy already served today (kWh).
    """

    period: int
    ees_energy: float
    tes_energy: float
    elec_served: float = 0.0
    heat_served: float = 0.0

    def as_array(self) -> np.ndarray:
        """``[ees_energy, tes_energy, elec_served, heat_served]`` (kWh)."""
        return np.array([getattr(self, f) for f in STATE_FIELDS])


def initial_states(scenario: Scenario) -> list[HubState]:
    """Every hub's state at the start of the day (SOC at ``soc_init``, nothing served)."""
    return [HubState(0, h.ees.energy_init, h.tes.energy_init) for h in scenario.hubs]


# ------------------------------------------------------------------------ hub model
@dataclass
class HubModel:
    """cvxpy model of one hub over a stage: variables, constraints and cost.

    Variables (kW, ``(H,)``): ``net`` P, ``chp_gas``, ``gf_gas``, ``curtail`` C,
    ``heat_dump`` D, ``shift_e``, ``shift_h``, ``unserved_e``, ``unserved_h`` (fixed to 0 when
    the hub's ``lost_load_value`` is ``None``); storages ``ees``, ``tes``
    (:class:`~gamecore.energy.storage.StorageModel`). ``cost`` in yuan; ``price`` the price
    Parameter (or constant); ``binaries`` the complementarity binaries when exclusive.
    """

    hub: HubData
    state: HubState
    profile: HubProfile
    variables: dict[str, cp.Variable]
    ees: StorageModel
    tes: StorageModel
    constraints: list[cp.Constraint]
    cost: cp.Expression
    price: cp.Parameter | cp.Expression
    end_of_day: bool
    binaries: list[cp.Variable] = field(default_factory=list)

    @property
    def tie_terms(self) -> cp.Expression:
        """``Σ_t`` of the squared storage powers and shiftable rates (kW²): what ``tie_weight`` prices."""
        v = self.variables
        return (cp.sum_squares(self.ees.charge) + cp.sum_squares(self.ees.discharge) + cp.sum_squares(self.tes.charge)
                + cp.sum_squares(self.tes.discharge) + cp.sum_squares(v["shift_e"]) + cp.sum_squares(v["shift_h"]))

    @property
    def period_report(self) -> cp.Expression:
        """What the stage's first period does to the state, ``(4,)``: [EES kWh, TES kWh] after it and
        [shiftable electric, shiftable heat] kWh served in it (the follower's output ``"state"``;
        :func:`gamecore.cases.ieh.game.advance` adds the served energies to the state). Variables
        only, so one compiled program serves every hub and state of a family."""
        v, dt = self.variables, self.hub.dt
        return cp.hstack([self.ees.energy[1], self.tes.energy[1], dt * v["shift_e"][0], dt * v["shift_h"][0]])


def _remaining(total: float, served: float, rate: np.ndarray, dt: float, what: str, hub: str) -> float:
    remaining = total - served
    room = dt * float(np.sum(rate))
    tol = 1e-6 * max(1.0, total)
    if remaining < -tol or remaining > room + tol:
        raise ValueError(f"hub '{hub}': {what} remaining energy {remaining:.6g} kWh outside [0, {room:.6g}] "
                         "(served more than the daily total, or too little time left)")
    return float(np.clip(remaining, 0.0, room))


def hub_numbers(hub: HubData, state: HubState, profile: HubProfile, quadratic_weight: float = 0.0,
                tie_weight: float = 0.0) -> dict[str, Any]:
    """Every number of hub ``hub``'s program for the stage starting at ``state.period`` (name ->
    scalar or ``(H,)`` array; kW, kWh, yuan): equipment, the stage's profile, the state (stored
    energies, shiftable energy still to serve) and the regularizer weights. :func:`hub_model` is
    written against these names, so the same numbers build a direct model or instantiate a
    compiled :class:`HubPrograms` family.

    Raises:
        ValueError: a stage outside the day, negative weights, a state the stage cannot serve.
    """
    start, horizon, periods, dt = state.period, profile.horizon, hub.periods, hub.dt
    if horizon < 1 or start < 0 or start + horizon > periods:
        raise ValueError(f"hub '{hub.name}': stage [{start}, {start + horizon}) outside the day [0, {periods})")
    _check_weights(quadratic_weight, tie_weight)
    sl = slice(start, start + horizon)
    rem_e = _remaining(hub.elec_shift_total, state.elec_served, np.asarray(hub.elec_shift_max)[start:], dt,
                       "shiftable electric", hub.name)
    rem_h = _remaining(hub.heat_shift_total, state.heat_served, np.asarray(hub.heat_shift_max)[start:], dt,
                       "shiftable heat", hub.name)
    numbers: dict[str, Any] = {
        "grid_max": hub.grid_max, "export_limit": hub.export_limit, "chp_gas_max": hub.chp_gas_max,
        "gf_gas_max": hub.gf_gas_max, "chp_eta_e": hub.chp_eta_e, "chp_eta_h": hub.chp_eta_h, "gf_eta": hub.gf_eta,
        "gas_price": hub.gas_price, "renewable": np.maximum(np.asarray(profile.renewable, float), 0.0),
        "elec_load": np.asarray(profile.elec_load, float), "heat_load": np.asarray(profile.heat_load, float),
        "quadratic_weight": quadratic_weight, "tie_weight": tie_weight,
    }
    if hub.lost_load_value is not None:
        numbers["lost_load_value"] = hub.lost_load_value
    for key, store, energy in (("ees", hub.ees, state.ees_energy), ("tes", hub.tes, state.tes_energy)):
        numbers.update({f"{key}.{k}": v for k, v in storage_numbers(store, energy, hub.end_soc_penalty).items()})
    for key, total, rate in (("shift_e", rem_e, hub.elec_shift_max), ("shift_h", rem_h, hub.heat_shift_max)):
        rates = np.asarray(rate, float)[sl]
        if start + horizon == periods:      # the whole rest must be served: the component's equality
            part = shiftable_numbers(ShiftableLoad(total, tuple(rates), dt=dt, name=key), horizon)
        else:                               # a stage ending before the day serves at most the rest
            part = {"total": total, "p_min": np.zeros(horizon), "p_max": rates}
        numbers.update({f"{key}.{k}": v for k, v in part.items()})
    return numbers


#: numbers that must stay >= 0 for the hub program to be convex (weights on squares)
_NONNEG = ("quadratic_weight", "tie_weight")


def _group(numbers: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """The entries ``prefix.key`` of ``numbers`` as ``key`` (one component's numbers)."""
    return {k[len(prefix) + 1:]: v for k, v in numbers.items() if k.startswith(prefix + ".")}


def hub_model(hub: HubData, state: HubState, profile: HubProfile, price: np.ndarray | None = None, *,
              quadratic_weight: float = 0.0, tie_weight: float = 0.0, exclusive: bool = False,
              net: np.ndarray | None = None, net_tol: float | None = None,
              numbers: Mapping[str, Any] | None = None) -> HubModel:
    """Build hub ``hub``'s model for periods ``[state.period, state.period + H)``.

    The hub is composed from :mod:`gamecore.energy` components — EES and TES
    (:func:`~gamecore.energy.storage.storage_model`), the shiftable electric and heat loads
    (:func:`~gamecore.energy.loads.shiftable_load_model`, the energy still to serve as their
    total) — plus the paper's CHP (gas input, electric and heat efficiencies, heat dumping),
    gas furnace and the two bus balances.

    Args:
        hub: equipment data (fixes the program's shape: hard or soft targets and demand).
        state: current state (its ``period`` is the stage's first period).
        profile: renewable and load values for the ``H`` periods (kW).
        price: local prices ``(H,)`` (yuan/kWh) as constants; ``None`` = a ``cp.Parameter``
            named ``"price"`` (for a follower).
        quadratic_weight: w ≥ 0 of the optional ``w·Σ P²`` (yuan/kW²).
        tie_weight: τ ≥ 0 of the optional ``τ·``:attr:`HubModel.tie_terms` (yuan/kW²).
        exclusive: add binary complementarity for EES and TES (mixed-integer).
        net: pin P to these values (kW, ``(H,)``) within ``net_tol`` (default
            ``1e-7·max(1, grid_max)``) — to recover a given response's dispatch.
        numbers: the program's numbers (:func:`hub_numbers`' names), e.g. structure parameters
            of a :class:`HubPrograms` family; default ``hub_numbers(hub, state, profile,
            quadratic_weight, tie_weight)``.
    """
    v_num = hub_numbers(hub, state, profile, quadratic_weight, tie_weight) if numbers is None else numbers
    start, horizon, periods, dt = state.period, profile.horizon, hub.periods, hub.dt
    end_of_day = start + horizon == periods
    if price is None:
        lam: cp.Parameter | cp.Expression = cp.Parameter(horizon, name="price")
    else:
        lam = cp.Constant(np.broadcast_to(np.asarray(price, float), (horizon,)).copy())
    names = ("net", "chp_gas", "gf_gas", "curtail", "heat_dump", "unserved_e", "unserved_h")
    v = {nm: cp.Variable(horizon, name=nm) for nm in names}
    P = v["net"]
    ees = storage_model(hub.ees, horizon, end_of_day=end_of_day, name="ees", end_penalty=hub.end_soc_penalty,
                        numbers=_group(v_num, "ees"))
    tes = storage_model(hub.tes, horizon, end_of_day=end_of_day, name="tes", end_penalty=hub.end_soc_penalty,
                        numbers=_group(v_num, "tes"))
    cons: list[cp.Constraint] = []
    for key in ("shift_e", "shift_h"):
        load = ShiftableLoad(0.0, 0.0, dt=dt, name=key)          # shape only: the numbers give total and rates
        shift_numbers = _group(v_num, key)
        if end_of_day:
            block = shiftable_load_model(load, horizon, numbers=shift_numbers)
            v[key], cons = block.variables["power"], cons + block.constraints
        else:                                                    # a stage ending before the day: serve at most
            v[key] = cp.Variable(horizon, name=key, nonneg=True)
            cons += [v[key] <= shift_numbers["p_max"], dt * cp.sum(v[key]) <= shift_numbers["total"]]
    unserved = v["unserved_e"] + v["unserved_h"]
    ren = v_num["renewable"]
    cons += [
        P <= v_num["grid_max"], P >= -v_num["export_limit"],
        v["chp_gas"] >= 0, v["chp_gas"] <= v_num["chp_gas_max"],
        v["gf_gas"] >= 0, v["gf_gas"] <= v_num["gf_gas_max"],
        v["curtail"] >= 0, v["curtail"] <= ren,
        v["heat_dump"] >= 0, v["heat_dump"] <= v_num["chp_eta_h"] * v["chp_gas"],
        v["unserved_e"] >= 0, v["unserved_h"] >= 0,
        P + v_num["chp_eta_e"] * v["chp_gas"] + ren - v["curtail"] + ees.discharge - ees.charge + v["unserved_e"]
        == v_num["elec_load"] + v["shift_e"],
        v_num["chp_eta_h"] * v["chp_gas"] + v_num["gf_eta"] * v["gf_gas"] + tes.discharge - tes.charge
        - v["heat_dump"] + v["unserved_h"] == v_num["heat_load"] + v["shift_h"],
    ] + ees.constraints + tes.constraints
    if hub.lost_load_value is None:
        cons += [unserved == 0]
    binaries: list[cp.Variable] = []
    if exclusive:
        for store, key in ((ees, "ees"), (tes, "tes")):
            b = cp.Variable(horizon, boolean=True, name=f"{store.storage.name}_charging")
            binaries.append(b)
            cons += [store.charge <= v_num[f"{key}.charge_max"] * b,
                     store.discharge <= v_num[f"{key}.discharge_max"] * (1 - b)]
    if net is not None:
        target = np.broadcast_to(np.asarray(net, float), (horizon,))
        tol = 1e-7 * max(1.0, hub.grid_max) if net_tol is None else net_tol
        cons += [P <= target + tol, P >= target - tol]
    cost = dt * (lam @ P) + dt * v_num["gas_price"] * cp.sum(v["chp_gas"] + v["gf_gas"]) + ees.penalty + tes.penalty
    if hub.lost_load_value is not None:
        cost = cost + dt * v_num["lost_load_value"] * cp.sum(unserved)
    model = HubModel(hub, state, profile, v, ees, tes, cons, cost, lam, end_of_day, binaries)
    # a family keeps the regularizers whatever their weights (parameters: one program serves
    # every weight); a direct model drops zero-weight terms (a MILP solve stays linear)
    w, tau = v_num["quadratic_weight"], v_num["tie_weight"]
    if isinstance(w, cp.Parameter) or w > 0:
        model.cost = model.cost + w * cp.sum_squares(P)
    if isinstance(tau, cp.Parameter) or tau > 0:
        model.cost = model.cost + tau * model.tie_terms
    return model


def _signature(hub: HubData, horizon: int, end_of_day: bool) -> tuple[Any, ...]:
    """What fixes the shape of a hub's program (its family): horizon, end of day, hard or soft
    targets and demand, the storages' target kinds, ``dt``."""
    stores = tuple((s.energy_end is None, s.end_equality, s.dt) for s in (hub.ees, hub.tes))
    return (horizon, end_of_day, hub.lost_load_value is None, hub.end_soc_penalty is None, stores, hub.dt)


class HubPrograms:
    """Compiled hub programs: one :class:`~gamecore.family.ProgramFamily` per program shape
    (horizon, targets; :func:`_signature`), compiled at the first hub of that shape and
    instantiated for every other hub and state by setting :func:`hub_numbers` — a rolling day
    compiles one program per stage length instead of one per hub and stage.

    Owned by whoever builds the games (a scenario's rolling description); no global cache.
    """

    def __init__(self) -> None:
        self._families: dict[tuple[Any, ...], ProgramFamily] = {}

    def __len__(self) -> int:
        return len(self._families)

    def follower(self, hub: HubData, state: HubState, profile: HubProfile, quadratic_weight: float = 0.0,
                 tie_weight: float = 0.0) -> Follower:
        """Hub ``hub`` as a follower of the stage starting at ``state.period`` (see :func:`hub_follower`)."""
        values = hub_numbers(hub, state, profile, quadratic_weight, tie_weight)
        key = _signature(hub, profile.horizon, state.period + profile.horizon == hub.periods)
        family = self._families.get(key)
        if family is None:
            params = structure_parameters(values, nonneg=_NONNEG)
            model = hub_model(hub, state, profile, numbers=params)
            assert isinstance(model.price, cp.Parameter)
            family = ProgramFamily(f"ieh-hub[H={profile.horizon}]", cp.Minimize(model.cost), model.constraints,
                                   {"price": model.price},
                                   {"net": hub.dt * model.variables["net"], "state": model.period_report}, params)
            self._families[key] = family
        return family.follower(hub.name, values)


def hub_follower(hub: HubData, state: HubState, profile: HubProfile, quadratic_weight: float = 0.0,
                 tie_weight: float = 0.0, programs: HubPrograms | None = None) -> Follower:
    """Hub ``hub`` as a follower for the stage starting at ``state.period`` (see :mod:`gamecore.cases.ieh`).

    Signal ``"price"`` ``(H,)`` (yuan/kWh); outputs ``"net"`` ``(H,)`` (kWh per period bought
    from the IEH bus: ``dt·P``) and ``"state"`` ``(4,)`` (:attr:`HubModel.period_report`).
    Objective in yuan. ``programs``: the compiled families to instantiate from (default: a
    fresh one, i.e. this hub's program is compiled).
    """
    return (programs or HubPrograms()).follower(hub, state, profile, quadratic_weight, tie_weight)


@dataclass
class HubDispatch:
    """One hub's full dispatch over a stage (kW arrays ``(H,)``; energies ``(H+1,)`` kWh).

    ``cost`` = electricity + gas (+ penalties, + quadratic) cost in yuan at the prices solved
    for. ``unserved_e``/``unserved_h`` (kW, ``(H,)``) unserved demand; ``end_miss`` (kWh,
    ``(2,)``) how far EES and TES end the day from their targets (0 before the last period
    or with hard targets).
    """

    status: str
    cost: float
    net: np.ndarray
    chp_gas: np.ndarray
    gf_gas: np.ndarray
    curtail: np.ndarray
    heat_dump: np.ndarray
    shift_e: np.ndarray
    shift_h: np.ndarray
    ees_charge: np.ndarray
    ees_discharge: np.ndarray
    ees_energy: np.ndarray
    tes_charge: np.ndarray
    tes_discharge: np.ndarray
    tes_energy: np.ndarray
    prices: np.ndarray
    unserved_e: np.ndarray
    unserved_h: np.ndarray
    end_miss: np.ndarray

    def tie_terms(self) -> float:
        """``Σ`` squared storage powers and shiftable rates (kW², see :attr:`HubModel.tie_terms`)."""
        return float(np.sum(_tie_terms({f: getattr(self, f) for f in TIE_FIELDS})))

    def cost_at(self, hub: HubData, quadratic_weight: float = 0.0, tie_weight: float = 0.0) -> float:
        """Cost (yuan) of this dispatch at its prices, recomputed from the arrays (the
        regularizers only when their weights are given)."""
        dt = hub.dt
        cost = dt * self.prices @ self.net + dt * hub.gas_price * np.sum(self.chp_gas + self.gf_gas)
        if hub.lost_load_value is not None:
            cost += dt * hub.lost_load_value * np.sum(self.unserved_e + self.unserved_h)
        if hub.end_soc_penalty is not None:
            cost += hub.end_soc_penalty * np.sum(self.end_miss)
        return float(cost + quadratic_weight * np.sum(self.net ** 2) + tie_weight * self.tie_terms())


def solve_hub(hub: HubData, state: HubState, profile: HubProfile, prices: np.ndarray, *,
              net: np.ndarray | None = None, quadratic_weight: float = 0.0, tie_weight: float = 0.0,
              exclusive: bool = False,
              solver: str | None = None) -> HubDispatch:
    """Solve one hub at fixed local ``prices`` ``(H,)`` with cvxpy; return every variable.

    ``net`` (kW, ``(H,)``; a follower's output ``"net"`` divided by ``dt``) pins the grid
    exchange, to recover the full dispatch behind a given response.

    ``solver`` defaults to Clarabel (interior point, so ties between equally cheap
    dispatches are split — the relaxed model's simultaneous charge/discharge shows up) and
    to HiGHS when ``exclusive`` (MILP). Raises ``RuntimeError`` naming the hub when the
    solve fails.
    """
    model = hub_model(hub, state, profile, np.asarray(prices, float), quadratic_weight=quadratic_weight,
                      tie_weight=tie_weight, exclusive=exclusive, net=net)
    problem = cp.Problem(cp.Minimize(model.cost), model.constraints)
    chosen = solver or (cp.HIGHS if exclusive else cp.CLARABEL)
    kwargs: dict[str, Any] = {}
    if chosen == cp.HIGHS and exclusive:
        kwargs = {"mip_rel_gap": 1e-9}
    try:
        problem.solve(solver=chosen, **kwargs)
    except cp.SolverError as exc:   # pragma: no cover - solver failure path
        raise RuntimeError(f"hub '{hub.name}': {chosen} failed: {exc}") from exc
    if problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        raise RuntimeError(f"hub '{hub.name}': {chosen} returned {problem.status}")
    v = model.variables

    def val(x: cp.Expression) -> np.ndarray:
        return np.asarray(x.value, float).ravel()

    def miss(store: StorageModel) -> float:
        return 0.0 if store.end_miss is None else float(np.sum(np.maximum(val(store.end_miss), 0.0)))

    return HubDispatch(
        problem.status, float(problem.value), val(v["net"]), val(v["chp_gas"]), val(v["gf_gas"]), val(v["curtail"]),
        val(v["heat_dump"]), val(v["shift_e"]), val(v["shift_h"]),
        val(model.ees.charge), val(model.ees.discharge), val(model.ees.energy),
        val(model.tes.charge), val(model.tes.discharge), val(model.tes.energy),
        np.asarray(prices, float).copy(), val(v["unserved_e"]), val(v["unserved_h"]),
        np.array([miss(model.ees), miss(model.tes)]))



def _tie_terms(dispatch: Mapping[str, np.ndarray]) -> np.ndarray:
    """Squared :data:`TIE_FIELDS` arrays, summed elementwise (kW²): ``(N,)`` per hub for a period
    dispatch, ``(H,)`` per period for a :class:`HubDispatch`."""
    return np.asarray(sum(np.asarray(dispatch[k], float) ** 2 for k in TIE_FIELDS))

