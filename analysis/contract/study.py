"""The study a data package describes: the ``study`` section of ``datapackage.json``.

Every sentence of the book that states a fact about the study (where it took place,
what a region is called, when fieldwork was suspended and why, which reports it
re-analyses, which published figures it is compared with) reads it here, so that a
package that declares none of it gets pages that claim none of it. The section is
read without pandas and checked entry by entry; each problem names the key to fix.

The shape, with every key optional::

    "study": {
      "title": "...", "description": "...",
      "reports": [{"id": "...", "review": "meta_synthesis", "short": "Troup et al. 2020",
                   "citation": "...", "what": "a meta-synthesis of ..."}],
      "setting": {"country": "England", "region": "English region",
                  "regions": "English regions"},
      "fieldwork": {"start": "2019-07-01", "end": "2020-10-31",
                    "suspensions": [{"label": "the COVID-19 pandemic",
                                     "start": "2020-03-01", "end": "2020-07-14",
                                     "modes_after": ["video_call"]}]},
      "condition": "depression", "population": "adolescents living with HIV",
      "case_definition": "a score above the cut-off of a validated depression scale",
      "case_noun": "adolescents with depression", "participant_noun": "adolescents",
      "appraisal": {"tool": "casp_qualitative", "agreed_label": "consensus"},
      "prevalence": {"main": "all", "threshold_percent": 10},
      "published": [{"fact_id": "...", "study": "...", "quantity": "...", "value": "...",
                     "ci_low": null, "ci_high": null, "unit": "...", "kind": "count",
                     "source": "...", "measure": "pooled_prevalence",
                     "method": {"transform": "logit", "tau2": "dl"},
                     "compare": {"setting": "community", "income_group": "high"}}]
    }

**The topic is the package's.** ``condition`` (what the review is about),
``population`` (whom it studies), ``case_definition`` (what counts as a case),
``case_noun`` (how a sentence names the cases, "people with depression") and
``participant_noun`` (how it names the people studied, "fathers") are read by the
pages through :class:`Study`'s neutral accessors (:attr:`Study.condition_words` and the
rest), so that no page assumes a condition the package does not declare.

**The appraisal tool** is a shipped tool's name or the package's own tool as an object
(:mod:`analysis.contract.tools`); an unknown name is refused with the names known.

**Published figures** name the studies they are compared with in ``compare``: columns
of the review's table and the value each must have (all of them at once), or ``"all"``
for every study. ``measure`` says what a figure is, so the reproduction page knows how
to recompute it (:data:`MEASURES`); a pooled estimate says how it was computed in
``method`` (transform, tau² estimator, interval); a judgement published as a range
("moderate to high") is ``kind: "range"`` with its two ends in ``range``; a published
table of each paper's band is ``kind: "table"`` with ``bands``.

Packages written before the section existed keep working: a top-level ``fieldwork``
with ``suspension_start``, ``suspension_end`` and ``remote_modes_after_suspension`` is
read as one suspension labelled "a suspension of fieldwork".
"""

from __future__ import annotations

import json
from collections.abc import Iterator
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from analysis.contract.errors import Problem

FILE = "datapackage.json"
REVIEWS = ("meta_synthesis", "interview_study", "prevalence")
FACT_KINDS = ("count", "minimum", "label", "estimate", "approximate", "range", "table")
FACT_KEYS = ("fact_id", "study", "quantity", "value", "ci_low", "ci_high", "unit", "kind",
             "source", "compare", "measure", "method", "range", "bands", "pi_low", "pi_high")
DEFAULT_SUSPENSION_LABEL = "a suspension of fieldwork"
ALL_STUDIES = "all"  # ``compare`` (and ``prevalence.main``) naming every study
TOPIC_KEYS = ("condition", "population", "case_definition", "case_noun", "participant_noun")
BANDS = ("high", "moderate", "low")  # as analysis.contract.banding.BANDS, best first
# What a published figure is, for the reproduction page to recompute it: the measure,
# the kinds of comparison that fit it, and what it is in words (study_schema.json says
# the same). The review (``study``) says which table a count counts.
MEASURES: dict[str, tuple[tuple[str, ...], str]] = {
    "n_studies": (("count", "minimum", "approximate"),
                  "the number of studies (prevalence studies, or included papers) within "
                  "compare"),
    "n_participants": (("count", "minimum", "approximate"),
                       "the number of people studied: the sum of n (prevalence studies), "
                       "of n_participants (included papers), or the participants of an "
                       "interview study (its rows, or its published sample summary)"),
    "n_cases": (("count", "minimum", "approximate"),
                "the number of cases: the sum of cases of the prevalence studies"),
    "year_min": (("count", "minimum"), "the earliest year of publication"),
    "year_max": (("count", "minimum"), "the latest year of publication"),
    "pooled_prevalence": (("estimate", "approximate"),
                          "the pooled prevalence in percent under the stated method, with "
                          "its interval (ci_low, ci_high) and prediction interval"),
    "i2": (("estimate", "approximate"), "I² in percent under the stated method"),
    "tau2": (("estimate", "approximate"),
             "tau² under the stated method, on the scale of its transform"),
    "n_themes": (("count", "minimum"), "the number of themes of the review"),
    "n_subthemes": (("count", "minimum"), "the number of sub-themes of the review"),
    "appraisal_score_min": (("count",), "the fewest favourable answers (Yes) of any paper "
                                        "in the agreed appraisal"),
    "appraisal_score_max": (("count",), "the most favourable answers (Yes) of any paper "
                                        "in the agreed appraisal"),
    "paper_bands": (("table",), "each paper's quality band as published (bands)"),
    "overall_judgement": (("label", "range"), "the review-level quality judgement: a band, "
                                              "or a range of bands (range)"),
}
TRANSFORMS = ("logit", "freeman_tukey", "arcsine", "proportion")
TAU2_COMPUTED = ("dl", "pm")
# Estimators a paper may state that the book does not compute: accepted, and the
# reproduction page says so.
TAU2_STATED = ("reml", "ml", "hs", "sj", "eb", "he")
INTERVALS = ("wald", "hartung_knapp")
METHOD_KEYS = ("transform", "tau2", "interval", "software", "note")


@dataclass(frozen=True)
class Report:
    """A published report whose study the package re-analyses."""

    id: str
    review: str
    short: str
    citation: str
    what: str = ""


@dataclass(frozen=True)
class Suspension:
    """A period when fieldwork stopped, why, and the interview modes used after it."""

    label: str
    start: str
    end: str
    modes_after: tuple[str, ...] = ()


@dataclass(frozen=True)
class Setting:
    """Where the study took place and what its regions are called."""

    country: str = ""
    region: str = "region"
    regions: str = "regions"


@dataclass(frozen=True)
class Study:
    """What the package declares about its study (see the module docstring)."""

    title: str = ""
    description: str = ""
    reports: tuple[Report, ...] = ()
    setting: Setting = Setting()
    fieldwork_start: str | None = None
    fieldwork_end: str | None = None
    suspensions: tuple[Suspension, ...] = ()
    appraisal: dict[str, Any] = field(default_factory=dict)
    published: tuple[dict[str, Any], ...] = ()
    condition: str = ""
    population: str = ""
    case_definition: str = ""
    case_noun: str = ""
    participant_noun: str = ""
    prevalence: dict[str, Any] = field(default_factory=dict)

    # ---------------------------------------------------------------- the topic
    # Neutral words when the package declares none: a page says "the condition studied",
    # never a condition of the source studies.

    @property
    def condition_words(self) -> str:
        """What the review is about ("depression"); "the condition studied" when undeclared."""
        return self.condition or "the condition studied"

    @property
    def population_words(self) -> str:
        """Whom the review studies; "the population studied" when undeclared."""
        return self.population or "the population studied"

    @property
    def case_words(self) -> str:
        """How a sentence names the cases: ``case_noun``, else "people with" the condition,
        else "cases"."""
        if self.case_noun:
            return self.case_noun
        return f"people with {self.condition}" if self.condition else "cases"

    @property
    def participant_words(self) -> str:
        """How a sentence names the people studied; "participants" when undeclared."""
        return self.participant_noun or "participants"

    @property
    def main_prevalence(self) -> str | dict[str, str]:
        """The studies the main prevalence analysis pools: ``"all"`` unless the package
        names a subset (columns of prevalence_studies and their values)."""
        return self.prevalence.get("main", ALL_STUDIES)

    @property
    def threshold_percent(self) -> float | None:
        """The prevalence the pages test estimates against ("below 10%"), when declared."""
        value = self.prevalence.get("threshold_percent")
        return None if value is None else float(value)

    @property
    def tool(self) -> str | dict[str, Any]:
        """The appraisal tool as declared: a shipped tool's name, or the package's own
        (see :func:`analysis.contract.tools.tool_in_force` for the tool in force)."""
        from analysis.contract.tools import declared_tool

        return declared_tool(self.appraisal)

    def report(self, review: str) -> Report | None:
        """The report of one review (``meta_synthesis``, ``interview_study``), if declared."""
        return next((r for r in self.reports if r.review == review), None)

    @property
    def agreed_label(self) -> str:
        """The reviewer label of the agreed (consensus) appraisal answers."""
        return str(self.appraisal.get("agreed_label", "consensus"))

    @property
    def fieldwork(self) -> dict[str, Any]:
        """The fieldwork period and its first suspension in the flat form of old packages."""
        if not self.fieldwork_start:
            return {}
        flat: dict[str, Any] = {"start": self.fieldwork_start, "end": self.fieldwork_end}
        if self.suspensions:
            first = self.suspensions[0]
            flat.update(suspension_start=first.start, suspension_end=first.end,
                        remote_modes_after_suspension=list(first.modes_after),
                        suspension_label=first.label)
        return flat


def iso_date(text: Any) -> bool:
    """Whether ``text`` is a real date written YYYY-MM-DD (the only form the package takes)."""
    if not isinstance(text, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _text(section: dict, key: str, where: str, problems: list[Problem], default: str = "") -> str:
    value = section.get(key, default)
    if not isinstance(value, str):
        problems.append(Problem(FILE, None, f"{where}.{key}",
                                f"{json.dumps(value)} must be text in double quotes"))
        return default
    return value


def _unknown_keys(entry: dict, known: tuple[str, ...], where: str,
                  problems: list[Problem]) -> None:
    """A key the section does not have is a typo whose value would be silently ignored."""
    for key in sorted(set(entry) - set(known)):
        problems.append(Problem(FILE, None, f"{where}.{key}",
                                f"is not a key here; the keys are: {', '.join(known)}"))


def _objects(container: dict, key: str, where: str, problems: list[Problem],
             not_a_list: str, not_an_object: str) -> Iterator[tuple[str, dict]]:
    """The objects of a list entry (``reports``, ``suspensions``, ``published``) with
    where each is (``study.reports[0]``); a non-list and each non-object are reported."""
    entries = container.get(key, [])
    if not isinstance(entries, list):
        problems.append(Problem(FILE, None, where, not_a_list))
        return
    for i, entry in enumerate(entries):
        if isinstance(entry, dict):
            yield f"{where}[{i}]", entry
        else:
            problems.append(Problem(FILE, None, f"{where}[{i}]", not_an_object))


def _period(entry: dict, where: str, problems: list[Problem]) -> tuple[str | None, str | None]:
    start, end = entry.get("start"), entry.get("end")
    if (start is None) != (end is None):
        missing = "end" if end is None else "start"
        problems.append(Problem(FILE, None, f"{where}.{missing}",
                                "is missing: a period needs both 'start' and 'end'"))
        return None, None
    for key, value in (("start", start), ("end", end)):
        if value is not None and not iso_date(value):
            problems.append(Problem(FILE, None, f"{where}.{key}",
                                    f"{json.dumps(value)} is not a date written YYYY-MM-DD "
                                    "(for example 2019-08-01)"))
            return None, None
    if start is not None and start > end:
        problems.append(Problem(FILE, None, f"{where}.end",
                                f"{end} is before the start {start}; swap them"))
        return None, None
    return start, end


def _legacy_fieldwork(descriptor: dict) -> dict[str, Any]:
    """A top-level ``fieldwork`` of an older package, in the study section's shape."""
    old = descriptor.get("fieldwork")
    if not isinstance(old, dict) or not old:
        return {}
    new: dict[str, Any] = {k: old[k] for k in ("start", "end") if k in old}
    if "suspension_start" in old or "suspension_end" in old:
        new["suspensions"] = [{"label": old.get("suspension_label", DEFAULT_SUSPENSION_LABEL),
                               "start": old.get("suspension_start"),
                               "end": old.get("suspension_end"),
                               "modes_after": old.get("remote_modes_after_suspension", [])}]
    return new


# The table whose columns a figure's ``compare`` names, by the review it belongs to.
COMPARE_TABLES = {"prevalence": ("prevalence_studies",), "meta_synthesis": ("studies",),
                  "interview_study": ("participants", "sample_summary")}


def _columns(tables: tuple[str, ...], descriptor: dict[str, Any]) -> list[str]:
    """The contract's columns of some tables, then the covariates the package declares."""
    from analysis.contract.files import load_contract

    columns = [f["name"] for res in load_contract()["resources"] if res["name"] in tables
               for f in res["schema"]["fields"]]
    for res in descriptor.get("resources", []) if isinstance(
            descriptor.get("resources"), list) else []:
        if isinstance(res, dict) and res.get("name") in tables:
            schema = res.get("schema") if isinstance(res.get("schema"), dict) else {}
            columns += [f["name"] for f in schema.get("fields", []) if isinstance(f, dict)
                        and f.get("role") == "covariate" and isinstance(f.get("name"), str)]
    return columns


def _compare_problem(compare: Any, review: Any = None,
                     descriptor: dict[str, Any] | None = None) -> str | None:
    """Why ``compare`` cannot select studies (None: it can)."""
    tables = COMPARE_TABLES.get(review, COMPARE_TABLES["prevalence"])
    columns = _columns(tables, descriptor or {})
    example = '{"setting": "community", "income_group": "high"}'
    if compare == ALL_STUDIES:
        return None
    if not isinstance(compare, dict) or not compare:
        return (f"must be \"all\" (every study) or an object naming the studies it compares "
                f"with, such as {example}")
    for column, value in compare.items():
        if column not in columns:
            return (f"'{column}' is not a column of {' or '.join(tables)}; use one of: "
                    f"{', '.join(columns)}")
        if not isinstance(value, str) or not value:
            return f"{json.dumps(value)} for '{column}' must be a value in double quotes"
    return None


def _method_problem(method: Any) -> tuple[str, str] | None:
    """Why a published figure's ``method`` cannot be read (None: it can), as (key, why)."""
    if not isinstance(method, dict):
        return "", ('must be an object such as {"transform": "freeman_tukey", "tau2": "dl"}')
    for key in sorted(set(method) - set(METHOD_KEYS)):
        return f".{key}", f"is not a key of a method; the keys are: {', '.join(METHOD_KEYS)}"
    if "transform" in method and method["transform"] not in TRANSFORMS:
        return ".transform", (f"{json.dumps(method['transform'])} is not a transform the book "
                              f"knows; write one of: {', '.join(TRANSFORMS)} (Freeman-Tukey "
                              "double arcsine is freeman_tukey)")
    if "tau2" in method and method["tau2"] not in (*TAU2_COMPUTED, *TAU2_STATED):
        return ".tau2", (f"{json.dumps(method['tau2'])} is not a tau² estimator the book "
                         f"knows; write one of: {', '.join(TAU2_COMPUTED)} (computed here) or "
                         f"{', '.join(TAU2_STATED)} (stated, not computed here); "
                         "DerSimonian-Laird is dl, Paule-Mandel pm")
    if "interval" in method and method["interval"] not in INTERVALS:
        return ".interval", (f"{json.dumps(method['interval'])} is not an interval the book "
                             f"knows; write one of: {', '.join(INTERVALS)}")
    for key in ("software", "note"):
        if key in method and not isinstance(method[key], str):
            return f".{key}", "must be text in double quotes"
    return None


def _figure_problem(entry: dict[str, Any]) -> tuple[str, str] | None:
    """What is wrong with a figure's measure, method, range or bands, as (key, why)."""
    measure = entry.get("measure")
    if measure is not None:
        if measure not in MEASURES:
            return ".measure", (f"{json.dumps(measure)} is not a measure the book computes; "
                                f"write one of: {', '.join(MEASURES)}, or leave measure out "
                                "(the figure is then shown as context)")
        kinds = MEASURES[measure][0]
        if entry["kind"] not in kinds:
            return ".kind", (f"'{entry['kind']}' does not fit the measure {measure}; "
                             f"write one of: {', '.join(kinds)}")
    if entry.get("method") is not None:
        why = _method_problem(entry["method"])
        if why:
            return f".method{why[0]}", why[1]
    if measure in ("pooled_prevalence", "i2", "tau2") and not isinstance(entry.get("method"),
                                                                         dict):
        return ".method", ("a published pooled estimate needs the method it was computed "
                           'with, as the paper states it, e.g. {"transform": "freeman_tukey", '
                           '"tau2": "dl"}; when the paper does not state it, say so: '
                           '{"note": "random effects; transform not stated"}')
    if entry["kind"] == "range":
        ends = entry.get("range")
        if not (isinstance(ends, list) and len(ends) == 2
                and all(isinstance(e, str) and e for e in ends) and ends[0] != ends[1]):
            return ".range", ('a figure of kind range needs its two ends, as published, e.g. '
                              '"range": ["moderate", "high"] for "moderate to high"')
        if measure == "overall_judgement" and not set(ends) <= set(BANDS):
            return ".range", (f"{json.dumps(ends)}: the ends of a judgement are bands; "
                              f"write two of: {', '.join(BANDS)}")
    elif entry.get("range") is not None:
        return ".range", 'is only read for a figure of kind "range"'
    if entry["kind"] == "table":
        bands = entry.get("bands")
        if not isinstance(bands, dict) or not bands:
            return ".bands", ('a figure of kind table needs the published band of each '
                              'paper, e.g. "bands": {"S01": "high", "S02": "moderate"}')
        wrong = [f"{k}: {json.dumps(v)}" for k, v in bands.items() if v not in BANDS]
        if wrong:
            return ".bands", (f"{', '.join(wrong[:3])}: each band must be one of: "
                              f"{', '.join(BANDS)}")
    elif entry.get("bands") is not None:
        return ".bands", 'is only read for a figure of kind "table"'
    for key in ("pi_low", "pi_high"):
        value = entry.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value,
                                                                           (int, float))):
            return f".{key}", (f"{json.dumps(value)} must be a number without quotes, or "
                               "null when none was published")
    return None


def _prevalence_section(section: Any, descriptor: dict[str, Any],
                        problems: list[Problem]) -> dict[str, Any]:
    """The ``prevalence`` entry: which studies the main analysis pools, and the threshold
    the pages test against."""
    if section is None:
        return {}
    if not isinstance(section, dict):
        problems.append(Problem(FILE, None, "study.prevalence",
                                'must be an object such as {"main": "all", '
                                '"threshold_percent": 10}'))
        return {}
    _unknown_keys(section, ("main", "threshold_percent"), "study.prevalence", problems)
    read: dict[str, Any] = {}
    if "main" in section:
        why = _compare_problem(section["main"], "prevalence", descriptor)
        if why:
            problems.append(Problem(FILE, None, "study.prevalence.main", why))
        else:
            read["main"] = section["main"]
    if "threshold_percent" in section:
        value = section["threshold_percent"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not 0 < value < 100:
            problems.append(Problem(FILE, None, "study.prevalence.threshold_percent",
                                    f"{json.dumps(value)} must be a percentage between 0 and "
                                    "100 without quotes, such as 10"))
        else:
            read["threshold_percent"] = value
    return read


def read_study(descriptor: dict[str, Any]) -> tuple[Study, list[Problem]]:
    """Read and check the ``study`` section of a package descriptor.

    Parameters
    ----------
    descriptor : dict
        The parsed ``datapackage.json``.

    Returns
    -------
    Study
        What was declared (defaults for what was not, or was wrong).
    list of Problem
        One per bad entry, naming its key (``study.fieldwork.suspensions[0].start``).
    """
    problems: list[Problem] = []
    section = descriptor.get("study", {})
    if not isinstance(section, dict):
        return Study(), [Problem(FILE, None, "study", "must be an object ({...}); see "
                                 "data_synthetic/datapackage.json for its keys")]
    known = {"title", "description", "reports", "setting", "fieldwork", "appraisal",
             "published", "prevalence", *TOPIC_KEYS}
    for key in sorted(set(section) - known):
        problems.append(Problem(FILE, None, f"study.{key}",
                                f"is not a key of the study section; it has: "
                                f"{', '.join(sorted(known))}"))
    title = _text(section, "title", "study", problems, str(descriptor.get("title", "")))
    description = _text(section, "description", "study", problems)
    topic = {key: _text(section, key, "study", problems).strip() for key in TOPIC_KEYS}

    reports = []
    for where, entry in _objects(section, "reports", "study.reports", problems,
                                 "must be a list ([...])", "must be an object with 'id', "
                                 "'review', 'short' and 'citation'"):
        _unknown_keys(entry, ("id", "review", "short", "citation", "what"), where, problems)
        missing = [k for k in ("id", "review", "short", "citation") if not entry.get(k)]
        if missing:
            problems.append(Problem(FILE, None, where, f"lacks {', '.join(missing)}"))
            continue
        if entry["review"] not in REVIEWS:
            problems.append(Problem(FILE, None, f"{where}.review",
                                    f"'{entry['review']}' is not one of: {', '.join(REVIEWS)}"))
            continue
        reports.append(Report(str(entry["id"]), entry["review"], str(entry["short"]),
                              str(entry["citation"]), str(entry.get("what", ""))))

    raw_setting = section.get("setting", {})
    if not isinstance(raw_setting, dict):
        problems.append(Problem(FILE, None, "study.setting", "must be an object"))
        raw_setting = {}
    _unknown_keys(raw_setting, ("country", "region", "regions"), "study.setting", problems)
    region = _text(raw_setting, "region", "study.setting", problems, "region")
    setting = Setting(country=_text(raw_setting, "country", "study.setting", problems),
                      region=region,
                      regions=_text(raw_setting, "regions", "study.setting", problems,
                                    region + "s"))

    if "fieldwork" in section:
        fieldwork, fieldwork_problems = section["fieldwork"], problems
    else:  # an older package: its top-level fieldwork is checked where it is read
        fieldwork, fieldwork_problems = _legacy_fieldwork(descriptor), []
    suspensions = []
    if not isinstance(fieldwork, dict):
        fieldwork_problems.append(Problem(FILE, None, "study.fieldwork",
                                          "must be an object with 'start' and 'end' dates"))
        fieldwork = {}
    _unknown_keys(fieldwork, ("start", "end", "suspensions"), "study.fieldwork",
                  fieldwork_problems)
    start, end = _period(fieldwork, "study.fieldwork", fieldwork_problems)
    for where, entry in _objects(fieldwork, "suspensions", "study.fieldwork.suspensions",
                                 fieldwork_problems, "must be a list of periods",
                                 "must be an object with 'label', 'start', 'end' and "
                                 "'modes_after'"):
        _unknown_keys(entry, ("label", "start", "end", "modes_after"), where, fieldwork_problems)
        s0, s1 = _period(entry, where, fieldwork_problems)
        if s0 is None:
            if "start" not in entry:
                fieldwork_problems.append(Problem(FILE, None, f"{where}.start", "is missing"))
            continue
        if start is None:
            fieldwork_problems.append(Problem(FILE, None, where, "needs the fieldwork 'start' "
                                              "and 'end' it interrupts"))
            continue
        modes = entry.get("modes_after", [])
        if not isinstance(modes, list) or not all(isinstance(m, str) for m in modes):
            fieldwork_problems.append(Problem(FILE, None, f"{where}.modes_after",
                                              "must be a list of interview modes, such as "
                                              '["video_call"]'))
            continue
        label = _text(entry, "label", where, fieldwork_problems, DEFAULT_SUSPENSION_LABEL)
        suspensions.append(Suspension(label or DEFAULT_SUSPENSION_LABEL, s0, s1, tuple(modes)))

    appraisal = section.get("appraisal", {})
    if not isinstance(appraisal, dict):
        problems.append(Problem(FILE, None, "study.appraisal", "must be an object"))
        appraisal = {}
    if "agreed_label" in appraisal and not (isinstance(appraisal["agreed_label"], str)
                                            and appraisal["agreed_label"].strip()):
        problems.append(Problem(FILE, None, "study.appraisal.agreed_label",
                                "must be the reviewer label of the agreed answers in "
                                "casp_ratings.csv, such as \"consensus\""))
        appraisal = {k: v for k, v in appraisal.items() if k != "agreed_label"}
    if "tool" in appraisal:
        from analysis.contract.tools import tool_problems

        tool_wrong = tool_problems(appraisal["tool"])
        for key, why in tool_wrong:
            problems.append(Problem(FILE, None, key, why))
        if tool_wrong:
            appraisal = {k: v for k, v in appraisal.items() if k != "tool"}

    published = []
    seen: set[str] = set()
    for where, entry in _objects(section, "published", "study.published", problems,
                                 "must be a list of figures", "must be an object"):
        missing = [k for k in ("fact_id", "quantity", "value", "kind", "source")
                   if entry.get(k) in (None, "")]
        if missing:
            problems.append(Problem(FILE, None, where, f"lacks {', '.join(missing)}; every "
                                    "published figure needs its source"))
            continue
        if entry["kind"] not in FACT_KINDS:
            problems.append(Problem(FILE, None, f"{where}.kind",
                                    f"'{entry['kind']}' is not one of: {', '.join(FACT_KINDS)}"))
            continue
        _unknown_keys(entry, FACT_KEYS, where, problems)
        if entry.get("study") not in (None, *REVIEWS):
            problems.append(Problem(FILE, None, f"{where}.study",
                                    f"'{entry['study']}' is not one of: {', '.join(REVIEWS)}"))
            continue
        bounds = [k for k in ("ci_low", "ci_high") if entry.get(k) is not None
                  and (isinstance(entry[k], bool) or not isinstance(entry[k], (int, float)))]
        if bounds:
            problems.append(Problem(FILE, None, f"{where}.{bounds[0]}",
                                    f"{json.dumps(entry[bounds[0]])} must be a number without "
                                    "quotes, or null when none was published"))
            continue
        if entry["fact_id"] in seen:
            problems.append(Problem(FILE, None, f"{where}.fact_id",
                                    f"'{entry['fact_id']}' is declared twice"))
            continue
        why = None if entry.get("compare") is None else _compare_problem(
            entry["compare"], entry.get("study"), descriptor)
        if why:
            problems.append(Problem(FILE, None, f"{where}.compare", why))
            continue
        wrong = _figure_problem(entry)
        if wrong:
            problems.append(Problem(FILE, None, f"{where}{wrong[0]}", wrong[1]))
            continue
        seen.add(entry["fact_id"])
        published.append({k: entry.get(k) for k in FACT_KEYS})

    prevalence = _prevalence_section(section.get("prevalence"), descriptor, problems)
    study = Study(title=title, description=description, reports=tuple(reports),
                  setting=setting, fieldwork_start=start, fieldwork_end=end,
                  suspensions=tuple(suspensions), appraisal=dict(appraisal),
                  published=tuple(published), prevalence=prevalence, **topic)
    return study, problems
