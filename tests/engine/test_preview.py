"""``python -m analysis preview``: serve, watch, rebuild, reload (analysis.engine.preview)."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request

import pytest

from analysis.engine import preview as pv


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def test_the_reload_script_goes_before_the_end_of_the_body():
    page = b"<html><body><p>x</p></body></html>"
    served = pv.with_reload(page)
    assert served.startswith(b"<html><body><p>x</p>") and served.endswith(b"</body></html>")
    assert pv.STATUS_PATH.encode() in served
    assert pv.with_reload(b"<p>no body</p>").startswith(b"<p>no body</p><script>")


def test_changes_are_seen_and_editor_leftovers_are_not(tmp_path):
    (tmp_path / "participants.csv").write_text("a\n1\n")
    (tmp_path / "__pycache__").mkdir()
    before = pv.snapshot([tmp_path])
    time.sleep(0.01)
    (tmp_path / "participants.csv").write_text("a\n1\n2\n")
    (tmp_path / "new.csv").write_text("b\n")
    (tmp_path / ".participants.csv.swp").write_text("x")
    (tmp_path / "__pycache__" / "m.pyc").write_text("x")
    after = pv.snapshot([tmp_path])
    assert pv.changes(before, after) == [str(tmp_path / "new.csv"),
                                         str(tmp_path / "participants.csv")]
    assert pv.changes(after, after) == []


def test_the_server_adds_the_script_and_reports_the_status(tmp_path):
    (tmp_path / "index.html").write_text("<html><body>book</body></html>")
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "t.csv").write_text("a,b\n1,2\n")
    status = pv.Status()
    server = pv.serve(tmp_path, status, port=0)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        code, body = _get(base + "/")
        assert code == 200 and b"book" in body and pv.STATUS_PATH.encode() in body
        assert _get(base + "/tables/t.csv") == (200, b"a,b\n1,2\n")  # downloads untouched
        assert _get(base + "/missing.html")[0] == 404
        assert json.loads(_get(base + pv.STATUS_PATH)[1]) == {"version": 0, "error": None}
        status.failed("participants.csv:5:gender: 'mal' is not an allowed value")
        assert json.loads(_get(base + pv.STATUS_PATH)[1])["error"].startswith("participants")
        status.published()
        assert json.loads(_get(base + pv.STATUS_PATH)[1]) == {"version": 1, "error": None}
    finally:
        server.shutdown()
        server.server_close()
    # The book's files are not changed by serving them.
    assert (tmp_path / "index.html").read_text() == "<html><body>book</body></html>"


@pytest.mark.book
def test_a_session_rebuilds_only_what_changed_and_publishes_the_same_book(tmp_path, data_copy):
    """The preview's session keeps its warm workers and Sphinx's output between builds:
    after one data cell changes, Sphinx writes only the pages that read the file, and
    the book published says what a build from nothing says."""
    from analysis.engine.build import build
    from analysis.engine.session import PreviewSession
    from tests.conftest import edit_cell
    from tests.book.test_book import page_text, small_pages, sphinx_written_pages

    pages = small_pages(tmp_path)
    warm_root, cold_root = tmp_path / "warm", tmp_path / "cold"
    session = PreviewSession(warm_root)
    try:
        build(data_dir=data_copy, build_root=warm_root, pages_file=pages, session=session,
              say=lambda line: None)
        edit_cell(data_copy, "participants.csv", 2, "gender", "male")
        warm = build(data_dir=data_copy, build_root=warm_root, pages_file=pages,
                     session=session, say=lambda line: None)
        assert session.pools_started == 1  # the second build used the first one's kernels
    finally:
        session.close()
    executed = {page.name for page in warm.pages if page.status == "executed"}
    assert "sample_characteristics" in executed and "included_papers" not in executed
    written = sphinx_written_pages(warm_root)
    assert "sample_characteristics" in written and "included_papers" not in written, written
    cold = build(data_dir=data_copy, build_root=cold_root, pages_file=pages,
                 say=lambda line: None)
    for page in (p.name for p in cold.pages if p.name != "provenance"):  # its times differ
        assert page_text(warm.html, page) == page_text(cold.html, page), page
    assert "Edition " in page_text(warm.html, "included_papers")  # stamped, not rewritten
    assert "@@" not in page_text(warm.html, "included_papers")


@pytest.mark.book
def test_an_open_page_updates_after_a_data_file_is_saved(tmp_path, data_copy):
    """The real thing: a browser on the preview, a data file saved, the page reloads
    with the new number."""
    from tests.conftest import edit_cell
    from tests.book.test_book import page_text, small_pages
    from tests.browser.test_browser import new_driver

    driver = new_driver()
    started = threading.Event()
    stop = threading.Event()
    where: dict = {}

    def ready(address, status):
        where.update(address=address, status=status)
        started.set()

    lines: list[str] = []
    thread = threading.Thread(target=pv.preview, kwargs=dict(
        data_dir=data_copy, port=0, build_root=tmp_path / "root",
        pages_file=small_pages(tmp_path), say=lines.append, stop=stop, ready=ready),
        daemon=True)
    thread.start()
    try:
        assert started.wait(300), "\n".join(lines)
        assert where["status"].version == 1, "\n".join(lines)
        html_dir = tmp_path / "root" / "_build" / "html"
        before = page_text(html_dir, "sample_characteristics")
        driver.get(where["address"] + "sample_characteristics.html")
        driver.execute_script("window.__still_the_old_page = true;")
        edit_cell(data_copy, "participants.csv", 2, "gender", "male")
        saved = time.perf_counter()
        deadline = saved + 240
        while time.perf_counter() < deadline:
            if not driver.execute_script("return window.__still_the_old_page === true;"):
                break
            time.sleep(0.2)
        else:
            pytest.fail("the open page did not reload:\n" + "\n".join(lines))
        seconds = time.perf_counter() - saved
        print(f"\npreview: the open page reloaded {seconds:.1f} s after the data file was saved")
        assert where["status"].version == 2 and where["status"].error is None
        assert page_text(html_dir, "sample_characteristics") != before
    finally:
        stop.set()
        thread.join(30)
        driver.quit()
    assert not thread.is_alive()
