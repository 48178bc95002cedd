"""Convergence plots of a :class:`~gamecore.result.Result` (matplotlib, Agg backend).

The figure has two panels:

* left: residual-like history columns (coupling residual, primal/dual residuals, gaps,
  bracket widths...) against the iteration, on a log scale. A history without such
  columns shows the objective instead (linear scale), or a note when there is nothing.
* right: the signals (usually prices, one line per period and carrier) per iteration,
  from the ``signals`` entries of the history. A history without signals (e.g. the
  centralized reference) shows the final signals against their index instead.

No pyplot and no global backend switch: the figure is drawn on its own Agg canvas, so
importing this module never changes the caller's matplotlib state.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from gamecore.result import Result

#: history column names that measure distance to convergence (plotted on a log scale)
RESIDUAL_PATTERN = re.compile(r"resid|gap|err|viol|infeas|bracket|norm", re.IGNORECASE)
#: at most this many signal entries are drawn (evenly spaced subset beyond it)
MAX_SIGNAL_LINES = 60


def residual_columns(frame: pd.DataFrame) -> list[str]:
    """Scalar numeric history columns whose name looks residual-like (see ``RESIDUAL_PATTERN``)."""
    return [c for c in frame.columns
            if "[" not in c and RESIDUAL_PATTERN.search(c) and pd.api.types.is_numeric_dtype(frame[c])
            and not pd.api.types.is_bool_dtype(frame[c])]


def signal_columns(frame: pd.DataFrame) -> list[str]:
    """Expanded ``signals[j]`` columns of a history frame, in index order."""
    cols = [c for c in frame.columns if c.startswith("signals[")]
    return sorted(cols, key=lambda c: int(c[len("signals["):-1]))


def plot_convergence(result: Result, path: str | Path, title: str | None = None) -> Path:
    """Write the two-panel convergence figure of ``result`` to ``path`` (PNG); return the path."""
    frame = result.history_frame()
    x = _iterations(frame)
    fig = Figure(figsize=(12.0, 4.5), layout="constrained")
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2)
    _residual_panel(left, frame, x)
    _signal_panel(right, frame, x, result)
    fig.suptitle(title or f"{result.strategy} on {result.game}: {result.status} after {result.iterations} iterations")
    path = Path(path)
    fig.savefig(path, format="png", dpi=100)
    return path


def _iterations(frame: pd.DataFrame) -> np.ndarray:
    if "iteration" in frame.columns and pd.api.types.is_numeric_dtype(frame["iteration"]):
        return frame["iteration"].to_numpy(dtype=float)
    return np.arange(1, len(frame) + 1, dtype=float)


def _residual_panel(ax: Axes, frame: pd.DataFrame, x: np.ndarray) -> None:
    drawn = False
    for col in residual_columns(frame):
        values = frame[col].to_numpy(dtype=float)
        values = np.where(values > 0, values, np.nan)  # log scale: zeros and negatives are not drawn
        if np.isfinite(values).any():
            ax.plot(x, values, marker="." if len(x) < 40 else None, label=col)
            drawn = True
    if drawn:
        ax.set_yscale("log")
        ax.set_title("residuals (log scale)")
        ax.legend(fontsize="small")
    elif "objective" in frame.columns and pd.api.types.is_numeric_dtype(frame["objective"]):
        ax.plot(x, frame["objective"].to_numpy(dtype=float), marker="o", label="objective")
        ax.set_title("objective (no residual history recorded)")
        ax.legend(fontsize="small")
    else:
        _note(ax, "no residual history recorded")
        ax.set_title("residuals")
    ax.set_xlabel("iteration")
    ax.grid(True, which="both", alpha=0.3)


def _signal_panel(ax: Axes, frame: pd.DataFrame, x: np.ndarray, result: Result) -> None:
    names = ", ".join(result.signals) if result.signals else "signals"
    cols = signal_columns(frame)
    if cols:
        picked = _subset(cols, MAX_SIGNAL_LINES)
        colors = _colors(len(picked))
        for color, col in zip(colors, picked):
            ax.plot(x, frame[col].to_numpy(dtype=float), color=color, lw=1.0, label=f"entry {col[8:-1]}")
        shown = f"{len(picked)} of {len(cols)}" if len(picked) < len(cols) else f"{len(cols)}"
        ax.set_title(f"{names} per iteration ({shown} entries)")
        ax.set_xlabel("iteration")
        if len(picked) <= 8:
            ax.legend(fontsize="small")
    elif result.signals:
        offset = 0
        for name, values in result.signals.items():
            flat = np.asarray(values, dtype=float).ravel()
            idx = np.arange(offset, offset + flat.size)
            ax.step(idx, flat, where="mid", label=name)
            offset += flat.size
        ax.set_title("final signals (no per-iteration history)")
        ax.set_xlabel("signal entry (e.g. period)")
        ax.legend(fontsize="small")
    else:
        _note(ax, "no signals recorded")
        ax.set_title("signals")
        ax.set_xlabel("iteration")
    ax.grid(True, alpha=0.3)


def _subset(cols: list[str], limit: int) -> list[str]:
    if len(cols) <= limit:
        return cols
    idx = np.unique(np.linspace(0, len(cols) - 1, limit).round().astype(int))
    return [cols[i] for i in idx]


def _colors(n: int) -> list[tuple[float, float, float, float]]:
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    return [cmap(v) for v in (np.linspace(0.0, 0.95, n) if n > 1 else [0.3])]


def _note(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="gray")
