"""What the theme pages show: frequency, group, sensitivity and breakdown tables as a
reader sees them (counts with percentages and intervals in one cell, indented sub-themes),
and the paragraphs whose wording follows the package (which review, how many themes,
what was invented).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.chapters.book_pages import in_book
from analysis.chapters.citations import bibliography_keys, review_name
from analysis.chapters.page import csv_href, download_links, export_table, show_table
from analysis.chapters.words import count_words, markdown
from analysis.contract.escape import Myst, myst_role, myst_text
from analysis.contract.package import DataPackage
from analysis.stats.quality import package_tool
from analysis.stats.themes import (INTERVIEW_STUDY, META_SYNTHESIS, SensitivitySummary,
                                   SupportSummary, ThemeSupport, theme_level)


ROW_LABEL = "Theme or sub-theme"
THEME_ROW_LABEL = "Theme"  # a review reported at theme level has no sub-theme rows
WITHHELD = "…"  # a count hidden so that a suppressed one cannot be worked out
_INDENT = "\u2003"  # an em space survives HTML whitespace collapsing


def row_labels(table: pd.DataFrame) -> pd.Series:
    """'T1 Theme name' for a theme row, an indented 'T1.1 Sub-theme name' under it;
    headed 'Theme' where every row is a theme (a review reported at theme level)."""
    themes_only = bool((table["level"] == "theme").all())
    return pd.Series(np.where(table["level"] == "theme",
                              table["theme_id"] + " " + table["theme"],
                              _INDENT + table["subtheme_id"] + " " + table["subtheme"]),
                     index=table.index, name=THEME_ROW_LABEL if themes_only else ROW_LABEL)


def frequency_view(table: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """A frequency table as a reader sees it: named columns, interval as 'low–high'.

    Takes the output of :func:`frequency_table` (papers and studies) or of
    :func:`participant_frequency` (participants).
    """
    unit = "Papers" if "n_papers" in table else "Participants"
    shown = pd.DataFrame({
        f"{unit} n": table["n_papers" if unit == "Papers" else "n_participants"],
        f"{unit} %": table["pct_papers" if unit == "Papers" else "pct_participants"],
        f"{unit} {confidence:.0%} CI (%)": [_interval(lo, hi) for lo, hi in
                                            zip(table["ci_low"], table["ci_high"])],
    })
    if unit == "Papers":
        shown["Studies n"] = table["n_studies"]
        shown["Studies %"] = table["pct_studies"]
        shown[f"Studies {confidence:.0%} CI (%)"] = [
            _interval(lo, hi) for lo, hi in zip(table["studies_ci_low"], table["studies_ci_high"])]
    if table["n_excerpts"].notna().all():  # left out where the review does not report them
        shown["Excerpts"] = table["n_excerpts"]
    return shown.set_index(row_labels(table))


def _interval(low: float, high: float) -> str:
    # word joiners keep an interval on one line in a narrow column
    return "–" if np.isnan(low) else f"{low:.1f}\u2060–\u2060{high:.1f}"


def group_view(long: pd.DataFrame) -> pd.DataFrame:
    """A breakdown as a reader sees it: one column per group, cells 'n (%)'."""
    labels = row_labels(long)
    long = long.assign(
        column=long["group_label"] + " (n=" + long["n_group"].astype(str) + ")",
        cell=[f"{n} ({100 * n / total:.0f}%)" for n, total in
              zip(long["n_papers"], long["n_group"])],
        label=labels,
    )
    wide = long.pivot_table(index="label", columns="column", values="cell", aggfunc="first",
                            sort=False)
    wide = wide[list(dict.fromkeys(long["column"]))]
    wide.index.name = labels.name
    wide.columns.name = None
    return wide


def sensitivity_view(table: pd.DataFrame) -> pd.DataFrame:
    """The sensitivity table as a reader sees it: 'all papers → papers kept' per count."""
    def arrow(before, after, fmt="{}"):
        return [f"{fmt.format(b)}\u00a0→\u00a0{fmt.format(a)}" for b, a in zip(before, after)]

    shown = pd.DataFrame({
        "Papers": arrow(table["n_papers_all"], table["n_papers_kept"]),
        "Papers %": arrow(table["pct_all"], table["pct_kept"], "{:.1f}"),
        "Studies": arrow(table["n_studies_all"], table["n_studies_kept"]),
        "Change (% points)": table["change_pct"],
        "Flag": np.where(table["newly_flagged"], table["flag"] + " (new)", table["flag"]),
    })
    return shown.set_index(row_labels(table))


def breakdown_view(long: pd.DataFrame, suppress_below: int = 3) -> pd.DataFrame:
    """A participant breakdown as a reader sees it: cells 'n (%)' or '<k'.

    Columns are the theme and sub-theme ids (named in the participant frequency table),
    so the table fits a page; each category carries its number of participants (N).
    """
    withheld = long["withheld"] if "withheld" in long else np.zeros(len(long), dtype=bool)
    cells = [f"<{suppress_below}" if hidden else WITHHELD if held
             else f"{n} ({100 * n / total:.0f}%)"
             for n, total, hidden, held in zip(long["n"], long["n_category"],
                                               long["suppressed"], withheld)]
    theme_row = ~long["key"].str.contains(".", regex=False)
    long = long.assign(cell=cells,
                       column=np.where(theme_row, long["key"] + " (any)", long["key"]),
                       row=long["category"] + " (N=" + long["n_category"].astype(str) + ")")
    wide = long.pivot_table(index=["characteristic", "row"], columns="column", values="cell",
                            aggfunc="first", sort=False)
    wide = wide[list(dict.fromkeys(long["column"]))]
    wide.index.names = ["Characteristic", "Category (N)"]
    wide.columns.name = None
    return wide


# ------------------------------------------------------------ data-dependent prose


def _review_themes(package: DataPackage, review: str) -> pd.DataFrame:
    framework = package["framework"]
    return framework[framework["review"] == review]


def _theme_level(package: DataPackage, review: str = META_SYNTHESIS) -> bool:
    """Whether a review of the package reports support at theme level only."""
    return theme_level(_review_themes(package, review))


def introduction(package: DataPackage):
    """The opening paragraph: which review is counted, and where the interviews are.

    The review is named from the package's study section; the interview study's page is
    mentioned only when the package holds its tables. A review that reports support at
    theme level only is counted by theme.
    """
    what = "each theme" if _theme_level(package) else "each theme and sub-theme"
    text = Myst("How well is each theme grounded in the sources it was built from? This "
                "chapter counts, for {}, how many included papers (and how many distinct "
                "studies) support {}, where that support comes from, and "
                "whether it survives leaving out the papers of lower methodological "
                "quality.").format(review_name(package, META_SYNTHESIS), what)
    interviews = _review_themes(package, INTERVIEW_STUDY)
    if in_book(package, "interview_subthemes") and not interviews.empty:
        n_themes = interviews["theme_id"].nunique()
        which = "its central theme" if n_themes == 1 else "its themes"
        text += Myst(" Which participants of the interview study raised each sub-theme of {} "
                     "is counted on the [sub-themes of the interviews](interview_subthemes) "
                     "page.").format(which)
    return markdown(text)


def support_paragraph(summary: SupportSummary):
    """The headline paragraph of the frequency table, singular or plural as the counts are.

    A review that reports support at theme level only (no sub-theme) is described by its
    themes (:func:`theme_level_paragraph`).
    """
    left_out = (f"papers left out for their quality band: {summary.n_excluded_papers}; bands "
                f"left out: {summary.excluded_bands}")
    if summary.n_subthemes == 0:
        return markdown(theme_level_paragraph(summary, left_out))
    spread = _spread(summary)
    unsupported = summary.n_subthemes_unsupported
    lacking = ("every sub-theme has at least one supporting paper" if unsupported == 0 else
               f"{count_words(unsupported, 'sub-theme')} "
               f"{'has' if unsupported == 1 else 'have'} no supporting paper")
    text = Myst("This page counts {} from {} ({}). The synthesis has {} and {}; a paper "
                "supports a theme when it supports any of its sub-themes. {} The thinnest "
                "sub-theme is *{}*, with {} from {}; {}. The intervals are at the {:g}% "
                "level.").format(
                    count_words(summary.n_papers, "paper"),
                    count_words(summary.n_studies, "distinct study", "distinct studies"),
                    left_out, count_words(summary.n_themes, "theme"),
                    count_words(summary.n_subthemes, "sub-theme"), spread,
                    summary.least_supported_subtheme,
                    count_words(summary.least_supported_subtheme_papers, "paper"),
                    count_words(summary.least_supported_subtheme_studies, "study", "studies"),
                    lacking, summary.confidence_pct)
    return markdown(text)


def _spread(summary: SupportSummary, least_counts: Myst = Myst("")) -> Myst:
    """The sentence on how widely the themes are supported: the one theme, or the most
    and the least supported (with ``least_counts`` after the least one's share)."""
    if summary.n_themes == 1:
        return Myst("Its one theme, *{}*, is supported by {:.1f}% of papers.").format(
            summary.most_supported_theme, summary.most_supported_pct)
    return Myst("The most widely supported theme is *{}* ({:.1f}% of papers), the least "
                "widely supported *{}* ({:.1f}%{}).").format(
                    summary.most_supported_theme, summary.most_supported_pct,
                    summary.least_supported_theme, summary.least_supported_pct, least_counts)


def theme_level_paragraph(summary: SupportSummary, left_out: str) -> Myst:
    """The headline paragraph for a review that reports support at theme level only:
    its themes, the most and least supported, and that sub-themes are not reported."""
    # At theme level the thinnest "sub-theme" is the least supported theme itself.
    spread = _spread(summary, Myst(", {} from {}").format(
        count_words(summary.least_supported_subtheme_papers, "paper"),
        count_words(summary.least_supported_subtheme_studies, "study", "studies")))
    unsupported = summary.unsupported_themes
    lacking = ("Every theme has at least one supporting paper." if not unsupported else
               Myst("{} {} no supporting paper: {}.").format(
                   count_words(len(unsupported), "theme"),
                   "has" if len(unsupported) == 1 else "have", "; ".join(unsupported)))
    return Myst("This page counts {} from {} ({}). The synthesis reports support at theme "
                "level only: {}, without sub-themes, so every count on this page is of a "
                "whole theme. {} {} The intervals are at the {:g}% level.").format(
                    count_words(summary.n_papers, "paper"),
                    count_words(summary.n_studies, "distinct study", "distinct studies"),
                    left_out, count_words(summary.n_themes, "theme"), spread, lacking,
                    summary.confidence_pct)


def excerpts_note(support: ThemeSupport):
    """That the review does not report how many excerpts each code holds, so the tables
    count supporting papers only; nothing when every code reports them."""
    if support.excerpts_reported:
        return None
    return markdown(Myst("The review does not report the number of coded excerpts (not "
                         "reported for {}), so the tables count supporting papers only and "
                         "give no excerpts.").format(
        count_words(support.excerpts_not_reported, "code")))


def heatmap_caption(support: ThemeSupport) -> str:
    """The caption of the paper x sub-theme (or theme) matrix: what a column and a shade
    are, as the review reports them."""
    level = "theme" if theme_level(support.framework) else "sub-theme"
    columns = ("each column a theme" if level == "theme"
               else "each column a sub-theme, grouped by theme")
    shade = (f"The shade is the number of excerpts coded to the {level}; white means the "
             "paper does not support it." if support.excerpts_reported else
             f"A shaded cell means the paper supports the {level}; white means it does not "
             "(the review does not report excerpts).")
    return (f"The paper x {level} matrix. Each row is a paper, grouped by quality band; "
            f"{columns}. {shade}")


@dataclass(frozen=True)
class SensitivityWords:
    """What the page says leaving out papers does to theme support (glued as ``sens_``):
    the sentence, and the flagged rows, the first ``LISTED_ROWS`` of a longer list."""

    sentence: str
    rows: str = "theme and sub-theme"  # what a row of the table is: "theme" at theme level
    flagged_listed: str = "none"


LISTED_ROWS = 40  # rows a sentence names one by one; the table's CSV file has the rest


def _listed(rows: tuple[str, ...] | list[str]) -> str:
    """Rows joined with '; ', the first ``LISTED_ROWS`` of a longer list and how many more."""
    if len(rows) <= LISTED_ROWS:
        return "; ".join(rows)
    return (f"{'; '.join(rows[:LISTED_ROWS])}; and {len(rows) - LISTED_ROWS:,} more (every "
            "row is in the table's CSV file)")


def sensitivity_words(summary: SensitivitySummary,
                      support: ThemeSupport | None = None) -> SensitivityWords:
    """Which themes and sub-themes leaving out papers takes below the threshold, in one
    sentence; that no paper is left out when none is. With the support of a review
    reported at theme level (``support``), it speaks of themes only."""
    at_theme_level = support is not None and theme_level(support.framework)
    rows = "theme" if at_theme_level else "theme and sub-theme"
    either = "theme" if at_theme_level else "theme or sub-theme"
    n_out = summary.n_papers_excluded
    listed = _listed(summary.flagged_rows) or "none"
    if n_out == 0:
        return SensitivityWords(
            "No paper is left out on this page, so the columns before and after agree; the "
            "flags show where support is thin even with every paper.", rows, listed)
    papers_out = "the one paper" if n_out == 1 else f"the {n_out} papers"
    rated = " or ".join(summary.left_out_bands)
    newly = summary.newly_flagged_rows
    if not newly:
        return SensitivityWords(f"Leaving out {papers_out} rated {rated} quality takes no "
                                f"{either} below the threshold.", rows, listed)
    several = "s" if len(newly) > 1 else ""
    counted = (f"theme{several}" if at_theme_level
               else f"theme{several} or sub-theme{several}")
    return SensitivityWords(f"Leaving out {papers_out} rated {rated} quality takes "
                            f"{len(newly)} {counted} below the threshold: "
                            f"{_listed(newly)}.", rows, listed)


def coding_note(package: DataPackage):
    """Which names and codes of the meta-synthesis are invented (nothing for real data)."""
    if not package.synthetic:
        return None
    sub = _review_themes(package, META_SYNTHESIS)
    n_invented = int((sub["subtheme_source"] == "invented").sum())
    if n_invented == len(sub):
        text = ("The theme names are the published ones; the sub-themes and the coding of "
                "each paper are invented for the synthetic data, since the synthesis framework "
                "was not published.")
    elif n_invented == 0:
        text = ("The theme and sub-theme names are the published ones; the coding of each "
                "paper is invented for the synthetic data.")
    else:
        text = (f"The theme names are the published ones, as are {len(sub) - n_invented} of "
                f"the {len(sub)} sub-themes; the other sub-themes and the coding of each paper "
                "are invented for the synthetic data.")
    return markdown(myst_text(text))


@dataclass(frozen=True)
class AppraisalWords:
    """How the page names the appraisal behind the quality bands (glued as ``appraisal_``)."""

    agreed_label: str


def appraisal_words(package: DataPackage) -> AppraisalWords:
    """The reviewer label of the agreed answers the bands come from."""
    return AppraisalWords(agreed_label=package.study.agreed_label)


def frequency_caption(support: ThemeSupport) -> str:
    """The caption of the frequency table: its rows (themes, or themes and sub-themes)
    and whether it counts coded excerpts."""
    rows = "theme" if theme_level(support.framework) else "theme and sub-theme"
    excerpts = "; coded excerpts" if support.excerpts_reported else ""
    return (f"Support for each {rows} (papers and distinct studies: n, % and Wilson "
            f"interval{excerpts})")


def heatmap_markdown(support: ThemeSupport, shape: Layout | None = None):
    """The glued support matrix with its caption (:func:`heatmap_caption`). Unnamed: two
    pages of one notebook show it, and a name would be a label twice in the book. On a
    compact page (``shape``) the figure draws the most widely supported themes, and the
    caption says so."""
    caption = heatmap_caption(support)
    if shape is not None and shape.compact:
        drawn = matrix_shown(support, shape)
        caption = (f"{heatmap_caption(drawn)} Drawn: the {drawn.excerpts.shape[1]} themes "
                   f"most papers support, of {support.themes().shape[0]:,}; a cell sums the "
                   "theme's sub-themes. The whole matrix is a download below.")
    return markdown(Myst("```{{glue:figure}} fig_support_heatmap\n\n{}\n```").format(caption))


def appraisal_sentence(package: DataPackage):
    """Where each paper's quality band comes from: the agreed answers to the checklist in
    force (:func:`analysis.stats.quality.package_tool`), cited where the book's
    bibliography holds it and named otherwise."""
    tool = package_tool(package)
    cited = (myst_role("cite:p", tool.reference) if tool.reference in bibliography_keys()
             else Myst(""))
    return markdown(Myst("Each paper's quality band comes from the agreed answers (labelled "
                         "'{}' in the data) to the {}{}.").format(
        package.study.agreed_label, tool.name, Myst(" ") + cited if cited else Myst("")))


# ------------------------------------------------------------ codebooks of real size

COMPACT_ROWS = 40  # themes a compact page draws, and sub-themes it lists by support


@dataclass(frozen=True)
class Layout:
    """How much of the codebook a theme page lists one by one.

    A codebook of up to ``compact_above`` rows (sub-themes, or themes where the review
    reports support at theme level) is listed whole, as the bundled book's is. A larger
    one (a QDA codebook easily holds hundreds of codes) is ``compact``: the tables list
    the themes, the figures draw the ``COMPACT_ROWS`` most widely supported themes, and
    every row of every table is in its CSV and Excel files.
    """

    compact: bool
    n_rows: int
    compact_above: int
    theme_level: bool


def layout(support: ThemeSupport, compact_above: int) -> Layout:
    """The :class:`Layout` of a page with the ``compact_above`` page parameter."""
    n_rows = len(support.framework)
    return Layout(compact=n_rows > compact_above, n_rows=n_rows,
                  compact_above=int(compact_above), theme_level=theme_level(support.framework))


def compact_note(shape: Layout):
    """What a compact page leaves out of its tables and figures, and where it is; nothing
    for a codebook the page lists whole."""
    if not shape.compact:
        return None
    rows = count_words(shape.n_rows, "theme" if shape.theme_level else "sub-theme")
    listed = ("the tables list the themes and the " f"{COMPACT_ROWS} most widely supported "
              "sub-themes" if not shape.theme_level else "the tables list every theme")
    return markdown(myst_text(
        f"This codebook has {rows}, more than the {shape.compact_above} this page lists one "
        f"by one (the page parameter compact_above): {listed}, the figures draw the "
        f"{COMPACT_ROWS} themes most papers support, and every row of every table is in "
        "its CSV and Excel files, linked below it."))


def _theme_rows(view: pd.DataFrame) -> pd.DataFrame:
    """The theme rows of a view indexed by :func:`row_labels` (sub-themes are indented)."""
    return view[~view.index.astype(str).str.startswith(_INDENT)]


def show_rows(view: pd.DataFrame, shape: Layout, caption: str):
    """A theme and sub-theme table (a frequency, group or sensitivity view): every row,
    or on a compact page its theme rows, with every row in its CSV file."""
    if not shape.compact or shape.theme_level:
        return show_table(view, caption=caption)
    return show_table(_theme_rows(view), published=view, name=caption,
                      caption=f"{caption}; themes only, every sub-theme in the CSV file")


def top_subthemes(view: pd.DataFrame, shape: Layout):
    """On a compact page, the ``COMPACT_ROWS`` sub-themes of a frequency view that most
    papers support (in framework order); nothing otherwise."""
    if not shape.compact or shape.theme_level:
        return None
    subs = view[view.index.astype(str).str.startswith(_INDENT)]
    ranked = subs.iloc[:, 0].sort_values(ascending=False, kind="stable").index[:COMPACT_ROWS]
    top = subs[subs.index.isin(ranked)]
    return show_table(top, caption=f"The {len(top)} sub-themes most papers support, of "
                                   f"{shape.n_rows:,}")


def show_cooccurrence(table: pd.DataFrame, support: ThemeSupport, shape: Layout):
    """Papers supporting both themes of each pair: every pair, or on a compact page the
    pairs of the ``COMPACT_ROWS`` most widely supported themes, every pair in the CSV."""
    caption = "Papers supporting both themes"
    n_themes = len(table)
    if not shape.compact or n_themes <= COMPACT_ROWS:
        return show_table(table, caption=caption)
    keep = np.isin(table.columns, support.most_supported_themes(COMPACT_ROWS))
    return show_table(table.iloc[keep, keep], published=table, name=caption,
                      caption=f"{caption} (the {int(keep.sum())} themes most papers support, "
                              f"of {n_themes:,}; every pair in the CSV file)")


def matrix_shown(support: ThemeSupport, shape: Layout) -> ThemeSupport:
    """The support a page's paper x sub-theme figure draws: all of it, or on a compact
    page the ``COMPACT_ROWS`` most widely supported themes, each a column."""
    if not shape.compact:
        return support
    return support.at_theme_level(support.most_supported_themes(COMPACT_ROWS))


@dataclass(frozen=True)
class MatrixDownload:
    """The links to the whole paper x sub-theme matrix under a compact page's figure."""

    href: str | None

    def _repr_html_(self) -> str:
        lead = "<p>Every paper and sub-theme of the matrix, one row a sub-theme:</p>"
        return lead + download_links(self.href) if self.href else ""


def matrix_download(support: ThemeSupport, shape: Layout):
    """On a compact page, the whole paper x sub-theme matrix as a download (sub-themes
    as rows, so that even a very large codebook fits a spreadsheet); nothing otherwise."""
    if not shape.compact:
        return None
    names = support.framework.set_index("subtheme_id")
    matrix = support.excerpts.T
    matrix.index = names.loc[matrix.index, "theme_id"] + " / " + matrix.index.astype(str)
    matrix.index.name = "Theme / sub-theme"
    matrix.columns.name = None
    return MatrixDownload(csv_href(export_table(matrix, "Excerpts coded per sub-theme and "
                                                         "paper")))


def sensitivity_rows(table: pd.DataFrame, shape: Layout) -> pd.DataFrame:
    """The rows of the sensitivity table a page draws: every row, or on a compact page
    the ``COMPACT_ROWS`` themes whose share of papers fell most (then the least
    supported), in table order."""
    if not shape.compact:
        return table
    themes = table[table["level"] == "theme"]
    keep = themes.sort_values(["change_pct", "pct_kept"], kind="stable").index[:COMPACT_ROWS]
    return table.loc[sorted(keep)]


def sensitivity_markdown(shape: Layout, words: SensitivityWords | None = None):
    """The glued sensitivity figure with its caption: every row, or which rows a compact
    page draws; a row is what ``words`` say (:func:`sensitivity_words`)."""
    rows = words.rows if words is not None else "theme and sub-theme"
    caption = (f"Share of papers supporting each {rows}, with all papers (grey) and with the "
               "papers kept on this page (blue; orange when flagged). A long line is a "
               "finding whose support depended on the papers left out.")
    if shape.compact:
        caption += (f" Drawn: the {COMPACT_ROWS} themes whose share fell most (then the "
                    "least supported); every row is in the table's CSV file above.")
    return markdown(Myst("```{{glue:figure}} fig_sensitivity\n\n{}\n```").format(caption))
