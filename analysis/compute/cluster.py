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

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CONNECT_TIMEOUT = "10s"
# A dashboard on a free local port: with none asked for, the scheduler still serves its
# status page, on port 8787 or (taken) another one after a warning that a page would show.
DASHBOARD = "127.0.0.1:0"


# Dask's nanny starts each worker with MALLOC_TRIM_THRESHOLD_=65536, so that freed
# memory goes back to the system at once. Setting it also stops glibc from raising its
# mmap threshold, and every array of a multiverse's chunk (megabytes each, dozens per
# chunk) is then mapped and faulted in afresh: measured, a chunk took 2 to 3 times as
# long in such a worker as in this process. None leaves the variable unset (dask's
# documented way); a worker started by hand needs the same (docs/multiverse_cluster.md).
WORKER_ENVIRONMENT = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}


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
    import dask

    # Logs at CRITICAL only: a worker's heartbeat that races the closing scheduler logs
    # an error that means nothing, and a page would show it.
    with dask.config.set(WORKER_ENVIRONMENT), \
            LocalCluster(n_workers=n_workers or machine_workers(), threads_per_worker=1,
                         processes=processes, dashboard_address=DASHBOARD,
                         silence_logs=logging.CRITICAL) as cluster, Client(cluster) as client:
        yield client


def workers_of(client: Any) -> int:
    """How many workers the cluster of ``client`` has now (at least 1)."""
    return max(1, len(client.scheduler_info().get("workers", {})))
