"""The Dask cluster a computation runs on: a new local one, or a running scheduler.

Every line of the project that starts or joins a Dask cluster is here.
:func:`client_for` starts a ``dask.distributed.LocalCluster`` sized to the machine (one
single-threaded worker process per core: the array code holds the GIL between NumPy
calls) or connects to a running scheduler by its address (``tcp://host:8786``); workers
of an external cluster need this package installed (``docs/multiverse_cluster.md``).

References
----------
Rocklin M (2015). Dask: parallel computation with blocked algorithms and task
scheduling. Proceedings of the 14th Python in Science Conference, 130-136.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CONNECT_TIMEOUT = "10s"
# A dashboard on a free local port: with none asked for, the scheduler still serves its
# status page, on port 8787 or (taken) another one after a warning that a page would show.
DASHBOARD = "127.0.0.1:0"


class SchedulerError(Exception):
    """No Dask scheduler answered at the address given; the message says what to do."""


def machine_workers() -> int:
    """Cores this process may use: the default size of the local cluster."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@contextmanager
def client_for(scheduler: str | None = None, n_workers: int | None = None,
               processes: bool = True) -> Iterator[Any]:
    """A Dask client: of a new local cluster, or of the scheduler at ``scheduler``.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:port``); None starts a
        ``LocalCluster`` that is closed again on leaving.
    n_workers : int, optional
        Workers of the local cluster (default :func:`machine_workers`), each with one
        thread.
    processes : bool
        Worker processes (True) or threads of this process (False) for the local
        cluster.

    Raises
    ------
    SchedulerError
        When no scheduler answers at ``scheduler`` within :data:`CONNECT_TIMEOUT`.
    """
    from dask.distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as exc:
            raise SchedulerError(
                f"no Dask scheduler answered at {scheduler} ({exc}); start one "
                "(dask scheduler, then dask worker ADDRESS on each machine) or leave "
                "--scheduler out to use a local cluster") from None
        try:
            yield client
        finally:
            client.close()
        return
    # Logs at CRITICAL only: a worker's heartbeat that races the closing scheduler logs
    # an error that means nothing, and a page would show it.
    with LocalCluster(n_workers=n_workers or machine_workers(), threads_per_worker=1,
                      processes=processes, dashboard_address=DASHBOARD,
                      silence_logs=logging.CRITICAL) as cluster, Client(cluster) as client:
        yield client


# glibc's mallopt parameters.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
_tuned: list[bool] = []


def reuse_array_memory() -> None:
    """Let this process reuse the memory of the arrays a chunk frees (glibc only; once).

    A chunk allocates dozens of arrays of megabytes. glibc maps each such array afresh
    and unmaps it when freed unless its thresholds have adapted, and Dask's nanny starts
    every worker with ``MALLOC_TRIM_THRESHOLD_=65536``, which stops them adapting: every
    array is then faulted in page by page. Measured (50,000 specifications, load 10), a
    chunk took 1.0 to 2.9 s in such a process and 0.4 to 0.6 s with the arrays kept in
    the heap (the default allocator: 0.9 to 1.7 s). The cost is that up to 256 MB freed
    at the top of the heap stay with the process until it ends.
    """
    if _tuned:
        return
    _tuned.append(True)
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return  # not glibc: its allocator is left as it is
    mallopt(M_MMAP_THRESHOLD, 32 << 20)  # glibc's largest; an array of a chunk is 4 MB
    mallopt(M_TRIM_THRESHOLD, 256 << 20)


def workers_of(client: Any) -> int:
    """How many workers the cluster of ``client`` has now (at least 1)."""
    return max(1, len(client.scheduler_info().get("workers", {})))
