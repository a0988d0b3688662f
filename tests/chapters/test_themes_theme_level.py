"""A review that reports support at theme level only (issue 24): framework rows whose
``subtheme_id`` is the theme's own id, and codes without a number of excerpts.

Fixture: five papers from four studies (S01 and S02 are one study); themes T1 (papers
S01, S02, S03) and T2 (S02 only); T3 has no supporting paper; the review reports which
papers support which theme, not how many excerpts. Worked by hand: T1 3 of 5 papers
(60.0%) from 2 of 4 studies; T2 1 paper (20.0%), 1 study; T3 none.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.chapters import themes as themes_page
from analysis.stats import themes
from tests.myst_source import shown

FRAMEWORK = pd.DataFrame({
    "review": ["meta_synthesis"] * 3,
    "theme_id": ["T1", "T2", "T3"],
    "theme": ["Preparation", "Identity", "Support"],
    "subtheme_id": ["T1", "T2", "T3"],
    "subtheme": [np.nan] * 3,
    "subtheme_source": ["published"] * 3,
})
STUDIES = pd.DataFrame({
    "study_id": ["S01", "S02", "S03", "S04", "S05"],
    "study_group": ["G01", "G01", "G02", "G03", "G04"],
    "setting": ["generic", "generic", "specialist", "specialist", "other"],
    "country": ["UK", "UK", "Sweden", "UK", "Japan"],
})
STUDY_CODES = pd.DataFrame({
    "study_id": ["S01", "S02", "S02", "S03"],
    "subtheme_id": ["T1", "T1", "T2", "T1"],
    "n_excerpts": pd.array([pd.NA] * 4, dtype="Int64"),
})


@pytest.fixture
def support() -> themes.ThemeSupport:
    return themes.ThemeSupport.from_tables(STUDIES, STUDY_CODES, FRAMEWORK)


def test_a_theme_level_framework_has_one_row_per_theme(support):
    assert themes.theme_level(FRAMEWORK) and themes.subthemes(FRAMEWORK).empty
    table = themes.frequency_table(support)
    assert list(table["level"]) == ["theme"] * 3
    assert list(table["n_papers"]) == [3, 1, 0]
    assert list(table["pct_papers"]) == [60.0, 20.0, 0.0]
    assert list(table["n_studies"]) == [2, 1, 0]
    # excerpts not reported: not counted as one each
    assert table["n_excerpts"].isna().all()
    assert support.excerpts_not_reported == 4 and not support.excerpts_reported


def test_the_view_leaves_out_the_excerpts_and_names_themes(support):
    view = themes_page.frequency_view(themes.frequency_table(support))
    assert "Excerpts" not in view.columns
    assert list(view.index) == ["T1 Preparation", "T2 Identity", "T3 Support"]
    assert themes_page.frequency_caption(support) == (
        "Support for each theme (papers and distinct studies: n, % and Wilson interval)")


def test_the_headline_paragraph_speaks_of_themes(support):
    summary = themes.summarise_support(support)
    assert summary.n_subthemes == 0 and summary.n_themes == 3
    assert summary.least_supported_subtheme == "T3 Support"
    assert summary.unsupported_themes == ("T3 Support",)
    text = shown(themes_page.support_paragraph(summary))
    assert text == (
        "This page counts 5 papers from 4 distinct studies (papers left out for their "
        "quality band: 0; bands left out: none). The synthesis reports support at theme "
        "level only: 3 themes, without sub-themes, so every count on this page is of a whole "
        "theme. The most widely supported theme is *T1 Preparation* (60.0% of papers), the "
        "least widely supported *T3 Support* (0.0%, 0 papers from 0 studies). 1 theme has no "
        "supporting paper: T3 Support. The intervals are at the 95% level.")


def test_the_page_says_the_excerpts_are_not_reported(support):
    assert shown(themes_page.excerpts_note(support)) == (
        "The review does not report the number of coded excerpts (not reported for 4 codes), "
        "so the tables count supporting papers only and give no excerpts.")
    assert themes_page.heatmap_caption(support) == (
        "The paper x theme matrix. Each row is a paper, grouped by quality band; each column "
        "a theme. A shaded cell means the paper supports the theme; white means it does not "
        "(the review does not report excerpts).")


def test_a_theme_coded_directly_beside_sub_themes_counts_once():
    framework = pd.DataFrame({
        "review": ["meta_synthesis"] * 3, "theme_id": ["T1", "T1", "T2"],
        "theme": ["Preparation", "Preparation", "Identity"],
        "subtheme_id": ["T1", "T1.1", "T2.1"], "subtheme": ["", "Antenatal classes", "New"],
        "subtheme_source": ["published"] * 3})
    codes = pd.DataFrame({"study_id": ["S01", "S02", "S02"],
                          "subtheme_id": ["T1", "T1.1", "T2.1"], "n_excerpts": [2, 1, 5]})
    support = themes.ThemeSupport.from_tables(STUDIES, codes, framework)
    table = themes.frequency_table(support)
    assert list(table["subtheme_id"]) == ["", "T1.1", "", "T2.1"]  # no row for T1 itself
    assert list(table["n_papers"]) == [2, 1, 1, 1]
    assert list(table["n_excerpts"]) == [3, 1, 5, 5]
    assert support.excerpts_reported and themes_page.excerpts_note(support) is None


def test_a_sub_theme_framework_reads_as_before():
    framework = FRAMEWORK.assign(subtheme_id=["T1.1", "T2.1", "T3.1"],
                                 subtheme=["A", "B", "C"])
    codes = STUDY_CODES.assign(subtheme_id=["T1.1", "T1.1", "T2.1", "T1.1"],
                               n_excerpts=[1, 2, 3, 4])
    support = themes.ThemeSupport.from_tables(STUDIES, codes, framework)
    assert themes_page.heatmap_caption(support) == (
        "The paper x sub-theme matrix. Each row is a paper, grouped by quality band; each "
        "column a sub-theme, grouped by theme. The shade is the number of excerpts coded to "
        "the sub-theme; white means the paper does not support it.")
    assert themes_page.frequency_caption(support).endswith("Wilson interval; coded excerpts)")


def test_the_bands_come_from_the_checklist_in_force():
    from analysis.contract.validation import load_package

    bundled = shown(themes_page.appraisal_sentence(load_package(None)))
    assert bundled == ("Each paper's quality band comes from the agreed answers (labelled "
                       "'consensus' in the data) to the CASP Qualitative Checklist "
                       "{cite:p}`casp2018qualitative`.")
    jbi = load_package(Path(__file__).parents[1] / "fixtures" / "packages" / "qes_fathers_jbi")
    # cited where the bibliography holds the checklist's reference
    assert shown(themes_page.appraisal_sentence(jbi)).endswith(
        "to the JBI Critical Appraisal Checklist for Qualitative Research "
        "{cite:p}`lockwood2015qualitative`.")


def test_theme_level_tables_head_their_rows_theme():
    """A review reported at theme level has no sub-theme: its tables head the rows
    'Theme', never 'Theme or sub-theme', and the sensitivity sentence speaks of themes."""
    bands = pd.DataFrame({"study_id": STUDIES["study_id"],
                          "band": ["high", "high", "low", "moderate", "low"]})
    support = themes.ThemeSupport.from_tables(STUDIES, STUDY_CODES, FRAMEWORK, bands)
    table = themes.quality_sensitivity(support, ["low"], min_studies=2)
    view = themes_page.sensitivity_view(table)
    assert view.index.name == "Theme"
    assert list(view.index) == ["T1 Preparation", "T2 Identity", "T3 Support"]
    assert themes_page.frequency_view(themes.frequency_table(support)).index.name == "Theme"
    assert themes_page.group_view(themes.support_by_group(support, "setting")
                                  ).index.name == "Theme"
    summary = themes.summarise_sensitivity(support, table, ["low"], min_studies=2)
    words = themes_page.sensitivity_words(summary, support)
    assert words.rows == "theme"
    # leaving out S03 (low) leaves T1 one study (G01); S05 (low) supports no theme
    assert words.sentence == (
        "Leaving out the 2 papers rated low quality takes 1 theme below the threshold: "
        "T1 Preparation.")
    assert "sub-theme" not in words.sentence


def test_a_sub_theme_framework_still_heads_its_rows_theme_or_sub_theme():
    framework = FRAMEWORK.assign(subtheme_id=["T1.1", "T2.1", "T3.1"],
                                 subtheme=["A", "B", "C"])
    codes = STUDY_CODES.assign(subtheme_id=["T1.1", "T1.1", "T2.1", "T1.1"],
                               n_excerpts=[1, 2, 3, 4])
    support = themes.ThemeSupport.from_tables(STUDIES, codes, framework)
    table = themes.quality_sensitivity(support, [])
    assert themes_page.sensitivity_view(table).index.name == "Theme or sub-theme"
    summary = themes.summarise_sensitivity(support, table, [])
    assert themes_page.sensitivity_words(summary, support).rows == "theme and sub-theme"


def test_the_cerqual_page_says_which_papers_contribute_in_the_frameworks_words(tmp_path):
    """A meta-synthesis reported at theme level: its findings' papers are those coded to
    the theme (the metasynthesis_only fixture, its sub-themes folded into their themes)."""
    import shutil

    from analysis.chapters import quality as quality_page
    from analysis.contract.validation import load_package
    from analysis.stats import quality

    source = Path(__file__).parents[1] / "fixtures" / "packages" / "metasynthesis_only"
    folded = tmp_path / "theme_level"
    shutil.copytree(source, folded)
    framework = pd.read_csv(folded / "framework.csv").drop_duplicates("theme_id")
    framework.assign(subtheme_id=framework["theme_id"], subtheme=framework["theme"]).to_csv(
        folded / "framework.csv", index=False)
    codes = pd.read_csv(folded / "study_codes.csv")
    codes["subtheme_id"] = codes["subtheme_id"].str.split(".").str[0]
    codes.groupby(["study_id", "subtheme_id"], as_index=False)["n_excerpts"].sum().to_csv(
        folded / "study_codes.csv", index=False)
    def words(package):  # as the CERQual page computes them
        tool = quality.package_tool(package)
        rule = quality.BandingRule.from_parameter("default", tool.question_labels(),
                                                  tool.banding_answers())
        bands = quality.assign_bands(quality.answers_wide(
            quality.ratings(package, tool), quality.agreed_label(package)), rule)
        check = quality.cerqual_check(quality.cerqual_table(package, bands))
        return quality_page.cerqual_words(check, package)

    assert words(load_package(folded)).contributing == "those coded to it"
    assert words(load_package(source)).contributing == (
        "those coded to at least one of its sub-themes")
