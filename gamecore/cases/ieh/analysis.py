"""The ``ieh`` case's storage analysis: the storage-energy-equivalent transformation of a relaxed
dispatch, the per-hub, per-period Theorem 2 check (with a MILP re-solve where it fails) and the
violations of the exact (complementarity) hub model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from gamecore.cases.ieh.data import HubData, HubProfile, Scenario
from gamecore.cases.ieh.model import HubDispatch, HubState, initial_states, solve_hub
from gamecore.energy.storage import equivalence_condition, storage_violations, to_exclusive


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

    The exact model is the paper's: storage complementarity (``ees_complementarity``,
    ``tes_complementarity`` = largest ``min(ch, dis)``), every demand served (``unserved_e``,
    ``unserved_h`` = largest unserved demand, kW) and hard end-of-day SOC targets
    (``ees_end``, ``tes_end``, kWh). Energies are rebuilt from the powers and the initial state.
    """
    d, dt = dispatch, hub.dt
    start, horizon = state.period, profile.horizon
    end_of_day = start + horizon == hub.periods
    sl = slice(start, start + horizon)
    ren = np.asarray(profile.renewable, float)

    def over(x: np.ndarray) -> float:
        return float(max(0.0, np.max(x)))

    out = {
        "grid": max(over(d.net - hub.grid_max), over(-d.net - hub.export_limit)),
        "chp_gas": max(over(-d.chp_gas), over(d.chp_gas - hub.chp_gas_max)),
        "gf_gas": max(over(-d.gf_gas), over(d.gf_gas - hub.gf_gas_max)),
        "curtail": max(over(-d.curtail), over(d.curtail - ren)),
        "heat_dump": max(over(-d.heat_dump), over(d.heat_dump - hub.chp_eta_h * d.chp_gas)),
        "shift_e": max(over(-d.shift_e), over(d.shift_e - np.asarray(hub.elec_shift_max)[sl])),
        "shift_h": max(over(-d.shift_h), over(d.shift_h - np.asarray(hub.heat_shift_max)[sl])),
        "electric_balance": float(np.max(np.abs(
            d.net + hub.chp_eta_e * d.chp_gas + ren - d.curtail + d.ees_discharge - d.ees_charge + d.unserved_e
            - np.asarray(profile.elec_load, float) - d.shift_e))),
        "heat_balance": float(np.max(np.abs(
            hub.chp_eta_h * d.chp_gas + hub.gf_eta * d.gf_gas + d.tes_discharge - d.tes_charge - d.heat_dump
            + d.unserved_h - np.asarray(profile.heat_load, float) - d.shift_h))),
        "unserved_e": float(np.max(np.abs(d.unserved_e))),
        "unserved_h": float(np.max(np.abs(d.unserved_h))),
    }
    rem_e = hub.elec_shift_total - state.elec_served - dt * d.shift_e.sum()
    rem_h = hub.heat_shift_total - state.heat_served - dt * d.shift_h.sum()
    out["shift_e_total"] = float(abs(rem_e)) if end_of_day else float(max(0.0, -rem_e))
    out["shift_h_total"] = float(abs(rem_h)) if end_of_day else float(max(0.0, -rem_h))
    for prefix, store, ch, dis, e0 in (("ees", hub.ees, d.ees_charge, d.ees_discharge, state.ees_energy),
                                       ("tes", hub.tes, d.tes_charge, d.tes_discharge, state.tes_energy)):
        for key, value in storage_violations(store, ch, dis, e0, end_of_day).items():
            out[f"{prefix}_{key}"] = value
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

