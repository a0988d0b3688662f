"""The book as a website, in a real browser: Debian's Chromium, headless, over http.

One browser session visits every page of the table of contents at a phone width
(390 px) and a desktop width (1366 px) and checks what a reader meets: no console error
and no failed or external request, a navigation toggle that opens (phone) or collapses
(desktop) the sidebar, every table and figure visible (what a closed menu holds is
hidden until it is opened), a launch menu on every notebook page that opens from its
button and shows Binder and Colab links to the notebook template the page renders, and,
in print emulation, the synthetic-data notice and the edition stamp. A screenshot of
every page at both widths is saved under ``_build/browser/`` as a test artefact. Links,
HTML cells and absolute paths are checked on the files (``analysis.engine.sitecheck``).

The browser is the system's (``/usr/bin/chromium`` and ``/usr/bin/chromedriver``;
``make test`` installs Debian's ``chromium`` and ``chromium-driver`` when it can). Where
neither is available the test skips, saying so loudly.
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading
import warnings
from pathlib import Path

import pytest

from analysis import paths
from analysis.engine import sitecheck
from analysis.engine.pages import load_pages

pytestmark = [pytest.mark.book, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
WIDTHS = {"phone": 390, "desktop": 1366}
HEIGHT = 844
ARTEFACTS = paths.build_dir() / "browser"


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


def _requests(driver, origin: str) -> list[str]:
    """Failed and external requests since the last call, from the performance log."""
    problems = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
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


def test_every_page_works_in_a_real_browser(site, server, browser):
    origin, failures = server
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    specs = load_pages()
    problems = []
    for label, width in WIDTHS.items():
        _viewport(browser, width)
        for spec in specs:
            page = spec.name
            url = f"{origin}/{page}.html"
            browser.get_log("browser")
            browser.get_log("performance")
            browser.get(url)
            where = f"{page}.html at {width} px"
            problems += [f"{where}: console: {m}" for m in _console(browser)]
            problems += [f"{where}: {m}" for m in _requests(browser, origin)]
            problems += [f"{where}: {m}" for m in browser.execute_script(_HIDDEN)]
            browser.save_screenshot(str(ARTEFACTS / f"{page}-{label}.png"))
            problems += [f"{where}: {m}" for m in _check_launch(browser, spec.notebook)]
            if not browser.execute_script(_NOTICE_IN_VIEW):
                problems.append(f"{where}: scrolled to the end, the synthetic-data notice "
                                "is out of view")
            problems += [f"{where}: {m}" for m in _check_sidebar(browser, width)]
            if label == "phone":
                browser.get(url)  # closes the navigation sidebar
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
    problems += [f"server: {m}" for m in failures]
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


def test_every_internal_link_resolves(site):
    assert sitecheck.broken_links(site) == []


def test_table_cells_are_valid_html(site):
    assert sitecheck.raw_less_than(site) == []


def test_the_site_names_no_folder_of_the_machine_it_was_built_on(site):
    assert sitecheck.local_paths(site, [paths.ROOT, Path.home()]) == []
