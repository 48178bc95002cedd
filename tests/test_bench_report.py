"""gamecore.bench.report: summaries, scaling laws, performance / data profiles, plots and the report files."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gamecore.bench.report import (
    data_profile,
    markdown_summary,
    performance_profile,
    performance_ratios,
    plot_data_profile,
    plot_performance_profile,
    plot_scaling,
    scaling_laws,
    summarize,
    write_report,
)
from gamecore.bench.table import COLUMNS, PROBLEM_COLUMNS


def _row(method: str, seed: int = 0, agents: int = 4, status: str = "converged", wall_s: float = 1.0,
         iterations: float = 10, case: str = "analytic-market", **extra: object) -> dict[str, object]:
    row: dict[str, object] = {c: math.nan for c in COLUMNS}
    row.update(case=case, params="{}", method=method, strategy=method, options="{}", agents=agents, periods=3,
               seed=seed, status=status, wall_s=wall_s, iterations=iterations, solver_s=wall_s / 2,
               messages=2 * agents * iterations)
    row.update(extra)
    return row


def _table(rows: list[dict[str, object]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(COLUMNS))


@pytest.fixture
def three_problems() -> pd.DataFrame:
    """3 problems (seeds 0, 1, 2) x methods A, B; B times out on seed 2.

    wall_s: A = 1, 4, 3 and B = 2, 2, (timeout) -> ratios A = 1, 2, 1 and B = 2, 1, inf.
    """
    return _table([
        _row("A", 0, wall_s=1.0), _row("A", 1, wall_s=4.0), _row("A", 2, wall_s=3.0),
        _row("B", 0, wall_s=2.0), _row("B", 1, wall_s=2.0), _row("B", 2, status="timeout", wall_s=math.nan),
    ])


# ------------------------------------------------------------------------------ performance profiles
def test_performance_ratios_exact(three_problems: pd.DataFrame) -> None:
    ratios = performance_ratios(three_problems, "wall_s")
    assert list(ratios.columns) == ["A", "B"]
    assert list(ratios.index.names) == list(PROBLEM_COLUMNS)
    assert ratios["A"].tolist() == [1.0, 2.0, 1.0]
    assert ratios["B"].tolist() == [2.0, 1.0, math.inf]


def test_performance_profile_exact(three_problems: pd.DataFrame) -> None:
    profile = performance_profile(three_problems, "wall_s")
    assert list(profile.columns) == ["method", "tau", "fraction"]
    a = profile[profile["method"] == "A"].set_index("tau")["fraction"]
    b = profile[profile["method"] == "B"].set_index("tau")["fraction"]
    assert a.index.tolist() == [1.0, 2.0, 4.0]  # distinct finite ratios, 1, and 2 x the largest ratio
    assert a.tolist() == pytest.approx([2 / 3, 1.0, 1.0], abs=1e-15)
    assert b.tolist() == pytest.approx([1 / 3, 2 / 3, 2 / 3], abs=1e-15)
    # the unsolved problem keeps B below 1 for every tau, however large
    far = performance_profile(three_problems, "wall_s", taus=[1.0, 1e6, 1e300])
    assert far[far["method"] == "B"]["fraction"].max() == pytest.approx(2 / 3)
    assert far[far["method"] == "A"]["fraction"].tolist() == pytest.approx([2 / 3, 1.0, 1.0])


def test_problem_solved_by_no_method_is_kept(three_problems: pd.DataFrame) -> None:
    frame = pd.concat([three_problems, _table([_row("A", 3, status="failed", wall_s=0.5),
                                               _row("B", 3, status="max_iter", wall_s=0.1)])], ignore_index=True)
    ratios = performance_ratios(frame, "wall_s")
    assert len(ratios) == 4
    assert np.isinf(ratios.iloc[3]).all()
    profile = performance_profile(frame, "wall_s", taus=[1.0, 2.0])
    assert profile[profile["method"] == "A"]["fraction"].tolist() == pytest.approx([2 / 4, 3 / 4])
    assert profile[profile["method"] == "B"]["fraction"].tolist() == pytest.approx([1 / 4, 2 / 4])


def test_missing_run_and_nan_metric_count_as_unsolved() -> None:
    frame = _table([_row("A", 0, wall_s=1.0), _row("B", 0, wall_s=3.0),
                    _row("A", 1, wall_s=2.0),  # B has no run on seed 1
                    _row("A", 2, wall_s=math.nan), _row("B", 2, wall_s=5.0)])  # converged, but no time
    ratios = performance_ratios(frame, "wall_s")
    assert ratios["A"].tolist() == [1.0, 1.0, math.inf]
    assert ratios["B"].tolist() == [3.0, math.inf, 1.0]


def test_non_positive_metric_is_floored() -> None:
    frame = _table([_row("A", 0, wall_s=0.0, iterations=0), _row("B", 0, wall_s=2e-12, iterations=3)])
    wall = performance_ratios(frame, "wall_s")  # time floor 1e-12
    assert wall["A"].tolist() == [1.0] and wall["B"].tolist() == pytest.approx([2.0])
    iters = performance_ratios(frame, "iterations")  # count floor 1
    assert iters["A"].tolist() == [1.0] and iters["B"].tolist() == [3.0]
    assert performance_ratios(frame, "iterations", floor=0.5)["B"].tolist() == [6.0]


def test_duplicate_runs_of_a_problem_raise() -> None:
    frame = _table([_row("A", 7, wall_s=1.0), _row("A", 7, wall_s=2.0), _row("B", 7, wall_s=1.0)])
    with pytest.raises(ValueError, match=r"method 'A' has 2 runs on problem \(case='analytic-market'.*seed=7\)"):
        performance_ratios(frame, "wall_s")
    with pytest.raises(ValueError, match="seed=7"):
        data_profile(frame, "wall_s")


def test_empty_or_missing_columns_raise(tmp_path: Path, three_problems: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="wall_s"):
        performance_profile(three_problems.drop(columns=["wall_s"]), "wall_s")
    with pytest.raises(ValueError, match="seed, status"):
        performance_ratios(three_problems.drop(columns=["seed", "status"]), "wall_s")
    with pytest.raises(ValueError, match="messages"):
        summarize(three_problems.drop(columns=["messages"]))
    with pytest.raises(ValueError, match="empty"):
        scaling_laws(three_problems.iloc[0:0])
    with pytest.raises(ValueError, match="agents"):
        write_report(three_problems.drop(columns=["agents"]), tmp_path / "out")
    assert not (tmp_path / "out").exists()  # nothing written for an invalid table


# ------------------------------------------------------------------------------ data profiles
def test_data_profile_exact() -> None:
    # 4 problems; A solves p0..p2 with budgets 1, 3, 3 (fails p3), B solves p1, p3 with budgets 2, 5
    frame = _table([
        _row("A", 0, wall_s=1.0), _row("A", 1, wall_s=3.0), _row("A", 2, wall_s=3.0),
        _row("A", 3, status="max_iter", wall_s=0.1),
        _row("B", 0, status="error", wall_s=math.nan), _row("B", 1, wall_s=2.0),
        _row("B", 2, status="timeout", wall_s=math.nan), _row("B", 3, wall_s=5.0),
    ])
    profile = data_profile(frame, "wall_s")
    assert list(profile.columns) == ["method", "budget", "fraction"]
    a = profile[profile["method"] == "A"].set_index("budget")["fraction"]
    b = profile[profile["method"] == "B"].set_index("budget")["fraction"]
    assert a.index.tolist() == [1.0, 2.0, 3.0, 5.0]  # the distinct budgets of converged runs
    assert a.tolist() == [0.25, 0.25, 0.75, 0.75]
    assert b.tolist() == [0.0, 0.25, 0.25, 0.5]
    grid = data_profile(frame, "wall_s", grid=[0.5, 3.0, 100.0])
    assert grid[grid["method"] == "A"]["fraction"].tolist() == [0.0, 0.75, 0.75]
    assert grid[grid["method"] == "B"]["fraction"].tolist() == [0.0, 0.25, 0.5]


# ------------------------------------------------------------------------------ scaling laws
def test_scaling_law_exact_power() -> None:
    rows = [_row("bisection", seed, agents=n, wall_s=3.0 * n**1.5) for n in (2, 4, 8, 16, 32) for seed in (0, 1)]
    laws = scaling_laws(_table(rows), "wall_s")
    assert list(laws.columns) == ["case", "method", "metric", "exponent", "coefficient", "points", "r2"]
    (law,) = laws.to_dict("records")
    assert law["method"] == "bisection" and law["metric"] == "wall_s" and law["points"] == 5
    assert law["exponent"] == pytest.approx(1.5, abs=1e-12)
    assert law["coefficient"] == pytest.approx(3.0, abs=1e-12)
    assert law["r2"] == pytest.approx(1.0, abs=1e-12)


def test_scaling_law_uses_median_over_seeds_and_converged_runs_only() -> None:
    rows = []
    for n in (3, 9, 27):
        exact = 3.0 * n**1.5
        rows += [_row("admm", seed, agents=n, wall_s=exact * noise) for seed, noise in enumerate((0.5, 1.0, 1.7))]
        rows.append(_row("admm", 3, agents=n, status="timeout", wall_s=1e9))  # ignored: not converged
        rows.append(_row("admm", 4, agents=n, status="converged", wall_s=math.nan))  # ignored: no value
    rows += [_row("kkt", seed, agents=5, wall_s=1.0) for seed in range(3)]  # one agent count only
    rows += [_row("slow", seed, agents=n, status="timeout") for n in (2, 4) for seed in range(2)]
    laws = scaling_laws(_table(rows), "wall_s").set_index("method")
    assert laws.loc["admm", "exponent"] == pytest.approx(1.5, abs=1e-12)
    assert laws.loc["admm", "coefficient"] == pytest.approx(3.0, abs=1e-12)
    assert laws.loc["admm", "points"] == 3
    assert laws.loc["kkt", "points"] == 1 and math.isnan(laws.loc["kkt", "exponent"])
    assert math.isnan(laws.loc["kkt", "coefficient"]) and math.isnan(laws.loc["kkt", "r2"])
    assert laws.loc["slow", "points"] == 0 and math.isnan(laws.loc["slow", "exponent"])


# ------------------------------------------------------------------------------ summarize
def test_summarize_over_three_seeds() -> None:
    frame = _table([
        _row("A", 0, wall_s=3.0, iterations=10), _row("A", 1, wall_s=1.0, iterations=40),
        _row("A", 2, status="max_iter", wall_s=2.0, iterations=100),
        _row("A", 0, agents=8, wall_s=5.0), _row("A", 1, agents=8, status="timeout", wall_s=math.nan),
        _row("A", 2, agents=8, status="error", wall_s=math.nan),
    ])
    summary = summarize(frame)
    assert list(summary.columns[:7]) == ["case", "params", "method", "agents", "periods", "runs", "converged"]
    assert len(summary.columns) == 7 + 3 * 4  # median, min, max of iterations, wall_s, solver_s, messages
    summary = summary.set_index("agents")
    cell = summary.loc[4]
    assert (cell["runs"], cell["converged"]) == (3, 2)
    assert (cell["wall_s_median"], cell["wall_s_min"], cell["wall_s_max"]) == (2.0, 1.0, 3.0)
    assert (cell["iterations_median"], cell["iterations_min"], cell["iterations_max"]) == (40.0, 10.0, 100.0)
    assert (cell["solver_s_median"], cell["solver_s_min"], cell["solver_s_max"]) == (1.0, 0.5, 1.5)
    cell = summary.loc[8]  # NaN metrics of the failed runs are excluded
    assert (cell["runs"], cell["converged"]) == (3, 1)
    assert (cell["wall_s_median"], cell["wall_s_min"], cell["wall_s_max"]) == (5.0, 5.0, 5.0)
    only = summarize(frame, metrics=["wall_s"])
    assert [c for c in only.columns if c.startswith("wall_s")] == ["wall_s_median", "wall_s_min", "wall_s_max"]
    assert not any(c.startswith("iterations") for c in only.columns)


def test_summarize_reads_csv_strings(tmp_path: Path, three_problems: pd.DataFrame) -> None:
    path = tmp_path / "results.csv"
    three_problems.to_csv(path, index=False)
    frame = pd.read_csv(path, keep_default_na=False, dtype=str)  # every cell a string, NaN -> ""
    summary = summarize(frame).set_index("method")
    assert summary.loc["B", "wall_s_median"] == 2.0 and summary.loc["A", "wall_s_max"] == 4.0
    assert performance_ratios(frame, "wall_s")["B"].tolist() == [2.0, 1.0, math.inf]


# ------------------------------------------------------------------------------ markdown, plots, files
def test_markdown_summary(three_problems: pd.DataFrame) -> None:
    text = markdown_summary(three_problems)
    for heading in ("## Runs by status", "## Summary", "## Scaling exponents", "## Performance on wall_s",
                    "## Performance on iterations"):
        assert heading in text
    assert "| method | converged | max_iter | failed | timeout | error | total |" in text
    assert "| B | 2 | 0 | 0 | 1 | 0 | 3 |" in text
    assert "| analytic-market | A | 3 | 1 | 0.6667 |" in text  # solved everything, fastest on 2 of 3 (wall_s)
    assert "| analytic-market | B | 3 | 0.6667 | 0.3333 |" in text


def test_profiles_compare_methods_within_a_case(three_problems: pd.DataFrame) -> None:
    """A Stackelberg method never attempts a market game: per case, each method solved all of its
    case's problems, and the figure has one panel per case."""
    renamed = three_problems["method"].map({"A": "K", "B": "N"})
    other = three_problems.assign(case="analytic-stackelberg", method=renamed)
    both = pd.concat([three_problems, other], ignore_index=True)
    text = markdown_summary(both)
    assert "| analytic-stackelberg | K | 3 | 1 | 0.6667 |" in text
    assert "| analytic-market | A | 3 | 1 | 0.6667 |" in text
    fig = plot_performance_profile(both)
    assert len(fig.axes) == 2 and all(len(ax.get_lines()) == 2 for ax in fig.axes)


def test_plots_draw_on_a_given_axes(three_problems: pd.DataFrame) -> None:
    from matplotlib.figure import Figure

    fig = Figure()
    axes = fig.subplots(1, 3)
    assert plot_scaling(three_problems, ax=axes[0]) is fig
    assert plot_performance_profile(three_problems, ax=axes[1]) is fig
    assert plot_data_profile(three_problems, ax=axes[2]) is fig
    assert len(axes[1].get_lines()) == 2 and axes[1].get_xscale() == "log"
    own = plot_scaling(_table([_row("A", 0, agents=n, wall_s=float(n)) for n in (2, 4)]))
    assert isinstance(own, Figure) and own is not fig
    legend = own.axes[0].get_legend()
    assert legend is not None and legend.get_texts()[0].get_text() == "A (k=1.00)"


def test_write_report_with_timeout_and_one_agent_count(tmp_path: Path, three_problems: pd.DataFrame) -> None:
    frame = pd.concat([three_problems, _table([_row("C", s, status="error", wall_s=math.nan) for s in range(3)])],
                      ignore_index=True)
    paths = write_report(frame, tmp_path / "out")
    expected = {"report.md", "summary.csv", "scaling.csv", "scaling_wall_s.png", "scaling_iterations.png",
                "performance_profile_wall_s.png", "performance_profile_iterations.png", "data_profile_wall_s.png"}
    assert set(paths) == expected
    for name, path in paths.items():
        assert path == tmp_path / "out" / name and path.stat().st_size > 0
        if name.endswith(".png"):
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = paths["report.md"].read_text(encoding="utf-8")
    for method in ("A", "B", "C"):
        assert f"| {method} |" in report
    for name in expected - {"report.md", "summary.csv", "scaling.csv"}:
        assert f"]({name})" in report
    assert len(pd.read_csv(paths["summary.csv"])) == 3
    scaling = pd.read_csv(paths["scaling.csv"])
    assert sorted(set(scaling["metric"])) == ["iterations", "wall_s"] and scaling["exponent"].isna().all()
