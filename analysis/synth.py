"""Seeded generator of the bundled synthetic data package.

The two source papers publish counts, not rows. This generator writes a complete data
package whose rows are invented but whose every published count is reproduced exactly
(at ``scale=1``): 30 participants, 6 men, 12 from minority ethnic backgrounds, 24
interviews by lived-experience researchers and 6 by a health researcher, lengths from 30
to 100 minutes, dates from July 2019 to October 2020 with none in the COVID-19
suspension and only video calls after it, every English region but the East of England,
all with a 'personality disorder' diagnosis; 29 papers published since 2003; the six
published themes and the four published sub-themes of Relational Practice; CASP ratings
whose review-level judgement is "moderate"; prevalence studies calibrated so that the
random-effects pooled estimates land on the published ones.

Everything else (individual rows, sub-themes of the meta-synthesis, CASP answers,
CERQual explanations, the PRISMA counts) is invented, and ``datapackage.json`` says so.
The same seed and scale give byte-identical files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from analysis import DEFAULT_SEED, __version__, paths
from analysis.contract.files import load_contract
from analysis.contract.tools import item_numbers
from analysis.stats.prevalence import pool_logit

def source_study_section() -> dict:
    """The ``study`` section the bundled package declares: the two source studies.

    Read from ``analysis/source_studies/`` (``study.json`` and the published figures in
    ``published_facts.csv``, each with its source), so the figures are typed once.
    """
    section = json.loads(paths.SOURCE_STUDY.read_text(encoding="utf-8"))
    facts = pd.read_csv(paths.PUBLISHED_FACTS, dtype=str, keep_default_na=False)
    section["published"] = []
    for row in facts.to_dict("records"):
        fact = {key: (None if value == "" else float(value) if key in ("ci_low", "ci_high")
                      else value) for key, value in row.items() if key != "compare"}
        if row.get("compare"):
            fact["compare"] = _compare(row["compare"])
        section["published"].append(fact)
    return section


def _compare(text: str) -> dict[str, str]:
    """The ``compare`` cell of published_facts.csv as the study section's object.

    The cell lists the prevalence studies a figure compares with as
    ``column=value; column=value`` (``setting=community; income_group=high``).
    """
    pairs = (part.split("=", 1) for part in text.split(";") if part.strip())
    return {column.strip(): value.strip() for column, value in pairs}


_PAUSE = json.loads(paths.SOURCE_STUDY.read_text(encoding="utf-8"))["fieldwork"]
FIELDWORK = {"start": _PAUSE["start"], "end": _PAUSE["end"],
             "suspension_start": _PAUSE["suspensions"][0]["start"],
             "suspension_end": _PAUSE["suspensions"][0]["end"]}

REGIONS_SAMPLED = ["North East", "North West", "Yorkshire and the Humber", "East Midlands",
                   "West Midlands", "London", "South East", "South West"]
MINORITY_ETHNICITIES = ["White Irish", "White Other", "Mixed or multiple ethnic groups",
                        "Asian or Asian British", "Black or Black British: African",
                        "Black or Black British: Caribbean", "Other ethnic group"]

META_THEMES = {
    "T1": ("The use and misuse of diagnosis",
           ["Diagnosis as a key to care", "Diagnosis as a label that stigmatises",
            "Explaining the diagnosis to patients"]),
    "T2": ("The patient journey into services: nowhere to go",
           ["Gaps between generic and specialist services", "Thresholds and waiting lists",
            "Planning endings and step-down care"]),
    "T3": ("Therapeutic relationships: connection and distance",
           ["Building trust over time", "Boundaries and consistency",
            "Emotional impact on the clinician"]),
    "T4": ("The nature of treatment: not doing too much or too little",
           ["Structured psychological therapy", "Medication used with restraint"]),
    "T5": ("Managing safety issues and crises: being measured and proactive",
           ["Positive risk taking", "Crisis planning with the patient",
            "Defensive practice under scrutiny"]),
    "T6": ("Clinician and wider service needs: whose needs are they anyway?",
           ["Supervision and reflective practice", "Training and skills",
            "Organisational support and joint working"]),
}
# Share of papers that support each theme; the weaker themes make the sensitivity
# analysis worth reading.
THEME_SUPPORT = {"T1": 0.55, "T2": 0.6, "T3": 0.85, "T4": 0.7, "T5": 0.5, "T6": 0.75}
INTERVIEW_THEME = ("T7", "Relational Practice",
                   ["Understanding", "Interpersonal Connection", "Consistency and Continuity",
                    "Adaptability and Accessibility"])

COUNTRIES = {"UK": 0.55, "Australia": 0.12, "USA": 0.07, "Ireland": 0.07,
             "Netherlands": 0.05, "Canada": 0.05, "Norway": 0.05, "Sweden": 0.04}
DATABASES = ["MEDLINE", "Embase", "PsycINFO", "CINAHL", "Web of Science",
             "Social Policy and Practice"]
FULL_TEXT_REASONS = ["Not clinician perspectives", "Not community services",
                     "Not a qualitative method", "Population not CEN", "Not a research paper"]

# Targets from the published pooled estimates (see analysis/source_studies/published_facts.csv).
PREVALENCE_TARGETS = {
    ("community", "high"): 0.096,
    ("community", "low_middle"): 0.043,
    ("primary_care", "high"): 0.24,
    ("outpatient", "high"): 0.50,
}
PREVALENCE_STUDIES = {  # studies per subgroup at scale 1 (46 community, as Winsper 2020)
    ("community", "high"): 34,
    ("community", "low_middle"): 12,
    ("primary_care", "high"): 8,
    ("outpatient", "high"): 9,
}
HIGH_INCOME = ["UK", "USA", "Australia", "Germany", "Norway", "Netherlands", "Canada", "Japan"]
LOW_MIDDLE_INCOME = ["Brazil", "India", "Nigeria", "South Africa", "China", "Colombia"]


@dataclass(frozen=True)
class SynthResult:
    """Where a synthetic package was written and how it was made."""

    out_dir: Path
    seed: int
    scale: int
    files: list[Path]


def _counts(total: int, shares: dict[str, float], rng: np.random.Generator,
            minimum: int = 0) -> dict[str, int]:
    """Split ``total`` across categories: ``minimum`` each, the rest by ``shares``."""
    base = {k: minimum for k in shares}
    rest = total - minimum * len(shares)
    p = np.array(list(shares.values()), dtype=float)
    drawn = rng.multinomial(rest, p / p.sum())
    return {k: base[k] + int(d) for k, d in zip(shares, drawn)}


def _spread(counts: dict[str, int], rng: np.random.Generator) -> np.ndarray:
    """A shuffled array holding each category its counted number of times."""
    values = np.concatenate([[k] * v for k, v in counts.items()])
    return rng.permutation(values)


def _participants(rng: np.random.Generator, scale: int) -> pd.DataFrame:
    n = 30 * scale
    width = max(3, len(str(n)))
    ids = [f"P{i:0{width}d}" for i in range(1, n + 1)]
    gender = _spread({"female": 23 * scale, "male": 6 * scale, "non_binary": 1 * scale}, rng)
    minority = rng.permutation(np.array([True] * 12 * scale + [False] * 18 * scale))
    ethnicity = np.where(minority, rng.choice(MINORITY_ETHNICITIES, size=n,
                                              p=[.08, .17, .17, .17, .17, .17, .07]),
                         "White British")
    role = _spread({"lived_experience_researcher": 24 * scale, "health_researcher": 6 * scale}, rng)
    region = _spread(_counts(n, {r: (3.0 if r == "London" else 1.0) for r in REGIONS_SAMPLED},
                             rng, minimum=scale), rng)
    diagnosis = _spread(_counts(n, {"anxious_avoidant": 1, "borderline": 4,
                                    "emotionally_unstable": 5, "narcissistic": .5,
                                    "obsessive_compulsive": .5, "paranoid": .5,
                                    "schizotypal": .5}, rng, minimum=scale), rng)
    age = rng.choice(["18-24", "25-34", "35-44", "45-54", "55-64", "65-74"], size=n,
                     p=[.12, .28, .25, .2, .1, .05])
    sexuality = rng.choice(["heterosexual", "gay_or_lesbian", "bisexual", "other", "not_stated"],
                           size=n, p=[.6, .1, .2, .05, .05])

    # Two thirds before the suspension, the rest after it (the split is invented).
    n_before = (20 * scale)
    before = pd.date_range(FIELDWORK["start"], pd.Timestamp(FIELDWORK["suspension_start"])
                           - pd.Timedelta(days=1))
    after = pd.date_range(pd.Timestamp(FIELDWORK["suspension_end"]) + pd.Timedelta(days=1),
                          FIELDWORK["end"])
    dates = np.concatenate([
        np.sort(rng.choice(before, size=n_before, replace=n_before > len(before))),
        np.sort(rng.choice(after, size=n - n_before, replace=n - n_before > len(after))),
    ])
    mode_before = rng.choice(["face_to_face", "skype", "telephone"], size=n_before,
                             p=[.6, .2, .2])
    mode = np.concatenate([mode_before, ["video_call"] * (n - n_before)])
    duration = np.clip(np.round(rng.normal(62, 16, size=n)), 31, 99).astype(int)
    ends = rng.choice(n, size=2, replace=False)  # the published shortest and longest
    duration[ends[0]], duration[ends[1]] = 30, 100

    table = pd.DataFrame({
        "participant_id": ids, "age_band": age, "gender": gender, "sexuality": sexuality,
        "ethnicity": ethnicity, "ethnic_minority": minority, "region": region,
        "pd_diagnosis": diagnosis, "interviewer_role": role,
        "interview_date": pd.to_datetime(dates), "interview_mode": mode,
        "duration_min": duration,
    })
    table = table.sort_values(["interview_date", "participant_id"], kind="stable")
    table["interview_order"] = np.arange(1, n + 1)
    return table.sort_values("participant_id").reset_index(drop=True)


def _participant_services(rng: np.random.Generator, participants: pd.DataFrame) -> pd.DataFrame:
    use = {"primary_care": .8, "generic_secondary": .75, "specialist_pd": .45,
           "voluntary_sector": .5}
    rows = []
    for pid in participants["participant_id"]:
        used = [s for s, p in use.items() if rng.random() < p]
        if not used:
            used = ["generic_secondary"]
        rows += [{"participant_id": pid, "service_type": s} for s in used]
    return pd.DataFrame(rows)


def _studies(rng: np.random.Generator, scale: int) -> pd.DataFrame:
    n = 29 * scale
    width = max(2, len(str(n)))
    n_groups = 25 * scale  # four studies reported in two papers each (invented)
    group_of = np.concatenate([np.arange(n_groups), rng.choice(n_groups, n - n_groups,
                                                                 replace=False)])
    group_of = np.sort(group_of)
    group_country = rng.choice(list(COUNTRIES), size=n_groups, p=list(COUNTRIES.values()))
    group_setting = rng.choice(["generic", "specialist", "other"], size=n_groups,
                               p=[.48, .38, .14])
    group_year = rng.choice(np.arange(2003, 2021), size=n_groups,
                            p=np.linspace(1, 3, 18) / np.linspace(1, 3, 18).sum())
    gwidth = max(2, len(str(n_groups)))
    rows = []
    for i, g in enumerate(group_of):
        year = int(min(2020, group_year[g] + rng.integers(0, 2)))
        rows.append({
            "study_id": f"S{i + 1:0{width}d}",
            "study_group": f"G{g + 1:0{gwidth}d}",
            "first_author": f"Invented author {g + 1:0{gwidth}d}",
            "year": year,
            "country": group_country[g],
            "setting": group_setting[g],
            "data_collection": rng.choice(["interviews", "focus_groups",
                                           "interviews_and_focus_groups", "other"],
                                          p=[.55, .2, .18, .07]),
            "analysis_approach": rng.choice(["thematic_analysis", "grounded_theory",
                                             "interpretative_phenomenological_analysis",
                                             "content_analysis", "framework_analysis", "other"],
                                            p=[.45, .18, .12, .1, .1, .05]),
            "n_participants": int(np.clip(np.round(rng.lognormal(2.7, 0.55)), 4, 80)),
        })
    return pd.DataFrame(rows)


def _quality_bands(rng: np.random.Generator, n: int, scale: int) -> np.ndarray:
    """Per-paper target band: 9 high, 14 moderate, 6 low per 29 papers (invented)."""
    return rng.permutation(np.array(["high"] * 9 * scale + ["moderate"] * 14 * scale
                                    + ["low"] * 6 * scale))[:n]


def _casp(rng: np.random.Generator, studies: pd.DataFrame, bands: np.ndarray) -> pd.DataFrame:
    # Items most often unclear in qualitative papers: 6 (researcher-participant
    # relationship), 4 (recruitment), 7 (ethics), 8 (rigour of analysis).
    weak_items = np.array([6, 4, 7, 8, 3, 5])
    weak_p = np.array([.4, .2, .15, .1, .08, .07])
    rows = []
    for study_id, band in zip(studies["study_id"], bands):
        consensus = {item: "yes" for item in item_numbers()}
        if band == "moderate":
            for item in rng.choice(weak_items, size=rng.integers(1, 3), replace=False, p=weak_p):
                consensus[int(item)] = "cant_tell"
        elif band == "low":
            for item in rng.choice(weak_items, size=2, replace=False, p=weak_p):
                consensus[int(item)] = "cant_tell"
            consensus[int(rng.choice([6, 8, 4]))] = "no"
        for reviewer in ("R1", "R2"):
            for item, answer in consensus.items():
                given = answer
                if rng.random() < 0.12:  # an independent reviewer sometimes differs
                    given = {"yes": "cant_tell", "cant_tell": rng.choice(["yes", "no"]),
                             "no": "cant_tell"}[answer]
                rows.append({"study_id": study_id, "reviewer": reviewer, "item": item,
                             "rating": str(given)})
        rows += [{"study_id": study_id, "reviewer": "consensus", "item": item, "rating": a}
                 for item, a in consensus.items()]
    return pd.DataFrame(rows)


def _framework() -> pd.DataFrame:
    rows = []
    for theme_id, (theme, subthemes) in META_THEMES.items():
        rows += [{"review": "meta_synthesis", "theme_id": theme_id, "theme": theme,
                  "subtheme_id": f"{theme_id}.{j}", "subtheme": name,
                  "subtheme_source": "invented"} for j, name in enumerate(subthemes, 1)]
    theme_id, theme, subthemes = INTERVIEW_THEME
    rows += [{"review": "interview_study", "theme_id": theme_id, "theme": theme,
              "subtheme_id": f"{theme_id}.{j}", "subtheme": name, "subtheme_source": "published"}
             for j, name in enumerate(subthemes, 1)]
    return pd.DataFrame(rows)


SUBTHEMES_PER_THEME = 10  # a generated codebook groups its sub-themes ten to a theme


def _generated_framework(rng: np.random.Generator, n_subthemes: int) -> pd.DataFrame:
    """A meta-synthesis codebook of ``n_subthemes`` invented sub-themes, ten to a theme,
    and the interview study's published theme: a package of a real QDA codebook's size
    (a MAXQDA export easily holds hundreds of codes) for load and speed tests."""
    n_themes = -(-n_subthemes // SUBTHEMES_PER_THEME)
    t_width, s_width = len(str(n_themes)), len(str(SUBTHEMES_PER_THEME))
    rows = []
    for i in range(n_subthemes):
        t, j = divmod(i, SUBTHEMES_PER_THEME)
        theme_id = f"T{t + 1:0{t_width}d}"
        rows.append({"review": "meta_synthesis", "theme_id": theme_id,
                     "theme": f"Generated theme {t + 1}",
                     "subtheme_id": f"{theme_id}.{j + 1:0{s_width}d}",
                     "subtheme": f"Generated sub-theme {j + 1} of theme {t + 1}",
                     "subtheme_source": "invented"})
    interview = _framework()
    interview = interview[interview["review"] == "interview_study"].copy()
    # The interview theme takes T0, which no generated theme has (T7 is generated
    # when there are seven themes or more).
    interview["theme_id"] = "T0"
    interview["subtheme_id"] = interview["subtheme_id"].str.replace("T7.", "T0.", regex=False)
    return pd.concat([pd.DataFrame(rows), interview], ignore_index=True)


def _generated_study_codes(rng: np.random.Generator, studies: pd.DataFrame,
                           framework: pd.DataFrame) -> pd.DataFrame:
    """Which papers support which generated sub-theme: a few sub-themes are widely
    supported and most by a handful of papers, as in a real codebook."""
    meta = framework[framework["review"] == "meta_synthesis"]
    share = np.clip(rng.beta(0.6, 2.5, size=len(meta)), 0.0, 0.95)
    present = rng.random((len(studies), len(meta))) < share
    paper, sub = np.nonzero(present)
    return pd.DataFrame({"study_id": studies["study_id"].to_numpy()[paper],
                         "subtheme_id": meta["subtheme_id"].to_numpy()[sub],
                         "n_excerpts": rng.integers(1, 9, size=len(paper))})


def _study_codes(rng: np.random.Generator, studies: pd.DataFrame, bands: np.ndarray,
                 framework: pd.DataFrame) -> pd.DataFrame:
    meta = framework[framework["review"] == "meta_synthesis"]
    rows = []
    for study_id, band in zip(studies["study_id"], bands):
        for _, sub in meta.iterrows():
            p = THEME_SUPPORT[sub["theme_id"]] * 0.8
            # T5.3 is (invented as) a finding carried mostly by low-quality papers.
            if sub["subtheme_id"] == "T5.3":
                p = 0.6 if band == "low" else 0.04
            if rng.random() < p:
                rows.append({"study_id": study_id, "subtheme_id": sub["subtheme_id"],
                             "n_excerpts": int(rng.integers(1, 9))})
    return pd.DataFrame(rows)


def _participant_codes(rng: np.random.Generator, participants: pd.DataFrame,
                       framework: pd.DataFrame, n_codes: int = 64) -> pd.DataFrame:
    subthemes = framework.loc[framework["review"] == "interview_study", "subtheme_id"].to_numpy()
    code_subtheme = rng.choice(subthemes, size=n_codes)
    # A few codes are common and many are rare, as in interview data, so new codes
    # thin out as interviews accumulate (Guest, Namey and Chen 2020).
    prevalence = np.clip(0.9 / (1 + np.arange(n_codes)) ** 0.75, 0.02, 0.9)
    ordered = participants.sort_values("interview_order")
    rows = []
    for pid in ordered["participant_id"]:
        present = np.flatnonzero(rng.random(n_codes) < prevalence)
        if len(present) == 0:
            present = np.array([0])
        rows += [{"participant_id": pid, "code": int(c), "subtheme_id": code_subtheme[c],
                  "n_excerpts": int(rng.integers(1, 6))} for c in present]
    codes = pd.DataFrame(rows)
    # Number codes in the order they were first met, as a coder creates them.
    first_seen = {c: i for i, c in enumerate(pd.unique(codes["code"]), 1)}
    width = max(3, len(str(len(first_seen))))
    codes["code_id"] = [f"C{first_seen[c]:0{width}d}" for c in codes["code"]]
    codes = codes.sort_values(["participant_id", "code_id"]).reset_index(drop=True)
    return codes[["participant_id", "code_id", "subtheme_id", "n_excerpts"]]


def _prevalence_studies(rng: np.random.Generator, scale: int) -> pd.DataFrame:
    frames = []
    start = 1
    total = sum(PREVALENCE_STUDIES.values()) * scale
    width = max(2, len(str(total)))
    for (setting, income), k in PREVALENCE_STUDIES.items():
        k *= scale
        target = PREVALENCE_TARGETS[(setting, income)]
        size_mu = {"community": 7.2, "primary_care": 5.6, "outpatient": 5.0}[setting]
        n = np.clip(np.round(rng.lognormal(size_mu, 0.6, size=k)), 60, 40000).astype(int)
        deviation = rng.normal(0, 0.45, size=k)
        cases = _calibrated_cases(n, deviation, target)
        countries = HIGH_INCOME if income == "high" else LOW_MIDDLE_INCOME
        frames.append(pd.DataFrame({
            "study_id": [f"V{i:0{width}d}" for i in range(start, start + k)],
            "country": rng.choice(countries, size=k),
            "income_group": income,
            "setting": setting,
            "design": rng.choice(["one_stage", "two_stage"], size=k, p=[.55, .45]),
            "interviewer": rng.choice(["lay", "clinician"], size=k, p=[.5, .5]),
            "n": n,
            "cases": cases,
            "year": rng.integers(1985, 2020, size=k),
        }))
        start += k
    return pd.concat(frames, ignore_index=True)


def _calibrated_cases(n: np.ndarray, deviation: np.ndarray, target: float) -> np.ndarray:
    """Case counts whose DerSimonian-Laird logit pooled prevalence is ``target``.

    Study proportions are ``expit(centre + deviation)``; the centre is found by
    bisection, so the spread between studies is the seeded one and only the
    location is calibrated.
    """
    def pooled(centre: float) -> tuple[float, np.ndarray]:
        cases = np.clip(np.round(n * expit(centre + deviation)), 0, n).astype(int)
        return pool_logit(cases, n).prevalence, cases

    lo, hi = logit(target) - 2, logit(target) + 2
    for _ in range(60):
        mid = (lo + hi) / 2
        value, cases = pooled(mid)
        if abs(value - target) < 2e-4:
            break
        lo, hi = (mid, hi) if value < target else (lo, mid)
    return cases


def _search_flow(rng: np.random.Generator, n_included: int) -> pd.DataFrame:
    identified = {db: int(rng.integers(300, 2400)) for db in DATABASES}
    identified["Citation tracking"] = int(rng.integers(20, 80))
    total = sum(identified.values())
    duplicates = int(total * rng.uniform(0.3, 0.4))
    screened = total - duplicates
    full_text = int(rng.integers(110, 190)) + n_included
    excluded_full = full_text - n_included
    reasons = _counts(excluded_full, {r: w for r, w in zip(FULL_TEXT_REASONS,
                                                            [5, 4, 3, 3, 1])}, rng)
    rows = [{"stage": "identified", "source": s, "count": c} for s, c in identified.items()]
    rows += [{"stage": "duplicates_removed", "source": "all", "count": duplicates},
             {"stage": "screened", "source": "all", "count": screened},
             {"stage": "excluded_title_abstract", "source": "all", "count": screened - full_text},
             {"stage": "full_text_assessed", "source": "all", "count": full_text}]
    rows += [{"stage": "excluded_full_text", "source": r, "count": c} for r, c in reasons.items()]
    rows.append({"stage": "included", "source": "all", "count": n_included})
    return pd.DataFrame(rows)


CERQUAL = {  # theme: (concerns by component, overall) -- all invented
    "T1": (("minor", "no", "minor", "minor"), "moderate"),
    "T2": (("minor", "no", "no", "minor"), "high"),
    "T3": (("minor", "no", "no", "no"), "high"),
    "T4": (("minor", "minor", "minor", "minor"), "moderate"),
    "T5": (("moderate", "minor", "minor", "minor"), "moderate"),
    "T6": (("minor", "minor", "moderate", "moderate"), "low"),
}
CERQUAL_WHY = {
    "no": "No or very minor concerns: {what} (invented for the synthetic data).",
    "minor": "Minor concerns: {what} (invented for the synthetic data).",
    "moderate": "Moderate concerns: {what} (invented for the synthetic data).",
    "serious": "Serious concerns: {what} (invented for the synthetic data).",
}
CERQUAL_WHAT = {
    "methodological_limitations": "several contributing papers gave little account of the "
                                  "researcher-participant relationship",
    "coherence": "the finding fits the data across settings",
    "adequacy": "how rich and how plentiful the supporting data were",
    "relevance": "most contributing papers come from UK generic and specialist services",
}


def _cerqual(theme_ids: list[str] | None = None) -> pd.DataFrame:
    """The CERQual judgements of the six published themes, or of ``theme_ids`` (a
    generated codebook), which take the six themes' judgements in turn."""
    components = list(CERQUAL_WHAT)
    judgements = list(CERQUAL.values())
    themes = (CERQUAL.items() if theme_ids is None else
              ((theme_id, judgements[i % len(judgements)]) for i, theme_id in enumerate(theme_ids)))
    rows = []
    for theme_id, (concerns, overall) in themes:
        rows += [{"theme_id": theme_id, "component": comp, "concern": concern,
                  "explanation": CERQUAL_WHY[concern].format(what=CERQUAL_WHAT[comp]),
                  "overall": overall} for comp, concern in zip(components, concerns)]
    return pd.DataFrame(rows)


def _descriptor(seed: int, scale: int) -> dict:
    contract = load_contract()
    return {
        "profile": contract["profile"],
        "name": "cen-evidence-synthetic",
        "title": "Synthetic data for the CEN evidence-synthesis book",
        "version": __version__,
        "synthetic": True,
        "description": (
            "Invented rows calibrated to the published figures of two studies of community "
            "mental health care for people with complex emotional needs: a clinician-"
            "perspectives meta-synthesis (Troup et al. 2020, medRxiv "
            "10.1101/2020.12.15.20248267) and a co-produced service-user interview study "
            "(Trevillion et al. 2022, BMC Psychiatry 22:55). Their raw data are not public."),
        "invented": [
            "Every individual row: participants, papers, ratings and codes are not real.",
            "Participant characteristics beyond the published counts (age band, sexuality, "
            "region and service use shares, diagnosis types, dates, modes, lengths).",
            "Study groups, years, countries, settings, methods and clinician numbers of the "
            "29 papers; first authors are labelled 'Invented author'.",
            "The sub-themes of the meta-synthesis (its framework is unpublished).",
            "All CASP answers of both reviewers and the consensus (per-paper ratings are "
            "unpublished); they are calibrated so the review-level judgement is moderate.",
            "GRADE-CERQual judgements and explanations.",
            "The PRISMA counts (unpublished) and the database names.",
            "The individual prevalence studies; their pooled estimates are calibrated to "
            "Winsper et al. 2020, Moran et al. 2000 and Beckwith et al. 2014.",
            "Initial interview codes and their first appearances (used for saturation).",
            "The seven participants the interview paper quotes with their attributes "
            "(identifier, gender, age band, ethnicity, region): the rows were not made to "
            "match them. Identifiers and attributes were drawn afresh, so a row that shares "
            "an identifier with a quoted participant is not that person, and the package "
            "holds no quotation.",
        ],
        "generator": {"command": f"python -m analysis synth --seed {seed} --scale {scale}",
                      "seed": seed, "scale": scale, "version": __version__},
        "study": source_study_section(),
        "licenses": [{"name": "CC0-1.0", "title": "Creative Commons Zero v1.0"}],
        "resources": _source_resources(contract["resources"]),
    }


# The bundled package's own words for what the contract now says for any review: its
# tables hold the source studies' papers and prevalence studies of 'personality disorder'.
SOURCE_DESCRIPTIONS = {
    ("participants", None): "One row per participant of the service-user interview study.",
    ("participants", "pd_diagnosis"): "Type of 'personality disorder' diagnosis received at "
                                      "some point ('none' if never).",
    ("studies", None): "One row per paper included in the clinician-perspectives "
                       "meta-synthesis.",
    ("studies", "setting"): "Service setting of the clinicians studied.",
    ("casp_ratings", None): "One row per paper, reviewer and CASP qualitative checklist item.",
    ("studies", "year"): "Year of publication.",
    ("framework", "subtheme_id"): "Sub-theme identifier.",
    ("framework", "subtheme"): "Sub-theme name.",
    ("study_codes", "subtheme_id"): "Sub-theme identifier.",
    ("study_codes", "n_excerpts"): "Number of coded excerpts from the paper.",
    ("participant_codes", "subtheme_id"): "Sub-theme the code was grouped under.",
    ("prevalence_studies", None): "One row per study estimating the prevalence of "
                                  "personality disorder.",
    ("prevalence_studies", "setting"): "Population sampled.",
    ("prevalence_studies", "design"): "Case-finding design.",
    ("prevalence_studies", "interviewer"): "Who administered the diagnostic interview.",
    ("prevalence_studies", "cases"): "Number with any personality disorder.",
    ("prevalence_studies", "year"): "Year of publication.",
}
# ... its titles, and its labels of the contract's codes (the contract's defaults name no
# condition and no appraisal tool).
SOURCE_TITLES = {"casp_ratings": "CASP appraisal"}
SOURCE_LABELS = {
    ("participants", "pd_diagnosis"): {"none": "No 'personality disorder' diagnosis"},
    ("participant_services", "service_type"): {
        "specialist_pd": "Specialist community 'personality disorder' service"},
    ("studies", "setting"): {"specialist": "Specialist 'personality disorder' services"},
}
# Tables the synthetic package does not hold: a published sample summary stands in for
# participants' rows, which it has; the source meta-synthesis was a thematic synthesis
# appraised with CASP, not a JBI meta-aggregation, so it has no ConQual findings.
NOT_GENERATED = ("sample_summary", "synthesised_findings", "meta_aggregation_categories",
                 "meta_aggregation_findings")


def _source_resources(resources: list[dict]) -> list[dict]:
    """The contract's tables as the bundled package declares them: every table it
    generates, without the optional columns it leaves out (study labels, how cases were
    ascertained), in the source studies' own words."""
    out = []
    for res in resources:
        if res["name"] in NOT_GENERATED:
            continue
        fields = [_source_field(res["name"], f)
                  for f in res["schema"]["fields"] if not f.get("optional")]
        out.append(dict(res, title=SOURCE_TITLES.get(res["name"], res["title"]),
                        description=SOURCE_DESCRIPTIONS.get((res["name"], None),
                                                            res["description"]),
                        schema=dict(res["schema"], fields=fields)))
    return out


def _source_field(table: str, fdef: dict) -> dict:
    """A contract field in the bundled package's own words and labels."""
    field = dict(fdef, description=SOURCE_DESCRIPTIONS.get((table, fdef["name"]),
                                                           fdef["description"]))
    if (table, fdef["name"]) in SOURCE_LABELS:
        field["categoryLabels"] = {**fdef["categoryLabels"],
                                   **SOURCE_LABELS[(table, fdef["name"])]}
    return field


def _write_csv(table: pd.DataFrame, path: Path, columns: list[str]) -> None:
    out = table[columns].copy()
    for col in out.columns:
        if out[col].dtype == bool:
            out[col] = out[col].map({True: "true", False: "false"})
        elif pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
    out.to_csv(path, index=False, lineterminator="\n")


def generate(seed: int = DEFAULT_SEED, out_dir: str | Path = "data_synthetic",
             scale: int = 1, subthemes: int | None = None) -> SynthResult:
    """Write a complete synthetic data package.

    Parameters
    ----------
    seed : int
        Seed of the random generator; recorded in ``datapackage.json``.
    out_dir : str or Path
        Folder to write; created if missing, its package files overwritten.
    scale : int
        Multiplies the number of participants, papers, codes and prevalence studies,
        for load and speed tests. Published counts hold at ``scale=1`` (and are
        multiplied by ``scale`` otherwise).
    subthemes : int, optional
        Replace the meta-synthesis's published themes with this many invented
        sub-themes, ten to a theme (a codebook of a real QDA project's size, for load
        tests); drawn from their own generator seeded with ``seed``, ``scale`` and
        ``subthemes``, so the rest of the package is the same as without it.

    Returns
    -------
    SynthResult
    """
    if scale < 1:
        raise ValueError(f"scale must be a whole number of at least 1, not {scale}")
    if subthemes is not None and subthemes < 1:
        raise ValueError(f"subthemes must be a whole number of at least 1, not {subthemes}")
    rng = np.random.default_rng([seed, scale])
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    participants = _participants(rng, scale)
    studies = _studies(rng, scale)
    bands = _quality_bands(rng, len(studies), scale)
    framework = _framework()
    tables = {
        "participants": participants,
        "participant_services": _participant_services(rng, participants),
        "studies": studies,
        "casp_ratings": _casp(rng, studies, bands),
        "framework": framework,
        "study_codes": _study_codes(rng, studies, bands, framework),
        "participant_codes": _participant_codes(rng, participants, framework),
        "prevalence_studies": _prevalence_studies(rng, scale),
        "search_flow": _search_flow(rng, len(studies)),
        "cerqual": _cerqual(),
    }
    descriptor = _descriptor(seed, scale)
    if subthemes is not None:
        codebook = np.random.default_rng([seed, scale, subthemes])
        framework = _generated_framework(codebook, subthemes)
        tables["framework"] = framework
        tables["study_codes"] = _generated_study_codes(codebook, studies, framework)
        tables["participant_codes"]["subtheme_id"] = (
            tables["participant_codes"]["subtheme_id"].str.replace("T7.", "T0.", regex=False))
        tables["cerqual"] = _cerqual(list(pd.unique(
            framework.loc[framework["review"] == "meta_synthesis", "theme_id"])))
        descriptor["generator"]["subthemes"] = subthemes
        descriptor["generator"]["command"] += f" --subthemes {subthemes}"
    files = []
    for res in descriptor["resources"]:
        path = out / res["path"]
        _write_csv(tables[res["name"]], path, [f["name"] for f in res["schema"]["fields"]])
        files.append(path)
    meta = out / "datapackage.json"
    meta.write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return SynthResult(out_dir=out, seed=seed, scale=scale, files=[meta, *files])
