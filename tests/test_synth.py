"""The generator: byte-reproducible, and calibrated to every published count."""

from __future__ import annotations

import filecmp

import pytest

from analysis import paths
from analysis.stats import prevalence
from analysis.contract.validation import load_package, validate
from analysis.contract import published as published_figures
from analysis.contract.validation import load_package as _load_bundled


def published(fact_id):
    """A figure the bundled package declares as published (its study section)."""
    return published_figures.published(_load_bundled(), fact_id)
from analysis.stats.sample import summarise_included_papers, summarise_interview_sample
from analysis.synth import DEFAULT_SEED, generate


@pytest.fixture(scope="module")
def seed7(tmp_path_factory):
    out = tmp_path_factory.mktemp("seed7")
    generate(seed=7, out_dir=out)
    return load_package(out)


def _same_files(a, b) -> list[str]:
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    _, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    return mismatch + errors


def test_same_seed_gives_identical_bytes(tmp_path):
    generate(seed=3, out_dir=tmp_path / "a")
    generate(seed=3, out_dir=tmp_path / "b")
    assert _same_files(tmp_path / "a", tmp_path / "b") == []


def test_bundled_data_is_the_default_seed_output(tmp_path):
    generate(seed=DEFAULT_SEED, out_dir=tmp_path)
    assert _same_files(tmp_path, paths.DATA_SYNTHETIC) == []


def test_package_declares_itself_synthetic(package):
    assert package.synthetic is True
    assert package.descriptor["generator"]["seed"] == DEFAULT_SEED
    assert any("sub-themes" in item for item in package.descriptor["invented"])


def _published_counts_hold(pkg):
    s = summarise_interview_sample(pkg)
    assert s.n_participants == published("participants").number
    assert s.n_men == published("men").number
    assert s.n_minority_ethnic == published("minority_ethnic").number
    assert s.n_lived_experience_interviews == published("lived_experience_interviews").number
    assert s.n_health_researcher_interviews == published("health_researcher_interviews").number
    assert s.duration_min == published("shortest_interview").number
    assert s.duration_max == published("longest_interview").number
    assert s.n_with_pd_diagnosis == s.n_participants
    assert s.regions_not_sampled == published("regions_not_sampled").value
    assert (s.first_interview, s.last_interview) == ("July 2019", "October 2020")
    people = pkg["participants"]
    after = people["interview_date"] > "2020-07-14"
    assert set(people.loc[after, "interview_mode"]) == {"video_call"}
    assert not people["interview_date"].between("2020-03-01", "2020-07-14").any()
    papers = summarise_included_papers(pkg)
    assert papers.n_papers == published("included_papers").number
    assert papers.year_first >= published("earliest_year").number
    fw = pkg["framework"]
    meta = fw[fw["review"] == "meta_synthesis"].drop_duplicates("theme_id")
    assert list(meta["theme"]) == [
        "The use and misuse of diagnosis",
        "The patient journey into services: nowhere to go",
        "Therapeutic relationships: connection and distance",
        "The nature of treatment: not doing too much or too little",
        "Managing safety issues and crises: being measured and proactive",
        "Clinician and wider service needs: whose needs are they anyway?",
    ]
    interview = fw[fw["review"] == "interview_study"]
    assert set(interview["theme"]) == {"Relational Practice"}
    assert list(interview["subtheme"]) == ["Understanding", "Interpersonal Connection",
                                           "Consistency and Continuity",
                                           "Adaptability and Accessibility"]


def test_published_counts_hold_in_bundled_data(package):
    _published_counts_hold(package)


def test_published_counts_hold_for_another_seed(seed7, package):
    _published_counts_hold(seed7)
    # ... while the invented detail differs.
    assert not seed7["participants"].equals(package["participants"])


@pytest.mark.parametrize("which", ["bundled", "seed7"])
def test_prevalence_calibrated_to_published_pooled_estimates(which, package, seed7):
    pkg = package if which == "bundled" else seed7
    studies = pkg["prevalence_studies"]
    community = studies[studies["setting"] == "community"]

    def pooled(rows):
        return 100 * prevalence.pool_logit(rows["cases"], rows["n"]).prevalence

    targets = {
        "prevalence_community": community,
        "prevalence_high_income": community[community["income_group"] == "high"],
        "prevalence_low_middle_income": community[community["income_group"] == "low_middle"],
        "prevalence_primary_care": studies[studies["setting"] == "primary_care"],
    }
    for fact, rows in targets.items():
        assert pooled(rows) == pytest.approx(published(fact).number, abs=0.5), fact
    assert len(community) == published("prevalence_community_studies").number


def test_scale_multiplies_rows_and_stays_valid(tmp_path):
    generate(seed=5, out_dir=tmp_path, scale=3)
    assert validate(tmp_path).ok
    pkg = load_package(tmp_path)
    assert len(pkg["participants"]) == 90
    assert len(pkg["studies"]) == 87
    assert int((pkg["participants"]["gender"] == "male").sum()) == 18


def test_a_generated_codebook_has_the_asked_number_of_subthemes_and_stays_valid(tmp_path):
    generate(seed=5, out_dir=tmp_path / "big", subthemes=25)
    generate(seed=5, out_dir=tmp_path / "plain")
    assert validate(tmp_path / "big").ok
    pkg = load_package(tmp_path / "big")
    meta = pkg["framework"][pkg["framework"]["review"] == "meta_synthesis"]
    assert len(meta) == 25 and meta["theme_id"].nunique() == 3  # ten to a theme
    assert set(pkg["cerqual"]["theme_id"]) == set(meta["theme_id"])
    assert set(pkg["study_codes"]["subtheme_id"]) <= set(meta["subtheme_id"])
    # Only the codebook differs: the papers, participants and prevalence studies do not.
    for name in ("studies.csv", "participants.csv", "prevalence_studies.csv"):
        assert filecmp.cmp(tmp_path / "big" / name, tmp_path / "plain" / name, shallow=False)
