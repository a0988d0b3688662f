"""Words that read right for any data package: counts, lists, labels, citations.

Helpers of the chapters' data-dependent sentences: a count agrees with its noun, a list
is joined as prose, a category label sits inside a sentence, a report is cited the way
the book's bibliography allows, and a figure's caption may depend on the data.
"""

from __future__ import annotations

import math

from analysis.chapters.citations import cite
from analysis.contract.escape import Myst, myst_name
from analysis.contract.package import DataPackage


def count_words(count: int, singular: str, plural: str | None = None) -> str:
    """'1 paper', '29 papers', '2 countries' (with ``plural`` given)."""
    return f"{count:,} {singular if count == 1 else (plural or singular + 's')}"


_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight",
                 "nine", "ten")


def number_words(n: int) -> str:
    """A small count in words, as in "at most two answered No" ("no" for 0); from 11 on,
    digits."""
    return _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else str(n)


def join_words(items: list[str], conjunction: str = "and") -> str:
    """'a', 'a and b', 'a, b and c'.

    Items of MyST (:class:`~analysis.contract.escape.Myst`, such as ``*name*``) give
    MyST, in which the other items are escaped; plain words give plain words.
    """
    if any(isinstance(item, Myst) for item in items):
        if len(items) <= 1:
            return Myst("").join(items)
        return Myst(", ").join(items[:-1]) + Myst(" {} ").format(conjunction) + items[-1]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {conjunction} {items[-1]}"


def format_p(p: float) -> str:
    """A p-value as prose writes it: '< 0.001' or '= 0.042' ('not applicable' when
    there is none)."""
    if not math.isfinite(p):
        return "not applicable"
    # A no-break space keeps '< 0.001' on one line in prose and in table cells.
    return "<\u00a00.001" if p < 0.001 else f"=\u00a0{p:.3f}"


def in_sentence(label: str) -> str:
    """A category label inside a sentence: 'Video call' -> 'video call', 'NHS' stays."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


def counted(pairs: tuple[tuple[str, int], ...], unit: str = "") -> str:
    """'female (23), male (6) and non-binary (1)'; ``unit`` follows the first count."""
    parts = [f"{in_sentence(label)} ({n}{' ' + unit if unit and i == 0 else ''})"
             for i, (label, n) in enumerate(pairs)]
    return join_words(parts)


def report_citation(package: DataPackage, review: str) -> str:
    """The citation of the report a review re-analyses, to follow its name in a sentence.

    A report whose ``id`` is a key of the book's bibliography is cited with a MyST
    ``{cite:p}`` role (linked to the references page); another is named by its
    ``short`` form in brackets. Empty when the package declares no report for it.
    """
    report = package.study.report(review)
    return "" if report is None else " " + cite(report)


def markdown(text: Myst, empty=None):
    """MyST to display on a page (the book renders its roles and directives too).

    The one place a page's Markdown is made (a test checks), and it takes only
    :class:`~analysis.contract.escape.Myst`: the project's own MyST, in which every
    piece of data text has been escaped. Plain text from anywhere is refused.

    Parameters
    ----------
    text : Myst
    empty : object, optional
        What to return for text that is empty or only white space (a cell that shows
        nothing: ``None``); ``text`` itself when given ``False``.

    Raises
    ------
    TypeError
        When ``text`` is not :class:`~analysis.contract.escape.Myst`.
    """
    from IPython.display import Markdown

    if not isinstance(text, Myst):
        raise TypeError(f"a page displays only Myst as Markdown, not {type(text).__name__}: "
                        "build it with Myst(...).format(...), which escapes data text")
    if empty is not False and not text.strip():
        return empty
    return Markdown(text)


def figure_markdown(name: str, caption: str | Myst):
    """A glued figure with a caption that depends on the data (a ``glue:figure``)."""
    label = name.replace("_", "-")
    return markdown(Myst("```{{glue:figure}} {}\n:name: {}\n\n{}\n```").format(
        myst_name(name), myst_name(label), caption))
