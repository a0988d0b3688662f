"""Tests of analysis/contract."""
