"""Run a per-document function in worker processes, with a per-document timeout.

Why not ``multiprocessing.Pool``: a document that hangs (trafilatura took 125 s on a
200,000-element page) would hold a Pool worker forever, and a worker killed to free it loses its
whole task chunk and leaves ``imap`` waiting. Here each worker has its own task queue and result
pipe, so one can be replaced without touching the others:

* soft timeout: inside the worker, ``setitimer`` raises ``DocumentTimeout`` when a document runs
  past ``timeout``; the worker reports ``timeout`` for it and exits, and a fresh worker takes its
  place (state left by an interrupted library call is never reused);
* hard timeout: when a worker is stuck in C code and cannot even raise, the parent kills it
  after ``timeout + grace`` seconds (it reads each worker's current document and start time from
  shared memory) and reports ``timeout``;
* a worker that dies (segfault, out of memory) gets ``error`` for its current document; the
  documents queued behind it go to the replacement.

Per-document cost stays close to ``Pool.imap``: one queue put/get and one pipe message each,
with a few documents queued per worker so none waits for the parent. Input is consumed lazily
and results come back in input order, so memory is bounded by ``workers * queue depth``.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any, Generic, TypeVar

LOGGER = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

_IDLE = -1.0


class DocumentTimeout(BaseException):
    """Raised inside a worker when one document runs past its time.

    A ``BaseException`` so library code that catches ``Exception`` cannot swallow it.
    """


@dataclass(frozen=True, slots=True)
class Outcome(Generic[R]):
    """What happened to one input: ``ok`` (with ``value``), ``timeout``, ``too_large`` or ``error``."""

    index: int
    item: Any
    status: str
    value: R | None = None
    detail: str = ""


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


# --------------------------------------------------------------------------- worker side


def _raise_timeout(signum: int, frame: Any) -> None:
    raise DocumentTimeout()


def _worker_main(func: Callable[[Any], Any], tasks: Any, results: Any, state: Any, timeout: float | None) -> None:
    """Worker loop: take (index, item), run ``func``, send (index, status, value, detail)."""
    from pipeline.proc import die_with_parent

    die_with_parent()  # a kill -9 of the run must not leave workers blocked on the queue
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    signal.signal(signal.SIGALRM, _raise_timeout)
    while True:
        task = tasks.get()
        if task is None:
            break
        index, item = task
        state[0], state[1] = float(index), time.monotonic()
        status, value, detail = "ok", None, ""
        try:
            if timeout:
                signal.setitimer(signal.ITIMER_REAL, timeout)
            try:
                value = func(item)
            finally:
                if timeout:
                    signal.setitimer(signal.ITIMER_REAL, 0)
        except DocumentTimeout:
            status, detail = "timeout", f"took longer than {timeout:g} s"
        except Exception as exc:  # noqa: BLE001 - reported to the parent as the document's outcome
            status, detail = "error", f"{type(exc).__name__}: {exc}"
        state[1] = _IDLE
        try:
            results.send((index, status, value, detail))
        except Exception as exc:  # noqa: BLE001 - e.g. an unpicklable result
            results.send((index, "error", None, f"result could not be sent back: {type(exc).__name__}: {exc}"))
        if status == "timeout":
            break  # leave: the parent starts a fresh worker
    results.close()


# --------------------------------------------------------------------------- parent side


@dataclass
class _Worker:
    process: Any
    tasks: Any
    results: Any
    state: Any
    pending: deque[tuple[int, Any]]


class _Pool:
    def __init__(self, func: Callable[[Any], Any], workers: int, timeout: float | None, grace: float) -> None:
        methods = multiprocessing.get_all_start_methods()
        self.ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self.func = func
        self.timeout = timeout
        self.grace = grace
        self.workers: list[_Worker] = [self._start() for _ in range(workers)]

    def _start(self) -> _Worker:
        tasks = self.ctx.Queue()
        receiver, sender = self.ctx.Pipe(duplex=False)
        state = self.ctx.RawArray("d", [-1.0, _IDLE])
        process = self.ctx.Process(
            target=_worker_main, args=(self.func, tasks, sender, state, self.timeout), daemon=True,
            name="blogscope-worker",
        )
        process.start()
        sender.close()
        return _Worker(process, tasks, receiver, state, deque())

    def replace(self, worker: _Worker) -> tuple[_Worker, list[tuple[int, Any]]]:
        """Stop a worker and start another; returns it and the tasks the old one still held."""
        leftover = list(worker.pending)
        self._stop(worker, kill=True)
        fresh = self._start()
        self.workers[self.workers.index(worker)] = fresh
        return fresh, leftover

    def _stop(self, worker: _Worker, kill: bool) -> None:
        if kill and worker.process.is_alive():
            worker.process.kill()
        worker.process.join(timeout=5)
        worker.tasks.cancel_join_thread()
        worker.tasks.close()
        worker.results.close()

    def close(self) -> None:
        for worker in self.workers:
            if worker.process.is_alive():
                try:
                    worker.tasks.put(None)
                except (OSError, ValueError):
                    pass
        deadline = time.monotonic() + 5
        for worker in self.workers:
            worker.process.join(timeout=max(0.0, deadline - time.monotonic()))
            self._stop(worker, kill=True)


def run_each(
    func: Callable[[T], R],
    items: Iterable[T],
    *,
    workers: int = 0,
    timeout: float | None = 30.0,
    queue_depth: int = 4,
    max_bytes: int | None = None,
    grace: float | None = None,
) -> Iterator[Outcome[R]]:
    """Apply ``func`` to every item in worker processes; yield an ``Outcome`` per item, in input order.

    ``workers=0`` uses all cores. ``timeout`` is per document (None: no limit). ``queue_depth``
    documents wait in each worker's queue (like ``Pool.imap``'s chunks). ``max_bytes``: items that
    are ``bytes``/``str`` longer than this are not sent and get ``too_large``. ``grace``: extra
    seconds before a worker that cannot interrupt itself is killed (default: 2 s + 20 % of
    ``timeout``). ``func`` must be a module-level function (or a ``functools.partial`` of one)
    when processes are spawned rather than forked.
    """
    count = workers or default_workers()
    hard_grace = grace if grace is not None else 2.0 + 0.2 * (timeout or 0)
    pool = _Pool(func, count, timeout, hard_grace)
    source = iter(enumerate(items))
    exhausted = False
    retry: deque[tuple[int, Any]] = deque()
    done: dict[int, Outcome[R]] = {}
    next_out = 0
    dispatched = 0
    max_in_flight = count * queue_depth * 2

    def dispatch() -> None:
        nonlocal exhausted, dispatched
        for worker in pool.workers:
            while len(worker.pending) < queue_depth:
                if retry:
                    task = retry.popleft()
                elif exhausted or dispatched - next_out >= max_in_flight:
                    return
                else:
                    try:
                        task = next(source)
                    except StopIteration:
                        exhausted = True
                        return
                    dispatched += 1
                    index, item = task
                    if max_bytes is not None and isinstance(item, (bytes, str)) and len(item) > max_bytes:
                        done[index] = Outcome(index, item, "too_large", detail=f"{len(item):,} > {max_bytes:,} bytes")
                        continue
                worker.pending.append(task)
                worker.tasks.put(task)

    try:
        while True:
            dispatch()
            while next_out in done:
                yield done.pop(next_out)
                next_out += 1
            busy = [w for w in pool.workers if w.pending]
            if not busy:
                if exhausted and not retry:
                    if done:  # cannot happen: every index gets an outcome before later ones drain
                        raise RuntimeError(f"worker pool lost document {next_out}")
                    return
                continue
            ready = set(wait([w.results for w in busy] + [w.process.sentinel for w in busy], timeout=0.5))
            for worker in busy:
                timed_out = False
                if worker.results in ready:
                    try:
                        while worker.pending and worker.results.poll():
                            index, status, value, detail = worker.results.recv()
                            _, item = worker.pending.popleft()
                            done[index] = Outcome(index, item, status, value, detail)
                            if status == "timeout":
                                timed_out = True
                                break
                    except (EOFError, OSError, pickle.UnpicklingError):
                        pass  # the worker is gone (maybe mid-message); its sentinel tells the rest
                if timed_out:
                    # The worker leaves after a timeout; a fresh one takes its queue.
                    _, leftover = pool.replace(worker)
                    retry.extendleft(reversed(leftover))
                elif worker.process.sentinel in ready or not worker.process.is_alive():
                    _handle_exit(pool, worker, done, retry)
                else:
                    _check_hard_timeout(pool, worker, done, retry)
    finally:
        pool.close()


def _handle_exit(pool: _Pool, worker: _Worker, done: dict[int, Outcome[Any]], retry: deque[tuple[int, Any]]) -> None:
    """A worker ended: after its own timeout report, or by dying on a document."""
    worker.process.join(timeout=1)
    if worker.pending and worker.state[1] != _IDLE and int(worker.state[0]) == worker.pending[0][0]:
        index, item = worker.pending.popleft()
        code = worker.process.exitcode
        why = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        LOGGER.warning("worker died on document %s (%s)", index, why)
        done[index] = Outcome(index, item, "error", detail=f"worker process died ({why})")
    _, leftover = pool.replace(worker)
    retry.extendleft(reversed(leftover))


def _check_hard_timeout(pool: _Pool, worker: _Worker, done: dict[int, Outcome[Any]],
                        retry: deque[tuple[int, Any]]) -> None:
    """Kill a worker whose document ran past timeout + grace without interrupting itself."""
    if not pool.timeout or not worker.pending:
        return
    started = worker.state[1]
    if started == _IDLE or time.monotonic() - started < pool.timeout + pool.grace:
        return
    if int(worker.state[0]) != worker.pending[0][0]:
        return
    index, item = worker.pending.popleft()
    LOGGER.warning("document %s ran past %.0f s; killing its worker", index, pool.timeout + pool.grace)
    done[index] = Outcome(index, item, "timeout", detail=f"took longer than {pool.timeout:g} s (worker killed)")
    _, leftover = pool.replace(worker)
    retry.extendleft(reversed(leftover))
