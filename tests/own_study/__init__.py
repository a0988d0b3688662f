"""Tests of the book built from the fixture packages under tests/fixtures/packages/."""
