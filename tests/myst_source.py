"""MyST a page displays, read back as the words a reader sees.

The chapters write data text into MyST with every punctuation character
backslash-escaped (:mod:`analysis.contract.escape`); a test of a sentence's words
reads them with the escapes undone. Markup the chapters write themselves (``**bold**``,
``*emphasis*``, roles, links) stays as written.
"""

from __future__ import annotations

import re
import string

_ESCAPE = re.compile("\\\\([" + re.escape(string.punctuation) + "])")


def shown(text) -> str:
    """``text`` (MyST, or an IPython ``Markdown`` holding it) with its escapes undone."""
    return _ESCAPE.sub(r"\1", str(getattr(text, "data", text)))
