"""Accounting of a ``ries`` solution (the paper's table columns), the welfare optimum, the ablation, plots.

* :func:`account` — a solved case's EGO profit and its parts, each LA's cost, the RIES
  emissions, in the paper's units (CNY, kg), from the result's signals and responses (the
  EGO's quantities re-evaluated by :func:`gamecore.cases.ries.ego.ego_numbers`, the LAs'
  costs as the certificate's re-solved objectives).
* :func:`welfare_optimum` — the centralized problem of the same system: the EGO's operating
  cost plus the LAs' own costs (curtailment, discomfort) minimised jointly, payments
  cancelling out (one convex program, Clarabel). Removing equipment (storage, P2G-CCS) can
  only raise its optimal cost and replacing SCTM by the base price can only lower it: the
  ablation directions the model guarantees, tested.
* :func:`ablation` — every scenario solved by one strategy, with the welfare optimum and the
  paper's figures beside ours, and each scenario's change relative to scenario 1.
* :func:`plot_solution` — prices vs the TOU tariff, the EGO's dispatch stack, indoor
  temperature and PMV per LA, emissions per period, and (for ADMM) the residual history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import cvxpy as cp
import numpy as np

from gamecore.case import Case
from gamecore.cases.ries.aggregator import la_building, la_model, pmv_model
from gamecore.cases.ries.data import PAPER_TABLE, SCENARIOS, RIESData
from gamecore.cases.ries.ego import OWN, ego_constraints, ego_numbers, ego_signals, ego_terms
from gamecore.energy import simulate_building
from gamecore.result import Result

#: case units -> paper units: kCNY -> CNY, t -> kg
TO_CNY = 1000.0
TO_KG = 1000.0


def account(case: Case, result: Result) -> dict[str, Any]:
    """The paper's columns for a solved ``ries`` case (CNY, kg; NaN entries when the solve failed).

    Keys: ``ego_revenue`` (the EGO's profit: its objective), ``sales`` (LA payments),
    ``coal_cost``, ``gas_cost``, ``ccs_cost``, ``grid_cost`` (purchases − feed-in), ``carbon_cost``,
    ``la_costs`` (LA name -> its objective: payments + curtailment + discomfort),
    ``emissions_kg`` (RIES emissions net of capture), ``quota_kg``, ``p2g_mwh``, ``ccs_t``.
    """
    data: RIESData = case.params["data"]  # type: ignore[assignment]
    names = [la.name for la in data.las]
    if not result.signals or any(not np.all(np.isfinite(v)) for v in result.signals.values()):
        return {"ego_revenue": float("nan"), "la_costs": {n: float("nan") for n in names},
                "emissions_kg": float("nan")}
    numbers = ego_numbers(data, result.signals)
    sales = sum(float(np.sum(result.signals["price_e"] * result.outputs[n]["elec"])
                      + np.sum(result.signals["price_h"] * result.outputs[n]["heat"])) for n in names)
    return {
        "ego_revenue": (sales - float(numbers["operating_cost"])) * TO_CNY,
        "sales": sales * TO_CNY,
        "coal_cost": float(numbers["coal_cost"]) * TO_CNY,
        "gas_cost": float(numbers["gas_cost"]) * TO_CNY,
        "ccs_cost": float(numbers["ccs_cost"]) * TO_CNY,
        "grid_cost": float(numbers["grid_cost"]) * TO_CNY,
        "carbon_cost": float(numbers["carbon_cost"]) * TO_CNY,
        "la_costs": {n: float(result.follower_objectives[n]) * TO_CNY for n in names},
        "emissions_kg": float(np.sum(numbers["emissions"])) * TO_KG,
        "quota_kg": float(np.sum(numbers["quota"])) * TO_KG,
        "p2g_mwh": float(np.sum(result.signals["p2g"]) * data.dt),
        "ccs_t": float(np.sum(result.signals["ccs"]) * data.dt),
    }


def welfare_optimum(data: RIESData) -> dict[str, Any]:
    """The centralized optimum of the system (module docstring): cost in CNY, emissions in kg.

    Keys: ``status``, ``cost`` (EGO operating cost + LA own costs, CNY), ``emissions_kg``,
    ``dispatch`` (the EGO's own decision name -> ``(T,)``).
    """
    T = data.periods
    boxes = {s.name: s for s in ego_signals(data)}
    own = {name: cp.Variable(T, name=name) for name in OWN}
    signals: dict[str, cp.Expression] = dict(own)
    terms = ego_terms(data, signals)
    cons: list[cp.Constraint] = []
    for name, var in own.items():
        cons += [var >= boxes[name].lower_array, var <= boxes[name].upper_array]
    elec: cp.Expression = cp.Constant(np.zeros(T))
    heat: cp.Expression = cp.Constant(np.zeros(T))
    own_cost: cp.Expression = cp.Constant(0.0)
    for i, la in enumerate(data.las):
        model = la_model(la, data.elec[i], data)
        cons += model.constraints
        elec, heat, own_cost = elec + model.elec, heat + model.heat, own_cost + model.own_cost
    # the EGO's physical constraints on the LAs' purchases (the price caps hold for zero prices)
    price_free = {**signals, "price_e": cp.Constant(np.zeros(T)), "price_h": cp.Constant(np.zeros(T))}
    cons += ego_constraints(data, price_free, {"elec": elec, "heat": heat})
    problem = cp.Problem(cp.Minimize(terms.operating_cost + own_cost), cons)
    problem.solve(solver=cp.CLARABEL)
    if problem.status not in ("optimal", "optimal_inaccurate"):
        return {"status": problem.status, "cost": float("nan"), "emissions_kg": float("nan"), "dispatch": {}}
    return {"status": problem.status, "cost": float(problem.value) * TO_CNY,
            "emissions_kg": float(np.sum(np.asarray(terms.emissions.value))) * TO_KG,
            "dispatch": {k: np.asarray(v.value, dtype=float) for k, v in own.items()}}


def relative(value: float, base: float) -> float:
    """``(value − base)/|base|`` (NaN when base is 0 or either is NaN)."""
    return float((value - base) / abs(base)) if base and np.isfinite(base) and np.isfinite(value) else float("nan")


def ablation(results: Mapping[int, tuple[Case, Result]]) -> list[dict[str, Any]]:
    """One row per scenario: ours (from :func:`account`), the welfare optimum, the paper's figures, and
    every figure's change relative to scenario 1 (ours and the paper's), for the scenarios given."""
    rows = []
    for k, (case, result) in sorted(results.items()):
        acc = account(case, result)
        welfare = welfare_optimum(case.params["data"])  # type: ignore[arg-type]
        paper_rev, paper_las, paper_em = PAPER_TABLE[k]
        la = list(acc["la_costs"].values())
        row: dict[str, Any] = {"scenario": k, "label": SCENARIOS[k].label, "status": result.status,
                               "certified": result.certificate.within(),
                               "ego_revenue": acc["ego_revenue"], "la_cost_total": float(np.sum(la)),
                               "emissions_kg": acc["emissions_kg"], "welfare_cost": welfare["cost"],
                               "welfare_emissions_kg": welfare["emissions_kg"],
                               "paper_ego_revenue": paper_rev, "paper_la_cost_total": float(sum(paper_las)),
                               "paper_emissions_kg": paper_em}
        for n, v in acc["la_costs"].items():
            row[f"la_cost_{n}"] = v
        for j, v in enumerate(paper_las):
            row[f"paper_la_cost_LA{j + 1}"] = v
        rows.append(row)
    base = next((r for r in rows if r["scenario"] == 1), None)
    for r in rows:
        for key in ("ego_revenue", "la_cost_total", "emissions_kg", "welfare_cost"):
            r[f"d_{key}"] = relative(r[key], base[key]) if base is not None else float("nan")
        for key in ("ego_revenue", "la_cost_total", "emissions_kg"):
            paper = f"paper_{key}"
            r[f"d_{paper}"] = relative(r[paper], base[paper]) if base is not None else float("nan")
    return rows


def la_comfort(case: Case, result: Result) -> dict[str, dict[str, np.ndarray]]:
    """Per LA: indoor temperature ``(T+1,)`` °C and linear PMV ``(T,)`` from its heat purchases."""
    data: RIESData = case.params["data"]  # type: ignore[assignment]
    pmv = pmv_model()
    out = {}
    for la in data.las:
        heat = np.asarray(result.outputs[la.name]["heat"], dtype=float) / data.dt
        temps = simulate_building(la_building(la, data), heat, data.outdoor)
        out[la.name] = {"temperature": temps, "pmv": pmv(temps[1:])}
    return out


def plot_solution(case: Case, result: Result, path: str | Path) -> Path:
    """Prices vs TOU, dispatch stack, LA comfort, emissions per period and (ADMM) residuals, one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data: RIESData = case.params["data"]  # type: ignore[assignment]
    hours = np.arange(data.periods) * data.dt
    edges = np.arange(data.periods + 1) * data.dt
    sig = result.signals

    def steps(values: np.ndarray) -> np.ndarray:      # a value per period, drawn over its whole period
        return np.append(values, values[-1])

    residuals = [r for r in result.history if "primal_residual" in r]
    fig, axes = plt.subplots(3 if residuals else 2, 2, figsize=(12, 11 if residuals else 7.5))
    ax = axes[0, 0]
    ax.step(edges, steps(data.tou), where="post", label="TOU (grid purchase)", color="0.5", ls="--")
    ax.step(edges, steps(data.fit), where="post", label="FIT (feed-in)", color="0.7", ls=":")
    ax.step(edges, steps(sig["price_e"]), where="post", label="EGO electricity price")
    ax.step(edges, steps(sig["price_h"]), where="post", label="EGO heat price")
    ax.set(title="selling prices", xlabel="hour", ylabel="CNY/kWh")
    ax.legend(fontsize=7)
    ax = axes[0, 1]
    parts = {"coal": sig["coal"], "GT": sig["gt"], "PV": sig["pv"], "grid buy": sig["buy"],
             "ESS discharge": sig["ess_dis"]}
    bottom = np.zeros(data.periods)
    for label, values in parts.items():
        ax.bar(hours, values, width=data.dt, bottom=bottom, align="edge", label=label)
        bottom = bottom + values
    uses = sig["sell"] + sig["p2g"] + sig["ess_ch"]
    ax.bar(hours, -uses, width=data.dt, align="edge", label="sell + P2G + ESS charge", color="0.6")
    ax.set(title="EGO electric dispatch", xlabel="hour", ylabel="MW")
    ax.legend(fontsize=7)
    ax = axes[1, 0]
    comfort = la_comfort(case, result)
    for name, c in comfort.items():
        ax.plot(edges, c["temperature"], label=f"{name} T_in")
    ax.set(title="indoor temperature (PMV on the right axis)", xlabel="hour", ylabel="°C")
    twin = ax.twinx()
    for c in comfort.values():
        twin.plot(hours + data.dt, c["pmv"], ls=":", lw=1)
    twin.set_ylabel("PMV")
    ax.legend(fontsize=7)
    ax = axes[1, 1]
    emissions = np.asarray(ego_numbers(data, sig)["emissions"]) * TO_KG
    ax.bar(hours, emissions, width=data.dt, align="edge")
    ax.set(title=f"RIES emissions per period (total {emissions.sum():,.0f} kg)", xlabel="hour", ylabel="kg")
    if residuals:
        ax = axes[2, 0]
        ax.semilogy([r["price_residual"] for r in residuals], label="price residual (signal consensus)")
        ax.semilogy([r["power_residual"] for r in residuals], label="power residual (purchase consensus)")
        ax.semilogy([r["dual_residual"] for r in residuals], label="dual residual")
        ax.set(title="ADMM residuals (all rounds)", xlabel="iteration")
        ax.legend(fontsize=7)
        axes[2, 1].axis("off")
    fig.suptitle(f"{case.game.name}: {result.strategy} ({result.status})")
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def table_lines(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The ablation table as text: ours beside the paper's, and the changes relative to scenario 1."""
    head = (f"{'scen':>4}  {'EGO revenue CNY':>16} {'paper':>10}  {'LA cost CNY':>12} {'paper':>10}  "
            f"{'emissions kg':>13} {'paper':>10}  {'dRev':>7} {'paper':>7}  {'dLA':>7} {'paper':>7}  "
            f"{'dEm':>7} {'paper':>7}")
    lines = [head]
    for r in rows:
        lines.append(
            f"{r['scenario']:>4}  {r['ego_revenue']:>16,.0f} {r['paper_ego_revenue']:>10,.0f}  "
            f"{r['la_cost_total']:>12,.0f} {r['paper_la_cost_total']:>10,.0f}  {r['emissions_kg']:>13,.0f} "
            f"{r['paper_emissions_kg']:>10,.0f}  {r['d_ego_revenue']:>+7.1%} {r['d_paper_ego_revenue']:>+7.1%}  "
            f"{r['d_la_cost_total']:>+7.1%} {r['d_paper_la_cost_total']:>+7.1%}  {r['d_emissions_kg']:>+7.1%} "
            f"{r['d_paper_emissions_kg']:>+7.1%}")
    return lines
