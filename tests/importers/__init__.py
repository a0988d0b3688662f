"""Tests of analysis/importers."""
