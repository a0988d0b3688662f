"""The website's fixes (analysis.engine.site) and the file checks of the built site
(tests/sitecheck.py), on small hand-made sites."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import yaml

from analysis import paths
from analysis.engine import site
from tests import sitecheck


def _site(tmp_path: Path, pages: dict[str, str]) -> Path:
    for name, body in pages.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"<html><body>{body}</body></html>", encoding="utf-8")
    return tmp_path


def test_maths_needs_no_network():
    # dollarmath/amsmath make Sphinx load MathJax from a CDN for the first formula.
    config = yaml.safe_load(paths.CONFIG.read_text())
    extensions = config["parse"]["myst_enable_extensions"]
    assert "dollarmath" not in extensions and "amsmath" not in extensions
    assert "analysis.engine.site" in config["sphinx"]["extra_extensions"]


def test_the_theme_gets_one_navbar_less_and_a_mode():
    config = SimpleNamespace(html_theme_options={"announcement": "x"}, html_context=None)
    site._configure(None, config)
    assert config.html_theme_options == {"announcement": "x", "navbar_persistent": []}
    assert config.html_context == {"default_mode": "light"}
    # The book's copies of theme templates come first (the search button's name).
    assert config.templates_path == [str(site.TEMPLATES)]
    assert (site.TEMPLATES / "search-button-field.html").exists()
    # An explicit choice is kept.
    config = SimpleNamespace(html_theme_options={"navbar_persistent": ["search-button"]},
                             html_context={"a": 1})
    site._configure(None, config)
    assert config.html_theme_options["navbar_persistent"] == ["search-button"]
    assert config.html_context == {"a": 1, "default_mode": "light"}


def test_thebe_scripts_are_dropped_and_others_kept():
    scripts = [SimpleNamespace(filename="_static/jquery.js", attributes={}),
               SimpleNamespace(filename=None, attributes={"body": 'const THEBE_JS_URL = "u"'}),
               SimpleNamespace(filename="_static/sphinx-thebe.js", attributes={"async": "async"}),
               SimpleNamespace(filename=None, attributes={"body": "var x = 1"})]
    context = {"script_files": scripts}
    site._drop_thebe(None, "intro", "page.html", context, None)
    assert context["script_files"] == [scripts[0], scripts[3]]


def test_launch_buttons_open_the_template_a_page_renders():
    repo = "cen-evidence-book/cen-evidence-book"
    binder = f"https://mybinder.org/v2/gh/{repo}/main?urlpath=lab/tree/book/notebooks/"
    colab = f"https://colab.research.google.com/github/{repo}/blob/main/book/notebooks/"
    context = {"header_buttons": [
        {"label": "download-buttons", "buttons": [{"url": "_sources/quality_strict.ipynb"}]},
        {"label": "launch-buttons", "buttons": [
            {"text": "Binder", "url": binder + "quality_strict.ipynb"},
            {"text": "Colab", "url": colab + "quality_strict.ipynb"},
            {"text": "Live Code", "javascript": "initThebeSBT()"}]}]}
    app = SimpleNamespace(config=SimpleNamespace(**{site.TEMPLATES_KEY: {
        "quality_strict": "quality", "quality": "quality"}}))
    site._launch_templates(app, "quality_strict", "page.html", context, None)
    download, launch = context["header_buttons"]
    assert [b.get("url") for b in launch["buttons"]] == [
        binder + "quality.ipynb", colab + "quality.ipynb", None]
    assert download["buttons"] == [{"url": "_sources/quality_strict.ipynb"}]
    # A page that renders the template of its own name, or is not a notebook, is kept.
    assert site.launch_url(colab + "quality.ipynb", "quality", "quality") == colab + "quality.ipynb"
    assert site.launch_url("https://example.org/x.md", "x", "y") == "https://example.org/x.md"


def test_the_books_source_names_the_template_of_each_notebook_page():
    from analysis.contract.files import PackageFiles
    from analysis.engine.book import book_config
    from analysis.engine.pages import load_pages
    from analysis.engine.provenance import edition

    pages = load_pages()
    config = book_config(edition(PackageFiles.at(paths.DATA_SYNTHETIC)), pages)
    templates = config["sphinx"]["config"][site.TEMPLATES_KEY]
    assert templates["quality_strict"] == "quality"
    assert templates["reporting_coreq"] == "crosswalk"
    assert templates["intro"] == "intro" and "references" not in templates
    assert all((paths.NOTEBOOKS / f"{t}.ipynb").exists() for t in templates.values())


def test_a_change_to_the_extension_changes_the_books_source():
    from analysis.contract.files import PackageFiles
    from analysis.engine.book import book_config
    from analysis.engine.provenance import edition

    config = book_config(edition(PackageFiles.at(paths.DATA_SYNTHETIC)))
    assert config["sphinx"]["config"][site.FINGERPRINT_KEY] == site.fingerprint()
    assert len(site.fingerprint()) == 64


def test_broken_links_name_the_page_and_what_is_missing(tmp_path):
    html = _site(tmp_path, {
        "a.html": '<h1 id="top">A</h1><a href="b.html#there">ok</a><a href="#top">self</a>'
                  '<a href="https://example.org/x">external</a><img src="_images/f.svg">'
                  '<a href="c.html">gone</a><a href="b.html#nowhere">no anchor</a>',
        "b.html": '<p id="there">B</p>',
        "_images/f.svg": "",
        "_static/template.html": "<a href=\"{{ pathto('x') }}\">ignored</a>",
    })
    assert sitecheck.broken_links(html) == [
        "a.html: c.html -> no such file",
        "a.html: b.html#nowhere -> no element with id 'nowhere'",
    ]


def test_raw_less_than_in_a_cell_is_found_and_escaped_is_not(tmp_path):
    html = _site(tmp_path, {
        "ok.html": "<table><tr><td>&lt; 0.001</td><td>3 &lt;3</td></tr></table>"
                   "<script>if (a < b) {}</script><!-- a < b -->",
        "bad.html": "<table><tr>\n<td>< 0.001</td></tr></table>",
    })
    problems = sitecheck.raw_less_than(html)
    assert len(problems) == 1 and problems[0].startswith("bad.html:2: raw '<'")


def test_local_paths_are_found_in_any_text_file(tmp_path):
    root = Path("/home/someone/cen-book")
    html = _site(tmp_path, {"a.html": "<p>built</p>", "b.html": f"<p>{root}/data</p>"})
    (html / "manifest.json").write_text(f'{{"data_dir": "{root}/data_synthetic"}}')
    assert sitecheck.local_paths(html, [root]) == [
        f"b.html: contains {root}", f"manifest.json: contains {root}"]


def test_downloadable_notebooks_lose_the_build_paths():
    import json

    root = "/home/someone/cen-book"
    nb = {"cells": [{"cell_type": "code", "source": f"data_dir = '{root}/data_synthetic'",
                     "metadata": {}, "outputs": []}],
          "metadata": {"papermill": {"input_path": {"cells": [f"{root}/_build/x"]},
                                     "output_path": f"{root}/_build/executed/x.ipynb",
                                     "parameters": {"data_dir": "data_synthetic"}}}}
    out = site.portable_notebook(json.dumps(nb), root)
    assert root not in out
    back = json.loads(out)
    assert back["metadata"]["papermill"] == {"parameters": {"data_dir": "data_synthetic"}}
    assert back["cells"][0]["source"] == "data_dir = './data_synthetic'"


def test_alt_text_is_the_caption_in_one_line_and_cut_at_a_word():
    assert site.caption_alt("Fig. 1 Pooled\n prevalence by   setting") == (
        "Fig. 1 Pooled prevalence by setting")
    long = "word " * 100
    alt = site.caption_alt(long, limit=50)
    assert alt.endswith("…") and len(alt) <= 51 and "  " not in alt


def test_a_figure_image_named_by_its_file_gets_its_caption(tmp_path):
    from docutils import nodes

    uri = "_images/0f83.svg"
    figure = nodes.figure("", nodes.image(uri=uri, alt=uri),
                          nodes.caption("", "Consensus answers, paper by paper"))
    kept = nodes.figure("", nodes.image(uri="b.svg", alt="A chosen description"),
                        nodes.caption("", "Caption"))
    doctree = nodes.document(None, None)
    doctree += [figure, kept]
    site._alt_from_captions(None, doctree, "quality")
    assert figure.children[0]["alt"] == "Consensus answers, paper by paper"
    assert kept.children[0]["alt"] == "A chosen description"


def test_the_edition_stamp_is_written_into_the_built_pages_not_given_to_sphinx(tmp_path):
    """Sphinx sees one mark in every edition, so a new data fingerprint is no change of
    its configuration (which would rewrite every page); the stamp goes into the pages
    after the build, and into the kept source, which then builds the book as published."""
    from analysis.engine.book import (STAMP_MARK, BookSource, book_config, stamp_kept_source,
                                      stamp_pages)
    from analysis.engine.provenance import Edition

    stamp = Edition("1.2.0", "abc1234", "f00df00df00d", synthetic=True)
    config = book_config(stamp)
    assert STAMP_MARK in config["html"]["extra_footer"]
    assert "f00df00df00d" not in yaml.safe_dump(config)
    assert book_config(Edition("1.2.0", "abc1234", "0123456789ab", True)) == config
    site_dir = _site(tmp_path / "html", {
        "index.html": f'<p class="edition-stamp">{STAMP_MARK}</p>',
        "sub/page.html": f'<p class="edition-stamp">{STAMP_MARK}</p>',
        "_static/other.html": "no stamp here"})
    assert stamp_pages(site_dir, stamp) == 2
    assert (site_dir / "sub" / "page.html").read_text(encoding="utf-8") == (
        '<html><body><p class="edition-stamp">Edition 1.2.0 · commit abc1234 · '
        'data f00df00df00d</p></body></html>')
    assert "no stamp here" in (site_dir / "_static" / "other.html").read_text()
    source = BookSource(tmp_path / "source")
    source.folder.mkdir()
    source.config.write_text(yaml.safe_dump(config), encoding="utf-8")
    stamp_kept_source(source, stamp)
    kept = yaml.safe_load(source.config.read_text(encoding="utf-8"))
    assert kept["html"]["extra_footer"] == (
        '<p class="edition-stamp">Edition 1.2.0 · commit abc1234 · data f00df00df00d</p>')


def test_icons_are_the_ones_the_pages_name_in_a_font_of_their_own(tmp_path):
    from pathlib import Path as _Path

    import pydata_sphinx_theme
    from fontTools.ttLib import TTFont

    css = ('.fa-search:before,.fa-magnifying-glass:before{content:"\\f002"}'
           '.fa-sun:before{content:"\\f185"}.fa-moon:before{content:"\\f186"}'
           '.x:after{content:"\\f107"}:root{--pst-icon-bell:"\uf0f3"}')
    used = site.icon_codepoints(css, ['<i class="fa-solid fa-magnifying-glass"></i>',
                                      'f.classList="fa-solid fa-sun"'])
    assert used == {"magnifying-glass": 0xF002, "sun": 0xF185}  # not the moon
    assert site.css_glyphs([css]) == {0xF107, 0xF0F3}  # drawn by stylesheets themselves
    font = (_Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme"
            / "static" / "vendor" / "fontawesome" / "webfonts" / "fa-solid-900.ttf")
    out = site.subset_icons(font, [0xF002, 0xF185], tmp_path / "icons.woff")
    kept = TTFont(out)
    assert kept.flavor == "woff" and set(kept.getBestCmap()) == {0xF002, 0xF185}
    assert out.stat().st_size < 10_000 < font.stat().st_size


def test_toggles_are_named_by_their_words_and_references_are_list_items():
    from types import SimpleNamespace

    from docutils import nodes
    from sphinx.writers.html5 import HTML5Translator

    translator = SimpleNamespace(body=[])
    toggle = {"classes": ["tag_hide-input"], "prompt_show": "Show code cell source",
              "prompt_hide": "Hide code cell source"}
    site._visit_hidden_input(translator, toggle)
    html = "".join(translator.body)
    assert "<summary>" in html and "aria-label" not in html and "Show code cell source" in html

    class Translator:  # the one method of Sphinx's translator the visitor calls
        visit_citation = HTML5Translator.visit_citation

        def __init__(self):
            self.body = []

        def starttag(self, node, tag, suffix="\n", **attributes):
            return f'<{tag} role="{attributes.get("role")}">'

    section = nodes.section()
    citation = nodes.citation()
    section += citation
    writer = Translator()
    site._visit_citation(writer, citation)
    html = "".join(writer.body)
    assert '<div role="list"' in html and 'role="listitem"' in html
    assert "doc-biblioentry" not in html


def test_only_the_notebooks_a_build_wrote_are_made_portable_again(tmp_path):
    import json

    root = str(paths.ROOT)
    nb = {"cells": [], "metadata": {"papermill": {"input_path": f"{root}/x.ipynb"}},
          "nbformat": 4, "nbformat_minor": 5}
    sources = tmp_path / "_sources"
    sources.mkdir()
    for name in ("written.ipynb", "kept.ipynb"):
        (sources / name).write_text(json.dumps(nb), encoding="utf-8")
    app = SimpleNamespace(builder=SimpleNamespace(format="html"), outdir=str(tmp_path))
    site._note_written_source(app, "written", "page.html", {"sourcename": "written.ipynb"},
                              None)
    site._note_written_source(app, "intro", "page.html", {"sourcename": "intro.md"}, None)
    site._portable_sources(app, None)
    written = json.loads((sources / "written.ipynb").read_text(encoding="utf-8"))
    assert "input_path" not in written["metadata"]["papermill"]
    # A page Sphinx did not write keeps the source an earlier build made portable.
    assert (sources / "kept.ipynb").read_text(encoding="utf-8") == json.dumps(nb)


def _icon_site(tmp_path: Path, page: str) -> SimpleNamespace:
    import shutil

    import pydata_sphinx_theme

    theme = (Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme"
             / "static")
    out = tmp_path / "html"
    static = out / "_static"
    for part in ("scripts/fontawesome.js", "styles/pydata-sphinx-theme.css",
                 "vendor/fontawesome/webfonts/fa-solid-900.ttf"):
        (static / part).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(theme / part, static / part)
    (out / "index.html").write_text(page, encoding="utf-8")
    (tmp_path / "doctrees").mkdir(exist_ok=True)
    return SimpleNamespace(builder=SimpleNamespace(format="html"), outdir=str(out),
                           doctreedir=str(tmp_path / "doctrees"))


def test_the_icon_font_is_subset_again_only_when_other_icons_are_used(tmp_path):
    from fontTools.ttLib import TTFont

    app = _icon_site(tmp_path, '<i class="fa-solid fa-sun"></i>')
    site._light_icons(app, None)
    font = Path(app.outdir) / "_static" / site.ICON_FONT
    first = font.stat().st_ino, font.read_bytes()
    assert 0xF185 in TTFont(font).getBestCmap()
    # The next build into the same output, with the same icons: the subset is kept.
    app = _icon_site(tmp_path, '<i class="fa-solid fa-sun"></i> other words')
    site._light_icons(app, None)
    assert (font.stat().st_ino, font.read_bytes()) == first
    # A page that names another icon: the font holds it.
    app = _icon_site(tmp_path, '<i class="fa-solid fa-sun"></i><i class="fa-solid fa-moon">')
    site._light_icons(app, None)
    assert {0xF185, 0xF186} <= set(TTFont(font).getBestCmap())
    # A subset whose record is gone is made again.
    (tmp_path / "doctrees" / "cen-icons.json").unlink()
    font.unlink()
    site._light_icons(app, None)
    assert {0xF185, 0xF186} <= set(TTFont(font).getBestCmap())


def test_images_no_page_shows_are_removed(tmp_path):
    images = _site(tmp_path / "_images", {"new.svg": "", "old.svg": ""})
    app = SimpleNamespace(builder=SimpleNamespace(format="html", imagedir="_images"),
                          outdir=str(tmp_path),
                          env=SimpleNamespace(images={"/x/new.svg": ({"prevalence"}, "new.svg")}))
    site._drop_stale_images(app, None)
    assert sorted(p.name for p in images.iterdir()) == ["new.svg"]


def test_a_rebuild_links_myst_nbs_stylesheet_as_a_clean_build_does(tmp_path):
    static = tmp_path / "_static"
    static.mkdir()
    (static / "mystnb.0f83.css").write_text("p {}", encoding="utf-8")
    (static / "book.css").write_text("p {}", encoding="utf-8")
    site._drop_late_stylesheet(SimpleNamespace(builder=SimpleNamespace(format="html"),
                                               outdir=str(tmp_path)))
    assert [p.name for p in static.iterdir()] == ["book.css"]


def test_the_search_index_has_no_word_without_a_page():
    """A word only pages read again had stays in an index kept between builds with no
    page; a clean build's index has no such word, and neither has the frozen one."""
    from sphinx.search import IndexBuilder

    site.escaped_search_index()
    index = IndexBuilder.__new__(IndexBuilder)  # the state freeze() reads, no Sphinx app
    index.env = SimpleNamespace(domains={}, version={})
    index._titles = {"a": "A", "b": "B"}
    index._filenames = {"a": "a.md", "b": "b.md"}
    index._mapping = {"kept": {"a", "b"}, "once": {"b"}, "gone": set()}
    index._title_mapping = {"gone": set(), "title": {"a"}}
    index._all_titles, index._index_entries = {}, {}
    index._objtypes, index._objnames = {}, {}
    frozen = IndexBuilder.freeze(index)
    assert frozen["terms"] == {"kept": [0, 1], "once": 1}
    assert frozen["titleterms"] == {"title": 0}
