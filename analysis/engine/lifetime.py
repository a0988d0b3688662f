"""The processes of a build end with it, whatever ends it.

A build drives its pages' Jupyter kernels from threads of the main process
(:class:`analysis.engine.execution.KernelThreads`). When the main process ends normally
or by Ctrl+C, the build shuts them down. When it is sent ``SIGTERM`` (``kill``),
:func:`stop_on_signals` turns that into the same orderly stop: the build kills its
kernels (:meth:`~analysis.engine.execution.KernelThreads.end`). When it is killed
outright (``SIGKILL``) nothing runs in it; each kernel then leaves by itself within a
second, as ipykernel's parent poller sees that its parent, the main process, is gone.
"""

from __future__ import annotations

import signal


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
