"""Text from a data package, written so that it can only ever display as text.

A data package is untrusted input: a package received from a co-author, a student or
another team may hold, in any text field or cell, MyST markup that runs a directive
(``{literalinclude}``, ``{eval-rst}``), HTML with a script, a spreadsheet formula or
terminal control sequences. Every string that comes from a package (or from a folder
name, ``book/pages.yml`` or ``book/multiverse.yml``) reaches its target through one of
these functions, each escaping it for one target:

* :func:`myst_text` and :func:`myst_paragraphs`: MyST Markdown (roles, directives,
  fences, substitutions, raw HTML, headings, lists: nothing is parsed);
* :func:`html_text`: HTML element text and attribute values;
* :func:`terminal_text`: a line printed in a terminal (control and invisible
  characters shown as escapes, cut at a stated length);
* :func:`spreadsheet_cell`: a cell of an exported CSV, XLSX or DOCX table (OWASP's
  rule against formula injection).

Importable without pandas; the floor every layer may import.

References
----------
CommonMark Spec 0.31.2, section 2.4 "Backslash escapes": any ASCII punctuation
character may be backslash-escaped, and is then a literal character.
https://spec.commonmark.org/0.31.2/#backslash-escapes

OWASP, "CSV Injection". https://owasp.org/www-community/attacks/CSV_Injection
"""

from __future__ import annotations

import html
import numbers
import re
import string
import unicodedata
from collections.abc import Iterable, Mapping

_ASCII_PUNCTUATION = frozenset(string.punctuation)
_WHITESPACE = re.compile(r"\s+")
_BLANK_LINES = re.compile(r"\n\s*\n")

TERMINAL_LIMIT = 200
"""Longest piece of data text quoted in a terminal message, in characters."""

SPREADSHEET_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP)."""

_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _visible(text: str) -> str:
    """``text`` with control characters other than whitespace replaced by U+FFFD.

    Validation refuses them in a package; this keeps any that reach a page (a folder
    name, a YAML value) from being written into it.
    """
    return "".join("\ufffd" if _is_control(c) and c not in "\t\n\r" else c for c in text)


def _is_control(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cs")


def myst_text(text: object) -> Myst:
    """Data text as inline MyST Markdown that displays exactly as written.

    Every ASCII punctuation character is backslash-escaped, so no role, directive,
    fence, substitution, link, emphasis, HTML tag or entity can start, and runs of
    white space (line breaks included) become one space, so that the text stays
    inside the sentence or paragraph it is placed in (a space at either end is kept:
    the text may continue a sentence).

    Parameters
    ----------
    text : object
        Any value; ``str(text)`` is escaped.

    Returns
    -------
    Myst
        MyST source whose rendering is the text itself.
    """
    flat = _WHITESPACE.sub(" ", _visible(str(text)))
    return _trusted("".join("\\" + c if c in _ASCII_PUNCTUATION else c for c in flat))


def myst_paragraphs(text: object) -> Myst:
    """Data text of one or more paragraphs (separated by blank lines) as MyST Markdown.

    Each paragraph is escaped by :func:`myst_text`; the paragraphs stay paragraphs.
    """
    parts = [myst_text(part).strip()
             for part in _BLANK_LINES.split(str(text).replace("\r\n", "\n"))]
    return _trusted("\n\n".join(part for part in parts if part))


class Myst(str):
    """MyST Markdown the project wrote: the only text a page displays as Markdown.

    Written as a string literal, ``Myst("**Note.** ")`` (a test checks that nothing
    else is ever passed to the constructor, tests/contract/test_escape.py). Anything combined
    with it that is not a ``Myst`` is data text and is escaped first
    (:func:`myst_text`), so that it can only display as written:

    * ``Myst("the setting *{}*").format(label)`` and ``.format_map``;
    * ``Myst(", ").join(labels)``;
    * ``Myst("a ") + label`` and ``label + Myst(" b")``.

    A number (``int``, ``float``, NumPy's numbers...) formatted into it is written as
    formatted: digits, signs, points and ``%`` start no markup. Whatever a ``str``
    method makes of a ``Myst`` (``.upper()``, a slice) is a plain ``str`` again, and
    escaped when it meets a ``Myst``; ``%``-formatting is refused. Identifiers that must
    stay as they are (a glue name, a citation key, a page to link to) enter through
    :func:`myst_name`, code through :func:`myst_code_block`, roles through
    :func:`myst_role`.

    References
    ----------
    The same design as markupsafe's ``Markup`` for HTML:
    https://markupsafe.palletsprojects.com/
    """

    __slots__ = ()

    def __add__(self, other: object) -> Myst:
        if not isinstance(other, str):
            return NotImplemented
        return _trusted(str.__add__(self, _escaped(other)))

    def __radd__(self, other: object) -> Myst:
        if not isinstance(other, str):
            return NotImplemented
        return _trusted(str.__add__(_escaped(other), self))

    def join(self, items: Iterable[object]) -> Myst:
        return _trusted(str.join(self, [_escaped(item) for item in items]))

    def format(self, /, *args: object, **kwargs: object) -> Myst:
        return _trusted(_FORMATTER.vformat(self, args, kwargs))

    def format_map(self, mapping: Mapping[str, object]) -> Myst:
        return _trusted(_FORMATTER.vformat(self, (), mapping))

    def __mul__(self, times: int) -> Myst:
        return _trusted(str.__mul__(self, times))

    __rmul__ = __mul__

    def upper_first(self) -> Myst:
        """The same MyST with its first character in upper case, to open a sentence (a
        letter's case is never markup)."""
        return _trusted(self[:1].upper() + self[1:])

    def __mod__(self, other: object):
        raise TypeError("Myst does not %-format; use Myst.format, which escapes data text")

    def __repr__(self) -> str:
        return f"Myst({str.__repr__(self)})"


def _trusted(source: str) -> Myst:
    """``source`` as MyST the project vouches for (only this module calls it)."""
    return str.__new__(Myst, source)


def _escaped(value: object, spec: str = "") -> str:
    """A value as it enters a :class:`Myst`: MyST as it is, a number as formatted,
    anything else as escaped text."""
    if isinstance(value, Myst):
        return format(str(value), spec) if spec else value
    if isinstance(value, numbers.Number) and not isinstance(value, str):
        return format(value, spec)
    return myst_text(format(value, spec))


class _MystFormatter(string.Formatter):
    def format_field(self, value: object, format_spec: str) -> str:
        return _escaped(value, format_spec)


_FORMATTER = _MystFormatter()

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:-]*")
_ROLE_OR_LANGUAGE = re.compile(r"[A-Za-z][A-Za-z0-9_:+.-]*")


def myst_name(name: str) -> Myst:
    """An identifier that MyST must read as written: a glue name, a citation key, a
    page to link to, a figure's label (letters, digits, ``_``, ``.``, ``:``, ``-``).

    Meant for the places where MyST does not parse inline markup (a role's content, a
    directive's argument or option, a link's target).

    Raises
    ------
    ValueError
        When ``name`` holds anything else (it is then no identifier of the book's).
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f"not an identifier MyST can take as written: {name!r}")
    return _trusted(name)


def myst_role(role: str, content: str) -> Myst:
    """A MyST role, ``{role}`content```, whose content is an identifier
    (:func:`myst_name`), such as a citation: ``myst_role("cite:p", "smith2020")``."""
    if not _ROLE_OR_LANGUAGE.fullmatch(role):
        raise ValueError(f"not a role name: {role!r}")
    return _trusted(f"{{{role}}}`{myst_name(content)}`")


def myst_code_block(code: object, language: str = "") -> Myst:
    """Text shown as a block of code, exactly as written.

    The fence is longer than any run of backticks in the code, so that no line of it
    can close the block early (CommonMark 0.31.2, section 4.5 "Fenced code blocks").
    """
    if language and not _ROLE_OR_LANGUAGE.fullmatch(language):
        raise ValueError(f"not a language name: {language!r}")
    text = _visible(str(code)).replace("\r\n", "\n").replace("\r", "\n")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return _trusted(f"{fence}{language}\n{text}\n{fence}")


def html_text(text: object) -> str:
    """Data text for HTML element content or a quoted attribute value."""
    return html.escape(_visible(str(text)), quote=True)


def _escaped_char(char: str) -> str:
    code = ord(char)
    if code < 0x20 or code == 0x7F or 0x80 <= code < 0xA0:
        return {"\t": "\\t", "\n": "\\n", "\r": "\\r"}.get(char, f"\\x{code:02x}")
    category = unicodedata.category(char)
    if category in ("Cf", "Cs", "Co", "Cn", "Zl", "Zp") or (category == "Zs" and char != " "):
        return f"<U+{code:04X}>"
    return char


def terminal_text(text: object, limit: int | None = TERMINAL_LIMIT) -> str:
    """Data text quoted in a terminal message: inert, visible and short.

    Control characters (ESC, BEL, carriage return...) are written as ``\\x1b``-style
    escapes, invisible ones (zero-width space, byte-order mark, direction marks,
    non-breaking spaces) as ``<U+200B>``, so that a cell can neither steer the
    terminal nor hide what it holds; text longer than ``limit`` characters is cut
    and says by how much (``None``: never cut).
    """
    raw = str(text)
    cut = raw if limit is None else raw[:limit]
    shown = "".join(_escaped_char(c) for c in cut)
    if len(cut) < len(raw):
        shown += f"... ({len(raw) - len(cut):,} more characters)"
    return shown


def terminal_lines(text: object) -> str:
    """A whole message for a terminal: every line as :func:`terminal_text` shows it
    (nothing cut), the line breaks kept."""
    return "\n".join(terminal_text(line, None) for line in str(text).split("\n"))


def _invisible(char: str) -> bool:
    return _escaped_char(char).startswith("<U+")


def unusual_characters(text: str) -> list[str]:
    """What a reader cannot see in ``text``: invisible characters and letters that look
    like others (:func:`lookalikes`, word by word), each named once for a message.

    ``"S01\u200b"`` gives ``["U+200B ZERO WIDTH SPACE"]``; ``"S\u043001"`` gives
    ``["'\u0430' (U+0430 CYRILLIC SMALL LETTER A)"]``.
    """
    found = [f"U+{ord(c):04X} " + ("(half of a surrogate pair)"
                                   if unicodedata.category(c) == "Cs"
                                   else unicodedata.name(c, "(unassigned or private)"))
             for c in dict.fromkeys(c for c in text if _invisible(c))]
    for word in dict.fromkeys(str(text).split()):
        found += [item for item in lookalikes(word) if item not in found]
    return found


def _script(char: str) -> str | None:
    """The script a letter belongs to, from its Unicode name ('LATIN', 'CYRILLIC'...)."""
    if not char.isalpha():
        return None
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else None


def lookalikes(text: str) -> list[str]:
    """Letters of a minority script in a word of mixed scripts, described for a message.

    An identifier typed with a Cyrillic 'а' (U+0430) among Latin letters looks like
    the Latin one and matches nothing; this names such letters: ``["'а' (U+0430
    CYRILLIC SMALL LETTER A)"]``. ASCII digits count with the Latin letters, so that
    the Cyrillic 'Ѕ' of ``Ѕ01`` is named too. Empty when the text uses one script.
    """
    scripts: dict[str, list[str]] = {}
    for char in text:
        script = "LATIN" if char.isascii() and char.isdigit() else _script(char)
        if script:
            scripts.setdefault(script, []).append(char)
    if len(scripts) < 2:
        return []
    main = max(scripts, key=lambda s: len(scripts[s]))
    odd = dict.fromkeys(c for s, chars in scripts.items() if s != main for c in chars
                        if c.isalpha())
    return [f"'{c}' (U+{ord(c):04X} {unicodedata.name(c, '?')})" for c in odd]


def spreadsheet_cell(value: object) -> object:
    """A cell of an exported table that a spreadsheet cannot run as a formula.

    Text beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading apostrophe (OWASP), so that Excel, LibreOffice and Google Sheets show it
    as text. Numbers, and text that is a plain number (``-0.5``), stay as they are.
    """
    if not isinstance(value, str) or not value.startswith(SPREADSHEET_TRIGGERS):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value
