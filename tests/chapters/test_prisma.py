"""PRISMA 2020 flow: counts from search_flow and studies, the sentences, the diagram."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from analysis.chapters.prisma import prisma_sentences  # noqa: E402
from analysis.plots import prisma as prisma_plots  # noqa: E402
from analysis.stats import prisma  # noqa: E402


def flow_table(reasons: dict[str, int], sources: dict[str, int], duplicates: int,
               excluded_ta: int, included: int) -> pd.DataFrame:
    identified = sum(sources.values())
    screened = identified - duplicates
    full_text = screened - excluded_ta
    rows = [("identified", s, n) for s, n in sources.items()]
    rows += [("duplicates_removed", "all", duplicates), ("screened", "all", screened),
             ("excluded_title_abstract", "all", excluded_ta),
             ("full_text_assessed", "all", full_text)]
    rows += [("excluded_full_text", r, n) for r, n in reasons.items()]
    rows.append(("included", "all", included))
    return pd.DataFrame(rows, columns=["stage", "source", "count"])


@pytest.fixture
def small():
    """3 sources (60 records), 10 duplicates, 35 excluded on abstract, 15 full texts,
    10 excluded for two reasons, 5 papers from 3 studies (G1 has 2 papers, G2 has 2)."""
    flow = flow_table({"Wrong population": 4, "Not qualitative": 6},
                      {"MEDLINE": 30, "Embase": 25, "Citation tracking": 5},
                      duplicates=10, excluded_ta=35, included=5)
    studies = pd.DataFrame({"study_id": ["S1", "S2", "S3", "S4", "S5"],
                            "study_group": ["G1", "G1", "G2", "G2", "G3"]})
    return prisma.prisma_flow_from_tables(flow, studies)


def test_counts_by_hand(small):
    assert (small.n_identified, small.n_sources, small.n_duplicates_removed) == (60, 3, 10)
    assert (small.n_screened, small.n_excluded_title_abstract) == (50, 35)
    assert (small.n_full_text_assessed, small.n_excluded_full_text) == (15, 10)
    assert (small.n_included_papers, small.n_distinct_studies) == (5, 3)
    assert small.n_multi_paper_studies == 2
    assert (small.top_reason, small.n_top_reason, small.n_exclusion_reasons) == \
        ("Not qualitative", 6, 2)
    assert small.pct_screened_included == 10.0
    assert list(small.identified["source"]) == ["MEDLINE", "Embase", "Citation tracking"]
    assert list(small.exclusion_reasons["reason"]) == ["Not qualitative", "Wrong population"]


def test_table_has_one_row_per_box_and_closes(small):
    table = small.table()
    assert table["n"].tolist() == [30, 25, 5, 60, 10, 50, 35, 15, 6, 4, 10, 5, 3]
    assert table["stage"].iloc[-1] == "Papers included"
    assert table["detail"].iloc[-2:].tolist() == ["papers (reports)", "distinct studies"]


def test_bundled_flow_matches_the_package(package):
    flow = prisma.prisma_flow(package)
    assert flow.n_included_papers == len(package["studies"]) == 29
    assert flow.n_distinct_studies == package["studies"]["study_group"].nunique()
    assert flow.n_identified - flow.n_duplicates_removed == flow.n_screened
    assert flow.n_full_text_assessed - flow.n_excluded_full_text == flow.n_included_papers
    assert flow.exclusion_reasons["count"].sum() == flow.n_excluded_full_text


def test_sentences_read_right_for_edge_cases(small):
    text = prisma_sentences(small)
    assert text.sources == "60 records from 3 sources"
    assert text.exclusions == "10 were excluded for 2 reasons, most often 'Not qualitative' (6)"
    assert text.studies == "2 studies were reported in more than one paper"
    flow = flow_table({"Only reason": 1}, {"One database": 3}, duplicates=0, excluded_ta=1,
                      included=1)
    one = prisma.prisma_flow_from_tables(flow, pd.DataFrame({"study_group": ["G1"]}))
    text = prisma_sentences(one)
    assert text.sources == "3 records from 1 source"
    assert text.exclusions == "1 was excluded ('Only reason')"
    assert text.studies == "each paper reports a study of its own"
    many = prisma.prisma_flow_from_tables(
        flow_table({"Only reason": 4}, {"One database": 6}, duplicates=0, excluded_ta=1,
                   included=1), pd.DataFrame({"study_group": ["G1"]}))
    assert prisma_sentences(many).exclusions == "4 were excluded, all for one reason: 'Only reason'"
    none = prisma.prisma_flow_from_tables(
        flow_table({}, {"A": 2}, duplicates=0, excluded_ta=0, included=2),
        pd.DataFrame({"study_group": ["G1", "G2"]}))
    assert prisma_sentences(none).exclusions == "none was excluded"
    assert none.top_reason == "none"


def texts(ax) -> str:
    return "\n".join(t.get_text() for t in ax.texts)


def test_diagram_shows_every_count(small):
    ax = prisma_plots.flow_diagram(small)
    shown = texts(ax)
    for needle in ["(n = 60)", "MEDLINE (n = 30)", "duplicate records (n = 10)",
                   "Records screened\n(n = 50)", "(n = 35)", "(n = 15)",
                   "Not qualitative (n = 6)", "Wrong population (n = 4)",
                   "Studies included in the review (n = 3)",
                   "Reports (papers) of included studies (n = 5)"]:
        assert needle in shown, needle
    for phase in ["Identification", "Screening", "Included"]:
        assert phase in shown
    # four main boxes, three side boxes, three phase bands; three arrows right, three down
    assert len(ax.patches) == 10
    plt.close("all")


def test_diagram_sums_what_it_cannot_list(package):
    many = {f"Database {i}": i + 1 for i in range(12)}
    flow = flow_table({"Reason": 5}, many, duplicates=3, excluded_ta=10, included=len(
        package["studies"]))
    flow.loc[flow["stage"] == "full_text_assessed", "count"] = len(package["studies"]) + 5
    result = prisma.prisma_flow_from_tables(flow, package["studies"])
    ax = prisma_plots.flow_diagram(result)
    shown = texts(ax)
    listed = prisma_plots.MAX_LISTED
    assert f"Database {listed - 1} (n = {listed})" in shown
    assert f"Database {listed} (" not in shown
    rest = sum(range(listed + 1, 13))
    assert f"{12 - listed} other sources (n = {rest})" in shown
    given = plt.subplots()[1]
    assert prisma_plots.flow_diagram(result, ax=given) is given
    plt.close("all")
