"""The hostile book (tests/hostile.py) in a real browser: no script of the data runs.

Every page of the book built on the hostile package (the ``hostile_book`` fixture,
built once per run) is opened in Debian's headless Chromium, served over http as a
web host would, with ``alert``, ``confirm`` and ``prompt`` recorded instead of shown
(installed before any script of the page runs). The page is left to load, every
element then receives the events a reader's pointer and keyboard send (``mouseover``,
``focus``), and no call may have been recorded; the search page, asked for a title
from the data, shows its results the same way.
Uses the browser and the quiet server of tests/browser/test_browser.py.
"""

from __future__ import annotations

import functools
import http.server
import threading

import pytest

from tests.browser.test_browser import _QuietHandler, _settled, new_driver

pytestmark = [pytest.mark.book, pytest.mark.browser]

RECORD_DIALOGS = """
window.__calls = [];
for (const name of ['alert', 'confirm', 'prompt', 'print']) {
  window[name] = (...args) => { window.__calls.push(name + '(' + args.join(',') + ')'); };
}
"""

# What a reader's pointer and keyboard do to a page, without following any link.
POKE = """
for (const el of document.querySelectorAll('body *')) {
  for (const type of ['mouseover', 'mouseenter', 'focus', 'animationstart']) {
    el.dispatchEvent(new Event(type, {bubbles: false}));
  }
}
return window.__calls || ['the recorder was not installed'];
"""


@pytest.fixture(scope="module")
def hostile_server(hostile_book):
    handler = type("Handler", (_QuietHandler,), {"failures": []})
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(hostile_book.html)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def recording_browser():
    driver = new_driver()
    driver.execute_cdp_cmd("Page.enable", {})
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_DIALOGS})
    yield driver
    driver.quit()


def test_no_page_of_the_hostile_book_runs_a_script_of_its_data(hostile_book, hostile_server,
                                                                recording_browser):
    pages = sorted(p.name for p in hostile_book.html.glob("*.html"))
    assert len(pages) > 25
    calls = {}
    for page in pages:
        recording_browser.get(f"{hostile_server}/{page}")
        made = recording_browser.execute_script(POKE)
        if made:
            calls[page] = made
    assert calls == {}


SEARCH_DONE = """
const status = document.querySelector('#search-results .search-summary, #search-results p');
return status ? status.textContent : '';
"""


def test_searching_for_a_title_of_the_data_runs_nothing(hostile_book, hostile_server,
                                                        recording_browser):
    """Sphinx writes a matching section's title into the results as HTML: a page title
    from the pages file, searched for as a reader would type it."""
    from urllib.parse import quote

    title = " ".join(hostile_book.hostile.attacks["pages.yml:themes.title"].split())
    recording_browser.get(f"{hostile_server}/search.html?q={quote(title)}")
    summary = _settled(recording_browser, SEARCH_DONE, bool, timeout=60)
    assert summary, "the search did not finish"
    assert recording_browser.execute_script(POKE) == []


def test_the_recorder_sees_a_script_that_runs(recording_browser, hostile_server):
    """The check above would see an attack that worked: a page that calls alert."""
    recording_browser.get(f"{hostile_server}/intro.html")  # the recorder is per document
    recording_browser.get("data:text/html,<p>x</p><img src=x onerror=alert(1)>"
                          "<b onmouseover=alert(2)>y</b>")
    assert recording_browser.execute_script(POKE) == ["alert(1)", "alert(2)"]
