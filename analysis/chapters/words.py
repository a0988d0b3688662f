"""Words that read right for any data package: counts, lists, labels, citations.

Helpers of the chapters' data-dependent sentences: a count agrees with its noun, a list
is joined as prose, a category label sits inside a sentence, a report is cited the way
the book's bibliography allows, and a figure's caption may depend on the data.
"""

from __future__ import annotations

from analysis.chapters.citations import cite
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
    """'a', 'a and b', 'a, b and c'."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {conjunction} {items[-1]}"


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


def markdown(text: str):
    """Text to display as MyST Markdown (the book renders it, roles and directives too)."""
    from IPython.display import Markdown

    return Markdown(text)


def figure_markdown(name: str, caption: str):
    """A glued figure with a caption that depends on the data (a ``glue:figure``)."""
    label = name.replace("_", "-")
    return markdown(f"```{{glue:figure}} {name}\n:name: {label}\n\n{caption}\n```")


def markdown_text(text: str) -> str:
    """Text from the data with MyST's markup characters escaped, for a displayed paragraph."""
    for char in "\\`*_[]<>{}|#":
        text = text.replace(char, "\\" + char)
    return text
