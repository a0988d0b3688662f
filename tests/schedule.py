"""The order ``make test`` runs the tests in, so that its two processes end together.

``pytest -n 2 --dist worksteal`` (pytest-xdist) hands the first half of the collected
tests to one process and the second half to the other; a process that runs out takes
tests from the END of the other's queue. In the order of the files, the longest tests
(the browser's pages, the whole books) sat late in the first half, and the suite ended
with one process running a minute-long browser test while the other sat idle.

Here the long tests go first, each half starting with its share of them (longest
first), and the short ones fill both halves: a process that runs out then takes short
tests from the other's end, never a long one. What each test checks is unchanged.

A test module stays in one piece unless it is named in ``SPLIT`` (its expensive
fixtures are session-wide, so running its tests in two places costs nothing): a
module's fixtures are set up again each time its tests are interrupted by another
module's.
"""

from __future__ import annotations

# Seconds each unit took in one run of the whole suite (pytest --durations) on this
# project's 2-core machine, rounded; only their order and rough size matter. A unit is
# a module, or for the modules in SPLIT one test function (all its parameters) or one
# named test. Units not listed are short and fill the halves in the order collected.
BOOK = "tests/book/test_book.py::"
BROWSER = "tests/browser/test_browser.py::"
PROPERTIES = "tests/book/test_properties.py::"
LONG = {
    BROWSER + "test_every_page_works_in_a_real_browser[desktop]": 90,
    BROWSER + "test_every_page_works_in_a_real_browser[phone]": 68,
    "tests/browser/test_browser.py": 20,
    BOOK + "test_notebook_runs_with_plain_papermill": 110,
    BOOK + "test_the_cache_and_a_rebuild_redo_only_what_changed": 55,
    BOOK + "test_a_sphinx_warning_fails_the_build_and_keeps_the_last_good_book": 20,
    BOOK + "test_release_and_diff_report_a_changed_cell": 20,
    BOOK + "test_a_plain_build_gives_the_same_glued_values": 16,
    BOOK + "test_failures_leave_the_last_good_book_untouched": 20,
    BOOK + "test_reused_kernels_give_the_same_numbers_as_fresh_ones": 12,
    BOOK + "test_another_seed_builds_a_different_book_with_the_same_published_counts": 10,
    "tests/book/test_book.py": 25,
    # the hostile book is built once for both modules: together, so neither waits
    "tests/book/test_security.py": 50,
    "tests/book/test_pdf.py": 38,
    PROPERTIES + "test_random_valid_packages_never_crash_a_page_or_show_nan": 50,
    "tests/own_study/test_appraisal_jbi_book.py": 26,
    "tests/own_study/test_own_study_single_rater.py": 30,
    "tests/own_study/test_own_study_scan.py": 45,
    "tests/own_study/test_own_study_prevalence.py": 14,
    "tests/own_study/test_own_study_metasynthesis.py": 12,
    "tests/chapters/test_themes_codebook.py": 26,
    "tests/engine/test_preview.py": 40,
    "tests/engine/test_build_safety.py": 22,
    "tests/stats/test_multiverse_batch.py": 22,
    "tests/compute/test_multiverse.py": 8,
    "tests/compute/test_multiverse_themes.py": 10,
}
SPLIT = {"tests/browser/test_browser.py", "tests/book/test_book.py",
         "tests/book/test_properties.py"}
# Modules run in one piece with another (they share a book built once per run).
WITH = {"tests/browser/test_security_browser.py": "tests/book/test_security.py"}


def _unit(nodeid: str) -> str:
    module = nodeid.split("::")[0]
    module = WITH.get(module, module)
    if module not in SPLIT:
        return module
    if nodeid in LONG:
        return nodeid
    function = nodeid.split("[")[0]
    return function if function in LONG else module


def long_first(items: list, processes: int) -> list:
    """``items`` reordered for ``processes`` worksteal processes: the i-th process's
    share (the chunk xdist hands it) starts with the long units given to it, longest
    first, then short tests in the order collected."""
    units: dict[str, list] = {}
    for item in items:
        units.setdefault(_unit(item.nodeid), []).append(item)
    long = sorted((u for u in units if u in LONG), key=lambda u: -LONG[u])
    if processes < 2 or not long:
        return items
    # Longest unit to the process with the least work so far.
    shares: list[list[str]] = [[] for _ in range(processes)]
    load = [0.0] * processes
    for unit in long:
        i = min(range(processes), key=lambda j: load[j])
        shares[i].append(unit)
        load[i] += LONG[unit]
    short = [item for unit, members in units.items() if unit not in LONG for item in members]
    # The chunks xdist's worksteal scheduler hands out: each process in turn gets the
    # pending tests divided by the processes still to be served.
    ordered, left = [], len(items)
    for i, share in enumerate(shares):
        size = left // (processes - i)
        left -= size
        chunk = [item for unit in share for item in units[unit]]
        fill = max(0, size - len(chunk)) if i < processes - 1 else len(short)
        ordered += chunk + short[:fill]
        short = short[fill:]
    return ordered + short
