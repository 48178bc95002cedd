"""Accounting of ``cies`` solutions, the centralized schedules (scenarios 1–3), the scenario table, plots.

* :func:`account` — a solved game's payoffs in the paper's columns (CNY, t): the ES's revenue
  and its parts, each CCHP operator's earnings and each aggregator's consumer surplus (minus
  their objectives, as the certificate re-evaluates them), the community's emissions, and
  every carbon account: excess, modelled and exact trading cost, the stage reached, and
  whether the convex model was exact there (:func:`carbon_accounts`).
* :func:`centralized` — the welfare-maximising schedule of the same community under the
  scenario's carbon mechanism: every aggregator's utility minus every operator's fuel, wear
  and carbon cost minus the ES's grid, shortfall and carbon cost, one convex program
  (Clarabel). The payoffs are split at its competitive prices — the duals of the four
  aggregate balances, at which every follower's own best response is its part of the
  schedule (tested) — so the ES, a price taker there, keeps only its grid and carbon margin.
  The prices cancel in the sum: ES + CCHP + LA = welfare, whatever the prices.
* :func:`scenario_table` — the paper's Table 3 rows: scenarios 1–3 centralized, scenario 4
  the game (a given result), each against scenario 1 beside the paper's figures.
* :func:`plot_front`, :func:`plot_solution` — the Pareto front with the chosen point and the
  exact scalarised points; prices against the tariffs, the CCHP dispatch stack, emissions per
  period, the carbon stage reached per agent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import cvxpy as cp
import numpy as np

from gamecore.case import Case
from gamecore.cases.cies.aggregator import la_model
from gamecore.cases.cies.cchp import carbon_cost, cchp_model, exact_carbon_cost
from gamecore.cases.cies.data import PAPER_TABLE, SCENARIOS, TO_CNY, CIESData
from gamecore.cases.cies.seller import seller_numbers, seller_terms, trade_values
from gamecore.result import Result

#: the four aggregate balances whose duals price the centralized schedule: (output, sign of the dual)
BALANCES = (("elec_demand", -1.0), ("heat_demand", -1.0), ("elec_supply", 1.0), ("heat_supply", 1.0))
#: the price each balance's dual gives (the game's signal of the same role)
BALANCE_PRICE = {"elec_demand": "price_es", "heat_demand": "price_hs", "elec_supply": "price_eb",
                 "heat_supply": "price_hb"}


def stage_reached(data: CIESData, excess: float) -> int:
    """The carbon stage of an excess (t): ``k ≥ 1`` the k-th penalty stage, ``−k`` the k-th reward
    stage, 0 exactly at the quota (scenario 1 has no trading: 0)."""
    if data.scenario.carbon == "none" or excess == 0:
        return 0
    carbon = data.market.carbon
    if excess > 0:
        return int(min(carbon.buy_stages, np.floor(excess / carbon.interval) + 1))
    return -int(min(carbon.sell_stages, np.floor(-excess / carbon.interval) + 1))


def carbon_accounts(data: CIESData, numbers: Mapping[str, Any],
                    per_cchp: Mapping[str, Mapping[str, np.ndarray]]) -> dict[str, dict[str, Any]]:
    """Every trading agent's account (``numbers``: the ES's :func:`seller_numbers`): ``excess_t``,
    ``modelled_cny`` (the convex model the agents optimise), ``exact_cny`` (the seed's
    stage-feedback cost), ``stage`` and ``exact`` (the two agree: for stage feedback, the excess
    is at least −s)."""
    market = data.market
    accounts: dict[str, tuple[float, float]] = {"ES": (float(numbers["carbon_excess"]),
                                                       float(numbers["carbon_cost"]))}
    for op in data.cchps:
        out = per_cchp[op.name]
        excess = float(np.sum(out["co2"]) - market.quota_heat * np.sum(out["heat_supply"]))
        modelled = float(np.asarray(carbon_cost(market, data.scenario.carbon, cp.Constant(excess)).value))
        accounts[op.name] = (excess, modelled)
    out_map = {}
    for name, (excess, modelled) in accounts.items():
        exact = exact_carbon_cost(data, excess)
        out_map[name] = {"excess_t": excess, "modelled_cny": modelled * TO_CNY, "exact_cny": exact * TO_CNY,
                         "stage": stage_reached(data, excess),
                         "exact": bool(abs(exact - modelled) <= 1e-9 * max(1.0, abs(exact)))}
    return out_map


def account(case: Case, result: Result) -> dict[str, Any]:
    """The paper's columns for a solved ``cies`` game (CNY, t; NaN entries when the solve failed).

    Keys: ``es`` (the ES's revenue) with ``sales``, ``purchases``, ``grid_cost``, ``shortfall``,
    ``carbon_cost``; ``cchp`` / ``la`` (name -> earnings / consumer surplus) and their totals
    ``cchp_total`` / ``la_total``; ``welfare`` (ES + CCHP + LA); ``emissions_t``; ``carbon``
    (:func:`carbon_accounts`); ``grid_import_mwh``.
    """
    data: CIESData = case.params["data"]  # type: ignore[assignment]
    if not result.signals or any(not np.all(np.isfinite(v)) for v in result.signals.values()):
        nan = float("nan")
        return {"es": nan, "cchp_total": nan, "la_total": nan, "welfare": nan, "emissions_t": nan}
    agg = case.game.aggregates([_as_response(result.outputs[f.name]) for f in case.game.followers])
    cchp = {op.name: -float(result.follower_objectives[op.name]) * TO_CNY for op in data.cchps}
    la = {a.name: -float(result.follower_objectives[a.name]) * TO_CNY for a in data.las}
    return _columns(data, result.signals, agg, cchp, la, {op.name: result.outputs[op.name] for op in data.cchps})


def _as_response(outputs: Mapping[str, np.ndarray]) -> Any:
    from gamecore.canonical import Response
    return Response("optimal", {k: np.asarray(v, dtype=float) for k, v in outputs.items()}, 0.0, 0.0, 0)


def _columns(data: CIESData, prices: Mapping[str, np.ndarray], agg: Mapping[str, np.ndarray],
             cchp: dict[str, float], la: dict[str, float], per_cchp: Mapping[str, Mapping[str, np.ndarray]]
             ) -> dict[str, Any]:
    numbers = seller_numbers(data, agg)
    sales, purchases = trade_values(prices, agg)
    es = (sales - purchases - float(numbers["cost"])) * TO_CNY
    return {
        "es": es, "sales": sales * TO_CNY, "purchases": purchases * TO_CNY,
        "grid_cost": float(numbers["grid_cost"]) * TO_CNY, "shortfall": float(numbers["shortfall"]) * TO_CNY,
        "carbon_cost": float(numbers["carbon_cost"]) * TO_CNY,
        "cchp": cchp, "la": la, "cchp_total": float(sum(cchp.values())), "la_total": float(sum(la.values())),
        "welfare": es + float(sum(cchp.values())) + float(sum(la.values())),
        "emissions_t": float(numbers["emissions"]), "grid_import_mwh": float(np.sum(numbers["grid_import"])),
        "carbon": carbon_accounts(data, numbers, per_cchp),
    }


def centralized(data: CIESData) -> dict[str, Any]:
    """The welfare-maximising schedule and its competitive split (module docstring).

    Keys: ``status``; ``prices`` (the four duals, kCNY/MWh, ``(T,)`` each, under the game's
    signal names); ``outputs`` (follower name -> its outputs, MWh / t per period); and the
    columns of :func:`account` (CNY, t).
    """
    cchps = [cchp_model(op, j, data) for j, op in enumerate(data.cchps)]
    las = [la_model(la, i, data) for i, la in enumerate(data.las)]
    T = data.periods
    sums = {"elec_demand": sum(m.elec for m in las), "heat_demand": sum(m.heat for m in las),
            "elec_supply": sum(m.elec for m in cchps), "heat_supply": sum(m.heat for m in cchps)}
    agg_vars = {name: cp.Variable(T, name=name) for name in sums}
    balances = {name: agg_vars[name] == sums[name] for name in sums}
    agg: dict[str, cp.Expression] = dict(agg_vars)
    agg["co2"] = cp.sum(cp.vstack([m.co2 for m in cchps]), axis=0)
    terms = seller_terms(data, agg)
    utility = sum(m.utility for m in las)
    own = sum(m.own_cost for m in cchps)
    constraints = [c for m in cchps for c in m.constraints] + [c for m in las for c in m.constraints]
    problem = cp.Problem(cp.Maximize(utility - own - terms.cost), constraints + list(balances.values()))
    problem.solve(solver=cp.CLARABEL)
    if problem.status not in ("optimal", "optimal_inaccurate"):
        return {"status": problem.status}
    prices = {BALANCE_PRICE[name]: sign * np.asarray(balances[name].dual_value, dtype=float) for name, sign in BALANCES}
    outputs: dict[str, dict[str, np.ndarray]] = {}
    for op, mc in zip(data.cchps, cchps):
        outputs[op.name] = {"elec_supply": np.asarray(mc.elec.value), "heat_supply": np.asarray(mc.heat.value),
                            "co2": np.asarray(mc.co2.value)}
    for la, ml in zip(data.las, las):
        outputs[la.name] = {"elec_demand": np.asarray(ml.elec.value), "heat_demand": np.asarray(ml.heat.value)}
    cchp_pay = {op.name: (float(prices["price_eb"] @ outputs[op.name]["elec_supply"]
                                + prices["price_hb"] @ outputs[op.name]["heat_supply"])
                          - float(np.asarray(mc.own_cost.value))) * TO_CNY for op, mc in zip(data.cchps, cchps)}
    la_pay = {la.name: (float(np.asarray(ml.utility.value))
                        - float(prices["price_es"] @ outputs[la.name]["elec_demand"]
                                + prices["price_hs"] @ outputs[la.name]["heat_demand"])) * TO_CNY
              for la, ml in zip(data.las, las)}
    values = {name: np.asarray(v.value, dtype=float) for name, v in agg_vars.items()}
    values["co2"] = np.asarray(agg["co2"].value, dtype=float)
    columns = _columns(data, prices, values, cchp_pay, la_pay, outputs)
    return {"status": problem.status, "prices": prices, "outputs": outputs,
            "welfare_optimum": float(problem.value) * TO_CNY, **columns}


def scenario_table(game_case: Case, game_result: Result, agents: int | None = None, periods: int | None = None,
                   seed: int = 0) -> list[dict[str, Any]]:
    """The paper's Table 3 (module docstring): scenarios 1–3 centralized on ``game_case``'s
    community, scenario 4 ``game_result`` (the game of ``game_case``, scenario 4), each with the
    paper's figures and both relative changes against scenario 1.

    Row keys: ``scenario``, ``scheduling``, ``carbon``, ``status``, ``es``, ``cchp``, ``la``,
    ``welfare`` (CNY), ``emissions_t``, ``paper`` (its four figures), ``change`` and
    ``paper_change`` (relative to scenario 1, per column; NaN where scenario 1's value is ≈ 0,
    :data:`FLOORS`).
    """
    from gamecore.cases.cies.data import make_data

    data: CIESData = game_case.params["data"]  # type: ignore[assignment]
    rows = []
    for k in (1, 2, 3):
        sc = SCENARIOS[k]
        cdata = make_data(agents or data.agents, periods or data.periods, seed, sc)
        c = centralized(cdata)
        rows.append({"scenario": k, "scheduling": sc.scheduling, "carbon": sc.carbon, "status": c["status"],
                     "es": c.get("es"), "cchp": c.get("cchp_total"), "la": c.get("la_total"),
                     "welfare": c.get("welfare"), "emissions_t": c.get("emissions_t")})
    acc = account(game_case, game_result)
    rows.append({"scenario": 4, "scheduling": "game", "carbon": "stage", "status": game_result.status,
                 "es": acc["es"], "cchp": acc["cchp_total"], "la": acc["la_total"], "welfare": acc["welfare"],
                 "emissions_t": acc["emissions_t"]})
    base = rows[0]
    for row in rows:
        paper = PAPER_TABLE[row["scenario"]]
        row["paper"] = dict(paper)
        row["change"] = {key: _relative(row[key], base[key], FLOORS[key]) for key in FLOORS}
        row["paper_change"] = {key: _relative(paper[key], PAPER_TABLE[1][key], FLOORS[key]) for key in FLOORS}
    return rows


#: the columns compared with scenario 1, and the base below which a relative change means nothing
#: (1 CNY; 1 kg): the ES of a centralized schedule at competitive prices earns ≈ 0
FLOORS = {"es": 1.0, "cchp": 1.0, "la": 1.0, "emissions_t": 1e-3}


def _relative(value: float | None, base: float | None, floor: float) -> float:
    """``(value − base)/|base|``; NaN when either is missing or ``|base| < floor``."""
    if value is None or base is None or not np.isfinite(value) or not np.isfinite(base) or abs(base) < floor:
        return float("nan")
    return (value - base) / abs(base)


def front_distance(front: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Per exact point, the distance to the nearest front point after normalising every objective
    by the exact points' and the front's common range (``(n_points,)``; 0: the front contains it)."""
    front, points = np.atleast_2d(front), np.atleast_2d(points)
    both = np.vstack([front, points])
    span = np.where(np.ptp(both, axis=0) > 0, np.ptp(both, axis=0), 1.0)
    return np.array([float(np.min(np.linalg.norm((front - p) / span, axis=1))) for p in points])


# ----------------------------------------------------------------------------------- plots
def plot_front(pareto: Sequence[Sequence[float]], chosen: Sequence[float], exact: Sequence[Sequence[float]],
               path: Path, title: str = "cies: ES revenue vs emissions") -> Path:
    """The Pareto front (revenue CNY vs emissions t) with the chosen point and the exact points."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    F = np.asarray(pareto, dtype=float)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.plot(F[:, 1], -F[:, 0] * TO_CNY, "o", ms=4, label="nsga-qp Pareto set")
    ax.plot(chosen[1], -chosen[0] * TO_CNY, "*", ms=14, label="chosen (compromise)")
    if len(exact):
        E = np.asarray(exact, dtype=float)
        ax.plot(E[:, 1], -E[:, 0] * TO_CNY, "kx", ms=9, mew=2, label="kkt weighted sums (exact)")
    ax.set_xlabel("community emissions (t)")
    ax.set_ylabel("ES revenue (CNY)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_solution(case: Case, result: Result, directory: Path) -> list[Path]:
    """Prices against the tariffs, the CCHP dispatch stack, emissions per period, carbon stages."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data: CIESData = case.params["data"]  # type: ignore[assignment]
    directory.mkdir(parents=True, exist_ok=True)
    hours = np.arange(data.periods) * data.dt
    s = result.signals
    paths = []
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    axes[0].step(hours, data.tou, where="post", color="k", ls="--", label="grid TOU")
    axes[0].step(hours, data.fit, where="post", color="grey", ls=":", label="grid FIT")
    axes[0].step(hours, s["price_es"], where="post", label="ES sells (price_es)")
    axes[0].step(hours, s["price_eb"], where="post", label="ES buys (price_eb)")
    axes[0].set_title("electricity prices (CNY/kWh)")
    axes[1].step(hours, s["price_hs"], where="post", label="ES sells (price_hs)")
    axes[1].step(hours, s["price_hb"], where="post", label="ES buys (price_hb)")
    axes[1].set_title("heat prices (CNY/kWh)")
    for ax in axes:
        ax.set_xlabel("hour")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    paths.append(directory / "prices.png")
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)

    agg = case.game.aggregates([_as_response(result.outputs[f.name]) for f in case.game.followers])
    numbers = seller_numbers(data, agg)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    width = 0.8 * data.dt
    supply = agg["elec_supply"] / data.dt
    imports = np.asarray(numbers["grid_import"]) / data.dt
    axes[0].bar(hours, supply, width, align="edge", label="CCHP operators (wind, PV, ICG, battery)")
    axes[0].bar(hours, imports, width, bottom=supply, align="edge", label="grid import")
    axes[0].step(hours, agg["elec_demand"] / data.dt, where="post", color="k", label="aggregators' demand")
    axes[0].set_title("electricity (MW)")
    axes[0].legend(fontsize=8)
    co2_cchp = agg["co2"]
    co2_grid = data.market.grid_emission * np.asarray(numbers["grid_import"])
    axes[1].bar(hours, co2_cchp, width, align="edge", label="CCHP gas")
    axes[1].bar(hours, co2_grid, width, bottom=co2_cchp, align="edge", label="grid (coal)")
    axes[1].set_title("emissions per period (t)")
    axes[1].legend(fontsize=8)
    for ax in axes:
        ax.set_xlabel("hour")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    paths.append(directory / "dispatch_emissions.png")
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)

    accounts = carbon_accounts(data, numbers, {op.name: result.outputs[op.name] for op in data.cchps})
    fig, ax = plt.subplots(figsize=(6, 3.5))
    names = list(accounts)
    ax.bar(names, [accounts[n]["excess_t"] for n in names])
    for i, n in enumerate(names):
        ax.annotate(f"stage {accounts[n]['stage']}", (i, accounts[n]["excess_t"]), ha="center", va="bottom")
    ax.axhline(0, color="k", lw=0.8)
    ax.set_ylabel("emissions − quota (t)")
    ax.set_title("carbon account and stage reached per agent")
    fig.tight_layout()
    paths.append(directory / "carbon_stages.png")
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)
    return paths


__all__ = ["account", "carbon_accounts", "centralized", "front_distance", "plot_front", "plot_solution",
           "scenario_table", "stage_reached"]
