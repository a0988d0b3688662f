"""The landing page: what the data package says its study is, and what the book holds.

Nothing here is about the two source studies unless the package declares it: the title,
the description and the reports come from the package's study section
(:mod:`analysis.contract.study`), the synthetic-data notice from its ``synthetic`` and
``invented`` entries, and the list of chapters left out from the build.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from analysis.chapters.sample import left_out_reason
from analysis.chapters.words import markdown
from analysis.contract.escape import Myst, myst_paragraphs
from analysis.contract.package import DataPackage

REVIEW_WORDS = {"meta_synthesis": "a meta-synthesis", "interview_study": "an interview study",
                "prevalence": "a prevalence meta-analysis"}


def study_markdown(package: DataPackage) -> Myst:
    """The study in the package's own words: title, description and the reports it uses."""
    study = package.study
    lines = []
    if study.title:
        lines.append(Myst("**{}**").format(study.title))
        lines.append(Myst(""))
    if study.description:
        lines += [myst_paragraphs(study.description), Myst("")]
    if study.reports:
        lines.append(Myst("The data package re-analyses ")
                     + ("this report:" if len(study.reports) == 1 else "these reports:"))
        lines.append(Myst(""))
        for report in study.reports:
            what = report.what or REVIEW_WORDS.get(report.review, report.review)
            lines.append(Myst("- **{}**, {}. {}").format(report.short, what, report.citation))
    else:
        lines.append(Myst("The data package names no published report; its study section "
                          "can list them (see the [Data dictionary](data_dictionary))."))
    return Myst("\n").join(lines)


def synthetic_markdown(package: DataPackage) -> Myst:
    """The warning that the rows are invented, with what was invented; empty for real data."""
    if not package.synthetic:
        return Myst("")
    invented = [str(item) for item in package.descriptor.get("invented", [])]
    text = [Myst("```{admonition} The data are synthetic"), Myst(":class: warning"),
            Myst("The rows of this data package are invented. A banner on every page says "
                 "so, and the footer of every page names the edition, the git commit and a "
                 "fingerprint of the data.")]
    if invented:
        text += [Myst(""), Myst("What the package declares as invented:"), Myst("")]
        text += [Myst("- {}").format(item) for item in invented]
    text.append(Myst("```"))
    return Myst("\n").join(text)


def left_out_markdown(left_out: Iterable[Mapping[str, str]],
                      package: DataPackage | None = None) -> Myst:
    """The chapters the build left out and why: "left out: Prevalence context, no ...".

    With the package, a chapter that needs each participant's data, left out of a book
    on a published sample summary, says so
    (:func:`analysis.chapters.sample.left_out_reason`). Empty when every chapter was
    built.
    """
    items = list(left_out)
    if not items:
        return Myst("")
    one = len(items) == 1
    lines = [Myst("```{admonition} Chapters left out"), Myst(":class: note"),
             Myst("The data package does not hold what {}, so the book leaves {} out:").format(
                 "this chapter shows" if one else "these chapters show", "it" if one else "them"),
             Myst("")]
    for item in items:
        why = left_out_reason(package, item.get("page", "")) if package is not None else ""
        lines.append(Myst("- left out: {}, {}{}").format(
            item["title"], item["reason"], f"; {why}" if why else ""))
    lines.append(Myst("```"))
    return Myst("\n").join(lines)


def landing_markdown(package: DataPackage, left_out: Iterable[Mapping[str, str]] = ()):
    """The landing page's data-dependent part as displayable Markdown."""
    parts = [study_markdown(package), synthetic_markdown(package),
             left_out_markdown(left_out, package)]
    return markdown(Myst("\n\n").join(part for part in parts if part), empty=False)
