"""The multiverse as arrays against the per-specification reference: every specification of
the bundled multiverse, a seeded sample of the resampled one, the enumeration, the
chunking and the estimator that has no batched pooling."""

from __future__ import annotations

import copy
import inspect
import itertools
import random

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis.contract.choices import CHOICES_FILE, load_choices, parse
from analysis.stats import multiverse, multiverse_batch, multiverse_themes

TOLERANCE = dict(check_exact=False, rtol=0, atol=1e-10)


@pytest.fixture(scope="module")
def studies(package) -> pd.DataFrame:
    return package["prevalence_studies"]


@pytest.fixture(scope="module")
def choices(package, studies):
    return multiverse.resolve(studies, load_choices(), multiverse.package_categories(package))


@pytest.fixture(scope="module")
def declaration() -> dict:
    return yaml.safe_load(CHOICES_FILE.read_text(encoding="utf-8"))


def test_every_specification_of_the_bundled_multiverse_matches_the_reference(studies, choices):
    batched = multiverse_batch.run_batched(studies, choices, "full")
    reference = multiverse.run_serial(studies, choices, "full")
    assert len(batched) == 7664
    assert set(batched["tau2_method"]) == {"dl", "pm"}
    assert set(batched["transform"]) == {"logit", "freeman_tukey", "arcsine", "proportion"}
    assert (batched["status"] == multiverse.TOO_FEW).any()
    pd.testing.assert_frame_equal(batched, reference, **TOLERANCE)


def test_a_seeded_sample_of_the_resampled_multiverse_matches_the_reference(studies, choices):
    plan = multiverse_batch.SpecificationPlan.of(multiverse.setting_studies(studies, choices),
                                                 choices, "resampled")
    assert len(plan) > 1_000_000
    draw = random.Random(20201215)
    # A sample of every number, and the first specification of some combinations (the
    # combinations themselves are a sliver of a million).
    picks = sorted({*draw.sample(range(len(plan)), 250),
                    *(int(plan.starts[b]) for b in draw.sample(range(len(plan.bases)), 10))})
    batched = pd.concat([plan.evaluate(i, i + 1) for i in picks], ignore_index=True)
    specs = [plan.spec(i) for i in picks]
    assert {"leave_one_out", "leave_k_out", "bootstrap", "base"} <= {
        "leave_one_out" if s["leave_one_out"] != "none" else
        "leave_k_out" if s["leave_k_out"] != "none" else
        "bootstrap" if s["bootstrap"] != "none" else "base" for s in specs}
    reference = multiverse.table(
        multiverse.evaluate_many(plan.studies, specs, choices.min_studies,
                                 choices.resampling.seed), choices, "resampled")
    reference["specification"] = [i + 1 for i in picks]
    pd.testing.assert_frame_equal(batched, reference, **TOLERANCE)
    # A bootstrap replicate pools as many studies as its subset has, some more than once.
    boot = batched[batched["bootstrap"] != "none"]
    assert len(boot) and (boot["k"] >= choices.min_studies).all()


def test_the_plan_numbers_the_specifications_as_the_reference_lists_them(studies, declaration):
    spec = copy.deepcopy(declaration)
    spec["choices"]["transform"]["options"] = ["logit", "arcsine"]
    spec["choices"]["tau2_method"]["options"] = ["dl"]
    spec["choices"]["interval"]["options"] = ["wald"]
    spec["choices"]["year_from"]["options"] = ["all", 2010]
    spec["book"]["year_from"] = ["all"]
    spec["resampling"] = {"leave_k_out": [2, 3], "bootstrap": {"replicates": 7, "seed": 3}}
    small = multiverse.resolve(studies, parse(spec))
    rows = multiverse.setting_studies(studies, small)
    for size in ("book", "full", "resampled"):
        plan = multiverse_batch.SpecificationPlan.of(rows, small, size)
        listed = multiverse.specifications(rows, small, size)
        assert len(plan) == len(listed)
        # Every specification's options as the table writes them ...
        names = small.columns(size)
        written = plan.evaluate()[list(names)]
        expected = pd.DataFrame([{n: multiverse.option_text(n, s[n]) for n in names}
                                 for s in listed], columns=list(names))
        pd.testing.assert_frame_equal(written, expected.astype(str))
        # ... and a sample of them as the reference evaluates them.
        for i in random.Random(size).sample(range(len(plan)), min(300, len(plan))):
            assert plan.spec(i) == listed[i]
    # Leave-k-out only where min_studies remain; bootstrap only where the subset pools.
    resampled = multiverse.specifications(rows, small, "resampled")
    arrays = multiverse.StudyArrays.from_frame(rows)
    assert all(arrays.mask(s).sum() >= small.min_studies
               for s in resampled if s["leave_k_out"] != "none")


def test_chunk_boundaries_do_not_change_the_table(studies, choices):
    plan = multiverse_batch.plan(studies, choices, "resampled")
    # Around the first Freeman-Tukey, Paule-Mandel, Hartung-Knapp combination: the
    # bootstrap replicates of the one before it, then its own leave-k-out subsets.
    first = next(b for b, base in enumerate(plan.bases) if (
        base["transform"], base["tau2_method"], base["interval"]) == (
        "freeman_tukey", "pm", "hartung_knapp"))
    lo = int(plan.starts[first]) - 1_200
    whole = plan.evaluate(lo, lo + 2_500)
    assert {"leave_k_out", "bootstrap"} <= {c for c in ("leave_k_out", "bootstrap")
                                            if (whole[c] != "none").any()}
    cuts = [lo, lo + 1, lo + 664, lo + 1_123, lo + 2_000, lo + 2_500]
    parts = pd.concat([plan.evaluate(a, b) for a, b in zip(cuts, cuts[1:])],
                      ignore_index=True)
    # Bit for bit: a table computed in other chunks (on a cluster) is the same table.
    pd.testing.assert_frame_equal(parts, whole, check_exact=True)
    ones = pd.concat([plan.evaluate(i, i + 1) for i in range(lo + 1_150, lo + 1_250)],
                     ignore_index=True)
    pd.testing.assert_frame_equal(ones, whole.iloc[1_150:1_250].reset_index(drop=True),
                                  check_exact=True)
    assert list(whole["specification"]) == list(range(lo + 1, lo + 2_501))


def test_a_combination_is_found_by_its_rank():
    for n, k in ((6, 2), (7, 3), (5, 5), (4, 1)):
        listed = list(itertools.combinations(range(n), k))
        assert [multiverse_batch.combination_at(n, k, r) for r in range(len(listed))] == listed


def test_a_bootstrap_replicate_does_not_depend_on_how_many_are_drawn():
    ids = [f"S{i}" for i in range(12)]
    many = multiverse.bootstrap_draws(7, ids, 50)
    assert (multiverse.bootstrap_draws(7, ids, 9) == many[:9]).all()
    assert not (multiverse.bootstrap_draws(8, ids, 9) == many[:9]).all()
    assert not (multiverse.bootstrap_draws(7, ids[1:] + ids[:1], 9) == many[:9]).all()
    assert many.min() >= 0 and many.max() < len(ids)


def test_paule_mandel_stops_where_the_reference_does():
    from statsmodels.stats.meta_analysis import _fit_tau_iterative

    defaults = inspect.signature(_fit_tau_iterative).parameters
    assert defaults["atol"].default == multiverse_batch.PM_ATOL
    assert defaults["maxiter"].default == multiverse_batch.PM_MAXITER
    rng = np.random.default_rng(1)
    y, v = rng.normal(-2, 0.6, 30), rng.uniform(0.01, 0.2, 30)
    counts = (rng.uniform(size=(40, 30)) < 0.5).astype(float)
    counts[0] = 0
    counts[0, :3] = 1  # few studies, often tau² = 0
    tau2 = multiverse_batch.tau2_paule_mandel(counts, y, v, counts.sum(axis=1))
    for row, value in zip(counts, tau2):
        chosen = row > 0
        assert value == pytest.approx(_fit_tau_iterative(y[chosen], v[chosen])[0],
                                      abs=1e-13)


def test_an_estimator_without_batched_pooling_runs_one_specification_at_a_time(
        studies, choices, monkeypatch):
    monkeypatch.delitem(multiverse_batch.BATCHED_POOLING, "pm")
    batched = multiverse_batch.run_batched(studies, choices, "book")
    pd.testing.assert_frame_equal(batched, multiverse.run_serial(studies, choices, "book"),
                                  **TOLERANCE)


def test_the_batched_theme_multiverse_is_the_reference(package):
    declared = load_choices()
    reference = multiverse_themes.run_serial(package, declared)
    plan = multiverse_themes.ThemePlan.of(package, declared)
    pd.testing.assert_frame_equal(plan.evaluate(), reference)
    parts = pd.concat([plan.evaluate(0, 5), plan.evaluate(5, 40), plan.evaluate(40)],
                      ignore_index=True)
    pd.testing.assert_frame_equal(parts, reference)
