"""Command line: a thin layer over the Python API.

    python -m analysis init DIR [--chapters appraisal,themes,...] [--force]
    python -m analysis validate DATA_DIR
    python -m analysis synth --seed N --out DIR [--scale K] [--subthemes N]
    python -m analysis build [--data-dir DIR] [--jobs N] [--force] [--plain]
    python -m analysis preview [--data-dir DIR] [--port N]
    python -m analysis pdf
    python -m analysis release
    python -m analysis diff EDITION_A [EDITION_B]
    python -m analysis multiverse [--size book|full|resampled] [--out DIR]
                                  [--scheduler tcp://HOST:PORT] [--workers N]
    python -m analysis import qdpx PROJECT.qdpx --data-dir DIR --review meta-synthesis|interview
    python -m analysis import screening EXPORT.csv --data-dir DIR --stage title-abstract|full-text
    python -m analysis import references FILE.ris|FILE.bib --data-dir DIR
    python -m analysis export --to DIR

Exit codes: 0 success; 2 any problem with the input (the data package, book/pages.yml and
its parameters, the command line, the folders the build writes), always as a message that
says what to fix; 1 a page or the book build failed. A traceback is a bug.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import textwrap
from pathlib import Path

from analysis import DEFAULT_SEED, __version__
from analysis.contract.choices import COMMAND_SIZES


def _error(text: object) -> None:
    """A message on standard error, inert: whatever it quotes from the input (a cell,
    a title, a folder's name) shows its control and invisible characters escaped
    (:func:`analysis.contract.errors.inert`) and cannot steer the terminal."""
    from analysis.contract.errors import inert

    print(inert(text), file=sys.stderr)


def _say(text: object) -> None:
    """A line of progress on standard output, inert as :func:`_error`."""
    from analysis.contract.errors import inert

    print(inert(text))


def _chapters():
    """The chapters ``init`` offers, from the pages of the book and what they need."""
    from analysis.contract.starter import chapters
    from analysis.pages.needs import alternatives
    from analysis.pages.page import parse_pages

    return chapters((page.name, [alternatives(need) for need in page.needs])
                    for page in parse_pages())


def _chapters_help() -> str:
    from analysis.contract.errors import InputError
    from analysis.contract.starter import CHAPTER_GROUPS

    try:
        known = _chapters()
    except InputError as exc:  # book/pages.yml unreadable: say so, and still show the help
        return f"chapters: cannot list them ({exc})"
    groups = [c for c in known.values() if c.name in CHAPTER_GROUPS]
    width = max(len(c.name) for c in groups)
    pages = [c.name for c in known.values() if c.name not in CHAPTER_GROUPS]
    lines = ["chapters (default: all) and the tables each needs:"]
    lines += [f"  {c.name:<{width}}  {', '.join(c.tables)}" for c in groups]
    lines += ["or any single page that needs tables:",
              *textwrap.wrap(", ".join(pages), 88, initial_indent="  ",
                             subsequent_indent="  ")]
    return "\n".join(lines)


def _init(args: argparse.Namespace) -> int:
    from analysis.contract.errors import InputError
    from analysis.contract.starter import choose, start_package

    try:
        made = start_package(args.folder, choose(args.chapters, _chapters()), force=args.force)
    except InputError as exc:
        _error(f"init: {exc}")
        return 2
    except OSError as exc:
        _error(f"init: cannot write {exc.filename or args.folder} ({exc.strerror or exc}); "
              "give a folder you may write to")
        return 2
    n = len(made.files)
    _say(f"wrote {made.descriptor} and {n} table{'s' if n != 1 else ''} with a header only:")
    width = max(len(path.name) for path in made.files)
    for table, path in zip(made.tables, made.files):
        _say(f"  {path.name:<{width}}  for {', '.join(made.needed_by[table])}")
    _say("next: describe your study in the \"study\" section of datapackage.json (its keys\n"
         "      are in analysis/contract/study_schema.json), add your rows to each table,\n"
         f"      then run: python -m analysis validate {args.folder}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from analysis.contract.validation import validate
    from analysis.pages.needs import pages_needing

    report = validate(args.data_dir, needed_for=pages_needing)
    (_say if report.ok else _error)(report.format())
    if report.ok:
        _say_chapters(Path(args.data_dir))
    return 0 if report.ok else 2


def _say_chapters(data_dir: Path) -> None:
    """Which chapters a book on this package will have, and which it leaves out."""
    from analysis.contract.reading import read_json
    from analysis.engine.pages import available_inputs, load_pages, select_pages

    descriptor, _, _ = read_json(data_dir / "datapackage.json", "datapackage.json")
    selection = select_pages(load_pages(), available_inputs(descriptor or {}, data_dir))
    _say(f"the book will have {len(selection.pages)} pages")
    for item in selection.left_out:
        _say(f"  left out: {item.label} ({item.reason})")


def _synth(args: argparse.Namespace) -> int:
    from analysis.synth import generate

    if args.scale < 1:
        _error(f"synth: --scale must be a whole number of at least 1, not {args.scale}")
        return 2
    if args.subthemes is not None and args.subthemes < 1:
        _error(f"synth: --subthemes must be a whole number of at least 1, not {args.subthemes}")
        return 2
    try:
        result = generate(seed=args.seed, out_dir=args.out, scale=args.scale,
                          subthemes=args.subthemes)
    except OSError as exc:
        _error(f"synth: cannot write {exc.filename or args.out} ({exc.strerror or exc}); "
              "give --out a folder you may write to")
        return 2
    _say(f"wrote {len(result.files)} files to {result.out_dir} "
          f"(seed {result.seed}, scale {result.scale})")
    return 0


def _build(args: argparse.Namespace) -> int:
    # Not analysis.contract.package here: it imports pandas, which the build loads only once
    # its kernels are starting (a DataPackageError means it has been loaded).
    from analysis.contract.errors import DataPackageError, InputError
    from analysis.engine.build import BuildError, build

    try:
        extra = {"pages_file": args.pages} if args.pages is not None else {}
        build(data_dir=args.data_dir, jobs=args.jobs, force=args.force,
              build_root=args.build_root, reuse_kernels=not args.fresh_kernels,
              plain=args.plain, **extra)
    except BuildError as exc:
        _error(f"build failed: {exc}")
        return 1
    except DataPackageError as exc:
        _error(exc.report.format())
        _error("The book was not rebuilt; the last good book is untouched.")
        return 2
    except InputError as exc:
        _error(f"build: {exc}")
        return 2
    except OSError as exc:  # a folder the build must write or a file it must read
        from analysis.engine.errors import is_out_of_space, out_of_space

        if is_out_of_space(exc):
            _error(f"build: {out_of_space(exc.filename or 'the build folder')} The last good "
                   "book is untouched.")
            return 2
        where = f"{exc.filename}: " if exc.filename else ""
        _error(f"build: {where}{exc.strerror or exc}; check that the folder exists and that "
               "you may write to it, or pass --build-root DIR. The last good book is "
               "untouched.")
        return 2
    return 0


def _preview(args: argparse.Namespace) -> int:
    from analysis.engine.preview import preview

    try:
        return preview(data_dir=args.data_dir, host=args.host, port=args.port)
    except OSError as exc:  # e.g. the port is taken
        _error(f"preview: cannot serve on {args.host}:{args.port}: {exc.strerror or exc}; "
              "choose another with --port")
        return 2


def _positive(text: str) -> int:
    """A command-line count of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _print_pdf(command: str):
    """The built book printed as one PDF (analysis.engine.pdf), or None after saying why."""
    from analysis import paths
    from analysis.engine.errors import BuildError
    from analysis.engine.pdf import build_pdf

    try:
        return build_pdf(paths.html_dir(), paths.pdf_path())
    except BuildError as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        return None


def _pdf(args: argparse.Namespace) -> int:
    made = _print_pdf("pdf")
    if made is None:
        return 2
    print(f"pdf: {made.path} ({made.page_count} pages, {len(made.starts)} chapters)")
    return 0


def _release(args: argparse.Namespace) -> int:
    from analysis.engine.editions import EditionError, release

    pdf = _print_pdf("release")
    if pdf is None:
        return 2
    try:
        made = release(pdf=pdf.path)
    except EditionError as exc:
        _error(f"release: {exc}")
        return 2
    _say(f"released edition {made.version} (commit {made.commit}) in {made.folder}\n"
         f"  book.tar.gz sha256 {made.archive_sha256}\n"
         f"  book.pdf ({pdf.page_count} pages)")
    return 0


def _diff(args: argparse.Namespace) -> int:
    from analysis.engine.editions import EditionError, diff

    try:
        result = diff(args.a, args.b)
    except EditionError as exc:
        _error(f"diff: {exc}")
        return 2
    _say(result.format())
    return 0


def _multiverse(args: argparse.Namespace) -> int:
    from analysis.chapters.book_pages import in_book
    from analysis.chapters.multiverse import package_choices, package_studies
    from analysis.compute import multiverse as multiverse_compute
    from analysis.compute.cluster import SchedulerError
    from analysis.contract.choices import ChoicesError, load_choices
    from analysis.contract.errors import DataPackageError
    from analysis.contract.validation import load_package
    from analysis.pages.needs import pages_needing
    from analysis.stats import multiverse, multiverse_themes

    if args.workers is not None and args.workers < 1:
        _error(f"multiverse: --workers must be at least 1, not {args.workers}")
        return 2
    out = args.out or multiverse_compute.cache_dir()
    try:
        package = load_package(args.data_dir or "data_synthetic", needed_for=pages_needing)
        # As on the Multiverse page: the package's own threshold and covariate filters.
        choices = package_choices(load_choices(args.choices), package)
        own = package_studies(package, choices)  # numeric covariates cut at the median
        studies = own.studies
        run = multiverse_compute.to_folder(
            studies, choices, args.size, out, own.categories,
            use_cache=not args.no_cache, scheduler=args.scheduler, n_workers=args.workers)
        summary = multiverse.summarise(run.summary_table, run.choices, args.size)
        # The theme multiverse is a few dozen recounts: computed again, not cached.
        theme_run = (multiverse_compute.evaluate_themes(package, choices)
                     if choices.themes and in_book(package, "themes") else None)
    except DataPackageError as exc:
        _error(exc.report.format())
        return 2
    except (ChoicesError, SchedulerError, ValueError) as exc:
        _error(f"multiverse: {exc}")
        return 2
    except OSError as exc:
        _error(f"multiverse: cannot write to {out} ({exc.strerror or exc}); choose another "
               "folder with --out")
        return 2
    if run.where == "cache":
        where = "read from the cache (same data, choices and code)"
    else:
        where = (f"in {run.where}" if run.where == "this process" else f"on {run.where}, "
                 f"{run.n_workers} worker(s)") + (
            f", {run.n_tasks:,} chunk(s) of {run.chunk:,}")
    seed = f"; bootstrap seed {run.seed}" if run.seed is not None else ""
    _say(f"{summary.n_specifications:,} specifications ({summary.n_pooled:,} pooled) "
          f"{where}, {run.seconds:.1f} s{seed}\n"
          + (f"the {summary.outcome} is below {summary.threshold:g}% in "
             f"{summary.share_below:.0f}% of {summary.n_pooled:,} specifications"
             if not math.isnan(summary.threshold) else
             "no threshold declared (study.prevalence.threshold_percent): no conclusion "
             "tested")
          + "; the main "
          f"analysis gives {summary.main_estimate:.2f}%; the choice that moves it most: "
          f"{summary.top_choice} ({summary.top_choice_spread:.1f} percentage points)\n"
          f"wrote {' and '.join(map(str, run.files))}")
    if theme_run is not None:
        robust = multiverse_themes.theme_robustness(theme_run.table)
        written = multiverse_compute.export(theme_run.table, out, "multiverse_themes")
        _say(f"{theme_run.table['specification'].nunique():,} theme specifications; "
              "supported in: " + "; ".join(f"{r.theme_id} {r.share_supported:.0f}%"
                                           for r in robust.itertuples())
              + f"\nwrote {' and '.join(map(str, written))}")
    return 0


def _print_import(result, lines: list[str]) -> int:
    """What an import did, then the validation of the package it wrote."""
    from analysis.contract.escape import terminal_text

    where = terminal_text(result.data_dir)
    _say(("created " if result.created else "updated ") + where)
    for line in lines:
        _say(line)
    for change in result.changes:
        _say(f"  {change.table}.csv: {change.added} added, {change.updated} updated, "
              f"{change.unchanged} unchanged, {change.removed} removed, {change.kept} "
              "other rows kept")
    _say(f"recorded in {where}/import_log.json")
    _say(result.report.format())
    if not result.report.ok:
        _say("the import was written; the package does not validate yet: fill in what is "
              "listed above, then run python -m analysis validate " + where)
    return 0


def _left_out_lines(left_out) -> list[str]:
    from analysis.contract.escape import terminal_text

    if not left_out:
        return ["nothing in the file was left out"]
    return ["left out (the tables have no place for it):"] + [
        f"  {item['count']:>6,}  {terminal_text(item['what'])}" for item in left_out]


def _import_qdpx(args: argparse.Namespace) -> int:
    from analysis.contract.errors import InputError
    from analysis.contract.escape import terminal_text
    from analysis.importers.qda_tables import import_qdpx

    try:
        project, mapping, result = import_qdpx(args.file, args.data_dir, args.review,
                                               args.units, args.theme_level)
    except InputError as exc:
        _error(f"import qdpx: {exc}\nThe package was not changed.")
        return 2
    lines = [f"read {project.file}: {project.kind} exported by "
             f"{terminal_text(project.origin or 'an unnamed program')}; {len(project.codes)} "
             f"codes, {len(project.sources)} sources, {len(project.cases)} cases, "
             f"{len(project.segments)} coded text segments"]
    if project.kind == "project" and not project.offsets_checked:
        lines.append("  the source texts are not in the file: the offsets of the coded "
                     "segments were not checked (import the .qdpx archive to check them)")
    lines.append(f"codebook levels (--theme-level {mapping.theme_level}; {mapping.units} "
                 f"become {'papers' if mapping.review == 'meta_synthesis' else 'participants'}):")
    lines += [f"  level {lv['depth']}: {lv['codes']} codes -> {lv['role']}"
              for lv in mapping.levels]
    lines += _left_out_lines(mapping.left_out)
    return _print_import(result, lines)


def _import_screening(args: argparse.Namespace) -> int:
    from analysis.contract.errors import InputError
    from analysis.importers.screening import import_screening

    try:
        screening, counts, result = import_screening(
            args.file, args.data_dir, args.stage, args.identified, args.duplicates_removed,
            args.decision)
    except InputError as exc:
        _error(f"import screening: {exc}\nThe package was not changed.")
        return 2
    from analysis.contract.escape import terminal_text

    lines = [f"read {screening.file}: {screening.tool} export, {len(screening.records)} "
             f"records ({args.stage} screening)", "PRISMA boxes:"]
    lines += [f"  {r['stage']:<24} {terminal_text(r['source'], 60):<40} {int(r['count']):>7,}"
              for r in counts.rows]
    return _print_import(result, lines)


def _import_references(args: argparse.Namespace) -> int:
    from analysis.contract.errors import InputError
    from analysis.contract.escape import terminal_text

    from analysis.importers.references import import_references

    try:
        references, matches, unmatched, result = import_references(args.file, args.data_dir)
    except InputError as exc:
        _error(f"import references: {exc}\nThe package was not changed.")
        return 2
    lines = [f"read {terminal_text(Path(args.file).name)}: {len(references)} references, "
             f"{len(matches)} matched to papers of studies.csv"]
    lines += [f"  {sid}  {terminal_text(ref.label)}" for sid, ref in sorted(matches.items())]
    if unmatched:
        lines.append(f"{len(unmatched)} match no paper (by DOI, title, or first author and "
                     "year):")
        lines += [f"  reference {ref.number}: {terminal_text(ref.label)}  "
                  f"{terminal_text(ref.title, 80)}" for ref in unmatched]
    return _print_import(result, lines)


def _export(args: argparse.Namespace) -> int:
    from analysis.contract.errors import InputError
    from analysis.engine.exports import export_manuscript_tables

    try:
        written = export_manuscript_tables(args.to, build_root=args.build_root)
    except InputError as exc:
        _error(f"export: {exc}")
        return 2
    except OSError as exc:
        _error(f"export: cannot write {exc.filename or args.to} ({exc.strerror or exc}); give "
              "--to a folder you may write to")
        return 2
    _say(f"wrote {len(written.files)} files to {written.folder}:")
    for table in written.tables:
        _say(f"  {table.title}: {', '.join(p.name for p in table.files)}")
    for missing in written.missing:
        _say(f"  not in this book: {missing}")
    return 0


class _Parser(argparse.ArgumentParser):
    """A parser whose epilog may be computed when the help is shown (``init`` reads
    book/pages.yml for its chapters only then, never on the way to another command)."""

    def __init__(self, *args, lazy_epilog=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy_epilog = lazy_epilog

    def format_help(self) -> str:
        if self.lazy_epilog is not None:
            self.epilog = self.lazy_epilog()
        return super().format_help()


def parser() -> argparse.ArgumentParser:
    top = _Parser(
        prog="python -m analysis",
        description="Build and check the CEN evidence-synthesis book.")
    top.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("init", help="start a data package of your own to fill in",
                       description="Write DIR/datapackage.json with a study section to "
                       "fill in and, for the chosen\nchapters, the declaration of each table "
                       "they need and its CSV with the header only.\nThen fill them in and "
                       "run `python -m analysis validate DIR`, which lists what is\nstill "
                       "empty.",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       lazy_epilog=_chapters_help)
    p.add_argument("folder", metavar="DIR", help="folder to create (must be empty)")
    p.add_argument("--chapters", default=None, metavar="NAMES",
                   help="comma-separated chapters, e.g. appraisal,themes (default: all)")
    p.add_argument("--force", action="store_true",
                   help="write into a folder that is not empty, replacing its "
                   "datapackage.json and the CSVs of the chosen chapters")
    p.set_defaults(run=_init)

    p = sub.add_parser("validate", help="check a data package against the data contract",
                       description="Check a data package folder against the data contract. "
                       "Prints every problem as file:row:column and exits 2 when there are any.")
    p.add_argument("data_dir", metavar="DATA_DIR", help="folder with datapackage.json and the CSVs")
    p.set_defaults(run=_validate)

    p = sub.add_parser("synth", help="write a synthetic data package",
                       description="Write a synthetic data package calibrated to the "
                       "published figures. The same seed gives byte-identical files.")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED,
                   help=f"random seed (default {DEFAULT_SEED}, which made data_synthetic/)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write")
    p.add_argument("--scale", type=int, default=1, metavar="K",
                   help="multiply participants, papers, codes and prevalence studies by K")
    p.add_argument("--subthemes", type=int, default=None, metavar="N",
                   help="replace the meta-synthesis's themes with N invented sub-themes, ten "
                   "to a theme (a codebook of a real QDA project's size, for load tests)")
    p.set_defaults(run=_synth)

    p = sub.add_parser("build", help="execute the notebooks and build the book",
                       description="Validate the data, run every notebook with papermill "
                       "(reusing unchanged pages) and build the book into _build/html.")
    p.add_argument("--data-dir", default=None, metavar="DIR",
                   help="data package to build on (default: data_synthetic)")
    p.add_argument("--jobs", type=_positive, default=2, metavar="N",
                   help="notebooks executed at once (default 2)")
    p.add_argument("--force", action="store_true", help="re-execute every notebook")
    p.add_argument("--plain", action="store_true",
                   help="build without the speed-ups that rely on other libraries' private "
                   "internals (analysis/engine/internals.py): the same book, a little slower")
    p.add_argument("--fresh-kernels", action="store_true",
                   help="start a new kernel for every page instead of one per thread")
    p.add_argument("--build-root", type=Path, default=None, metavar="DIR",
                   help="folder that receives _build/ (default: the project folder)")
    p.add_argument("--pages", type=Path, default=None, metavar="FILE",
                   help="the pages and their parameters (default: book/pages.yml)")
    p.set_defaults(run=_build)

    p = sub.add_parser("preview", help="serve the book on localhost and rebuild on change",
                       description="Build the book, serve it on localhost and watch the "
                       "data, the pages, the templates and the analysis code: a change "
                       "rebuilds what it affects and open pages reload themselves.")
    p.add_argument("--data-dir", default=None, metavar="DIR",
                   help="data package to build on (default: data_synthetic)")
    p.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, metavar="N",
                   help="port to serve on (default 8000)")
    p.set_defaults(run=_preview)

    p = sub.add_parser("pdf", help="print the built book as one PDF (_build/pdf/book.pdf)",
                       description="Print the built book with Chromium as one PDF: a title "
                       "page (title, edition, commit, data fingerprint, the synthetic-data "
                       "notice where it applies), a table of contents with page numbers and "
                       "every chapter, with working internal links and bookmarks.")
    p.set_defaults(run=_pdf)

    p = sub.add_parser("release", help="archive the built book as releases/<version>/",
                       description="Archive the current build (HTML tarball, its SHA-256, "
                       "the book as one PDF, the manifest and every table as CSV) as "
                       "releases/<version>/.")
    p.set_defaults(run=_release)

    p = sub.add_parser("diff", help="compare two editions",
                       description="Compare two editions: a version under releases/ or "
                       "'build' for the current build. Lists the inputs that differ and "
                       "every table cell that changed.")
    p.add_argument("a", metavar="EDITION_A")
    p.add_argument("b", metavar="EDITION_B", nargs="?", default="build",
                   help="default: build (the current build)")
    p.set_defaults(run=_diff)

    p = sub.add_parser("multiverse", help="compute the multiverse of analytic choices",
                       description="Evaluate every specification declared in "
                       "book/multiverse.yml (one meta-analysis each, many at once as arrays): "
                       "in this process, or, from 300,000 specifications on or "
                       "with "
                       "--scheduler, on a Dask cluster (a local one sized to the machine, or "
                       "a running scheduler), in chunks sized from a timing. The rows stream "
                       "to multiverse_<size>.parquet (and .csv up to a spreadsheet's "
                       "1,048,575 rows) in --out; an unchanged multiverse is read back from "
                       "there. See docs/multiverse_cluster.md.")
    p.add_argument("--data-dir", default=None, metavar="DIR",
                   help="data package (default: data_synthetic)")
    p.add_argument("--choices", default=None, metavar="FILE",
                   help="declaration of the choices (default: book/multiverse.yml)")
    p.add_argument("--size", choices=COMMAND_SIZES, default="full",
                   help="the book's smaller multiverse, every option (default: full), or "
                   "every option with the declared leave-k-out and bootstrap resampling")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 "
                   "(default: this process, or a local cluster for a large multiverse)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="workers of the local cluster (default: one per core)")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="folder for multiverse_<size>.csv and .parquet "
                   "(default: _build/multiverse)")
    p.add_argument("--no-cache", action="store_true", help="recompute even when cached")
    p.set_defaults(run=_multiverse)

    p = sub.add_parser("import", help="import a QDA project, a screening export or references",
                       description="Read a file from the researcher's own tools into a data "
                       "package: merge its rows into the tables (never overwriting rows you "
                       "wrote), record the import in import_log.json and validate.")
    kinds = p.add_subparsers(dest="kind", required=True, metavar="KIND")
    q = kinds.add_parser("qdpx", help="a REFI-QDA project (.qdpx, project.qde) or codebook (.qdc)",
                         description="Codes become themes and sub-themes, sources or cases "
                         "become papers or participants, coded segments become the counts "
                         "of study_codes or participant_codes.")
    q.add_argument("file", metavar="FILE")
    q.add_argument("--data-dir", required=True, metavar="DIR",
                   help="the package folder to update (created when missing)")
    q.add_argument("--review", required=True, choices=("meta-synthesis", "interview"),
                   help="papers of a meta-synthesis or participants of an interview study")
    q.add_argument("--units", choices=("sources", "cases"), default=None,
                   help="what a paper or participant is (default: cases when the project "
                   "has cases, else sources)")
    q.add_argument("--theme-level", type=int, default=1, metavar="N",
                   help="the level of the codebook whose codes are themes; their children "
                   "are sub-themes (default 1: the top-level codes)")
    q.set_defaults(run=_import_qdpx)
    q = kinds.add_parser("screening", help="a Rayyan, ASReview or Covidence CSV export",
                         description="The PRISMA counts of one stage of screening and, at "
                         "full text, the included papers.")
    q.add_argument("file", metavar="FILE")
    q.add_argument("--data-dir", required=True, metavar="DIR")
    q.add_argument("--stage", required=True, choices=("title-abstract", "full-text"))
    q.add_argument("--identified", action="append", metavar="NAME=N",
                   help="records identified in one database (title-abstract; once per "
                   "database)")
    q.add_argument("--duplicates-removed", type=int, default=None, metavar="N")
    q.add_argument("--decision", choices=("included", "excluded"), default=None,
                   help="the decision of every record of a Covidence list")
    q.set_defaults(run=_import_screening)
    q = kinds.add_parser("references", help="a RIS or BibTeX file of the included papers",
                         description="Label, citation, first author and year of each paper "
                         "of studies.csv, matched by DOI, title, or first author and year.")
    q.add_argument("file", metavar="FILE")
    q.add_argument("--data-dir", required=True, metavar="DIR")
    q.set_defaults(run=_import_references)

    p = sub.add_parser("export", help="write the manuscript's tables as Word and Excel files",
                       description="From the last built book: the tables a manuscript needs "
                       "(sample, included papers, appraisal, GRADE-CERQual summary and "
                       "evidence profile, PRISMA counts, reporting checklists) as .docx and "
                       ".xlsx.")
    p.add_argument("--to", required=True, type=Path, metavar="DIR")
    p.add_argument("--build-root", type=Path, default=None, metavar="DIR",
                   help="folder holding _build/ (default: the project folder)")
    p.set_defaults(run=_export)

    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    handlers = {}
    if args.command == "build":
        from analysis.engine.lifetime import stop_on_signals

        handlers = stop_on_signals()  # kill (SIGTERM) stops the build as Ctrl+C does
    try:
        return args.run(args)
    except KeyboardInterrupt:
        _error("interrupted; the last good book is untouched")
        return 130
    except BrokenPipeError:
        # The reader of the output went away (`... | head`): nothing is wrong with the
        # input; stop quietly, without a second error when Python flushes at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    finally:
        if handlers:
            from analysis.engine.lifetime import restore

            restore(handlers)


if __name__ == "__main__":
    sys.exit(main())
