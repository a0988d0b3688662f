"""The chapters: what a page shows and says.

Layer 3 of :mod:`analysis`: starting a page, showing and exporting its tables, glueing
values into its prose, and the views whose wording depends on the data. Imports the
statistics, the plots and the contract; the engine never imports it.
"""
