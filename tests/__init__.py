"""The test suite. Its folders mirror analysis/ (contract, stats, chapters, plots, compute,
engine, importers), beside whole-book, fixture-package and browser tests."""
