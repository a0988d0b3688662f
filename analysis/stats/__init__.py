"""The statistics: pure functions and named result objects, no display and no prose.

Layer 1 of :mod:`analysis`: prevalence meta-analysis, appraisal, agreement and quality
bands, CERQual, theme frequencies, saturation and sample tables. Imports the data
contract, never the chapters, plots or engine.
"""
