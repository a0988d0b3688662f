"""Set-up of a Jupyter kernel that the build reuses for many pages (``analysis.engine.runner``).

Runs inside the kernel, from the hidden first cell of every page; each function is safe
to call again.
"""

from __future__ import annotations


def skip_empty_flushes() -> None:
    """Make the kernel's output streams skip a flush when nothing waits to be sent.

    IPython flushes standard output and error before every display message, so that
    printed text and displayed objects keep their order. Each flush hands an event to
    the kernel's output thread and waits for it: about a millisecond, even when nothing
    was printed. A page glues hundreds of values, each a display message, so the waits
    add up to a second or more per kernel. With nothing buffered there is nothing whose
    order could change, and the flush returns at once; text that was printed is
    flushed exactly as before.
    """
    from ipykernel.iostream import OutStream

    if getattr(OutStream.flush, "skips_empty", False):
        return
    flush = OutStream.flush

    def flush_if_buffered(self) -> None:
        with self._buffer_lock:
            buffered = bool(self._buffers)
        if buffered or self.echo is not None:
            flush(self)

    flush_if_buffered.skips_empty = True
    OutStream.flush = flush_if_buffered
