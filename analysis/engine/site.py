"""Sphinx extension: the book as a website that works on a phone and prints honestly.

Jupyter Book 1.0.4 pins sphinx-book-theme 1.3.0, which runs on pydata-sphinx-theme 0.17.
That pair, as shipped, breaks a reader's navigation and console in three ways; this
extension fixes each at its source instead of patching the theme's JavaScript:

- **Toggles that do nothing.** pydata-sphinx-theme 0.17 renders a top navbar holding a
  second ``.primary-toggle`` and ``.secondary-toggle`` (and a second search box) ahead of
  the book theme's own buttons in the article header. Both themes bind their handlers
  to the *first* match of ``document.querySelector(".primary-toggle")``, the navbar's,
  which the book theme's CSS hides: the visible buttons get no listener, so the sidebar
  can neither be opened on a phone nor collapsed on a desktop (pydata-sphinx-theme issue
  2451; sphinx-book-theme pull request 1000 removes the same navbar). The navbar is
  rendered only when one of its item lists is non-empty; the book theme empties all but
  ``navbar_persistent``, which pydata-sphinx-theme then fills with a search field.
  Setting it to ``[]`` removes the navbar, and with it the duplicates.
- **No theme mode.** Without ``default_mode`` in the HTML context the theme's script
  reads an empty mode and logs "Got invalid theme mode" on every page.
- **File names as alt text.** A glued figure's image has its hashed file name as alt
  text; it gets the figure's caption instead (:func:`caption_alt`).
- **Build paths in downloads.** The executed notebooks offered for download carry the
  builder's folders (see :func:`portable_notebook`).
- **Thebe configured twice.** sphinx-thebe adds its inline configuration (``const
  THEBE_JS_URL = ...``) from an ``env-before-read-docs`` handler, with no guard against
  adding it again; in this build it reaches every page twice, and every page throws
  "Identifier 'THEBE_JS_URL' has already been declared". The book has no live-code
  (Binder) button, so thebe's scripts, which would also fetch thebe from unpkg.com on
  demand, are dropped from every page.
- **Titles printed as HTML.** pydata-sphinx-theme prints the book's title
  (``docstitle``) unescaped in the navigation bar of every page, and sphinx-book-theme
  the page's title (``pagetitle``, for print) and the landing page's (``root_title``,
  in the sidebar), which it reads as plain text. A build on a data package takes the
  book's title from the package (``study.title``) and page titles from the pages
  file: a title holding ``<img src=x onerror=...>`` ran a script on every page. Every
  such value reaches the templates as escaped markup (:func:`escape_titles`), which
  templates that escape it themselves (``docstitle|e``) leave as it is.
- **Section titles as HTML in search results.** Sphinx 7.4's search page writes the
  title of a matching section into the results with ``innerHTML``, and its index holds
  those titles as plain text (``alltitles``): a page title from the pages file holding
  ``<img src=x onerror=...>`` ran when a reader searched for one of its words. The index
  holds them escaped (:func:`escaped_search_index`).
- **Launch buttons to notebooks that do not exist.** The book theme links a page's
  Binder and Colab buttons to ``<path_to_book>/<page>.ipynb``. A page that renders a
  notebook template under other parameters (``prevalence_sensitivity_pm`` renders
  ``prevalence``) has no template of its own name, so its buttons led to a missing file;
  they open the template it renders instead (:func:`launch_url`), which the build names
  for each page (``TEMPLATES_KEY``).

Four more make the pages accessible (WCAG 2.1 AA, checked with axe-core by
``tests/browser/test_browser.py``) and light:

- **Toggles named "Toggle hidden content".** myst-nb names every code cell's toggle so,
  whatever it says on screen ("Show code cell source"): a speech-input user who says
  what they see reaches nothing (WCAG 2.5.3, label in name). The toggle is named by its
  visible words (:func:`_visit_hidden_input`).
- **A search button named less than it says.** The theme names it "Search" while it
  shows "Search Ctrl+K"; the book's own copy of the theme's template
  (``site_templates/search-button-field.html``, ahead of the theme's in
  ``templates_path``) leaves the name to its words.
- **A bibliography that is not a list.** docutils marks each reference
  ``role="doc-biblioentry"``, a role ARIA 1.3 has withdrawn: assistive technology then
  sees a ``role="list"`` without items. Each reference is a ``listitem``
  (:func:`_visit_citation`).
- **1.5 MB of icons.** The theme draws its icons with Font Awesome's script
  (``fontawesome.js``, 1.49 MB, every icon there is). The book uses about fifteen: the
  pages get them from a subset of Font Awesome's own solid font (a few kilobytes,
  :func:`subset_icons`), through the theme's own CSS classes, and the script the theme
  loads is left empty (:func:`_light_icons`).

Print and on-screen behaviour (the synthetic-data notice and the edition stamp kept in
print and in view) is CSS and a few lines of JavaScript in ``book/_static``, which the
book's source, and so its rebuild check, includes.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from analysis import paths

THEME_MODE = "light"
TEMPLATES = Path(__file__).with_name("site_templates")
# The book's source records this file's hash (``book_config``), so that a change here
# rebuilds the book although the pages are unchanged.
FINGERPRINT_KEY = "cen_site_sha256"
# {page: notebook template it renders}, set by the build (``book_config``).
TEMPLATES_KEY = "cen_page_templates"


def fingerprint() -> str:
    """SHA-256 of this extension's source and its templates."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for template in sorted(TEMPLATES.glob("*.html")):
        digest.update(template.name.encode() + b"\0" + template.read_bytes())
    return digest.hexdigest()


def _configure(app, config) -> None:
    options = config.html_theme_options
    options.setdefault("navbar_persistent", [])
    config.templates_path = [str(TEMPLATES), *(getattr(config, "templates_path", None) or [])]
    config.html_context = {**(config.html_context or {}), "default_mode": THEME_MODE}


def is_thebe_script(script: Any) -> bool:
    """Whether a page script is sphinx-thebe's (its file or its inline configuration)."""
    filename = str(getattr(script, "filename", script) or "")
    body = getattr(script, "attributes", {}).get("body", "")
    return filename.endswith("sphinx-thebe.js") or "THEBE_JS_URL" in body


def _drop_thebe(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if scripts:
        context["script_files"] = [s for s in scripts if not is_thebe_script(s)]


# Plain text in the themes' template context that their templates print unescaped.
TITLE_KEYS = ("docstitle", "shorttitle", "project", "pagetitle", "root_title",
              "page_description", "author")


def escape_titles(context: dict) -> None:
    """The titles in a page's template context (:data:`TITLE_KEYS`) as escaped HTML
    (markupsafe's ``Markup``, which Jinja's ``|e`` does not escape a second time)."""
    from markupsafe import escape

    for key in TITLE_KEYS:
        if isinstance(context.get(key), str):
            context[key] = escape(context[key])


def _escape_titles(app, pagename, templatename, context, doctree) -> None:
    escape_titles(context)


def escaped_search_index() -> None:
    """Sphinx's search index with its section titles (``alltitles``) escaped as HTML.

    ``IndexBuilder.freeze`` makes the index the search page reads; its titles are
    escaped there. ``IndexBuilder.load`` reads the index of the last build back (a
    build into kept output, as the preview's); its titles are unescaped there, so that
    they are escaped once. Done once per process.
    """
    import html

    from sphinx.search import IndexBuilder

    if getattr(IndexBuilder, "_cen_escaped", False):
        return
    freeze, load = IndexBuilder.freeze, IndexBuilder.load

    def escaped_freeze(self):
        frozen = freeze(self)
        # A word that only pages read again had (a number on new data) stays in the
        # index kept from the last build with no page: the index a clean build makes
        # has no such word.
        for key in ("terms", "titleterms"):
            frozen[key] = {word: where for word, where in frozen.get(key, {}).items()
                           if where != []}
        frozen["alltitles"] = {html.escape(title, quote=False): where
                               for title, where in frozen.get("alltitles", {}).items()}
        return frozen

    def unescaped_load(self, stream, format):
        load(self, stream, format)
        self._all_titles = {doc: [(html.unescape(title), anchor) for title, anchor in titles]
                            for doc, titles in self._all_titles.items()}

    IndexBuilder.freeze, IndexBuilder.load = escaped_freeze, unescaped_load
    IndexBuilder._cen_escaped = True


def launch_url(url: str, page: str, template: str) -> str:
    """A launch button's link to ``<page>.ipynb`` as a link to ``<template>.ipynb``.

    The theme ends every launch link with the notebook's path in the repository, e.g.
    ``https://colab.research.google.com/github/org/repo/blob/main/book/notebooks/x.ipynb``
    or Binder's ``...?urlpath=lab/tree/book/notebooks/x.ipynb``; any other link is kept.
    """
    suffix = f"/{page}.ipynb"
    return url[:-len(suffix)] + f"/{template}.ipynb" if url.endswith(suffix) else url


def _launch_templates(app, pagename, templatename, context, doctree) -> None:
    template = (getattr(app.config, TEMPLATES_KEY, None) or {}).get(pagename, pagename)
    if template == pagename:
        return
    for group in context.get("header_buttons", []):
        if group.get("label") == "launch-buttons":
            for button in group.get("buttons", []):
                if "url" in button:
                    button["url"] = launch_url(button["url"], pagename, template)


def portable_notebook(text: str, root: str) -> str:
    """A downloadable executed notebook without the paths of the machine that built it.

    papermill records the notebook it ran (``metadata.papermill.input_path``, here the
    template with the build's own set-up cell, full of build paths) and where it wrote
    it; neither tells a reader anything. Any other mention of the project's folder
    becomes ``.``.
    """
    nb = json.loads(text)
    papermill = nb.get("metadata", {}).get("papermill", {})
    for key in ("input_path", "output_path"):
        papermill.pop(key, None)
    out = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    return out.replace(json.dumps(root)[1:-1], ".")


def _note_written_source(app, pagename, templatename, context, doctree) -> None:
    # Sphinx copies a page's source into _sources/ when it writes the page, and only
    # then: in a build into kept output (analysis.engine.book.kept_sphinx_output) the
    # sources of the pages it did not write are the portable ones of an earlier build.
    source = context.get("sourcename")
    if isinstance(source, str) and source.endswith(".ipynb"):
        _written_sources(app).add(source)


def _written_sources(app) -> set[str]:
    if not hasattr(app.builder, "_cen_written_sources"):
        app.builder._cen_written_sources = set()
    return app.builder._cen_written_sources


def _portable_sources(app, exception) -> None:
    """Make the notebooks this build copied into ``_sources/`` portable (the others
    were made so by the build that copied them)."""
    if exception is not None or app.builder.format != "html":
        return
    root = str(paths.ROOT)
    sources = Path(app.outdir) / "_sources"
    for name in sorted(_written_sources(app)):
        notebook = sources / name
        if notebook.is_file():
            text = notebook.read_text(encoding="utf-8")
            notebook.write_text(portable_notebook(text, root), encoding="utf-8")


def stale_images(image_dir: Path, current: Iterable[str]) -> list[Path]:
    """The files of the book's image folder that no page shows any more."""
    keep = set(current)
    return sorted(path for path in image_dir.glob("*") if path.is_file()
                  and path.name not in keep) if image_dir.is_dir() else []


def _drop_late_stylesheet(app) -> None:
    """Remove myst-nb's stylesheet from kept output before the pages are written.

    myst-nb copies it only once the book is written (``build-finished``), and Sphinx
    links a stylesheet with its checksum (``?v=``) only when the file is there as it
    writes a page: in a clean build it is not, in a build into kept output
    (analysis.engine.book.kept_sphinx_output) it would be, and the pages written again
    would differ from a clean build's.
    """
    if app.builder.format == "html":
        for path in (Path(app.outdir) / "_static").glob("mystnb.*.css"):
            path.unlink()


def _drop_stale_images(app, exception) -> None:
    """Remove the images of figures no page shows any more.

    Sphinx copies a page's images into ``_images/`` when it writes the page and never
    removes one: in a build into kept output (analysis.engine.book.kept_sphinx_output)
    the figures of a page executed again on new data (named by their content's hash)
    would pile up beside the new ones, which a clean build does not have. Sphinx's
    environment lists every image of every page (``env.images``: file -> (pages,
    name in ``_images/``)).
    """
    if exception is not None or app.builder.format != "html":
        return
    current = [name for _, name in app.env.images.values()]
    for path in stale_images(Path(app.outdir) / app.builder.imagedir, current):
        path.unlink()


def caption_alt(caption: str, limit: int = 300) -> str:
    """Alt text from a figure's caption: its words, folded to one line, at most
    ``limit`` characters, cut at a word."""
    text = " ".join(caption.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _alt_from_captions(app, doctree, docname) -> None:
    """Give every figure's image the figure's caption as alt text.

    A glued figure's image otherwise gets its file name ("_images/0f83...svg") as alt
    text, which a screen reader reads out and which says nothing of what is shown.
    """
    from docutils import nodes

    for figure in doctree.findall(nodes.figure):
        captions = [c for c in figure.children if isinstance(c, nodes.caption)]
        if not captions:
            continue
        for image in figure.findall(nodes.image):
            alt = image.get("alt", "")
            if not alt or alt == image.get("uri") or alt.startswith("_images/"):
                image["alt"] = caption_alt(captions[0].astext())


def _visit_hidden_input(self, node) -> None:
    """myst-nb's toggle of a hidden code cell, named by the words it shows."""
    from myst_nb.sphinx_ import visit_HideCellInput

    start = len(self.body)
    visit_HideCellInput(self, node)
    self.body[start:] = [part.replace(' aria-label="Toggle hidden content"', "")
                         for part in self.body[start:]]


def _visit_citation(self, node) -> None:
    """A reference of the bibliography as an item of its list (not ``doc-biblioentry``)."""
    start = len(self.body)
    type(self).visit_citation(self, node)
    self.body[start:] = [part.replace('role="doc-biblioentry"', 'role="listitem"')
                         for part in self.body[start:]]


def _depart_citation(self, node) -> None:
    type(self).depart_citation(self, node)


def _accessible_nodes(app) -> None:
    from docutils import nodes
    from myst_nb.sphinx_ import HideCodeCellNode, depart_HideCellInput

    app.add_node(HideCodeCellNode, override=True,
                 html=(_visit_hidden_input, depart_HideCellInput))
    app.add_node(nodes.citation, override=True, html=(_visit_citation, _depart_citation))


ICON_FONT = "icons.woff"  # in _static; book.css points the theme's icon font at it
_ICON_CLASS = re.compile(r"\bfa-([a-z0-9]+(?:-[a-z0-9]+)*)")
_ICON_RULE = re.compile(r"((?:\.fa-[a-z0-9-]+:{1,2}before,?)+)\{content:\s*\"\\([0-9a-f]+)\"")


def icon_codepoints(theme_css: str, texts: Iterable[str]) -> dict[str, int]:
    """The Font Awesome icons that ``texts`` (pages, scripts) name, and their code points
    in the theme's CSS (``.fa-sun:before{content:"\\f185"}``)."""
    points = {}
    for selectors, code in _ICON_RULE.findall(theme_css):
        for name in re.findall(r"\.fa-([a-z0-9-]+):", selectors):
            points[name] = int(code, 16)
    named = {name for text in texts for name in _ICON_CLASS.findall(text)}
    return {name: points[name] for name in sorted(named) if name in points}


_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
_CSS_RULE = re.compile(r"([^{}]*)\{([^{}]*)\}")
_ESCAPED_GLYPH = re.compile(r'content:\s*"\\([ef][0-9a-f]{3})"')


def css_glyphs(css_texts: Iterable[str]) -> set[int]:
    """Icon code points that stylesheets draw themselves, not through an ``fa-`` class:
    the theme's ``--pst-icon-*`` characters (admonition titles, the toggles of hidden
    cells, external links) and escaped ``content`` outside the ``.fa-NAME`` rules."""
    points = set()
    for text in css_texts:
        points |= {ord(c) for c in _PRIVATE_USE.findall(text)}
        for selectors, body in _CSS_RULE.findall(text):
            if not re.fullmatch(r"(\s*\.fa-[a-z0-9-]+:{1,2}before,?)+\s*", selectors):
                points |= {int(code, 16) for code in _ESCAPED_GLYPH.findall(body)}
    return points


def subset_icons(font: Path, codepoints: Iterable[int], out: Path) -> Path:
    """Keep only ``codepoints`` of an icon font, written as WOFF (zlib: no brotli needed).

    References
    ----------
    fontTools, ``fontTools.subset`` (https://fonttools.readthedocs.io/en/latest/subset/).
    """
    from fontTools import subset

    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = []
    options.name_IDs = ["*"]  # the licence and copyright notices stay in the font
    options.notdef_outline = True
    loaded = subset.load_font(str(font), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(set(codepoints)))
    subsetter.subset(loaded)
    subset.save_font(loaded, str(out), options)
    return out


def _light_icons(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    static = Path(app.outdir) / "_static"
    script = static / "scripts" / "fontawesome.js"
    css = static / "styles" / "pydata-sphinx-theme.css"
    font = static / "vendor" / "fontawesome" / "webfonts" / "fa-solid-900.ttf"
    if not (script.exists() and css.exists() and font.exists()):
        return
    texts = [p.read_text(encoding="utf-8") for p in Path(app.outdir).glob("*.html")]
    texts += [p.read_text(encoding="utf-8") for p in static.rglob("*.js") if p != script]
    used = icon_codepoints(css.read_text(encoding="utf-8"), texts)
    sheets = [p.read_text(encoding="utf-8") for p in static.rglob("*.css")
              if "vendor" not in p.parts]
    codepoints = set(used.values()) | css_glyphs(sheets)
    # The subset is a function of the font and the code points. A build into kept
    # output (analysis.engine.book.kept_sphinx_output) that needs the same ones as the
    # last keeps that build's subset; the record lies beside Sphinx's doctrees, outside
    # the published book.
    record = Path(app.doctreedir) / "cen-icons.json"
    wanted = json.dumps({"font": hashlib.sha256(font.read_bytes()).hexdigest(),
                         "codepoints": sorted(codepoints)})
    made = record.read_text(encoding="utf-8") if record.exists() else ""
    if made != wanted or not (static / ICON_FONT).exists():
        record.unlink(missing_ok=True)
        subset_icons(font, codepoints, static / ICON_FONT)
        record.write_text(wanted, encoding="utf-8")
    script.write_text("/* Empty: the book draws its icons with a subset of Font Awesome's "
                      f"solid font ({ICON_FONT}: {', '.join(used)}); "
                      "see analysis/engine/site.py. */\n", encoding="utf-8")
    script.with_name(script.name + ".map").unlink(missing_ok=True)


def setup(app) -> dict:
    # After Jupyter Book and the themes have set their options, before the builder
    # reads them.
    app.add_config_value(FINGERPRINT_KEY, "", "html")
    app.add_config_value(TEMPLATES_KEY, {}, "html")
    escaped_search_index()
    app.connect("config-inited", _configure, priority=900)
    app.connect("html-page-context", _drop_thebe, priority=900)
    app.connect("html-page-context", _escape_titles, priority=900)
    # After the book theme has made its launch buttons (priority 501).
    app.connect("html-page-context", _launch_templates, priority=900)
    app.connect("html-page-context", _note_written_source)
    app.connect("doctree-resolved", _alt_from_captions)
    app.connect("builder-inited", _accessible_nodes)
    app.connect("builder-inited", _drop_late_stylesheet)
    app.connect("build-finished", _portable_sources)
    app.connect("build-finished", _drop_stale_images)
    app.connect("build-finished", _light_icons)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
