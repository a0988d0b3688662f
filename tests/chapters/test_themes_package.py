"""The theme pages and their method pages read the package, not the source studies.

On the bundled package and on the meta-synthesis-only fixture (five themes, reviewers
AB, CD and EF with agreed answers labelled 'agreed'): the bands come from the package's
agreed answers, the setting breakdown from its vocabulary, and each data-dependent
paragraph reads right for either package.
"""

from __future__ import annotations

import dataclasses

from analysis.chapters import book_pages, exercises
from analysis.chapters import themes as themes_page
from analysis.contract.validation import load_package
from analysis.stats import quality, themes
from tests.conftest import METASYNTHESIS_ONLY as FIXTURE, declare_categories
from tests.myst_source import shown

def test_bands_come_from_the_packages_agreed_answers(metasynthesis):
    bands = themes.paper_bands(metasynthesis)
    agreed = quality.answers_wide(metasynthesis["casp_ratings"], "agreed")
    expected = quality.assign_bands(agreed, quality.BandingRule.from_parameter("default"))
    assert bands.set_index("study_id")["band"].equals(expected["band"])
    assert len(bands) == 47 and set(bands["band"]) <= set(themes.BANDS)


def test_five_themes_and_their_support(metasynthesis):
    support = themes.ThemeSupport.from_package(metasynthesis)
    summary = themes.summarise_support(support)
    assert (summary.n_papers, summary.n_themes) == (47, 5)
    assert summary.n_studies == metasynthesis["studies"]["study_group"].nunique()
    text = shown(themes_page.support_paragraph(summary))
    assert "The synthesis has 5 themes and 15 sub-themes" in text
    assert "with 1 paper from 1 study" in text  # T4.4, found in one paper only


def test_the_setting_breakdown_follows_the_packages_vocabulary(data_copy):
    declare_categories(data_copy, "studies", "setting", {
        "other": "Elsewhere", "specialist": "Specialist teams", "generic": "Generic teams"})
    support = themes.ThemeSupport.from_package(load_package(data_copy))
    long = themes.support_by_group(support, "setting")
    assert list(dict.fromkeys(long["group_label"])) == ["Elsewhere", "Specialist teams",
                                                        "Generic teams"]


def test_paragraphs_read_right_for_one_theme_and_one_paper_left_out(package):
    support = themes.ThemeSupport.from_package(package)
    summary = dataclasses.replace(themes.summarise_support(support), n_themes=1,
                                  n_subthemes=1, n_subthemes_unsupported=1)
    text = shown(themes_page.support_paragraph(summary))
    assert "The synthesis has 1 theme and 1 sub-theme" in text
    assert "Its one theme, *" in text and "least widely" not in text
    assert "1 sub-theme has no supporting paper" in text
    low = support.units.index[support.units["band"] == "low"][:1]
    one_low = dataclasses.replace(support, units=support.units.assign(
        band=["low" if s in low else "high" for s in support.units.index]))
    table = themes.quality_sensitivity(one_low, ["low"], 3)
    sentence = themes_page.sensitivity_words(
        themes.summarise_sensitivity(one_low, table, ["low"], 3)).sentence
    assert sentence.startswith("Leaving out the one paper rated low quality")


def test_the_introduction_names_the_review_the_package_declares(package, metasynthesis):
    bundled = shown(themes_page.introduction(package))
    assert "{cite:p}`troup2020clinician`" in bundled  # in the bibliography: cited
    assert "[sub-themes of the interviews](interview_subthemes)" in bundled
    own = shown(themes_page.introduction(metasynthesis))
    assert "for the meta-synthesis of family carers' experiences (Fixture review 2024)" in own
    assert "interview" not in own  # no interview study, no page to send the reader to
    assert "clinician" not in own.lower()


def test_invented_names_are_mentioned_for_synthetic_data_only(package, metasynthesis):
    assert "invented for the synthetic data" in shown(themes_page.coding_note(package))
    assert themes_page.coding_note(metasynthesis) is None
    assert themes_page.appraisal_words(metasynthesis).agreed_label == "agreed"


def test_pages_of_the_book_and_links_to_them(package, metasynthesis):
    assert book_pages.in_book(metasynthesis, "themes")
    assert not book_pages.in_book(metasynthesis, "interview_subthemes")
    assert not book_pages.in_book(metasynthesis, "reproduction")  # no published figures
    assert book_pages.in_book(package, "reproduction")
    assert book_pages.link(metasynthesis, "prisma", "PRISMA") == "[PRISMA](prisma)"
    assert book_pages.link(metasynthesis, "saturation", "saturation") == "saturation"


def test_exercises_start_from_the_books_own_package(metasynthesis):
    code = exercises.exercise_code("method_cerqual", str(FIXTURE)).data
    assert f'load_package("{FIXTURE}")["cerqual"]' in code
    assert "data_synthetic" not in code
    answers = exercises.cerqual(metasynthesis)
    assert (answers.findings, answers.n_very_low) == ("5 findings", 1)
    assert exercises.thematic_synthesis(metasynthesis).framework_size == (
        "15 sub-themes under 5 themes")
    agreed = exercises.casp(metasynthesis)
    assert agreed.n_papers == 47


def test_no_concern_is_said_in_a_sentence(metasynthesis):
    calm = metasynthesis["cerqual"].assign(concern="no")
    answers = exercises.cerqual(dataclasses.replace(
        metasynthesis, tables={**metasynthesis.tables, "cerqual": calm}))
    assert answers.top_component_answer == ("No finding has moderate or serious concerns on "
                                            "any component.")
