"""What the interview sub-themes page says: the framework and the coding in words.

The interview study's framework may have one central theme or several; its sub-theme
names may be the published ones or not (``framework.subtheme_source``); its codes are
called invented only when the package says its data are synthetic.
"""

from __future__ import annotations

from analysis.chapters.words import count_words, join_words, markdown, report_citation
from analysis.contract.escape import Myst, myst_text
from analysis.contract.package import DataPackage
from analysis.stats.themes import INTERVIEW_STUDY, InterviewCoding, ThemeSupport


def framework_text(package: DataPackage, support: ThemeSupport) -> Myst:
    """The interview framework in a sentence: its central theme or themes and sub-themes."""
    framework = package["framework"]
    own = framework[framework["review"] == INTERVIEW_STUDY]
    n_subthemes = len(own)
    published = int((own["subtheme_source"] == "published").sum())
    kind = "published sub-theme" if published == n_subthemes else "sub-theme"
    cite = report_citation(package, INTERVIEW_STUDY)
    themes = support.themes()
    if len(themes) == 1:
        text = Myst("The analysis of the interview study{} centred on one theme, *{}*, with "
                    "{}.").format(cite, themes["theme"].iloc[0], count_words(n_subthemes, kind))
    else:
        per_theme = support.framework.groupby("theme_id", sort=False).size()
        parts = [Myst("*{}* ({})").format(name, count_words(int(per_theme[theme_id]), "sub-theme"))
                 for theme_id, name in zip(themes["theme_id"], themes["theme"])]
        text = Myst("The analysis of the interview study{} centred on {} themes, {}: {} in "
                    "all.").format(cite, len(themes), join_words(parts),
                                   count_words(n_subthemes, kind))
    if 0 < published < n_subthemes:
        text += f" {published} of the sub-theme names are the published ones."
    return text


def framework_markdown(package: DataPackage, support: ThemeSupport):
    """:func:`framework_text` as displayable Markdown."""
    return markdown(framework_text(package, support))


def coding_text(package: DataPackage, coding: InterviewCoding) -> Myst:
    """How much coding there is, and the sub-themes raised by most and fewest people."""
    uncoded = (f"{count_words(coding.n_without_codes, 'participant')} had no code"
               if coding.n_without_codes else "every participant had at least one code")
    text = myst_text(
        f"The {count_words(coding.n_participants, 'participant')} "
        f"{'was' if coding.n_participants == 1 else 'were'} given "
        f"{count_words(coding.n_codes, 'distinct initial code')} (a median of "
        f"{coding.codes_per_participant_median:g} per participant) over "
        f"{count_words(coding.n_excerpts, 'coded excerpt')}; {uncoded}. ")
    if coding.n_subthemes == 1:
        text += Myst("The only sub-theme, *{}*, was raised by {:.1f}% of participants.").format(
            coding.most_raised_subtheme, coding.most_raised_pct)
    elif coding.most_raised_pct == coding.least_raised_pct:
        text += (f"Every sub-theme was raised by the same share of participants "
                 f"({coding.most_raised_pct:.1f}%).")
    else:
        text += Myst("The sub-theme raised by most participants was *{}* ({:.1f}%), the one "
                     "raised by fewest *{}* ({:.1f}%).").format(
                         coding.most_raised_subtheme, coding.most_raised_pct,
                         coding.least_raised_subtheme, coding.least_raised_pct)
    if package.synthetic:
        text += " These codes are invented for the synthetic data."
    return text


def coding_markdown(package: DataPackage, coding: InterviewCoding):
    """:func:`coding_text` as displayable Markdown."""
    return markdown(coding_text(package, coding))


def frequency_caption(support: ThemeSupport) -> str:
    """The caption of the participant frequency table, naming a single central theme."""
    themes = support.themes()["theme"]
    if len(themes) == 1:
        return f"Participants raising each sub-theme of {themes.iloc[0]}"
    return "Participants raising each theme and sub-theme"
