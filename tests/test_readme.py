"""The README is a newcomer's page: short, and every command it shows works as shown.

Maintainers' material lives in ``docs/`` (linked from the README); the README keeps what
the book is, the two commands, the synthetic data, and the short path to a book on one's
own data (issue 27).
"""

from __future__ import annotations

import re
import shlex

import pytest

from analysis import paths
from analysis.__main__ import parser

README = paths.ROOT / "README.md"
MAX_WORDS = 1400


def _code_lines(text: str) -> list[str]:
    blocks = re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S)
    return [line for block in blocks for line in block.splitlines()]


def test_the_readme_is_short():
    words = len(README.read_text(encoding="utf-8").split())
    assert words <= MAX_WORDS, f"README.md has {words} words; move material to docs/"


def test_every_link_of_the_readme_leads_to_a_file():
    text = README.read_text(encoding="utf-8")
    targets = re.findall(r"\]\(((?!https?://)[^)#]+)\)", text)
    assert targets
    for target in targets:
        assert (paths.ROOT / target).exists(), target
    for page in (paths.ROOT / "docs").glob("*.md"):
        for target in re.findall(r"\]\(((?!https?://)[^)#]+)\)", page.read_text("utf-8")):
            assert (page.parent / target).exists(), f"{page.name}: {target}"


@pytest.mark.parametrize("document", ["README.md", "docs/commands.md"])
def test_every_command_shown_parses_with_the_command_line(document):
    """Each ``python -m analysis ...`` line is accepted by the command line's own parser
    (sub-command, flags and their values), so no page documents a flag that is not
    there."""
    text = (paths.ROOT / document).read_text(encoding="utf-8")
    commands = [line.split("-m analysis", 1)[1] for line in _code_lines(text)
                if re.match(r"^\$?\s*(?:\.venv/bin/)?python -m analysis ", line.strip("$ "))]
    assert commands
    cli = parser()
    for command in commands:
        words = shlex.split(command.split("#", 1)[0])
        try:
            cli.parse_args(words)
        except SystemExit as exc:  # argparse's way of refusing
            pytest.fail(f"{document}: python -m analysis{command} is refused ({exc})")


def test_the_makefile_has_the_targets_the_readme_names():
    text = README.read_text(encoding="utf-8")
    makefile = (paths.ROOT / "Makefile").read_text(encoding="utf-8")
    for target in set(re.findall(r"`make (\w+)`", text)) | {"book", "test"}:
        assert re.search(rf"(?m)^{target}:", makefile), target
