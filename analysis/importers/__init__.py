"""From the researcher's own tools into a data package.

A review's data do not start as the contract's CSV files: the coding lives in a
qualitative-analysis program (exchanged as a REFI-QDA project, :mod:`refi_qda` and
:mod:`qda_tables`), the screening decisions in Rayyan, ASReview or Covidence exports
(:mod:`screening`), the references in a reference manager (:mod:`references`). Each
importer reads its file as untrusted input, maps it onto the contract's tables and hands
the rows to :mod:`package_update`, which merges them into the package folder (never
overwriting a row the user wrote), records the import in ``import_log.json`` and
validates the result. Importers import the contract only (tests/test_layers.py).
"""
