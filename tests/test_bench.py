"""``gamecore bench``: suite parsing and its errors, resume, timeouts, the documented columns.

The runs use real cell processes (``python -m gamecore.bench.cell``) on tiny closed-form games.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from gamecore.bench import COLUMNS, Suite, SuiteError, load_suite, parse_suite, read_results, run
from gamecore.bench.cell import run_cell
from gamecore.bench.suite import Cell
from gamecore.cli import app

ROOT = Path(__file__).resolve().parents[1]
SUITES = ROOT / "benchmarks" / "suites"


def _suite(**over: object) -> dict:
    data: dict = {"cases": [{"name": "analytic-market", "agents": [3]}], "periods": [2],
                  "strategies": ["bisection"]}
    data.update(over)
    return data


# ------------------------------------------------------------------ parsing and validation
@pytest.mark.parametrize(("data", "match"), [
    (_suite(strategies=["bisectionn"]), r"strategies\[0\]: unknown strategy 'bisectionn'"),
    (_suite(strategies=[{"name": "bisection", "options": {"tol2": 1}}]), r"strategies\[0\].*tol2"),
    (_suite(cases=[{"name": "no-such-case", "agents": [3]}]), r"cases\[0\]\.name: unknown case 'no-such-case'"),
    (_suite(cases=[{"name": "analytic-market", "agents": [3], "params": {"nope": 1}}]),
     r"cases\[0\]\.params: .*unknown parameter 'nope'"),
    (_suite(cases=[{"name": "analytic-market", "agents": [0]}]), r"cases\[0\]\.agents: must be integers >= 1"),
    (_suite(cases=[{"name": "analytic-market", "agents": [3], "agent": [4]}]), r"cases\[0\]: unknown key"),
    (_suite(seeds=[-1]), r"seeds: must be integers >= 0"),
    (_suite(time_limit=0), r"time_limit: must be a number of seconds > 0"),
    (_suite(pool={"n_jobs": 0}), r"pool\.n_jobs"),
    (_suite(strategies=["kkt"]), r"strategy 'kkt' cannot solve 'analytic-market'"),
    (_suite(strategies=["rolling"]), r"needs a case with a rolling description"),
    (_suite(strategies=["bisection", {"name": "bisection"}]), r"same label"),
    (_suite(cases=[]), r"cases: needs at least one"),
])
def test_suite_errors_name_the_field(data: dict, match: str) -> None:
    with pytest.raises(SuiteError, match=match):
        parse_suite(data, "t")


def test_flag_suite_refuses_an_option_no_strategy_has() -> None:
    with pytest.raises(SuiteError, match=r"\['max_iterr'\] is not an option of any of"):
        Suite.from_flags("analytic-market", ["bisection", "subgradient"], [3], [2], options={"max_iterr": 5})


def test_flag_suite_gives_each_strategy_its_own_options() -> None:
    suite = Suite.from_flags("analytic-market", ["bisection", "subgradient"], [3, 4], [2], [0, 1],
                             options={"price_tol": 1e-4})
    assert len(suite) == 8
    options = {c.method: dict(c.options) for c in suite.cells}
    assert options == {"bisection": {"price_tol": 1e-4}, "subgradient": {}}
    assert len({c.key for c in suite.cells}) == 8


def test_shipped_suites_parse() -> None:
    names = {p.stem: load_suite(p) for p in sorted(SUITES.glob("*.toml"))}
    assert {"closed_form", "ieh", "county", "stackelberg"} <= set(names)
    closed = names["closed_form"]
    # every applicable strategy of both closed-form games, at 10 / 100 / 1000 followers
    assert {c.agents for c in closed.cells} == {10, 100, 1000}
    market = {c.method for c in closed.cells if c.case == "analytic-market"}
    stackelberg = {c.method for c in closed.cells if c.case == "analytic-stackelberg"}
    assert {"bisection", "subgradient", "centralized", "admm-exchange", "day-ahead"} <= market
    assert {"kkt", "nsga-qp", "admm-mccormick"} <= stackelberg


def test_unreadable_suite_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("cases = [ {name = ")
    with pytest.raises(SuiteError, match="not valid TOML"):
        load_suite(bad)
    with pytest.raises(SuiteError, match="not found"):
        load_suite(tmp_path / "missing.toml")


# ------------------------------------------------------------------ one cell, in-process
def test_cell_row_carries_the_certificate_and_reference() -> None:
    suite = parse_suite(_suite(strategies=["centralized"]), "t")
    row = run_cell(suite.cells[0])
    assert row["status"] == "converged" and row["certified"] is True
    # the centralized welfare optimum equals the closed form
    assert abs(row["objective"] - row["reference_objective"]) <= 1e-6 * max(1.0, abs(row["reference_objective"]))
    assert row["duality_gap"] is not None and abs(row["duality_gap"]) < 1e-6
    assert row["leader_regret"] is None            # not a measure of market games: not computed, not passed
    assert set(row) == set(COLUMNS)


def test_error_cell_is_a_row() -> None:
    cell = Cell("analytic-market", {}, "bisection", "bisection", {"max_iter": 1}, 3, 2, 0)
    row = run_cell(cell)
    assert row["status"] == "max_iter"
    broken = Cell("analytic-market", {}, "x", "no-such-strategy", {}, 3, 2, 0)
    row = run_cell(broken)
    assert row["status"] == "error" and "StrategyError" in row["message"]


# ------------------------------------------------------------------ the runner, real processes
@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench")
    suite = Suite.from_flags("analytic-market", ["bisection", "subgradient"], [3], [2], [0])
    run(suite, out, n_jobs=2, progress=False)
    return out


@pytest.mark.slow
def test_resume_skips_done_cells_and_leaves_the_table(finished: Path) -> None:
    before = (finished / "results.csv").read_bytes()
    frame = read_results(finished)
    assert len(frame) == 2 and set(frame["status"]) == {"converged"}
    suite = Suite.from_flags("analytic-market", ["bisection", "subgradient"], [3], [2], [0])
    with pytest.raises(SuiteError, match="--resume"):
        run(suite, finished, progress=False)
    again = run(suite, finished, resume=True, progress=False)
    assert (again.ran, again.skipped) == (0, 2)
    assert (finished / "results.csv").read_bytes() == before


@pytest.mark.slow
def test_resume_runs_only_new_cells(finished: Path, tmp_path: Path) -> None:
    out = tmp_path / "grow"
    out.mkdir()
    (out / "results.csv").write_bytes((finished / "results.csv").read_bytes())
    bigger = Suite.from_flags("analytic-market", ["bisection", "subgradient"], [3], [2], [0, 1])
    done = run(bigger, out, resume=True, progress=False, report=False)
    assert (done.ran, done.skipped) == (2, 2)
    frame = read_results(out)
    assert sorted(frame["seed"]) == [0, 0, 1, 1]
    old = read_results(finished)
    kept = frame[frame["seed"] == 0].sort_values("method").reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, old.sort_values("method").reset_index(drop=True))


@pytest.mark.slow
def test_timed_out_cell_is_a_row(tmp_path: Path) -> None:
    # the cell's process cannot even import gamecore within 0.05 s: stopped, recorded, suite goes on
    suite = Suite.from_flags("analytic-market", ["bisection"], [3], [2], [0], time_limit=0.05)
    done = run(suite, tmp_path / "t", progress=False)
    row = done.frame.iloc[0]
    assert row["status"] == "timeout" and "time limit of 0.05 s" in row["message"]
    assert math.isnan(row["wall_s"]) and math.isnan(row["peak_mem_mb"])


@pytest.mark.slow
def test_produced_columns_are_the_documented_ones(finished: Path) -> None:
    """benchmarks/README.md documents every column of results.csv, by the name in the file."""
    header = (finished / "results.csv").read_text().splitlines()[0].split(",")
    assert header == list(COLUMNS)
    text = (ROOT / "benchmarks" / "README.md").read_text()
    section = text.split("## `gamecore bench`", 1)[1].split("\n## ", 1)[0]
    table = section.split("### Columns of `results.csv`", 1)[1]
    documented = re.findall(r"^\| `([a-z_0-9]+)` \|", table, flags=re.M)
    assert documented == list(COLUMNS)


@pytest.mark.slow
def test_acceptance_flag_form(tmp_path: Path) -> None:
    """The issue's command (smaller sizes): 2 strategies x 2 agent counts x 2 seeds = 8 rows."""
    out = tmp_path / "dir"
    cmd = ["bench", "--case", "analytic-market", "--strategies", "bisection,subgradient", "--agents", "3,4",
           "--periods", "2", "--seeds", "0,1", "--out", str(out), "--no-report", "-j", "2", "--json"]
    result = CliRunner().invoke(app, cmd)
    assert result.exit_code == 0, result.output
    frame = read_results(out)
    assert len(frame) == 8 and set(frame["status"]) == {"converged"}
    for column in ("case", "strategy", "agents", "periods", "seed", "status", "iterations", "wall_s", "solver_s"):
        assert frame[column].notna().all(), column
    before = (out / "results.csv").read_bytes()
    result = CliRunner().invoke(app, [*cmd, "--resume"])
    assert result.exit_code == 0 and '"ran": 0' in result.output
    assert (out / "results.csv").read_bytes() == before


def test_cli_usage_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    out = ["--out", str(tmp_path / "o")]
    cases = [
        (["bench", *out], "give a suite file, or --case"),
        (["bench", "--case", "analytic-market", "--strategies", "nope", "--agents", "3", *out], "unknown strategy"),
        (["bench", "--case", "analytic-market", "--strategies", "bisection", "--agents", "3,x", *out],
         "--agents expects comma-separated integers"),
        (["bench", str(SUITES / "closed_form.toml"), "--case", "analytic-market", *out], "not both"),
        (["bench", "--case", "analytic-market", "--strategies", "bisection", "--agents", "3", "-P", "zz=1", *out],
         "unknown parameter 'zz'"),
    ]
    for argv, message in cases:
        result = runner.invoke(app, argv)
        assert result.exit_code == 2, (argv, result.output)
        assert message in result.output, (argv, result.output)


def test_cell_that_cannot_start_is_an_error_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No interpreter at sys.executable: the cell's process cannot start; the suite records it."""
    import sys

    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    suite = Suite.from_flags("analytic-market", ["bisection", "subgradient"], [3], [2], [0])
    done = run(suite, tmp_path / "x", progress=False, report=False)
    assert list(done.frame["status"]) == ["error", "error"]
    assert all("FileNotFoundError" in m for m in done.frame["message"])
