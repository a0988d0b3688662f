"""What the sample pages say: the interview sample and the included papers in the package's words.

Every sentence here reads what the package declares: the country and its word for a
region (``study.setting``), the suspensions of fieldwork with their own label and the
modes used after them (``study.fieldwork.suspensions``), the categories in force for
each column, and the report a review re-analyses (``study.reports``). What the package
does not declare is not said: no country, no pause, no citation. Counts agree in number
with their nouns ("1 adult", "2 countries").
"""

from __future__ import annotations

import re
from functools import lru_cache

from analysis import paths
from analysis.contract.package import DataPackage
from analysis.contract.study import DEFAULT_SUSPENSION_LABEL
from analysis.stats.sample import IncludedPapers, InterviewSample


def count_words(count: int, singular: str, plural: str | None = None) -> str:
    """'1 paper', '29 papers', '2 countries' (with ``plural`` given)."""
    return f"{count:,} {singular if count == 1 else (plural or singular + 's')}"


def join_words(items: list[str], conjunction: str = "and") -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {conjunction} {items[-1]}"


def in_sentence(label: str) -> str:
    """A category label inside a sentence: 'Video call' -> 'video call', 'NHS' stays."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


def _counted(pairs: tuple[tuple[str, int], ...], unit: str = "") -> str:
    """'female (23), male (6) and non-binary (1)'; ``unit`` follows the first count."""
    parts = [f"{in_sentence(label)} ({n}{' ' + unit if unit and i == 0 else ''})"
             for i, (label, n) in enumerate(pairs)]
    return join_words(parts)


@lru_cache(maxsize=1)
def _bibliography_keys() -> frozenset[str]:
    bib = paths.BOOK / "references.bib"
    text = bib.read_text(encoding="utf-8") if bib.exists() else ""
    return frozenset(re.findall(r"@\w+\s*\{\s*([^,\s]+)\s*,", text))


def report_citation(package: DataPackage, review: str) -> str:
    """The citation of the report a review re-analyses, to follow its name in a sentence.

    A report whose ``id`` is a key of the book's bibliography is cited with a MyST
    ``{cite:p}`` role (linked to the references page); another is named by its
    ``short`` form in brackets. Empty when the package declares no report for it.
    """
    report = package.study.report(review)
    if report is None:
        return ""
    if report.id in _bibliography_keys():
        return f" {{cite:p}}`{report.id}`"
    return f" ({report.short})"


def _markdown(text: str):
    from IPython.display import Markdown

    return Markdown(text)


# ---------------------------------------------------------------- the interview sample


def interview_sample_text(package: DataPackage, s: InterviewSample) -> str:
    """The paragraph that opens the interview sample: who, where, by whom."""
    setting = package.study.setting
    where = f" living in {setting.country}" if setting.country else ""
    sentences = [f"The interview study{report_citation(package, 'interview_study')} spoke "
                 f"with {count_words(s.n_participants, 'adult')}{where}."]
    if s.by_gender:
        sentences.append(f"By gender: {_counted(s.by_gender)}.")
    if s.n_minority_ethnic == 0:
        sentences.append("No participant was from a minority ethnic background.")
    else:
        one = s.n_minority_ethnic == 1
        sentences.append(f"{count_words(s.n_minority_ethnic, 'participant')} "
                         f"({s.pct_minority_ethnic:.1f}%) {'was' if one else 'were'} from "
                         f"{'a minority ethnic background' if one else 'minority ethnic backgrounds'}.")
    if s.by_interviewer_role:
        sentences.append(f"Interviews by interviewer role: "
                         f"{_counted(s.by_interviewer_role, 'interviews' if s.by_interviewer_role[0][1] != 1 else 'interview')}.")
    if s.n_with_pd_diagnosis == 0:
        sentences.append("No participant had received a 'personality disorder' diagnosis.")
    else:
        sentences.append(f"{count_words(s.n_with_pd_diagnosis, 'participant')} had received a "
                         "'personality disorder' diagnosis at some point.")
    regions = setting.regions or "regions"
    lived = (f"{s.n_regions} {setting.region}" if s.n_regions == 1
             else f"{s.n_regions} {regions}")
    sentences.append(f"They lived in {lived}; {regions} with nobody sampled: "
                     f"{s.regions_not_sampled}.")
    return " ".join(sentences)


def interview_sample_markdown(package: DataPackage, s: InterviewSample):
    """:func:`interview_sample_text` as displayable Markdown."""
    return _markdown(interview_sample_text(package, s))


def _suspended_for(label: str) -> str:
    """'suspended for the COVID-19 pandemic'; just 'suspended' for an unnamed pause."""
    return "suspended" if label == DEFAULT_SUSPENSION_LABEL else f"suspended for {label}"


def _mode_words(package: DataPackage, modes: tuple[str, ...]) -> str:
    labels = package.categories("participants", "interview_mode")
    return join_words([in_sentence(labels.get(m, m)) for m in modes], "or")


def fieldwork_text(package: DataPackage, s: InterviewSample) -> str:
    """When the interviews ran, any suspension of fieldwork, and how long they lasted.

    Without a declared suspension nothing is said about a pause.
    """
    span = (f"Interviews were held in {s.first_interview}" if s.first_interview == s.last_interview
            else f"Interviews ran from {s.first_interview} to {s.last_interview}")
    suspensions = package.study.suspensions
    counts = [n for _, n in s.by_period]

    def held(n: int) -> str:
        return str(n) if n else "none"

    if len(suspensions) == 1:
        pause = suspensions[0]
        span += (f": {held(counts[0])} before the study was {_suspended_for(pause.label)} "
                 f"and {held(counts[1])} after it resumed")
        if pause.modes_after and counts[1]:
            span += (f", when {'it was' if counts[1] == 1 else 'all were'} held by "
                     f"{_mode_words(package, pause.modes_after)}")
    elif suspensions:
        labels = [pause.label for pause in suspensions]
        span += (f". Fieldwork was suspended {len(suspensions)} times "
                 f"({'; '.join(labels)}); interviews by period: {_counted(s.by_period)}")
    duration = (f"They lasted a median of {s.duration_median:.0f} minutes (interquartile "
                f"range {s.duration_q1:.0f} to {s.duration_q3:.0f}; range {s.duration_min} "
                f"to {s.duration_max})." if s.n_participants > 1
                else f"It lasted {s.duration_min} minutes.")
    return f"{span}. {duration}"


def fieldwork_markdown(package: DataPackage, s: InterviewSample):
    """:func:`fieldwork_text` as displayable Markdown."""
    return _markdown(fieldwork_text(package, s))


def mode_table_caption(package: DataPackage) -> str:
    """The caption of the interviews-by-mode table: periods only when fieldwork paused."""
    suspensions = package.study.suspensions
    if not suspensions:
        return "Interviews by mode"
    if len(suspensions) == 1:
        label = suspensions[0].label
        why = "" if label == DEFAULT_SUSPENSION_LABEL else f" for {label}"
        return f"Interviews by mode, before and after the suspension{why}"
    return "Interviews by mode and fieldwork period"


def timeline_caption(package: DataPackage) -> str:
    """The caption of the interview timeline, naming any suspension it shades."""
    caption = "Each interview by date and length, coloured by mode."
    suspensions = package.study.suspensions
    if len(suspensions) == 1:
        label = suspensions[0].label
        why = "" if label == DEFAULT_SUSPENSION_LABEL else f" for {label}"
        caption += f" The grey band is the suspension of the study{why}."
    elif suspensions:
        caption += (" The grey bands are the suspensions of the study ("
                    + "; ".join(pause.label for pause in suspensions) + ").")
    return caption


def figure_markdown(name: str, caption: str):
    """A glued figure with a caption that depends on the data (a ``glue:figure``)."""
    label = name.replace("_", "-")
    return _markdown(f"```{{glue:figure}} {name}\n:name: {label}\n\n{caption}\n```")


# ------------------------------------------------------------------ the included papers


def included_papers_text(package: DataPackage, p: IncludedPapers) -> str:
    """The paragraph that opens the included papers: how many, when, where, whom."""
    cite = report_citation(package, "meta_synthesis")
    studies = count_words(p.n_distinct_studies, "distinct study", "distinct studies")
    if p.n_distinct_studies == p.n_papers:
        grouped = "each paper reports a study of its own"
    elif p.n_multi_paper_studies == 1:
        grouped = "1 study was reported in more than one paper"
    else:
        grouped = f"{p.n_multi_paper_studies} studies were reported in more than one paper"
    when = (f"published in {p.year_first}" if p.year_first == p.year_last
            else f"published from {p.year_first} to {p.year_last}")
    if p.n_countries == 1:
        where = f"all in one country ({p.top_countries[0]})"
    else:
        each = " each" if len(p.top_countries) > 1 else ""
        where = (f"in {p.n_countries} countries, most often "
                 f"{join_words(list(p.top_countries))} "
                 f"({count_words(p.n_top_country, 'paper')}{each})")
    text = (f"The meta-synthesis{cite} included {count_words(p.n_papers, 'paper')} "
            f"reporting {studies} ({grouped}), {when}, {where}. ")
    if p.n_papers == 1:
        text += f"It heard from {count_words(p.n_participants_total, 'participant')}."
    else:
        text += (f"Together they heard from {count_words(p.n_participants_total, 'participant')}, "
                 f"a median of {p.n_participants_median:g} per paper (range "
                 f"{p.n_participants_min} to {p.n_participants_max}).")
    return text


def included_papers_markdown(package: DataPackage, p: IncludedPapers):
    """:func:`included_papers_text` as displayable Markdown."""
    return _markdown(included_papers_text(package, p))
