"""Whole-book tests: the bundled book built, exported, printed, and attacked."""
