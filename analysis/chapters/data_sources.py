"""What the page "Where the data came from" shows: the package's imports.

Read from ``import_log.json`` (:mod:`analysis.contract.import_log`): which files were
imported, when, with their size and SHA-256; what each mapped onto which table, row or
column; and what each file held that the tables have no place for. Every name in these
tables came from an imported file: the tables are displayed escaped
(:func:`analysis.chapters.page.show_text_table`) and the prose holds them as data text
in :class:`analysis.contract.escape.Myst`, which escapes them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.chapters.words import count_words, markdown
from analysis.contract.escape import Myst
from analysis.contract.import_log import ImportLog, import_log_of
from analysis.contract.package import DataPackage

KIND_WORDS = {"qdpx": "QDA project (REFI-QDA)", "references": "references",
              "screening title-abstract": "screening on title and abstract",
              "screening full-text": "screening of full texts"}


@dataclass(frozen=True)
class DataSources:
    """The imports of a package as tables for the page."""

    n_imports: int
    n_files: int  # distinct files (by SHA-256)
    n_left_out: int  # kinds of content left out, over all imports
    files: pd.DataFrame
    mapped: pd.DataFrame
    left_out: pd.DataFrame


def data_sources(package: DataPackage) -> DataSources:
    """The package's imports, from its ``import_log.json``.

    Parameters
    ----------
    package : DataPackage

    Returns
    -------
    DataSources
    """
    return data_sources_of(import_log_of(package.data_dir))


def data_sources_of(log: ImportLog) -> DataSources:
    """:func:`data_sources` on an import log already read."""
    files, mapped, left = [], [], []
    for n, record in enumerate(log.records, start=1):
        name = str(record.get("file", ""))
        files.append({"#": n, "Imported (UTC)": str(record.get("imported_at", "")),
                      "What": KIND_WORDS.get(record.get("kind"), str(record.get("kind", ""))),
                      "File": name, "Made by": str(record.get("program", "")),
                      "Bytes": int(record.get("bytes", 0) or 0),
                      "SHA-256": str(record.get("sha256", ""))})
        for item in record.get("mapped", []):
            mapped.append({"#": n, "File": name, "From": str(item.get("from", "")),
                           "To": str(item.get("to", ""))})
        for item in record.get("left_out", []):
            left.append({"#": n, "File": name, "Left out": str(item.get("what", "")),
                         "Count": int(item.get("count", 0) or 0)})
    columns_files = ["#", "Imported (UTC)", "What", "File", "Made by", "Bytes", "SHA-256"]
    return DataSources(
        n_imports=len(files),
        n_files=len({str(r.get("sha256")) for r in log.records}),
        n_left_out=len(left),
        files=pd.DataFrame(files, columns=columns_files),
        mapped=pd.DataFrame(mapped, columns=["#", "File", "From", "To"]),
        left_out=pd.DataFrame(left, columns=["#", "File", "Left out", "Count"]))


def data_sources_text(sources: DataSources) -> Myst:
    """The page's opening paragraph, reading right for any number of imports."""
    kinds = sorted(set(sources.files["What"]))
    text = Myst("{} of {} wrote tables of this package ({}). ").format(
        count_words(sources.n_imports, "import"),
        count_words(sources.n_files, "distinct file"), "; ".join(kinds))
    if sources.n_left_out:
        text += Myst("What the files held that the tables have no place for is listed "
                     "below, {} of content in all; nothing was dropped without being "
                     "counted.").format(count_words(sources.n_left_out, "kind"))
    else:
        text += Myst("Every part of the imported files found a place in the tables.")
    return text


def data_sources_markdown(sources: DataSources):
    """:func:`data_sources_text` as displayable Markdown."""
    return markdown(data_sources_text(sources))
