"""What the sample pages say: the interview sample and the included papers in the package's words.

Every sentence here reads what the package declares: the country and its word for a
region (``study.setting``), the suspensions of fieldwork with their own label and the
modes used after them (``study.fieldwork.suspensions``), the categories in force for
each column, and the report a review re-analyses (``study.reports``). What the package
does not declare is not said: no country, no pause, no citation. Counts agree in number
with their nouns ("1 adult", "2 countries").

A sample known only from its published summary (``sample_summary``: counts by
characteristic and category) builds the same chapter from its counts, and says which
analyses such input cannot support: those that need each participant's row or coded
interview (:func:`per_person_pages`).
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis.chapters.glue import glue_figure
from analysis.chapters.page import show_table
from analysis.chapters.words import (count_words, counted, figure_markdown, in_sentence,
                                     join_words, markdown, report_citation)
from analysis.contract.escape import Myst, myst_text
from analysis.contract.package import DataPackage
from analysis.contract.study import DEFAULT_SUSPENSION_LABEL
from analysis.pages.needs import missing_needs, offered_by_package
from analysis.pages.page import read_pages
from analysis.plots import sample as sample_plots
from analysis.stats import sample as sample_stats
from analysis.stats.sample import IncludedPapers, InterviewSample, SampleSummary

# The tables of one row per participant, and what each gives an analysis, in the words
# of a sentence saying what a published summary of the sample cannot support.
PER_PERSON_TABLES = {
    "participants": "each participant's row",
    "participant_codes": "each participant's codes",
}


# ---------------------------------------------------------------- the interview sample


def interview_sample_text(package: DataPackage, s: InterviewSample) -> Myst:
    """The paragraph that opens the interview sample: who, where, by whom."""
    setting = package.study.setting
    where = f" living in {setting.country}" if setting.country else ""
    sentences = [Myst("The interview study{} spoke with {}{}.").format(
        report_citation(package, "interview_study"), people_words(package, s.n_participants),
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
    diagnosis = diagnosis_words(package)
    if s.n_with_pd_diagnosis == 0:
        sentences.append(f"No participant had received {diagnosis}.")
    else:
        sentences.append(f"{count_words(s.n_with_pd_diagnosis, 'participant')} had received "
                         f"{diagnosis} at some point.")
    regions = setting.regions or "regions"
    lived = (f"{s.n_regions} {setting.region}" if s.n_regions == 1
             else f"{s.n_regions} {regions}")
    sentences.append(f"They lived in {lived}; {regions} with nobody sampled: "
                     f"{s.regions_not_sampled}.")
    missing = not_reported_text(package, s)
    if missing:
        sentences.append(missing)
    return Myst(" ").join(sentences)


def _not_reported_words(package: DataPackage) -> dict[str, str]:
    """What each column of participants is, inside a sentence saying it was not reported."""
    return {"age_band": "age", "gender": "gender", "sexuality": "sexuality",
            "ethnicity": "ethnicity", "ethnic_minority": "minority ethnic background",
            "region": package.study.setting.region or "region",
            "pd_diagnosis": "diagnosis", "interviewer_role": "interviewer",
            "interview_date": "interview date", "interview_mode": "interview mode",
            "duration_min": "interview length"}


def not_reported_text(package: DataPackage, s: InterviewSample) -> str:
    """"Not reported: age (1 participant), sexuality (2)."; empty when all is reported.

    The counts are of participants whose cell is empty in a column the package declares
    optional; the table counts them in a row "Not reported" of their characteristic.
    """
    if not s.not_reported:
        return ""
    words = _not_reported_words(package)
    pairs = [f"{words.get(column, column.replace('_', ' '))} "
             f"({count_words(n, 'participant') if i == 0 else n})"
             for i, (column, n) in enumerate(s.not_reported)]
    return f"Not reported: {join_words(pairs)}."


def people_words(package: DataPackage, n: int) -> str:
    """The people interviewed, counted: "30 adults" (the source study's word when the
    package names none), "21 first-time fathers" (its ``participant_noun``), "1
    participant" (a declared noun is plural only)."""
    noun = package.study.participant_noun
    if not noun:
        return count_words(n, "adult")
    return count_words(n, "participant") if n == 1 else f"{n:,} {noun}"


def diagnosis_words(package: DataPackage) -> str:
    """A diagnosis of the package's condition, inside a sentence: "a 'personality
    disorder' diagnosis"; "a diagnosis of the condition studied" when none is declared."""
    condition = package.study.condition
    return f"a {condition} diagnosis" if condition else "a diagnosis of the condition studied"


def interview_sample_markdown(package: DataPackage, s: InterviewSample | SampleSummary):
    """The paragraph that opens the interview sample as displayable Markdown: from each
    participant's row (:func:`interview_sample_text`) or from the published summary
    (:func:`summary_sample_text`)."""
    if isinstance(s, SampleSummary):
        return markdown(summary_sample_text(package, s))
    return markdown(interview_sample_text(package, s))


# ------------------------------------------------- a sample known from its published summary


def summary_sample_text(package: DataPackage, s: SampleSummary) -> Myst:
    """The paragraph that opens a sample known from its published summary: how many,
    where, what the summary reports, the largest group of each characteristic and the
    people it does not place."""
    setting = package.study.setting
    where = f" living in {setting.country}" if setting.country else ""
    people = package.study.participant_words
    cite = report_citation(package, "interview_study")
    if s.n_participants is None:
        sentences = [Myst("The interview study{} spoke with {}{}; its published summary does "
                          "not give how many (each characteristic it reports may count a "
                          "person more than once).").format(cite, people, where)]
    else:
        sentences = [Myst("The interview study{} spoke with {}{}.").format(
            cite, people_words(package, s.n_participants), where)]
    named = join_words([in_sentence(name) for name in s.characteristics])
    sentences.append(Myst("The data package gives the sample as its published summary: "
                          "counts by {} ({}), not each participant's row.").format(
        count_words(s.n_characteristics, "characteristic"), named))
    for name, category, n in s.largest:
        share = ("" if s.n_participants is None
                 else f", {100 * n / s.n_participants:.1f}%")
        sentences.append(Myst("The largest group by {}: {} ({}{}).").format(
            in_sentence(name), category, n, share))
    for name, n in s.not_reported:
        sentences.append(Myst("{} was not reported for {}.").format(
            name, count_words(n, "participant")))
    if s.multiple_response:
        sentences.append(Myst("A person may count under several categories of {}.").format(
            join_words([in_sentence(name) for name in s.multiple_response])))
    return Myst(" ").join(sentences)


def sample_table_caption(package: DataPackage) -> str:
    """The caption of Table 1: its percentages, and whether it is the published summary."""
    if package.has("participants"):
        return "Table 1. Characteristics of the interview sample (n, % of participants)"
    if sample_stats.summary_sample_size(package) is None:
        return "Table 1. Characteristics of the interview sample, as published (n)"
    return ("Table 1. Characteristics of the interview sample, as published "
            f"(n, % of {package.study.participant_words})")


def multiple_response_markdown(package: DataPackage):
    """What the percentages of a multi-response item mean (community services used, or
    a summary's ``multipleResponse`` characteristics); nothing without one."""
    if package.has("participants"):
        return markdown(Myst(
            "Community service use is a multi-response item: a participant counts once "
            "under each\ntype of service they have used, so its percentages are of "
            "participants and need not add\nup to 100."))
    several = sample_stats.summarise_sample_summary(package).multiple_response
    if not several:
        return None
    one = len(several) == 1
    return markdown(Myst("{} {} a multi-response item: a person counts once under each "
                         "category that applies, so {} percentages are of the {} and need "
                         "not add up to 100.").format(
        join_words(list(several)), "is" if one else "are each", "its" if one else "their",
        package.study.participant_words))


@dataclass(frozen=True)
class PerPersonPage:
    """A page of the book that needs each participant's data, which the package lacks."""

    name: str
    label: str
    needs: tuple[str, ...]  # the per-person tables it needs and the package lacks


def per_person_pages(package: DataPackage) -> tuple[PerPersonPage, ...]:
    """The pages of the book that need a table of one row per participant
    (:data:`PER_PERSON_TABLES`, with no alternative) that the package does not give,
    in book order: what a published summary of the sample cannot support.
    """
    offered = offered_by_package(package)
    found = []
    for page in read_pages():
        lacking = tuple(need for need in missing_needs(page.needs, offered)
                        if need in PER_PERSON_TABLES)
        if lacking:
            found.append(PerPersonPage(page.name, page.label, lacking))
    return tuple(found)


def per_person_markdown(package: DataPackage):
    """Which analyses a sample known from its published summary cannot support, and why;
    nothing when the package gives each participant's row."""
    if package.has("participants"):
        return None
    pages = per_person_pages(package)
    if not pages:
        return None
    items = [Myst("- {}: needs {}").format(
        page.label, join_words([PER_PERSON_TABLES[need] for need in page.needs]))
        for page in pages]
    return markdown(Myst("\n").join([
        Myst("A published summary gives counts by characteristic, not each participant's "
             "row or codes, so the book leaves out the analyses that need them (thematic "
             "saturation, for one, follows the codes of each interview in the order the "
             "interviews were held):"), Myst(""), *items]))


def left_out_reason(package: DataPackage, page: str) -> str:
    """Why a page left out of the book cannot be built from a published sample summary
    ("a published sample summary gives counts, not each participant's codes"); empty
    for another page or a package without a summary."""
    if not package.has("sample_summary"):
        return ""
    needs = next((p.needs for p in per_person_pages(package) if p.name == page), ())
    if not needs:
        return ""
    return ("a published sample summary gives counts, not "
            + join_words([PER_PERSON_TABLES[need] for need in needs], "or"))


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
    not_reported = dict(s.not_reported)
    undated = not_reported.get("interview_date", 0)
    if not s.first_interview:
        span = "The dates of the interviews were not reported"
    else:
        span = (f"Interviews were held in {s.first_interview}"
                if s.first_interview == s.last_interview
                else f"Interviews ran from {s.first_interview} to {s.last_interview}")
        if undated:
            span += f" ({count_words(undated, 'interview')} not dated)"
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
    untimed = not_reported.get("duration_min", 0)
    timed = s.n_participants - untimed
    if timed == 0:
        duration = "Their length was not reported."
    elif timed == 1:
        duration = f"{'It' if s.n_participants == 1 else 'One'} lasted {s.duration_min} minutes."
    else:
        duration = (f"They lasted a median of {s.duration_median:.0f} minutes (interquartile "
                    f"range {s.duration_q1:.0f} to {s.duration_q3:.0f}; range {s.duration_min} "
                    f"to {s.duration_max}).")
    if untimed and timed:
        duration = duration[:-1] + f"; length not reported for {untimed}."
    return f"{span}. {duration}"


def fieldwork_markdown(package: DataPackage, s: InterviewSample | SampleSummary):
    """:func:`fieldwork_text` as displayable Markdown; for a published summary, that it
    does not report the interviews' dates, modes and lengths."""
    if isinstance(s, SampleSummary):
        return markdown(Myst("The published summary of the sample does not report when "
                             "the interviews were held, how, or how long they lasted."))
    return markdown(myst_text(fieldwork_text(package, s)))


def mode_table(package: DataPackage):
    """The interviews by mode and fieldwork period, shown; nothing for a sample known
    from its published summary (which has no interview's mode)."""
    if not package.has("participants"):
        return None
    return show_table(sample_stats.mode_by_period(package),
                      caption=mode_table_caption(package))


def timeline_figure(package: DataPackage):
    """The interview timeline, glued and captioned; nothing for a sample known from its
    published summary (which has no interview's date)."""
    if not package.has("participants"):
        return None
    glue_figure("fig_interview_timeline", sample_plots.interview_timeline(package))
    return figure_markdown("fig_interview_timeline", timeline_caption(package))


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
