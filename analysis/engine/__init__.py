"""The build engine: from parameter sets and a data package to a published book.

Pages and parameters, the execution cache, kernels, the held Jupyter Book process and
its Sphinx extension, publishing, provenance and editions. Imports the data contract
only: what a page computes is not the engine's business, so editing the engine does not
change any page's cache key.
"""
