"""Tests of analysis/engine."""
