"""Tests of analysis/stats."""
