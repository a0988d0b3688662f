"""The theme multiverse: its declaration, the table against the Theme frequencies chapter's
own functions, the chunked and Dask runs against the serial one, the page's sentences and
figure."""

from __future__ import annotations

import copy
import random

import matplotlib
import pandas as pd
import pytest
import yaml

from analysis import paths
from analysis.contract.choices import CHOICES_FILE, ChoicesError, load_choices, parse
from analysis.compute import cluster, multiverse as multiverse_compute
from analysis.stats import multiverse_themes, themes

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def choices():
    return load_choices()


@pytest.fixture(scope="module")
def declaration() -> dict:
    return yaml.safe_load(CHOICES_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def theme_table(package, choices) -> pd.DataFrame:
    return multiverse_themes.run_serial(package, choices)


def _problems(spec) -> list[str]:
    with pytest.raises(ChoicesError) as info:
        parse(spec, "multiverse.yml")
    return info.value.problems


# ------------------------------------------------------------------ the declaration


def test_the_main_analysis_is_the_themes_page(choices):
    pages = yaml.safe_load(paths.PAGES.read_text(encoding="utf-8"))
    page = next(p for part in pages["parts"] for p in part["pages"] if p["page"] == "themes")
    main = multiverse_themes.main_spec(choices)
    assert main["min_support"] == page["parameters"]["min_studies"]
    assert list(main["exclude_bands"]) == page["parameters"]["exclude_bands"]
    assert main["unit"] == "studies"  # the page flags themes by distinct studies
    # the notebook's default rule (pages.yml names none for the page)
    assert "quality_rule" not in page["parameters"] and main["banding_rule"] == "default"


def test_every_problem_of_the_themes_section_is_named(declaration):
    spec = copy.deepcopy(declaration)
    spec["themes"] = {
        "min_support": {"options": [0, 3], "main": 3},
        "unit": {"options": ["studies", "quotes"], "main": "studies"},
        "exclude_bands": {"options": [[], ["poor"]], "main": []},
        "banding_rule": {"options": ["default", "strict"], "main": "lenient"},
        "saturation": {"options": [1], "main": 1},
    }
    assert _problems(spec) == [
        "multiverse.yml: themes.min_support.options: 0 is not an option; use a whole number "
        "of at least 1",
        "multiverse.yml: themes.unit.options: 'quotes' is not an option; allowed: studies, "
        "papers",
        "multiverse.yml: themes.exclude_bands.options: ['poor'] is not an option; write a "
        "list of quality bands (high, moderate, low), each once, or [] to keep every paper",
        "multiverse.yml: themes.banding_rule.main: 'lenient' is not one of its options",
        "multiverse.yml: themes.saturation: unknown choice; known: min_support, unit, "
        "exclude_bands, banding_rule",
    ]


def test_bands_are_kept_best_first_and_a_repeat_is_named(declaration):
    spec = copy.deepcopy(declaration)
    spec["themes"]["exclude_bands"] = {"options": [[], ["low", "moderate"]], "main": []}
    parsed = parse(spec)
    assert next(c for c in parsed.themes if c.name == "exclude_bands").options == (
        (), ("moderate", "low"))
    spec["themes"]["exclude_bands"] = {"options": [["low"], ["low"]], "main": ["low"]}
    assert _problems(spec) == ["multiverse.yml: themes.exclude_bands.options: repeated: low"]


# ------------------------------------------------------- the product and the table


def test_without_a_band_left_out_the_rule_is_not_varied(choices):
    specs = multiverse_themes.specifications(choices)
    # 4 thresholds x 2 units x (no band left out once + 2 sets of bands x 3 rules)
    assert len(specs) == 4 * 2 * (1 + 2 * 3) == 56
    assert multiverse_themes.n_collapsed(choices) == 4 * 2 * 3 * 3 - 56
    assert all(s["banding_rule"] == "default" for s in specs if not s["exclude_bands"])
    assert specs.count(multiverse_themes.main_spec(choices)) == 1


def _direct(package, row) -> tuple[int, bool]:
    """A theme's support under one specification, by the chapter's own functions."""
    support = themes.ThemeSupport.from_package(package, row["banding_rule"])
    bands = [] if row["exclude_bands"] == "none" else row["exclude_bands"].split("+")
    minimum = int(row["min_support"])
    if row["unit"] == "studies":
        table = themes.quality_sensitivity(support, bands, minimum)
        theme = table[(table["level"] == "theme") & (table["theme_id"] == row["theme_id"])]
        return int(theme["n_studies_kept"].iloc[0]), bool(theme["flag"].iloc[0] == "")
    table = themes.frequency_table(support.without_bands(bands))
    theme = table[(table["level"] == "theme") & (table["theme_id"] == row["theme_id"])]
    count = int(theme["n_papers"].iloc[0])
    return count, count >= minimum


def test_a_sample_of_specifications_matches_the_themes_chapter(package, theme_table):
    specs = sorted(theme_table["specification"].unique())
    chosen = random.Random(20081008).sample(specs, 14)
    sample = theme_table[theme_table["specification"].isin(chosen)]
    assert set(sample["unit"]) == {"studies", "papers"}
    assert len(set(sample["exclude_bands"])) > 1
    for _, row in sample.iterrows():
        count, supported = _direct(package, row)
        assert (row["support"], row["supported"]) == (count, supported), row.to_dict()


def test_the_main_specification_is_the_themes_page(package, choices, theme_table):
    from analysis.chapters.multiverse import themes_page_support

    support = themes.ThemeSupport.from_package(package, "default")
    page = themes.quality_sensitivity(support, [], 3)
    page = page[page["level"] == "theme"]
    main = theme_table[theme_table["main"]]
    assert main["specification"].nunique() == 1
    assert list(main["theme_id"]) == list(page["theme_id"])
    assert list(main["support"]) == list(page["n_studies_kept"])
    assert list(main["supported"]) == list(page["flag"] == "")
    assert themes_page_support(package, choices) == dict(zip(main["theme_id"],
                                                             main["supported"]))


def test_robustness_counts_what_the_table_holds(theme_table, choices):
    robust = multiverse_themes.theme_robustness(theme_table)
    assert list(robust["n_specifications"]) == [56] * len(robust)
    for r in robust.itertuples():
        rows = theme_table[theme_table["theme_id"] == r.theme_id]
        assert r.n_supported == int(rows["supported"].sum())
        assert r.lowest_support == int(rows["support"].min())
    s = multiverse_themes.summarise(theme_table, choices)
    assert s.n_specifications == 56 and s.n_themes == len(robust)
    assert s.n_always + s.n_sometimes + s.n_never == s.n_themes
    assert s.main_n_supported == int(robust["main_supported"].sum())


def test_the_cluster_gives_the_serial_table(package, choices, theme_table):
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp",
                      dashboard_address=cluster.DASHBOARD) as local, \
            cluster.client_for(local.scheduler_address) as client:
        run = multiverse_compute.evaluate_themes(package, choices, client,
                                                 local.scheduler_address, chunk=12)
    assert run.n_tasks == 5 and run.where == local.scheduler_address
    pd.testing.assert_frame_equal(run.table, theme_table)
    here = multiverse_compute.evaluate_themes(package, choices)
    assert here.where == "this process"
    pd.testing.assert_frame_equal(here.table, theme_table)


# ------------------------------------------------------------ the page and its figure


def test_theme_sentences_read_for_any_outcome(theme_table, choices):
    from analysis.chapters.multiverse import NO_THEMES, theme_text

    words = theme_text(theme_table, choices)
    assert words.sentence.startswith("Under the main analysis (at least 3 studies, no paper "
                                     "left out) all 6 themes are supported, as on the Theme "
                                     "frequencies page.")
    assert "The choice that moves the support most is the least support a theme needs" \
        in words.sentence
    assert words.themes_sentence.startswith("The share of the specifications in which each "
                                            "theme is supported: T1 ")
    assert theme_text(pd.DataFrame(), choices, coded=False).sentence == NO_THEMES
    one = theme_table[theme_table["theme_id"] == "T1"].copy()
    one["supported"] = one["main"]
    text = theme_text(one, choices, page_support={"T1": False}).sentence
    assert text.startswith("Under the main analysis (at least 3 studies, no paper left out) "
                           "the one theme is supported, unlike on the Theme frequencies page")
    assert "Across the 56 specifications, the theme is supported in 2% of them." in text
    two = pd.concat([one, theme_table[theme_table["theme_id"] == "T2"]])
    assert ("Across the 56 specifications, 2 themes are supported in some of them only; the "
            "least robust is T1 The use and misuse of diagnosis, supported in 2% of them."
            ) in theme_text(two, choices).sentence
    none = one.assign(supported=False)
    assert "No theme is supported in any of the 56 specifications." in theme_text(
        none, choices).sentence
    undeclared = parse({**yaml.safe_load(CHOICES_FILE.read_text()), "themes": None})
    assert theme_text(pd.DataFrame(), undeclared).sentence.startswith("No theme choices")


def test_theme_figure_marks_the_main_specification(theme_table):
    from analysis.plots.multiverse import theme_support

    ax = theme_support(theme_table)
    image = ax.images[0].get_array()
    assert image.shape == (6, 56)
    outline = ax.patches[0]
    column = int(outline.get_x() + 0.5)
    main = theme_table[theme_table["main"]]
    assert list(image[:, column].astype(bool)) == list(main["supported"])
    shares = [t.get_text() for t in ax.texts]
    robust = multiverse_themes.theme_robustness(theme_table)
    assert shares == [f"{v:.0f}%" for v in robust["share_supported"]]
