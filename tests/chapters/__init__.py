"""Tests of analysis/chapters."""
