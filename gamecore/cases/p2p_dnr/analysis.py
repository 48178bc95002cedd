"""Reading a ``p2p-dnr`` solution: the comparison rows and the plots.

* :func:`summary_row`: losses, minimum voltage, maximum line loading, trading welfare,
  switching operations and system cost of a ``two-tier`` result (one row of the comparison
  table of ``benchmarks/p2p_dnr.py``); :func:`reconfiguration_row` the same figures for the
  network package's reconfiguration without a market.
* plots (matplotlib, written to files): :func:`plot_topology` (open lines per period),
  :func:`plot_losses` (losses per period of several rows), :func:`plot_trades` (the day's
  bilateral trade matrix as a heat map), :func:`plot_convergence` (charge changes and losses
  per two-tier iteration).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gamecore.cases.p2p_dnr.data import Scenario
from gamecore.cases.p2p_dnr.market import trade_matrix
from gamecore.network.reconfiguration import ReconfigurationResult
from gamecore.result import Result


def summary_row(label: str, scenario: Scenario, result: Result) -> dict[str, Any]:
    """The comparison figures of a ``two-tier`` result (kW, kWh, pu, $)."""
    head, decision = result.extra["headline"], result.extra["decision"]
    loss = np.asarray(decision["loss_kw"], float)
    return {"row": label, "status": result.status, "iterations": result.iterations,
            "loss_kwh_day": float(loss.sum() * scenario.dt), "loss_kw_mean": float(loss.mean()),
            "loss_kw": loss.tolist(), "min_voltage_pu": head["min_voltage_pu"],
            "max_line_loading": head["max_line_loading"], "welfare": head["welfare"],
            "system_cost": head["system_cost"], "switching_operations": head["switching_operations"],
            "bound_gap": head["bound_gap"], "ac_check_loss_kw": head["ac_check_loss_kw"],
            "open_lines": decision["open_lines"], "wall_s": result.wall_s}


def reconfiguration_row(label: str, scenario: Scenario, res: ReconfigurationResult) -> dict[str, Any]:
    """The comparison figures of a reconfiguration of the feeder's own loads (no market)."""
    loss = np.asarray(res.loss_kw, float)
    return {"row": label, "status": res.status, "iterations": res.iterations,
            "loss_kwh_day": float(loss.sum() * scenario.dt), "loss_kw_mean": float(loss.mean()),
            "loss_kw": loss.tolist(), "min_voltage_pu": float(min(res.min_voltage_pu)),
            "max_line_loading": None, "welfare": None, "system_cost": None,
            "switching_operations": res.switching_operations, "bound_gap": res.gap,
            "ac_check_loss_kw": float(np.mean(res.ac_check_loss_kw)) if res.ac_check_loss_kw else None,
            "open_lines": res.open_lines, "wall_s": res.wall_s}


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_topology(scenario: Scenario, open_lines: Sequence[Sequence[str]], path: str | Path) -> Path:
    """Open lines per period: one row per line open in some period or in the initial configuration
    (the tie lines), dark = open."""
    plt = _pyplot()
    feeder = scenario.feeder
    initial = {feeder.line_names[e] for e in np.flatnonzero(~feeder.initially_closed)}
    names = sorted({n for period in open_lines for n in period} | initial, key=feeder.line_names.index)
    grid = np.array([[name in period for period in open_lines] for name in names], float)
    fig, ax = plt.subplots(figsize=(8, 0.35 * max(len(names), 3) + 1.2))
    ax.imshow(grid, aspect="auto", cmap="Greys", vmin=0, vmax=1, interpolation="nearest")
    ax.set_yticks(range(len(names)), [scenario.feeder.line_label(scenario.feeder.line_names.index(n)) for n in names])
    ax.set_xticks(range(len(open_lines)))
    ax.set_xlabel("period")
    ax.set_title("open lines per period (dark = open; initially open: the tie lines 32-36)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)


def plot_losses(scenario: Scenario, rows: Sequence[Mapping[str, Any]], path: str | Path) -> Path:
    """Losses per period (kW) of each comparison row."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4))
    hours = np.arange(scenario.periods) * scenario.dt
    for row in rows:
        ax.step(hours, row["loss_kw"], where="post", label=row["row"])
    ax.set_xlabel("hour")
    ax.set_ylabel("losses, kW")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)


def plot_trades(scenario: Scenario, outputs: Mapping[str, Mapping[str, np.ndarray]], path: str | Path) -> Path:
    """The day's bilateral trades (kWh, row buys from column) as a heat map."""
    plt = _pyplot()
    energy = trade_matrix(scenario, outputs).sum(axis=2) * scenario.dt
    limit = float(np.abs(energy).max()) or 1.0
    fig, ax = plt.subplots(figsize=(7, 6))
    image = ax.imshow(energy, cmap="RdBu_r", vmin=-limit, vmax=limit)
    ticks = range(len(scenario.agents))
    ax.set_xticks(ticks, scenario.agents, rotation=90, fontsize=6)
    ax.set_yticks(ticks, scenario.agents, fontsize=6)
    ax.set_xlabel("seller")
    ax.set_ylabel("buyer")
    fig.colorbar(image, ax=ax, label="kWh bought over the day")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)


def plot_convergence(result: Result, path: str | Path) -> Path:
    """Largest charge change ($/kWh, log scale) and mean losses (kW) per two-tier iteration."""
    plt = _pyplot()
    it = [h["iteration"] for h in result.history]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.semilogy(it, [max(h["charge_change"], 1e-16) for h in result.history], "o-", label="max |Δ charge|")
    ax.set_xlabel("two-tier iteration")
    ax.set_ylabel("$/kWh")
    twin = ax.twinx()
    twin.plot(it, [h["loss_kw"] for h in result.history], "s--", color="tab:red", label="mean losses")
    twin.set_ylabel("losses, kW")
    fig.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)
