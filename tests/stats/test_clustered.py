"""Cluster bootstrap of kappa over papers: against a plain loop, seeded, and where it matters."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.chapters.quality import clustered_words
from analysis.stats import clustered, quality


def test_kappa_of_tables_matches_the_classical_function():
    tables = np.array([[[20, 5, 1], [3, 10, 2], [0, 1, 8]], [[50, 0, 0], [0, 0, 0], [0, 0, 0]]])
    kappas = clustered.kappa_of_tables(tables)
    assert kappas[0] == pytest.approx(quality.cohen_kappa(tables[0]).kappa, abs=1e-12)
    assert math.isnan(kappas[1])  # one answer throughout: 0/0


def _loop_bootstrap(tables, n_boot, seed, level=0.95):
    """The same resampling written as a plain loop over resamples."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(tables), size=(n_boot, len(tables)))
    kappas = []
    for row in draws:
        t = tables[row].sum(axis=0)
        n = t.sum()
        po, pe = np.trace(t) / n, (t.sum(axis=1) * t.sum(axis=0)).sum() / n ** 2
        kappas.append((po - pe) / (1 - pe))
    return np.quantile(kappas, [(1 - level) / 2, (1 + level) / 2])


def test_vectorised_bootstrap_equals_a_plain_loop_and_is_seeded(package):
    tool = quality.load_tool()
    _, tables = clustered.paper_tables(package, tool, ["R1", "R2"])
    kappas, low, high = clustered.cluster_bootstrap_kappa(tables, n_boot=300, seed=7)
    assert (low, high) == pytest.approx(tuple(_loop_bootstrap(tables, 300, 7)), abs=1e-12)
    again = clustered.cluster_bootstrap_kappa(tables, n_boot=300, seed=7)
    assert np.array_equal(kappas, again[0], equal_nan=True)
    other = clustered.cluster_bootstrap_kappa(tables, n_boot=300, seed=8)
    assert (other[1], other[2]) != (low, high)


def test_paper_tables_hold_every_answer_pair(package):
    tool = quality.load_tool()
    papers, tables = clustered.paper_tables(package, tool, ["R1", "R2"])
    assert len(papers) == 29 and tables.shape == (29, 3, 3)
    assert (tables.sum(axis=(1, 2)) == 10).all()
    overall = quality.agreement(package, tool)
    assert clustered.kappa_of_tables(tables.sum(axis=0)) == pytest.approx(overall.kappa)


def test_clustered_kappa_on_the_bundled_data_is_recorded_and_shown(package):
    tool = quality.load_tool()
    result = clustered.clustered_kappa(package, tool, n_boot=500, seed=3)
    overall = quality.agreement(package, tool)
    assert result.computed and (result.n_papers, result.n_pairs) == (29, 290)
    assert (result.kappa, result.ci_low, result.ci_high) == (
        overall.kappa, overall.kappa_ci_low, overall.kappa_ci_high)
    assert (result.n_boot, result.seed) == (500, 3)
    assert result.boot_low < result.kappa < result.boot_high
    table = clustered.interval_table(result)
    assert table.loc["cluster bootstrap (papers resampled)", "width"] == pytest.approx(
        result.boot_high - result.boot_low)
    assert "times as wide" in clustered_words(result).text or "about as wide" in \
        clustered_words(result).text


def test_answers_that_go_together_within_papers_widen_the_interval():
    # 40 papers, 10 answer pairs each: on 30 papers the reviewers agree on every
    # question, on 10 they disagree on every one. Agreement is a property of the paper,
    # so the 400 pairs are far from independent.
    agree = np.array([[5, 0, 0], [0, 0, 0], [0, 0, 5]])
    disagree = np.array([[0, 0, 5], [0, 0, 0], [5, 0, 0]])
    tables = np.stack([agree] * 30 + [disagree] * 10)
    _, low, high = clustered.cluster_bootstrap_kappa(tables, n_boot=2000, seed=1)
    classical = quality.cohen_kappa(tables.sum(axis=0))
    ratio = (high - low) / (classical.ci_high - classical.ci_low)
    assert ratio > 1.5, ratio


def test_no_clustered_interval_without_two_reviewers(package):
    tool = quality.load_tool()
    one = package.tables["casp_ratings"]
    package_one = type(package)(package.data_dir, package.descriptor,
                                {**package.tables,
                                 "casp_ratings": one[one["reviewer"] != "R2"]})
    result = clustered.clustered_kappa(package_one, tool, n_boot=50)
    assert not result.computed and result.not_computed is clustered.NotComputed.NOT_TWO_REVIEWERS
    assert result.reviewers == ("R1",)
    said = clustered_words(result)
    assert said.note == ("no clustered interval: it is computed for two reviewers, and the "
                         "data have 1")
    assert said.text == ("No clustered interval: it is computed for two reviewers, and the "
                         "data have 1.")
