"""Books on other studies' data say nothing only the two source studies justify.

For every fixture package under ``tests/fixtures/packages/<name>/`` (each a study of
another shape: appraisals only, an interview study elsewhere, a meta-synthesis or a
prevalence meta-analysis alone), the book is built once and every page's visible text is
scanned for the words of the source studies (England, COVID, Troup, ...; allowed only
where the package's own study section uses them) and for the marks of a missing value
(``nan``, ``None``, ``inf``). A failure lists each page with the words around every hit.

The scanner itself is tested on small pieces of HTML without building anything.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

from analysis import paths

FIXTURES = Path(__file__).parents[1] / "fixtures" / "packages"
# Every fixture package, those typed from published papers included
# (tests/own_study/test_fixture_real_papers.py).
PACKAGES = sorted(p.parent.name for p in FIXTURES.glob("*/datapackage.json"))

EMPTY_GLUE = "[empty glued value]"  # written in the text where a glued value is empty
# Words only the two source studies justify: (what is reported, pattern). A word the
# package's own study section uses is allowed (a study in England may say England).
SOURCE_WORDS = [
    ("England", r"\bEngland\b"),
    ("English", r"\bEnglish\b"),
    ("COVID", r"\bCOVID\b"),
    ("pandemic", r"\bpandemic\b"),
    ("Troup", r"\bTroup\b"),
    ("Trevillion", r"\bTrevillion\b"),
    # "Synthetic data: no" says what the package declares; 'synthetic' in quotes names
    # the key of datapackage.json
    ("synthetic", r"(?<!['\"])\bsynthetic\b(?!['\"]|(?:\s+data)?\s*:?\s*no\b)"),
    ("invented", r"(?<!['\"])\binvented\b(?!['\"])"),
    ("published judgement", r"\bpublished judgements?\b"),
    ("reported moderate", r"\breported\s+moderate\b"),
    # the source studies' sizes, as numbers next to what they count
    ("29 papers", r"\b29\s+(?:included\s+)?(?:papers|studies)\b"),
    ("30 participants", r"\b30\s+(?:participants|people|service users|interviews)\b"),
    # the source studies' topic and their appraisal tool (issue 24)
    ("personality disorder", r"\bpersonality\s+disorders?\b"),
    ("complex emotional needs", r"\bcomplex\s+emotional\s+needs\b"),
    ("CEN", r"(?-i:\bCEN\b)"),
    ("CASP", r"\bCASP\b"),
]
# Pages still to be worded for any package, by the page's own issue: (package, page,
# word). Each entry is a gap, not a licence: remove it when the page is fixed.
NOT_YET = {
    # the "Rerun on your own data" page documents the book itself, CASP included
    ("qes_fathers_jbi", "own_data.html", "CASP"),
}
# What a missing or impossible value prints as. "None" opens sentences too ("None of
# the papers ..."), so only a None not followed by "of" counts.
MISSING_VALUES = [
    ("nan", r"(?-i:\b(?:nan|NaN)\b)"),  # not "Nan Laird" of DerSimonian and Laird
    ("None", r"(?-i:\bNone\b)(?!\s+of\b)"),
    ("inf", r"(?-i:\binf\b)"),
    ("NaT", r"(?-i:\bNaT\b)"),
    ("<NA>", r"<NA>"),
    # a value glued into prose that is empty: the sentence reads "in one word, ."
    ("empty glued value", re.escape(EMPTY_GLUE)),
]
# Pages Sphinx writes that hold no page text of ours.
NOT_PAGES = {"genindex.html", "search.html"}
CONTEXT_WORDS = 8


class _VisibleText(HTMLParser):
    """The text a reader reads: no scripts or styles, no folded code of the cells, and
    no code literals (a key, a file or a parameter named in prose: `synthetic`,
    `data_synthetic/`, `None` as a default)."""

    SKIPPED_TAGS = {"script", "style", "template", "code"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping: list[str] = []  # the tag of the skipped element, nested opens
        self._glue: list[bool] = []  # per open span: is it a glued value still empty?

    def handle_starttag(self, tag: str, attrs) -> None:
        if self._skipping:
            if tag == self._skipping[0]:
                self._skipping.append(tag)
            return
        classes = (dict(attrs).get("class") or "").split()
        if tag == "span":
            self._glue.append("pasted-text" in classes)
        # A cell's code is folded away (hide-input); what a reader reads is its output.
        if tag in self.SKIPPED_TAGS or "cell_input" in classes:
            self._skipping.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._skipping:
            if tag == self._skipping[0]:
                self._skipping.pop()
            return
        if tag == "span" and self._glue and self._glue.pop():
            self.parts.append(EMPTY_GLUE)

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)
            if data.strip():
                self._glue = [False] * len(self._glue)


def visible_text(page_html: str) -> str:
    """The visible text of an HTML page, whitespace folded."""
    parser = _VisibleText()
    parser.feed(page_html)
    parser.close()
    return re.sub(r"\s+", " ", html.unescape(" ".join(parser.parts))).strip()


@dataclass(frozen=True)
class Hit:
    """One forbidden word on one page, with the words around it."""

    page: str
    word: str
    context: str

    def __str__(self) -> str:
        return f"{self.word!r}: ...{self.context}..."


def allowed_words(descriptor: dict) -> set[str]:
    """The source-study words a package's own study section, title or description uses
    (and so may show); "published judgement" where the package declares a published
    overall judgement; "CASP" where its appraisal tool is CASP's; the source studies'
    topic where the package declares no condition of its own (it keeps the contract's
    vocabularies, whose default labels name that topic)."""
    from analysis.contract.tools import DEFAULT_TOOL, declared_tool

    study = descriptor.get("study", {})
    text = json.dumps([study, descriptor.get("title"), descriptor.get("description")],
                      ensure_ascii=False)
    allowed = {word for word, pattern in SOURCE_WORDS if re.search(pattern, text, re.I)}
    if isinstance(study, dict):
        facts = study.get("published") or []
        if any(isinstance(f, dict) and f.get("measure") == "overall_judgement" for f in facts):
            allowed.add("published judgement")
        if declared_tool(study.get("appraisal")) == DEFAULT_TOOL:
            allowed.add("CASP")
        if not study.get("condition"):
            allowed |= {"personality disorder", "complex emotional needs", "CEN"}
    else:
        allowed |= {"CASP", "personality disorder", "complex emotional needs", "CEN"}
    return allowed


def scan_text(page: str, text: str, allowed: set[str] = frozenset()) -> list[Hit]:
    """Every forbidden word and missing-value mark in one page's visible text."""
    hits = []
    for word, pattern in SOURCE_WORDS + MISSING_VALUES:
        if word in allowed:
            continue
        for match in re.finditer(pattern, text, re.I):
            before = text[:match.start()].split()[-CONTEXT_WORDS:]
            after = text[match.end():].split()[:CONTEXT_WORDS]
            hits.append(Hit(page, word, " ".join([*before, match.group(0), *after])))
    return hits


def scan_book(html_dir: Path, allowed: set[str] = frozenset(),
              package: str = "") -> dict[str, list[Hit]]:
    """Hits by page (file name below the book folder), for every page that has any
    (the gaps of ``NOT_YET`` left out for ``package``)."""
    found = {}
    for path in sorted(html_dir.rglob("*.html")):
        name = str(path.relative_to(html_dir))
        if name in NOT_PAGES or name.startswith(("_static", "_sources")):
            continue
        gaps = {word for pkg, page, word in NOT_YET if pkg == package and page == name}
        hits = scan_text(name, visible_text(path.read_text(encoding="utf-8")),
                         set(allowed) | gaps)
        if hits:
            found[name] = hits
    return found


def report(package: str, found: dict[str, list[Hit]]) -> str:
    lines = [f"{package}: {sum(map(len, found.values()))} forbidden word(s) on "
             f"{len(found)} page(s)"]
    for page, hits in found.items():
        lines.append(f"  {page}")
        lines += [f"    {hit}" for hit in hits]
    return "\n".join(lines)


# ----------------------------------------------------------------- the scanner


def test_visible_text_leaves_out_scripts_and_folded_code():
    page = ('<html><head><title>Quality</title><script>var None = 1;</script></head><body>'
            '<div class="cell docutils container"><div class="cell_input docutils container">'
            '<div><pre>judgement(package.synthetic, None)</pre></div></div>'
            '<div class="cell_output docutils container"><p>Six papers &amp; two reviewers'
            '</p></div></div><p>Band<br>high, set <code><span>"synthetic"</span>: false</code>'
            '</p></body></html>')
    assert visible_text(page) == "Quality Six papers & two reviewers Band high, set"


@pytest.mark.parametrize("text, words", [
    ("fieldwork was suspended for the COVID-19 pandemic in England", ["England", "COVID",
                                                                     "pandemic"]),
    ("according to Troup et al. 2020 the published judgement", ["Troup",
                                                               "published judgement"]),
    ("of the 29 papers and 30 participants", ["29 papers", "30 participants"]),
    ("the pooled estimate is nan% (inf to None)", ["nan", "None", "inf"]),
    ("None of the 29 reviewers; 30 minutes; Synthetic data", ["synthetic"]),
    ("DerSimonian R, Laird N. ... Rebecca DerSimonian and Nan Laird; NaN", ["nan"]),
    ("Synthetic: no. Synthetic data no; 'synthetic' in quotes", []),
    ("an invented list; the 'invented' list", ["invented"]),
    ("the study in Scotland: interviews by telephone, no suspension", []),
    ("people with complex emotional needs and a 'personality disorder' diagnosis",
     ["complex emotional needs", "personality disorder"]),
])
def test_the_scanner_finds_the_words_and_only_those(text, words):
    assert sorted(h.word for h in scan_text("p.html", text)) == sorted(words)


def test_an_empty_glued_value_is_found():
    page = ('<p>It reported the quality in one word, <em><span class="pasted-text"></span>'
            '</em>, of <span class="pasted-text">6</span> papers.</p>')
    text = visible_text(page)
    assert text == f"It reported the quality in one word, {EMPTY_GLUE} , of 6 papers."
    assert [h.word for h in scan_text("quality.html", text)] == ["empty glued value"]


def test_a_hit_names_the_words_around_it():
    text = " ".join(f"w{i}" for i in range(20)) + " England " + " ".join(
        f"v{i}" for i in range(20))
    (hit,) = scan_text("intro.html", text)
    assert hit.context == ("w12 w13 w14 w15 w16 w17 w18 w19 England "
                           "v0 v1 v2 v3 v4 v5 v6 v7")


def test_a_word_the_study_declares_is_allowed():
    descriptor = {"study": {"setting": {"country": "England", "region": "English region"}}}
    # a package that names no tool appraises with CASP's checklist, and one that names no
    # condition keeps the contract's vocabularies of the source studies' topic
    assert allowed_words(descriptor) == {"England", "English", "CASP", "personality disorder",
                                         "complex emotional needs", "CEN"}
    assert scan_text("p.html", "12 adults in England", allowed_words(descriptor)) == []


def test_a_jbi_package_may_not_say_casp_but_may_say_its_published_judgement():
    descriptor = {"study": {"appraisal": {"tool": "jbi_qualitative"},
                            "condition": "depression after myocardial infarction",
                            "published": [{"measure": "overall_judgement",
                                           "value": "moderate to high"}]}}
    allowed = allowed_words(descriptor)
    assert "CASP" not in allowed and "published judgement" in allowed
    text = ("appraised with the CASP checklist; complex emotional needs; a personality "
            "disorder; the published judgement; the CEN book; the word cent")
    assert sorted(h.word for h in scan_text("p.html", text, allowed)) == [
        "CASP", "CEN", "complex emotional needs", "personality disorder"]


# ----------------------------------------------------------------- the fixture books


@dataclass(frozen=True)
class FixtureBook:
    package: str
    html: Path
    allowed: set[str]
    seconds: float


@pytest.fixture(scope="session", params=PACKAGES)
def fixture_book(request, fixture_package_book) -> FixtureBook:
    """The book of one fixture package, built once per test process
    (``fixture_package_book`` in tests/conftest.py)."""
    name = request.param
    built = fixture_package_book(name)
    if built.failure is not None:
        pytest.fail(f"{name}: the book was not built:\n{built.failure}", pytrace=False)
    descriptor = json.loads((FIXTURES / name / paths.DATAPACKAGE_NAME).read_text(
        encoding="utf-8"))
    return FixtureBook(name, built.html, allowed_words(descriptor), built.seconds)


@pytest.mark.book
def test_no_page_says_what_only_the_source_studies_justify(fixture_book):
    found = scan_book(fixture_book.html, fixture_book.allowed, fixture_book.package)
    print(f"{fixture_book.package}: built in {fixture_book.seconds:.1f} s")
    if found:
        pytest.fail(report(fixture_book.package, found), pytrace=False)


@pytest.mark.book
def test_the_book_holds_only_pages_built_from_the_package(fixture_book):
    manifest = json.loads((fixture_book.html / "manifest.json").read_text(encoding="utf-8"))
    built = {page["name"] for page in manifest["pages"]}
    left_out = {item["page"] for item in manifest["left_out"]}
    assert built and not built & left_out
    for page in left_out:
        assert not (fixture_book.html / f"{page}.html").exists(), page


PREVALENCE_REVIEW = "prevalence_help_seeking_ethiopia"  # Bifftu et al. 2018


def _page_text(book: FixtureBook, page: str) -> str:
    return visible_text((book.html / f"{page}.html").read_text(encoding="utf-8"))


@pytest.mark.book
def test_the_prevalence_review_reads_as_its_own(fixture_book):
    """The pages of a real prevalence review (Bifftu et al. 2018, help-seeking for
    depression) name its topic, pool all its studies first, name its studies by their
    labels, print counts as integers and say why its published pooled values are not
    reproduced (its README: they do not follow from its Table 1)."""
    if fixture_book.package != PREVALENCE_REVIEW:
        pytest.skip("the pages of the prevalence review of a real paper")
    page = _page_text(fixture_book, "prevalence")
    assert "How common is professional help-seeking for depression" in page
    # all nine studies first (logit, DerSimonian-Laird; tests/test_prevalence_any_review)
    assert "Pooled over all 9 studies of this data package, the prevalence is 43.3 %" in page
    assert "pools the 5 studies of Outcome: Help-seeking behaviour : 34.2%" in page
    assert "Hailemariam 2012" in page and "Sumet 2017" in page and "V01" not in page
    assert "Pooled prevalence by Outcome" in page and "Pooled prevalence by Region" in page
    assert "case-finding" not in page
    assert "Study design How cases were ascertained Outcome Region" in page
    assert "Not reported by the sources: study design for 1 study" in page
    repro = _page_text(fixture_book, "reproduction")
    assert "Studies of help-seeking behaviour 5 5 exact reproduced" in repro
    assert not re.search(r"\b\d+\.0\b(?!%)", repro.split("Published figure")[-1]
                         .split("Why the published")[0].replace("2018:1592596", ""))
    assert "34.2% (11.1–68.4)" in repro and "differs" in repro
    assert ("no study of this package has depression (outcome = depression)" in repro)
    assert "give 34.2% to 35.8% under every scale and tau² estimator" in repro
    assert "the published I² cannot come from these rows" in repro
