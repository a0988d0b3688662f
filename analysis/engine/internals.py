"""Every speed-up of the build that leans on another library's private internals.

Each one is an optimisation only: the build gives the same book without it, and
``python -m analysis build --plain`` (``plain`` in the build's plan, :mod:`analysis.plan`)
runs the same build with none of them (a test checks that both give the same glued
values). They were
checked against the versions in :data:`CHECKED_AGAINST`; :func:`problems` says in plain
words which one no longer fits when a pin changes, and tests/engine/test_internals.py fails
with that message.

- **One ready kernel client per kernel** (:func:`kernel_manager`): subclasses of
  jupyter_client's ``AsyncKernelManager`` and ``AsyncKernelClient`` that hand nbclient
  the same connected client for every page (relies on ``channels_running`` and on
  nbclient calling ``km.client()`` and ``wait_for_ready`` per notebook).
- **Flushes skipped when nothing was printed** (:func:`skip_empty_flushes`): replaces
  ipykernel's ``OutStream.flush`` (relies on its private ``_buffer_lock``, ``_buffers``
  and ``echo``).
- **Freed memory handed back to the system** (:func:`give_back_memory`): calls glibc's
  ``malloc_trim`` through ctypes (Linux with glibc only; elsewhere, and in a plain build,
  only the garbage collector runs).
- **The bibliography formatted once between builds** (:func:`format_citations_once`):
  wraps sphinxcontrib-bibtex's ``BibtexDomain.get_formatted_entries`` and reads its
  ``get_sorted_entries``, ``bibliographies`` and ``bibdata.bibfiles`` (in the Jupyter
  Book process only).
- **Prompt exit of a clean book build** (:func:`clean_build_written`,
  :func:`leave_now`): reads Sphinx's private warning count ``app._warncount`` and
  leaves with ``os._exit`` from the last ``build-finished`` handler.
"""

from __future__ import annotations

import os
import sys
from importlib import metadata

from analysis import plan as build_plan

# The versions each internal was read from and tested with (see requirements.lock).
CHECKED_AGAINST = {"jupyter_client": "8.10.0", "nbclient": "0.11.0", "ipykernel": "7.4.0",
                   "sphinx": "7.4.7", "sphinxcontrib-bibtex": "2.7.0"}


def plain() -> bool:
    """True when the build runs without any of the speed-ups of this module."""
    return build_plan.plain()


def kernel_manager():
    """A kernel manager for a worker's kernel: with one client, connected and waited for
    once per kernel (or, in a plain build, jupyter_client's own manager).

    nbclient asks the manager for a new client for every notebook. A new client waits
    until the kernel answers and then until its output channel has been quiet for
    0.2 s: a fifth of a second of idle core per page. One kernel serves one worker's
    pages in turn, so one client, ready once, serves them all. A stale message left
    from the previous page is harmless: nbclient reads only the replies to its own
    requests. Shutting the kernel down (after a failure) closes the client with it.
    """
    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_client.manager import AsyncKernelManager

    if plain():
        return AsyncKernelManager(kernel_name="python3")

    class ReadyOnceClient(AsyncKernelClient):
        ready = False

        def start_channels(self, *args, **kwargs) -> None:
            if not self.channels_running:
                super().start_channels(*args, **kwargs)

        async def wait_for_ready(self, timeout: float | None = None) -> None:
            if not self.ready:
                await super().wait_for_ready(timeout=timeout)
                self.ready = True

    class ReusedClientKernelManager(AsyncKernelManager):
        reused_client = None

        def client(self, **kwargs):
            if self.reused_client is None:
                self.reused_client = super().client(**kwargs)
            return self.reused_client

        def drop_client(self) -> None:
            if self.reused_client is not None:
                self.reused_client.stop_channels()
                self.reused_client = None

        async def shutdown_kernel(self, *args, **kwargs) -> None:
            self.drop_client()
            await super().shutdown_kernel(*args, **kwargs)

    return ReusedClientKernelManager(kernel_name="python3", client_factory=ReadyOnceClient)


def skip_empty_flushes() -> None:
    """Make the kernel's output streams skip a flush when nothing waits to be sent.

    Runs inside the kernel, from the hidden first cell of every page; safe to call
    again. IPython flushes standard output and error before every display message, so
    that printed text and displayed objects keep their order. Each flush hands an event
    to the kernel's output thread and waits for it: about a millisecond, even when
    nothing was printed. A page glues hundreds of values, each a display message, so
    the waits add up to a second or more per kernel. With nothing buffered there is
    nothing whose order could change, and the flush returns at once; text that was
    printed is flushed exactly as before.
    """
    from ipykernel.iostream import OutStream

    if plain() or getattr(OutStream.flush, "skips_empty", False):
        return
    flush = OutStream.flush

    def flush_if_buffered(self) -> None:
        with self._buffer_lock:
            buffered = bool(self._buffers)
        if buffered or self.echo is not None:
            flush(self)

    flush_if_buffered.skips_empty = True
    OutStream.flush = flush_if_buffered


def give_back_memory() -> None:
    """Collect the previous page's garbage and hand the freed memory back to the system.

    Runs inside a reused kernel, from the hidden first cell of every page. A page's
    tables and figures are freed when its names are dropped, but glibc's allocator
    keeps the freed blocks for the process: a kernel would hold, for the rest of the
    build, the most that any of its pages ever needed. ``malloc_trim(0)`` returns the
    free pages of every arena to the system (glibc's ``malloc_trim(3)``); where it is
    missing (another C library, another system) the collection alone runs.

    References
    ----------
    GNU C Library manual, ``malloc_trim(3)``.
    """
    import gc

    gc.collect()
    if plain() or not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def clean_build_written(app) -> bool:
    """True when a Sphinx build has written everything and counted no warning or error."""
    return not plain() and app.statuscode == 0 and getattr(app, "_warncount", 1) == 0


def leave_now() -> None:
    """Leave the process at once, skipping the teardown of the build's objects."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def format_citations_once() -> None:
    """Keep the formatted bibliography in Sphinx's environment between builds.

    After reading the pages, sphinxcontrib-bibtex formats every entry of the
    bibliography again (``BibtexDomain.env_updated``), about a second for the book's
    references, although a rebuild into kept output (:mod:`analysis.engine.book`) rarely
    changes a citation. The entries' formatting is a function of the bibliography's
    style and label prefix, the tooltip settings, the entries in citation order and the
    bibliography files (by their modification time, as the extension itself checks
    them): it is kept in the domain's data, which Sphinx keeps with its environment, under
    that key, and formatted again only when the key changes. This reads the extension's
    private methods (``get_formatted_entries``, ``get_sorted_entries``), so a ``--plain``
    build skips it. Done once per process.
    """
    from sphinxcontrib.bibtex.domain import BibtexDomain

    if getattr(BibtexDomain, "_cen_formatted_once", False):
        return
    formatted = BibtexDomain.get_formatted_entries

    def kept_formatted_entries(self, bibliography_key, docnames, tooltips, tooltips_style):
        bibliography = self.bibliographies[bibliography_key]
        key = repr((bibliography.style, bibliography.labelprefix, tooltips, tooltips_style,
                    [key for key, _ in self.get_sorted_entries(bibliography_key, docnames)],
                    sorted((str(path), bibfile.mtime)
                           for path, bibfile in self.bibdata.bibfiles.items())))
        kept = self.data.setdefault(FORMATTED_KEY, {})
        if kept.get(bibliography_key, (None, None))[0] != key:
            kept[bibliography_key] = (key, list(formatted(
                self, bibliography_key, docnames, tooltips, tooltips_style)))
        return iter(kept[bibliography_key][1])

    BibtexDomain.get_formatted_entries = kept_formatted_entries
    BibtexDomain._cen_formatted_once = True


FORMATTED_KEY = "cen_formatted_entries"  # in the cite domain's data (format_citations_once)


def problems() -> list[str]:
    """What no longer fits the internals above, in plain words (empty when all is well)."""
    found = []
    for name, checked in CHECKED_AGAINST.items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "not installed"
        if installed != checked:
            found.append(f"{name} is {installed}, but analysis/engine/internals.py was checked "
                         f"against {checked}: re-read the internals it uses (module docstring), "
                         "run `python -m analysis build --plain` against a normal build, then "
                         "update CHECKED_AGAINST")
    from ipykernel.iostream import OutStream
    from jupyter_client.asynchronous import AsyncKernelClient
    from sphinx.application import Sphinx

    if not isinstance(getattr(AsyncKernelClient, "channels_running", None), property):
        found.append("jupyter_client's AsyncKernelClient no longer has the channels_running "
                     "property that kernel_manager() relies on")
    if "_warncount" not in Sphinx.__init__.__code__.co_names:
        found.append("Sphinx no longer sets app._warncount, which clean_build_written() reads")
    from sphinxcontrib.bibtex.domain import BibtexDomain

    if not all(callable(getattr(BibtexDomain, name, None))
               for name in ("get_formatted_entries", "get_sorted_entries")):
        found.append("sphinxcontrib-bibtex's BibtexDomain no longer has get_formatted_entries "
                     "and get_sorted_entries, which format_citations_once() relies on")
    init_names = OutStream.__init__.__code__.co_names
    if not {"_buffer_lock", "_buffers", "echo"} <= set(init_names):
        found.append("ipykernel's OutStream no longer sets _buffer_lock, _buffers and echo, "
                     "which skip_empty_flushes() relies on")
    return found
