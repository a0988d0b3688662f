"""What stops a build: an error whose message says why and what to do.

Importable without pandas or any Jupyter machinery.
"""

from __future__ import annotations




class BuildError(Exception):
    """A build stopped; the message says why and what to do."""
