"""Loss-minimising reconfiguration of IEEE 33 (single and multi-period) and `gamecore reconfigure`."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from gamecore import cli
from gamecore.network.ac_check import TOLERANCE
from gamecore.network.data import load_feeder, load_profile
from gamecore.network.distflow import solve_fixed_topology
from gamecore.network.radiality import is_spanning_tree
from gamecore.network.reconfiguration import reconfigure

pytest.importorskip("pandapower", reason="the network extra is not installed: pip install -e '.[network]'")

KNOWN_OPEN = {"line6", "line8", "line13", "line31", "line36"}  # Baran & Wu switches 7, 9, 14, 32, 37
TIES = ["line32", "line33", "line34", "line35", "line36"]
JSON_KEYS = ("base_loss_kw", "loss_kw", "open_lines", "min_voltage_pu", "ac_check_loss_kw", "binaries_before",
             "binaries_after", "wall_s", "status", "per_period", "switching_operations")


@pytest.fixture(scope="module")
def feeder():
    return load_feeder("ieee33")


@pytest.fixture(scope="module")
def single(feeder):
    """The single-period reconfiguration (≈ 11 s): the tests that use it are marked slow."""
    return reconfigure(feeder, periods=1, method="highs")


@pytest.mark.slow
def test_single_period_reaches_known_optimum(single) -> None:
    r = single
    assert r.status == "optimal", r.message
    assert r.base_loss_kw[0] == pytest.approx(202.68, rel=1e-3)
    assert r.loss_kw[0] == pytest.approx(139.5, rel=0.01)
    assert set(r.open_lines[0]) == KNOWN_OPEN
    assert r.min_voltage_pu[0] == pytest.approx(0.9378, abs=1e-3)
    assert r.lower_bound_kw <= r.loss_kw[0] and r.gap <= 1e-4
    assert (r.binaries_before, r.binaries_after) == (37, 36)
    assert r.switching_operations == 8  # close 4 ties, open 4 lines (line36 stays open)
    assert r.wall_s > 0 and r.solver_s > 0


@pytest.mark.slow
def test_single_period_ac_check(single) -> None:
    r = single
    assert r.ac_agrees
    assert r.ac_check_loss_kw[0] == pytest.approx(r.loss_kw[0], rel=TOLERANCE)
    assert r.ac_check_min_voltage_pu[0] == pytest.approx(r.min_voltage_pu[0], rel=TOLERANCE)
    assert r.ac_check_base_loss_kw[0] == pytest.approx(202.68, abs=0.05)


@pytest.mark.slow
def test_multi_period_switching_limit_binds_and_is_respected(feeder) -> None:
    k = 2
    r = reconfigure(feeder, periods=3, max_switching=k)
    assert r.status == "optimal", r.message
    assert r.load_factor == load_profile(3).tolist()
    assert r.switching_operations <= k
    assert (r.binaries_before, r.binaries_after, r.switching_binaries) == (3 * 37, 3 * 36, 3 * 36)
    for t in range(3):
        assert is_spanning_tree(feeder, r.closed[:, t])
        assert sorted(r.open_lines[t]) == sorted(feeder.line_names[e] for e in np.flatnonzero(~r.closed[:, t]))
    # counted from the initial configuration, then between periods
    prev = feeder.initially_closed
    changes = 0
    for t in range(3):
        changes += int(np.count_nonzero(r.closed[:, t] != prev))
        prev = r.closed[:, t]
    assert changes == r.switching_operations
    # better than doing nothing, worse than the unconstrained optimum (the limit binds)
    assert sum(r.loss_kw) < sum(r.base_loss_kw) - 1.0
    known = np.array([name not in KNOWN_OPEN for name in feeder.line_names])
    unconstrained = sum(solve_fixed_topology(feeder, known, f).loss_kw for f in r.load_factor)
    assert sum(r.loss_kw) > unconstrained + 1.0
    assert r.ac_agrees and max(r.ac_loss_rel_diff) <= TOLERANCE


# ------------------------------------------------------------------------------- CLI
@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


def test_cli_json_keys_and_values(runner: CliRunner) -> None:
    # K = 0: the initial configuration is the only admissible one (fast, and checks the limit)
    res = runner.invoke(cli.app, ["reconfigure", "ieee33", "--max-switching", "0", "--json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    for key in JSON_KEYS:
        assert key in payload, key
    assert payload["status"] == "optimal"
    assert payload["open_lines"] == TIES
    assert payload["loss_kw"] == pytest.approx(payload["base_loss_kw"], rel=1e-6)
    assert payload["loss_kw"] == pytest.approx(202.68, rel=1e-3)
    assert payload["ac_check_loss_kw"] == pytest.approx(payload["loss_kw"], rel=TOLERANCE)
    assert payload["min_voltage_pu"] == pytest.approx(0.9131, abs=1e-3)
    assert (payload["binaries_before"], payload["binaries_after"]) == (37, 36)
    assert payload["switching_operations"] == 0 and payload["wall_s"] > 0
    assert len(payload["per_period"]) == 1


def test_cli_human_summary(runner: CliRunner) -> None:
    res = runner.invoke(cli.app, ["reconfigure", "ieee33", "-k", "0"])
    assert res.exit_code == 0, res.output
    assert "open lines    line32, line33, line34, line35, line36" in res.stdout
    assert "37 before reduction, 36 after" in res.stdout


@pytest.mark.parametrize("args", [["reconfigure", "ieee13", "--json"],
                                  ["reconfigure", "ieee33", "--periods", "5"],
                                  ["reconfigure", "ieee33", "--method", "gurobi"]])
def test_cli_usage_errors_exit_2(runner: CliRunner, args: list[str]) -> None:
    res = runner.invoke(cli.app, args)
    assert res.exit_code == 2
    assert len(res.output.strip().splitlines()) == 1 and "error" in res.output


@pytest.mark.slow
def test_cli_json_stdout_is_clean_in_a_real_process() -> None:
    # HiGHS prints a banner on the C-level stdout; it must not reach the JSON output
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "gamecore", "reconfigure", "ieee33", "-k", "0", "--json"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["open_lines"] == TIES and payload["switching_operations"] == 0


def test_failure_is_reported_in_status_and_exit_code(feeder, runner: CliRunner) -> None:
    r = reconfigure(feeder, time_limit=1e-6, ac_check=False)  # no time for a single MILP
    assert r.status == "failed" and "time limit" in r.message
    assert r.loss_kw == [] and r.open_lines == [] and r.closed is None
    res = runner.invoke(cli.app, ["reconfigure", "ieee33", "--time-limit", "0.000001", "--json"])
    assert res.exit_code == 1
    payload = json.loads(res.stdout)
    assert payload["status"] == "failed" and payload["loss_kw"] is None and payload["open_lines"] == []
