"""Tests of analysis/compute."""
