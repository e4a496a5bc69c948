"""Parsing untrusted files in a worker process, under a wall-clock timeout and CPU and memory
limits: the one bounded-execution helper every reader of an uploaded or imported file uses.

A file from outside can make a parser run for ever or eat the machine's memory: a GeoPackage
whose layer is a recursive SQL view, a bomb of some format nobody has thought of yet. Such a
parse must not run in a server thread, where it cannot be stopped. :func:`run_bounded` sends the
work to a warm worker process and waits at most the wall-clock limit; inside, the worker's CPU
time (``RLIMIT_CPU``) and address space (``RLIMIT_AS``) are limited for that task, so the kernel
stops a worker that spins or swells even while the caller is busy. A worker that is over a limit
is killed (SIGKILL) and replaced by a fresh one on the next call; the caller gets an
:class:`~app.errors.ImportFileError` saying which limit the file hit (keyed: a page says it in
its language). Results and errors come back pickled.

Workers are fresh interpreters (``python -c``, never a fork of the server, whose other threads
may hold locks, nor multiprocessing's start methods, which re-run the parent's ``__main__`` --
under Streamlit, the page script) that import the readers once and then serve task after task
over a socket pair; so a small file costs a few milliseconds more than parsing in the thread
would (``python -m app.bench sandbox`` measures it), and :func:`prewarm` lets a page start one
before its user has chosen a file. At most :data:`~app.io.limits.PARSE_WORKERS` parses run at
once; a caller waits for a free worker at most :data:`~app.io.limits.PARSE_QUEUE_S` seconds,
then is told the server is busy. Linux only (``resource``).

>>> run_bounded(divmod, 7, 2, limits=ParseLimits(wall_s=30, cpu_s=10, memory_mib=256))
(3, 1)
>>> run_bounded(_spin, limits=ParseLimits(wall_s=0.5, cpu_s=10, memory_mib=256))
Traceback (most recent call last):
app.errors.ImportFileError: reading the file took longer than 0.5 s, the limit for one file; it was stopped and refused
"""

from __future__ import annotations

import logging
import math
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from app.domain.messages import keyed
from app.errors import AtlasError, ImportFileError
from app.io.limits import PARSE_QUEUE_S, PARSE_WORKERS, ParseLimits

__all__ = ["ParseLimits", "prewarm", "run_bounded", "worker_pids"]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Modules a worker imports when it starts, before its first task.
_PRELOAD = ("app.io.readers", "app.io.boundary_file")
#: Tasks a worker runs before it is retired (a bound on whatever a parser leaks).
_TASKS_PER_WORKER = 200
#: How often the caller looks at `should_stop` and the worker's health while it waits.
_POLL_S = 0.2
#: A worker's environment: allocators that do not reserve address space ahead (Arrow's own
#: pool reserves about 1 GiB that RLIMIT_AS would count against a 50,000-row workbook).
_WORKER_ENV = {"ARROW_DEFAULT_MEMORY_POOL": "system", "MALLOC_ARENA_MAX": "2"}
#: Longest wait for a new worker to import the readers (on a loaded machine).
_START_S = 60.0


# --- inside the worker ---------------------------------------------------------------------

def _address_space() -> int:
    """This process's address space in bytes (VmSize)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()


def _cpu_used() -> float:
    """CPU seconds this process has used (user and system)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _limit(limits: ParseLimits) -> None:
    """Limit this worker, for the next task, to `limits` beyond what it has used so far."""
    cpu = math.ceil(_cpu_used() + limits.cpu_s)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, resource.RLIM_INFINITY))
    memory = _address_space() + limits.memory_mib * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (memory, resource.RLIM_INFINITY))


def _unlimit() -> None:
    """Lift the task's limits (an idle worker holds no budget)."""
    for which in (resource.RLIMIT_CPU, resource.RLIMIT_AS):
        resource.setrlimit(which, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def _serve(fd: int) -> None:
    """A worker's loop over the socket `fd`: receive (function, args, kwargs, limits), answer
    (status, value). Run by the worker's ``python -c``."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a killed worker leaves no core file
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    for name in _PRELOAD:
        __import__(name)
    conn = Connection(fd)
    conn.send(("ready", None))  # a task's wall clock starts once the worker can take it
    while True:
        try:
            fn, args, kwargs, limits = conn.recv()
        except (EOFError, OSError):
            return
        _limit(limits)
        try:
            answer: tuple[str, Any] = ("ok", fn(*args, **kwargs))
        except MemoryError:
            answer = ("memory", None)
        except AtlasError as exc:
            answer = ("error", exc)
        except RecursionError:
            answer = ("recursion", None)
        finally:
            _unlimit()
        try:
            conn.send(answer)
        except MemoryError:
            conn.send(("memory", None))


def _spin() -> None:
    """Never returns (the doctest's endless parse)."""
    while True:
        pass


# --- the caller's side ---------------------------------------------------------------------

class _Worker:
    """One worker process and the socket to it."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        env = {**os.environ, **_WORKER_ENV,
               "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        code = f"from app.io.sandbox import _serve; _serve({theirs.fileno()})"
        self.process = subprocess.Popen(  # noqa: S603 (this interpreter, fixed code)
            [sys.executable, "-c", code], pass_fds=(theirs.fileno(),), env=env,
            stdin=subprocess.DEVNULL, close_fds=True)
        theirs.close()
        self.conn = Connection(ours.detach())
        self.tasks = 0
        self.started = False
        self._starting = threading.Lock()  # a prewarm and a caller may both wait for "ready"

    def wait_started(self) -> bool:
        """Wait (at most :data:`_START_S`) for the worker to say it is ready; False if it died."""
        with self._starting:
            if not self.started:
                try:
                    self.started = (self.conn.poll(_START_S)
                                    and self.conn.recv() == ("ready", None))
                except (EOFError, OSError):
                    return False
        return self.started

    def alive(self) -> bool:
        """Whether the worker process is still running."""
        return self.process.poll() is None

    def kill(self) -> None:
        """End the worker at once and reap it."""
        if self.alive():
            self.process.kill()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            log.warning("parse worker %d did not end after SIGKILL", self.process.pid)
        self.conn.close()


class _Pool:
    """Warm workers, at most :data:`PARSE_WORKERS` busy at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._starting: list[_Worker] = []  # started by prewarm, still importing
        self._busy: set[_Worker] = set()
        self._slots = threading.BoundedSemaphore(PARSE_WORKERS)
        self._pid = os.getpid()

    def _mine(self) -> None:
        """Forget workers inherited by a forked process: they are its parent's (under the lock)."""
        if self._pid != os.getpid():
            self._idle, self._starting, self._busy, self._pid = [], [], set(), os.getpid()

    def _take(self) -> _Worker:
        with self._lock:
            self._mine()
            while self._idle:
                worker = self._idle.pop()
                if worker.alive():
                    self._busy.add(worker)
                    return worker
                worker.kill()
            if self._starting:  # a prewarmed worker is on its way: wait for it, start no other
                worker = self._starting.pop()
                self._busy.add(worker)
                return worker
        worker = _Worker()
        with self._lock:
            self._busy.add(worker)
        return worker

    def _give_back(self, worker: _Worker, keep: bool) -> None:
        with self._lock:
            self._busy.discard(worker)
            if (keep and worker.tasks < _TASKS_PER_WORKER and worker.alive()
                    and len(self._idle) < PARSE_WORKERS):
                self._idle.append(worker)
                return
        worker.kill()

    def prewarm(self) -> None:
        """Start an idle worker unless one is idle already (it imports while nobody waits)."""
        with self._lock:
            self._mine()
            if self._idle or self._starting or len(self._busy) >= PARSE_WORKERS:
                return
            worker = _Worker()
            self._starting.append(worker)
        worker.wait_started()
        with self._lock:
            if worker in self._starting:  # not taken by a caller meanwhile
                self._starting.remove(worker)
                self._idle.append(worker)

    def pids(self) -> list[int]:
        with self._lock:
            return [w.process.pid for w in (*self._idle, *self._starting, *self._busy)]

    def run(self, fn: Callable[..., T], args: tuple, kwargs: dict, limits: ParseLimits,
            should_stop: Callable[[], bool] | None) -> T:
        if not self._slots.acquire(timeout=PARSE_QUEUE_S):
            raise keyed(ImportFileError, "err.parse_busy", seconds=PARSE_QUEUE_S)
        try:
            worker = self._take()
            keep = False
            try:
                status, value = self._ask(worker, fn, args, kwargs, limits, should_stop)
                keep = status in ("ok", "error")
            finally:
                self._give_back(worker, keep)
        finally:
            self._slots.release()
        if status == "ok":
            return value
        if status == "error":
            raise value
        raise _refusal(status, limits)

    @staticmethod
    def _ask(worker: _Worker, fn: Callable[..., Any], args: tuple, kwargs: dict,
             limits: ParseLimits, should_stop: Callable[[], bool] | None) -> tuple[str, Any]:
        """Send the task and wait for its answer, at most `limits.wall_s`: (status, value)."""
        if not worker.wait_started():
            return "crashed", None
        worker.tasks += 1
        started = time.monotonic()
        try:
            worker.conn.send((fn, args, kwargs, limits))
        except (BrokenPipeError, ConnectionResetError):
            return "crashed", None
        while True:
            left = started + limits.wall_s - time.monotonic()
            if left <= 0:
                return "wall", None
            if worker.conn.poll(min(left, _POLL_S)):
                break
            if should_stop is not None and should_stop():
                return "stopped", None
            if not worker.alive():
                break
        try:
            return worker.conn.recv()
        except (EOFError, OSError):
            try:
                code = worker.process.wait(5)
            except subprocess.TimeoutExpired:
                code = None
            if code == -signal.SIGXCPU:
                return "cpu", None
            log.warning("a parse worker ended with status %s", code)
            return "crashed", code  # e.g. a C library that could not allocate memory


def _refusal(status: str, limits: ParseLimits) -> ImportFileError:
    """The error for a parse that did not end well, naming the limit it hit."""
    if status == "wall":
        return keyed(ImportFileError, "err.parse_wall", seconds=limits.wall_s)
    if status == "cpu":
        return keyed(ImportFileError, "err.parse_cpu", seconds=limits.cpu_s)
    if status == "memory":
        return keyed(ImportFileError, "err.parse_memory", mib=limits.memory_mib)
    if status == "recursion":
        return keyed(ImportFileError, "err.parse_nested")
    if status == "stopped":
        return keyed(ImportFileError, "err.parse_stopped")
    return keyed(ImportFileError, "err.parse_crashed", mib=limits.memory_mib,
                 seconds=limits.cpu_s)


_POOL = _Pool()


def run_bounded(fn: Callable[..., T], *args: object, limits: ParseLimits,
                should_stop: Callable[[], bool] | None = None, **kwargs: object) -> T:
    """``fn(*args, **kwargs)`` in a worker process under `limits`; its result, or the
    AtlasError it raised, as if it had run here.

    `fn` must be a module-level function (it is pickled by name), its arguments and result
    picklable. Over a limit, or when `should_stop` answers True (asked every 0.2 s, e.g. "the
    browser session has gone"), the worker is killed and ImportFileError says why. Any other
    exception of `fn` is a bug, not a file's fault: the worker dies and it is reported as a
    crash (the traceback is on the worker's standard error).

    >>> run_bounded(_spin, limits=ParseLimits(wall_s=60, cpu_s=1, memory_mib=256))
    Traceback (most recent call last):
    app.errors.ImportFileError: reading the file used more than 1 s of processor time, the limit for one file; it was stopped and refused
    >>> run_bounded(bytes, 2**40, limits=ParseLimits(wall_s=30, cpu_s=10, memory_mib=64))
    Traceback (most recent call last):
    app.errors.ImportFileError: reading the file needed more than 64 MiB of memory, the limit for one file; it was refused
    """
    return _POOL.run(fn, args, kwargs, limits, should_stop)


def prewarm() -> None:
    """Start a parse worker in the background now, so that the next :func:`run_bounded`
    finds one ready (a page calls this before its user has chosen a file).

    >>> prewarm()
    """
    threading.Thread(target=_POOL.prewarm, name="atlas-parse-prewarm", daemon=True).start()


def worker_pids() -> list[int]:
    """The process ids of this process's parse workers (idle and busy), for tests and benches.

    >>> isinstance(worker_pids(), list)
    True
    """
    return _POOL.pids()
