"""What stops a build: an error whose message says why and what to do.

Importable without pandas or any Jupyter machinery.
"""

from __future__ import annotations

import errno

from analysis.contract.errors import InputError


class BuildError(Exception):
    """A build stopped; the message says why and what to do."""


class OutOfSpace(InputError):
    """The disk the build writes to is full (or the user's quota is used up): a problem
    of the place the build writes, said once, not once for every page it stopped."""


_FULL = (errno.ENOSPC, errno.EDQUOT)
_FULL_WORDS = ("No space left on device", "Disk quota exceeded")


def is_out_of_space(error: BaseException | str) -> bool:
    """Whether an error (or a log's text) is a full disk: an ``OSError`` with ENOSPC or
    EDQUOT, raised here, in a worker, or in a page's kernel (where papermill reports it
    by its text)."""
    if isinstance(error, OSError) and error.errno in _FULL:
        return True
    text = error if isinstance(error, str) else (
        f"{getattr(error, 'ename', '')} {getattr(error, 'evalue', '')} {error}")
    return any(words in text for words in _FULL_WORDS)


def out_of_space(folder, untouched: str = "") -> OutOfSpace:
    """The one message of a full disk, naming the folder the build writes to."""
    return OutOfSpace(f"no space left on the disk that holds {folder}: free some space, or "
                      "build elsewhere with --build-root DIR. " + untouched)
