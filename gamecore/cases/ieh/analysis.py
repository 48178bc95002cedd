"""The ``ieh`` case's storage analysis: the storage-energy-equivalent transformation of a relaxed
dispatch, the per-hub, per-period Theorem 2 check (with a MILP re-solve where it fails) and the
violations of the exact (complementarity) hub model — the hub model's own constraints evaluated
at a dispatch, plus the exact model's extras.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import cvxpy as cp
import numpy as np

from gamecore.cases.ieh.data import HubData, HubProfile, Scenario
from gamecore.cases.ieh.model import HubDispatch, HubState, hub_model, hub_numbers, initial_states, solve_hub
from gamecore.energy.storage import equivalence_condition, soc_trajectory, to_exclusive


def _tol(hub: HubData, tol: float | None) -> float:
    """Absolute kW tolerance: ``tol`` or 1e-6 × the hub's size (solver noise scales with it)."""
    return 1e-6 * max(1.0, hub.grid_max) if tol is None else float(tol)


def exclusive_dispatch(hub: HubData, profile: HubProfile, dispatch: HubDispatch,
                       tol: float | None = None) -> tuple[HubDispatch, np.ndarray, np.ndarray]:
    """Storage-energy-equivalent transformation of a relaxed dispatch (EES and TES).

    Each storage's simultaneous charge/discharge is replaced by its net operation
    (:func:`~gamecore.energy.storage.to_exclusive`); the surplus goes to renewable
    curtailment (EES) or CHP heat dumping (TES). Energies, grid exchange, gas and shiftable
    loads are unchanged, hence the cost too.

    Returns:
        ``(transformed dispatch, ok_ees (H,), ok_tes (H,))`` with the per-period Theorem 2
        condition (``tol`` kW, default 1e-6·grid_max: interior-point noise of ~1e-8 relative
        makes "both ≈ 1e-5 kW" look simultaneous on a MW-size hub). Where it is ``False``
        the transformed dispatch exceeds the curtailable amount and is not feasible for the
        exact model.

    Reading the heat-side condition: with ``D ≤ η_h·G_chp``, ``D + surplus ≤ η_h·G_chp`` is
    equivalent (by the heat balance) to ``η_gf·G_gf + dis' − ch' ≤ L^h + S^h``: it fails only
    when the net store discharge (plus furnace heat) exceeds the heat demand, i.e. the relaxed
    optimum drains the store into the heat dump. Electric side likewise: ``C + surplus ≤ R``.
    """
    tol = _tol(hub, tol)
    ch_e, dis_e, extra_e = to_exclusive(dispatch.ees_charge, dispatch.ees_discharge, hub.ees.eta_c, hub.ees.eta_d)
    ch_h, dis_h, extra_h = to_exclusive(dispatch.tes_charge, dispatch.tes_discharge, hub.tes.eta_c, hub.tes.eta_d)
    ren = np.maximum(np.asarray(profile.renewable, float), 0.0)
    dump_max = hub.chp_eta_h * np.maximum(dispatch.chp_gas, 0.0)
    ok_e = equivalence_condition(dispatch.ees_charge, dispatch.ees_discharge, hub.ees.eta_c, hub.ees.eta_d,
                                 dispatch.curtail, ren, tol)
    ok_h = equivalence_condition(dispatch.tes_charge, dispatch.tes_discharge, hub.tes.eta_c, hub.tes.eta_d,
                                 dispatch.heat_dump, dump_max, tol)
    new = replace(dispatch, ees_charge=ch_e, ees_discharge=dis_e, tes_charge=ch_h, tes_discharge=dis_h,
                  curtail=dispatch.curtail + extra_e, heat_dump=dispatch.heat_dump + extra_h)
    return new, ok_e, ok_h


def dispatch_violations(hub: HubData, state: HubState, profile: HubProfile, dispatch: HubDispatch) -> dict[str, float]:
    """Largest violation (≥ 0, kW or kWh) of each constraint family of the EXACT hub model.

    The convex model's constraints are evaluated at the dispatch's values: :func:`hub_model` is
    built with the hub's numbers as constants, its variables are set to the dispatch (the stored
    energies rebuilt from the powers and the initial state, the end-of-day misses from the
    rebuilt end energies, the CHP's recovered heat = recoverable − dumped, the furnace's heat =
    η_gf·gas) and each family of :attr:`HubModel.groups` reports its largest
    ``constraint.violation()``: ``grid``, ``chp`` (capacity, heat dumped ≤ recoverable),
    ``furnace``, ``curtail``, ``unserved`` (sign; zero with hard demand), ``shift_e``, ``shift_h``
    (rates and the energy still to serve), ``electric_balance``, ``heat_balance``, ``ees``,
    ``tes`` (the storage models: power limits, SOC bounds, soft end target). Variables declared
    non-negative cannot hold a negative value: their negative parts are added to their family and
    the other constraints are evaluated at 0 for them (e.g. heat dumped above the recoverable heat
    shows in ``chp`` and, as the heat no longer recovered, in ``heat_balance``).
    Then the exact model's extras the convex model does not contain: storage complementarity
    (``ees_complementarity``, ``tes_complementarity`` = largest ``min(ch, dis)``), every demand
    served (``unserved_e``, ``unserved_h`` = largest unserved demand, kW) and hard end-of-day SOC
    targets (``ees_end``, ``tes_end``, kWh; 0 before the last period).
    """
    d = dispatch
    numbers = hub_numbers(hub, state, profile)
    model = hub_model(hub, state, profile, np.asarray(d.prices, float), numbers=numbers)
    negative: dict[str, float] = {}

    def put(var: cp.Expression, value: np.ndarray, family: str) -> None:
        assert isinstance(var, cp.Variable), var
        value = np.asarray(value, float).reshape(var.shape)
        if var.attributes.get("nonneg"):
            negative[family] = max(negative.get(family, 0.0), float(max(0.0, -value.min(initial=0.0))))
            value = np.maximum(value, 0.0)
        var.value = value

    v = model.variables
    put(v["net"], d.net, "grid")
    put(model.chp.variables["gas"], d.chp_gas, "chp")
    put(model.chp.variables["heat"], numbers["chp.recovery"] * d.chp_gas - d.heat_dump, "chp")
    put(model.furnace.variables["heat"], d.gf_gas / numbers["gf.inv_eta"], "furnace")
    for key in ("curtail", "unserved_e", "unserved_h", "shift_e", "shift_h"):
        put(v[key], getattr(d, key), "unserved" if key.startswith("unserved") else key)
    end_of_day = model.end_of_day
    ends = {}
    for key, store, block, ch, dis, e0 in (("ees", hub.ees, model.ees, d.ees_charge, d.ees_discharge,
                                            numbers["ees.initial_energy"]),
                                           ("tes", hub.tes, model.tes, d.tes_charge, d.tes_discharge,
                                            numbers["tes.initial_energy"])):
        energy = soc_trajectory(store, ch, dis, e0)
        put(block.charge, ch, key)
        put(block.discharge, dis, key)
        put(block.energy, energy, key)
        if block.end_miss is not None:
            gap = float(numbers[f"{key}.energy_end"] - energy[-1])
            put(block.end_miss, np.array([max(gap, 0.0), max(-gap, 0.0) if store.end_equality else 0.0]), key)
        ends[key] = (store.end_miss(float(energy[-1])) if end_of_day else 0.0,
                     float(np.minimum(np.maximum(ch, 0.0), np.maximum(dis, 0.0)).max(initial=0.0)))
    out = {family: max([float(np.max(c.violation(), initial=0.0)) for c in cons] + [negative.get(family, 0.0)])
           for family, cons in model.groups.items()}
    out["unserved_e"] = float(np.max(np.abs(d.unserved_e), initial=0.0))
    out["unserved_h"] = float(np.max(np.abs(d.unserved_h), initial=0.0))
    for key, (end, both) in ends.items():
        out[f"{key}_end"] = end
        out[f"{key}_complementarity"] = both
    return out


@dataclass
class StorageReport:
    """Theorem 2 check of every hub × storage × period of one stage.

    Attributes:
        checks: number of (hub, storage, period) triples checked.
        simultaneous: triples where the relaxed dispatch charges and discharges at once (> tol).
        failures: ``(hub, "ees"|"tes", period)`` triples where condition (11) fails.
        milp: per failing hub, ``{"relaxed_cost", "exact_cost", "difference"}`` (yuan) from
            re-solving it with binary complementarity (HiGHS MILP); its ``dispatches`` entry
            is then the MILP dispatch.
        dispatches: per hub, the exclusive dispatch used (transformed, or MILP where needed).
        max_violation: largest violation of the exact model among the dispatches used.
    """

    checks: int
    simultaneous: int
    failures: list[tuple[str, str, int]]
    milp: dict[str, dict[str, float]]
    dispatches: list[HubDispatch]
    max_violation: float

    @property
    def failure_rate(self) -> float:
        """Fraction of checked triples failing Theorem 2's condition."""
        return len(self.failures) / self.checks if self.checks else 0.0


def check_storage(scenario: Scenario, prices: np.ndarray, nets: Sequence[np.ndarray] | None = None,
                  states: Sequence[HubState] | None = None, level: str = "day-ahead", milp: bool = True,
                  tol: float | None = None) -> StorageReport:
    """Relaxed dispatch → storage-energy-equivalent transformation → Theorem 2 check, per hub.

    Args:
        scenario: the scenario.
        prices: local prices of the stage ``(H,)`` (yuan/kWh), e.g. a solved game's signal.
        nets: per hub, its response ``"net"`` (kWh per period) to pin the dispatch to the one
            the game used (the LP may have several optima); ``None`` = each hub's own optimum.
        states: the stage's states (default: start of the day); the stage starts at their period.
        level: data level of the stage (see :meth:`Scenario.level_rows`).
        milp: re-solve hubs that fail with binary complementarity and report the cost difference.
        tol: kW tolerance for "simultaneous" and for the condition (default 1e-6·grid_max per hub).
    """
    states = list(states) if states is not None else initial_states(scenario)
    start = states[0].period
    checks, simultaneous, failures = 0, 0, []
    milp_out: dict[str, dict[str, float]] = {}
    dispatches, worst = [], 0.0
    for i, (hub, st) in enumerate(zip(scenario.hubs, states)):
        profile = scenario.profile(i, start, level)
        pin = None if nets is None else np.asarray(nets[i], float) / hub.dt
        relaxed = solve_hub(hub, st, profile, prices, net=pin)
        hub_tol = _tol(hub, tol)
        new, ok_e, ok_h = exclusive_dispatch(hub, profile, relaxed, hub_tol)
        checks += 2 * ok_e.size
        simultaneous += int(np.sum(np.minimum(relaxed.ees_charge, relaxed.ees_discharge) > hub_tol))
        simultaneous += int(np.sum(np.minimum(relaxed.tes_charge, relaxed.tes_discharge) > hub_tol))
        bad = [(hub.name, "ees", start + int(t)) for t in np.flatnonzero(~ok_e)]
        bad += [(hub.name, "tes", start + int(t)) for t in np.flatnonzero(~ok_h)]
        failures += bad
        if bad and milp:
            free = solve_hub(hub, st, profile, prices) if pin is not None else relaxed
            exact = solve_hub(hub, st, profile, prices, exclusive=True)
            milp_out[hub.name] = {"relaxed_cost": free.cost, "exact_cost": exact.cost,
                                  "difference": exact.cost - free.cost}
            new = exact
        dispatches.append(new)
        viol = dispatch_violations(hub, st, profile, new)
        worst = max(worst, max(viol.values()) / max(1.0, hub.grid_max))
    return StorageReport(checks, simultaneous, failures, milp_out, dispatches, worst)

