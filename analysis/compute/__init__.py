"""Running the statistics at scale: where a multiverse is computed and where it goes.

The layer above :mod:`analysis.stats` that the Multiverse page and the command line
import (``compute -> stats -> contract``): it decides whether a multiverse runs in this
process or on a Dask cluster, cuts it into chunks, streams the rows to Parquet and CSV
and keeps the cache. The statistics of a specification stay pure in ``analysis.stats``,
which writes no file; a page may import this layer, the build engine does not.
"""
