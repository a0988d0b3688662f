"""What the Data dictionary page shows for one data package: its tables, one by one.

The words and tables come from :mod:`analysis.chapters.dictionary`; this module lays
them out, because a page of a package with fewer tables has fewer sections and a
notebook's Markdown cells cannot follow that.
"""

from __future__ import annotations

from analysis.chapters.page import show_text_table
from analysis.chapters.words import markdown
from analysis.chapters import dictionary
from analysis.contract.escape import Myst, myst_name, myst_paragraphs
from analysis.contract.package import DataPackage, contract_resources


def _display(*objects) -> None:
    from IPython.display import display

    display(*objects)


def show_invented(package: DataPackage) -> None:
    """What a synthetic package declares as invented; nothing for a package of real data."""
    if not package.synthetic:
        return
    _display(markdown(Myst("Synthetic: {}. Everything listed below was invented for the "
                           "synthetic data:").format(
                               dictionary.package_statement(package).synthetic)),
             show_text_table(dictionary.invented_table(package),
                             caption="Invented for the synthetic data"))


def show_study(package: DataPackage):
    """The package's study section, in words."""
    return markdown(dictionary.study_section(package), empty=False)


def show_tables(package: DataPackage) -> None:
    """For each table the package holds: what a row is, its columns, its categories."""
    for name, res in contract_resources().items():
        if name not in package.tables:
            continue
        file = res["path"]
        # a colon fence: a backtick fence's opening line may not hold a backtick
        described = myst_paragraphs(dictionary.table_description(package, name))
        _display(markdown(Myst(":::{{rubric}} `{}`\n:::\n\n{}").format(myst_name(file),
                                                                          described)),
                 show_text_table(dictionary.fields_table(name, package),
                                 caption=f"Columns of {file}"))
        categories = dictionary.vocabulary_table(package, name)
        if not categories.empty:
            _display(show_text_table(categories.set_index(["column", "declared in", "order"]),
                                     caption=f"Categories of {file} in force for this "
                                             "package: code, label and display order"))
