"""Benchmark suites as a product feature (``gamecore bench``, :func:`run`).

A *suite* (:mod:`gamecore.bench.suite`: a TOML file or CLI flags) crosses cases (with their
parameters) × strategies (with options) × agent counts × periods × seeds; every combination is a
*cell*, run in its own process with a time limit (:mod:`gamecore.bench.runner`,
:mod:`gamecore.bench.cell`). The results are one tidy table, one row per cell
(:mod:`gamecore.bench.table`), from which :mod:`gamecore.bench.report` draws the summary over
seeds, the scaling laws, the Dolan–Moré performance profiles and data profiles::

    import gamecore.bench as bench
    suite = bench.load_suite("benchmarks/suites/closed_form.toml")
    done = bench.run(suite, "results/", resume=True)
    bench.plot_performance_profile(done.frame, "wall_s")
"""

from __future__ import annotations

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
from gamecore.bench.runner import BenchRun, environment_record, read_results, run
from gamecore.bench.suite import Cell, MethodSpec, Suite, SuiteError, load_suite, parse_suite
from gamecore.bench.table import CERTIFICATE_COLUMNS, COLUMN_DOCS, COLUMNS, PROBLEM_COLUMNS, STATUSES

__all__ = [
    "CERTIFICATE_COLUMNS", "COLUMNS", "COLUMN_DOCS", "PROBLEM_COLUMNS", "STATUSES", "BenchRun", "Cell", "MethodSpec",
    "Suite", "SuiteError", "data_profile", "environment_record", "load_suite", "markdown_summary", "parse_suite",
    "performance_profile", "performance_ratios", "plot_data_profile", "plot_performance_profile", "plot_scaling",
    "read_results", "run", "scaling_laws", "summarize", "write_report",
]
