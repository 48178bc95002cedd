"""CLI tests: `gamecore strategies | cases | solve | demo` through typer's CliRunner.

Numbers are checked against the closed form of ``analytic-market`` (computed in
gamecore/cases/analytic_market.py independently of every strategy). The demo rows checked
here are those of ``centralized``, ``subgradient`` and ``bisection``; the accuracy of ``admm``,
``nsga-qp`` and ``kkt`` is tested against closed forms in their own files (test_admm.py,
test_nsga_qp.py, test_closed_form.py). A crashing strategy is simulated with a local stub.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import gamecore
from gamecore.certificate import TOLERANCES
from gamecore import cli
from gamecore.plotting import plot_convergence, residual_columns, signal_columns
from gamecore.result import Result
from gamecore.strategy import Outcome, SolveContext, Strategy

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
BUILTIN = ("centralized", "subgradient", "bisection", "admm", "admm-exchange", "admm-mccormick", "nsga-qp")
REQUIRED_KEYS = ("case", "strategy", "status", "message", "iterations", "wall_s", "solver_s", "objective",
                 "reference_objective", "gap_to_reference", "certificate", "messages", "signals")
SMALL = ["--agents", "5", "--periods", "4"]


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: str):
    return runner.invoke(cli.app, list(args))


# ------------------------------------------------------------------------- listings
def test_strategies_lists_all_builtin_names(runner: CliRunner) -> None:
    res = invoke(runner, "strategies")
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    for name in BUILTIN:
        assert any(line.split()[:1] == [name] for line in lines), f"{name} missing:\n{res.stdout}"
    assert "equilibrium" in lines[0]
    bisection_line = next(line for line in lines if line.startswith("bisection "))
    assert "market" in bisection_line


def test_cases_lists_both_cases_with_kind_and_defaults(runner: CliRunner) -> None:
    res = invoke(runner, "cases")
    assert res.exit_code == 0, res.output
    rows = {line.split()[0]: line.split() for line in res.stdout.splitlines()[2:]}
    assert set(rows) == set(gamecore.CASES)
    assert {"analytic-market", "analytic-stackelberg"} <= set(rows)
    assert rows["analytic-market"][1:4] == ["market", "10", "24"]
    assert rows["analytic-stackelberg"][1:4] == ["stackelberg", "10", "24"]


# ---------------------------------------------------------------------------- solve
def test_solve_json_matches_closed_form(runner: CliRunner) -> None:
    res = invoke(runner, "solve", "analytic-market", "--strategy", "bisection", *SMALL, "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)  # exactly one JSON object on stdout
    for key in REQUIRED_KEYS:
        assert key in data, key
    assert set(data["certificate"]) == set(TOLERANCES) | {"certified"}
    assert data["certificate"]["certified"] is True
    assert data["case"] == "analytic-market" and data["strategy"] == "bisection"
    assert data["status"] == "converged"
    assert data["agents"] == 5 and data["periods"] == 4
    assert abs(data["gap_to_reference"]) < 1e-4
    assert data["certificate"]["leader_regret"] is None  # market game: not applicable
    assert data["certificate"]["coupling_residual"] <= 1e-5  # bisection's default tol
    # independent check: the closed form of the same case (same seed)
    ref = gamecore.make_case("analytic-market", 5, 4, seed=0).reference
    assert data["reference_objective"] == pytest.approx(ref.objective, rel=1e-12)
    assert data["reference_source"] == "closed form"
    np.testing.assert_allclose(data["signals"]["price"], ref.signals["price"], rtol=1e-3)


def test_solve_text_summary_and_seed(runner: CliRunner) -> None:
    res = invoke(runner, "solve", "analytic-market", "-s", "centralized", *SMALL, "--seed", "3", "--quiet")
    assert res.exit_code == 0, res.output
    ref = gamecore.make_case("analytic-market", 5, 4, seed=3).reference
    for word in ("converged", "best-response gap", "follower infeasibility", "coupling residual", "duality gap",
                 "certified", "yes", "wall", "closed form"):
        assert word in res.stdout, word
    assert "leader regret" not in res.stdout      # a market game's certificate has no Stackelberg measures
    reference_line = next(line for line in res.stdout.splitlines() if line.startswith("reference"))
    assert float(reference_line.split()[1]) == pytest.approx(ref.objective, rel=1e-9)


def test_solve_option_is_passed_to_the_strategy(runner: CliRunner) -> None:
    res = invoke(runner, "solve", "analytic-market", "-s", "bisection", *SMALL, "--json",
                 "--option", "max_iter=3", "--option", "tol=1e-6")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["status"] == "max_iter"
    assert data["iterations"] == 3
    assert "max_iter=3" in data["message"]


def test_solve_out_writes_json_csv_and_png(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "run"
    res = invoke(runner, "solve", "analytic-market", "-s", "subgradient", *SMALL, "--out", str(out), "--quiet")
    assert res.exit_code == 0, res.output
    saved = json.loads((out / "result.json").read_text())
    assert saved["status"] == "converged" and "outputs" in saved
    history = pd.read_csv(out / "history.csv")
    assert len(history) == saved["iterations"]
    assert "residual" in history.columns and "signals[3]" in history.columns
    png = (out / "convergence.png").read_bytes()
    assert png[:8] == PNG_MAGIC and len(png) > 1000


def test_solve_out_without_residual_history(runner: CliRunner, tmp_path: Path) -> None:
    res = invoke(runner, "solve", "analytic-market", "-s", "centralized", *SMALL, "--out", str(tmp_path), "--json")
    assert res.exit_code == 0, res.output
    json.loads(res.stdout)  # --out adds nothing to stdout in --json mode
    assert (tmp_path / "convergence.png").read_bytes()[:8] == PNG_MAGIC


def test_unknown_strategy_exits_2_listing_valid_names(runner: CliRunner) -> None:
    res = invoke(runner, "solve", "analytic-market", "--strategy", "no-such", *SMALL)
    assert res.exit_code == 2
    assert "no-such" in res.stderr
    for name in BUILTIN:
        assert name in res.stderr
    assert "Traceback" not in res.output


def test_unknown_case_exits_2(runner: CliRunner) -> None:
    res = invoke(runner, "solve", "no-such-case", "--strategy", "bisection")
    assert res.exit_code == 2
    assert "analytic-market" in res.stderr and "Traceback" not in res.output


@pytest.mark.parametrize("args, fragment", [
    (["--option", "nonsense=1"], "valid options"),
    (["--option", "tol=5"], "tol must be in (0, 1)"),
    (["--option", "tol"], "key=value"),
    (["--n-jobs", "0"], "--n-jobs"),
    (["--backend", "spark"], "backend must be one of"),
    (["--scheduler", "tcp://localhost:8786"], "--scheduler needs --backend dask"),
    (["--backend", "dask"], "--backend dask needs --n-jobs > 1"),
])
def test_bad_options_exit_2(runner: CliRunner, args: list[str], fragment: str) -> None:
    res = invoke(runner, "solve", "analytic-market", "-s", "bisection", *SMALL, *args)
    assert res.exit_code == 2, res.output
    assert fragment in res.stderr
    assert "Traceback" not in res.output


def test_solve_on_a_local_dask_cluster(runner: CliRunner) -> None:
    pytest.importorskip("dask.distributed")
    local = json.loads(invoke(runner, "solve", "analytic-market", "-s", "bisection", *SMALL, "--json", "-q").stdout)
    res = invoke(runner, "solve", "analytic-market", "-s", "bisection", *SMALL, "-j", "2", "--backend", "dask",
                 "--json", "-q")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["signals"] == local["signals"]


def test_strategy_not_applicable_exits_2(runner: CliRunner) -> None:
    res = invoke(runner, "solve", "analytic-stackelberg", "-s", "bisection", *SMALL)
    assert res.exit_code == 2
    assert "market" in res.stderr


def test_parse_value() -> None:
    assert cli.parse_value("true") is True and cli.parse_value("False") is False
    assert cli.parse_value("12") == 12 and isinstance(cli.parse_value("12"), int)
    assert cli.parse_value("1e-6") == pytest.approx(1e-6)
    assert cli.parse_value("diminishing") == "diminishing"
    assert cli.parse_options(["max-iter=5", "step_rule=constant"]) == {"max_iter": 5, "step_rule": "constant"}


# ----------------------------------------------------------------------------- demo
def test_demo_table_lists_every_market_strategy(runner: CliRunner) -> None:
    res = invoke(runner, "demo", "--agents", "4", "--periods", "4")
    assert res.exit_code == 0, res.output
    market = [n for n, c in gamecore.available_strategies(aliases=False).items() if c.targets("market")]
    assert {"centralized", "subgradient", "bisection"} <= set(market)
    text = res.stdout
    first, second = text.index("analytic-market:"), text.index("analytic-stackelberg:")
    market_rows = {line.split()[0]: line.split() for line in text[first:second].splitlines()
                   if line[:1].strip() and line.split()[0] in market}  # table rows start at column 0
    assert set(market_rows) == set(market)
    for name in ("centralized", "subgradient", "bisection"):
        row = market_rows[name]
        assert row[1] == "converged"
        assert abs(float(row[4])) < 1e-4  # gap to the closed form


def test_demo_json_is_one_object(runner: CliRunner) -> None:
    res = invoke(runner, "demo", "--agents", "3", "--periods", "2", "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert [c["case"] for c in data["cases"]] == list(cli.DEMO_CASES)
    rows = {r["strategy"]: r for r in data["cases"][0]["rows"]}
    assert rows["bisection"]["status"] == "converged"
    assert "bisection" in data["cases"][1]["not_applicable"]


@dataclass
class _BoomOptions:
    max_iter: int = 1


class _Boom(Strategy[_BoomOptions]):
    """A strategy with a bug (raises a non-gamecore exception)."""

    name = "boom"
    equilibrium = "market"
    summary = "always crashes"
    Options = _BoomOptions

    def run(self, ctx: SolveContext) -> Outcome:
        raise RuntimeError("kaboom")


@pytest.fixture
def with_boom(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = {**gamecore.available_strategies(), "boom": _Boom}
    monkeypatch.setattr(cli, "available_strategies", lambda: registry)
    monkeypatch.setattr(cli, "get_strategy", lambda name, **kw: registry[name](None, **kw))


def test_crashing_strategy_is_an_error_row_not_a_crash(runner: CliRunner, with_boom: None) -> None:
    res = invoke(runner, "demo", "--agents", "3", "--periods", "2")
    assert res.exit_code == 0, res.output
    boom = next(line for line in res.stdout.splitlines() if line.startswith("boom "))
    assert boom.split()[1] == "error"
    assert "kaboom" in res.stdout
    bisection = next(line for line in res.stdout.splitlines() if line.startswith("bisection "))
    assert bisection.split()[1] == "converged"


def test_crashing_strategy_in_solve_exits_1_without_traceback(runner: CliRunner, with_boom: None) -> None:
    res = invoke(runner, "solve", "analytic-market", "-s", "boom", *SMALL)
    assert res.exit_code == 1
    assert "kaboom" in res.stderr and "Traceback" not in res.output


# ------------------------------------------------------------------------- plotting
def test_plot_of_an_empty_failed_result(tmp_path: Path) -> None:
    result = Result(game="g", strategy="s", equilibrium="market", status="failed", message="x", iterations=0)
    path = plot_convergence(result, tmp_path / "c.png")
    assert path.read_bytes()[:8] == PNG_MAGIC


def test_plot_column_selection() -> None:
    frame = pd.DataFrame({"iteration": [1, 2], "primal_residual": [1.0, 0.1], "step": [0.5, 0.5],
                          "signals[10]": [1.0, 2.0], "signals[2]": [3.0, 4.0], "reopened": [0, 0]})
    assert residual_columns(frame) == ["primal_residual"]
    assert signal_columns(frame) == ["signals[2]", "signals[10]"]


def test_python_dash_m_gamecore() -> None:
    proc = subprocess.run([sys.executable, "-m", "gamecore", "cases"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "analytic-stackelberg" in proc.stdout
