"""Filters declared ``options: each`` follow the package: the bundled one keeps its
multiverse, a package with other codes (tests/fixtures/packages/prevalence_only) builds
its own from the same file, and a rule naming codes a package lacks is set aside."""

from __future__ import annotations

import copy
import warnings

import pandas as pd
import pytest
import yaml

from analysis import paths
from analysis.contract.choices import CHOICES_FILE, ChoicesError, load_choices, parse
from analysis.contract.validation import load_package
from analysis.chapters import prevalence as prevalence_page
from analysis.stats import multiverse
from analysis.stats.prevalence import FreemanTukeyWarning

FIXTURE = paths.ROOT / "tests" / "fixtures" / "packages" / "prevalence_only"


@pytest.fixture(scope="module")
def fixture_package():
    return load_package(FIXTURE)


@pytest.fixture(scope="module")
def declaration() -> dict:
    return yaml.safe_load(CHOICES_FILE.read_text(encoding="utf-8"))


def _resolved(package, declared=None):
    return multiverse.resolve(package["prevalence_studies"], declared or load_choices(),
                              multiverse.package_categories(package))


def test_each_takes_the_bundled_packages_categories_in_its_order(package):
    choices = _resolved(package)
    options = choices.options("full")
    # The codes the file used to list, in the order of the contract's vocabulary.
    assert options["design"] == ("all", "one_stage", "two_stage")
    assert options["interviewer"] == ("all", "lay", "clinician")
    assert options["income_group"] == ("all", "high", "low_middle")
    assert len(choices.rules) == 1 and choices.set_aside == ()
    assert _resolved(package, choices) is choices  # nothing left to resolve


def test_each_takes_another_packages_codes_and_sets_the_rule_aside(fixture_package):
    choices = _resolved(fixture_package)
    options = choices.options("book")
    # Among the inpatient studies (the setting with the most), in the fixture's order.
    assert options["design"] == ("all", "screen_then_interview", "interview_only")
    assert options["interviewer"] == ("all", "psychologist", "psychiatrist", "nurse")
    assert options["income_group"] == ("all", "high", "upper_middle")  # no lower-middle study
    assert choices.rules == ()
    [(rule, reason)] = choices.set_aside
    assert dict(rule.when)["interviewer"] == ("clinician", "lay")
    assert reason == "the package's studies have no interviewer clinician or lay"
    assert multiverse.n_excluded(choices, "book") == 0


def test_the_fixtures_multiverse_runs_and_its_main_analysis_is_its_prevalence_page(
        fixture_package):
    choices = _resolved(fixture_package)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FreemanTukeyWarning)
        table = multiverse.run_serial(fixture_package["prevalence_studies"], choices, "book")
    assert len(table) == 4 * 2 * 2 * 3 * 4 * 3 * 2
    assert set(table["interviewer"]) == {"all", "psychologist", "psychiatrist", "nurse"}
    s = multiverse.summarise(table, choices, "book")
    context = prevalence_page.prevalence_context(fixture_package)
    assert s.main_k == 4
    # the multiverse's main specification: the page's estimate of the setting it selects
    # (the package names no main subset, so the page's main analysis pools every study)
    assert s.main_estimate == pytest.approx(
        100 * context.setting_estimate("inpatient").prevalence, abs=1e-12)
    assert s.n_too_few == int((table["k"] < 3).sum()) > 0


def test_a_main_option_or_book_option_the_package_lacks_is_named(fixture_package, declaration):
    spec = copy.deepcopy(declaration)
    spec["choices"]["design"]["main"] = "one_stage"
    spec["book"]["interviewer"] = ["all", "clinician"]
    spec["exclude"] = []
    with pytest.raises(ChoicesError) as info:
        _resolved(fixture_package, parse(spec, "multiverse.yml"))
    assert info.value.problems == [
        "multiverse.yml: choices.design.main: 'one_stage' is not a category of the package's "
        "studies (column design); values: screen_then_interview, interview_only; use 'all'",
        "multiverse.yml: book.interviewer: 'clinician' is not a category of the package's "
        "studies (column interviewer); values: psychologist, psychiatrist, nurse"]


def test_each_is_only_for_filters_and_must_be_resolved(declaration):
    spec = copy.deepcopy(declaration)
    spec["choices"]["transform"] = {"options": "each", "main": "logit"}
    with pytest.raises(ChoicesError) as info:
        parse(spec, "multiverse.yml")
    assert info.value.problems == ["multiverse.yml: choices.transform.options: must be a "
                                   "non-empty list"]
    with pytest.raises(ChoicesError, match="choices design, interviewer, income_group take "
                                           "'each' category of the package: resolve them"):
        list(load_choices().specifications("book"))


def test_the_page_reads_right_for_a_package_of_prevalence_studies_only(fixture_package):
    from analysis.chapters.multiverse import (NO_APPRAISAL, NO_THEMES, multiverse_page,
                                              rules_table)

    page = multiverse_page(fixture_package)
    assert page.facts.rules_text == ("No rule leaves out any combination. 1 declared rule is "
                                     "set aside: it names only codes these studies do not "
                                     "have.")
    assert page.facts.main_comparison == "the same as"
    assert page.quality_text.sentence == NO_APPRAISAL and page.quality.empty
    assert page.theme_text.sentence == NO_THEMES and page.themes.empty
    rules = rules_table(page.choices)
    assert list(rules["Applies here"]) == ["no: the package's studies have no interviewer "
                                           "clinician or lay"]
    assert isinstance(page.table, pd.DataFrame) and page.table["main"].sum() == 1
