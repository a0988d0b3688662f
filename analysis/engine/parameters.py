"""The parameters a page may be run with: their types, ranges and allowed names.

A parameter's *type* is declared by its default in the notebook's ``parameters`` cell
(``confidence = 0.95`` makes it a number); its *range* or list of allowed names is
declared here, once per parameter name (a name means the same thing on every page).
:func:`check_values` checks every parameter set of ``book/pages.yml`` against both
before anything executes, so that ``confidence: 95`` or ``min_studies: "three"`` stop
the build with a message naming the page, the parameter, the value and what is
allowed, instead of a table of "9500% CI" or a pandas error in a page.

The names allowed for ``transform``, ``tau2_method``, ``covariate`` and the bands are
the ones :mod:`analysis.stats` implements (a test checks that they agree); the engine
does not import the statistics. A banding rule is data of the contract
(:mod:`analysis.contract.banding`), which checks it here with the messages a page would
show.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from analysis.contract import banding


@dataclass(frozen=True)
class Declared:
    """What one parameter may be.

    ``kind`` is ``"integer"``, ``"number"``, ``"name"`` (a string from ``choices``),
    ``"names"`` (a list of distinct strings from ``choices``), ``"integers"`` (an
    increasing list of whole numbers), ``"strings"`` or ``"rule"`` (a banding rule:
    a declared name or its limits).
    """

    kind: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False  # the bound itself is not allowed
    high_open: bool = False
    choices: tuple[str, ...] = ()

    def allowed(self) -> str:
        """What is allowed, in words."""
        if self.kind in ("integer", "number"):
            what = "a whole number" if self.kind == "integer" else "a number"
            if self.low is not None and self.high is not None:
                left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
                return f"{what} in {left}{_num(self.low)}, {_num(self.high)}{right}"
            if self.low is not None:
                return f"{what} {'>' if self.low_open else '>='} {_num(self.low)}"
            return what
        if self.kind == "name":
            return "one of " + ", ".join(self.choices)
        if self.kind == "names":
            return "a list of distinct names from " + ", ".join(self.choices) + " ([] for none)"
        if self.kind == "integers":
            return "a list of increasing whole numbers, at least one"
        if self.kind == "strings":
            return "a list of names in quotes"
        if self.kind == "rule":
            return ("the name of a declared rule (" + ", ".join(self.choices) + ") or the "
                    "rule as a mapping: count limits {name: ..., high: {max_cant_tell: N, "
                    "max_no: N}, moderate: {max_cant_tell: N, max_no: N}}, optionally with "
                    "critical: {items: [...], caps: {no: moderate}}, or score thresholds "
                    "{high: {min_score: N}, moderate: {min_score: N}} with optional weights "
                    "(see analysis/contract/banding.py)")
        return self.kind


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


BANDS = ("high", "moderate", "low")
BANDING_RULES = tuple(banding.BANDING_RULES)
DECLARED: dict[str, Declared] = {
    "confidence": Declared("number", 0, 1, low_open=True, high_open=True),
    "suppress_below": Declared("integer", 0),
    "min_studies": Declared("integer", 1),
    "base_size": Declared("integer", 1),
    "run_length": Declared("integer", 1),
    "n_orders": Declared("integer", 1),
    "seed": Declared("integer", 0, 2**32 - 1),
    "threshold": Declared("number", 0, 1),
    "strict_threshold": Declared("number", 0, 1),
    "transform": Declared("name", choices=("logit", "freeman_tukey", "arcsine", "proportion")),
    "tau2_method": Declared("name", choices=("dl", "pm")),
    "covariate": Declared("name", choices=("design", "interviewer", "year", "income_group",
                                           "country", "setting")),
    "quality_rule": Declared("name", choices=BANDING_RULES),
    "exclude_bands": Declared("names", choices=BANDS),
    "year_periods": Declared("integers"),
    "country_group": Declared("strings"),
    "banding_rule": Declared("rule", choices=BANDING_RULES),
}
SET_BY_BUILD = {"data_dir"}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    finite = isinstance(value, (int, float)) and value == value and abs(value) != float("inf")
    return (_is_int(value) or isinstance(value, float)) and finite


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if _is_int(value):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "empty" if value is None else type(value).__name__


def problem(value: Any, declared: Declared | None, default: Any = None) -> str | None:
    """Why ``value`` is not allowed (None when it is)."""
    if declared is None:
        if default is None:
            return None
        same = (_is_number(value) if isinstance(default, float) and not isinstance(default, bool)
                else type(value) is type(default))
        return None if same else f"must be {_type_name(default)} like its default {default!r}"
    kind = declared.kind
    if kind in ("integer", "number"):
        ok_type = _is_int(value) if kind == "integer" else _is_number(value)
        if not ok_type:
            return f"must be {declared.allowed()}"
        if declared.low is not None and (value < declared.low
                                         or (declared.low_open and value == declared.low)):
            return f"must be {declared.allowed()}"
        if declared.high is not None and (value > declared.high
                                          or (declared.high_open and value == declared.high)):
            return f"must be {declared.allowed()}"
        return None
    if kind == "name":
        return None if isinstance(value, str) and value in declared.choices else (
            f"must be {declared.allowed()}")
    if kind == "names":
        ok = (isinstance(value, list) and all(isinstance(v, str) and v in declared.choices
                                              for v in value)
              and len(set(value)) == len(value))
        return None if ok else f"must be {declared.allowed()}"
    if kind == "integers":
        ok = (isinstance(value, list) and value and all(_is_int(v) for v in value)
              and all(a < b for a, b in zip(value, value[1:])))
        return None if ok else f"must be {declared.allowed()}"
    if kind == "strings":
        ok = isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)
        return None if ok else f"must be {declared.allowed()}"
    if kind == "rule":
        if not isinstance(value, dict):
            return None if value in declared.choices else f"must be {declared.allowed()}"
        try:  # against the default tool's questions, as the quality page reads it
            banding.BandingRule.from_parameter(value)
        except ValueError as why:
            return f"is not a usable banding rule: {why}"
        return None
    return None


def plain_values(parameters: dict[str, Any]) -> dict[str, Any]:
    """The parameters with each banding rule in the plain form JSON can hold (see
    :func:`analysis.contract.banding.plain_rule`); other values as they are."""
    return {name: banding.plain_rule(value)
            if DECLARED.get(name, Declared("")).kind == "rule" else value
            for name, value in parameters.items()}


def check_values(page: str, notebook: str, parameters: dict[str, Any],
                 defaults: Mapping[str, Any]) -> list[str]:
    """Every parameter of one page against its declaration.

    Parameters
    ----------
    page, notebook : str
        The page's name and its notebook template (for the messages).
    parameters : dict
        The page's parameter set from ``book/pages.yml``.
    defaults : mapping
        The notebook's defaults (:attr:`analysis.pages.template.Template.defaults`),
        which declare the types.

    Returns
    -------
    list of str
        One message per parameter that is not allowed: page, parameter, value, what
        is allowed.
    """
    problems = []
    for name, value in parameters.items():
        if name in SET_BY_BUILD:
            problems.append(f"pages.yml: page '{page}': parameter '{name}' is set by the "
                            "build (use --data-dir); remove it from pages.yml")
            continue
        if name not in defaults and name not in DECLARED:
            continue  # an unknown name is reported by check_parameters
        why = problem(value, DECLARED.get(name), defaults.get(name))
        if why is not None:
            problems.append(f"pages.yml: page '{page}': parameter '{name}' = "
                            f"{json.dumps(value, default=str)} {why} "
                            f"(book/notebooks/{notebook}.ipynb)")
    return problems
