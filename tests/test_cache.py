"""The one cache interface (:mod:`analysis.cache`) and the three caches behind it: the
page cache and the validation memo of the engine, the multiverse's tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.cache import Cache, key_from
from analysis.compute.multiverse import MultiverseTables
from analysis.engine.cache import PageCache, ValidationMemo


def test_a_key_follows_every_named_part_and_its_name():
    parts = {"studies": b"id,cases\nS1,3\n", "size": "book", "packages": {"numpy": "2.3"}}
    key = key_from(parts)
    assert key == key_from(dict(parts)) and len(key) == 64
    assert key_from({**parts, "size": "full"}) != key
    assert key_from({**parts, "packages": {"numpy": "2.4"}}) != key
    assert key_from({"sizes": "book"}) != key_from({"size": "book"})
    # Parts never run together: the name and length of each are part of the digest.
    assert key_from({"a": "bc", "d": ""}) != key_from({"a": "b", "d": "c"})
    # A mapping counts by its content, not by the order it was written in.
    assert key_from({"p": {"x": 1, "y": 2}}) == key_from({"p": {"y": 2, "x": 1}})


def _page(folder: Path) -> tuple[Cache, str, object, object, object]:
    cache = PageCache(folder)
    (folder / "intro.ipynb").write_text("{}")  # the executed notebook, placed first
    return cache, "intro", {"template": "t1", "data": {}}, {"template": "t2", "data": {}}, {
        "reads": [], "asked": [], "reason": "first", "seconds": 1.0}


def _validation(folder: Path) -> tuple[Cache, str, object, object, object]:
    memo = ValidationMemo.of(folder, folder / "data", {"studies.csv": "ab"}, "code")
    other = {**memo.key, "code": "other code"}
    return memo, ValidationMemo.NAME, memo.key, other, ["normalised a date"]


def _multiverse(folder: Path) -> tuple[Cache, str, object, object, object]:
    return MultiverseTables(folder), "multiverse_book", "k1", "k2", {"size": "book"}


@pytest.mark.parametrize("make", [_page, _validation, _multiverse],
                         ids=["pages", "validation", "multiverse"])
def test_an_entry_is_found_under_its_key_only_and_dropped_whole(make, tmp_path):
    cache, name, key, other, value = make(tmp_path)
    assert not cache.has(name, key) and cache.get(name, key) is None
    stored = cache.put(name, key, value)
    if stored is not None:  # the multiverse's rows stream to the entry's files
        stored.write(pd.DataFrame({"specification": [1, 2], "estimate": [0.1, 0.2]}))
        stored.close()
    assert cache.stored_key(name) == key
    assert cache.has(name, key) and not cache.has(name, other)
    assert cache.get(name, key) is not None and cache.get(name, other) is None
    assert cache.entry(name)[0].exists()  # the first file of an entry records its key
    cache.drop(name)
    assert cache.stored_key(name) is None and not cache.has(name, key)
    assert not any(path.exists() for path in cache.entry(name))


def test_what_the_page_cache_stores_with_a_key(tmp_path):
    cache, name, key, _, value = _page(tmp_path)
    cache.put(name, key, value)
    assert cache.get(name, key) == {"parts": key, **value}
    (tmp_path / "intro.ipynb").unlink()  # a key without its notebook is no entry
    assert not cache.has(name, key)


def test_the_validation_memo_keeps_the_warnings_of_the_validation_that_passed(tmp_path):
    memo, *_ = _validation(tmp_path)
    assert not memo.passed_before()
    memo.remember(["normalised a date"])
    assert memo.passed_before() and memo.warnings() == ["normalised a date"]
    changed = ValidationMemo.of(tmp_path, tmp_path / "data", {"studies.csv": "cd"}, "code")
    assert not changed.passed_before()
