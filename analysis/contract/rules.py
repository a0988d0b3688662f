"""Cross-table rules of the data contract.

Column types, allowed values, ranges and keys are declared in the contract and checked
in :mod:`analysis.contract.package`. The rules here relate rows and tables to each other
(the PRISMA arithmetic must close, an appraisal must answer every question, ...). Each rule
has a sentence that the Data dictionary page prints, so the rules a user's data must
meet are documented from the same list that enforces them.

Rules receive tables whose index is the CSV line number, so every problem can point
at the row to fix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pandas as pd

from analysis.contract.errors import Problem
from analysis.contract.package import DataPackage
from analysis.contract.tools import item_numbers, tool_in_force
MAX_PROBLEMS = 20  # per rule: the first twenty say what is wrong; more would bury them


@dataclass(frozen=True)
class Rule:
    """A named cross-table rule with the sentence that documents it."""

    name: str
    description: str
    check: Callable[[DataPackage], Iterator[Problem]]
    tables: tuple[str, ...] = ()  # the rule runs only when the package holds all of them


def _first_row(table: pd.DataFrame, mask) -> int | None:
    rows = table.index[mask]
    return int(rows[0]) if len(rows) else None


def minority_categories(pkg: DataPackage) -> tuple[set[str], set[str]]:
    """Ethnicity categories that count as minority, and those that do not.

    A package that declares its own ethnicity categories may list the minority ones in
    the field's ``minorityCategories``; with the contract's defaults only 'White British'
    is known not to be a minority background (the others depend on the person).
    """
    for res in pkg.descriptor.get("resources", []):
        if isinstance(res, dict) and res.get("name") == "participants":
            for fdef in res.get("schema", {}).get("fields", []):
                if isinstance(fdef, dict) and fdef.get("name") == "ethnicity" \
                        and isinstance(fdef.get("minorityCategories"), list):
                    minority = {str(v) for v in fdef["minorityCategories"]}
                    return minority, set(pkg.categories("participants", "ethnicity")) - minority
    return set(), {"White British"}


def _ethnicity_consistent(pkg: DataPackage) -> Iterator[Problem]:
    t = pkg["participants"]
    minority, majority = minority_categories(pkg)
    # A value not reported (missing) is neither true nor false: nothing to contradict.
    flagged = t["ethnic_minority"].fillna(False).astype(bool)
    unflagged = (~t["ethnic_minority"].astype("boolean")).fillna(False).astype(bool)
    for row in t.index[t["ethnicity"].isin(majority) & flagged]:
        yield Problem("participants.csv", int(row), "ethnic_minority",
                      f"is true but ethnicity is '{t.at[row, 'ethnicity']}', which the "
                      "package does not count as a minority background; set it to false "
                      "or correct the ethnicity")
    for row in t.index[t["ethnicity"].isin(minority) & unflagged]:
        yield Problem("participants.csv", int(row), "ethnic_minority",
                      f"is false but ethnicity is '{t.at[row, 'ethnicity']}', which the "
                      "package lists under minorityCategories; set it to true")


def _interview_order(pkg: DataPackage) -> Iterator[Problem]:
    t = pkg["participants"]
    expected = set(range(1, len(t) + 1))
    missing = sorted(expected - set(t["interview_order"]))
    if missing:
        yield Problem("participants.csv", None, "interview_order",
                      f"must number the interviews 1 to {len(t)} without gaps; "
                      f"missing: {', '.join(map(str, missing[:10]))}")
        return
    by_order = t.sort_values("interview_order")
    earlier = by_order["interview_date"].diff() < pd.Timedelta(0)
    for row in by_order.index[earlier]:
        yield Problem("participants.csv", int(row), "interview_order",
                      f"interview {t.at[row, 'interview_order']} is dated "
                      f"{t.at[row, 'interview_date']:%Y-%m-%d}, before the interview "
                      "ordered just ahead of it; order must follow the dates")


def _fieldwork_dates(pkg: DataPackage) -> Iterator[Problem]:
    study = pkg.study
    if not study.fieldwork_start:
        return
    t = pkg["participants"]
    start, end = pd.Timestamp(study.fieldwork_start), pd.Timestamp(study.fieldwork_end)
    for row in t.index[(t["interview_date"] < start) | (t["interview_date"] > end)]:
        yield Problem("participants.csv", int(row), "interview_date",
                      f"{t.at[row, 'interview_date']:%Y-%m-%d} is outside the fieldwork "
                      f"period {study.fieldwork_start} to {study.fieldwork_end} declared in "
                      "datapackage.json")
    for pause in study.suspensions:
        s0, s1 = pd.Timestamp(pause.start), pd.Timestamp(pause.end)
        in_gap = (t["interview_date"] >= s0) & (t["interview_date"] <= s1)
        for row in t.index[in_gap]:
            yield Problem("participants.csv", int(row), "interview_date",
                          f"{t.at[row, 'interview_date']:%Y-%m-%d} falls in the suspension "
                          f"{pause.start} to {pause.end} ({pause.label}), when no "
                          "interviews were held")
        if pause.modes_after:
            late = (t["interview_date"] > s1) & ~t["interview_mode"].isin(pause.modes_after)
            for row in t.index[late]:
                yield Problem("participants.csv", int(row), "interview_mode",
                              f"'{t.at[row, 'interview_mode']}' after the suspension; "
                              f"only {', '.join(pause.modes_after)} were used then")


def _casp_complete(pkg: DataPackage, agreed_label: str | None = None) -> Iterator[Problem]:
    """Every reviewer answers every question, and every paper has the agreed answers
    (the rows of reviewer ``agreed_label``, by default the package's own label)."""
    t = pkg["casp_ratings"]
    checklist = item_numbers(tool_in_force(pkg.study.appraisal))
    outside = ~t["item"].isin(checklist).to_numpy()
    for row in t.index[outside][:MAX_PROBLEMS]:
        yield Problem("casp_ratings.csv", int(row), "item",
                      f"item {t.at[row, 'item']} is not a question of the appraisal tool; "
                      f"its questions are numbered {checklist[0]} to {checklist[-1]}")
    # Only the (paper, reviewer) pairs with fewer distinct items than the checklist are
    # looked at one by one: a scan of every pair costs seconds on a large review.
    checklist_items = t["item"].where(t["item"].isin(checklist))
    counts = checklist_items.groupby([t["study_id"], t["reviewer"]], sort=True).nunique()
    for study, reviewer in counts.index[counts < len(checklist)]:
        pair = (t["study_id"] == study) & (t["reviewer"] == reviewer)
        missing = sorted(set(checklist) - set(t.loc[pair, "item"]))
        if missing:
            row = _first_row(t, pair)
            yield Problem("casp_ratings.csv", row, "item",
                          f"paper {study}, reviewer '{reviewer}' has no rating for "
                          f"item{'s' if len(missing) > 1 else ''} {', '.join(map(str, missing))}; "
                          f"each reviewer rates all {len(checklist)} items")
    # 'consensus' unless study.appraisal.agreed_label says otherwise
    agreed = agreed_label or pkg.study.agreed_label
    rated = set(t.loc[t["reviewer"] == agreed, "study_id"])
    for row in pkg["studies"].index[~pkg["studies"]["study_id"].isin(rated)]:
        yield Problem("studies.csv", int(row), "study_id",
                      f"paper {pkg['studies'].at[row, 'study_id']} has no '{agreed}' "
                      "rows in casp_ratings.csv; add the agreed rating of each item")


def _framework_consistent(pkg: DataPackage) -> Iterator[Problem]:
    t = pkg["framework"]
    for column in ("theme", "review"):
        counts = t.groupby("theme_id")[column].nunique()
        for theme_id in counts.index[counts > 1]:
            row = _first_row(t, t["theme_id"] == theme_id)
            yield Problem("framework.csv", row, column,
                          f"theme {theme_id} has more than one {column}; "
                          "every row of a theme must give the same one")
    prefix_ok = [s.split(".")[0] == th for s, th in zip(t["subtheme_id"], t["theme_id"])]
    for row in t.index[[not ok for ok in prefix_ok]]:
        yield Problem("framework.csv", int(row), "subtheme_id",
                      f"'{t.at[row, 'subtheme_id']}' must start with its theme_id "
                      f"'{t.at[row, 'theme_id']}' (e.g. {t.at[row, 'theme_id']}.1)")
    # A theme reported without sub-themes is one row whose subtheme_id is the theme's own
    # (T1); a theme cannot be both that and a theme with sub-themes (T1.1, T1.2).
    level = t["subtheme_id"] == t["theme_id"]
    mixed = sorted(set(t.loc[level, "theme_id"]) & set(t.loc[~level, "theme_id"]))
    for theme_id in mixed:
        row = _first_row(t, level & (t["theme_id"] == theme_id))
        yield Problem("framework.csv", row, "subtheme_id",
                      f"theme {theme_id} has a row for the theme itself ({theme_id}) and rows "
                      "for sub-themes; give a theme either its sub-themes or, when the review "
                      "reports none, one row whose subtheme_id is its theme_id")


def _codes_in_their_review(pkg: DataPackage) -> Iterator[Problem]:
    review = pkg["framework"].set_index("subtheme_id")["review"]
    for table, file, wanted in (("study_codes", "study_codes.csv", "meta_synthesis"),
                                ("participant_codes", "participant_codes.csv", "interview_study")):
        if table not in pkg.tables:
            continue
        t = pkg[table]
        wrong = t["subtheme_id"].map(review) != wanted
        for row in t.index[wrong]:
            yield Problem(file, int(row), "subtheme_id",
                          f"'{t.at[row, 'subtheme_id']}' is a sub-theme of the "
                          f"{review[t.at[row, 'subtheme_id']]}; this table takes "
                          f"sub-themes of the {wanted} only")
    if "participant_codes" not in pkg.tables:
        return
    t = pkg["participant_codes"]
    n_sub = t.groupby("code_id")["subtheme_id"].nunique()
    for code in n_sub.index[n_sub > 1]:
        row = _first_row(t, t["code_id"] == code)
        yield Problem("participant_codes.csv", row, "subtheme_id",
                      f"code {code} is grouped under more than one sub-theme; "
                      "each initial code belongs to one sub-theme")


def _cases_within_n(pkg: DataPackage) -> Iterator[Problem]:
    t = pkg["prevalence_studies"]
    for row in t.index[t["cases"] > t["n"]]:
        yield Problem("prevalence_studies.csv", int(row), "cases",
                      f"{t.at[row, 'cases']} cases out of n = {t.at[row, 'n']}; "
                      "cases cannot exceed n")


def multiple_response(pkg: DataPackage) -> set[str]:
    """The characteristics of sample_summary whose categories may add up to more than
    the sample (``multipleResponse`` on its ``characteristic`` field)."""
    for res in pkg.descriptor.get("resources", []):
        if isinstance(res, dict) and res.get("name") == "sample_summary":
            for fdef in res.get("schema", {}).get("fields", []):
                if isinstance(fdef, dict) and fdef.get("name") == "characteristic" \
                        and isinstance(fdef.get("multipleResponse"), list):
                    return {str(v) for v in fdef["multipleResponse"]}
    return set()


def _sample_summary_adds_up(pkg: DataPackage) -> Iterator[Problem]:
    t = pkg["sample_summary"]
    several = multiple_response(pkg)
    totals = t[~t["characteristic"].isin(several)].groupby("characteristic", sort=False)[
        "n"].sum()
    if totals.nunique() <= 1:
        return
    sample = int(totals.max())
    for characteristic, total in totals.items():
        if int(total) != sample:
            row = _first_row(t, t["characteristic"] == characteristic)
            yield Problem("sample_summary.csv", row, "n",
                          f"the categories of '{characteristic}' add up to {int(total)}, but "
                          f"another characteristic's add up to {sample}; add a row with "
                          f"category 'Not reported' for the {sample - int(total)} people the "
                          "table does not place" if total < sample else
                          f"the categories of '{characteristic}' add up to {int(total)}, more "
                          f"than the {sample} of another characteristic; if a person may be "
                          "in several of its categories, list it in multipleResponse on the "
                          "characteristic field of datapackage.json")


def _search_flow_closes(pkg: DataPackage) -> Iterator[Problem]:
    t = pkg["search_flow"]
    total = t.groupby("stage")["count"].sum()

    def get(stage: str) -> int:
        return int(total.get(stage, 0))

    steps = [
        ("screened", get("identified") - get("duplicates_removed"),
         "records identified minus duplicates removed"),
        ("full_text_assessed", get("screened") - get("excluded_title_abstract"),
         "records screened minus those excluded on title and abstract"),
        ("included", get("full_text_assessed") - get("excluded_full_text"),
         "full texts assessed minus full texts excluded"),
    ]
    for stage, expected, how in steps:
        if get(stage) != expected:
            row = _first_row(t, t["stage"] == stage)
            yield Problem("search_flow.csv", row, "count",
                          f"'{stage}' is {get(stage)} but {how} is {expected}; "
                          "the PRISMA arithmetic must close")
    if "studies" not in pkg.tables:
        return
    n_papers = len(pkg["studies"])
    if get("included") != n_papers:
        row = _first_row(t, t["stage"] == "included")
        yield Problem("search_flow.csv", row, "count",
                      f"'included' is {get('included')} but studies.csv lists {n_papers} papers")


def _cerqual_complete(pkg: DataPackage) -> Iterator[Problem]:
    t = pkg["cerqual"]
    fw = pkg["framework"]
    themes = set(fw.loc[fw["review"] == "meta_synthesis", "theme_id"])
    for row in t.index[~t["theme_id"].isin(themes)]:
        yield Problem("cerqual.csv", int(row), "theme_id",
                      f"'{t.at[row, 'theme_id']}' is not a theme of the meta-synthesis "
                      "in framework.csv")
    components = {"methodological_limitations", "coherence", "adequacy", "relevance"}
    for theme_id, group in t.groupby("theme_id"):
        missing = sorted(components - set(group["component"]))
        if missing:
            yield Problem("cerqual.csv", int(group.index[0]), "component",
                          f"theme {theme_id} lacks {', '.join(missing)}; "
                          "GRADE-CERQual judges all four components")
        if group["overall"].nunique() > 1:
            yield Problem("cerqual.csv", int(group.index[0]), "overall",
                          f"theme {theme_id} has more than one overall confidence; "
                          "give the same one on each of its rows")


def _meta_aggregation_complete(pkg: DataPackage) -> Iterator[Problem]:
    # ConQual grades a synthesised finding from the findings of its categories: one
    # without a category, or a category without a finding, would be graded on nothing.
    sf, cats = pkg["synthesised_findings"], pkg["meta_aggregation_categories"]
    findings = pkg.tables.get("meta_aggregation_findings")
    used = set(cats["synthesised_finding_id"])
    for row in sf.index[~sf["synthesised_finding_id"].isin(used)]:
        yield Problem("synthesised_findings.csv", int(row), "synthesised_finding_id",
                      f"'{sf.at[row, 'synthesised_finding_id']}' has no category in "
                      "meta_aggregation_categories.csv; add its categories or remove the row")
    if findings is None:
        yield Problem("meta_aggregation_categories.csv", None, None,
                      "the package declares categories but no meta_aggregation_findings.csv; "
                      "add the findings (each with its credibility) or remove the categories")
        return
    with_findings = set(findings["category_id"])
    for row in cats.index[~cats["category_id"].isin(with_findings)]:
        yield Problem("meta_aggregation_categories.csv", int(row), "category_id",
                      f"'{cats.at[row, 'category_id']}' has no finding in "
                      "meta_aggregation_findings.csv; add its findings or remove the row")


RULES: list[Rule] = [
    Rule("ethnicity", "A participant whose ethnicity is 'White British' is not marked as "
         "from a minority ethnic background (or, when the package lists its minority categories, "
         "is marked exactly when the ethnicity is one of them).", _ethnicity_consistent,
         ("participants",)),
    Rule("interview order", "interview_order numbers the interviews 1 to n without gaps, "
         "in date order.", _interview_order, ("participants",)),
    Rule("fieldwork", "Interview dates lie within the fieldwork period declared in "
         "datapackage.json, none falls in a declared suspension, and after it only the "
         "declared remote modes are used.", _fieldwork_dates, ("participants",)),
    Rule("appraisal complete", "Every paper has the agreed answers (reviewer 'consensus', or "
         "the label set in study.appraisal.agreed_label), and every reviewer who rates a "
         "paper answers every question of the appraisal tool in force.", _casp_complete,
         ("casp_ratings", "studies")),
    Rule("framework", "Each theme has one name and belongs to one review; sub-theme "
         "identifiers start with their theme's identifier.", _framework_consistent,
         ("framework",)),
    Rule("codes", "Paper codes use meta-synthesis sub-themes, participant codes use "
         "interview-study sub-themes, and each initial code sits under one sub-theme.",
         _codes_in_their_review, ("framework",)),
    Rule("prevalence counts", "A prevalence study's cases do not exceed its n.", _cases_within_n,
         ("prevalence_studies",)),
    Rule("PRISMA", "The PRISMA arithmetic closes (identified - duplicates = screened, and so "
         "on) and the number included equals the rows of studies.csv.", _search_flow_closes,
         ("search_flow",)),
    Rule("CERQual", "Each meta-synthesis theme assessed has all four GRADE-CERQual "
         "components and one overall confidence.", _cerqual_complete,
         ("cerqual", "framework")),
    Rule("meta-aggregation", "Each synthesised finding has at least one category and each "
         "category at least one finding (meta_aggregation_findings.csv).",
         _meta_aggregation_complete, ("synthesised_findings", "meta_aggregation_categories")),
    Rule("sample summary", "The categories of each characteristic of the published sample "
         "summary add up to the same number of participants (a category 'Not reported' "
         "takes the rest), except characteristics declared multipleResponse.",
         _sample_summary_adds_up, ("sample_summary",)),
]


def check(package: DataPackage) -> list[Problem]:
    """Run every cross-table rule on a typed package and return the problems found."""
    return [problem for rule in RULES
            if all(table in package.tables for table in rule.tables)
            for problem in rule.check(package)]
