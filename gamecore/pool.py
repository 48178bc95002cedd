"""Parallel evaluation of all followers for one or many signal vectors (joblib).

Workers keep their compiled programs between calls. joblib cannot address a task to a
given worker, so every task of the first call carries ALL compiled followers (measured sizes
and pickling times: benchmarks/README.md) and each worker caches them under the
pool's key; a task then solves its shard ``[first, last)``. Later calls send only signal
vectors, plus the shard's data vectors when the followers have data parameters (their
states: a few floats per follower, set by :meth:`gamecore.follower.Follower.set_data`). A
worker that ran no task of the first call (or was respawned by loky) answers "missing"
and receives the programs once. Clarabel solver objects are built lazily inside the worker
and updated in place on every solve. A worker's cache grows by design, so loky's memory-leak
guard (restart a worker grown 300 MB since its first task) is raised to gamecore's memory
limit in the workers (:func:`_keep_cache_in_worker`).

With ``n_jobs=1`` everything runs in-process (no pickling, no joblib).

The worker count actually used is capped (:func:`plan_workers`): never more workers than
followers, and for process backends never more than CPUs, so ``n_jobs=1000`` does not start a
thousand processes; the pool says so in :attr:`FollowerPool.note`. A capped count of one runs
in-process.

A loky worker that dies mid-call (killed, out of memory, segfault) breaks that joblib call;
the pool then runs the lost shards once more on a fresh executor, shipping the programs again
(fresh workers have empty caches), and raises :class:`~gamecore.errors.WorkerLostError`, naming
the followers of those shards, only if the retry dies too. dask reschedules the tasks of a lost
worker itself. joblib's ``"multiprocessing"`` backend never notices a lost worker and waits
forever: use ``"loky"`` (the default) where workers may be killed.

Backends are joblib's, selected through ``joblib.parallel_config`` (which also registers
``"dask"``): with ``backend="dask"`` the shards run on the workers of the active
``dask.distributed.Client`` (a ``LocalCluster`` or a remote scheduler), and each dask worker
process keeps its cache like a loky worker. ``pip install -e ".[dask]"`` adds dask.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from joblib import Parallel, cpu_count, delayed, parallel_config
from joblib.externals.loky.process_executor import TerminatedWorkerError
from joblib.parallel import BACKENDS, EXTERNAL_BACKENDS

from gamecore.canonical import CanonicalProgram, Prox, Response
from gamecore.errors import FollowerSolveError, WorkerLostError
from gamecore.game import Game
from gamecore.limits import memory_limit_bytes

if TYPE_CHECKING:
    from gamecore.optimistic import TieBreak

#: Worker-side cache of shards (one per worker process; bounded). This is the only
#: process-level state in gamecore, and it lives in worker processes only.
_WORKER_SHARDS: OrderedDict[str, tuple[list[CanonicalProgram], list[np.ndarray]]] = OrderedDict()
_WORKER_CACHE_LIMIT = 4   # pools per worker; a pool's entry holds every compiled follower
_WORKER_LOCK = threading.Lock()   # dask (and threaded) workers run several tasks per process
_MISSING = "__gamecore_missing_shard__"
#: joblib backends whose workers are processes of this machine (capped at its CPU count)
_PROCESS_BACKENDS = ("loky", "multiprocessing")

#: One request: the game's flat signal vector and, optionally, a proximal term per follower.
Request = tuple[np.ndarray, "Sequence[Prox | None] | None"]
#: One tie-broken request: the signal vector and, optionally, a tie-break per follower.
TiedRequest = tuple[np.ndarray, "Sequence[TieBreak | None] | None"]


@dataclass
class PoolStats:
    """Counters of leader <-> follower traffic and time (cumulative over the pool's life)."""

    messages: int = 0          # one message = one signal set to one follower, or one reply
    floats: int = 0            # floats carried by those messages
    solves: int = 0
    solver_s: float = 0.0      # seconds inside Clarabel (sum over followers)
    wall_s: float = 0.0        # wall seconds inside pool calls
    calls: int = 0
    reshipped_shards: int = 0  # tasks that had to carry the programs again after the first call
    retried_shards: int = 0    # tasks run again because a worker process died during their call

    def snapshot(self) -> PoolStats:
        return PoolStats(**self.__dict__)

    def since(self, earlier: PoolStats) -> PoolStats:
        return PoolStats(**{k: getattr(self, k) - getattr(earlier, k) for k in self.__dict__})


def _solve_requests(programs: Sequence[CanonicalProgram], index: Sequence[np.ndarray], first: int,
                    requests: Sequence[Request], keep_x: bool) -> list[list[Response]]:
    out = []
    for signal_vector, proxes in requests:
        row = []
        for j, prog in enumerate(programs):
            prox = proxes[first + j] if proxes is not None else None
            row.append(prog.solve(signal_vector[index[j]], prox, keep_x))
        out.append(row)
    return out


def _keep_cache_in_worker() -> None:
    """Raise loky's memory-leak guard in this worker process to gamecore's memory limit.

    loky restarts a worker whose resident memory grew by more than 300 MB since its first task
    (``process_executor._MAX_MEMORY_LEAK_SIZE``). A worker's program cache grows by design — a
    thousand-hub stage game's programs with their Clarabel solvers pass 300 MB — and a restarted
    worker has lost its cache, so every call would start a process and ship every program again
    (measured: 280 worker processes started in 16 minutes of a 1000-hub rolling day). The cache
    stays bounded by :data:`_WORKER_CACHE_LIMIT` pools; the guard still stops a worker that grows
    past :func:`gamecore.limits.memory_limit_bytes`.
    """
    try:
        from joblib.externals.loky import process_executor
    except ImportError:  # pragma: no cover - joblib without loky
        return
    limit = memory_limit_bytes()
    if getattr(process_executor, "_MAX_MEMORY_LEAK_SIZE", limit) < limit:
        process_executor._MAX_MEMORY_LEAK_SIZE = limit


def _cached_shards(key: str, payload: tuple[list[CanonicalProgram], list[np.ndarray]] | None
                   ) -> tuple[list[CanonicalProgram], list[np.ndarray]] | None:
    """The worker's copy of the pool's programs (stored from ``payload`` if given), or None."""
    with _WORKER_LOCK:
        if payload is not None:
            _keep_cache_in_worker()
            _WORKER_SHARDS.setdefault(key, payload)  # keep an existing copy: its solvers are built
            while len(_WORKER_SHARDS) > _WORKER_CACHE_LIMIT:
                _WORKER_SHARDS.popitem(last=False)
        cached = _WORKER_SHARDS.get(key)
        if cached is not None:
            _WORKER_SHARDS.move_to_end(key)
        return cached


def _set_data(programs: Sequence[CanonicalProgram], data: Sequence[np.ndarray] | None) -> None:
    """Bring the worker's copies of a shard's programs to the pool's current data vectors."""
    if data is None:
        return
    for prog, vector in zip(programs, data):
        if not np.array_equal(prog.data_vector, vector):
            prog.set_data(vector)


def _worker_task(key: str, payload: tuple[list[CanonicalProgram], list[np.ndarray]] | None, first: int,
                 last: int, requests: Sequence[Request], keep_x: bool, data: Sequence[np.ndarray] | None = None
                 ) -> Any:
    """Solve ``requests`` for followers ``[first, last)`` on the worker's cached programs (set to
    ``data``, the shard's data vectors, when given); ``_MISSING`` when the worker has none."""
    cached = _cached_shards(key, payload)
    if cached is None:
        return _MISSING
    programs, index = cached
    _set_data(programs[first:last], data)
    return _solve_requests(programs[first:last], index[first:last], first, requests, keep_x)


def _solve_tied_requests(programs: Sequence[CanonicalProgram], index: Sequence[np.ndarray], first: int,
                         requests: Sequence[TiedRequest], keep_x: bool) -> list[list[Response]]:
    """Best responses, then each follower with a tie-break moved to the tie-break's best point of
    its optimal set (:func:`gamecore.optimistic.select_in_optimal_set`). A tie-break that fails
    leaves the plain best response."""
    from gamecore.optimistic import select_in_optimal_set

    out = []
    for signal_vector, ties in requests:
        row = []
        for j, prog in enumerate(programs):
            sigma = signal_vector[index[j]]
            tie = ties[first + j] if ties is not None else None
            plain = prog.solve(sigma, None, keep_x or tie is not None)
            if tie is not None and plain.ok:
                assert plain.x is not None  # solved with keep_x
                _, x, seconds, iterations = select_in_optimal_set(prog, sigma, plain.x, tie)
                if x is not None:
                    plain = Response(plain.status, prog.outputs_of(x), prog.objective_at(x, sigma),
                                     plain.solve_time + seconds, plain.iterations + iterations, x)
                else:
                    plain = Response(plain.status, plain.outputs, plain.objective, plain.solve_time + seconds,
                                     plain.iterations + iterations, plain.x)
            if not keep_x and plain.x is not None:
                plain = Response(plain.status, plain.outputs, plain.objective, plain.solve_time, plain.iterations)
            row.append(plain)
        out.append(row)
    return out


def _worker_tied_task(key: str, payload: tuple[list[CanonicalProgram], list[np.ndarray]] | None, first: int,
                      last: int, requests: Sequence[TiedRequest], keep_x: bool,
                      data: Sequence[np.ndarray] | None = None) -> Any:
    """:func:`_worker_task` for tie-broken requests (same cache)."""
    cached = _cached_shards(key, payload)
    if cached is None:
        return _MISSING
    programs, index = cached
    _set_data(programs[first:last], data)
    return _solve_tied_requests(programs[first:last], index[first:last], first, requests, keep_x)


def check_backend(backend: str) -> None:
    """Raise ``ValueError`` listing joblib's backends unless ``backend`` is one of them."""
    known = sorted(set(BACKENDS) | set(EXTERNAL_BACKENDS))
    if backend not in known:
        raise ValueError(f"backend must be one of {known}, got {backend!r}")


def plan_workers(n_jobs: int, backend: str, followers: int, cpus: int,
                 dask_threads: int | None = None) -> tuple[int, str | None]:
    """The worker count a pool uses for a request, and a one-line note if it was capped.

    ``n_jobs=-1`` asks for the machine: ``cpus``, or for ``"dask"`` the cluster's
    ``dask_threads`` (``cpus`` when unknown). The count is then capped at ``followers`` (more
    workers than followers would idle) and, for the process backends (``"loky"``,
    ``"multiprocessing"``), at ``cpus``; for ``"dask"`` at ``dask_threads`` when known (the
    workers are the cluster's, not this machine's). The result is at least 1.

    Returns:
        ``(workers, note)``: ``note`` is None unless ``workers`` is below the request, e.g.
        ``"n_jobs=1000 capped to 2 workers (4 followers, 2 CPUs)"``.
    """
    limits = [(followers, "followers")]
    if backend in _PROCESS_BACKENDS:
        limits.append((cpus, "CPUs"))
    elif backend == "dask" and dask_threads:
        limits.append((dask_threads, "dask worker threads"))
    machine = (dask_threads or cpus) if backend == "dask" else cpus
    requested = n_jobs if n_jobs > 0 else machine
    workers = max(1, min([requested] + [limit for limit, _ in limits]))
    if workers >= requested:
        return workers, None
    why = ", ".join(f"{limit} {what if limit != 1 else what[:-1]}" for limit, what in limits)
    return workers, f"n_jobs={n_jobs} capped to {workers} worker{'s' if workers > 1 else ''} ({why})"


def _dask_threads() -> int | None:
    """Worker threads of the active ``dask.distributed`` client, or None without one."""
    try:
        from distributed import default_client

        return sum(default_client().nthreads().values()) or None
    except (ImportError, ValueError):   # dask not installed / no client yet
        return None


@dataclass
class FollowerPool:
    """Evaluates a game's followers in parallel.

    Args:
        game: the game whose followers are evaluated.
        n_jobs: requested worker count (``1`` = in-process; ``-1`` = all cores). The count
            used is :attr:`workers` (capped, see :func:`plan_workers`).
        backend: a joblib backend name: ``"loky"`` (processes, default), ``"threading"``,
            ``"multiprocessing"``, or ``"dask"`` (runs on the active ``dask.distributed.Client``;
            ``n_jobs=-1`` = all of its worker threads).
        shards: number of follower shards (default: :attr:`workers`; more shards balance better).

    Attributes:
        workers: the worker count every joblib call of this pool uses (1 = in-process).
        note: a one-line note when ``n_jobs`` was capped to :attr:`workers`, else None.
    """

    game: Game
    n_jobs: int = 1
    backend: str = "loky"
    shards: int | None = None
    stats: PoolStats = field(default_factory=PoolStats)
    workers: int = field(init=False)
    note: str | None = field(init=False)

    def __post_init__(self) -> None:
        if not isinstance(self.n_jobs, int) or self.n_jobs == 0 or self.n_jobs < -1:
            raise ValueError(f"n_jobs must be a positive int or -1, got {self.n_jobs!r}")
        check_backend(self.backend)
        self._key = uuid.uuid4().hex
        self.programs = [f.program for f in self.game.followers]
        self._has_data = any(prog.data_names for prog in self.programs)
        threads = _dask_threads() if self.backend == "dask" and self.n_jobs != 1 else None
        self.workers, self.note = plan_workers(self.n_jobs, self.backend, len(self.programs),
                                               max(1, cpu_count()), threads)
        count = max(1, min(self.shards or self.workers, len(self.programs)))
        bounds = np.linspace(0, len(self.programs), count + 1).astype(int)
        self._shards = [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
        self._shipped = False
        self._floats_down = [int(ix.size) for ix in self.game.signal_index]
        self._floats_up = [sum(int(np.prod(s, dtype=int)) for s in f.output_shapes.values())
                           for f in self.game.followers]

    @property
    def parallel(self) -> bool:
        """Whether calls go through joblib (more than one worker) rather than in-process."""
        return self.workers > 1

    def respond(self, signal_vector: np.ndarray, proxes: Sequence[Prox | None] | None = None,
                keep_x: bool = False) -> list[Response]:
        """Every follower's response to one flat signal vector (game layout).

        Raises:
            FollowerSolveError: for the first follower whose program fails (infeasible,
                unbounded, solver error), naming it and the signal values.
            WorkerLostError: a worker process died during the call and again during its one
                retry on fresh workers (names the followers whose answers were lost).
        """
        return self.respond_many([np.asarray(signal_vector, dtype=float)], [proxes], keep_x)[0]

    def respond_many(self, signal_vectors: Sequence[np.ndarray],
                     proxes: Sequence[Sequence[Prox | None] | None] | None = None,
                     keep_x: bool = False, raise_on_failure: bool = True) -> list[list[Response]]:
        """Responses for a batch of signal vectors: ``result[b][i]`` is follower ``i`` at vector ``b``.

        Raises as :meth:`respond` (``FollowerSolveError`` only with ``raise_on_failure``).
        """
        start = time.perf_counter()
        vectors = [np.asarray(v, dtype=float) for v in signal_vectors]
        requests: list[Request] = list(zip(vectors, proxes if proxes is not None else [None] * len(vectors)))
        if not self.parallel:
            rows = _solve_requests(self.programs, self.game.signal_index, 0, requests, keep_x)
        else:
            rows = self._parallel(requests, keep_x)
        self._account(requests, rows, time.perf_counter() - start)
        if raise_on_failure:
            self._raise_first_failure(vectors, rows)
        return rows

    def respond_many_tied(self, signal_vectors: Sequence[np.ndarray],
                          tie_breaks: Sequence[Sequence[TieBreak | None] | None] | None = None,
                          keep_x: bool = False, raise_on_failure: bool = True) -> list[list[Response]]:
        """:meth:`respond_many` with optimistic tie-breaking, in one pool call.

        ``tie_breaks[b][i]`` (a :class:`~gamecore.optimistic.TieBreak` or None) is what follower
        ``i`` minimises over its optimal set at vector ``b`` after its best response (in the
        worker: one more Clarabel solve). Followers without one answer as in :meth:`respond_many`.
        """
        start = time.perf_counter()
        vectors = [np.asarray(v, dtype=float) for v in signal_vectors]
        ties = list(tie_breaks) if tie_breaks is not None else [None] * len(vectors)
        requests: list[TiedRequest] = list(zip(vectors, ties))
        if not self.parallel:
            rows = _solve_tied_requests(self.programs, self.game.signal_index, 0, requests, keep_x)
        else:
            rows = self._parallel(requests, keep_x, _solve_tied_requests, _worker_tied_task)  # type: ignore[arg-type]
        self._account([(v, None) for v in vectors], rows, time.perf_counter() - start)
        self.stats.floats += sum(t.floats for row in ties if row is not None for t in row if t is not None)
        if raise_on_failure:
            self._raise_first_failure(vectors, rows)
        return rows

    def _parallel(self, requests: list[Request], keep_x: bool, solve: Any = _solve_requests,
                  worker: Any = _worker_task) -> list[list[Response]]:
        index = self.game.signal_index
        if self.backend == "threading":
            tasks = [delayed(solve)(self.programs[a:b], index[a:b], a, requests, keep_x) for a, b in self._shards]
            parts = self._run(tasks)
        else:
            parts = [None] * len(self._shards)
            pending = list(range(len(self._shards)))
            ship = not self._shipped
            payload = (self.programs, list(index))
            retried = False
            for _ in range(8):
                tasks = [delayed(worker)(self._key, payload if ship else None, a, b, requests, keep_x,
                                         self._data(a, b))
                         for a, b in (self._shards[s] for s in pending)]
                try:
                    answers = self._run(tasks)
                except TerminatedWorkerError as err:
                    # joblib returns nothing of a broken call: every pending shard is lost.
                    # The next call gets a fresh executor, whose workers cache nothing yet.
                    if retried:
                        lost = [f.name for s in pending for f in self.game.followers[slice(*self._shards[s])]]
                        raise WorkerLostError(lost, _loss_detail(err)) from err
                    retried, ship = True, True
                    self.stats.retried_shards += len(pending)
                    continue
                missing = []
                for s, answer in zip(pending, answers):
                    if isinstance(answer, str) and answer == _MISSING:
                        missing.append(s)
                    else:
                        parts[s] = answer
                self._shipped = True
                if not missing:
                    break
                self.stats.reshipped_shards += len(missing)
                pending, ship = missing, True
            else:  # pragma: no cover - would need workers dying on every call
                raise RuntimeError("follower pool: workers kept losing their cached shards")
        rows: list[list[Response]] = [[] for _ in requests]
        for part in parts:
            for r, row in enumerate(part):
                rows[r].extend(row)
        return rows

    def _data(self, first: int, last: int) -> list[np.ndarray] | None:
        """The current data vectors of followers ``[first, last)`` for the workers' copies (None
        when the game's followers have no data parameters: nothing to send)."""
        if not self._has_data:
            return None
        return [prog.data_vector for prog in self.programs[first:last]]

    def _run(self, tasks: list[Any]) -> list[Any]:
        """Run joblib tasks on this pool's backend (``parallel_config`` registers ``"dask"``)."""
        with parallel_config(backend=self.backend, n_jobs=self.workers):
            return Parallel()(tasks)

    def _account(self, requests: list[Request], rows: list[list[Response]], wall: float) -> None:
        stats = self.stats
        stats.calls += 1
        stats.wall_s += wall
        for (_vector, proxes), row in zip(requests, rows):
            stats.solves += len(row)
            stats.messages += 2 * len(row)
            stats.floats += sum(self._floats_down) + sum(self._floats_up)
            if proxes is not None:
                stats.floats += sum(1 + sum(np.size(t) for t in p.targets.values()) for p in proxes if p is not None)
            stats.solver_s += sum(r.solve_time for r in row)

    def _raise_first_failure(self, vectors: list[np.ndarray], rows: list[list[Response]]) -> None:
        for vector, row in zip(vectors, rows):
            for i, response in enumerate(row):
                if not response.ok:
                    raise FollowerSolveError(self.game.followers[i].name, response.status,
                                             self.game.layout.unpack(vector))

    def close(self) -> None:
        """Drop references; worker caches age out (LRU) as new pools are used."""
        self._shipped = False

    def __enter__(self) -> FollowerPool:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _loss_detail(err: BaseException) -> str:
    """The informative line of a lost-worker error (loky: the workers' exit codes)."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return next((line for line in lines if "exit code" in line), lines[0] if lines else type(err).__name__)
