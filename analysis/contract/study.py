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
      "appraisal": {"tool": "casp_qualitative", "agreed_label": "consensus"},
      "published": [{"fact_id": "...", "study": "...", "quantity": "...", "value": "...",
                     "ci_low": null, "ci_high": null, "unit": "...", "kind": "count",
                     "source": "...",
                     "compare": {"setting": "community", "income_group": "high"}}]
    }

A published prevalence names the prevalence studies it is compared with in ``compare``:
columns of ``prevalence_studies`` and the value each must have (all of them at once).

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
FACT_KINDS = ("count", "minimum", "label", "estimate", "approximate")
FACT_KEYS = ("fact_id", "study", "quantity", "value", "ci_low", "ci_high", "unit", "kind",
             "source", "compare")
DEFAULT_SUSPENSION_LABEL = "a suspension of fieldwork"


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


def _compare_problem(compare: Any) -> str | None:
    """Why ``compare`` cannot select prevalence studies (None: it can)."""
    from analysis.contract.files import load_contract

    columns = next(
        [f["name"] for f in res["schema"]["fields"]] for res in load_contract()["resources"]
        if res["name"] == "prevalence_studies")
    example = '{"setting": "community", "income_group": "high"}'
    if not isinstance(compare, dict) or not compare:
        return f"must be an object naming the studies it compares with, such as {example}"
    for column, value in compare.items():
        if column not in columns:
            return (f"'{column}' is not a column of prevalence_studies; use one of: "
                    f"{', '.join(columns)}")
        if not isinstance(value, str) or not value:
            return f"{json.dumps(value)} for '{column}' must be a value in double quotes"
    return None


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
             "published"}
    for key in sorted(set(section) - known):
        problems.append(Problem(FILE, None, f"study.{key}",
                                f"is not a key of the study section; it has: "
                                f"{', '.join(sorted(known))}"))
    title = _text(section, "title", "study", problems, str(descriptor.get("title", "")))
    description = _text(section, "description", "study", problems)

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
        why = None if entry.get("compare") is None else _compare_problem(entry["compare"])
        if why:
            problems.append(Problem(FILE, None, f"{where}.compare", why))
            continue
        seen.add(entry["fact_id"])
        published.append({k: entry.get(k) for k in FACT_KEYS})

    study = Study(title=title, description=description, reports=tuple(reports),
                  setting=setting, fieldwork_start=start, fieldwork_end=end,
                  suspensions=tuple(suspensions), appraisal=dict(appraisal),
                  published=tuple(published))
    return study, problems
