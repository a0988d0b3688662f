"""The book as a website, in a real browser: Debian's Chromium, headless, over http.

One browser session visits every page of the table of contents at a phone width
(390 px) and a desktop width (1366 px) and checks what a reader meets: no console error
and no failed or external request, a navigation toggle that opens (phone) or collapses
(desktop) the sidebar, every table and figure visible (what a closed menu holds is
hidden until it is opened), a launch menu on every notebook page that opens from its
button and shows Binder and Colab links to the notebook template the page renders, and,
in print emulation, the synthetic-data notice and the edition stamp. On a phone, a table
wider than the screen says so and can be scrolled from the keyboard, the forest plot's
estimates are on screen, and nothing covers a table's CSV link. A screenshot of every
page at both widths is saved under ``_build/browser/`` as a test artefact. Links, HTML
cells and absolute paths are checked on the files (``tests/sitecheck.py``).

On the same visits it checks every page against WCAG 2.1 AA with axe-core (from npm,
pinned in ``tests/browser/package-lock.json`` and installed by ``make browser``), in
light and dark mode: no critical or serious violation; every violation is listed in
``_build/browser/axe-<width>.json``. At the desktop width every page loads with an empty cache
and is weighed (``_build/browser/weights.json``; at most 1.2 MB). A second test prints
representative pages to PDF (``_build/browser/<page>.pdf``) and checks page by page that
every printed page carries the synthetic-data notice (where the data are synthetic) and
the edition stamp.

The browser is the system's (``/usr/bin/chromium`` and ``/usr/bin/chromedriver``;
``make test`` installs Debian's ``chromium`` and ``chromium-driver`` when it can). Where
neither is available the test skips, saying so loudly.
"""

from __future__ import annotations

import base64
import functools
import http.server
import json
import shutil
import threading
import warnings
from pathlib import Path

import pytest

from analysis import paths
from analysis.contract.table_files import MANUSCRIPT_TABLES
from tests import sitecheck
from tests.book.test_book import bundled_pages

pytestmark = [pytest.mark.book, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
WIDTHS = {"phone": 390, "desktop": 1366}
HEIGHT = 844
ARTEFACTS = paths.build_dir() / "browser"
AXE = paths.ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0 and 2.1, levels A and AA, and axe's best practices (reported, not failed).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
FAILING_IMPACTS = ("critical", "serious")
# Transferred on a first load, uncompressed (the test's server does not compress).
MAX_PAGE_BYTES = 1_200_000
# Printed to PDF and checked page by page: a long page, the widest table, the figure
# that relied on colour, and the bibliography.
PRINTED = ("prevalence", "multiverse", "sample_characteristics", "references")


def _missing_browser() -> str | None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        return ("NO BROWSER TEST: " + " and ".join(missing) + " not found. Install Debian's "
                "chromium and chromium-driver (apt-get install chromium chromium-driver) "
                "to test the book in a real browser.")
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "NO BROWSER TEST: selenium is not installed (pip install -e '.[test]')."
    return None


@pytest.fixture(scope="module")
def site(checkout_book):
    """The book as built from this checkout (a no-op when nothing changed)."""
    return checkout_book.html


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    failures: list[str]

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def log_error(self, format, *args):  # noqa: A002
        self.failures.append(f"{self.path}: {format % args}")


@pytest.fixture(scope="module")
def server(site):
    """``_build/html`` served on 127.0.0.1 (an unused port), as a web host would."""
    handler = type("Handler", (_QuietHandler,), {"failures": []})
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", handler.failures
    httpd.shutdown()
    httpd.server_close()


def new_driver():
    """A headless Chromium (the system's), logging console messages and network events;
    skips the calling test, loudly, where there is none."""
    reason = _missing_browser()
    if reason:
        warnings.warn(reason, stacklevel=2)
        print("\n" + "!" * 78 + "\n" + reason + "\n" + "!" * 78)
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--no-first-run",
                     "--disable-background-networking", "--disable-extensions",
                     f"--window-size={WIDTHS['desktop']},{HEIGHT}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    driver.execute_cdp_cmd("Network.enable", {})
    return driver


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the whole module."""
    driver = new_driver()
    yield driver
    driver.quit()


def _viewport(driver, width: int) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": width < 800})


def _performance(driver) -> list[dict]:
    """The DevTools messages logged since the last call (network events)."""
    return [json.loads(entry["message"])["message"] for entry in driver.get_log("performance")]


def _requests(driver, origin: str, messages: list[dict] | None = None) -> list[str]:
    """Failed and external requests since the last call, from the performance log (or
    from ``messages`` already read from it)."""
    problems = []
    for message in _performance(driver) if messages is None else messages:
        params = message.get("params", {})
        if message["method"] == "Network.requestWillBeSent":
            url = params["request"]["url"]
            if not url.startswith((origin, "data:", "blob:", "about:")):
                problems.append(f"external request {url}")
        elif message["method"] == "Network.responseReceived":
            status = params["response"]["status"]
            if status >= 400:
                problems.append(f"HTTP {status} {params['response']['url']}")
        elif message["method"] == "Network.loadingFailed":
            if params.get("errorText") != "net::ERR_ABORTED" or not params.get("canceled"):
                problems.append(f"failed request {params.get('errorText')} "
                                f"({params.get('type')})")
    return problems


def _transferred(messages: list[dict]) -> dict[str, int]:
    """Bytes transferred by URL (headers and body, as sent: the test's server does not
    compress), from the performance log's messages."""
    urls, sizes = {}, {}
    for message in messages:
        params = message.get("params", {})
        if message["method"] == "Network.requestWillBeSent":
            urls[params["requestId"]] = params["request"]["url"]
        elif message["method"] == "Network.loadingFinished":
            url = urls.get(params["requestId"], params["requestId"])
            sizes[url] = sizes.get(url, 0) + int(params["encodedDataLength"])
    return sizes


def _console(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser")
            if entry["level"] in ("SEVERE", "WARNING")]


_HIDDEN = """
const problems = [];
const main = document.querySelector('main') || document.body;
for (const el of main.querySelectorAll('table, img, svg:not(.fa-solid):not([aria-hidden])')) {
  if (el.closest('.headerlink, button, .sidebar-toggle')) continue;
  // A closed menu's items (the launch buttons' logos) are hidden until it is opened;
  // _check_launch opens it and checks them.
  const menu = el.closest('.dropdown-menu');
  if (menu && !menu.classList.contains('show')) continue;
  el.scrollIntoView({block: 'center'});
  const r = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  const what = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (el.getAttribute('src') ? ' ' + el.getAttribute('src') : '');
  if (r.width < 1 || r.height < 1 || style.visibility === 'hidden' || style.display === 'none')
    problems.push(what + ' is not visible');
  else if (el.tagName === 'IMG' && !(el.complete && el.naturalWidth > 0))
    problems.push(what + ' did not load');
}
for (const table of main.querySelectorAll('.cell_output table')) {
  const box = table.closest('.cen-table');
  const link = box && box.querySelector('.table-download a[download][href$=".csv"]');
  const caption = box && box.querySelector('.cen-table__caption');
  const name = caption ? caption.textContent.trim().slice(0, 60) : (table.id || 'a table');
  if (!link) problems.push(name + ' has no CSV link');
  else if (!(link.getBoundingClientRect().width > 0)) problems.push(name + "'s CSV link is hidden");
  const excel = box && box.querySelector('.table-download a[download][href$=".xlsx"]');
  if (link && !(excel && excel.textContent === 'Excel' && excel.getBoundingClientRect().width > 0))
    problems.push(name + ' has no visible Excel link');
}
main.querySelectorAll('figure').forEach((figure, i) => {
  const img = figure.querySelector('img');
  if (!img) return;
  const alt = img.getAttribute('alt') || '';
  if (!alt || alt.startsWith('_images/') || alt === img.getAttribute('src'))
    problems.push('figure ' + (i + 1) + ' has no alt text saying what it shows');
  for (const kind of ['SVG', 'PNG']) {
    const link = [...figure.querySelectorAll('.figure-download a')]
      .find(a => a.textContent === kind);
    if (!link) problems.push('figure ' + (i + 1) + ' has no ' + kind + ' download');
  }
});
window.scrollTo(0, 0);
return problems;
"""

_ON_A_PHONE = """
const problems = [];
const main = document.querySelector('main') || document.body;
// Nothing (a long word, a wide figure) makes the page wider than the screen: a phone
// would zoom the whole page out.
if (document.documentElement.scrollWidth > screen.width + 1)
  problems.push('the page is ' + document.documentElement.scrollWidth + ' px wide on a '
                + screen.width + ' px screen');
for (const table of main.querySelectorAll('.cen-table')) {
  const box = table.querySelector('.cen-table__scroll');
  const caption = table.querySelector('caption');
  const name = caption ? caption.textContent.trim().slice(0, 60) : 'a table';
  if (!box || box.scrollWidth <= box.clientWidth + 1) continue;
  const cue = table.querySelector('.cen-table__cue');
  if (!cue || !(cue.getBoundingClientRect().height > 0))
    problems.push(name + ' scrolls sideways with no visible cue');
  if (!table.querySelector('.cen-table__frame.more-right'))
    problems.push(name + ' scrolls sideways with no shadow on its hidden side');
  const named = (box.getAttribute('aria-label') || '')
    .startsWith(caption ? caption.textContent.trim() : '');
  if (box.getAttribute('tabindex') !== '0' || box.getAttribute('role') !== 'region' || !named)
    problems.push(name + ' scrolls sideways but is no named, focusable region');
}
// The forest plot's estimates on screen without scrolling sideways.
for (const table of main.querySelectorAll('.cen-table')) {
  const caption = table.querySelector('caption');
  if (!caption || !caption.textContent.startsWith("The forest plot's numbers")) continue;
  const heads = [...table.querySelectorAll('thead th')];
  const estimate = heads.find(th => th.textContent.trim() === '% (95% CI)');
  if (!estimate) { problems.push("the forest plot's numbers have no % (95% CI) column"); continue; }
  const r = estimate.getBoundingClientRect();
  if (!(r.left >= 0 && r.right <= window.innerWidth + 1))
    problems.push("the forest plot's estimates are off screen (column at " + Math.round(r.left)
                  + '-' + Math.round(r.right) + ' px of ' + window.innerWidth + ')');
}
// Nothing (a floating button, a sticky bar) covers a table's CSV link.
for (const link of main.querySelectorAll('.table-download a')) {
  link.scrollIntoView({block: 'center'});
  const r = link.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  if (hit && hit !== link && !link.contains(hit))
    problems.push('a CSV link (' + link.getAttribute('href') + ') is covered by '
                  + hit.tagName.toLowerCase() + (hit.id ? '#' + hit.id : '')
                  + (hit.className ? '.' + String(hit.className).split(' ')[0] : ''));
}
window.scrollTo(0, 0);
return problems;
"""

# Pages that show a table a manuscript needs (its Word file is linked below it).
MANUSCRIPT_PAGES = {page for table in MANUSCRIPT_TABLES for page, _ in table.candidates}
_WORD_LINK = """
const a = document.querySelector('.table-download a[download][href$=".docx"]');
return !!a && a.textContent === 'Word' && a.getBoundingClientRect().width > 0;
"""

_SIDEBAR_LINK_VISIBLE = """
for (const a of document.querySelectorAll('nav.bd-docs-nav a.reference')) {
  const r = a.getBoundingClientRect();
  if (r.width > 0 && r.height > 0 && r.left >= 0 && r.left < window.innerWidth
      && getComputedStyle(a).visibility !== 'hidden') return true;
}
return false;
"""

_VISIBLE_IN_PRINT = """
const el = document.querySelector(arguments[0]);
if (!el) return 'missing';
const r = el.getBoundingClientRect();
let node = el;
while (node && node.nodeType === 1) {
  const s = getComputedStyle(node);
  if (s.display === 'none' || s.visibility === 'hidden') return 'hidden';
  node = node.parentElement;
}
return r.width > 0 && r.height > 0 ? 'shown' : 'empty';
"""


_NOTICE_IN_VIEW = """
window.scrollTo(0, document.body.scrollHeight);
const el = document.querySelector('.bd-header-announcement');
const r = el ? el.getBoundingClientRect() : null;
const ok = !!r && r.height > 0 && r.top >= -1 && r.bottom <= window.innerHeight + 1;
window.scrollTo(0, 0);
return ok;
"""

_CONTENTS_LINK_VISIBLE = """
for (const a of document.querySelectorAll('.bd-sidebar-secondary a.nav-link, dialog a.nav-link')) {
  const r = a.getBoundingClientRect();
  if (r.width > 0 && r.height > 0 && r.left >= 0 && r.left < window.innerWidth) return true;
}
return false;
"""


_LAUNCH_LINKS = """
const menu = document.querySelector('.dropdown-launch-buttons .dropdown-menu');
if (!menu) return null;
const links = [];
for (const a of menu.querySelectorAll('a.dropdown-item')) {
  const r = a.getBoundingClientRect();
  const img = a.querySelector('img');
  const ir = img ? img.getBoundingClientRect() : null;
  links.push({
    text: a.textContent.trim(), href: a.getAttribute('href'),
    visible: r.width > 0 && r.height > 0 && r.left >= 0 && r.right <= window.innerWidth + 1
      && getComputedStyle(a).visibility !== 'hidden',
    logo: !!img && ir.width > 0 && ir.height > 0 && img.complete && img.naturalWidth > 0});
}
return {open: menu.classList.contains('show'), links: links};
"""


def launch_links(notebook: str) -> dict[str, str]:
    """The Binder and Colab links a notebook page must offer, from ``_config.yml``: they
    open the page's notebook template (``book/notebooks/<notebook>.ipynb``) in this
    repository."""
    import yaml

    config = yaml.safe_load(paths.CONFIG.read_text(encoding="utf-8"))
    repository, launch = config["repository"], config["launch_buttons"]
    org, repo = repository["url"].removeprefix("https://github.com/").split("/")[:2]
    branch = repository.get("branch", "main")
    path = f"{repository['path_to_book'].strip('/')}/{notebook}.ipynb"
    assert (paths.ROOT / path).exists(), path
    interface = {"classic": "tree", "jupyterlab": "lab/tree"}[launch["notebook_interface"]]
    return {
        "Binder": f"{launch['binderhub_url']}/v2/gh/{org}/{repo}/{branch}"
                  f"?urlpath={interface}/{path}",
        "Colab": f"{launch['colab_url']}/github/{org}/{repo}/blob/{branch}/{path}",
    }


def _settled(driver, script: str, done, *args, timeout: float = 2.0):
    """Run ``script`` until ``done`` holds for what it returns (a menu or a sidebar
    opening plays a short transition), or until ``timeout``; the last result."""
    import time

    deadline = time.perf_counter() + timeout
    while True:
        state = driver.execute_script(script, *args)
        if done(state) or time.perf_counter() > deadline:
            return state
        time.sleep(0.05)


def _check_launch(driver, notebook: str | None) -> list[str]:
    """The launch menu (Binder, Colab) of a notebook page opens from its button and
    links to the page's notebook template; a Markdown page has none."""
    state = driver.execute_script(_LAUNCH_LINKS)
    if notebook is None:
        return [] if state is None else ["a page without a notebook has launch buttons"]
    if state is None:
        return ["no launch buttons (Binder, Colab)"]
    if state["open"]:
        return ["the launch menu is open before its button is clicked"]
    toggle = _visible_toggle(driver, ".dropdown-launch-buttons .dropdown-toggle")
    if toggle is None:
        return ["no visible button to open the launch menu"]
    toggle.click()
    state = _settled(driver, _LAUNCH_LINKS, lambda s: bool(s and s["open"]))
    toggle.click()  # closed again, out of the way of the other checks
    if not state["open"]:
        return ["the launch button does not open the launch menu"]
    problems = [f"launch link {link['text']} is not visible" for link in state["links"]
                if not link["visible"]]
    problems += [f"launch link {link['text']} has no visible logo" for link in state["links"]
                 if not link["logo"]]
    found = {link["text"]: link["href"] for link in state["links"]}
    for name, href in launch_links(notebook).items():
        if found.get(name) != href:
            problems.append(f"launch link {name} is {found.get(name)}, not {href}")
    if set(found) != {"Binder", "Colab"}:
        problems.append(f"launch links {sorted(found)}, not Binder and Colab")
    return problems


def _visible_toggle(driver, selector: str = ".primary-toggle"):
    from selenium.webdriver.common.by import By

    for button in driver.find_elements(By.CSS_SELECTOR, selector):
        if button.is_displayed() and button.size["width"] > 0:
            return button
    return None


def _check_sidebar(driver, width: int) -> list[str]:
    toggle = _visible_toggle(driver)
    if toggle is None:
        return ["no visible button to toggle the navigation sidebar"]
    before = driver.execute_script(_SIDEBAR_LINK_VISIBLE)
    toggle.click()
    after = _settled(driver, _SIDEBAR_LINK_VISIBLE, lambda shown: shown != before)
    if width < 992:
        # On a phone the sidebar is hidden until the toggle opens it.
        return [] if (not before and after) else [
            f"the navigation toggle does not open the sidebar (before {before}, after {after})"]
    # On a desktop it is shown and the toggle collapses it.
    return [] if (before and not after) else [
        f"the navigation toggle does not collapse the sidebar (before {before}, after {after})"]


def _check_contents(driver) -> list[str]:
    """On a phone, the page-contents button opens the list of the page's sections."""
    toggle = _visible_toggle(driver, ".secondary-toggle")
    if toggle is None:
        return []  # a page without sections has no contents to open
    toggle.click()
    if not _settled(driver, _CONTENTS_LINK_VISIBLE, bool):
        return ["the page-contents toggle does not open the page's contents"]
    return []


@pytest.mark.parametrize("label", list(WIDTHS))
def test_every_page_works_in_a_real_browser(label, site, server, browser):
    """Every page at one screen width (a test per width, so that the two test processes
    can share the work)."""
    origin, failures = server
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    specs = bundled_pages()
    problems = []
    accessibility = AccessibilityReport(origin, label)
    weights = {}
    width = WIDTHS[label]
    _viewport(browser, width)
    # At the desktop width every page loads as on a first visit, and is weighed.
    browser.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": label == "desktop"})
    for spec in specs:
        page = spec.name
        url = f"{origin}/{page}.html"
        browser.get_log("browser")
        browser.get_log("performance")
        browser.get(url)
        where = f"{page}.html at {width} px"
        problems += [f"{where}: console: {m}" for m in _console(browser)]
        if label == "desktop":
            _settled(browser, _SETTLED, bool, timeout=10)
        messages = _performance(browser)
        problems += [f"{where}: {m}" for m in _requests(browser, origin, messages)]
        if label == "desktop":
            weights[page] = _transferred(messages)
        problems += [f"{where}: {m}" for m in browser.execute_script(_HIDDEN)]
        if page in MANUSCRIPT_PAGES and not browser.execute_script(_WORD_LINK):
            problems.append(f"{where}: a table the manuscript needs has no Word link")
        browser.save_screenshot(str(ARTEFACTS / f"{page}-{label}.png"))
        problems += [f"{where}: {m}" for m in _check_launch(browser, spec.notebook)]
        if not browser.execute_script(_NOTICE_IN_VIEW):
            problems.append(f"{where}: scrolled to the end, the synthetic-data notice "
                            "is out of view")
        if label == "desktop":
            accessibility.check(browser, page, width, ("light", "dark"))
        problems += [f"{where}: {m}" for m in _check_sidebar(browser, width)]
        if label == "phone":
            browser.get(url)  # closes the navigation sidebar
            # Polled: the page marks a table that scrolls once its layout has settled.
            problems += [f"{where}: {m}" for m in
                         _settled(browser, _ON_A_PHONE, lambda found: not found)]
            accessibility.check(browser, page, width, ("light",))
            problems += [f"{where}: {m}" for m in _check_contents(browser)]
        if label == "desktop":
            browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
            for selector, what in ((".bd-header-announcement", "synthetic-data notice"),
                                   (".edition-stamp", "edition stamp")):
                state = browser.execute_script(_VISIBLE_IN_PRINT, selector)
                if state != "shown":
                    problems.append(f"{where}: printed, the {what} is {state}")
            browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        problems += [f"{where}: console: {m}" for m in _console(browser)]
    browser.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": False})
    problems += [f"server: {m}" for m in failures]
    problems += accessibility.failing()
    if label == "desktop":
        problems += _too_heavy(weights, origin)
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


def _too_heavy(weights: dict[str, dict[str, int]], origin: str) -> list[str]:
    """Pages that transferred more than ``MAX_PAGE_BYTES`` on a first load; every page's
    weight and heaviest files go to ``_build/browser/weights.json``."""
    report = {}
    for page, sizes in weights.items():
        heaviest = sorted(sizes.items(), key=lambda kv: -kv[1])[:5]
        report[page] = {"bytes": sum(sizes.values()), "heaviest": [
            {"url": url.removeprefix(origin), "bytes": size} for url, size in heaviest]}
    (ARTEFACTS / "weights.json").write_text(json.dumps(report, indent=1) + "\n",
                                            encoding="utf-8")
    problems = [f"{page}.html: nothing transferred on a first load"
                for page, w in report.items() if not w["bytes"]]
    problems += [f"{page}.html: {w['bytes']:,} bytes on a first load, over "
                 f"{MAX_PAGE_BYTES:,} (heaviest: "
                 + ", ".join(f"{h['url']} {h['bytes']:,}" for h in w["heaviest"][:3]) + ")"
                 for page, w in report.items() if w["bytes"] > MAX_PAGE_BYTES]
    return problems


def _skip_without_axe() -> None:
    if not AXE.exists():
        reason = (f"NO ACCESSIBILITY CHECK: {AXE.relative_to(paths.ROOT)} is missing; "
                  "`make browser` installs axe-core with npm (tests/browser/package.json).")
        warnings.warn(reason, stacklevel=2)
        print("\n" + "!" * 78 + "\n" + reason + "\n" + "!" * 78)
        pytest.skip(reason)


# Rows past the 30th of a table repeat the markup and styles of the rows above (both
# stripes included): they are taken out before axe runs, so that a 300-row table costs
# axe seconds, not most of a minute (it walks every node of the page, checked or not).
_AXE_RUN = """
const done = arguments[arguments.length - 1];
document.querySelectorAll('.cen-table tbody tr:nth-child(n+31)').forEach(row => row.remove());
axe.run(document, arguments[0]).then(result => done(result.violations.map(v => ({
  id: v.id, impact: v.impact, help: v.help,
  nodes: v.nodes.map(n => n.target.join(' '))}))), error => done({error: String(error)}));
"""

# The theme's colours change with a transition: axe would measure a colour half-way.
_MODE = """
if (!document.getElementById('cen-test-no-transitions')) {
  const style = document.createElement('style');
  style.id = 'cen-test-no-transitions';
  style.textContent = '*, *::before, *::after '
    + '{ transition: none !important; animation: none !important; }';
  document.head.appendChild(style);
}
document.documentElement.dataset.theme = arguments[0];
document.documentElement.dataset.mode = arguments[0];
"""


def _axe(driver, options: dict) -> list[dict]:
    if not driver.execute_script("return typeof window.axe === 'object'"):
        driver.execute_script(AXE.read_text(encoding="utf-8"))
    found = driver.execute_async_script(_AXE_RUN, options)
    if isinstance(found, dict):
        raise AssertionError(f"axe-core failed: {found['error']}")
    return found


class AccessibilityReport:
    """axe-core on the pages the browser test visits: every WCAG 2.0/2.1 A and AA rule
    and best practice in light mode at a desktop width; in dark mode the rules about
    colour; at a phone's width the rule that a box that scrolls can be reached from the
    keyboard (what the mode or the width changes). Every violation goes to
    ``_build/browser/axe-<width>.json``; a critical or serious one is a problem."""

    def __init__(self, origin: str, label: str = "desktop"):
        self.origin = origin
        self.label = label
        self.found: list[dict] = []
        self.available = AXE.exists()
        if not self.available:
            reason = (f"NO ACCESSIBILITY CHECK: {AXE.relative_to(paths.ROOT)} is missing; "
                      "`make browser` installs axe-core with npm (tests/browser/package.json).")
            warnings.warn(reason, stacklevel=2)
            print("\n" + "!" * 78 + "\n" + reason + "\n" + "!" * 78)

    @staticmethod
    def _rules(*names: str) -> dict:
        return {"runOnly": {"type": "rule", "values": list(names)},
                "resultTypes": ["violations"]}

    def check(self, driver, page: str, width: int, modes: tuple[str, ...]) -> None:
        if not self.available:
            return
        driver.set_script_timeout(180)
        for mode in modes:
            if width >= WIDTHS["desktop"]:
                options = ({"runOnly": {"type": "tag", "values": AXE_TAGS},
                            "resultTypes": ["violations"]} if mode == "light"
                           else self._rules("color-contrast", "link-in-text-block"))
            else:
                options = self._rules("scrollable-region-focusable")
            driver.execute_script(_MODE, mode)
            for violation in _axe(driver, options):
                self.found.append({"page": page, "width": width, "mode": mode, **violation})
        driver.execute_script(_MODE, "light")

    def failing(self) -> list[str]:
        if not self.available:
            return []
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        (ARTEFACTS / f"axe-{self.label}.json").write_text(
            json.dumps(self.found, indent=1) + "\n", encoding="utf-8")
        return [f"{v['page']}.html at {v['width']} px, {v['mode']} mode: axe-core "
                f"{v['impact']} {v['id']} ({v['help']}): {', '.join(v['nodes'][:3])}"
                for v in self.found if v["impact"] in FAILING_IMPACTS]


def test_axe_core_is_installed_for_the_accessibility_checks():
    """The page-by-page test runs axe-core only where it is installed; this says so."""
    _skip_without_axe()
    assert AXE.stat().st_size > 100_000


_SETTLED = """
return document.readyState === 'complete' && document.fonts.status === 'loaded'
  && performance.getEntriesByType('resource').every(e => e.responseEnd > 0);
"""


def pdf_pages_text(path: Path) -> list[str]:
    """The text of each page of a PDF, in one line (ligatures and breaks undone)."""
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    texts = []
    for page in reader.pages:
        text = page.extract_text() or ""
        for ligature, letters in (("\ufb01", "fi"), ("\ufb02", "fl"), ("\ufb00", "ff")):
            text = text.replace(ligature, letters)
        texts.append(" ".join(text.split()))
    return texts


def test_printed_pages_carry_the_notice_and_the_edition_on_every_page(site, server, browser):
    """Representative pages printed by Chromium (its PDF printing, with the book's print
    style) and read back page by page."""
    from pypdf import PdfReader

    origin, _ = server
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    _viewport(browser, WIDTHS["desktop"])
    synthetic = json.loads((site / "manifest.json").read_text())["edition"]["synthetic"]
    problems = []
    for name in PRINTED:
        browser.get(f"{origin}/{name}.html")
        stamp = " ".join(browser.execute_script(
            "return document.querySelector('.edition-stamp').textContent").split())
        printed = browser.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True})
        path = ARTEFACTS / f"{name}.pdf"
        path.write_bytes(base64.b64decode(printed["data"]))
        texts = pdf_pages_text(path)
        where = f"{name}.html printed"
        if len(texts) < 2:
            problems.append(f"{where}: {len(texts)} page(s), expected several")
        for number, text in enumerate(texts, start=1):
            if synthetic and "Synthetic data:" not in text:
                problems.append(f"{where}, page {number}: no synthetic-data notice")
            if stamp not in text:
                problems.append(f"{where}, page {number}: no edition stamp ({stamp})")
            if f"Page {number} of {len(texts)}" not in text:
                problems.append(f"{where}, page {number}: no page number")
            for screen_only in ("Show code cell source", "Skip to main content", "Back to top"):
                if screen_only in text:
                    problems.append(f"{where}, page {number}: prints '{screen_only}'")
        if name == "multiverse":
            # The widest table prints whole, on landscape pages.
            reader = PdfReader(str(path))
            landscape = [i for i, page in enumerate(reader.pages)
                         if float(page.mediabox.width) > float(page.mediabox.height)]
            headers = browser.execute_script("""
              const tables = [...document.querySelectorAll('.cen-table--wide table')];
              const width = t => t.rows[0].cells.length;
              const widest = tables.sort((a, b) => width(b) - width(a))[0];
              return widest ? [...widest.rows[0].cells].map(c => c.textContent.trim()) : [];""")
            if not landscape or not headers:
                problems.append(f"{where}: no wide table on a landscape page")
            else:
                # Without spaces: a header may wrap inside its narrow column.
                text = "".join(texts[i] for i in landscape).replace(" ", "")
                missing = [h for h in headers if h and h.replace(" ", "") not in text]
                if missing:
                    problems.append(f"{where}: the wide table prints without {missing}")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


def test_every_internal_link_resolves(site):
    assert sitecheck.broken_links(site) == []


def test_table_cells_are_valid_html(site):
    assert sitecheck.raw_less_than(site) == []


def test_the_site_names_no_folder_of_the_machine_it_was_built_on(site):
    assert sitecheck.local_paths(site, [paths.ROOT, Path.home()]) == []
