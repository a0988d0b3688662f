"""What the Multiverse page shows: the declared choices, the curve's numbers, the tables.

The page needs only the prevalence studies. Its sections on the review-level quality
judgement and on the support of each theme say what they vary when the package has the
tables the Quality bands and Theme frequencies pages need, and say in one sentence that
there is nothing to vary when it does not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.chapters import prevalence as prevalence_page
from analysis.chapters.book_pages import in_book
from analysis.chapters.words import count_words, join_words
from analysis.contract.choices import EACH, Choices, bands_text, load_choices
from analysis.contract.package import DataPackage
from analysis.plan import tables_dir
from analysis.compute import multiverse as multiverse_compute
from analysis.stats import multiverse, multiverse_themes, quality, themes


@dataclass(frozen=True)
class Facts:
    """What the prose says about where the multiverse ran and how it compares."""

    where: str
    how: str
    n_workers: int
    n_tasks: int
    size: str
    setting: str
    setting_text: str
    prevalence_page: float
    main_comparison: str
    choices_text: str
    rules_text: str
    tasks_text: str
    threshold_text: str = ""
    shares_text: str = ""


def threshold_text(package, below_percent: float | None, parameter: float | None = None
                   ) -> str:
    """Whose threshold the conclusion tests: the package's own
    (``study.prevalence.threshold_percent``), the page's parameter, or the choices
    file's; or that none was declared and no conclusion is tested."""
    if below_percent is None:
        return ("No threshold was declared (threshold_percent in the prevalence entry of "
                "the data package's study section, or this page's parameter), so no "
                "conclusion is tested: the page says where the estimates lie, and no share "
                "of them below a threshold.")
    if package.study.threshold_percent is not None:
        return (f"The threshold, {below_percent:g}%, is the one the data package declares "
                "for its review.")
    if parameter is not None:
        return (f"The threshold, {below_percent:g}%, is this page's parameter "
                "(threshold_percent): the data package declares none of its own.")
    return (f"The threshold, {below_percent:g}%, is the choices file's: this data package "
            "declares none of its own (threshold_percent in the prevalence entry of its "
            "study section), so the conclusion tested is not one its review states.")


def conclusion_markdown(summary: multiverse.MultiverseSummary, choices: Choices):
    """The conclusion's shares in bold, or (no threshold) nothing to test."""
    from analysis.chapters.words import markdown
    from analysis.contract.escape import Myst

    if choices.below_percent is None:
        return markdown(Myst("**No conclusion is tested**: no threshold was declared for "
                             "the {}.").format(summary.outcome))
    t = f"{summary.threshold:g}"
    return markdown(Myst(
        "**The {} is below {}% in {}% of the {} specifications** ({} of them); the upper "
        "limit of its 95% confidence interval is below {}% in {}% of them.").format(
            summary.outcome, t, f"{summary.share_below:.0f}", f"{summary.n_pooled:,}",
            f"{summary.n_below}", t, f"{summary.share_ci_below:.0f}"))


def shares_sentence(choices: Choices) -> str:
    """What the table of shares by option shows."""
    if choices.below_percent is None:
        return ("The median pooled prevalence under each option, among the specifications "
                "that take it (no threshold was declared, so no share below one).")
    return ("How often the conclusion holds under each option: among the specifications "
            "that take it, the share whose pooled prevalence is below "
            f"{choices.below_percent:g}%.")


@dataclass(frozen=True)
class QualityText:
    """The sentence on the review-level judgement across banding rules."""

    sentence: str


NO_APPRAISAL = ("This data package has no quality appraisal (the tables casp_ratings and "
                "studies), so there is no review-level judgement to vary.")
NO_THEMES = ("This data package has no coded meta-synthesis (the tables framework, studies, "
             "study_codes and casp_ratings the Theme frequencies page needs), so there is no "
             "support of a theme to vary.")


def quality_sentence(table: pd.DataFrame, appraised: bool = True) -> str:
    """What the quality multiverse shows, in words that fit any declaration."""
    if not appraised:
        return NO_APPRAISAL
    if table.empty:
        return ("No limits of the banding rule are declared (the file's quality section), "
                "so the review-level judgement is not varied here.")
    s = multiverse.summarise_quality(table)
    rules = f"{s.n_rules:,} banding rule{'s' if s.n_rules != 1 else ''}"
    if s.n_same == s.n_rules:
        return (f"The review-level quality judgement is {s.main_judgement}, as under the "
                f"main rule, under every one of the {rules} the declared limits make.")
    return (f"Under the {rules} the declared limits make, the review-level quality "
            f"judgement is {s.main_judgement}, as under the main rule, in "
            f"{s.share_same:.0f}% of them ({s.n_same:,}); by judgement: {s.judgements}.")


def quality_table(table: pd.DataFrame) -> pd.DataFrame:
    """The quality multiverse as a reader scans it."""
    return table.rename(columns=lambda c: c.replace("_", " ")).assign(
        main=table["main"].map({True: "✓", False: ""})).rename(
        columns={"main": "Main rule"})


def show_quality(page: MultiversePage):
    """The bands and judgement under each banding rule (nothing when none was varied)."""
    if page.quality.empty:
        return None
    from analysis.chapters.page import show_text_table

    return show_text_table(quality_table(page.quality),
                           caption="Bands and review-level judgement under each banding rule")


# ------------------------------------------------------------ the support of each theme


@dataclass(frozen=True)
class ThemeText:
    """The sentences on the support of each theme across the theme specifications."""

    sentence: str
    themes_sentence: str
    n_specifications: int
    main_comparison: str
    # What the page prints: both sentences, or the first alone where there are no
    # shares to list (a glued empty string would show as a blank on the page).
    paragraph: str = ""

    def __post_init__(self):
        if not self.paragraph:
            object.__setattr__(self, "paragraph",
                               " ".join(filter(None, (self.sentence, self.themes_sentence))))


def themes_page_support(package: DataPackage, choices: Choices) -> dict[str, bool]:
    """Whether each theme is supported on the Theme frequencies page, by its own functions.

    The page flags a theme that fewer than ``min_studies`` distinct studies support
    (:func:`analysis.stats.themes.quality_sensitivity`); under a main analysis that
    counts papers instead, the page's frequency table gives the papers.
    """
    main = multiverse_themes.main_spec(choices)
    support = themes.ThemeSupport.from_package(package, main["banding_rule"])
    bands = list(main["exclude_bands"])
    if main["unit"] == "studies":
        table = themes.quality_sensitivity(support, bands, main["min_support"])
        ok = table["flag"] == ""
    else:
        table = themes.frequency_table(support.without_bands(bands))
        ok = table["n_papers"] >= main["min_support"]
    rows = table["level"] == "theme"
    return dict(zip(table.loc[rows, "theme_id"], ok[rows]))


# The theme choices as the prose names them (summarise gives the name with spaces).
THEME_CHOICE_WORDS = {"min support": "least support a theme needs",
                      "unit": "unit counted (studies or papers)",
                      "exclude bands": "choice of quality bands left out",
                      "banding rule": "banding rule"}


def _unit_words(n: int, unit: str) -> str:
    return count_words(n, "study", "studies") if unit == "studies" else count_words(n, "paper")


def _main_words(main: dict) -> str:
    """'at least 3 studies, no paper left out' (the main analysis of the themes)."""
    need = f"at least {_unit_words(main['min_support'], main['unit'])}"
    if not main["exclude_bands"]:
        return f"{need}, no paper left out"
    return (f"{need}, papers rated {' or '.join(main['exclude_bands'])} under the "
            f"{main['banding_rule']} rule left out")


def theme_text(table: pd.DataFrame, choices: Choices, coded: bool = True,
               page_support: dict[str, bool] | None = None) -> ThemeText:
    """What the theme multiverse shows, in words that fit any package and declaration."""
    if not coded:
        return ThemeText(NO_THEMES, "", 0, "")
    if not choices.themes:
        return ThemeText("No theme choices are declared (the file's themes section), so the "
                         "support of the themes is not varied here.", "", 0, "")
    s = multiverse_themes.summarise(table, choices)
    robust = multiverse_themes.theme_robustness(table)
    main = multiverse_themes.main_spec(choices)
    specs = count_words(s.n_specifications, "specification")
    same = page_support is None or all(
        page_support.get(r.theme_id) == r.main_supported for r in robust.itertuples())
    comparison = "the same as" if same else "different from"
    themes_word = count_words(s.n_themes, "theme")
    if s.n_themes == 1:
        result = f"the one theme is {'' if s.main_n_supported else 'not '}supported"
    elif s.main_n_supported == s.n_themes:
        result = f"all {themes_word} are supported"
    elif s.main_n_supported == 0:
        result = f"none of the {themes_word} is supported"
    else:
        result = (f"{s.main_n_supported:,} of the {themes_word} "
                  f"{'is' if s.main_n_supported == 1 else 'are'} supported")
    where = ("as on the Theme frequencies page" if same else
             "unlike on the Theme frequencies page, whose count this should be")
    parts = [f"Under the main analysis ({_main_words(main)}) {result}, {where}."]
    if s.n_specifications == 1:
        parts.append("The declared options make one specification only, the main analysis.")
    elif s.n_always == s.n_themes:
        parts.append(f"Every theme is supported in every one of the {specs}.")
    elif s.n_never == s.n_themes:
        parts.append(f"No theme is supported in any of the {specs}.")
    else:
        lowest = robust[robust["share_supported"] == robust["share_supported"].min()]
        share = f"{lowest['share_supported'].iloc[0]:.0f}%"
        if s.n_sometimes == s.n_themes and len(lowest) == s.n_themes:
            spread = (f"{'the theme' if s.n_themes == 1 else 'every theme'} is supported in "
                      f"{share} of them")
        else:
            counts = [(n, words) for n, words in ((s.n_always, "in every one"),
                                                  (s.n_sometimes, "in some of them only"),
                                                  (s.n_never, "in none")) if n]
            (first, words), rest = counts[0], counts[1:]
            spread = join_words([f"{count_words(first, 'theme')} "
                                 f"{'is' if first == 1 else 'are'} supported {words}",
                                 *[f"{n:,} {w}" for n, w in rest]])
            names = join_words([f"{r.theme_id} {r.theme}" for r in lowest.itertuples()])
            spread += (f"; the least robust {'is' if len(lowest) == 1 else 'are'} {names}, "
                       f"supported in {share} of them")
        parts.append(f"Across the {specs}, {spread}. The choice that moves the support most "
                     f"is the {THEME_CHOICE_WORDS.get(s.top_choice, s.top_choice)} "
                     f"({s.top_choice_spread:.0f} percentage points between its options).")
    listed = "; ".join(
        f"{r.theme_id} {r.theme} ({r.share_supported:.0f}%, {r.n_supported:,} of "
        f"{r.n_specifications:,})" for r in robust.itertuples())
    return ThemeText(" ".join(parts), "The share of the specifications in which each theme "
                     f"is supported: {listed}.", s.n_specifications, comparison)


def theme_robustness_table(table: pd.DataFrame, choices: Choices) -> pd.DataFrame:
    """Each theme's share of specifications in which it is supported, and the main result."""
    robust = multiverse_themes.theme_robustness(table)
    unit = multiverse_themes.main_spec(choices)["unit"]
    return pd.DataFrame({
        "Theme": robust["theme_id"] + " " + robust["theme"],
        "Supported in, % of specifications": robust["share_supported"].round(0),
        "Specifications supported": [f"{a:,} of {b:,}" for a, b in
                                     zip(robust["n_supported"], robust["n_specifications"])],
        "Main analysis": [f"{'supported' if ok else 'not supported'} "
                          f"({_unit_words(n, unit)})"
                          for ok, n in zip(robust["main_supported"], robust["main_support"])],
        "Fewest supporting sources in a specification": robust["lowest_support"],
    }).set_index("Theme")


def theme_choices_table(choices: Choices) -> pd.DataFrame:
    """The theme choices: their options and the main analysis's option."""
    def shown(name, value) -> str:
        return bands_text(value) if name == "exclude_bands" else _text(value)

    return pd.DataFrame([{
        "Choice": _text(c.name), "Options": ", ".join(shown(c.name, v) for v in c.options),
        "Main analysis": shown(c.name, c.main)} for c in choices.themes],
        columns=["Choice", "Options", "Main analysis"]).set_index("Choice")


def show_themes(page: MultiversePage):
    """The theme choices and each theme's robustness (nothing without a theme multiverse)."""
    if page.themes.empty:
        return None
    from IPython.display import display

    from analysis.chapters.page import show_table, show_text_table

    display(show_text_table(theme_choices_table(page.choices),
                            caption="The choices behind the support of each theme"))
    return show_table(theme_robustness_table(page.themes, page.choices), precision=0,
                      caption="In how many specifications each theme is supported")


def glue_theme_figure(page: MultiversePage):
    """Glue the theme figure and show it with its caption (nothing without themes)."""
    if page.themes.empty:
        return None
    from analysis.chapters.glue import glue_figure
    from analysis.chapters.words import figure_markdown
    from analysis.plots.multiverse import theme_support

    glue_figure("fig_theme_support", theme_support(page.themes))
    return figure_markdown(
        "fig_theme_support",
        "Support of each theme across the specifications. Each row is a theme, each column "
        "a specification, sorted by how many themes it supports; a filled cell means the "
        "theme is supported. The outlined column is the main analysis; the share on the "
        "right is the share of specifications in which the theme is supported.")


# ------------------------------------------------------------------ the binomial GLMM


@dataclass(frozen=True)
class GlmmText:
    """What the page says of the GLMM specifications (glued as ``mvg_``)."""

    paragraph: str


NO_GLMM = ("The declared choices do not make the pooling model a choice (pooling, with the "
           "options inverse_variance and glmm, as book/multiverse.yml shows in a comment), "
           "so every specification pools by inverse variance.")


def glmm_text(summary: multiverse.GlmmSummary | None, choices: Choices,
              size: str = "book") -> GlmmText:
    """The GLMM specifications in words: how many, how many could not be fitted and why,
    where their estimates lie, the conclusion's share, and how far they are from the
    inverse-variance model on the same studies."""
    if summary is None:
        if choices.has_glmm:
            return GlmmText("The GLMM is among the declared pooling models, but not among "
                            f"the options of the {size} multiverse this page runs "
                            "(python -m analysis multiverse --size full fits it).")
        return GlmmText(NO_GLMM)
    s = summary
    specs = count_words(s.n_specifications, "GLMM specification")
    parts = [f"The {specs} {'is' if s.n_specifications == 1 else 'are'} summarised here "
             "apart from the others: a GLMM takes no transform, tau² estimator or interval "
             "(it pools the counts on the logit scale by maximum likelihood, with a Wald "
             "interval on the normal quantile), so it is fitted once for each selection of "
             "studies, and the curve, the shares and the choice effects above are those "
             "of the inverse-variance specifications."]
    if s.n_too_few:
        parts.append(f"Of these, {s.n_too_few:,} selected too few studies and "
                     f"{'was' if s.n_too_few == 1 else 'were'} not fitted.")
    if s.n_failed:
        parts.append(f"{count_words(s.n_failed, 'fit')} gave no estimate "
                     f"({s.failures}); those specifications are in the table with that "
                     "status and no numbers.")
    elif s.n_pooled:
        parts.append("Every fit converged.")
    if not s.n_pooled:
        parts.append("No GLMM specification gave an estimate.")
        return GlmmText(" ".join(parts))
    parts.append(f"The {count_words(s.n_pooled, 'GLMM estimate')} run from "
                 f"{s.lowest:.1f}% to {s.highest:.1f}%, with a median of {s.median:.1f}%.")
    if choices.below_percent is not None:
        parts.append(f"The {choices.outcome} is below {choices.below_percent:g}% in "
                     f"{s.share_below:.0f}% of them ({s.n_below:,}).")
    if s.n_paired:
        parts.append(f"Against the inverse-variance model of the same studies (with the "
                     f"main analysis's transform, estimator and interval) the GLMM "
                     f"estimate differs by {s.median_difference:+.2f} percentage points "
                     f"at the median, and by {s.largest_difference:+.2f} at most.")
    return GlmmText(" ".join(parts))


@dataclass(frozen=True, eq=False)
class MultiversePage:
    """Everything the Multiverse page shows, computed once."""

    choices: Choices
    run: multiverse_compute.MultiverseRun
    summary: multiverse.MultiverseSummary
    effects: pd.DataFrame
    facts: Facts
    quality: pd.DataFrame
    quality_text: QualityText
    themes: pd.DataFrame
    theme_text: ThemeText
    glmm: multiverse.GlmmSummary | None = None
    glmm_text: GlmmText = GlmmText(NO_GLMM)
    # The package's titles of its covariate columns, for the choices they make.
    titles: dict = field(default_factory=dict)

    @property
    def table(self) -> pd.DataFrame:
        return self.run.table

    @property
    def curve(self) -> tuple[pd.DataFrame, Choices]:
        """The table and choices the specification curve draws: the inverse-variance
        specifications (the GLMM ones are summarised apart)."""
        glmm = multiverse.is_glmm(self.table)
        if not glmm.any():
            return self.table, self.choices
        return self.table[~glmm].reset_index(drop=True), self.choices.without_glmm()


def _where(run: multiverse_compute.MultiverseRun) -> str:
    workers = count_words(run.n_workers, "worker")
    if run.where == "this process":
        return "this page's own process, as arrays"
    if run.where == "local cluster":
        return f"a local Dask cluster of {workers}"
    return f"the Dask scheduler at {run.where} ({workers})"


def _how(run: multiverse_compute.MultiverseRun) -> str:
    """Where and in how many chunks the multiverse ran, and why there."""
    chunks = count_words(run.n_tasks, "chunk")
    if run.where == "this process":
        return (f"in this page's own process, as arrays, in {chunks} (a multiverse of "
                f"{multiverse_compute.CLUSTER_FROM:,} specifications or more runs on a Dask "
                "cluster)")
    return f"on {_where(run)}, in {chunks}"


def _rules_sentence(choices: Choices) -> str:
    """How many rules leave combinations out here, and how many were set aside."""
    n, aside = len(choices.rules), len(choices.set_aside)
    text = (f"{count_words(n, 'rule')} {'leaves' if n == 1 else 'leave'} out combinations "
            "that make no sense." if n else "No rule leaves out any combination.")
    if aside:
        text += (f" {count_words(aside, 'declared rule')} {'is' if aside == 1 else 'are'} "
                 f"set aside: {'it names' if aside == 1 else 'they name'} only codes these "
                 "studies do not have.")
    return text


def package_threshold(declared: Choices, package, parameter: float | None = None
                      ) -> Choices:
    """The declared choices with the threshold in force: the package's own
    (``study.prevalence.threshold_percent``), else the page's parameter, else the
    choices file's, else none (no conclusion tested). The conclusion a page tests belongs
    to the review: the bundled package declares the source study's 10%."""
    from dataclasses import replace

    own = package.study.threshold_percent
    own = own if own is not None else parameter
    return declared if own is None else replace(declared, below_percent=float(own))


@dataclass(frozen=True, eq=False)
class PackageStudies:
    """The prevalence studies as the multiverse selects among them: each numeric
    covariate replaced by its median split (:func:`analysis.stats.multiverse.split_at_median`),
    the categories of every filter column in force, and the splits made."""

    studies: pd.DataFrame
    categories: dict[str, dict]
    splits: tuple[multiverse.MedianSplit, ...]
    titles: dict[str, str]


def package_studies(package, choices: Choices) -> PackageStudies:
    """The studies, categories and splits of a package's multiverse (the page and the
    command line both take them from here)."""
    studies = package["prevalence_studies"].copy()
    categories = multiverse.package_categories(package)
    setting = multiverse.setting_of(studies, choices)
    splits = []
    for c in package.covariates("prevalence_studies"):
        if c.kind != "numeric" or c.name not in choices.names:
            continue
        studies[c.name], split = multiverse.split_at_median(studies, c.name, setting)
        if split is not None:
            splits.append(split)
            categories[c.name] = {o: o for o in split.options}
    titles = {c.name: package.column_title("prevalence_studies", c.name)
              for c in package.covariates("prevalence_studies")}
    return PackageStudies(studies, categories, tuple(splits), titles)


def splits_sentence(splits, titles: dict[str, str]) -> str:
    """How each numeric covariate was cut ("" with none)."""
    return " ".join(
        f"{titles.get(s.column, s.column)} is a choice of studies cut at its median, "
        f"{s.median:g}, over the {s.n_reported:,} studies of the setting that report it: "
        f"{s.below} and {s.above} (a study at the median goes above)."
        for s in splits)


def package_choices(declared: Choices, package, threshold_percent: float | None = None
                    ) -> Choices:
    """The declared choices for one package: its own threshold (:func:`package_threshold`)
    and each categorical covariate it declares as a filter, whose main option is the
    value its main prevalence analysis selects (``study.prevalence.main``)."""
    from collections.abc import Mapping

    main = package.study.main_prevalence
    # Numeric covariates too: package_studies cuts each at its median.
    covariates = [c.name for c in package.covariates("prevalence_studies")]
    return package_threshold(declared, package, threshold_percent).with_covariates(
        covariates, dict(main) if isinstance(main, Mapping) else {})


def multiverse_page(package: DataPackage, choices_file: str = "multiverse.yml",
                    size: str = "book", scheduler: str | None = None, workers: int = 1,
                    processes: bool = False, threshold_percent: float | None = None
                    ) -> MultiversePage:
    """The multiverse of the declared choices on one data package.

    Parameters
    ----------
    package : DataPackage
        A validated data package with ``prevalence_studies``; the quality and theme
        multiverses run when it has the tables of the Quality bands and Theme
        frequencies pages.
    choices_file : str
        The declaration of choices (relative paths from ``book/``).
    size : {"book", "full"}
        The book's smaller multiverse or every declared option.
    scheduler : str, optional
        Address of a running Dask scheduler; empty or None computes in this process,
        or on a local cluster from
        :data:`analysis.compute.multiverse.CLUSTER_FROM` specifications on.
    workers, processes
        Size and kind of the local cluster, should the multiverse need one (see
        :func:`analysis.compute.multiverse.cluster_for`).
    """
    parameter = None if threshold_percent in (None, "") else float(threshold_percent)
    declared = package_choices(load_choices(choices_file), package, parameter)
    own = package_studies(package, declared)
    studies = own.studies
    coded = bool(declared.themes) and in_book(package, "themes")
    # Below the size that pays for a cluster (and with no scheduler given) both run here.
    run = multiverse_compute.evaluate(studies, declared, size, scheduler or None, workers,
                                      processes, own.categories)
    theme_table = (multiverse_compute.evaluate_themes(package, declared).table
                   if coded else pd.DataFrame())
    choices = run.choices
    summary = multiverse.summarise(run.table, choices, size)
    main = choices.main
    # The Prevalence context page's own number for the setting, by its own function.
    context = prevalence_page.prevalence_context(package, main["transform"], main["tau2_method"])
    setting = multiverse.setting_of(studies, choices)
    # The page's main analysis where the package names it by its covariates (the
    # multiverse's main specification selects the same studies); else the setting's.
    by_covariates = not context.main_is_all and set(context.main_where) <= set(
        choices.covariates)
    page_value = 100 * (context.main if by_covariates else
                        context.setting_estimate(setting)).prevalence
    same = bool(np.isclose(page_value, summary.main_estimate, rtol=0, atol=1e-9))
    label = context.label("setting", setting)
    k = int((studies["setting"] == setting).sum())
    page_setting = not context.main_is_all and dict(context.main_where) == {
        "setting": setting}
    why = ("as the choices declare" if choices.setting is not None else
           "the setting with the most studies, as on the Prevalence context page"
           if page_setting else
           "the setting with the most studies; the main specification selects the studies "
           "of the Prevalence context page's main analysis" if by_covariates else
           "the setting with the most studies")
    facts = Facts(where=_where(run), how=_how(run), n_workers=run.n_workers,
                  n_tasks=run.n_tasks,
                  size=size, setting=label,
                  setting_text=(f"the {k:,} {'study' if k == 1 else 'studies'} of the setting "
                                f"{label} ({why})"),
                  prevalence_page=page_value,
                  main_comparison=("the same as" if same else "different from"),
                  choices_text=count_words(len(choices.choices), "choice"),
                  rules_text=" ".join(filter(None, (
                      _rules_sentence(choices), splits_sentence(own.splits, own.titles)))),
                  tasks_text=count_words(run.n_tasks, "chunk"),
                  threshold_text=threshold_text(package, choices.below_percent, parameter),
                  shares_text=shares_sentence(choices))
    effects = multiverse.choice_effects_table(multiverse.choice_effects(run.table, choices))
    judged = pd.DataFrame()
    appraised = in_book(package, "quality")
    if choices.quality and appraised:
        consensus = quality.answers_wide(quality.ratings(package, quality.load_tool()))
        judged = multiverse.quality_multiverse(consensus, choices)
    words = theme_text(theme_table, choices, in_book(package, "themes"),
                       themes_page_support(package, choices) if coded else None)
    glmm = multiverse.glmm_summary(run.table, choices)
    return MultiversePage(choices, run, summary, effects.set_index("Choice"), facts,
                          judged, QualityText(quality_sentence(judged, appraised)),
                          theme_table, words, glmm, glmm_text(glmm, choices, size),
                          own.titles)


def _text(value) -> str:
    return str(value).replace("_", " ")


def choices_table(choices: Choices, titles: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per choice: its options in the book and in full, and the main option; a
    package's covariate named by its title (``package.column_title``)."""
    titles = titles or {}
    book, full = choices.options("book"), choices.options("full")

    def shown(values) -> str:
        return ", ".join("every study, one at a time" if v == EACH else _text(v)
                         for v in values)

    return pd.DataFrame([{
        "Choice": titles.get(c.name, _text(c.name)),
        "Options on this page": shown(book[c.name]),
        "All options (--size full)": shown(full[c.name]), "Main analysis": _text(c.main),
    } for c in choices.choices]).set_index("Choice")


def rules_table(choices: Choices) -> pd.DataFrame:
    """The exclusion rules as sentences: when, why, and whether they apply here."""
    def when(rule) -> str:
        return "; ".join(f"{_text(name)} is {' or '.join(map(_text, values))}"
                         for name, values in rule.when)

    rows = [{"Left out when": when(rule), "Why": rule.why, "Applies here": "yes"}
            for rule in choices.rules]
    rows += [{"Left out when": when(rule), "Why": rule.why,
              "Applies here": f"no: {reason}"} for rule, reason in choices.set_aside]
    return pd.DataFrame(rows, columns=["Left out when", "Why", "Applies here"]).set_index(
        "Left out when")


def show_rules(choices: Choices):
    """The exclusion rules (nothing when none is declared)."""
    table = rules_table(choices)
    if table.empty:
        return None
    from analysis.chapters.page import show_text_table

    return show_text_table(table, caption="Combinations left out of the multiverse, and why")


def shares_table(table: pd.DataFrame, choices: Choices) -> pd.DataFrame:
    """Each option's share of specifications whose estimate is below the threshold."""
    shares = multiverse.option_shares(table, choices)
    columns = {"Choice": shares["choice"].map(_text), "Option": shares["option"].map(_text),
               "Specifications pooled": shares["n_pooled"]}
    if choices.below_percent is not None:  # no threshold: no share below one
        threshold = f"{choices.below_percent:g}%"
        columns[f"Below {threshold}"] = shares["n_below"]
        columns[f"Below {threshold}, % of them"] = shares["share_below"]
    columns["Median, %"] = shares["median"]
    return pd.DataFrame(columns).set_index(["Choice", "Option"])


def shares_caption(choices: Choices) -> str:
    """The caption of :func:`shares_table`."""
    if choices.below_percent is None:
        return ("Median pooled prevalence of the pooled specifications, by the option of "
                "each choice")
    return ("Share of the pooled specifications below the threshold, by the option of each "
            "choice")


FORMATS = {".csv": "CSV", ".parquet": "Parquet"}


def publish_tables(page: MultiversePage):
    """Publish every specification's row (and the theme multiverse's) with the book's
    tables, and show the links (nothing outside a build).

    As CSV, or as Parquet when a table is longer than a spreadsheet holds
    (:func:`analysis.compute.multiverse.export`). Not as both: writing Parquet loads
    pyarrow, which the kernel would hold for every page it runs after this one (about
    70 MB of the build's peak memory); ``python -m analysis multiverse`` writes both.
    """
    folder = tables_dir()
    if not folder:
        return None
    from html import escape

    from IPython.display import HTML

    from analysis.chapters.page import csv_href

    parts = []
    for table, name, what in ((page.table, "multiverse_specifications",
                               "every specification"),
                              (page.themes, "multiverse_themes",
                               "every specification and theme of the theme multiverse")):
        if table.empty:
            continue
        written = multiverse_compute.export(table, Path(folder), name, parquet=False)
        links = " ".join(f'<a href="{escape(csv_href(p) or p.name)}" download>'
                         f'{FORMATS[p.suffix]}</a>' for p in sorted(written))
        parts.append(f"{what.capitalize()} ({len(table):,} rows): {links}")
    return HTML("".join(f'<p class="table-download">{part}</p>' for part in parts))

