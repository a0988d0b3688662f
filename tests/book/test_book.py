"""End to end: notebooks under papermill, the whole book, the cache, failures, editions.

These tests execute notebooks and run jupyter-book, so they take a few minutes.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from analysis import __version__, paths
from analysis.contract.errors import DataPackageError
from analysis.contract.files import fingerprint
from analysis.engine.editions import diff, release
from analysis.engine.build import BuildError, build
from analysis.engine.cache import tree_hash
from analysis.engine.pages import load_pages
from analysis.plan import PLAN_ENV
from analysis.synth import generate
from tests.conftest import built_once_per_run, edit_cell

pytestmark = pytest.mark.book
TEMPLATES = sorted(paths.NOTEBOOKS.glob("*.ipynb"))


def page_text(html_dir: Path, page: str) -> str:
    """The visible text of a page, whitespace folded."""
    raw = (html_dir / f"{page}.html").read_text(encoding="utf-8")
    raw = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", raw, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", raw)))


def bundled_pages() -> list:
    """The pages of book/pages.yml that the bundled package's book has: all but those
    whose inputs it does not hold (the ConQual pages need meta-aggregation findings)."""
    from analysis.pages.needs import choose_pages, offered_by_package
    from analysis.contract.validation import load_package

    chosen, _ = choose_pages(load_pages(), offered_by_package(load_package(paths.DATA_SYNTHETIC)))
    return chosen


def small_pages(tmp_path: Path, year_periods=(2003, 2010, 2015)) -> Path:
    spec = {"parts": [
        {"caption": "About", "pages": [{"page": "intro", "notebook": "intro"},
                                       {"page": "data_dictionary", "notebook": "data_dictionary"}]},
        {"caption": "Analyses", "pages": [
            {"page": "sample_characteristics", "notebook": "sample_characteristics"},
            {"page": "included_papers", "notebook": "included_papers",
             "parameters": {"year_periods": list(year_periods)}}]},
        # the introduction cites, so the bibliography page comes too
        {"caption": "Edition", "pages": [{"page": "provenance"}, {"page": "references"}]},
    ]}
    path = tmp_path / "pages.yml"
    path.write_text(yaml.safe_dump(spec))
    return path


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.stem)
def test_notebook_runs_with_plain_papermill(template, tmp_path, monkeypatch):
    """Each template runs on its own defaults, outside the build (no environment the
    build sets, a fresh kernel), as a student runs it. Through papermill's Python API:
    the command line below runs the same function."""
    import papermill

    monkeypatch.chdir(paths.ROOT)  # the defaults are relative to the project
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(str(template), str(out), progress_bar=False)
    assert json.loads(out.read_text())["cells"]


def test_a_notebook_takes_its_data_folder_from_the_command_line(tmp_path, data_copy):
    """``papermill ... -p data_dir DIR`` points a template at another package (every
    build passes it; here it is given by hand, as a researcher would)."""
    edit_cell(data_copy, "participants.csv", 2, "gender", "male")
    out = tmp_path / "out.ipynb"
    proc = subprocess.run([sys.executable, "-m", "papermill",
                           str(paths.NOTEBOOKS / "sample_characteristics.ipynb"), str(out),
                           "--no-progress-bar", "-p", "data_dir", str(data_copy)],
                          capture_output=True, text=True, cwd=paths.ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert str(data_copy) in out.read_text()


def ipykernels() -> list[str]:
    """Command lines of this process's kernels (children at any depth)."""
    import psutil

    return [" ".join(p.cmdline()) for p in psutil.Process().children(recursive=True)
            if "ipykernel" in " ".join(p.cmdline())]


@pytest.fixture(scope="session")
def small_book_made() -> dict:
    """The build root of the four-page book (``small_pages``) on the bundled data, built
    once per test run by one worker (so its pages run one after the other in one reused
    kernel) and shared by the tests that compare another build with it or start from it
    (``tests/conftest.py built_once_per_run``); a test that builds again in it builds in
    a copy (``small_book_copy``)."""
    def made(folder: Path) -> dict:
        root = folder / "root"
        build(build_root=root, pages_file=small_pages(folder), jobs=1, force=True,
              say=lambda s: None)
        # The kernels left once the build returned, in the process that built it
        # (test_reused_kernels_give_the_same_numbers_as_fresh_ones).
        return {"root": str(root), "kernels_left": ipykernels()}
    return built_once_per_run("small-book", made)


@pytest.fixture(scope="session")
def small_book(small_book_made) -> Path:
    """The small book's build root (``small_book_made``)."""
    return Path(small_book_made["root"])


def small_book_copy(small_book: Path, root: Path) -> Path:
    """A copy of the small book's build root at ``root``, to build in again: its last
    good book, its executed pages and Sphinx's kept output, as if built there."""
    import shutil

    shutil.copytree(small_book, root, symlinks=True)
    return root


@pytest.fixture(scope="module")
def full_book(checkout_book):
    """The whole book on the bundled data: the checkout's own, shared with the browser
    test (one build for both)."""
    return checkout_book


def test_no_published_file_names_a_participant_or_holds_their_rows(full_book):
    """Disclosure: no participant identifier or row-level record in any published file."""
    participants = (paths.DATA_SYNTHETIC / "participants.csv").read_text().splitlines()[1:]
    ids = {line.split(",")[0] for line in participants}
    pattern = re.compile(r"\b(" + "|".join(sorted(ids)) + r")\b")
    row_columns = {"participant_id", "interview_date", "duration_min", "interview_order"}
    scanned = 0
    for path in full_book.html.rglob("*"):
        if not path.is_file() or path.suffix in {".ttf", ".woff", ".woff2", ".png", ".ico"}:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        scanned += 1
        hit = pattern.search(text)
        assert hit is None, f"{path.relative_to(full_book.html)} names {hit.group(0)}"
        if path.suffix == ".csv":
            header = set(text.splitlines()[0].split(",")) if text else set()
            assert not header & row_columns, f"{path} holds participant rows"
    assert scanned > 50


def test_full_book_has_every_page(full_book):
    assert (full_book.html / "index.html").exists()
    for page in bundled_pages():
        assert (full_book.html / f"{page.name}.html").exists(), page.name


# The figures each page shows, in order, by the start of their captions; a page not named
# here shows none. A page or figure added to the book is added here, so a reader can see
# which page shows what (two branches that each add a figure each add their own line).
FIGURES = {
    "prisma": ["PRISMA 2020 flow diagram of the meta-synthesis"],
    "included_papers": ["Included papers by year of publication"],
    "sample_characteristics": ["Each interview by date and length"],
    # one notebook, three analyses: one forest plot each, grouped as its forest_by says
    "prevalence": ["Forest plot of the prevalence studies by"],
    "prevalence_sensitivity_pm": ["Forest plot of the prevalence studies by"],
    "prevalence_sensitivity_ft": ["Forest plot of the prevalence studies by"],
    "appraisal": ["Kappa and its 95% confidence interval for each question"],
    # one notebook, two banding rules
    "quality": ["Consensus answers, paper by paper", "Share of papers given each answer"],
    "quality_strict": ["Consensus answers, paper by paper", "Share of papers given each answer"],
    # one notebook, two sets of papers
    "themes": ["The paper x sub-theme matrix", "Share of papers supporting each theme"],
    "themes_without_low_quality": ["The paper x sub-theme matrix",
                                   "Share of papers supporting each theme"],
    "interview_subthemes": ["The participant x sub-theme matrix"],
    "saturation": ["New codes per interview", "Saturation point at the main threshold"],
    "multiverse": ["Specification curve", "Support of each theme across the specifications"],
}


def test_every_figure_is_shown_once_as_svg_with_its_caption(full_book):
    pages = [page.name for page in bundled_pages()]
    assert set(FIGURES) <= set(pages), "FIGURES names a page the book does not have"
    shown = {}
    for name in pages:
        raw = (full_book.html / f"{name}.html").read_text(encoding="utf-8")
        images = re.findall(r'<img [^>]*src="(_images/[^"]+)"', raw)
        assert len(images) == len(set(images)), f"{name}: a figure is shown twice"
        assert all(src.endswith(".svg") for src in images), name
        captions = [re.sub(r"\s+", " ", html.unescape(text)).strip() for text in re.findall(
            r'<figcaption>.*?<span class="caption-text">(.*?)</span>', raw, flags=re.S)]
        assert raw.count("<figcaption>") == len(captions) == len(images), name
        if images:
            shown[name] = captions
    assert {name: len(c) for name, c in shown.items()} == {
        name: len(c) for name, c in FIGURES.items()}
    for name, expected in FIGURES.items():
        for caption, start in zip(shown[name], expected):
            assert caption.startswith(start), f"{name}: {caption[:80]!r} is not {start!r}"


def test_sample_page_shows_computed_published_counts(full_book):
    text = page_text(full_book.html, "sample_characteristics")
    assert "spoke with 30 adults living in England" in text
    assert "male (6)" in text
    assert "12 participants (40.0%) were from minority ethnic backgrounds" in text
    assert ("Interviews by interviewer role: lived-experience researcher (24 interviews) and "
            "health researcher (6)") in text
    assert "English regions with nobody sampled: East of England" in text
    assert "20 before the study was suspended for the COVID-19 pandemic" in text
    assert "{glue" not in text
    papers = page_text(full_book.html, "included_papers")
    assert "included 29 papers reporting 25 distinct studies" in papers
    assert "{glue" not in papers


def test_multiverse_page_marks_the_prevalence_pages_estimate(full_book):
    text = page_text(full_book.html, "multiverse")
    found = re.search(r"pools (\d+) studies to ([\d.]+) % .*? the same as the Prevalence "
                      r"context page’s ([\d.]+) %", text)
    assert found, text[:2000]
    assert found.group(2) == found.group(3)
    prevalence_text = page_text(full_book.html, "prevalence")
    assert (f"Re-analysing the {found.group(1)} studies of this data package that match it "
            "(Community)") in prevalence_text
    assert f"gives {float(found.group(2)):.1f}%" in prevalence_text
    assert re.search(r"below 10 ?% in \d+ ?% of the [\d,]+ specifications", text)
    assert "The choice that moves the estimate most is the" in text
    assert ("Under the main analysis (at least 3 studies, no paper left out) all 6 themes are "
            "supported, as on the Theme frequencies page.") in text
    assert "The share of the specifications in which each theme is supported: T1 " in text
    assert "{glue" not in text
    tables = full_book.html / "tables" / "multiverse"
    # CSV only: Parquet would load pyarrow into the kernel for the rest of the build
    assert (tables / "multiverse_specifications.csv").exists()
    assert (tables / "multiverse_themes.csv").exists()
    assert not list(tables.glob("*.parquet"))


def test_prisma_page_glues_the_flow_of_the_package(full_book, package):
    from analysis.stats.prisma import prisma_flow

    flow = prisma_flow(package)
    text = (page_text(full_book.html, "prisma").replace(" .", ".")
            .replace("\u2018", "'").replace("\u2019", "'"))
    assert (f"The searches identified {flow.n_identified:,} records from {flow.n_sources} "
            f"sources. {flow.n_duplicates_removed:,} duplicates were removed") in text
    assert f"Of the {flow.n_full_text_assessed:,} full texts assessed for eligibility" in text
    assert (f"The review included {flow.n_included_papers:,} papers" in text
            and f"reporting {flow.n_distinct_studies:,} distinct studies" in text)
    assert f"most often '{flow.top_reason}' ({flow.n_top_reason})" in text
    assert "{glue" not in text


def test_every_crosswalk_target_is_a_section_of_the_built_book(full_book):
    from analysis.chapters import crosswalk

    for key in crosswalk.STANDARDS:
        for page, section in crosswalk.targets(crosswalk.load_crosswalk(key)):
            html_file = full_book.html / f"{page}.html"
            assert html_file.exists(), f"{key}: no page {page}"
            assert f'id="{section}"' in html_file.read_text(encoding="utf-8"), \
                f"{key}: {page} has no section {section}"
    raw = (full_book.html / "reporting_entreq.html").read_text(encoding="utf-8")
    assert '<a href="prisma.html#the-flow-of-records">' in raw
    for page, sentence in [
            ("reporting_entreq", "ENTREQ is the reporting standard for the meta-synthesis: "
                                 "21 items in 5 domains"),
            ("reporting_coreq", "COREQ is the reporting standard for the interview study: "
                                "32 items in 3 domains")]:
        assert sentence in page_text(full_book.html, page).replace(" :", ":"), page


def test_each_reporting_checklist_has_its_page_with_every_item(full_book):
    """PRISMA 2020 (and its abstracts), eMERGe, SRQR and GRIPP2-SF each get a page that
    counts the standard's items and shows one row per item, sub-items lettered."""
    from analysis.chapters import crosswalk

    for key, scope in [("prisma", "PRISMA 2020 is the reporting standard for the systematic "
                                  "review: 27 items in 7 domains (42 entries with their "
                                  "sub-items)"),
                       ("prisma_abstract", "PRISMA 2020 for Abstracts is the reporting "
                                           "standard for the abstract of the systematic "
                                           "review: 12 items in 6 domains"),
                       ("emerge", "eMERGe is the reporting standard for a meta-ethnography: "
                                  "19 items in 7 domains"),
                       ("srqr", "SRQR is the reporting standard for the interview study: "
                                "21 items in 6 domains"),
                       ("gripp2_sf", "GRIPP2-SF is the reporting standard for patient and "
                                     "public involvement in the interview study: 5 items in "
                                     "5 domains")]:
        page = f"reporting_{key}"
        assert scope in page_text(full_book.html, page).replace(" :", ":"), page
        raw = (full_book.html / f"{page}.html").read_text(encoding="utf-8")
        table = raw[raw.index("Each item, its status and where this book reports it"):]
        rows = re.findall(r"<tr>\s*<td[^>]*>([^<]*)</td>", table[:table.index("</table>")])
        items = crosswalk.load_crosswalk(key)["item"].astype(str).tolist()
        assert rows == items, page
    raw = (full_book.html / "reporting_prisma.html").read_text(encoding="utf-8")
    assert '<a href="appraisal.html#the-ratings">' in raw


def _dropdown_texts(html_file: Path) -> list[str]:
    raw = html_file.read_text(encoding="utf-8")
    blocks = re.findall(r'<details class="[^"]*sd-dropdown.*?</details>', raw, flags=re.S)
    return [re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", b))) for b in blocks]


def _dropdown_glues(template: Path) -> list[list[tuple[str, str]]]:
    """The (name, format) of every glued answer (``ex_*``) in each dropdown of a template
    (a dropdown may also quote a word of the page, such as the tool's answer label)."""
    cells = json.loads(template.read_text(encoding="utf-8"))["cells"]
    text = "\n".join(c["source"] if isinstance(c["source"], str) else "".join(c["source"])
                     for c in cells if c["cell_type"] == "markdown")
    blocks = re.findall(r"^:::\{dropdown\}.*?\n(.*?)^:::$", text, flags=re.S | re.M)
    return [re.findall(r"\{glue:text\}`(ex_[a-z0-9_]+)(?::([^`]*))?`", b) for b in blocks]


def test_every_exercise_answer_equals_the_functions_value(full_book, package):
    import dataclasses

    from analysis.chapters.exercises import EXERCISES, answers

    checked = 0
    for page, _ in EXERCISES.items():
        if page == "method_conqual":
            continue  # the bundled data declare no meta-aggregation: test_conqual_book.py
        values = dataclasses.asdict(answers(page, package))
        glues = _dropdown_glues(paths.NOTEBOOKS / f"{page}.ipynb")
        shown = _dropdown_texts(full_book.html / f"{page}.html")
        # Two or three on the data; the CASP and prevalence pages add a fourth each for
        # the methods issue 28 asks them to teach (the kappa paradox, choosing the GLMM).
        assert 2 <= len(glues) <= 4, f"{page}: two to four exercises"
        assert len(shown) == len(glues), f"{page}: every answer is in a dropdown"
        for refs, text in zip(glues, shown):
            assert refs, f"{page}: an answer with no computed value"
            for name, spec in refs:
                expected = format(values[name.removeprefix("ex_")], spec or "")
                assert expected in text, f"{page}: {name} should read {expected!r}: {text}"
                checked += 1
        raw = (full_book.html / f"{page}.html").read_text(encoding="utf-8")
        assert "sd-dropdown" in raw and "<details open" not in raw, "answers start collapsed"
    assert checked >= 30


def test_study_level_intervals_are_shown_beside_the_classical_ones(full_book, package):
    from analysis.stats import clustered, quality

    themes_text = page_text(full_book.html, "themes")
    assert "Papers 95% CI (%)" in themes_text and "Studies 95% CI (%)" in themes_text
    appraisal = page_text(full_book.html, "appraisal")
    result = clustered.clustered_kappa(package, quality.load_tool(), 2000, 20201215)
    assert "classical (answer pairs independent)" in appraisal
    assert (f"cluster bootstrap (papers resampled) {result.kappa:.2f} {result.boot_low:.2f} "
            f"{result.boot_high:.2f}") in appraisal
    assert "resamples drawn with seed 20201215" in appraisal


def test_prevalence_pages_show_the_hartung_knapp_interval_and_the_range_check(full_book):
    for page in ("prevalence", "prevalence_sensitivity_pm", "prevalence_sensitivity_ft"):
        text = page_text(full_book.html, page)
        assert "95% CI, Hartung-Knapp (%)" in text, page
        assert ("Every pooled prevalence lies within the range" in text
                or "Flag: the back-transformed pooled prevalence" in text), page


def test_the_bibliography_has_a_page_of_its_own(full_book):
    references = page_text(full_book.html, "references")
    assert "The PRISMA 2020 statement" in references and "Troup" in references
    assert 'class="citation-list"' in (full_book.html / "references.html").read_text("utf-8")
    raw = (full_book.html / "intro.html").read_text(encoding="utf-8")
    assert 'class="citation-list"' not in raw and 'href="references.html"' in raw


def test_every_page_is_stamped_with_the_edition(full_book):
    stamp = f"Edition {__version__} · commit "
    data = f"data {fingerprint(paths.DATA_SYNTHETIC)}"
    for page in bundled_pages():
        text = page_text(full_book.html, page.name)
        assert stamp in text and data in text, page.name
        assert "Synthetic data: every number in this edition is computed" in text, page.name


def test_manifest_and_provenance(full_book):
    manifest = json.loads(full_book.manifest.read_text())
    assert manifest["version"] == __version__
    assert manifest["data"]["synthetic"] is True
    assert set(manifest["data"]["files"]) >= {"participants.csv", "datapackage.json"}
    assert {p["name"] for p in manifest["pages"]} == {p.name for p in bundled_pages()}
    assert any(t.startswith("sample_characteristics/") for t in manifest["tables"])
    text = page_text(full_book.html, "provenance")
    assert "participants.csv" in text and "year_periods = [2003, 2010, 2015]" in text


def test_the_published_books_source_is_kept_and_builds_alone(full_book):
    from benchmarks.bench import jupyter_book_alone_seconds

    source = paths.book_source_dir(full_book.html.parent.parent)
    config = yaml.safe_load((source / "_config.yml").read_text())
    assert "analysis.engine.book_hooks" in config["sphinx"]["extra_extensions"]
    assert {p.name for p in bundled_pages()} <= {p.stem for p in (source / "book").iterdir()}
    # The hold is inert without the build engine: a plain jupyter-book build does not wait.
    assert jupyter_book_alone_seconds(source) > 0


def book_builds_running(root: Path) -> list[str]:
    """Command lines of processes whose arguments name ``root`` (Linux /proc)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "jupyter-book" in text and str(root) in text:
            found.append(text)
    return found


def sphinx_written_pages(build_root: Path) -> set[str]:
    """The pages the last jupyter-book build of ``build_root`` wrote (from its log)."""
    log = re.sub(r"\x1b\[[0-9;]*m", "", (build_root / "_build" / "jupyter-book.log").read_text())
    return set(re.findall(r"writing output\.\.\. \[\s*\d+%\] (\S+)", log))


def test_the_cache_and_a_rebuild_redo_only_what_changed(
        tmp_path, data_copy, monkeypatch):
    """One build folder through a series of changes. The execution cache re-executes only
    the pages whose inputs changed; a plain build keeps Sphinx's output for the next one
    (issue 29): after one data cell changes, Sphinx reads and writes only the pages that
    read the file, and the book published says what a build from nothing says (the
    forced build at the end: every notebook run again and Sphinx started from nothing,
    on the same data folder, which a page shows)."""
    pages = small_pages(tmp_path)
    root = tmp_path / "root"
    first = build(data_dir=data_copy, build_root=root, pages_file=pages, say=lambda s: None)
    assert {p.name for p in first.pages if p.status == "executed"} == {
        "intro", "data_dictionary", "sample_characteristics", "included_papers"}
    kept = root / "_build" / "jupyter-book"
    assert (kept / "_build" / "html" / "index.html").exists()

    # Editing the engine (here a comment in the editions module, put back afterwards)
    # changes no page's cache key: pages do not import it.
    engine_file = paths.PACKAGE / "engine" / "editions.py"
    source = engine_file.read_bytes()
    # The edit itself would mark a clean checkout '-dirty' in the edition stamp (and so
    # change the book): the stamp is held at what it was before the edit.
    from analysis.engine import provenance

    before = provenance.git_commit()
    monkeypatch.setattr(provenance, "git_commit", lambda root=paths.ROOT: before)
    try:
        engine_file.write_bytes(source + b"\n# an edit of the engine\n")
        again = build(data_dir=data_copy, build_root=root, pages_file=pages, say=lambda s: None)
    finally:
        engine_file.write_bytes(source)
        monkeypatch.undo()
    assert {p.status for p in again.pages if p.notebook} == {"reused"}
    assert again.book_rebuilt is False

    # cerqual.csv is read only by the data dictionary (it counts every table's rows).
    edit_cell(data_copy, "cerqual.csv", 2, "explanation", "Changed explanation")
    third = build(data_dir=data_copy, build_root=root, pages_file=pages, say=lambda s: None)
    executed = {p.name: p.reason for p in third.pages if p.status == "executed"}
    assert executed == {"data_dictionary": "data changed: cerqual.csv"}

    # One participant's cell: Sphinx writes the sample page again, not the papers page.
    edit_cell(data_copy, "participants.csv", 2, "gender", "male")
    warm = build(data_dir=data_copy, build_root=root, pages_file=pages, say=lambda s: None)
    written = sphinx_written_pages(root)
    assert "sample_characteristics" in written and "included_papers" not in written, written
    names = [p.name for p in warm.pages if p.name != "provenance"]  # its times differ
    warm_text = {page: page_text(warm.html, page) for page in names}
    assert "@@" not in warm_text["included_papers"]
    # The same files as a build from nothing (no figure of the first build left over), a
    # search index without the words only the first build's pages had, the same
    # stylesheets on every page written again.
    def files(html):
        return sorted(p.relative_to(html).as_posix() for p in html.rglob("*") if p.is_file())

    def stylesheets(html, page):
        return re.findall(r'<link rel="stylesheet"[^>]*>',
                          (html / f"{page}.html").read_text(encoding="utf-8"))

    warm_files = files(warm.html)
    warm_styles = {page: stylesheets(warm.html, page) for page in written}
    assert ": []" not in (warm.html / "searchindex.js").read_text(encoding="utf-8")
    # --force starts Sphinx from nothing: every page is written again, and every page
    # reads as the warm build's.
    cold = build(data_dir=data_copy, build_root=root, pages_file=pages, force=True,
                 say=lambda s: None)
    assert {"included_papers", "sample_characteristics", "intro"} <= sphinx_written_pages(root)
    assert {p.name for p in cold.pages if p.name != "provenance"} == set(names)
    for page in names:
        assert warm_text[page] == page_text(cold.html, page), page
    assert warm_files == files(cold.html)
    for page, links in warm_styles.items():
        assert links == stylesheets(cold.html, page), page

    changed = small_pages(tmp_path, year_periods=(2003, 2012))
    fourth = build(data_dir=data_copy, build_root=root, pages_file=changed, say=lambda s: None)
    executed = {p.name: p.reason for p in fourth.pages if p.status == "executed"}
    assert executed == {"included_papers": "parameters changed"}
    assert "2012-" in page_text(fourth.html, "included_papers")


def test_failures_leave_the_last_good_book_untouched(tmp_path, data_copy, small_book):
    root = small_book_copy(small_book, tmp_path / "root")  # the last good book
    good_html = paths.html_dir(root)
    before = tree_hash(good_html)

    # A notebook that fails: a period starts after the latest year a paper can have.
    failing = small_pages(tmp_path, year_periods=(2003, 3000))
    with pytest.raises(BuildError) as caught:
        build(data_dir=data_copy, build_root=root, pages_file=failing, say=lambda s: None)
    message = str(caught.value)
    assert "page 'included_papers'" in message and "ValueError" in message
    assert "after the latest year a paper can have" in message and "is untouched" in message
    assert tree_hash(good_html) == before
    # The book build started ahead of the notebooks is ended with them.
    assert book_builds_running(root) == []
    # Nothing a failed build wrote is kept for the next one.
    assert not (root / "_build" / "jupyter-book").exists()

    # Bad data: nothing runs.
    pages = small_pages(tmp_path)
    edit_cell(data_copy, "participants.csv", 4, "gender", "mal")
    with pytest.raises(DataPackageError, match="participants.csv:4:gender"):
        build(data_dir=data_copy, build_root=root, pages_file=pages, say=lambda s: None)
    assert tree_hash(good_html) == before


def test_a_sphinx_warning_fails_the_build_and_keeps_the_last_good_book(
        tmp_path, data_copy, monkeypatch, small_book):
    import shutil

    pages = small_pages(tmp_path)
    root = small_book_copy(small_book, tmp_path / "root")  # the last good book
    good_html = paths.html_dir(root)
    before = tree_hash(good_html)

    book = tmp_path / "book"
    shutil.copytree(paths.BOOK, book, ignore=shutil.ignore_patterns("notebooks"))
    references = book / "references.md"
    references.write_text(references.read_text() + "\nSee {ref}`a-label-nobody-defined`.\n")
    monkeypatch.setattr(paths, "BOOK", book)
    # Forced, so the notebooks run again and jupyter-book is started ahead.
    with pytest.raises(BuildError) as caught:
        build(data_dir=data_copy, build_root=root, pages_file=pages, force=True,
              say=lambda s: None)
    message = str(caught.value)
    assert "jupyter-book build failed" in message and "is untouched" in message
    assert "  references.md:" in message
    assert "WARNING: undefined label: 'a-label-nobody-defined'" in message
    assert ".staging" not in message
    assert tree_hash(good_html) == before
    assert book_builds_running(root) == []


def test_cli_build_on_bad_data_gives_one_clear_message(data_copy):
    edit_cell(data_copy, "studies.csv", 3, "year", "1999")
    proc = subprocess.run([sys.executable, "-m", "analysis", "build", "--data-dir",
                           str(data_copy), "--build-root", str(data_copy.parent / "root")],
                          capture_output=True, text=True, cwd=paths.ROOT)
    assert proc.returncode == 2
    assert "studies.csv:3:year: 1999 is below the minimum of 2003" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_another_seed_builds_a_different_book_with_the_same_published_counts(
        tmp_path, small_book):
    data = tmp_path / "s7"
    generate(seed=7, out_dir=data)
    pages = small_pages(tmp_path)
    result = build(data_dir=data, build_root=tmp_path / "root", pages_file=pages,
                   say=lambda s: None)
    text = page_text(result.html, "sample_characteristics")
    assert "spoke with 30 adults" in text and "male (6)" in text
    assert "lived-experience researcher (24 interviews)" in text
    assert f"data {fingerprint(data)}" in text
    table = "sample_characteristics/characteristics_of_the_interview_sample_n_of_participants.csv"
    assert ((result.html / "tables" / table).read_text()
            != (paths.html_dir(small_book) / "tables" / table).read_text())


def test_release_and_diff_report_a_changed_cell(tmp_path, data_copy, small_book):
    pages = small_pages(tmp_path)
    root = small_book_copy(small_book, tmp_path / "root")  # the book to release
    printed = tmp_path / "printed.pdf"  # stands in for the PDF edition (tests/book/test_pdf.py)
    printed.write_bytes(b"%PDF-1.4 the book")
    made = release(build_root=root, root=tmp_path, version="1.0.0", pdf=printed)
    assert (made.folder / "book.tar.gz").exists() and len(made.archive_sha256) == 64
    assert (made.folder / "book.pdf").read_bytes() == printed.read_bytes()
    assert (made.folder / "book.pdf.sha256").read_text().endswith("  book.pdf\n")
    assert (made.folder / "tables" / "sample_characteristics").is_dir()

    # One row differs: the first participant becomes a man.
    edit_cell(data_copy, "participants.csv", 2, "gender", "male")
    build(data_dir=data_copy, build_root=root, pages_file=pages, say=lambda s: None)
    result = diff("1.0.0", "build", build_root=root, root=tmp_path)
    assert any(line.startswith("data file participants.csv") for line in result.inputs)
    table = "sample_characteristics/characteristics_of_the_interview_sample_n_of_participants.csv"
    assert table in result.tables_changed
    male = [c for c in result.cells if c.table == table and c.row == "Gender"
            and c.column == "n" and int(c.new) == int(c.old) + 1]
    assert male, result.format()


def _glued(notebook: Path) -> dict[str, str]:
    nb = json.loads(notebook.read_text())
    return {o["metadata"]["scrapbook"]["name"]: o["data"].get("text/plain")
            for cell in nb["cells"] for o in cell.get("outputs", [])
            if "scrapbook" in o.get("metadata", {})}


def test_reused_kernels_give_the_same_numbers_as_fresh_ones(tmp_path, small_book,
                                                            small_book_made):
    pages = small_pages(tmp_path)
    # The small book is built by one worker, so its pages run in the same kernel, one
    # after the other.
    reused = small_book
    fresh = build(build_root=tmp_path / "fresh", pages_file=pages, jobs=1,
                  reuse_kernels=False, say=lambda s: None)
    for page in ("data_dictionary", "sample_characteristics"):
        a = _glued(paths.executed_dir(reused) / f"{page}.ipynb")
        b = _glued(paths.executed_dir(tmp_path / "fresh") / f"{page}.ipynb")
        assert a and a == b, page
        nb = json.loads((paths.executed_dir(reused) / f"{page}.ipynb").read_text())
        assert not any("cen-book-prelude" in c["metadata"].get("tags", []) for c in nb["cells"])
    assert paths.html_dir(reused).exists() and fresh.html.exists()
    # Every worker shut its kernel down, after the reused kernels' build (in the process
    # that made the small book) and after the fresh ones' (here).
    assert small_book_made["kernels_left"] == []
    assert ipykernels() == []


def test_a_plain_build_gives_the_same_glued_values(tmp_path, small_book):
    # --plain leaves out every speed-up that relies on private internals
    # (analysis/engine/internals.py); the book must not change.
    pages = small_pages(tmp_path)
    plain = build(build_root=tmp_path / "plain", pages_file=pages, plain=True,
                  say=lambda s: None)
    for page in ("data_dictionary", "sample_characteristics"):
        a = _glued(paths.executed_dir(small_book) / f"{page}.ipynb")
        b = _glued(paths.executed_dir(tmp_path / "plain") / f"{page}.ipynb")
        assert a and a == b, page
    assert (plain.html / "index.html").exists()
    assert PLAN_ENV not in __import__("os").environ  # the build restores the environment
