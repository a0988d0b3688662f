"""CITATION.cff: valid YAML with the fields a citation needs and the book's version."""

from __future__ import annotations

import yaml

from analysis import __version__, paths


def test_citation_file_names_this_version_and_the_source_studies():
    cff = yaml.safe_load((paths.ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0"
    assert str(cff["version"]) == __version__
    for key in ("title", "message", "authors", "license"):
        assert cff[key]
    dois = {ref["doi"] for ref in cff["references"]}
    assert dois == {"10.1101/2020.12.15.20248267", "10.1186/s12888-021-03605-4"}
    assert all(ref["authors"] for ref in cff["references"])
