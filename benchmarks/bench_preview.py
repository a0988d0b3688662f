"""Benchmark of the preview: from saving a data file to the new book being served.

A preview (:func:`analysis.engine.preview.preview`, as ``make preview`` runs it) serves
a copy of the bundled data in a thread of this process. Each repetition adds one case to
the first prevalence study (the change the build benchmark's one-file rebuild makes)
and times from the moment the file is written until the preview has published the new
book; an open page then reloads at its next look at the preview's status (every 0.7 s,
:data:`analysis.engine.preview.RELOAD_SCRIPT`).

Each repetition is paired with the same change built the way the preview built before
it kept a session (:class:`analysis.engine.session.PreviewSession`): ``build()`` in this
process, starting its workers and kernels and having Sphinx read and write every page.
The report gives the medians and the paired ratios, so that a minute in which the
shared machine is slow slows both halves of a pair.
"""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

from analysis import paths
from benchmarks.bench import CHANGED_FILE, _change_one_cell

POLL_SECONDS = 0.7  # how often an open page asks the preview whether to reload


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise RuntimeError(f"preview benchmark: {what} did not happen in {timeout:.0f} s")
        time.sleep(0.02)


def run(repeats: int = 5, out: Path | None = None, say=print) -> dict:
    """Time save-to-published with the preview's session and the same rebuild without.

    Returns the report written to ``_build/bench_preview.json``.
    """
    from analysis.engine.build import build
    from analysis.engine.preview import preview

    lines: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        watched, plain = Path(tmp) / "watched", Path(tmp) / "plain"
        shutil.copytree(paths.DATA_SYNTHETIC, watched)
        shutil.copytree(paths.DATA_SYNTHETIC, plain)
        stop, started, where = threading.Event(), threading.Event(), {}

        def ready(address, status):
            where.update(status=status)
            started.set()

        thread = threading.Thread(target=preview, daemon=True, kwargs=dict(
            data_dir=watched, port=0, build_root=Path(tmp) / "preview-root",
            say=lines.append, stop=stop, ready=ready))
        thread.start()
        build(data_dir=plain, build_root=Path(tmp) / "plain-root", say=lambda line: None)
        _wait(started.is_set, 600, "the preview's first build")
        status = where["status"]
        with_session, without = [], []
        executed: list[str] = []
        try:
            for _ in range(repeats):
                version = status.version
                time.sleep(1.0)  # the preview idles between saves, as it does for an author
                _change_one_cell(watched)
                saved = time.perf_counter()
                _wait(lambda: status.version > version or status.error, 300, "a rebuild")
                if status.error:
                    raise RuntimeError(f"preview benchmark: the rebuild failed:\n{status.error}")
                with_session.append(time.perf_counter() - saved)
                _change_one_cell(plain)
                t0 = time.perf_counter()
                result = build(data_dir=plain, build_root=Path(tmp) / "plain-root",
                               say=lambda line: None)
                without.append(time.perf_counter() - t0)
                executed = [page.name for page in result.pages if page.status == "executed"]
        finally:
            stop.set()
            thread.join(60)
    ratios = [b / a for a, b in zip(with_session, without)]
    report = {
        "changed_file": CHANGED_FILE,
        "pages_executed": executed,
        "page_poll_seconds": POLL_SECONDS,
        "save_to_published_seconds": round(statistics.median(with_session), 2),
        "without_session_seconds": round(statistics.median(without), 2),
        "without_over_with": round(statistics.median(ratios), 2),
        "runs_with_session": [round(s, 2) for s in with_session],
        "runs_without_session": [round(s, 2) for s in without],
    }
    out = out or paths.build_dir() / "bench_preview.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    return report


def format_report(report: dict) -> str:
    """The preview benchmark in three lines."""
    return (f"preview: saving {report['changed_file']} re-executes "
            f"{len(report['pages_executed'])} pages ({', '.join(report['pages_executed'])});\n"
            f"  save -> new book published: {report['save_to_published_seconds']:.1f} s "
            f"(median; the open page reloads within {report['page_poll_seconds']} s more)\n"
            f"  the same rebuild without the preview's session: "
            f"{report['without_session_seconds']:.1f} s "
            f"(paired ratio {report['without_over_with']:.2f}x)")
