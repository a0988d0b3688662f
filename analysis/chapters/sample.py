"""What the sample pages say: the interview sample and the included papers in the package's words.

Every sentence here reads what the package declares: the country and its word for a
region (``study.setting``), the suspensions of fieldwork with their own label and the
modes used after them (``study.fieldwork.suspensions``), the categories in force for
each column, and the report a review re-analyses (``study.reports``). What the package
does not declare is not said: no country, no pause, no citation. Counts agree in number
with their nouns ("1 adult", "2 countries").
"""

from __future__ import annotations

from analysis.chapters.words import (count_words, counted, in_sentence, join_words,
                                     markdown, report_citation)
from analysis.contract.escape import Myst, myst_text
from analysis.contract.package import DataPackage
from analysis.contract.study import DEFAULT_SUSPENSION_LABEL
from analysis.stats.sample import IncludedPapers, InterviewSample


# ---------------------------------------------------------------- the interview sample


def interview_sample_text(package: DataPackage, s: InterviewSample) -> Myst:
    """The paragraph that opens the interview sample: who, where, by whom."""
    setting = package.study.setting
    where = f" living in {setting.country}" if setting.country else ""
    sentences = [Myst("The interview study{} spoke with {}{}.").format(
        report_citation(package, "interview_study"), count_words(s.n_participants, "adult"),
        where)]
    if s.by_gender:
        sentences.append(f"By gender: {counted(s.by_gender)}.")
    if s.n_minority_ethnic == 0:
        sentences.append("No participant was from a minority ethnic background.")
    else:
        background = ("was from a minority ethnic background" if s.n_minority_ethnic == 1
                      else "were from minority ethnic backgrounds")
        sentences.append(f"{count_words(s.n_minority_ethnic, 'participant')} "
                         f"({s.pct_minority_ethnic:.1f}%) {background}.")
    if s.by_interviewer_role:
        unit = "interview" if s.by_interviewer_role[0][1] == 1 else "interviews"
        sentences.append("Interviews by interviewer role: "
                         f"{counted(s.by_interviewer_role, unit)}.")
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
    return Myst(" ").join(sentences)


def interview_sample_markdown(package: DataPackage, s: InterviewSample):
    """:func:`interview_sample_text` as displayable Markdown."""
    return markdown(interview_sample_text(package, s))


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
                 f"({'; '.join(labels)}); interviews by period: {counted(s.by_period)}")
    duration = (f"They lasted a median of {s.duration_median:.0f} minutes (interquartile "
                f"range {s.duration_q1:.0f} to {s.duration_q3:.0f}; range {s.duration_min} "
                f"to {s.duration_max})." if s.n_participants > 1
                else f"It lasted {s.duration_min} minutes.")
    return f"{span}. {duration}"


def fieldwork_markdown(package: DataPackage, s: InterviewSample):
    """:func:`fieldwork_text` as displayable Markdown."""
    return markdown(myst_text(fieldwork_text(package, s)))


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


# ------------------------------------------------------------------ the included papers


def included_papers_text(package: DataPackage, p: IncludedPapers) -> Myst:
    """The paragraph that opens the included papers: how many, when, where, whom, each
    from the papers that report it, and what the sources did not report ("year not
    reported for 3 papers"); a figure no paper reports is said to be not reported, never
    printed as a fact."""
    cite = report_citation(package, "meta_synthesis")
    studies = count_words(p.n_distinct_studies, "distinct study", "distinct studies")
    if p.n_papers == 1:
        grouped = ""
    elif p.n_distinct_studies == p.n_papers:
        grouped = " (each paper reports a study of its own)"
    elif p.n_multi_paper_studies == 1:
        grouped = " (1 study was reported in more than one paper)"
    else:
        grouped = f" ({p.n_multi_paper_studies} studies were reported in more than one paper)"
    parts = [f"{count_words(p.n_papers, 'paper')} reporting {studies}{grouped}"]
    unreported = []
    if p.year_first is not None:
        when = (f"published in {p.year_first}" if p.year_first == p.year_last
                else f"published from {p.year_first} to {p.year_last}")
        parts.append(when + _partly(p.n_year_not_reported, "year"))
    else:
        unreported.append("year of publication")
    if p.n_countries:
        if p.n_countries == 1:
            where = (f"all in one country ({p.top_countries[0]})" if not p.n_country_not_reported
                     else f"in one country ({p.top_countries[0]})")
        else:
            each = " each" if len(p.top_countries) > 1 else ""
            where = (f"in {p.n_countries} countries, most often "
                     f"{join_words(list(p.top_countries))} "
                     f"({count_words(p.n_top_country, 'paper')}{each})")
        parts.append(where + _partly(p.n_country_not_reported, "country"))
    else:
        unreported.append("country")
    text = Myst("The meta-synthesis{} included {}.").format(cite, ", ".join(parts))
    if p.n_participants_total is None:
        unreported.append("number of participants")
    elif p.n_papers == 1:
        text += f" It heard from {count_words(p.n_participants_total, 'participant')}."
    else:
        reporting = p.n_papers - p.n_participants_not_reported
        who = ("Together they" if not p.n_participants_not_reported
               else f"The {count_words(reporting, 'paper')} that report it")
        text += (f" {who} heard from {count_words(p.n_participants_total, 'participant')}, "
                 f"a median of {p.n_participants_median:g} per paper (range "
                 f"{p.n_participants_min} to {p.n_participants_max})"
                 + _partly(p.n_participants_not_reported, "number of participants") + ".")
    if unreported:
        subject = join_words(unreported)
        text += (f" {subject[:1].upper() + subject[1:]} "
                 f"{'is' if len(unreported) == 1 else 'are'} not reported for any of "
                 f"the papers in this package.")
    return text


def _partly(n: int, what: str) -> str:
    """" (year not reported for 3 papers)", or nothing when every paper reports it."""
    return f" ({what} not reported for {count_words(n, 'paper')})" if n else ""


def included_papers_markdown(package: DataPackage, p: IncludedPapers):
    """:func:`included_papers_text` as displayable Markdown."""
    return markdown(included_papers_text(package, p))
