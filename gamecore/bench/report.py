"""Reports of a benchmark results table: summaries, scaling laws, performance and data profiles.

The input everywhere is a results table (:mod:`gamecore.bench.table`): a pandas DataFrame with the
columns of :data:`~gamecore.bench.table.COLUMNS` (only the ones a function uses are required), one
row per run. Vocabulary:

* a *problem* is one combination of :data:`~gamecore.bench.table.PROBLEM_COLUMNS`
  (case, params, agents, periods, seed);
* a *method* is the value of the ``method`` column;
* a run is *solved* only when ``status == "converged"``; every other status (``max_iter``,
  ``failed``, ``timeout``, ``error``) is unsolved, whatever its metric columns hold.

Conventions shared by every function:

* metric columns are read with :func:`pandas.to_numeric` (``errors="coerce"``): empty strings of a
  CSV and non-numbers become NaN; +-inf are treated as NaN as well. Units are those of the table
  (``wall_s`` / ``solver_s`` seconds, ``iterations`` and ``messages`` counts).
* a converged run whose metric is NaN cannot be ranked: the profiles treat it as unsolved.
* a missing ``params`` value (NaN, e.g. an empty CSV cell) is read as ``"{}"`` (the case's defaults).
* an empty table, or one without a required column, raises :class:`ValueError` naming the
  missing columns.

Performance ratios (Dolan & More, 2002, Math. Program. 91:201-213) need positive costs. A converged
run with a metric <= 0 (a wall time below the clock's resolution, zero iterations because the start
point already was an equilibrium) is raised to a *floor* before the ratio is taken: 1 for the count
metrics of :data:`COUNT_METRICS` (one iteration / message is the least a method can be charged with)
and :data:`TIME_FLOOR` (1e-12) for every other metric; every function that takes ratios accepts an
explicit ``floor=`` instead. Data profiles compare budgets with ``<=`` and need no floor.

Plots use the object-oriented :class:`matplotlib.figure.Figure` API on an Agg canvas (matplotlib is
imported inside the plotting functions only): nothing depends on or changes pyplot's global state.
Each plot function takes an optional ``ax`` (draw there, e.g. a notebook's subplot) and returns the
Figure it drew on.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gamecore.bench.table import PROBLEM_COLUMNS, STATUSES

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: the metrics :func:`summarize` aggregates by default
DEFAULT_METRICS: tuple[str, ...] = ("iterations", "wall_s", "solver_s", "messages")
#: the columns that name a summary cell: a problem without its seed, plus the method
CELL_COLUMNS: tuple[str, ...] = ("case", "params", "method", "agents", "periods")
#: integer count metrics: a converged run's value <= 0 is raised to 1 before performance ratios
COUNT_METRICS: frozenset[str] = frozenset({"iterations", "messages", "floats"})
#: the floor of every other metric (seconds, ...) before performance ratios
TIME_FLOOR: float = 1e-12
#: the metrics of the scaling and performance sections of :func:`markdown_summary`
REPORT_METRICS: tuple[str, ...] = ("wall_s", "iterations")

_SOLVED = "__solved__"


# ------------------------------------------------------------------------------ input checks
def _prepare(frame: pd.DataFrame, required: Iterable[str], numeric: Iterable[str] = ()) -> pd.DataFrame:
    """A cleaned copy of ``frame`` restricted to ``required``, plus a boolean ``__solved__`` column.

    Raises ValueError naming the missing columns, or saying the table is empty. ``numeric`` columns
    are coerced to float with +-inf -> NaN; ``params`` NaN -> ``"{}"``; ``method`` / ``status`` -> str.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame (a results table), got {type(frame).__name__}")
    needed = list(dict.fromkeys([*required, "status"]))
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(f"results table is missing required columns: {', '.join(missing)}")
    if frame.empty:
        raise ValueError(f"results table is empty (no runs); required columns: {', '.join(needed)}")
    df = frame.loc[:, needed].copy()
    df.index = pd.RangeIndex(len(df))
    for col in dict.fromkeys(numeric):
        values = pd.to_numeric(df[col], errors="coerce").astype(float)
        df[col] = values.where(np.isfinite(values))
    if "params" in df.columns:
        df["params"] = df["params"].where(df["params"].notna(), "{}").astype(str)
    if "method" in df.columns:
        df["method"] = df["method"].astype(str)
    df["status"] = df["status"].astype(str)
    df[_SOLVED] = df["status"].eq("converged")
    return df


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python scalar it holds (for readable messages)."""
    return value.item() if isinstance(value, np.generic) else value


def _default_floor(metric: str, floor: float | None) -> float:
    if floor is not None:
        if not floor > 0:
            raise ValueError(f"floor must be positive, got {floor!r}")
        return float(floor)
    return 1.0 if metric in COUNT_METRICS else TIME_FLOOR


# ------------------------------------------------------------------------------ summaries
def summarize(frame: pd.DataFrame, metrics: Sequence[str] = DEFAULT_METRICS) -> pd.DataFrame:
    """Per-cell statistics over seeds.

    Groups the runs by :data:`CELL_COLUMNS` (case, params, method, agents, periods; i.e. ignoring the
    seed) and returns one row per cell, sorted by those columns, with columns

    * the five cell columns;
    * ``runs``: number of rows of the cell; ``converged``: how many of them have status converged;
    * for each ``metric`` (in the given order): ``<metric>_median``, ``<metric>_min``,
      ``<metric>_max``, computed over *all* runs of the cell (any status) whose value is finite;
      NaN when there is none. Units are the metric's.

    Raises ValueError for an empty table or missing columns (cell columns, status, metrics).
    """
    metrics = list(metrics)
    keys = list(CELL_COLUMNS)
    df = _prepare(frame, [*keys, *metrics], numeric=metrics)
    grouped = df.groupby(keys, dropna=False, sort=True)
    out = grouped.size().rename("runs").to_frame()
    out["converged"] = grouped[_SOLVED].sum().astype(int)
    for metric in metrics:
        stats = grouped[metric].agg(["median", "min", "max"])
        for stat in ("median", "min", "max"):
            out[f"{metric}_{stat}"] = stats[stat].astype(float)
    return out.reset_index()


def _scaling_points(frame: pd.DataFrame, metric: str, by: Sequence[str]) -> list[tuple[tuple[Any, ...], pd.Series]]:
    """For each group of ``by``: the median ``metric`` per agent count over converged runs with metric > 0."""
    by = list(by)
    df = _prepare(frame, [*by, "agents", metric], numeric=[metric, "agents"])
    usable = df[_SOLVED] & (df[metric] > 0) & (df["agents"] > 0)
    points: list[tuple[tuple[Any, ...], pd.Series]] = []
    for key, group in df.groupby(by, dropna=False, sort=True):
        sub = group[usable.loc[group.index]]
        medians = sub.groupby("agents")[metric].median().sort_index()
        points.append((key if isinstance(key, tuple) else (key,), medians))
    return points


def _fit_power_law(medians: pd.Series) -> tuple[float, float, float]:
    """Least-squares fit of log(y) = log(c) + k log(N); returns (k, c, r2); NaNs below 2 points."""
    if len(medians) < 2:
        return math.nan, math.nan, math.nan
    x = np.log(medians.index.to_numpy(dtype=float))
    y = np.log(medians.to_numpy(dtype=float))
    dx = x - x.mean()
    k = float(np.dot(dx, y - y.mean()) / np.dot(dx, dx))
    log_c = float(y.mean() - k * x.mean())
    residual = y - (log_c + k * x)
    ss_res = float(np.dot(residual, residual))
    ss_tot = float(np.dot(y - y.mean(), y - y.mean()))
    if ss_tot > 0:
        r2 = 1.0 - ss_res / ss_tot
    else:
        r2 = 1.0 if ss_res <= 1e-24 else math.nan
    return k, math.exp(log_c), r2


def scaling_laws(frame: pd.DataFrame, metric: str = "wall_s", by: Sequence[str] = ("case", "method")) -> pd.DataFrame:
    """Power-law fit ``metric ~ c * agents**k`` per group of ``by``.

    For each group of the ``by`` columns (default: case and method), take the converged runs with a
    finite ``metric > 0``, reduce them to the median over the remaining rows (seeds, and any column
    not in ``by``: pass e.g. ``by=("case", "params", "method", "periods")`` to keep those apart) at
    each distinct agent count N, and fit ``log(metric) = log(c) + k log(N)`` by least squares.

    Returns one row per group present in the table (even when none of its runs is usable), sorted by
    ``by``, with columns: the ``by`` columns, ``metric`` (the name), ``exponent`` (k, dimensionless),
    ``coefficient`` (c, in the metric's unit), ``points`` (distinct agent counts used) and ``r2``
    (coefficient of determination of the log-log fit; 1.0 for an exact fit). With fewer than 2
    points, exponent, coefficient and r2 are NaN.

    Raises ValueError for an empty table or missing columns.
    """
    by = list(by)
    rows = []
    for key, medians in _scaling_points(frame, metric, by):
        k, c, r2 = _fit_power_law(medians)
        rows.append({**dict(zip(by, key)), "metric": metric, "exponent": k, "coefficient": c,
                     "points": len(medians), "r2": r2})
    return pd.DataFrame(rows, columns=[*by, "metric", "exponent", "coefficient", "points", "r2"])


# ------------------------------------------------------------------------------ profiles
def _cost_table(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Wide table problems x methods of ``metric`` for solved runs; inf where unsolved or not run.

    Raises ValueError when a (problem, method) pair has more than one row, naming the problem.
    """
    problem = list(PROBLEM_COLUMNS)
    df = _prepare(frame, [*problem, "method", metric], numeric=[metric])
    duplicated = df.duplicated(subset=[*problem, "method"], keep=False)
    if duplicated.any():
        row = df[duplicated].iloc[0]
        same = (df[[*problem, "method"]] == row[[*problem, "method"]]).all(axis=1)
        named = ", ".join(f"{c}={_plain(row[c])!r}" for c in problem)
        raise ValueError(f"method {row['method']!r} has {int(same.sum())} runs on problem ({named}); "
                         "performance and data profiles need one run per problem and method")
    cost = df[metric].where(df[_SOLVED] & df[metric].notna(), math.inf)
    table = df.assign(__cost__=cost).set_index([*problem, "method"])["__cost__"]
    wide = table.unstack("method", fill_value=math.inf)
    wide = wide.reindex(columns=sorted(wide.columns)).sort_index()
    wide.columns.name = "method"
    return wide.astype(float)


def performance_ratios(frame: pd.DataFrame, metric: str = "wall_s", floor: float | None = None) -> pd.DataFrame:
    """Dolan-More performance ratios ``r[p, s] = t[p, s] / min_s t[p, s]`` (dimensionless, >= 1).

    Rows: one per problem (a MultiIndex over :data:`~gamecore.bench.table.PROBLEM_COLUMNS`, every
    problem of the table, sorted); columns: the methods (sorted). ``t[p, s]`` is the ``metric`` of
    method s's run on problem p, taken only when that run converged with a finite metric; values
    <= 0 are raised to ``floor`` (default: 1 for :data:`COUNT_METRICS`, :data:`TIME_FLOOR`
    otherwise). ``r`` is ``inf`` when s did not solve p (other status, NaN metric, or no run of s on
    p); a problem solved by no method is kept with ``inf`` for every method.

    Raises ValueError when a method has several rows for one problem (naming it), for an empty
    table or for missing columns.
    """
    floor_value = _default_floor(metric, floor)
    cost = _cost_table(frame, metric)
    values = cost.to_numpy(dtype=float)
    values = np.where(np.isfinite(values), np.maximum(values, floor_value), math.inf)
    best = values.min(axis=1, keepdims=True) if values.shape[1] else np.full((len(values), 1), math.inf)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratios = np.where(np.isfinite(values) & np.isfinite(best), values / best, math.inf)
    return pd.DataFrame(ratios, index=cost.index, columns=cost.columns)


def _default_taus(ratios: np.ndarray) -> np.ndarray:
    finite = ratios[np.isfinite(ratios)]
    top = float(finite.max()) if finite.size else 1.0
    return np.unique(np.concatenate([finite, [1.0, max(2.0, 2.0 * top)]]))


def _profile(table: pd.DataFrame, grid: np.ndarray, column: str) -> pd.DataFrame:
    n = len(table)
    rows = []
    for method in table.columns:
        values = table[method].to_numpy(dtype=float)
        counts = (values[None, :] <= grid[:, None]).sum(axis=1) if n else np.zeros(len(grid))
        for g, count in zip(grid, counts):
            rows.append({"method": method, column: float(g), "fraction": float(count) / n if n else math.nan})
    return pd.DataFrame(rows, columns=["method", column, "fraction"])


def performance_profile(frame: pd.DataFrame, metric: str = "wall_s", taus: Sequence[float] | None = None,
                        floor: float | None = None) -> pd.DataFrame:
    """Dolan & More (2002) performance profile ``rho_s(tau) = |{p : r[p, s] <= tau}| / |P|``.

    ``r`` are the :func:`performance_ratios` of ``metric`` (same floor); ``P`` is every problem of
    the table, including the ones no method solved (so a method's fraction reaches 1 only when it
    solved every problem). ``rho_s(1)`` is the fraction of problems on which s was the fastest
    (ties count for every tied method); ``rho_s(inf)`` the fraction it solved.

    ``taus`` (ratios >= 1, dimensionless) default to every distinct finite ratio of the table, plus
    1 and ``max(2, 2 * largest finite ratio)``, sorted: the breakpoints of the step function and a
    plateau on the right. Returns the long table with columns ``method``, ``tau``, ``fraction``,
    sorted by method then tau.
    """
    ratios = performance_ratios(frame, metric, floor=floor)
    grid = _default_taus(ratios.to_numpy()) if taus is None else np.asarray(list(taus), dtype=float)
    return _profile(ratios, grid, "tau")


def data_profile(frame: pd.DataFrame, budget: str = "wall_s", grid: Sequence[float] | None = None) -> pd.DataFrame:
    """Data profile in the style of More & Wild (2009, SIAM J. Optim. 20:172-191).

    ``d_s(alpha) = |{p : s converged on p with budget measure <= alpha}| / |P|`` over every problem
    ``P`` of the table (including problems no method solved). Unlike More & Wild, whose budget is
    counted in simplex gradients (function evaluations / (n + 1)), the budget here is the measured
    cost column ``budget`` of the run itself: ``wall_s`` (seconds), ``iterations`` or ``messages``
    (counts), in that column's unit, not normalised by the problem's size.

    ``grid`` (budget values alpha) defaults to every distinct finite budget of a converged run,
    sorted (the breakpoints of the step function; ``[0.0]`` when nothing converged). Returns the
    long table ``method``, ``budget``, ``fraction``, sorted by method then budget.

    Raises ValueError when a method has several rows for one problem, for an empty table or for
    missing columns.
    """
    cost = _cost_table(frame, budget)
    values = cost.to_numpy(dtype=float)
    if grid is None:
        finite = np.unique(values[np.isfinite(values)])
        alphas = finite if finite.size else np.array([0.0])
    else:
        alphas = np.asarray(list(grid), dtype=float)
    return _profile(cost, alphas, "budget")


# ------------------------------------------------------------------------------ plots
def _figure_and_axes(ax: Axes | None) -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    if ax is None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        fig = Figure(figsize=(6.4, 4.4), layout="constrained")
        FigureCanvasAgg(fig)
        return fig, fig.subplots()
    owner: Any = ax.figure
    while owner is not None and not isinstance(owner, Figure):  # a SubFigure: climb to the root
        owner = owner.figure if owner.figure is not owner else None
    if owner is None:
        raise ValueError("the axes belong to no matplotlib Figure")
    return owner, ax


def _no_data(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.4")


def plot_scaling(frame: pd.DataFrame, metric: str = "wall_s", ax: Axes | None = None) -> Figure:
    """Log-log plot of the median ``metric`` over seeds against the agent count.

    One line with markers per (case, method) over converged runs with metric > 0, labelled with the
    method (``case / method`` when the table holds several cases) and the fitted exponent of
    :func:`scaling_laws`, e.g. ``bisection (k=1.02)`` (``k=n/a`` below 2 agent counts); the fitted
    power law is drawn dashed in the same colour. Returns the Figure (the one of ``ax`` if given).
    """
    fig, ax = _figure_and_axes(ax)
    groups = _scaling_points(frame, metric, ("case", "method"))
    several_cases = len({key[0] for key, _ in groups}) > 1
    drawn = False
    for (case, method), medians in groups:
        if medians.empty:
            continue
        k, c, _ = _fit_power_law(medians)
        name = f"{case} / {method}" if several_cases else str(method)
        label = f"{name} (k={k:.2f})" if math.isfinite(k) else f"{name} (k=n/a)"
        n = medians.index.to_numpy(dtype=float)
        (line,) = ax.plot(n, medians.to_numpy(dtype=float), marker="o", label=label)
        if math.isfinite(k):
            ax.plot(n, c * n**k, linestyle="--", linewidth=0.8, color=line.get_color())
        drawn = True
    ax.set_xscale("log")
    ax.set_yscale("log")
    agents = sorted({float(n) for _, medians in groups for n in medians.index})
    if agents:  # tick the agent counts themselves, as integers
        from matplotlib.ticker import NullLocator

        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticks(agents, labels=[f"{n:g}" for n in agents])
    ax.set_xlabel("agents")
    ax.set_ylabel(f"{metric} (median over seeds)")
    ax.set_title(f"scaling of {metric}")
    if drawn:
        ax.legend(fontsize="small")
    else:
        _no_data(ax, f"no converged run with {metric} > 0")
    return fig


def _per_case(frame: pd.DataFrame, ax: Axes | None, draw: Callable[[pd.DataFrame, Axes, str], None]) -> Figure:
    """``draw(part, axes, title_suffix)`` once per case, each on its own axes side by side (methods
    are compared on the problems of one case: a market strategy does not attempt a Stackelberg
    game); on ``ax`` (or one axes) when the table has one case or ``ax`` is given."""
    cases = sorted(str(c) for c in frame["case"].dropna().unique()) if "case" in frame else []
    if ax is not None or len(cases) <= 1:
        fig, axes = _figure_and_axes(ax)
        draw(frame, axes, f" - {cases[0]}" if len(cases) == 1 else "")
        return fig
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4 * len(cases), 4.4), layout="constrained")
    FigureCanvasAgg(fig)
    for case, axes in zip(cases, np.atleast_1d(fig.subplots(1, len(cases)))):
        draw(frame[frame["case"].astype(str) == case], axes, f" - {case}")
    return fig


def plot_performance_profile(frame: pd.DataFrame, metric: str = "wall_s", ax: Axes | None = None) -> Figure:
    """Step plot of the :func:`performance_profile` of ``metric``: rho_s(tau) against tau on a log2 axis.

    As in Dolan & More (2002), the x axis is log2 of the ratio (tau = 1 at the left edge); one step
    line per method. Without ``ax``, a table of several cases gets one panel per case (methods
    compared on the problems of that case). Returns the Figure (the one of ``ax`` if given).
    """
    def draw(part: pd.DataFrame, axes: Axes, suffix: str) -> None:
        profile = performance_profile(part, metric)
        for method, group in profile.groupby("method", sort=True):
            axes.step(group["tau"], group["fraction"], where="post", label=str(method))
        axes.set_xscale("log", base=2)
        axes.set_xlim(left=1.0)
        axes.set_ylim(-0.02, 1.02)
        axes.set_xlabel("tau: ratio to the best method (log2 scale)")
        axes.set_ylabel("fraction of problems within tau")
        axes.set_title(f"performance profile ({metric}){suffix}")
        if not profile.empty:
            axes.legend(fontsize="small", loc="lower right")

    return _per_case(frame, ax, draw)


def plot_data_profile(frame: pd.DataFrame, budget: str = "wall_s", ax: Axes | None = None) -> Figure:
    """Step plot of the :func:`data_profile` of ``budget``: fraction solved within each budget.

    Log x axis when every budget of the grid is positive, linear otherwise; one panel per case as
    in :func:`plot_performance_profile`. Returns the Figure.
    """
    def draw(part: pd.DataFrame, axes: Axes, suffix: str) -> None:
        profile = data_profile(part, budget)
        for method, group in profile.groupby("method", sort=True):
            axes.step(group["budget"], group["fraction"], where="post", label=str(method))
        if not profile.empty and (profile["budget"] > 0).all():
            axes.set_xscale("log")
        axes.set_ylim(-0.02, 1.02)
        axes.set_xlabel(f"budget: {budget}")
        axes.set_ylabel("fraction of problems solved")
        axes.set_title(f"data profile ({budget}){suffix}")
        if not profile.empty:
            axes.legend(fontsize="small", loc="lower right")

    return _per_case(frame, ax, draw)


# ------------------------------------------------------------------------------ markdown
def _fmt(value: Any) -> str:
    """A table cell: integers as such, floats with 4 significant digits, NaN as ``n/a``."""
    if value is None:
        return "n/a"
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        x = float(value)
        if math.isnan(x):
            return "n/a"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return f"{x:.4g}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def _md_table(table: pd.DataFrame) -> str:
    """A plain Markdown (pipe) table of ``table``'s columns; numbers via :func:`_fmt`."""
    header = "| " + " | ".join(str(c) for c in table.columns) + " |"
    rule = "|" + "|".join("---" for _ in table.columns) + "|"
    body = ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in table.itertuples(index=False, name=None)]
    return "\n".join([header, rule, *body])


def _status_counts(frame: pd.DataFrame) -> pd.DataFrame:
    df = _prepare(frame, ["method"])
    extra = sorted(set(df["status"]) - set(STATUSES))
    counts = pd.crosstab(df["method"], df["status"]).reindex(columns=[*STATUSES, *extra], fill_value=0)
    counts = counts.sort_index()
    counts["total"] = counts.sum(axis=1)
    counts.loc["all"] = counts.sum(axis=0)
    counts = counts.astype(int)
    counts.columns.name = None
    return counts.rename_axis("method").reset_index()


def markdown_summary(frame: pd.DataFrame) -> str:
    """A Markdown report of a results table (plain pipe tables, 4 significant digits).

    Sections: runs by method and status; the :func:`summarize` table (cell columns, runs, converged
    and the medians over seeds of iterations, wall_s and messages; ``params`` only when it varies);
    the :func:`scaling_laws` exponents of wall_s and iterations per (case, method); and for each of
    those two metrics, per method, the fraction of problems solved (``rho_s(inf)``) and the fraction
    where it was the fastest (``rho_s(1)``, ties count for every tied method).

    Needs the columns of :data:`~gamecore.bench.table.PROBLEM_COLUMNS`, ``method``, ``status`` and
    the metrics of :data:`DEFAULT_METRICS`; raises ValueError otherwise or for an empty table.
    """
    _prepare(frame, [*PROBLEM_COLUMNS, "method", *DEFAULT_METRICS])
    n_problems = len(frame.loc[:, list(PROBLEM_COLUMNS)].drop_duplicates())
    lines = ["# Benchmark report", "",
             f"{len(frame)} runs of {frame['method'].nunique()} methods on {n_problems} problems "
             "(a problem is one case, params, agents, periods and seed). Only `converged` counts as solved.", "",
             "## Runs by status", "", _md_table(_status_counts(frame)), ""]

    summary = summarize(frame)
    columns = [c for c in CELL_COLUMNS if c != "params" or summary["params"].nunique() > 1]
    columns += ["runs", "converged", "iterations_median", "wall_s_median", "messages_median"]
    lines += ["## Summary (median over seeds)", "", _md_table(summary[columns]), ""]

    scaling = pd.concat([scaling_laws(frame, m) for m in REPORT_METRICS], ignore_index=True)
    lines += ["## Scaling exponents", "",
              "Least-squares fit of log(metric) = log(c) + k log(agents) over the medians of converged runs; "
              "n/a below two agent counts.", "",
              _md_table(scaling[["case", "method", "metric", "exponent", "coefficient", "points", "r2"]]), ""]

    for metric in REPORT_METRICS:
        lines += [f"## Performance on {metric}", "",
                  f"Per case (methods are compared on the problems of one case): fractions of the problems "
                  f"solved (converged with a {metric} value) and fastest (performance ratio 1, ties count "
                  "for each).", ""]
        for case, part in frame.groupby(frame["case"].astype(str), sort=True):
            ratios = performance_ratios(part, metric)
            table = pd.DataFrame({"case": case, "method": ratios.columns, "problems": len(ratios),
                                  "solved": [float(np.isfinite(ratios[m]).mean()) for m in ratios.columns],
                                  "fastest": [float((ratios[m] <= 1.0).mean()) for m in ratios.columns]})
            lines += [_md_table(table), ""]
    return "\n".join(lines)


# ------------------------------------------------------------------------------ files
def write_report(frame: pd.DataFrame, out_dir: str | Path) -> dict[str, Path]:
    """Write the report of ``frame`` into ``out_dir`` (created if needed); return file name -> path.

    Files: ``report.md`` (:func:`markdown_summary` plus links to the figures), ``summary.csv``
    (:func:`summarize`), ``scaling.csv`` (:func:`scaling_laws` of wall_s and iterations),
    ``scaling_wall_s.png``, ``scaling_iterations.png``, ``performance_profile_wall_s.png``,
    ``performance_profile_iterations.png`` and ``data_profile_wall_s.png``. Existing files of those
    names are overwritten. Raises ValueError for an empty table or missing columns (then nothing is
    written and ``out_dir`` is not created).
    """
    text = markdown_summary(frame)  # validates the table before anything is written
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}

    summary_path = out / "summary.csv"
    summarize(frame).to_csv(summary_path, index=False)
    scaling_path = out / "scaling.csv"
    pd.concat([scaling_laws(frame, m) for m in REPORT_METRICS], ignore_index=True).to_csv(scaling_path, index=False)

    figures: dict[str, tuple[Callable[[pd.DataFrame, str], Figure], str]]
    figures = {f"scaling_{m}.png": (plot_scaling, m) for m in REPORT_METRICS}
    figures |= {f"performance_profile_{m}.png": (plot_performance_profile, m) for m in REPORT_METRICS}
    figures["data_profile_wall_s.png"] = (plot_data_profile, "wall_s")
    for name, (plot, metric) in figures.items():
        fig = plot(frame, metric)
        fig.savefig(out / name, format="png", dpi=100)
        paths[name] = out / name

    images = "\n\n".join(f"![{Path(name).stem}]({name})" for name in figures)
    report_path = out / "report.md"
    report_path.write_text(f"{text}\n## Figures\n\n{images}\n", encoding="utf-8")
    return {"report.md": report_path, "summary.csv": summary_path, "scaling.csv": scaling_path, **paths}


__all__ = [
    "CELL_COLUMNS",
    "COUNT_METRICS",
    "DEFAULT_METRICS",
    "REPORT_METRICS",
    "TIME_FLOOR",
    "data_profile",
    "markdown_summary",
    "performance_profile",
    "performance_ratios",
    "plot_data_profile",
    "plot_performance_profile",
    "plot_scaling",
    "scaling_laws",
    "summarize",
    "write_report",
]
