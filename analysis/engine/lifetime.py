"""The processes of a build end with it, whatever ends it.

A build runs its pages in worker processes, each with a Jupyter kernel. When the main
process ends normally or by Ctrl+C, the build shuts them down. When it is sent
``SIGTERM`` (``kill``), :func:`stop_on_signals` turns that into the same orderly stop.
The build then ends the workers and their kernels (:func:`end_workers`). When it is
killed outright (``SIGKILL``) nothing runs in it, so each worker asks the Linux kernel
to kill it when its parent dies (``prctl(PR_SET_PDEATHSIG)``, :func:`die_with_parent`),
and a Jupyter kernel leaves by itself within a second of its worker (ipykernel's
parent poller).

References
----------
Linux manual, prctl(2), ``PR_SET_PDEATHSIG``.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def stop_on_signals() -> dict:
    """In the main process: ``SIGTERM`` and ``SIGHUP`` stop the build as Ctrl+C does.

    Returns the handlers they replace, for :func:`restore`.
    """
    def interrupt(signum, frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    return {signum: signal.signal(signum, interrupt)
            for signum in (signal.SIGTERM, signal.SIGHUP)}


def restore(handlers: dict) -> None:
    """Put back the signal handlers that :func:`stop_on_signals` replaced."""
    for signum, handler in handlers.items():
        signal.signal(signum, handler)


def end_workers(pool) -> None:
    """Stop a process pool's workers and their kernels now.

    ``ProcessPoolExecutor.shutdown(cancel_futures=True)`` lets running pages finish, and
    the interpreter's exit would wait for them; a worker running a page ignores
    ``SIGTERM`` (nbclient catches it), so workers and kernels are killed.
    """
    import psutil

    workers = [p for p in list(getattr(pool, "_processes", {}).values()) if p.is_alive()]
    doomed = []
    for worker in workers:
        try:
            process = psutil.Process(worker.pid)
            doomed += [process] + process.children(recursive=True)
        except psutil.Error:
            continue
    for process in doomed:
        try:
            process.kill()
        except psutil.Error:
            pass
    # The workers are this process's children: multiprocessing must reap them itself
    # (join). Were psutil to reap them, their Process objects would never learn that
    # they ended, and the pool's manager thread would wait for them, busy, for ever at
    # the interpreter's exit. Their kernels are not our children; psutil waits for those.
    pids = {worker.pid for worker in workers}
    psutil.wait_procs([p for p in doomed if p.pid not in pids], timeout=5)
    for worker in workers:
        worker.join(timeout=5)


def die_with_parent() -> None:
    """In a worker process: end when the main process ends, however it ends.

    The initializer of the build's worker processes. Linux ends the worker with
    ``SIGKILL`` when the main process dies (``PR_SET_PDEATHSIG``): a gentler signal
    would be caught by nbclient, which only schedules a clean-up. The worker's kernel
    then leaves by itself within a second (ipykernel's parent poller). Elsewhere
    (no ``prctl``) the worker is ended by :func:`end_workers` only.
    """
    parent = os.getppid()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the main process's to handle
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)
