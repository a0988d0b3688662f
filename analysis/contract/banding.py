"""Banding rules as data: how a paper's appraisal answers become an overall band.

CASP gives no scoring system, so the rule that turns a paper's answers into *high*,
*moderate* or *low* is the reviewers' own and must be stated. Here it is declared, not
coded: a plain mapping (YAML in a page's ``banding_rule`` in ``book/pages.yml``, JSON in
a package), read by :meth:`BandingRule.from_parameter`, checked, and stated in words by
:func:`analysis.chapters.quality.rule_in_words` (the words belong to the chapters). Three
kinds, as published reviews use them:

count limits
    ``{name: default, high: {max_cant_tell: 0, max_no: 0},
    moderate: {max_cant_tell: 2, max_no: 0}}``: a paper is high when it has no more
    "Can't tell" and "No" answers than the high limits allow, moderate when within the
    moderate limits, low otherwise.
critical questions
    ``critical: {items: [8], caps: {no: low, cant_tell: moderate}}`` added to a rule of
    either other kind (or a list of such groups, each with its own caps): a "No" or a
    "Can't tell" on a critical question caps the paper's band, whatever its counts or
    its score. A cap may depend on how many of the group's questions got the answer:
    ``caps: {no: {1: moderate, 2: low}}`` caps a paper with one No among them at
    moderate and one with Nos on two or more at low. A rule of critical questions alone
    may leave ``high`` and ``moderate`` out: no count of answers then lowers a paper.
scores
    ``{name: weighted, weights: {5: 2, 8: 2, 9: 2}, high: {min_score: 11},
    moderate: {min_score: 8}}``: a Yes scores its question's weight (1 for a question
    ``weights`` does not list, 0 leaves a question out), ``answer_scores: {yes: 1,
    cant_tell: 0.5, no: 0}`` gives part of it for other answers (by default nothing);
    a paper's score is the sum, and the bands are thresholds on it.

Every message names the key that is wrong and says what to write instead: they are
shown to the user as they are. The module reads no pandas, so the engine checks a
page's rule before anything runs; :func:`analysis.stats.quality.assign_bands` applies a
rule to a table of answers.

References
----------
Critical Appraisal Skills Programme (2018). CASP Qualitative Checklist. Oxford: CASP UK.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from typing import Any

from analysis.contract.tools import DEFAULT_TOOL, read_tool

BANDS = ("high", "moderate", "low")  # best first
CAP_BANDS = BANDS[1:]  # a cap at high would change nothing
ANSWERS = ("yes", "cant_tell", "no")  # fixed by the method (CASP), most favourable first
ANSWER_WORDS = {"yes": "Yes", "cant_tell": "Can't tell", "no": "No"}
CAPPING_ANSWERS = ("no", "cant_tell")  # in the order the words name them

RULE_KEYS = ("name", "high", "moderate", "critical", "weights", "answer_scores")
COUNT_KEYS = ("max_cant_tell", "max_no")
SCORE_KEY = "min_score"
CRITICAL_KEYS = ("items", "caps")
DEFAULT_ANSWER_SCORES = (("yes", 1), ("cant_tell", 0), ("no", 0))

_EXAMPLES = ("count limits, e.g. high: {max_cant_tell: 0, max_no: 0} and moderate: "
             "{max_cant_tell: 2, max_no: 0}, or score thresholds, e.g. high: {min_score: 8} "
             "and moderate: {min_score: 6}")
_CRITICAL_EXAMPLE = "{items: [8, 9], caps: {no: moderate, cant_tell: moderate}}"
_COUNTED_EXAMPLE = "{1: moderate, 2: low}"
ANSWER_PLURALS = {"cant_tell": "Can't tells", "no": "Nos"}

Questions = tuple[tuple[int, str], ...]  # (question number, short label), in order


@lru_cache(maxsize=8)
def tool_questions(tool_id: str = DEFAULT_TOOL) -> Questions:
    """A tool's question numbers with their short labels, as a rule's words name them."""
    return tuple((int(q["item"]), str(q.get("short_label", ""))) for q in
                 read_tool(tool_id)["items"])


@dataclass(frozen=True)
class CriticalQuestions:
    """Questions on which one answer caps a paper's band, whatever the rest.

    Attributes
    ----------
    items : tuple of int
        The critical questions' numbers.
    caps : tuple of (str, int, str)
        Answer (``"no"``, ``"cant_tell"``), how many of the questions must have it (at
        least; 1 for a cap that one such answer sets) and the band it caps a paper at
        (``"moderate"`` or ``"low"``), No first, then by number. A pair ``(answer,
        band)`` is read as ``(answer, 1, band)``.
    """

    items: tuple[int, ...]
    caps: tuple[tuple[Any, ...], ...]

    def __post_init__(self) -> None:
        # Only the shape here; BandingRule checks the values with messages that name
        # the rule.
        object.__setattr__(self, "caps", tuple(
            (cap[0], 1, cap[1]) if len(cap) == 2 else tuple(cap) for cap in self.caps))

    @property
    def counted(self) -> bool:
        """Whether any cap needs the answer on more than one of the questions."""
        return any(n != 1 for _, n, _ in self.caps)

    def cap(self, answer: Any, n: int = 1) -> str | None:
        """The band ``n`` of the questions answered ``answer`` cap a paper at (None: no
        cap): the lowest of the caps that need at most ``n``."""
        bands = [band for a, at_least, band in self.caps if a == answer and 0 < at_least <= n]
        return max(bands, key=BANDS.index) if bands else None


@dataclass(frozen=True)
class PaperBand:
    """A paper's band under a rule, with what decided it.

    Attributes
    ----------
    band : str
    score : float or None
        The paper's score under a rule with score thresholds; None under count limits.
    capped_by : str
        The critical answers that lowered the band ("No on Q8; Can't tell on Q9"), or "".
    """

    band: str
    score: float | None
    capped_by: str


@dataclass(frozen=True)
class BandingRule:
    """The declared rule that turns a paper's answers into an overall band.

    Under *count limits* a paper is high when it has at most ``high_max_cant_tell``
    answers "Can't tell" and at most ``high_max_no`` answers "No", otherwise moderate
    when within the ``moderate_*`` limits, otherwise low. Under *score thresholds*
    (``high_min_score`` and ``moderate_min_score`` given, the count limits None) a
    paper's score is the sum over questions of the question's weight times the score of
    its answer, and the bands are the thresholds. Either kind may have *critical
    questions* that cap a band. CASP gives no such rule; it is the reviewers' own, which
    is why it is a parameter of the chapter and is printed on it.

    Parameters
    ----------
    name : str
        How the chapter names the rule.
    high_max_cant_tell, high_max_no, moderate_max_cant_tell, moderate_max_no : int or None
        Count limits, each at least 0; the moderate limits are at least the high ones.
        Set to None in a rule with score thresholds, where they play no part.
    critical : tuple of CriticalQuestions
    weights : tuple of (int, float)
        Weights of the questions that do not weigh 1 (score thresholds only).
    high_min_score, moderate_min_score : float or None
        Score thresholds; the moderate one is at most the high one.
    answer_scores : tuple of (str, float)
        What each answer scores, times its question's weight (Yes 1, others 0 unless said).
    questions : tuple of (int, str)
        The appraisal tool's question numbers and short labels, against which the rule's
        question numbers are checked and with which its words name them (the default
        tool's when not given). Not part of the rule's identity.
    answers : tuple of (str, str or None)
        The appraisal tool's answer codes and what each counts as under the rule
        (``yes``, ``cant_tell``, ``no``, or None for an answer that is not counted, such
        as JBI's Not applicable): a rule's words are CASP's, and the tool's roles
        (:func:`analysis.contract.tools.banding_codes`) say which answer of another tool
        plays which part. Empty: the answers are CASP's own. Not part of the rule's
        identity.
    """

    name: str
    high_max_cant_tell: int | None = 0
    high_max_no: int | None = 0
    moderate_max_cant_tell: int | None = 2
    moderate_max_no: int | None = 0
    critical: tuple[CriticalQuestions, ...] = ()
    weights: tuple[tuple[int, float], ...] = ()
    high_min_score: float | None = None
    moderate_min_score: float | None = None
    answer_scores: tuple[tuple[str, float], ...] = DEFAULT_ANSWER_SCORES
    questions: Questions = field(default=(), compare=False, repr=False)
    answers: tuple[tuple[str, str | None], ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        # Normalised here, not only in from_parameter, so that a rule built in code is
        # held (and compared) the same way as one read from a mapping.
        if not self.questions:
            object.__setattr__(self, "questions", tool_questions())
        where = f"banding rule '{self.name}'"
        if self.scored:
            self._check_scores(where)
        else:
            self._check_counts(where)
        self._check_critical(where)

    # ---------------------------------------------------------------- checks

    def _check_counts(self, where: str) -> None:
        for key in ("high_max_cant_tell", "high_max_no", "moderate_max_cant_tell",
                    "moderate_max_no"):
            value = getattr(self, key)
            if not _whole(value) or value < 0:
                raise ValueError(f"{where}: {_key(key)} must be a whole number of at least 0 "
                                 f"(0, 1, 2, ...), not {value!r}")
        for answer in ("cant_tell", "no"):
            high, moderate = (getattr(self, f"{b}_max_{answer}") for b in ("high", "moderate"))
            if moderate < high:
                raise ValueError(
                    f"{where}: moderate: max_{answer} ({moderate}) is below high: "
                    f"max_{answer} ({high}); the limits for moderate must be at least those "
                    "for high, or a paper could be high but not moderate")
        if self.weights or dict(self.answer_scores) != dict(DEFAULT_ANSWER_SCORES):
            key = "weights" if self.weights else "answer_scores"
            raise ValueError(f"{where}: {key} only count in a rule with score thresholds; "
                             "give high: {min_score: N} and moderate: {min_score: N}, or "
                             f"leave {key} out")

    def _check_scores(self, where: str) -> None:
        for band in ("high", "moderate"):
            for key in COUNT_KEYS:
                object.__setattr__(self, f"{band}_{key}", None)  # scores decide, not counts
            value = getattr(self, f"{band}_min_score")
            if not _number(value) or value < 0:
                raise ValueError(f"{where}: {band}: min_score must be a number of at least 0, "
                                 f"not {value!r}; or give both bands count limits instead")
        numbers_ = [q for q, _ in self.questions]
        seen: set[int] = set()
        for item, weight in self.weights:
            self._check_question(item, f"{where}: weights", numbers_)
            if item in seen:
                raise ValueError(f"{where}: weights: question {item} is given twice; give each "
                                 "question one weight")
            seen.add(item)
            if not _number(weight) or weight < 0:
                raise ValueError(f"{where}: weights: question {item} must weigh a number of at "
                                 f"least 0 (0 leaves it out), not {weight!r}")
        object.__setattr__(self, "weights", tuple(sorted(self.weights)))
        scores = dict(DEFAULT_ANSWER_SCORES)
        for answer, value in self.answer_scores:
            if answer not in ANSWERS:
                raise ValueError(f"{where}: answer_scores: '{answer}' is not an answer; write "
                                 f"yes, cant_tell or no{_did_you_mean(answer, ANSWERS)}")
            if not _number(value) or value < 0:
                raise ValueError(f"{where}: answer_scores: {answer} must be a number of at "
                                 f"least 0, not {value!r}")
            scores[answer] = value
        if scores["yes"] <= 0:
            raise ValueError(f"{where}: answer_scores: yes must score more than 0, or no "
                             "paper could score anything")
        if not scores["no"] <= scores["cant_tell"] <= scores["yes"]:
            raise ValueError(f"{where}: answer_scores: a Yes must score at least as much as a "
                             "Can't tell, and a Can't tell at least as much as a No; got "
                             f"yes {scores['yes']:g}, cant_tell {scores['cant_tell']:g}, "
                             f"no {scores['no']:g}")
        object.__setattr__(self, "answer_scores", tuple((a, scores[a]) for a in ANSWERS))
        if self.moderate_min_score > self.high_min_score:
            raise ValueError(f"{where}: moderate: min_score ({self.moderate_min_score:g}) is "
                             f"above high: min_score ({self.high_min_score:g}); the threshold "
                             "for moderate must be at most the one for high")
        most = self.most_points()
        if most <= 0:
            raise ValueError(f"{where}: weights: every question weighs 0, so every paper "
                             "scores 0; give at least one question a weight above 0")
        if self.high_min_score > most:
            raise ValueError(f"{where}: high: min_score is {self.high_min_score:g}, but the "
                             f"most a paper can score is {most:g}, so no paper could be high; "
                             f"write a min_score of at most {most:g}")

    def _check_critical(self, where: str) -> None:
        numbers_ = [q for q, _ in self.questions]
        seen: set[int] = set()
        normalised = []
        for group in self.critical:
            if not group.items:
                raise ValueError(f"{where}: critical: items is empty; list the critical "
                                 f"questions' numbers, e.g. {_CRITICAL_EXAMPLE}")
            for item in group.items:
                self._check_question(item, f"{where}: critical: items", numbers_)
                if item in seen:
                    raise ValueError(f"{where}: critical: question {item} is listed twice; "
                                     "list each question once, in the group whose caps it "
                                     "takes")
                seen.add(item)
            if not group.caps:
                raise ValueError(f"{where}: critical: caps is empty; say which answer caps a "
                                 f"paper at which band, e.g. {_CRITICAL_EXAMPLE}")
            n_items = len(group.items)
            for answer, n, band in group.caps:
                if answer == "yes":
                    raise ValueError(f"{where}: critical: caps: a Yes cannot cap a paper; "
                                     "write no or cant_tell")
                if answer not in CAPPING_ANSWERS:
                    raise ValueError(f"{where}: critical: caps: {answer!r} is not an answer a "
                                     "cap takes; write no or cant_tell"
                                     f"{_did_you_mean(answer, CAPPING_ANSWERS)}")
                if not _whole(n) or not 1 <= n <= n_items:
                    what = (f"{n} of the group's questions cannot be answered "
                            f"{ANSWER_WORDS[answer]}, it has {_words(n_items)}"
                            if _whole(n) and n > n_items else
                            f"{n} questions answered {ANSWER_WORDS[answer]} cap nothing"
                            if _whole(n) else f"{n!r} is not a number")
                    raise ValueError(
                        f"{where}: critical: caps: {answer}: {what}; write how many of its "
                        f"questions must be answered {ANSWER_WORDS[answer]}, a whole number "
                        f"from 1 to {n_items}, e.g. {_COUNTED_EXAMPLE}")
                at = answer if n == 1 else f"{answer}: {n}"
                if band == "high":
                    raise ValueError(f"{where}: critical: caps: {at}: a cap at high "
                                     "changes nothing; write moderate or low")
                if band not in CAP_BANDS:
                    raise ValueError(f"{where}: critical: caps: {at}: {band!r} is not a "
                                     "band a paper can be capped at; write moderate or low")
            caps = sorted(group.caps, key=lambda c: (CAPPING_ANSWERS.index(c[0]), c[1]))
            for answer in CAPPING_ANSWERS:
                steps = [(n, band) for a, n, band in caps if a == answer]
                for (n1, b1), (n2, b2) in zip(steps, steps[1:]):
                    if BANDS.index(b2) <= BANDS.index(b1):
                        several = ANSWER_PLURALS[answer] if n1 > 1 else \
                            f"a {ANSWER_WORDS[answer]}"
                        raise ValueError(
                            f"{where}: critical: caps: {answer}: {n2}: {b2} adds nothing, "
                            f"since {several} on {_words(n1)} of the questions already "
                            f"cap{'s' if n1 == 1 else ''} a paper at {b1}; a cap that "
                            f"needs more of them must be lower, e.g. {_COUNTED_EXAMPLE}")
            checked = CriticalQuestions(tuple(group.items), tuple(caps))
            self._check_no_caps_lower(checked, where)
            normalised.append(checked)
        object.__setattr__(self, "critical", tuple(normalised))

    @staticmethod
    def _check_no_caps_lower(group: CriticalQuestions, where: str) -> None:
        """A No must cap at least as low as a Can't tell, however many there are."""
        for n in range(1, len(group.items) + 1):
            cant, no = group.cap("cant_tell", n), group.cap("no", n)
            if cant is None or BANDS.index(no or "high") >= BANDS.index(cant):
                continue
            no_words = f"only at {no}" if no else "not at all"
            if n == 1:
                raise ValueError(f"{where}: critical: caps: a Can't tell caps a paper at "
                                 f"{cant} but a No {no_words}; a No must cap at least "
                                 f"as low, e.g. no: {cant}")
            raise ValueError(f"{where}: critical: caps: Can't tells on {_words(n)} of the "
                             f"questions cap a paper at {cant} but Nos on {_words(n)} "
                             f"{no_words}; a No must cap at least as low as a Can't tell")

    @staticmethod
    def _check_question(item: Any, where: str, numbers_: list[int]) -> None:
        if not _whole(item) or item not in numbers_:
            raise ValueError(f"{where}: {item!r} is not a question of the appraisal tool; its "
                             f"questions are numbered {numbers_[0]} to {numbers_[-1]}")

    # ---------------------------------------------------------------- reading

    @classmethod
    def from_parameter(cls, value: str | Mapping[str, Any] | BandingRule,
                       questions: Mapping[int, str] | None = None,
                       answers: Mapping[str, str | None] | None = None) -> BandingRule:
        """Read a banding rule as a page parameter or a package declares it.

        Parameters
        ----------
        value : str, mapping or BandingRule
            The name of a declared rule (a key of :data:`BANDING_RULES`), or the rule as
            a mapping (see the module's docstring for the three kinds), e.g.
            ``{"name": "strict", "high": {"max_cant_tell": 0, "max_no": 0},
            "moderate": {"max_cant_tell": 1, "max_no": 0}}``.
        questions : mapping of int to str, optional
            The appraisal tool's question numbers and short labels (the default tool's
            when not given): the rule's question numbers must be among them.
        answers : mapping of str to str or None, optional
            The tool's answer codes and what each counts as under the rule
            (:func:`analysis.contract.tools.banding_codes`); CASP's own when not given.

        Raises
        ------
        ValueError
            The value is not a rule; the message names the key and what to write.
        """
        roles = tuple(answers.items()) if answers else ()
        if isinstance(value, BandingRule):
            return replace(value, answers=roles) if roles else value
        if isinstance(value, str):
            if value in BANDING_RULES:
                rule = BANDING_RULES[value]
                if questions is not None:
                    rule = replace(rule, questions=tuple(
                        (int(k), str(v)) for k, v in sorted(questions.items())))
                return replace(rule, answers=roles) if roles else rule
            raise ValueError(f"unknown banding rule '{value}'; write one of "
                             f"{', '.join(BANDING_RULES)}, or the rule itself as a mapping "
                             f"({_EXAMPLES}){_did_you_mean(value, BANDING_RULES)}")
        if not isinstance(value, Mapping):
            raise ValueError(f"banding_rule must be the name of a declared rule "
                             f"({', '.join(BANDING_RULES)}) or a mapping, not {value!r}")
        known = (tuple((int(k), str(v)) for k, v in sorted(questions.items()))
                 if questions is not None else tool_questions())
        return cls(**_read_mapping(value, len(known)), questions=known, answers=roles)

    # ---------------------------------------------------------------- kind and identity

    @property
    def scored(self) -> bool:
        """Whether the bands are thresholds on a score (else count limits)."""
        return self.high_min_score is not None or self.moderate_min_score is not None

    def limits(self) -> tuple[int | None, int | None, int | None, int | None]:
        """The four count limits (None under score thresholds)."""
        return (self.high_max_cant_tell, self.high_max_no, self.moderate_max_cant_tell,
                self.moderate_max_no)

    def criteria(self) -> tuple:
        """Everything that decides a band, without the name: two rules that band every
        paper alike have the same criteria."""
        return tuple(getattr(self, f.name) for f in fields(self)
                     if f.compare and f.name != "name")

    # ---------------------------------------------------------------- banding

    def weight(self, item: int) -> float:
        """A question's weight under score thresholds (1 unless the rule says)."""
        return dict(self.weights).get(item, 1)

    def most_points(self) -> float:
        """The highest score a paper can reach (every question answered Yes)."""
        best = max(dict(self.answer_scores).values())
        return sum(self.weight(q) for q, _ in self.questions) * best

    def score(self, answers: Mapping[int, Any]) -> float:
        """A paper's score: each question's weight times the score of its answer."""
        points = dict(self.answer_scores)
        return float(sum(self.weight(int(item)) * points.get(answer, 0)
                         for item, answer in answers.items()))

    def band(self, n_cant_tell: int, n_no: int) -> str:
        """The band, under count limits, of a paper with these numbers of "Can't tell"
        and "No" answers (critical questions aside; see :meth:`judge`)."""
        if self.scored:
            raise ValueError(f"banding rule '{self.name}' bands papers by score; "
                             "use judge() with the paper's answers")
        if n_cant_tell <= self.high_max_cant_tell and n_no <= self.high_max_no:
            return "high"
        if n_cant_tell <= self.moderate_max_cant_tell and n_no <= self.moderate_max_no:
            return "moderate"
        return "low"

    def counted_as(self, answer: Any) -> Any:
        """What a tool's answer counts as under the rule: ``yes``, ``cant_tell``, ``no``,
        or None (not counted); an answer the tool does not map is taken as it is."""
        if not self.answers:
            return answer
        return dict(self.answers).get(answer, answer)

    def judge(self, answers: Mapping[int, Any]) -> PaperBand:
        """A paper's band from its answers (question number to the tool's answer code;
        see :meth:`counted_as`)."""
        if self.answers:
            answers = {item: self.counted_as(answer) for item, answer in answers.items()
                       if self.counted_as(answer) is not None}
        score = None
        if self.scored:
            score = self.score(answers)
            # A small tolerance: halves and quarters add up exactly, other fractions not.
            band = ("high" if score >= self.high_min_score - 1e-9 else
                    "moderate" if score >= self.moderate_min_score - 1e-9 else "low")
        else:
            given = list(answers.values())
            band = self.band(given.count("cant_tell"), given.count("no"))
        capped = []
        for group in self.critical:
            given = [answers.get(item) for item in group.items]
            holding = {}  # the caps that lower the band, by answer
            for answer in CAPPING_ANSWERS:
                cap = group.cap(answer, given.count(answer))
                if cap is not None and BANDS.index(cap) > BANDS.index(band):
                    holding[answer] = cap
            capped += [(holding[answer], f"{ANSWER_WORDS[answer]} on Q{item}")
                       for item, answer in zip(group.items, given) if answer in holding]
        if capped:
            band = max((cap for cap, _ in capped), key=BANDS.index)
        return PaperBand(band, score, "; ".join(what for _, what in capped))


# ---------------------------------------------------------------- reading a mapping


def _read_mapping(spec: Mapping[str, Any], n_questions: int) -> dict[str, Any]:
    """The constructor's arguments from a rule written as a mapping: its shape checked
    here (keys, nesting, question numbers), its values by :class:`BandingRule`.

    A rule of critical questions alone (no ``high``, no ``moderate``) gets count limits
    no paper can exceed (the number of questions), so that only its caps lower a band.
    """
    name = spec.get("name", "custom")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"banding rule: name must be text, e.g. name: rigour first, "
                         f"not {name!r}")
    where = f"banding rule '{name}'"
    _only_known(spec, RULE_KEYS, where,
                "a rule takes name, high, moderate, critical, weights and answer_scores")
    if spec.get("critical") is not None and not {"high", "moderate"} & set(spec):
        spec = {**spec, **{band: {key: n_questions for key in COUNT_KEYS}
                           for band in ("high", "moderate")}}
    bands = {}
    for band in ("high", "moderate"):
        if band not in spec:
            raise ValueError(f"{where}: '{band}' is missing; give both bands, as {_EXAMPLES}")
        limits = spec[band]
        if not isinstance(limits, Mapping):
            raise ValueError(f"{where}: {band} must be a mapping such as "
                             f"{{max_cant_tell: 0, max_no: 0}} or {{min_score: 8}}, "
                             f"not {limits!r}")
        _only_known(limits, (*COUNT_KEYS, SCORE_KEY), f"{where}: {band}",
                    "a band takes max_cant_tell and max_no (count limits) or min_score "
                    "(a score threshold)")
        bands[band] = limits
    scored = {band: SCORE_KEY in limits for band, limits in bands.items()}
    if scored["high"] != scored["moderate"]:
        given, other = ("high", "moderate") if scored["high"] else ("moderate", "high")
        raise ValueError(f"{where}: {given} gives min_score but {other} gives count limits; "
                         f"give both bands the same kind, as {_EXAMPLES}")
    args: dict[str, Any] = {"name": name,
                            "critical": _read_critical(spec.get("critical"), where)}
    if scored["high"]:
        for band, limits in bands.items():
            mixed = [key for key in COUNT_KEYS if key in limits]
            if mixed:
                raise ValueError(f"{where}: {band} gives both min_score and {mixed[0]}; a band "
                                 "takes count limits or a score threshold, not both (to let "
                                 "one answer lower a band, add critical questions)")
            args[f"{band}_min_score"] = limits[SCORE_KEY]
        args["weights"] = _read_weights(spec.get("weights", {}), where)
        scores = spec.get("answer_scores", {})
        if not isinstance(scores, Mapping):
            raise ValueError(f"{where}: answer_scores must map answers to points, e.g. "
                             f"{{yes: 1, cant_tell: 0.5, no: 0}}, not {scores!r}")
        args["answer_scores"] = _answer_keys(scores)
    else:
        for band, limits in bands.items():
            for key in COUNT_KEYS:
                args[f"{band}_{key}"] = limits.get(key, 0)  # as the rule was always read
        for key in ("weights", "answer_scores"):
            if key in spec:
                raise ValueError(f"{where}: {key} only count in a rule with score "
                                 "thresholds; give high: {min_score: N} and moderate: "
                                 f"{{min_score: N}}, or leave {key} out")
    return args


def _read_critical(value: Any, where: str) -> tuple[CriticalQuestions, ...]:
    if value is None:
        return ()
    groups = [value] if isinstance(value, Mapping) else value
    if not isinstance(groups, list) or not groups:
        raise ValueError(f"{where}: critical must be a mapping such as {_CRITICAL_EXAMPLE}, "
                         f"or a list of them, not {value!r}")
    read = []
    for group in groups:
        if not isinstance(group, Mapping):
            raise ValueError(f"{where}: critical must be a mapping such as "
                             f"{_CRITICAL_EXAMPLE}, or a list of them; {group!r} is neither")
        _only_known(group, CRITICAL_KEYS, f"{where}: critical",
                    "critical questions take items and caps")
        for key in CRITICAL_KEYS:
            if key not in group:
                raise ValueError(f"{where}: critical: '{key}' is missing; write e.g. "
                                 f"{_CRITICAL_EXAMPLE}")
        items = group["items"]
        if _whole(items) or isinstance(items, str):
            items = [items]  # one critical question may be written without brackets
        if not isinstance(items, list):
            raise ValueError(f"{where}: critical: items must be a list of question numbers, "
                             f"e.g. [8, 9], not {items!r}")
        caps = group["caps"]
        if not isinstance(caps, Mapping):
            raise ValueError(f"{where}: critical: caps must say which answer caps a paper at "
                             f"which band, e.g. {{no: moderate, cant_tell: moderate}}, "
                             f"not {caps!r}")
        read.append(CriticalQuestions(
            tuple(_question_number(i, f"{where}: critical: items") for i in items),
            _read_caps(caps, where)))
    return tuple(read)


def _read_caps(caps: Mapping[Any, Any], where: str) -> tuple[tuple[Any, Any, Any], ...]:
    """``(answer, how many questions, band)`` from ``{no: moderate}`` (one answer is
    enough) or ``{no: {1: moderate, 2: low}}`` (a cap by how many got the answer)."""
    read = []
    for answer, value in _answer_keys(caps):
        if not isinstance(value, Mapping):
            read.append((answer, 1, value))
            continue
        if not value:
            raise ValueError(f"{where}: critical: caps: {answer}: give how many of the "
                             f"questions cap a paper at which band, e.g. {_COUNTED_EXAMPLE}")
        for n, band in value.items():
            if isinstance(n, str) and n.strip().isdigit():
                n = int(n)  # JSON writes every key as text
            read.append((answer, n, band))
    return tuple(read)


def plain_rule(value: Any) -> Any:
    """A rule as JSON writes it: every key text, YAML's booleans read back as answers.

    ``pages.yml`` is YAML 1.1, in which a bare ``no:`` key is false and ``10:`` a number;
    a parameter holding both kinds of key cannot be written as sorted JSON (the cache
    key, the manifest, papermill's record of the parameters). Read back this way, the
    rule means the same to :meth:`BandingRule.from_parameter`.
    """
    if isinstance(value, Mapping):
        return {_plain_key(k): plain_rule(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_rule(v) for v in value]
    return value


def _plain_key(key: Any) -> Any:
    if isinstance(key, bool):
        return "yes" if key else "no"
    return str(key) if _whole(key) else key


def _answer_keys(mapping: Mapping[Any, Any]) -> tuple[tuple[Any, Any], ...]:
    """A mapping keyed by answers, with YAML's booleans read back as the answers.

    YAML 1.1, which ``pages.yml`` is read with, turns a bare ``no`` or ``yes`` into
    false or true, so ``caps: {no: moderate}`` arrives as ``{False: "moderate"}``; in a
    mapping keyed by answers nothing else can have been meant.
    """
    return tuple(({True: "yes", False: "no"}.get(k, k) if isinstance(k, bool) else k, v)
                 for k, v in mapping.items())


def _read_weights(value: Any, where: str) -> tuple[tuple[int, float], ...]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: weights must map question numbers to points, e.g. "
                         f"{{8: 2, 9: 2}} (a question not listed weighs 1), not {value!r}")
    return tuple((_question_number(k, f"{where}: weights"), w) for k, w in value.items())


def _question_number(key: Any, where: str) -> Any:
    """A question number as YAML (8) or JSON ("8") writes it; anything else is returned
    as it is, for :class:`BandingRule` to refuse with the tool's numbers."""
    if isinstance(key, str):
        text = key.strip()
        if text.isdigit():
            return int(text)
        if text[:1] in "Qq" and text[1:].isdigit():
            raise ValueError(f"{where}: write the question's number, {int(text[1:])}, "
                             f"not {key!r}")
    return key


def _only_known(spec: Mapping[str, Any], allowed: Iterable[str], where: str,
                takes: str) -> None:
    allowed = tuple(allowed)
    for key in spec:
        if key not in allowed:
            raise ValueError(f"{where}: unknown key {key!r}"
                             f"{_did_you_mean(key, allowed)}; {takes}")


# ---------------------------------------------------------------- small words


_NUMBER_WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight",
                 "nine", "ten"]


def _words(n: int) -> str:
    return _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else str(n)


def _did_you_mean(word: Any, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _whole(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    return (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and math.isfinite(value))


def _key(field_name: str) -> str:
    """A field as the mapping writes it: ``high_max_no`` is ``high: max_no``."""
    band, _, key = field_name.partition("_")
    return f"{band}: {key}"


# ---------------------------------------------------------------- the declared rules

BANDING_RULES: dict[str, BandingRule] = {
    # What the chapter uses unless a page says otherwise.
    "default": BandingRule("default", 0, 0, 2, 0),
    # One unclear item is tolerated above low, not two.
    "strict": BandingRule("strict", 0, 0, 1, 0),
    # One unclear item still counts as high; one "No" only caps a paper at moderate.
    "lenient": BandingRule("lenient", 1, 0, 3, 1),
}
