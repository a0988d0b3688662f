"""The benchmark of the book build (``make bench``); not part of the runtime package."""
