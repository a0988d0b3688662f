"""Preview while writing: serve the book on localhost, rebuild on change, reload the page.

``python -m analysis preview`` (``make preview``) builds the book, serves ``_build/html``
on ``http://127.0.0.1:8000`` and watches the data folder, ``book/`` (pages, templates,
``pages.yml``, ``_static``), ``_config.yml`` and the ``analysis`` source. When a file
changes it runs the same build as ``python -m analysis build`` (which re-executes only
the pages whose inputs changed) and every open page reloads itself once the new book
is published. A failed build leaves the last good book served and shows its message
in a bar on the open page until the next good build.

The builds of one preview share a :class:`~analysis.engine.session.PreviewSession`:
warm kernels and Sphinx's output are kept between them, so that saving a data file
re-executes and rewrites only the pages that read it (a few seconds; ``make bench``
measures it), and the book published is the one ``python -m analysis build`` gives.

The book is served over http, as it will be when published, so search and downloads
work (a book opened from disk cannot load its search snippets). The reload script is
added to pages as they are served, never to the files of the book.
"""

from __future__ import annotations

import functools
import http.server
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from analysis import paths

STATUS_PATH = "/__preview__/status"
# Editors' swap and backup files, caches and build output are not changes to the book.
_IGNORED_PARTS = {"__pycache__", ".ipynb_checkpoints", "_build", ".git"}
_IGNORED_SUFFIXES = (".pyc", ".swp", ".swx", "~", ".tmp")

RELOAD_SCRIPT = """
<script>
(function () {
  var seen = null, bar = null;
  function show(error) {
    if (!error) { if (bar) { bar.remove(); bar = null; } return; }
    if (!bar) {
      bar = document.createElement("pre");
      bar.id = "cen-preview-error";
      bar.style.cssText = "position:fixed;left:0;right:0;bottom:0;z-index:2000;margin:0;" +
        "max-height:40vh;overflow:auto;padding:.6em 1em;background:#7a1212;color:#fff;" +
        "font-size:12px;white-space:pre-wrap";
      document.body.appendChild(bar);
    }
    bar.textContent = "Preview: the last build failed; this is the last good book.\\n\\n" + error;
  }
  function poll() {
    fetch("%(status)s", {cache: "no-store"}).then(function (r) { return r.json(); })
      .then(function (s) {
        if (seen === null) { seen = s.version; }
        else if (s.version !== seen) { location.reload(); return; }
        show(s.error);
      })
      .catch(function () {})
      .finally(function () { setTimeout(poll, 700); });
  }
  poll();
})();
</script>
""" % {"status": STATUS_PATH}


def with_reload(page: bytes) -> bytes:
    """A served page with the reload script added before ``</body>``."""
    script = RELOAD_SCRIPT.strip().encode()
    at = page.rfind(b"</body>")
    return page + script if at < 0 else page[:at] + script + page[at:]


def watched(data_dir: Path) -> list[Path]:
    """What a change to rebuilds the book for."""
    return [Path(data_dir), paths.BOOK, paths.CONFIG, paths.PACKAGE]


def snapshot(roots: Iterable[Path]) -> dict[str, tuple[int, int]]:
    """Modification time and size of every watched file, by path."""
    state: dict[str, tuple[int, int]] = {}
    for root in roots:
        root = Path(root)
        files = [root] if root.is_file() else (root.rglob("*") if root.is_dir() else [])
        for path in files:
            if (not path.is_file() or _IGNORED_PARTS.intersection(path.parts)
                    or path.name.startswith((".#", "#")) or path.name.endswith(_IGNORED_SUFFIXES)):
                continue
            try:
                info = path.stat()
            except FileNotFoundError:  # removed while we looked
                continue
            state[str(path)] = (info.st_mtime_ns, info.st_size)
    return state


def changes(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> list[str]:
    """The files added, removed or modified between two snapshots."""
    return sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))


@dataclass
class Status:
    """What open pages poll: the published book's version and the last build's error."""

    version: int = 0
    error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def published(self) -> None:
        with self.lock:
            self.version += 1
            self.error = None

    def failed(self, message: str) -> None:
        with self.lock:
            self.error = message

    def as_json(self) -> bytes:
        with self.lock:
            return json.dumps({"version": self.version, "error": self.error}).encode()


class _Handler(http.server.SimpleHTTPRequestHandler):
    status: Status

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def end_headers(self):
        # Every request sees the book as last published.
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_GET(self):
        if self.path.split("?")[0] == STATUS_PATH:
            return self._send(self.status.as_json(), "application/json")
        target = Path(self.translate_path(self.path))
        if target.is_dir():
            target = target / "index.html"
        if target.suffix == ".html" and target.is_file():
            return self._send(with_reload(target.read_bytes()), "text/html; charset=utf-8")
        return super().do_GET()

    def _send(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(html_dir: Path, status: Status, host: str = "127.0.0.1",
          port: int = 8000) -> http.server.ThreadingHTTPServer:
    """Serve ``html_dir`` (looked up again at every request, so a newly published book
    is served at once) in a background thread; ``shutdown()`` stops it."""
    handler = type("PreviewHandler", (_Handler,), {"status": status})
    server = http.server.ThreadingHTTPServer(
        (host, port), functools.partial(handler, directory=str(html_dir)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True, name="preview-http").start()
    return server


def _build_message(exc: BaseException) -> str:
    from analysis.contract.errors import DataPackageError

    if isinstance(exc, DataPackageError):
        return exc.report.format()
    return str(exc)


def preview(data_dir: str | Path | None = None, host: str = "127.0.0.1", port: int = 8000,
            build_root: Path | None = None, pages_file: Path | None = None,
            interval: float = 0.4, say: Callable[[str], None] = print,
            stop: threading.Event | None = None,
            ready: Callable[[str, Status], None] | None = None) -> int:
    """Build, serve and rebuild on change until interrupted (or ``stop`` is set).

    Parameters
    ----------
    data_dir : path, optional
        Data package to build on (default: the bundled synthetic data).
    host, port : str, int
        Where to serve (``port=0`` picks a free port).
    build_root, pages_file : Path, optional
        As for :func:`analysis.engine.build.build`.
    interval : float
        Seconds between two looks at the watched files.
    say : callable
        Receives progress lines.
    stop : threading.Event, optional
        Ends the preview when set (tests; the command line stops on Ctrl-C).
    ready : callable, optional
        Called with the served address and the :class:`Status` once serving.

    Returns
    -------
    int
        0 when stopped.
    """
    from analysis.contract.errors import inert
    from analysis.engine.build import build
    from analysis.engine.session import PreviewSession

    tell = say
    say = lambda line: tell(inert(line))  # noqa: E731 - a failure quotes the input
    data_dir = paths.resolve_data_dir(data_dir)
    stop = stop or threading.Event()
    status = Status()
    session = PreviewSession(build_root)
    kwargs = {"data_dir": data_dir, "build_root": build_root, "session": session}
    if pages_file is not None:
        kwargs["pages_file"] = pages_file

    def rebuild(why: str) -> None:
        started = time.perf_counter()
        say(f"preview: building ({why})")
        try:
            build(say=lambda line: say(f"  {line}"), **kwargs)
        except Exception as exc:  # any failure: keep serving the last good book
            message = _build_message(exc)
            status.failed(message)
            say(f"preview: build failed, still serving the last good book:\n{message}")
            return
        status.published()
        say(f"preview: published in {time.perf_counter() - started:.1f} s; open pages reload")

    roots = watched(data_dir)
    seen = snapshot(roots)
    rebuild("start")
    html_dir = paths.html_dir(build_root)
    html_dir.mkdir(parents=True, exist_ok=True)
    server = serve(html_dir, status, host, port)
    address = f"http://{server.server_address[0]}:{server.server_address[1]}/"
    say(f"preview: serving {address} (Ctrl-C to stop); watching "
        + ", ".join(_short(r) for r in roots))
    if ready:
        ready(address, status)
    try:
        while not stop.wait(interval):
            now = snapshot(roots)
            changed = changes(seen, now)
            if not changed:
                continue
            # Let an editor finish writing (several files, or one in steps).
            while not stop.wait(0.2):
                later = snapshot(roots)
                if later == now:
                    break
                now = later
            changed = changes(seen, now)
            seen = now
            rebuild(", ".join(_short(Path(c)) for c in changed[:3])
                    + (f" and {len(changed) - 3} more" if len(changed) > 3 else ""))
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        server.server_close()
        session.close()
    say("preview: stopped")
    return 0


def _short(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(paths.ROOT))
    except ValueError:
        return str(path)
