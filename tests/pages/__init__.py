"""Tests of analysis/pages: the pages of the book."""
