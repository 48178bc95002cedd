"""The ``ieh`` case's hub model: a hub's state, its cvxpy program, its follower and plain solves.

:class:`HubState` (a hub's state between periods), :func:`hub_model` / :class:`HubModel` (the
lower-level program of one hub over a stage, see :mod:`gamecore.cases.ieh`),
:func:`hub_follower` (that program as a :class:`~gamecore.follower.Follower`) and
:func:`solve_hub` / :class:`HubDispatch` (a plain cvxpy solve returning every variable).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import cvxpy as cp
import numpy as np

from gamecore.canonical import CanonicalProgram
from gamecore.cases.ieh.data import HubData, HubProfile, Scenario
from gamecore.energy.conversion import (
    GasBoiler,
    GasTurbineCHP,
    UnitModel,
    gas_boiler_model,
    gas_boiler_numbers,
    gas_turbine_model,
    gas_turbine_numbers,
)
from gamecore.energy.loads import ShiftableLoad, shiftable_load_model, shiftable_numbers
from gamecore.energy.storage import StorageModel, storage_model, storage_numbers
from gamecore.family import FamilyCache, ProgramFamily, component, prefixed
from gamecore.follower import Follower

STATE_FIELDS = ("ees_energy", "tes_energy", "elec_served", "heat_served")
#: the dispatch arrays (kW) whose squares the tie-breaking weight τ prices (see IEHRolling)
TIE_FIELDS = ("ees_charge", "ees_discharge", "tes_charge", "tes_discharge", "shift_e", "shift_h")
#: penalty (yuan/kW, per kWh for the stores) on the repair slacks of the accounting mode
#: (:func:`hub_model` with ``target``): far above the value of lost load, so real shortfalls show
#: as unserved demand and only solver rounding as repair
REPAIR_PENALTY = 1e3
#: the accounting program's outputs (kW, ``(H,)`` each; ``repair`` ``(4,)``: electric, heat kW and
#: EES, TES kWh slacks), see :attr:`HubModel.accounting_outputs`
ACCOUNTING_OUTPUTS = ("chp_gas", "chp_heat", "gf_heat", "curtail", "ees_charge", "ees_discharge", "tes_charge",
                      "tes_discharge", "unserved_e", "unserved_h", "repair")


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
def hub_chp(hub: HubData) -> GasTurbineCHP:
    """The hub's CHP as a :class:`~gamecore.energy.conversion.GasTurbineCHP`: gas in (kW of gas,
    ``gas_lhv = 1`` so the fuel cost is ``gas_price`` per kWh of gas), ``P = η_e·G ≤ η_e·G_max``,
    recoverable heat ``η_h·G`` (``η_whb = 1``, ``η_loss = 1 − η_e − η_h``), heat dumping allowed."""
    return GasTurbineCHP(p_max=hub.chp_eta_e * hub.chp_gas_max, eta_e=hub.chp_eta_e,
                         eta_loss=max(0.0, 1.0 - hub.chp_eta_e - hub.chp_eta_h), eta_whb=1.0, heat_dump=True,
                         gas_price=hub.gas_price, gas_lhv=1.0, dt=hub.dt, name="chp")


def hub_furnace(hub: HubData) -> GasBoiler:
    """The hub's gas furnace as a :class:`~gamecore.energy.conversion.GasBoiler`: heat
    ``H = η_gf·G ≤ η_gf·G_max``, fuel cost ``gas_price`` per kWh of gas (``gas_lhv = 1``)."""
    return GasBoiler(h_max=hub.gf_eta * hub.gf_gas_max, eta=hub.gf_eta, gas_price=hub.gas_price, gas_lhv=1.0,
                     dt=hub.dt, name="gf")


@dataclass
class HubModel:
    """cvxpy model of one hub over a stage: variables, constraints and cost.

    ``variables`` (kW, ``(H,)``; variables or affine expressions of them): ``net`` P,
    ``chp_gas`` (the CHP unit's gas), ``gf_gas`` (the furnace's heat / η_gf), ``curtail`` C,
    ``heat_dump`` D (the CHP's recoverable minus recovered heat), ``shift_e``, ``shift_h``,
    ``unserved_e``, ``unserved_h`` (fixed to 0 when the hub's ``lost_load_value`` is ``None``);
    units ``chp``, ``furnace`` (:class:`~gamecore.energy.conversion.UnitModel`); storages
    ``ees``, ``tes`` (:class:`~gamecore.energy.storage.StorageModel`). ``cost`` in yuan;
    ``price`` the price Parameter (or constant); ``groups``: the constraints by family
    (``"grid"``, ``"chp"``, ``"furnace"``, ``"curtail"``, ``"shift_e"``, ``"shift_h"``,
    ``"electric_balance"``, ``"heat_balance"``, ``"ees"``, ``"tes"``, ``"unserved"``, and
    ``"repair"`` in accounting mode); ``binaries`` the complementarity binaries when exclusive;
    ``repair`` the accounting mode's slacks ``[electric (H,), heat (H,), EES (1,), TES (1,)]``.
    """

    hub: HubData
    state: HubState
    profile: HubProfile
    variables: dict[str, cp.Expression]
    chp: UnitModel
    furnace: UnitModel
    ees: StorageModel
    tes: StorageModel
    constraints: list[cp.Constraint]
    cost: cp.Expression
    price: cp.Parameter | cp.Expression
    end_of_day: bool
    binaries: list[cp.Variable] = field(default_factory=list)
    groups: dict[str, list[cp.Constraint]] = field(default_factory=dict)
    repair: list[cp.Variable] = field(default_factory=list)

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

    @property
    def accounting_outputs(self) -> dict[str, cp.Expression]:
        """The variables the accounting mode reports (:data:`ACCOUNTING_OUTPUTS`): variables only
        (a program family's outputs must not depend on its parameters), so the derived numbers
        (furnace gas = heat/η_gf, CHP electricity, heat dumped) are computed from the hub's data."""
        v = self.variables
        out = {"chp_gas": self.chp.variables["gas"], "chp_heat": self.chp.variables["heat"],
               "gf_heat": self.furnace.variables["heat"], "curtail": v["curtail"],
               "ees_charge": self.ees.charge, "ees_discharge": self.ees.discharge, "tes_charge": self.tes.charge,
               "tes_discharge": self.tes.discharge, "unserved_e": v["unserved_e"], "unserved_h": v["unserved_h"]}
        if self.repair:
            out["repair"] = cp.hstack([cp.sum(s) for s in self.repair])
        return out


def _remaining(total: float, served: float, rate: np.ndarray, dt: float, what: str, hub: str) -> float:
    remaining = total - served
    room = dt * float(np.sum(rate))
    tol = 1e-6 * max(1.0, total)
    if remaining < -tol or remaining > room + tol:
        raise ValueError(f"hub '{hub}': {what} remaining energy {remaining:.6g} kWh outside [0, {room:.6g}] "
                         "(served more than the daily total, or too little time left)")
    return float(np.clip(remaining, 0.0, room))


def hub_numbers(hub: HubData, state: HubState, profile: HubProfile, quadratic_weight: float = 0.0,
                tie_weight: float = 0.0, *, target: HubState | None = None,
                net: np.ndarray | None = None) -> dict[str, Any]:
    """Every number of hub ``hub``'s program for the stage starting at ``state.period`` (name ->
    scalar or ``(H,)`` array; kW, kWh, yuan): its units' numbers (``chp.*``:
    :func:`~gamecore.energy.conversion.gas_turbine_numbers` of :func:`hub_chp`; ``gf.*``:
    :func:`~gamecore.energy.conversion.gas_boiler_numbers` of :func:`hub_furnace`), its stores'
    and shiftable loads' numbers, the stage's profile, the state (stored energies, shiftable
    energy still to serve) and the regularizer weights. :func:`hub_model` is written against
    these names, so the same numbers build a direct model or instantiate a compiled
    :class:`HubPrograms` family.

    Accounting mode (``target``, the state after the period, and ``net``, the realised exchange
    ``(H,)`` kW; ``H = 1``): no regularizer weights, no end-of-day targets; the stores' ``target``
    energies, the shiftable loads' ``total`` = the energy served in the period (clipped to what the
    period's rate can deliver: rounding only) and ``net``.

    Raises:
        ValueError: a stage outside the day, negative weights, a state the stage cannot serve, an
            accounting stage longer than one period or without ``net``.
    """
    start, horizon, periods, dt = state.period, profile.horizon, hub.periods, hub.dt
    if horizon < 1 or start < 0 or start + horizon > periods:
        raise ValueError(f"hub '{hub.name}': stage [{start}, {start + horizon}) outside the day [0, {periods})")
    accounting = target is not None
    if accounting and (horizon != 1 or net is None):
        raise ValueError(f"hub '{hub.name}': the accounting mode needs H = 1 (got {horizon}) and the exchange net")
    _check_weights(quadratic_weight, tie_weight)
    sl = slice(start, start + horizon)
    numbers: dict[str, Any] = {
        "grid_max": hub.grid_max, "export_limit": hub.export_limit,
        "renewable": np.maximum(np.asarray(profile.renewable, float), 0.0),
        "elec_load": np.asarray(profile.elec_load, float), "heat_load": np.asarray(profile.heat_load, float),
    }
    numbers.update(prefixed("chp", gas_turbine_numbers(hub_chp(hub))))
    numbers.update(prefixed("gf", gas_boiler_numbers(hub_furnace(hub))))
    if hub.lost_load_value is not None:
        numbers["lost_load_value"] = hub.lost_load_value
    stores = (("ees", hub.ees, state.ees_energy), ("tes", hub.tes, state.tes_energy))
    if target is not None:
        numbers["net"] = np.broadcast_to(np.asarray(net, float), (horizon,)).copy()
        for key, store, energy in stores:
            numbers.update(prefixed(key, storage_numbers(store, energy)))
        numbers.update({"ees.target": target.ees_energy, "tes.target": target.tes_energy})
        for key, served, rate in (("shift_e", target.elec_served - state.elec_served, hub.elec_shift_max),
                                  ("shift_h", target.heat_served - state.heat_served, hub.heat_shift_max)):
            rates = np.asarray(rate, float)[sl]
            total = float(np.clip(served, 0.0, dt * rates.sum()))
            numbers.update(prefixed(key, shiftable_numbers(ShiftableLoad(total, tuple(rates), dt=dt, name=key),
                                                            horizon)))
        return numbers
    numbers.update(quadratic_weight=quadratic_weight, tie_weight=tie_weight)
    rem_e = _remaining(hub.elec_shift_total, state.elec_served, np.asarray(hub.elec_shift_max)[start:], dt,
                       "shiftable electric", hub.name)
    rem_h = _remaining(hub.heat_shift_total, state.heat_served, np.asarray(hub.heat_shift_max)[start:], dt,
                       "shiftable heat", hub.name)
    for key, store, energy in stores:
        numbers.update(prefixed(key, storage_numbers(store, energy, hub.end_soc_penalty)))
    for key, total, rate in (("shift_e", rem_e, hub.elec_shift_max), ("shift_h", rem_h, hub.heat_shift_max)):
        rates = np.asarray(rate, float)[sl]
        if start + horizon == periods:      # the whole rest must be served: the component's equality
            part = shiftable_numbers(ShiftableLoad(total, tuple(rates), dt=dt, name=key), horizon)
        else:                               # a stage ending before the day serves at most the rest
            part = {"total": total, "p_min": np.zeros(horizon), "p_max": rates}
        numbers.update(prefixed(key, part))
    return numbers


#: numbers that must stay >= 0 for the hub program to be convex (weights on squares)
_NONNEG = ("quadratic_weight", "tie_weight")


def hub_model(hub: HubData, state: HubState, profile: HubProfile, price: np.ndarray | None = None, *,
              quadratic_weight: float = 0.0, tie_weight: float = 0.0, exclusive: bool = False,
              net: np.ndarray | None = None, net_tol: float | None = None, target: HubState | None = None,
              numbers: Mapping[str, Any] | None = None) -> HubModel:
    """Build hub ``hub``'s model for periods ``[state.period, state.period + H)``.

    The hub is composed from :mod:`gamecore.energy` components — the CHP
    (:func:`~gamecore.energy.conversion.gas_turbine_model` of :func:`hub_chp`, heat dumping =
    recoverable − recovered heat), the gas furnace (:func:`~gamecore.energy.conversion.gas_boiler_model`
    of :func:`hub_furnace`), EES and TES (:func:`~gamecore.energy.storage.storage_model`), the
    shiftable electric and heat loads (:func:`~gamecore.energy.loads.shiftable_load_model`, the
    energy still to serve as their total) — plus the grid exchange and the two bus balances.

    Args:
        hub: equipment data (fixes the program's shape: hard or soft targets and demand).
        state: current state (its ``period`` is the stage's first period).
        profile: renewable and load values for the ``H`` periods (kW).
        price: local prices ``(H,)`` (yuan/kWh) as constants; ``None`` = a ``cp.Parameter``
            named ``"price"`` (for a follower); in accounting mode no payment term (P is given).
        quadratic_weight: w ≥ 0 of the optional ``w·Σ P²`` (yuan/kW²).
        tie_weight: τ ≥ 0 of the optional ``τ·``:attr:`HubModel.tie_terms` (yuan/kW²).
        exclusive: add binary complementarity for EES and TES (mixed-integer).
        net: pin P to these values (kW, ``(H,)``) within ``net_tol`` (default
            ``1e-7·max(1, grid_max)``) — to recover a given response's dispatch. In accounting
            mode, P equals the numbers' ``net`` exactly (give ``net`` to :func:`hub_numbers`).
        target: accounting mode (``H`` = 1, the cost accounting of a realised period): the state
            after the period is given; the stores must end there and the shiftable loads serve
            ``target − state``; P is the realised exchange (no grid limits: they are the game's);
            repair slacks (:data:`REPAIR_PENALTY`) absorb solver rounding; the cost is gas +
            unserved demand + repairs (no payment, no regularizer, no end-of-day target).
        numbers: the program's numbers (:func:`hub_numbers`' names), e.g. structure parameters
            of a :class:`HubPrograms` family; default ``hub_numbers(hub, state, profile,
            quadratic_weight, tie_weight, target=target, net=net)``.
    """
    accounting = target is not None
    if numbers is None:
        numbers = hub_numbers(hub, state, profile, quadratic_weight, tie_weight, target=target,
                              net=net if accounting else None)
    v_num = numbers
    start, horizon, periods, dt = state.period, profile.horizon, hub.periods, hub.dt
    end_of_day = not accounting and start + horizon == periods
    if price is None and not accounting:
        lam: cp.Parameter | cp.Expression = cp.Parameter(horizon, name="price")
    else:
        lam = cp.Constant(np.zeros(horizon) if price is None
                          else np.broadcast_to(np.asarray(price, float), (horizon,)).copy())
    v: dict[str, cp.Expression] = {nm: cp.Variable(horizon, name=nm)
                                   for nm in ("net", "curtail", "unserved_e", "unserved_h")}
    P = v["net"]
    chp = gas_turbine_model(hub_chp(hub), horizon, numbers=component(v_num, "chp"))
    furnace = gas_boiler_model(hub_furnace(hub), horizon, numbers=component(v_num, "gf"))
    v["chp_gas"] = chp.inputs["gas"]
    v["gf_gas"] = furnace.inputs["gas"]
    v["heat_dump"] = v_num["chp.recovery"] * chp.inputs["gas"] - chp.outputs["heat"]
    end_penalty = hub.end_soc_penalty if end_of_day else None
    ees = storage_model(hub.ees, horizon, end_of_day=end_of_day, name="ees", end_penalty=end_penalty,
                        numbers=component(v_num, "ees"))
    tes = storage_model(hub.tes, horizon, end_of_day=end_of_day, name="tes", end_penalty=end_penalty,
                        numbers=component(v_num, "tes"))
    groups: dict[str, list[cp.Constraint]] = {}
    for key in ("shift_e", "shift_h"):
        load = ShiftableLoad(0.0, 0.0, dt=dt, name=key)          # shape only: the numbers give total and rates
        shift_numbers = component(v_num, key)
        if end_of_day or accounting:
            block = shiftable_load_model(load, horizon, numbers=shift_numbers)
            v[key], groups[key] = block.variables["power"], block.constraints
        else:                                                    # a stage ending before the day: serve at most
            v[key] = cp.Variable(horizon, name=key, nonneg=True)
            groups[key] = [v[key] <= shift_numbers["p_max"], dt * cp.sum(v[key]) <= shift_numbers["total"]]
    unserved = v["unserved_e"] + v["unserved_h"]
    ren = v_num["renewable"]
    elec_balance = (P + chp.outputs["power"] + ren - v["curtail"] + ees.discharge - ees.charge + v["unserved_e"]
                    - v_num["elec_load"] - v["shift_e"])
    heat_balance = (chp.outputs["heat"] + furnace.outputs["heat"] + tes.discharge - tes.charge + v["unserved_h"]
                    - v_num["heat_load"] - v["shift_h"])
    repair: list[cp.Variable] = []
    if accounting:
        repair = [cp.Variable(horizon, name="repair_e"), cp.Variable(horizon, name="repair_h"),
                  cp.Variable(1, name="repair_ees"), cp.Variable(1, name="repair_tes")]
        elec_balance, heat_balance = elec_balance + repair[0], heat_balance + repair[1]
        groups["grid"] = [P == v_num["net"]]
        groups["repair"] = [ees.energy[horizon] + repair[2] == v_num["ees.target"],
                            tes.energy[horizon] + repair[3] == v_num["tes.target"]]
    else:
        groups["grid"] = [P <= v_num["grid_max"], P >= -v_num["export_limit"]]
    groups.update({
        "chp": chp.constraints, "furnace": furnace.constraints,
        "curtail": [v["curtail"] >= 0, v["curtail"] <= ren],
        "unserved": [v["unserved_e"] >= 0, v["unserved_h"] >= 0] + ([unserved == 0] if hub.lost_load_value is None
                                                                     else []),
        "electric_balance": [elec_balance == 0], "heat_balance": [heat_balance == 0],
        "ees": ees.constraints, "tes": tes.constraints,
    })
    binaries: list[cp.Variable] = []
    if exclusive:
        groups["exclusive"] = []
        for store, key in ((ees, "ees"), (tes, "tes")):
            b = cp.Variable(horizon, boolean=True, name=f"{store.storage.name}_charging")
            binaries.append(b)
            groups["exclusive"] += [store.charge <= v_num[f"{key}.charge_max"] * b,
                                    store.discharge <= v_num[f"{key}.discharge_max"] * (1 - b)]
    if net is not None and not accounting:
        target_net = np.broadcast_to(np.asarray(net, float), (horizon,))
        tol = 1e-7 * max(1.0, hub.grid_max) if net_tol is None else net_tol
        groups["net"] = [P <= target_net + tol, P >= target_net - tol]
    cons = [c for group in groups.values() for c in group]
    cost = chp.cost + furnace.cost + ees.penalty + tes.penalty
    if not accounting:
        cost = dt * (lam @ P) + cost
    if hub.lost_load_value is not None:
        cost = cost + dt * v_num["lost_load_value"] * cp.sum(unserved)
    for s in repair:
        cost = cost + REPAIR_PENALTY * cp.sum(cp.abs(s))
    model = HubModel(hub, state, profile, v, chp, furnace, ees, tes, cons, cost, lam, end_of_day, binaries, groups,
                     repair)
    if accounting:
        return model
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
        self._families = FamilyCache(nonneg=_NONNEG)
        #: accounting programs (:meth:`accounting`), one family per hub shape
        self._accounting = FamilyCache()

    def __len__(self) -> int:
        """Stage-program families compiled so far (the accounting families not counted)."""
        return len(self._families)

    def follower(self, hub: HubData, state: HubState, profile: HubProfile, quadratic_weight: float = 0.0,
                 tie_weight: float = 0.0) -> Follower:
        """Hub ``hub`` as a follower of the stage starting at ``state.period`` (see :func:`hub_follower`)."""

        def build(params: dict[str, cp.Parameter]) -> ProgramFamily:
            model = hub_model(hub, state, profile, numbers=params)
            assert isinstance(model.price, cp.Parameter)
            return ProgramFamily(f"ieh-hub[H={profile.horizon}]", cp.Minimize(model.cost), model.constraints,
                                 {"price": model.price},
                                 {"net": hub.dt * model.variables["net"], "state": model.period_report}, params)

        key = _signature(hub, profile.horizon, state.period + profile.horizon == hub.periods)
        return self._families.follower(key, hub.name, hub_numbers(hub, state, profile, quadratic_weight, tie_weight),
                                       build)

    def accounting(self, hub: HubData, state: HubState, target: HubState, profile: HubProfile,
                   net: np.ndarray) -> CanonicalProgram:
        """Hub ``hub``'s accounting program of the period ``state.period`` (``profile``: that period's
        actual data, ``H`` = 1): :func:`hub_model` in accounting mode (``target`` the state after the
        period, ``net`` the realised exchange, kW ``(1,)``), compiled once per hub shape and
        instantiated per hub and period. No signals: solve it with ``.solve(np.zeros(0))``; outputs
        :attr:`HubModel.accounting_outputs`."""
        values = hub_numbers(hub, state, profile, target=target, net=net)
        return self._accounting_family(hub, state, target, profile, values).program(hub.name, values)

    def _accounting_family(self, hub: HubData, state: HubState, target: HubState, profile: HubProfile,
                           values: Mapping[str, Any]) -> ProgramFamily:
        def build(params: dict[str, cp.Parameter]) -> ProgramFamily:
            model = hub_model(hub, state, profile, target=target, numbers=params)
            return ProgramFamily(f"ieh-accounting[H={profile.horizon}]", cp.Minimize(model.cost),
                                 model.constraints, {}, model.accounting_outputs, params)

        return self._accounting.family(("accounting",) + _signature(hub, profile.horizon, False), values, build)

    def account(self, items: Sequence[tuple[HubData, HubState, HubState, HubProfile, np.ndarray]]
                ) -> list[dict[str, np.ndarray]]:
        """Solve the accounting programs of many hubs (each ``(hub, state, target, profile, net)`` as
        for :meth:`accounting`); returns each hub's :attr:`HubModel.accounting_outputs` values.

        The hubs of one family are solved together as one block-diagonal LP
        (:meth:`gamecore.family.ProgramFamily.solve_many`: the hubs' programs are independent), so a
        period of a thousand hubs costs one LP solve, not a thousand. Equal to solving each
        :meth:`accounting` program on its own (tested).
        """
        out: list[dict[str, np.ndarray]] = [{} for _ in items]
        batches: dict[int, tuple[ProgramFamily, list[int], list[Mapping[str, Any]]]] = {}
        for i, (hub, state, target, profile, net) in enumerate(items):
            values = hub_numbers(hub, state, profile, target=target, net=net)
            family = self._accounting_family(hub, state, target, profile, values)
            batches.setdefault(id(family), (family, [], []))
            batches[id(family)][1].append(i)
            batches[id(family)][2].append(values)
        for family, members, numbers in batches.values():
            for i, outputs in zip(members, family.solve_many([items[i][0].name for i in members], numbers)):
                out[i] = outputs
        return out


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

