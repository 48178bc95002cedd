"""Benchmark suites: cases × strategies × agent counts × periods × seeds, read from TOML or flags.

A suite file (TOML; ``benchmarks/suites/*.toml``)::

    name = "closed-form"            # optional; default: the file's stem
    time_limit = 900                # seconds per cell (the cell's process is stopped after it)
    periods = [24]                  # periods of every case (default: each case's own default)
    seeds = [0, 1]                  # default [0]
    strategies = "applicable"       # default strategy list: every registered strategy that can
                                    # solve the case, or a list of names / tables (below)
    [pool]                          # the follower pool inside each cell (gamecore.solve's n_jobs, backend)
    n_jobs = 1
    backend = "loky"

    [[cases]]
    name = "analytic-market"
    agents = [10, 100, 1000]
    params = { }                    # case parameters (`gamecore cases`)
    # periods / seeds / strategies here override the suite's for this case

    [[strategies]]                  # a strategy entry (instead of a name): options and a label
    name = "subgradient"
    label = "subgradient-polyak"    # the method's name in the table and the reports
    options = { step_rule = "polyak" }

``strategy = "rolling"`` runs the rolling day-ahead / real-time workflow
(:func:`gamecore.rolling.solve_rolling`) on a case with a rolling description; its options are
``day_ahead`` (default ``"day-ahead"``), ``real_time`` (``"bisection"``), ``reference`` (also run
the centralized rolling reference, outside the timing; default true), ``day_ahead_options`` and
``real_time_options`` (tables).

Everything is checked when the suite is read (:func:`load_suite`, :meth:`Suite.from_flags`):
unknown cases, strategies, options and case parameters raise :class:`SuiteError` naming the
suite and the field, before any cell runs.
"""

from __future__ import annotations

import hashlib
import json
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gamecore.errors import GameError

#: the pseudo-strategy that runs the rolling workflow
ROLLING = "rolling"
#: options of the ``rolling`` pseudo-strategy and their defaults
ROLLING_OPTIONS: Mapping[str, Any] = {"day_ahead": "day-ahead", "real_time": "bisection", "reference": True,
                                      "day_ahead_options": {}, "real_time_options": {}}
#: default seconds per cell
DEFAULT_TIME_LIMIT = 600.0
_SUITE_KEYS = {"name", "time_limit", "periods", "seeds", "strategies", "pool", "cases", "description"}
_CASE_KEYS = {"name", "agents", "params", "periods", "seeds", "strategies"}
_STRATEGY_KEYS = {"name", "label", "options"}
_POOL_KEYS = {"n_jobs", "backend"}


class SuiteError(GameError, ValueError):
    """A suite that cannot run: unknown case, strategy, option or parameter, bad sizes... The
    message names the suite and the field (``suite 'x': cases[1].agents: ...``)."""


@dataclass(frozen=True)
class MethodSpec:
    """One strategy entry: registered ``strategy`` name (or ``"rolling"``), its ``options``, and
    the ``method`` label the table and reports use."""

    strategy: str
    options: Mapping[str, Any] = field(default_factory=dict)
    method: str = ""


@dataclass(frozen=True)
class Cell:
    """One run of a suite: a case at a size and seed, solved by one method.

    ``key`` (a hash of every field) identifies the cell in ``results.csv``: ``--resume`` skips a
    cell whose key is already there.
    """

    case: str
    params: Mapping[str, Any]
    method: str
    strategy: str
    options: Mapping[str, Any]
    agents: int
    periods: int
    seed: int
    pool_jobs: int = 1
    pool_backend: str = "loky"
    time_limit: float = DEFAULT_TIME_LIMIT

    @property
    def key(self) -> str:
        ident = {"case": self.case, "params": dict(self.params), "method": self.method, "strategy": self.strategy,
                 "options": dict(self.options), "agents": self.agents, "periods": self.periods, "seed": self.seed,
                 "pool_jobs": self.pool_jobs, "pool_backend": self.pool_backend}
        return hashlib.sha1(canonical_json(ident).encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        """The cell as plain JSON data (what :mod:`gamecore.bench.cell` reads)."""
        return {"case": self.case, "params": dict(self.params), "method": self.method, "strategy": self.strategy,
                "options": dict(self.options), "agents": self.agents, "periods": self.periods, "seed": self.seed,
                "pool_jobs": self.pool_jobs, "pool_backend": self.pool_backend, "time_limit": self.time_limit,
                "key": self.key}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Cell:
        return cls(data["case"], dict(data["params"]), data["method"], data["strategy"], dict(data["options"]),
                   int(data["agents"]), int(data["periods"]), int(data["seed"]),
                   int(data["pool_jobs"]), str(data["pool_backend"]), float(data["time_limit"]))


@dataclass(frozen=True)
class Suite:
    """A checked suite: its name and the cells it runs, in order (case, agents, periods, seed, method:
    the small cells of a case first, so an interrupted suite has its cheap results)."""

    name: str
    cells: tuple[Cell, ...]
    source: str = ""

    def __len__(self) -> int:
        return len(self.cells)

    @classmethod
    def from_flags(cls, case: str, strategies: Sequence[str], agents: Sequence[int], periods: Sequence[int] = (),
                   seeds: Sequence[int] = (0,), params: Mapping[str, Any] | None = None,
                   options: Mapping[str, Any] | None = None, time_limit: float = DEFAULT_TIME_LIMIT,
                   pool_jobs: int = 1, pool_backend: str = "loky", name: str | None = None) -> Suite:
        """The one-case suite of ``gamecore bench --case ... --strategies ...`` (``options`` go to
        every strategy that declares them, and each must be declared by one of them; see
        :func:`parse_suite` for the other checks)."""
        label = name or case
        given = dict(options or {})
        if list(strategies) == ["applicable"]:
            if given:
                raise SuiteError(f"suite '{label}': options: give strategies by name to pass options")
            data_all = {"name": label, "time_limit": time_limit, "seeds": list(seeds), "strategies": "applicable",
                        "pool": {"n_jobs": pool_jobs, "backend": pool_backend},
                        "cases": [{"name": case, "agents": list(agents), "params": dict(params or {}),
                                   **({"periods": list(periods)} if periods else {})}]}
            return parse_suite(data_all, label, source="flags")
        per_strategy = {s: _options_for(s, given) for s in strategies}
        orphans = sorted(set(given) - {k for opts in per_strategy.values() for k in opts})
        if orphans:
            raise SuiteError(f"suite '{label}': options: {orphans} is not an option of any of {list(strategies)} "
                             "(`gamecore strategies NAME` lists a strategy's options)")
        data = {"name": label, "time_limit": time_limit, "seeds": list(seeds),
                "pool": {"n_jobs": pool_jobs, "backend": pool_backend},
                "cases": [{"name": case, "agents": list(agents), "params": dict(params or {}),
                           **({"periods": list(periods)} if periods else {})}],
                "strategies": [{"name": s, "options": per_strategy[s]} for s in strategies]}
        return parse_suite(data, label, source="flags")


def canonical_json(data: Any) -> str:
    """JSON with sorted keys and no spaces: the stable text of cell keys and of the table's
    ``params`` / ``options`` columns."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)


def load_suite(path: str | Path) -> Suite:
    """Read and check the suite file ``path`` (TOML).

    Raises:
        SuiteError: the file is missing or not TOML, or anything :func:`parse_suite` refuses.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise SuiteError(f"suite file {path} not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise SuiteError(f"suite file {path} is not valid TOML: {err}") from None
    return parse_suite(data, str(data.get("name", path.stem)), source=str(path))


def parse_suite(data: Mapping[str, Any], name: str, source: str = "") -> Suite:
    """Check the suite ``data`` (the parsed TOML, module docstring) and expand it into cells.

    Raises:
        SuiteError: an unknown key; a case that is not registered or a case parameter it refuses;
            agents / periods not integers >= 1, seeds not integers >= 0; an unknown strategy or
            option, or a named strategy that cannot solve its case; a time limit not > 0; a pool with
            bad ``n_jobs`` / ``backend``. The message names ``name`` and the field.
    """
    from gamecore.cases import UnknownCaseError, case_spec
    from gamecore.pool import check_backend

    def fail(where: str, why: str) -> SuiteError:
        return SuiteError(f"suite '{name}': {where}: {why}")

    _check_keys(data, _SUITE_KEYS, "the suite", fail)
    time_limit = data.get("time_limit", DEFAULT_TIME_LIMIT)
    if isinstance(time_limit, bool) or not isinstance(time_limit, int | float) or not math.isfinite(time_limit) \
            or time_limit <= 0:
        raise fail("time_limit", f"must be a number of seconds > 0, got {time_limit!r}")
    pool = data.get("pool", {})
    if not isinstance(pool, Mapping):
        raise fail("pool", "must be a table with n_jobs and backend")
    _check_keys(pool, _POOL_KEYS, "pool", fail)
    pool_jobs, pool_backend = pool.get("n_jobs", 1), pool.get("backend", "loky")
    if isinstance(pool_jobs, bool) or not isinstance(pool_jobs, int) or pool_jobs == 0 or pool_jobs < -1:
        raise fail("pool.n_jobs", f"must be a positive integer or -1, got {pool_jobs!r}")
    try:
        check_backend(str(pool_backend))
    except ValueError as err:
        raise fail("pool.backend", str(err)) from None
    default_periods = _int_list(data.get("periods", []), "periods", 1, fail, allow_empty=True)
    default_seeds = _int_list(data.get("seeds", [0]), "seeds", 0, fail)
    default_methods = _methods(data.get("strategies", "applicable"), "strategies", fail)
    cases = data.get("cases")
    if not isinstance(cases, list) or not cases:
        raise fail("cases", "needs at least one [[cases]] table with a name and agents")
    cells: list[Cell] = []
    for i, entry in enumerate(cases):
        where = f"cases[{i}]"
        if not isinstance(entry, Mapping):
            raise fail(where, "must be a table")
        _check_keys(entry, _CASE_KEYS, where, fail)
        case_name = entry.get("name")
        if not isinstance(case_name, str):
            raise fail(f"{where}.name", "missing (a case name, see `gamecore cases`)")
        try:
            spec = case_spec(case_name)
        except UnknownCaseError as err:
            raise fail(f"{where}.name", str(err)) from None
        params = entry.get("params", {})
        if not isinstance(params, Mapping):
            raise fail(f"{where}.params", "must be a table of case parameters")
        try:
            spec.resolve_params(params)
        except (ValueError, TypeError) as err:
            raise fail(f"{where}.params", str(err)) from None
        agents = _int_list(entry.get("agents"), f"{where}.agents", 1, fail)
        periods = list(_int_list(entry["periods"], f"{where}.periods", 1, fail)
                       if "periods" in entry else default_periods) or [spec.default_periods]
        seeds = _int_list(entry["seeds"], f"{where}.seeds", 0, fail) if "seeds" in entry else default_seeds
        methods = (_methods(entry["strategies"], f"{where}.strategies", fail) if "strategies" in entry
                   else default_methods)
        chosen = _applicable(case_name, methods, params, min(agents), periods[0], seeds[0], where, fail)
        for n in agents:
            for t in periods:
                for s in seeds:
                    cells.extend(Cell(case_name, dict(params), m.method, m.strategy, dict(m.options), n, t, s,
                                      pool_jobs, str(pool_backend), float(time_limit)) for m in chosen)
    keys = [c.key for c in cells]
    if len(set(keys)) != len(keys):
        raise fail("cases", "the same cell appears twice (same case, parameters, method, size and seed)")
    return Suite(name, tuple(cells), source)


def _check_keys(data: Mapping[str, Any], allowed: set[str], where: str, fail: Any) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise fail(where, f"unknown key{'s' if len(unknown) > 1 else ''} {unknown}; allowed: {sorted(allowed)}")


def _int_list(value: Any, where: str, least: int, fail: Any, allow_empty: bool = False) -> list[int]:
    values = [value] if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(values, list) or (not values and not allow_empty):
        raise fail(where, f"must be a list of integers >= {least}, got {value!r}")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int) or v < least:
            raise fail(where, f"must be integers >= {least}, got {v!r}")
    if len(set(values)) != len(values):
        raise fail(where, f"repeats a value: {values}")
    return list(values)


def _methods(value: Any, where: str, fail: Any) -> list[MethodSpec] | str:
    """The strategy entries of ``value``: ``"applicable"`` / ``"all"`` (kept as text, expanded per
    case) or a list of names / ``{name, label, options}`` tables, each checked."""
    if value in ("applicable", "all"):
        return "applicable"
    if isinstance(value, str):
        value = [s.strip() for s in value.split(",") if s.strip()]
    if not isinstance(value, list) or not value:
        raise fail(where, f"must be \"applicable\" or a list of strategies, got {value!r}")
    out: list[MethodSpec] = []
    for j, entry in enumerate(value):
        here = f"{where}[{j}]"
        if isinstance(entry, str):
            entry = {"name": entry}
        if not isinstance(entry, Mapping):
            raise fail(here, "must be a strategy name or a table with name, label, options")
        _check_keys(entry, _STRATEGY_KEYS, here, fail)
        strategy, options = entry.get("name"), entry.get("options", {})
        if not isinstance(strategy, str):
            raise fail(f"{here}.name", "missing (a strategy name, see `gamecore strategies`)")
        if not isinstance(options, Mapping):
            raise fail(f"{here}.options", "must be a table of strategy options")
        _check_strategy(strategy, options, here, fail)
        label = entry.get("label", strategy)
        if not isinstance(label, str) or not label:
            raise fail(f"{here}.label", f"must be a non-empty string, got {label!r}")
        out.append(MethodSpec(strategy, dict(options), label))
    labels = [m.method for m in out]
    if len(set(labels)) != len(labels):
        raise fail(where, f"two entries have the same label {labels}; give them distinct labels")
    return out


def _check_strategy(strategy: str, options: Mapping[str, Any], where: str, fail: Any) -> None:
    """Unknown strategy or option -> SuiteError (the strategy's own Options check the values)."""
    from gamecore.registry import get_strategy

    if strategy == ROLLING:
        unknown = sorted(set(options) - set(ROLLING_OPTIONS))
        if unknown:
            raise fail(f"{where}.options", f"unknown rolling option(s) {unknown}; valid: {sorted(ROLLING_OPTIONS)}")
        rolling = {**ROLLING_OPTIONS, **options}
        for stage in ("day_ahead", "real_time"):
            if rolling[stage] is not None:
                _check_strategy(str(rolling[stage]), dict(rolling[f"{stage}_options"]), f"{where}.options.{stage}",
                                fail)
        return
    try:
        get_strategy(strategy, **options)
    except GameError as err:
        raise fail(where, str(err)) from None
    except (TypeError, ValueError) as err:
        raise fail(f"{where}.options", str(err)) from None


def _options_for(strategy: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """The entries of ``options`` that ``strategy``'s Options declare (flag suites pass one option
    set to several strategies)."""
    from gamecore.registry import available_strategies

    if not options or strategy == ROLLING:
        return dict(options)
    cls = available_strategies().get(strategy)
    fields = getattr(getattr(cls, "Options", None), "__dataclass_fields__", None)
    return {k: v for k, v in options.items() if fields is None or k in fields}


def _applicable(case: str, methods: list[MethodSpec] | str, params: Mapping[str, Any], agents: int,
                periods: int, seed: int, where: str, fail: Any) -> list[MethodSpec]:
    """``methods`` that can solve ``case`` (``"applicable"``: every registered strategy whose
    ``check`` passes on the case built at its smallest size). A named strategy that cannot
    raises SuiteError with the strategy's reason."""
    from gamecore.cases import make_case
    from gamecore.registry import available_strategies, get_strategy

    try:
        built = make_case(case, agents, periods, seed, **params)
    except (GameError, ValueError, TypeError) as err:
        raise fail(where, f"case '{case}' cannot be built at agents={agents}, periods={periods}: {err}") from None
    if isinstance(methods, str):
        registry = available_strategies(aliases=False)
        methods = [MethodSpec(name, {}, name) for name in sorted(registry)]
        keep = []
        for m in methods:
            try:
                get_strategy(m.strategy).check(built.game)
            except (GameError, ValueError, TypeError):
                continue
            keep.append(m)
        return keep
    for m in methods:
        if m.strategy == ROLLING:
            if built.rolling is None:
                raise fail(where, f"strategy 'rolling' needs a case with a rolling description; '{case}' has none")
            continue
        try:
            get_strategy(m.strategy, **m.options).check(built.game)
        except GameError as err:
            raise fail(where, f"strategy '{m.method}' cannot solve '{case}': {err}") from None
    return list(methods)


__all__ = ["DEFAULT_TIME_LIMIT", "ROLLING", "ROLLING_OPTIONS", "Cell", "MethodSpec", "Suite", "SuiteError",
           "canonical_json", "load_suite", "parse_suite"]
