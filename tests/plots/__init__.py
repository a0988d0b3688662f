"""Tests of analysis/plots."""
