"""Follower-pool overhead: wall time per follower solve vs time inside Clarabel.

Measures, for two follower models and several follower counts:

1. ``FollowerPool.respond`` (one signal vector per call) and ``respond_many`` (all timed
   vectors in one call) with ``n_jobs=1`` (in-process) and ``n_jobs=2`` (loky): wall time per
   solve, time inside Clarabel's ``solve()`` call per solve (as measured by gamecore), their
   ratio, and the n_jobs=2 speed-up, all measured in the same run. The first call of each
   pool is timed separately (for ``n_jobs=2`` it ships the compiled followers to the workers).
2. gamecore's compiled path (``CanonicalProgram.solve``) against cvxpy's route
   (``Problem.solve(solver=cp.CLARABEL)`` with DPP parameter updates) on the same followers
   and signal vectors, for a small sample of followers.
3. Compile time per follower (time to build the whole game / number of followers).

Follower models:

* ``analytic-market``: the consumers of ``gamecore.cases.make_case("analytic-market")``
  (a 24-variable box-constrained QP each);
* ``storage-hub``: defined below: grid purchase, CHP-like generator with quadratic cost,
  battery with charge/discharge, state of charge with efficiency, SOC bounds and fixed
  initial/final SOC, random load profile (about 145 canonical variables, 316 cone rows
  for T=24).

Run ``.venv/bin/python benchmarks/pool_overhead.py --help`` for the options; see
``benchmarks/README.md`` for what every column means.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

try:  # the repository checkout first, so the script works without `pip install -e .`
    import gamecore  # noqa: F401
except ImportError:  # pragma: no cover - depends on the environment
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cvxpy as cp  # noqa: E402
from joblib import Parallel, cpu_count, delayed  # noqa: E402

from gamecore.canonical import CanonicalProgram  # noqa: E402
from gamecore.cases import make_case  # noqa: E402
from gamecore.follower import Follower  # noqa: E402
from gamecore.game import Game  # noqa: E402
from gamecore.leader import Leader, MarketCoupling  # noqa: E402
from gamecore.pool import FollowerPool, plan_workers  # noqa: E402
from gamecore.signals import Signal  # noqa: E402
from gamecore.tables import fmt, format_table  # noqa: E402

MS = 1e3


# ------------------------------------------------------------------------------------------
# Follower models. Each builder returns (game, plain_problem) where plain_problem(i) builds
# follower i of that game again as an ordinary cvxpy problem:
# (cp.Problem, price Parameter, demand Expression).
# ------------------------------------------------------------------------------------------

PlainFactory = Callable[[int], "tuple[cp.Problem, cp.Parameter, cp.Expression]"]


def build_analytic_market(agents: int, periods: int, seed: int) -> tuple[Game, PlainFactory]:
    case = make_case("analytic-market", agents=agents, periods=periods, seed=seed)
    data: dict[str, np.ndarray] = case.params["data"]  # type: ignore[assignment]

    def plain(i: int) -> tuple[cp.Problem, cp.Parameter, cp.Expression]:
        # the same formulation as gamecore/cases/analytic_market.py::build
        price = cp.Parameter(periods, name="price")
        d = cp.Variable(periods, name="d")
        utility = data["a"][i] @ d - 0.5 * data["b"][i] * cp.sum_squares(d)
        return cp.Problem(cp.Minimize(-utility + price @ d), [d >= 0, d <= data["dmax"][i]]), price, d

    return case.game, plain


def storage_hub_data(agents: int, periods: int, seed: int) -> dict[str, np.ndarray]:
    """Random hub sizes and load profiles (kW, kWh; prices in currency/kWh in [0, 2])."""
    rng = np.random.default_rng(seed)
    hours = (np.arange(periods) + 0.5) * 24.0 / periods
    shape = 1.0 + 0.3 * np.sin(2 * np.pi * (hours - 9.0) / 24.0) + 0.25 * np.exp(-((hours - 19.0) ** 2) / 6.0)
    peak = rng.uniform(50.0, 200.0, agents)                                   # kW
    load = peak[:, None] * shape[None, :] * rng.uniform(0.85, 1.15, (agents, periods))
    return {
        "load": load,                                       # (N, T) kW
        "gmax": 2.0 * peak,                                 # grid import limit, kW
        "umax": rng.uniform(0.4, 0.8, agents) * peak,       # CHP capacity, kW
        "c1": rng.uniform(0.4, 0.8, agents),                # CHP linear cost, /kWh
        "c2": rng.uniform(0.002, 0.006, agents),            # CHP quadratic cost, /kWh^2
        "ecap": rng.uniform(1.0, 3.0, agents) * peak,       # battery energy, kWh
        "pbat": rng.uniform(0.3, 0.6, agents) * peak,       # battery power, kW
        "eta": rng.uniform(0.90, 0.97, agents),             # one-way efficiency
    }


def storage_hub_program(data: dict[str, np.ndarray], i: int, periods: int
                        ) -> tuple[cp.Minimize, list[cp.Constraint], cp.Parameter, cp.Variable]:
    """Follower i's storage-hub QP (objective, constraints, price Parameter, grid purchase)."""
    T = periods
    load, gmax, umax = data["load"][i], float(data["gmax"][i]), float(data["umax"][i])
    c1, c2 = float(data["c1"][i]), float(data["c2"][i])
    ecap, pbat, eta = float(data["ecap"][i]), float(data["pbat"][i]), float(data["eta"][i])
    price = cp.Parameter(T, name="price")
    g = cp.Variable(T, name="grid")          # purchase from the grid
    u = cp.Variable(T, name="chp")           # CHP output
    ch = cp.Variable(T, name="charge")
    dis = cp.Variable(T, name="discharge")
    soc = cp.Variable(T + 1, name="soc")
    soc0 = 0.5 * ecap
    constraints = [
        g >= 0, g <= gmax,
        u >= 0, u <= umax,
        ch >= 0, ch <= pbat,
        dis >= 0, dis <= pbat,
        soc >= 0.1 * ecap, soc <= ecap,
        soc[0] == soc0, soc[T] == soc0,
        soc[1:] == soc[:-1] + eta * ch - dis / eta,
        g + u + dis - ch == load,
    ]
    cost = price @ g + c1 * cp.sum(u) + c2 * cp.sum_squares(u)
    return cp.Minimize(cost), constraints, price, g


def build_storage_hub(agents: int, periods: int, seed: int) -> tuple[Game, PlainFactory]:
    data = storage_hub_data(agents, periods, seed)
    followers = []
    for i in range(agents):
        objective, constraints, price, g = storage_hub_program(data, i, periods)
        followers.append(Follower(f"hub{i}", objective, constraints, signals={"price": price}, outputs={"demand": g}))
    cap = float(data["load"].sum(axis=0).max())
    s1, s2 = 0.5, 0.02 / agents
    coupling = MarketCoupling(
        "balance", signal="price", output="demand",
        supply_cost=lambda s: s1 * cp.sum(s) + 0.5 * s2 * cp.sum_squares(s),
        supply_constraints=lambda s: [s >= 0, s <= cap])
    leader = Leader([Signal("price", (periods,), 0.0, 2.0)], couplings=[coupling], name="grid")
    game = Game(leader, followers, name="storage-hub")

    def plain(i: int) -> tuple[cp.Problem, cp.Parameter, cp.Expression]:
        objective, constraints, price, g = storage_hub_program(data, i, periods)
        return cp.Problem(objective, constraints), price, g

    return game, plain


MODELS: dict[str, Callable[[int, int, int], tuple[Game, PlainFactory]]] = {
    "analytic-market": build_analytic_market,
    "storage-hub": build_storage_hub,
}


# ------------------------------------------------------------------------------------------
# Measurements
# ------------------------------------------------------------------------------------------

def signal_vectors(game: Game, count: int, seed: int) -> list[np.ndarray]:
    """``count`` random signal vectors, uniform in the leader's signal bounds."""
    rng = np.random.default_rng(seed)
    lo, hi = game.layout.lower(), game.layout.upper()
    return [rng.uniform(lo, hi) for _ in range(count)]


def _worker_probe(delay: float) -> int:
    import gamecore.pool  # noqa: F401  (import cost paid by every fresh worker)

    time.sleep(delay)
    return os.getpid()


def start_workers(n_jobs: int) -> tuple[float, list[int]]:
    """Start (or reuse) loky workers and import gamecore in each. Returns (seconds, distinct pids)."""
    start = time.perf_counter()
    pids = Parallel(n_jobs=n_jobs, backend="loky")(delayed(_worker_probe)(0.2) for _ in range(n_jobs))
    return time.perf_counter() - start - 0.2, sorted(set(pids))


def load_average() -> float:
    """1-minute load average (NaN where unavailable): other processes compete for the cores."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):  # pragma: no cover - non-Unix
        return float("nan")


_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pids: list[int]) -> float:
    """This process's CPU time plus the user+system CPU time of ``pids`` (Linux /proc; 10 ms ticks)."""
    total = time.process_time()
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / _CLK_TCK   # utime, stime
        except (OSError, IndexError, ValueError):
            return float("nan")
    return total


def measure_pool(game: Game, n_jobs: int, warmup: list[np.ndarray], vectors: list[np.ndarray],
                 batch: bool) -> list[dict[str, Any]]:
    """``respond`` on each warm-up vector (the first one timed alone), then one timed ``respond``
    per vector and, if ``batch``, one timed ``respond_many`` over all of them.

    The rows' ``n_jobs`` is the pool's worker count (``FollowerPool.workers``: ``n_jobs`` capped
    at the followers and CPUs). Its loky workers are (re)spawned before the first timed call."""
    pool = FollowerPool(game, n_jobs=n_jobs, backend="loky")
    if pool.note:
        print(f"    {pool.note}", flush=True)
    pids = start_workers(pool.workers)[1] if pool.parallel else []
    try:
        start = time.perf_counter()
        pool.respond(warmup[0])
        first_call = time.perf_counter() - start
        for vector in warmup[1:]:
            pool.respond(vector)
        reships_warm = pool.stats.reshipped_shards
        measured = []
        load = load_average()
        before = pool.stats.snapshot()
        cpu0 = cpu_seconds(pids)
        iters = 0
        outside = 0.0
        for vector in vectors:
            t0 = time.perf_counter()
            responses = pool.respond(vector)
            outside += time.perf_counter() - t0
            iters += sum(r.iterations for r in responses)
        measured.append(("respond", pool.stats.since(before), iters, outside, cpu_seconds(pids) - cpu0, load))
        if batch:
            load = load_average()
            before = pool.stats.snapshot()
            cpu0 = cpu_seconds(pids)
            t0 = time.perf_counter()
            batches = pool.respond_many(vectors)
            outside = time.perf_counter() - t0
            cpu = cpu_seconds(pids) - cpu0
            iters = sum(r.iterations for row in batches for r in row)
            measured.append(("respond_many", pool.stats.since(before), iters, outside, cpu, load))
        return [_pool_row(call, pool.workers, d, first_call, reships_warm, iters, outside, cpu, load)
                for call, d, iters, outside, cpu, load in measured]
    finally:
        pool.close()


def _pool_row(call: str, n_jobs: int, d: Any, first_call: float, reships_warm: int, iters: int, outside: float,
              cpu: float, load: float) -> dict[str, Any]:
    wall, solver = d.wall_s / d.solves, d.solver_s / d.solves
    return {
        "call": call, "n_jobs": n_jobs, "calls": d.calls, "solves": d.solves,
        "first_call_s": first_call,
        "wall_ms": wall * MS, "solver_ms": solver * MS,
        "overhead_ms": (wall - solver) * MS,
        "ratio": wall / solver,
        "ratio_core": n_jobs * wall / solver,
        "iters": iters / d.solves,
        "reships_warmup": reships_warm, "reships_timed": d.reshipped_shards,
        "outside_wall_ms": outside / d.solves * MS,
        "cpu_ms": cpu / d.solves * MS,
        "load1": load,
    }


def updated_solver(prog: CanonicalProgram, sigma: np.ndarray) -> Any:
    """``prog``'s cached Clarabel solver updated to the plain problem at ``sigma``, not yet solved.

    The data-update half of ``CanonicalProgram.solve`` (built on first use, updated in place
    afterwards), through its private helpers ``_data`` and ``_solver``: the only place this
    benchmark touches gamecore internals (``tests/test_hostile_pool.py`` runs it, so a signature
    change fails a test instead of the documented commands).
    """
    key, P, q, b = prog._data(np.asarray(sigma, dtype=float), None)
    return prog._solver(key, P, q, b, None)


def measure_routes(model: str, build: Callable[[int, int, int], tuple[Game, PlainFactory]], sample: int,
                   periods: int, repeats: int, seed: int) -> list[dict[str, Any]]:
    """gamecore's compiled path vs cvxpy's Problem.solve on the same ``sample`` followers and signals."""
    t0 = time.perf_counter()
    game, plain = build(sample, periods, seed)
    build_s = time.perf_counter() - t0
    vectors = signal_vectors(game, repeats, seed + 7)
    n = game.n_followers
    sigmas = [[game.follower_signals(i, v) for v in vectors] for i in range(n)]

    # -- gamecore: CanonicalProgram.solve (the n_jobs=1 pool path minus the pool loop) --------
    g_first, g_wall, g_solver, g_iters, g_out = 0.0, 0.0, 0.0, 0, {}
    for i, f in enumerate(game.followers):
        prog = f.program
        start = time.perf_counter()
        prog.solve(sigmas[i][0], None, keep_x=False)            # builds the Clarabel solver
        g_first += time.perf_counter() - start
        for r in range(repeats):
            start = time.perf_counter()
            resp = prog.solve(sigmas[i][r], None, keep_x=False)
            g_wall += time.perf_counter() - start
            g_solver += resp.solve_time
            g_iters += resp.iterations
            g_out[i, r] = resp.outputs["demand"]
    # -- gamecore, decomposed: data update | the Clarabel solve() call ----------------------------
    upd, call = 0.0, 0.0
    for i, f in enumerate(game.followers):
        prog = f.program
        for r in range(repeats):
            t_a = time.perf_counter()
            solver = updated_solver(prog, sigmas[i][r])
            t_b = time.perf_counter()
            solver.solve()
            t_c = time.perf_counter()
            upd += t_b - t_a
            call += t_c - t_b

    # -- cvxpy: Problem.solve(solver=CLARABEL), DPP parameter updates ----------------------------
    c_build, c_first, c_wall, c_solver, c_iters, diff = 0.0, 0.0, 0.0, 0.0, 0, 0.0
    for i in range(n):
        start = time.perf_counter()
        problem, price, demand = plain(i)
        c_build += time.perf_counter() - start
        price.value = sigmas[i][0]
        start = time.perf_counter()
        problem.solve(solver=cp.CLARABEL)                       # canonicalises (DPP cache)
        c_first += time.perf_counter() - start
        for r in range(repeats):
            start = time.perf_counter()
            price.value = sigmas[i][r]
            problem.solve(solver=cp.CLARABEL)
            c_wall += time.perf_counter() - start
            c_solver += float(problem.solver_stats.solve_time)
            c_iters += int(problem.solver_stats.num_iters or 0)
            if problem.status not in ("optimal", "optimal_inaccurate"):
                raise RuntimeError(f"{model} follower {i}: cvxpy status {problem.status}")
            scale = max(1.0, float(np.abs(demand.value).max()))
            diff = max(diff, float(np.abs(demand.value - g_out[i, r]).max()) / scale)

    solves = n * repeats
    common = {"model": model, "followers": n, "repeats": repeats, "solves": solves}
    return [
        {**common, "route": "gamecore CanonicalProgram.solve",
         "compile_ms": build_s / n * MS, "first_solve_ms": g_first / n * MS,
         "wall_ms": g_wall / solves * MS, "solver_ms": g_solver / solves * MS,
         "ratio": g_wall / g_solver, "iters": g_iters / solves,
         "update_ms": upd / solves * MS, "clarabel_call_ms": call / solves * MS,
         "rel_diff": float("nan")},
        {**common, "route": "cvxpy Problem.solve(CLARABEL)",
         "compile_ms": c_build / n * MS, "first_solve_ms": c_first / n * MS,
         "wall_ms": c_wall / solves * MS, "solver_ms": c_solver / solves * MS,
         "ratio": c_wall / c_solver, "iters": c_iters / solves,
         "update_ms": float("nan"), "clarabel_call_ms": float("nan"), "rel_diff": diff},
    ]


# ------------------------------------------------------------------------------------------
# Output
# ------------------------------------------------------------------------------------------

def table(rows: list[dict[str, Any]], columns: list[tuple[str, str, str]]) -> str:
    """Fixed-width text table, right-aligned: columns = (key, header, format spec); NaN -> ``-``."""
    cells = [[fmt(r.get(k, ""), s, missing="-") for k, _, s in columns] for r in rows]
    return format_table([h for _, h, _ in columns], cells, right=[True] * len(columns))


POOL_COLUMNS = [
    ("model", "model", ""), ("agents", "N", "d"), ("call", "call", ""), ("n_jobs", "jobs", "d"),
    ("solves", "solves", "d"), ("first_call_s", "first_call_s", ".3f"),
    ("wall_ms", "wall_ms/solve", ".4f"), ("solver_ms", "solver_ms/solve", ".4f"),
    ("ratio", "ratio", ".2f"), ("ratio_core", "ratio*jobs", ".2f"),
    ("speedup", "speedup", ".2f"), ("cpu_ms", "cpu_ms/solve", ".4f"), ("iters", "iters", ".1f"),
    ("reships_warmup", "reship_w", "d"), ("reships_timed", "reship_t", "d"), ("load1", "load1", ".1f"),
]
ROUTE_COLUMNS = [
    ("model", "model", ""), ("route", "route", ""), ("solves", "solves", "d"),
    ("compile_ms", "compile_ms/f", ".2f"), ("first_solve_ms", "first_solve_ms", ".3f"),
    ("wall_ms", "wall_ms/solve", ".4f"), ("solver_ms", "solver_ms/solve", ".4f"), ("ratio", "ratio", ".2f"),
    ("iters", "iters", ".1f"), ("update_ms", "update_ms", ".4f"), ("clarabel_call_ms", "clarabel_call_ms", ".4f"),
    ("rel_diff", "max_rel_diff", ".1e"),
]
COMPILE_COLUMNS = [
    ("model", "model", ""), ("agents", "N", "d"), ("build_s", "build_s", ".2f"),
    ("compile_ms", "compile_ms/follower", ".2f"), ("n", "vars", "d"), ("m", "rows", "d"),
]


def write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)


def repeats_for(agents: int, repeats: int, max_solves: int) -> int:
    """Timed calls per configuration: ``repeats``, capped so that agents*calls <= max_solves (>= 3)."""
    return max(3, min(repeats, max_solves // agents))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--agents", type=int, nargs="+", default=[10, 100, 1000], help="follower counts")
    parser.add_argument("--periods", type=int, default=24, help="periods T")
    parser.add_argument("--repeats", type=int, default=30,
                        help="timed pool calls per configuration (capped by --max-solves for large N)")
    parser.add_argument("--warmup", type=int, default=1,
                        help="untimed warm-up calls per pool (the first one is reported as first_call_s)")
    parser.add_argument("--max-solves", type=int, default=20000,
                        help="cap on timed solves per configuration: calls = max(3, min(repeats, max_solves // N))")
    parser.add_argument("--sample", type=int, default=10, help="followers in the gamecore-vs-cvxpy comparison")
    parser.add_argument("--sample-repeats", type=int, default=None,
                        help="signal vectors per sampled follower (default: --repeats)")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--jobs", type=int, default=2, help="worker count of the parallel pool")
    parser.add_argument("--no-batch", action="store_true", help="skip the respond_many rows")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    args = parser.parse_args(argv)
    if args.warmup < 1:
        parser.error("--warmup must be >= 1")

    args.out.mkdir(parents=True, exist_ok=True)
    wall_start = time.perf_counter()
    meta = {
        # the arguments parsed, not sys.argv: main(argv) may be called in-process (tests)
        "command": " ".join([Path(sys.executable).name, sys.argv[0] if argv is None else __file__]
                            + (sys.argv[1:] if argv is None else list(argv))),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "python": platform.python_version(), "platform": platform.platform(),
        "cpu_count": os.cpu_count(), "numpy": np.__version__, "cvxpy": cp.__version__,
        "clarabel": __import__("clarabel").__version__, "joblib": __import__("joblib").__version__,
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
    }
    print(f"pool overhead benchmark: models={args.models} agents={args.agents} T={args.periods} "
          f"jobs=1,{args.jobs} cpus={os.cpu_count()} (clarabel {meta['clarabel']}, cvxpy {meta['cvxpy']})", flush=True)
    meta["load1_start"] = load_average()
    meta["worker_start_s"], pids = start_workers(plan_workers(args.jobs, "loky", max(args.agents), cpu_count())[0])
    meta["worker_pids"] = len(pids)
    print(f"loky workers started and gamecore imported in {meta['worker_start_s']:.2f} s "
          f"({len(pids)} distinct workers); 1-min load average {meta['load1_start']:.2f}", flush=True)

    pool_rows: list[dict[str, Any]] = []
    route_rows: list[dict[str, Any]] = []
    compile_rows: list[dict[str, Any]] = []
    for model in args.models:
        build = MODELS[model]
        sample_repeats = args.sample_repeats or args.repeats
        print(f"[{model}] gamecore vs cvxpy on {args.sample} followers x {sample_repeats} signal vectors ...",
              flush=True)
        route_rows += measure_routes(model, build, args.sample, args.periods, sample_repeats, args.seed)
        for agents in args.agents:
            start = time.perf_counter()
            game, _ = build(agents, args.periods, args.seed)
            build_s = time.perf_counter() - start
            prog = game.followers[0].program
            compile_rows.append({"model": model, "agents": agents, "build_s": build_s,
                                 "compile_ms": build_s / agents * MS, "n": prog.n, "m": prog.A.shape[0]})
            calls = repeats_for(agents, args.repeats, args.max_solves)
            vectors = signal_vectors(game, args.warmup + calls, args.seed + agents)
            warm, timed = vectors[:args.warmup], vectors[args.warmup:]
            print(f"[{model}] N={agents}: built in {build_s:.2f} s; timing {calls} calls x {agents} followers ...",
                  flush=True)
            base = {"model": model, "agents": agents, "periods": args.periods, "compile_ms": build_s / agents * MS}
            rows1 = measure_pool(game, 1, warm, timed, not args.no_batch)
            rows2 = measure_pool(game, args.jobs, warm, timed, not args.no_batch)
            by_call = {r["call"]: r for r in rows1}
            for r in rows1:
                r["speedup"] = 1.0
            for r in rows2:
                r["speedup"] = by_call[r["call"]]["wall_ms"] / r["wall_ms"]
            pool_rows += [{**base, **r} for r in rows1 + rows2]
            del game

    meta["total_s"] = time.perf_counter() - wall_start
    meta["load1_end"] = load_average()
    write_csv(args.out / "pool_overhead.csv", pool_rows)
    write_csv(args.out / "pool_overhead_routes.csv", route_rows)
    write_csv(args.out / "pool_overhead_compile.csv", compile_rows)
    with (args.out / "pool_overhead.json").open("w") as fh:
        json.dump({"meta": meta, "pool": pool_rows, "routes": route_rows, "compile": compile_rows}, fh, indent=2)

    print()
    print(f"1) FollowerPool: wall time per follower solve vs time inside Clarabel "
          f"({args.warmup} untimed warm-up call(s) per pool; times in ms per solve)")
    print(table(pool_rows, POOL_COLUMNS))
    print("   solver = wall time inside Clarabel (update + solve() calls), as measured by gamecore "
          "(Response.solve_time,\n"
          "   summed over workers for jobs>1); ratio = wall/solver (per-solve overhead ratio); "
          "ratio*jobs = jobs*wall/solver;\n"
          "   speedup = wall(jobs=1)/wall(jobs); see benchmarks/README.md")
    print()
    print(f"2) Same followers and signals, gamecore compiled path vs cvxpy Problem.solve ({args.sample} followers)")
    print(table(route_rows, ROUTE_COLUMNS))
    print()
    print("3) Compile time (build the whole game / followers)")
    print(table(compile_rows, COMPILE_COLUMNS))
    print()
    print(f"1-min load average: {meta['load1_start']:.2f} at start, {meta['load1_end']:.2f} at end "
          f"({os.cpu_count()} CPUs; a load above the CPU count means other processes competed for the cores)")
    print(f"total {meta['total_s']:.1f} s; results in {args.out}/pool_overhead{{.csv,_routes.csv,_compile.csv,.json}}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
