"""``benchmarks/pool_overhead.py`` at a tiny size: its CSV files have exactly the columns that
``benchmarks/README.md`` documents for them, and their numbers are consistent.

The README documents each CSV file by a Markdown table, after a (non-table) line naming the file
in backticks, whose first column lists the CSV's columns in backticks, in the file's order.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import re
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "pool_overhead.py"
README = ROOT / "benchmarks" / "README.md"
CSV_FILES = ("pool_overhead.csv", "pool_overhead_routes.csv", "pool_overhead_compile.csv")


def section(markdown: str, heading: str) -> str:
    """The level-2 section whose heading line starts with ``## heading``, up to the next level-2 heading."""
    lines = markdown.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(f"## {heading}")]
    if not starts:
        raise ValueError(f"no '## {heading}' heading")
    body = [lines[starts[0]]]
    for line in lines[starts[0] + 1:]:
        if line.startswith("## "):
            break
        body.append(line)
    return "\n".join(body)


def documented_columns(markdown: str, filename: str) -> list[str]:
    """The backticked names in the first column of the first table after the first non-table
    line of ``markdown`` that mentions `` `filename` ``, in order."""
    lines = markdown.splitlines()
    mention = next((i for i, line in enumerate(lines)
                    if f"`{filename}`" in line and not line.lstrip().startswith("|")), None)
    if mention is None:
        raise ValueError(f"no line outside a table mentions `{filename}`")
    start = next((i for i in range(mention + 1, len(lines)) if lines[i].lstrip().startswith("|")), None)
    if start is None:
        raise ValueError(f"no table after the line mentioning `{filename}`")
    rows = []
    for line in lines[start:]:
        if not line.lstrip().startswith("|"):
            break
        rows.append(line)
    names: list[str] = []
    for row in rows[2:]:                                   # skip the header and the |---| line
        first_cell = row.strip().strip("|").split("|")[0]
        names += re.findall(r"`([^`]+)`", first_cell)
    return names


def pool_overhead_columns(readme: str) -> dict[str, list[str]]:
    """CSV file name -> documented columns, from the ``pool_overhead.py`` section of ``readme``."""
    text = section(readme, "`pool_overhead.py`")
    return {name: documented_columns(text, name) for name in CSV_FILES}


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pool_overhead_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def test_documented_columns_parser() -> None:
    text = "\n".join([
        "## `pool_overhead.py`: x", "| file | content |", "|---|---|", "| `a.csv` | table |", "",
        "### Table → `a.csv`", "", "| column | meaning |", "|---|---|", "| `x` | printed as `X` |",
        "| `y` | `y` |", "", "## `other.py`", "### `a.csv`", "| c | m |", "|---|---|", "| `z` | |",
    ])
    assert documented_columns(section(text, "`pool_overhead.py`"), "a.csv") == ["x", "y"]
    with pytest.raises(ValueError):
        documented_columns(section(text, "`pool_overhead.py`"), "b.csv")


# --jobs 1: the second pool is in-process too (about 1 s); --jobs 2 starts loky workers, which
# import gamecore each: several seconds on a loaded 2-core machine
@pytest.mark.parametrize("jobs", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_pool_overhead_script_columns_and_numbers(jobs: int, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    documented = pool_overhead_columns(README.read_text(encoding="utf-8"))
    argv = ["--agents", "3", "--periods", "3", "--repeats", "2", "--warmup", "1", "--models", "storage-hub",
            "--sample", "2", "--sample-repeats", "2", "--jobs", str(jobs), "--out", str(tmp_path)]
    script = _script()
    assert script.main(argv) == 0
    capsys.readouterr()

    for name in (*CSV_FILES, "pool_overhead.json"):
        assert (tmp_path / name).is_file(), name
    meta = json.loads((tmp_path / "pool_overhead.json").read_text())["meta"]
    assert meta["args"]["agents"] == [3] and meta["command"].endswith(" ".join(argv))

    tables = {}
    for name in CSV_FILES:
        header, rows = _read_csv(tmp_path / name)
        assert header == documented[name], f"{name}: CSV columns != benchmarks/README.md"
        assert rows, name
        tables[name] = rows

    # table 1: per (model, N), the in-process pool's rows, then the --jobs pool's (respond, respond_many)
    pool = tables["pool_overhead.csv"]
    assert len(pool) == 4
    calls = max(3, 2)                                       # repeats_for: at least 3 timed vectors
    for row in pool:
        agents, solves, solver_ms = int(row["agents"]), int(row["solves"]), float(row["solver_ms"])
        wall_ms = float(row["wall_ms"])
        assert solves == agents * calls
        assert int(row["calls"]) == (calls if row["call"] == "respond" else 1)
        assert solver_ms > 0
        assert math.isclose(float(row["ratio"]), wall_ms / solver_ms, rel_tol=1e-9)
        assert math.isclose(float(row["ratio_core"]), int(row["n_jobs"]) * wall_ms / solver_ms, rel_tol=1e-9)
        assert math.isclose(float(row["overhead_ms"]), wall_ms - solver_ms, rel_tol=1e-9, abs_tol=1e-12)
    in_process, parallel = pool[:2], pool[2:]
    assert [r["call"] for r in in_process] == [r["call"] for r in parallel] == ["respond", "respond_many"]
    workers = script.plan_workers(jobs, "loky", 3, script.cpu_count())[0]   # --jobs capped at N and the CPUs
    for one, many in zip(in_process, parallel):
        assert int(one["n_jobs"]) == 1 and float(one["speedup"]) == 1.0
        assert int(many["n_jobs"]) == workers
        assert math.isclose(float(many["speedup"]), float(one["wall_ms"]) / float(many["wall_ms"]), rel_tol=1e-9)

    # table 2: the compiled path agrees with cvxpy
    routes = {row["route"]: row for row in tables["pool_overhead_routes.csv"]}
    assert set(routes) == {"gamecore CanonicalProgram.solve", "cvxpy Problem.solve(CLARABEL)"}
    for row in routes.values():
        assert int(row["solves"]) == int(row["followers"]) * int(row["repeats"]) == 2 * 2
        assert float(row["solver_ms"]) > 0
        assert math.isclose(float(row["ratio"]), float(row["wall_ms"]) / float(row["solver_ms"]), rel_tol=1e-9)
    assert float(routes["cvxpy Problem.solve(CLARABEL)"]["rel_diff"]) < 1e-5
    assert math.isnan(float(routes["gamecore CanonicalProgram.solve"]["rel_diff"]))

    # table 3
    (compiled,) = tables["pool_overhead_compile.csv"]
    assert int(compiled["agents"]) == 3
    assert math.isclose(float(compiled["compile_ms"]), float(compiled["build_s"]) / 3 * 1e3, rel_tol=1e-9)
    assert int(compiled["n"]) > 0 and int(compiled["m"]) > 0
