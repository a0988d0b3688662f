"""Small pieces of English that follow the numbers: "1 paper", "2 papers"."""

from __future__ import annotations


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """'1,204 records', '1 study', '3 studies' (the plural given when not ``singular + s``)."""
    return f"{count:,} {singular if count == 1 else (plural or singular + 's')}"


def markdown_text(text: str) -> str:
    """Text from the data with MyST's markup characters escaped, for a displayed paragraph."""
    for char in "\\`*_[]<>{}|#":
        text = text.replace(char, "\\" + char)
    return text
