"""The multiverse: declared choices, their product, the table against direct calls of the
chapter's functions, the Dask runs against the serial one, the cache, the page and the
command line."""

from __future__ import annotations

import contextlib
import copy
import itertools
import random
import socket
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
import yaml

from analysis import paths
from analysis.contract.choices import CHOICES_FILE, ChoicesError, load_choices, parse
from analysis.chapters import prevalence as prevalence_page
from analysis.compute import cluster, multiverse as multiverse_compute
from analysis.stats import hartung_knapp, multiverse, prevalence

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def studies(package) -> pd.DataFrame:
    return package["prevalence_studies"]


@pytest.fixture(scope="module")
def choices(package, studies):
    """The declared choices, their 'each' filters completed from the bundled package, with
    its threshold (10%) in force as on the page."""
    from analysis.chapters.multiverse import package_threshold

    return multiverse.resolve(studies, package_threshold(load_choices(), package),
                              multiverse.package_categories(package))


@pytest.fixture(scope="module")
def declaration() -> dict:
    return yaml.safe_load(CHOICES_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def book_table(studies, choices) -> pd.DataFrame:
    return multiverse.run_serial(studies, choices, "book")


@pytest.fixture(scope="module")
def full_sample(studies, choices) -> pd.DataFrame:
    """A seeded sample of 120 specifications of the full multiverse, evaluated."""
    rows = multiverse.setting_studies(studies, choices)
    specs = multiverse.specifications(rows, choices, "full")
    chosen = random.Random(20201215).sample(specs, 120)
    return multiverse.table(multiverse.evaluate_many(rows, chosen, choices.min_studies),
                            choices)


# ------------------------------------------------------------------ the declaration


def test_main_analysis_is_the_prevalence_page():
    pages = yaml.safe_load(paths.PAGES.read_text(encoding="utf-8"))
    page = next(p for part in pages["parts"] for p in part["pages"] if p["page"] == "prevalence")
    main = load_choices().main
    assert main["transform"] == page["parameters"]["transform"]
    assert main["tau2_method"] == page["parameters"]["tau2_method"]
    # The page's headline interval is the usual (Wald) one; Hartung-Knapp stands beside it.
    assert "interval" not in page["parameters"] and main["interval"] == "wald"
    assert all(main[name] == "all" for name in ("design", "interviewer", "income_group",
                                                   "year_from"))
    assert main["leave_one_out"] == "none"


def _problems(spec) -> list[str]:
    with pytest.raises(ChoicesError) as info:
        parse(spec, "multiverse.yml")
    return info.value.problems


def test_every_problem_of_a_declaration_is_named(declaration):
    spec = copy.deepcopy(declaration)
    spec["choices"]["transform"] = {"options": ["logit", "lgt"], "main": "logt"}
    spec["choices"]["tau"] = {"options": ["dl"], "main": "dl"}
    spec["choices"]["year_from"]["options"].append("recent")
    spec["exclude"].append({"when": {"design": "all"}, "why": "drops the main analysis"})
    spec["book"]["income_group"] = ["high"]
    spec["min_studies"] = 1
    spec["colour"] = "blue"
    problems = _problems(spec)
    expected = [
        "multiverse.yml: colour: unknown key",
        "multiverse.yml: min_studies: must be a whole number of at least 2",
        "multiverse.yml: choices.transform.options: 'lgt' is not an option; allowed: logit",
        "multiverse.yml: choices.transform.main: 'logt' is not one of its options",
        "multiverse.yml: choices.tau: unknown choice",
        "multiverse.yml: choices.year_from.options: 'recent' is not an option",
        "multiverse.yml: exclude[2]: excludes the main analysis",
        "multiverse.yml: book.income_group: must keep the main analysis's option 'all'",
    ]
    for start in expected:
        assert any(p.startswith(start) for p in problems), (start, problems)
    assert len(problems) == len(expected)


def test_the_threshold_is_the_declarations_never_the_codes(declaration):
    # The bundled file declares none: the package's own (10% for the bundled package)
    # or the page's parameter is put in force by the page (tests/test_multiverse_glmm.py).
    assert "conclusion" not in declaration and load_choices().below_percent is None
    spec = copy.deepcopy(declaration)
    spec["conclusion"] = {"below_percent": 4.5}
    assert parse(spec).below_percent == 4.5
    spec["conclusion"] = {"below_percent": 150}
    assert _problems(spec) == [
        "multiverse.yml: conclusion: must be {below_percent: P} with P a percentage between "
        "0 and 100, not {'below_percent': 150}"]


def test_a_rule_on_an_unknown_option_is_named(declaration):
    spec = copy.deepcopy(declaration)
    spec["choices"]["design"]["options"] = ["all", "one_stage", "two_stage"]
    spec["exclude"] = [{"when": {"design": "three_stage"}, "why": "typo"},
                       {"when": {"interval": "profile"}, "why": "typo"}]
    assert _problems(spec) == [
        "multiverse.yml: exclude[1].when.design: 'three_stage' is not one of its options",
        "multiverse.yml: exclude[2].when.interval: 'profile' is not one of its options"]


def test_an_option_absent_from_the_data_is_named(declaration, studies):
    spec = copy.deepcopy(declaration)
    spec["choices"]["income_group"]["options"] = ["all", "high", "low_middle", "upper_middle"]
    with pytest.raises(ChoicesError) as info:
        multiverse.setting_studies(studies, parse(spec, "multiverse.yml"))
    assert info.value.problems == [
        "multiverse.yml: choices.income_group.options: 'upper_middle' does not occur among "
        "the community studies of prevalence_studies.csv (column income_group); values: "
        "high, low_middle"]


def test_a_missing_file_is_one_message(tmp_path):
    with pytest.raises(ChoicesError, match="no such file"):
        load_choices(tmp_path / "none.yml")


# ------------------------------------------------------------ the product and the rules


def test_the_multiverse_is_the_product_less_the_rules(choices):
    options = choices.options("book")
    specs = list(choices.specifications("book"))
    product = int(np.prod([len(v) for v in options.values()]))
    rule = choices.rules[0]
    # The one declared rule: interviewer chosen only among one-stage surveys.
    excluded = sum(1 for values in itertools.product(*options.values())
                   if rule.matches(dict(zip(options, values))))
    # transforms x tau² x intervals x design all|two_stage x clinician|lay x income x year
    assert excluded == 4 * 2 * 2 * 2 * 2 * 3 * 2
    assert len(specs) == product - excluded == 480
    assert not any(rule.matches(s) for s in specs)
    assert len({tuple(s.items()) for s in specs}) == len(specs)
    assert specs[0] == choices.main


def test_leave_one_out_makes_one_specification_per_study_of_its_subset(studies, choices):
    rows = multiverse.setting_studies(studies, choices)
    specs = multiverse.specifications(rows, choices, "full")
    assert len({tuple(s.items()) for s in specs}) == len(specs)
    main_filters = {k: v for k, v in choices.main.items() if k != "leave_one_out"}
    left_out = [s for s in specs if s["leave_one_out"] != "none"
                and all(s[k] == v for k, v in main_filters.items())]
    assert sorted(s["leave_one_out"] for s in left_out) == sorted(rows["study_id"])
    subset = {**choices.main, "income_group": "low_middle"}
    in_subset = set(rows.loc[rows["income_group"] == "low_middle", "study_id"])
    chosen = {s["leave_one_out"] for s in specs if s["leave_one_out"] != "none"
              and all(s[k] == v for k, v in subset.items() if k != "leave_one_out")}
    assert chosen == in_subset


# ------------------------------------------------- the table against direct calls


def _direct(studies: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """The studies of a specification, chosen with pandas queries (not StudyArrays)."""
    rows = studies[studies["setting"] == "community"]
    for column in ("design", "interviewer", "income_group"):
        if spec[column] != "all":
            rows = rows[rows[column] == spec[column]]
    if spec["year_from"] != "all":
        rows = rows[rows["year"] >= int(spec["year_from"])]
    if spec["leave_one_out"] != "none":
        rows = rows[rows["study_id"] != spec["leave_one_out"]]
    return rows


def test_a_sample_of_specifications_matches_direct_calls(studies, full_sample):
    sample = full_sample[full_sample["status"] == multiverse.OK]
    assert len(sample) > 90
    assert set(sample["interval"]) == {"wald", "hartung_knapp"}
    for _, row in sample.iterrows():
        chosen = _direct(studies, row.to_dict())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", prevalence.FreemanTukeyWarning)
            res = prevalence.estimate(chosen["cases"], chosen["n"], row["transform"],
                                      row["tau2_method"])
            hk = hartung_knapp.prevalence_sensitivity(chosen["cases"], chosen["n"],
                                                      row["transform"], row["tau2_method"])
        low, high = ((res.ci_low, res.ci_high) if row["interval"] == "wald"
                     else (hk.hk_low, hk.hk_high))
        assert row["k"] == len(chosen) == res.k
        assert row["n"] == int(chosen["n"].sum())
        assert row["prevalence"] == pytest.approx(100 * res.prevalence, abs=1e-12)
        assert row["prevalence"] == pytest.approx(100 * hk.prevalence, abs=1e-12)
        assert row["ci_low"] == pytest.approx(100 * low, abs=1e-12)
        assert row["ci_high"] == pytest.approx(100 * high, abs=1e-12)
        assert row["pi_low"] == pytest.approx(100 * res.pi_low, abs=1e-12)
        assert row["i2_percent"] == pytest.approx(res.i2_percent, abs=1e-9)


def test_every_scale_and_estimator_matches_the_prevalence_chapter(package, book_table):
    all_studies = book_table[(book_table[["design", "interviewer", "income_group",
                                          "year_from", "leave_one_out"]]
                              == ["all", "all", "all", "all", "none"]).all(axis=1)]
    assert len(all_studies) == 16
    contexts = {}  # one per scale and estimator, for its two intervals' rows
    for _, row in all_studies.iterrows():
        key = (row["transform"], row["tau2_method"])
        if key not in contexts:
            contexts[key] = prevalence_page.prevalence_context(package, *key)
        context = contexts[key]
        community = context.setting_estimate("community")
        assert context.main_setting == "community"
        assert row["prevalence"] == pytest.approx(100 * community.prevalence, abs=1e-12)
        assert row["k"] == community.k
        if row["interval"] == "wald":
            assert row["ci_low"] == pytest.approx(100 * community.ci_low, abs=1e-12)
        else:  # the Prevalence page's Hartung-Knapp table, by setting
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", prevalence.FreemanTukeyWarning)
                table = hartung_knapp.setting_sensitivity(
                    package["prevalence_studies"], row["transform"], row["tau2_method"],
                    labels=context.vocabularies["setting"])
            hk = table.loc[context.label("setting", "community")]
            assert row["ci_low"] == pytest.approx(hk["hk_low"], abs=1e-12)
            assert row["ci_high"] == pytest.approx(hk["hk_high"], abs=1e-12)


def test_small_subsets_are_not_pooled(studies, full_sample, choices):
    few = full_sample[full_sample["status"] == multiverse.TOO_FEW]
    assert len(few) and (few["k"] < choices.min_studies).all()
    assert few["prevalence"].isna().all()
    assert (full_sample.loc[full_sample["status"] == multiverse.OK, "k"]
            >= choices.min_studies).all()


# -------------------------------------------------------------------- the summary


def test_summary_counts_what_the_table_holds(book_table, choices):
    s = multiverse.summarise(book_table, choices, "book")
    pooled = book_table[book_table["status"] == multiverse.OK]
    assert s.n_specifications == 480 and s.n_pooled == len(pooled)
    assert s.n_below == int((pooled["prevalence"] < 10).sum())
    assert s.share_below == pytest.approx(100 * s.n_below / s.n_pooled)
    assert s.main_estimate == pytest.approx(float(pooled.loc[pooled["main"],
                                                             "prevalence"].iloc[0]))
    assert s.main_rank == int((pooled["prevalence"] < s.main_estimate).sum()) + 1
    medians = {name: pooled.groupby(name)["prevalence"].median() for name in
               ("transform", "tau2_method", "interval", "design", "interviewer",
                "income_group", "year_from")}
    spreads = {name: m.max() - m.min() for name, m in medians.items()}
    top = max(spreads, key=spreads.get)
    assert s.top_choice == top.replace("_", " ")
    assert s.top_choice_spread == pytest.approx(spreads[top])


# ---------------------------------------------------------------- Dask, cache, export


def test_a_small_multiverse_runs_here_and_a_scheduler_gives_the_same_table(
        studies, choices, book_table):
    from dask.distributed import LocalCluster

    here = multiverse_compute.evaluate(studies, choices, "book")
    assert here.where == "this process" and here.n_tasks == 1
    pd.testing.assert_frame_equal(here.table, book_table, check_exact=False, rtol=0,
                                  atol=1e-10)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp",
                      dashboard_address=cluster.DASHBOARD) as local:
        assert local.scheduler_address.startswith("tcp://")
        explicit = multiverse_compute.evaluate(studies, choices, "book",
                                               scheduler=local.scheduler_address, chunk=70)
    assert explicit.where == local.scheduler_address and explicit.n_tasks == 7
    assert explicit.n_workers == 2
    pd.testing.assert_frame_equal(explicit.table, here.table, check_exact=True)  # bit for bit


def test_from_the_threshold_on_a_local_cluster_is_started(studies, choices):
    with multiverse_compute.cluster_for(10, cluster_from=11) as none:
        assert none is None
    with multiverse_compute.cluster_for(11, n_workers=1, processes=False,
                                        cluster_from=11) as client:
        assert cluster.workers_of(client) == 1


def test_an_unreachable_scheduler_is_one_message(studies, choices, monkeypatch):
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", "1s")
    with pytest.raises(cluster.SchedulerError, match="no Dask scheduler answered at "
                                                     "tcp://127.0.0.1:9"):
        multiverse_compute.evaluate(studies, choices, "book", scheduler="tcp://127.0.0.1:9")


def test_chunks_take_about_the_target_time_and_spread_over_the_workers():
    assert multiverse_compute.chunk_size(1_000_000, 1e-5, 1) == int(
        multiverse_compute.TASK_SECONDS / 1e-5)
    # Two workers get at least four chunks each.
    assert multiverse_compute.chunk_size(40_000, 1e-6, 2) == 5_000
    assert multiverse_compute.chunk_size(10, 1.0, 1) == multiverse_compute.MIN_CHUNK
    assert multiverse_compute.chunk_size(0, 1.0, 4) == 1


def test_the_folder_is_the_cache_and_follows_the_inputs(studies, choices, tmp_path,
                                                         book_table, declaration):
    first = multiverse_compute.to_folder(studies, choices, "book", tmp_path)
    again = multiverse_compute.to_folder(studies, choices, "book", tmp_path)
    assert first.where == "this process" and again.where == "cache"
    parquet, csv = tmp_path / "multiverse_book.parquet", tmp_path / "multiverse_book.csv"
    assert first.files == (parquet, csv) == again.files
    pd.testing.assert_frame_equal(pd.read_parquet(parquet), book_table, check_exact=False,
                                  rtol=0, atol=1e-10)
    # The summary's columns read back from the file give the summary of the whole table.
    assert multiverse.summarise(again.summary_table, choices, "book") == \
        multiverse.summarise(first.summary_table, choices, "book") == \
        multiverse.summarise(pd.read_parquet(parquet), choices, "book")
    assert multiverse_compute.table_key(parquet) == first.key
    changed = studies.copy()
    changed.loc[changed.index[0], "cases"] += 1
    assert multiverse_compute.cache_key(changed, choices, "book") != first.key
    spec = copy.deepcopy(declaration)
    spec["min_studies"] = 4
    assert multiverse_compute.cache_key(studies, parse(spec), "book") != first.key
    assert multiverse_compute.cache_key(studies, choices, "full") != first.key
    redone = multiverse_compute.to_folder(studies, choices, "book", tmp_path,
                                          use_cache=False)
    assert redone.where == "this process"
    assert not list(tmp_path.glob("*.partial"))


def test_export_writes_csv_and_parquet_and_escapes_formulas(book_table, tmp_path):
    parquet, csv = multiverse_compute.export(book_table, tmp_path)
    pd.testing.assert_frame_equal(pd.read_parquet(parquet), book_table)
    back = pd.read_csv(csv, dtype={"year_from": str})
    assert len(back) == len(book_table)
    assert list(back.columns) == list(book_table.columns)
    odd = book_table.head(2).assign(leave_one_out=["=HYPERLINK(1)", "-0.5"])
    _, csv = multiverse_compute.export(odd, tmp_path, "odd")
    assert pd.read_csv(csv, dtype=str)["leave_one_out"].tolist() == ["'=HYPERLINK(1)", "-0.5"]


def test_the_books_export_is_csv_and_parquet_only_beyond_a_spreadsheet(book_table, tmp_path,
                                                                       monkeypatch):
    (csv,) = multiverse_compute.export(book_table, tmp_path, "book", parquet=False)
    assert csv.suffix == ".csv" and not list(tmp_path.glob("*.parquet"))
    monkeypatch.setattr(multiverse_compute, "SPREADSHEET_ROWS", len(book_table) - 1)
    (parquet,) = multiverse_compute.export(book_table, tmp_path, "long", parquet=False)
    assert parquet.suffix == ".parquet" and not (tmp_path / "long.csv").exists()
    pd.testing.assert_frame_equal(pd.read_parquet(parquet), book_table)


# ------------------------------------------------------------ the page and its figure


def test_the_page_marks_the_prevalence_pages_estimate(package):
    from analysis.chapters.multiverse import multiverse_page

    # With the usual dashboard port taken (another cluster), the page still warns of
    # nothing: a warning would be printed on the page.
    with socket.socket() as taken, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with contextlib.suppress(OSError):
            taken.bind(("127.0.0.1", 8787))
            taken.listen()
        page = multiverse_page(package)
    assert [str(w.message) for w in caught] == []
    context = prevalence_page.prevalence_context(package, "logit", "dl")
    community = 100 * context.setting_estimate("community").prevalence
    assert page.summary.main_estimate == pytest.approx(community, abs=1e-12)
    assert page.facts.prevalence_page == community
    assert page.facts.setting_text == ("the 46 studies of the setting Community (the setting "
                                       "with the most studies, as on the Prevalence context "
                                       "page)")
    assert page.facts.main_comparison == "the same as"
    assert page.facts.where == "this page's own process, as arrays"
    assert page.facts.how == ("in this page's own process, as arrays, in 1 chunk (a "
                              "multiverse of 300,000 specifications or more runs on a Dask "
                              "cluster)")
    assert page.effects.index[0] == page.summary.top_choice
    assert page.facts.rules_text == "1 rule leaves out combinations that make no sense."
    # The theme multiverse ran too, its main analysis the Themes page's.
    assert page.theme_text.main_comparison == "the same as"
    assert page.themes["specification"].nunique() == page.theme_text.n_specifications == 56
    assert not page.quality.empty


def test_specification_curve_draws_every_pooled_estimate(book_table, choices):
    from analysis.plots.multiverse import specification_curve

    ax = specification_curve(book_table, choices)
    assert len(ax.figure.axes) == 2
    points, main = ax.collections[1], ax.collections[2]
    pooled = book_table[book_table["status"] == multiverse.OK]
    assert len(points.get_offsets()) == len(pooled)
    x, y = main.get_offsets()[0]
    sorted_estimates = np.sort(pooled["prevalence"].to_numpy())
    assert y == pytest.approx(float(pooled.loc[pooled["main"], "prevalence"].iloc[0]))
    assert sorted_estimates[int(x) - 1] == pytest.approx(y)
    labels = [t.get_text() for t in ax.figure.axes[1].get_yticklabels()]
    assert "transform: logit" in labels and "leave one out: none" in labels
    assert "interval: hartung knapp" in labels and "interviewer: lay" in labels


def test_a_dense_indicator_panel_marks_each_specification_with_a_vertical_line(book_table,
                                                                                choices):
    from analysis.plots.multiverse import MAX_MARKED, _option_rows, specification_curve

    pooled = book_table[book_table["status"] == multiverse.OK].sort_values(
        ["prevalence", "specification"])
    assert len(pooled) > MAX_MARKED  # the bundled multiverse draws the dense panel
    panel = specification_curve(book_table, choices).figure.axes[1]
    rows = _option_rows(choices, pooled)
    marks = [c for c in panel.collections if c.get_segments()]
    assert len(marks) == len(rows)
    for i, ((_, _, mask), lines) in enumerate(zip(rows, marks)):
        segments = np.array(lines.get_segments())
        assert len(segments) == mask.sum() and lines.get_rasterized()
        assert np.array_equal(segments[:, 0, 0], np.flatnonzero(mask) + 1)  # x: sorted rank
        assert np.array_equal(segments[:, 0, 0], segments[:, 1, 0])  # vertical
        assert np.allclose(segments[:, :, 1], [i - 0.35, i + 0.35])
    assert panel.get_ylim() == (len(rows) - 0.5, -0.5)


# ------------------------------------------------------- the build and the command line


def test_the_build_checks_the_declaration_and_keys_the_page_on_it(tmp_path, declaration):
    from analysis.engine.declared import check_declared_files, declared_files
    from analysis.pages.page import Page

    good = Page("multiverse", "x", "multiverse", parameters={"choices_file": "multiverse.yml"})
    assert check_declared_files([good]) == []
    bad_file = tmp_path / "bad.yml"
    spec = copy.deepcopy(declaration)
    spec["choices"]["transform"]["main"] = "probit"
    bad_file.write_text(yaml.safe_dump(spec))
    bad = Page("multiverse", "x", "multiverse", parameters={"choices_file": str(bad_file)})
    assert check_declared_files([bad]) == [
        f"pages.yml: page 'multiverse': {bad_file}: choices.transform.main: 'probit' is not "
        "one of its options (logit, freeman_tukey, arcsine, proportion)"]
    odd = Page("multiverse", "x", "multiverse", parameters={
        "choices_file": "multiverse.yml", "size": "huge", "workers": 0})
    assert check_declared_files([odd]) == [
        "pages.yml: page 'multiverse': size must be one of book, full, not 'huge'",
        "pages.yml: page 'multiverse': workers must be a whole number of at least 1, not 0"]
    before = declared_files(bad.parameters)
    bad_file.write_text(bad_file.read_text() + "\n# edited\n")
    assert declared_files(bad.parameters) != before


def test_the_command_line_exits_2_on_bad_choices(tmp_path, capsys, declaration):
    from analysis.__main__ import main

    spec = copy.deepcopy(declaration)
    spec["choices"]["design"]["options"] = ["all", "one_stage", "two_stage", "three_stage"]
    path = tmp_path / "choices.yml"
    path.write_text(yaml.safe_dump(spec))
    assert main(["multiverse", "--choices", str(path), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "choices.design.options: 'three_stage' does not occur" in err
    assert "Traceback" not in err


# ------------------------------------------------------------ the quality judgement


def test_quality_multiverse_matches_the_quality_chapter(package, choices):
    from analysis.stats import quality

    consensus = quality.answers_wide(quality.ratings(package, quality.load_tool()))
    table = multiverse.quality_multiverse(consensus, choices)
    # 2 x 2 x 3 x 2 combinations; none has moderate limits below high ones except
    # high_max_no 1 with moderate_max_no 0 (6 of them).
    assert len(table) == 24 - 6
    for _, row in table.iterrows():
        rule = quality.BandingRule("x", int(row["high_max_cant_tell"]), int(row["high_max_no"]),
                                   int(row["moderate_max_cant_tell"]),
                                   int(row["moderate_max_no"]))
        judged = quality.review_judgement(quality.assign_bands(consensus, rule), rule)
        assert (row["judgement"], row["n_high"], row["n_low"]) == (
            judged.judgement, judged.n_high, judged.n_low)
    main = table[table["main"]].iloc[0]
    default = quality.BANDING_RULES["default"]
    assert (main["high_max_cant_tell"], main["high_max_no"], main["moderate_max_cant_tell"],
            main["moderate_max_no"]) == default.limits()
    summary = multiverse.summarise_quality(table)
    assert summary.main_judgement == quality.review_judgement(
        quality.assign_bands(consensus, default), default).judgement
    assert summary.n_same == int((table["judgement"] == summary.main_judgement).sum())


def test_quality_limits_are_checked(declaration):
    spec = copy.deepcopy(declaration)
    spec["quality"]["high_max_no"] = {"options": [0, -1], "main": 0}
    spec["quality"]["strictness"] = {"options": [1], "main": 1}
    assert _problems(spec) == [
        "multiverse.yml: quality.high_max_no.options: must be whole numbers of at least 0, "
        "not [0, -1]",
        "multiverse.yml: quality.strictness: unknown limit; known: high_max_cant_tell, "
        "high_max_no, moderate_max_cant_tell, moderate_max_no"]


def test_quality_sentence_reads_for_any_outcome():
    from analysis.chapters.multiverse import quality_sentence

    same = pd.DataFrame({"judgement": ["moderate"] * 3, "main": [True, False, False]})
    assert quality_sentence(same) == ("The review-level quality judgement is moderate, as "
                                      "under the main rule, under every one of the 3 "
                                      "banding rules the declared limits make.")
    mixed = pd.DataFrame({"judgement": ["moderate", "high"], "main": [True, False]})
    assert quality_sentence(mixed).endswith("in 50% of them (1); by judgement: high under 1 "
                                            "rule; moderate under 1 rule.")
    assert quality_sentence(pd.DataFrame()).startswith("No limits of the banding rule")
