"""Command line: a thin layer over the Python API.

    python -m analysis init DIR [--chapters appraisal,themes,...] [--force]
    python -m analysis validate DATA_DIR
    python -m analysis synth --seed N --out DIR [--scale K]
    python -m analysis build [--data-dir DIR] [--jobs N] [--force] [--plain]
    python -m analysis preview [--data-dir DIR] [--port N]
    python -m analysis pdf
    python -m analysis release
    python -m analysis diff EDITION_A [EDITION_B]
    python -m analysis multiverse [--size full] [--scheduler tcp://HOST:PORT] [--workers N]

Exit codes: 0 success; 2 any problem with the input (the data package, book/pages.yml and
its parameters, the command line, the folders the build writes), always as a message that
says what to fix; 1 a page or the book build failed. A traceback is a bug.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from pathlib import Path

from analysis import DEFAULT_SEED, __version__


def _chapters():
    """The chapters ``init`` offers, from the pages of the book and what they need."""
    from analysis.contract.starter import chapters
    from analysis.engine.pages import load_pages

    return chapters((page.name, page.needs) for page in load_pages())


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
        print(f"init: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"init: cannot write {exc.filename or args.folder} ({exc.strerror or exc}); "
              "give a folder you may write to", file=sys.stderr)
        return 2
    n = len(made.files)
    print(f"wrote {made.descriptor} and {n} table{'s' if n != 1 else ''} with a header only:")
    width = max(len(path.name) for path in made.files)
    for table, path in zip(made.tables, made.files):
        print(f"  {path.name:<{width}}  for {', '.join(made.needed_by[table])}")
    print("next: describe your study in the \"study\" section of datapackage.json (its keys\n"
          "      are in analysis/contract/study_schema.json), add your rows to each table,\n"
          f"      then run: python -m analysis validate {args.folder}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from analysis.contract.validation import validate

    report = validate(args.data_dir)
    print(report.format(), file=sys.stdout if report.ok else sys.stderr)
    if report.ok:
        _say_chapters(Path(args.data_dir))
    return 0 if report.ok else 2


def _say_chapters(data_dir: Path) -> None:
    """Which chapters a book on this package will have, and which it leaves out."""
    import json

    from analysis.engine.pages import available_inputs, load_pages, select_pages

    descriptor = json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8-sig"))
    selection = select_pages(load_pages(), available_inputs(descriptor, data_dir))
    print(f"the book will have {len(selection.pages)} pages")
    for item in selection.left_out:
        print(f"  left out: {item.label} ({item.reason})")


def _synth(args: argparse.Namespace) -> int:
    from analysis.synth import generate

    if args.scale < 1:
        print(f"synth: --scale must be a whole number of at least 1, not {args.scale}",
              file=sys.stderr)
        return 2
    try:
        result = generate(seed=args.seed, out_dir=args.out, scale=args.scale)
    except OSError as exc:
        print(f"synth: cannot write {exc.filename or args.out} ({exc.strerror or exc}); "
              "give --out a folder you may write to", file=sys.stderr)
        return 2
    print(f"wrote {len(result.files)} files to {result.out_dir} "
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
        print(f"build failed: {exc}", file=sys.stderr)
        return 1
    except DataPackageError as exc:
        print(exc.report.format(), file=sys.stderr)
        print("The book was not rebuilt; the last good book is untouched.", file=sys.stderr)
        return 2
    except InputError as exc:
        print(f"build: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a folder the build must write or a file it must read
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"build: {where}{exc.strerror or exc}; check that the folder exists and that "
              "you may write to it, or pass --build-root DIR. The last good book is "
              "untouched.", file=sys.stderr)
        return 2
    return 0


def _preview(args: argparse.Namespace) -> int:
    from analysis.engine.preview import preview

    try:
        return preview(data_dir=args.data_dir, host=args.host, port=args.port)
    except OSError as exc:  # e.g. the port is taken
        print(f"preview: cannot serve on {args.host}:{args.port}: {exc.strerror or exc}; "
              "choose another with --port", file=sys.stderr)
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
        print(f"release: {exc}", file=sys.stderr)
        return 2
    print(f"released edition {made.version} (commit {made.commit}) in {made.folder}\n"
          f"  book.tar.gz sha256 {made.archive_sha256}\n"
          f"  book.pdf ({pdf.page_count} pages)")
    return 0


def _diff(args: argparse.Namespace) -> int:
    from analysis.engine.editions import EditionError, diff

    try:
        result = diff(args.a, args.b)
    except EditionError as exc:
        print(f"diff: {exc}", file=sys.stderr)
        return 2
    print(result.format())
    return 0


def _multiverse(args: argparse.Namespace) -> int:
    from analysis.contract.choices import ChoicesError, load_choices
    from analysis.contract.errors import DataPackageError
    from analysis.contract.validation import load_package
    from analysis.chapters.book_pages import in_book
    from analysis.stats import multiverse, multiverse_dask, multiverse_themes

    if args.workers is not None and args.workers < 1:
        print(f"multiverse: --workers must be at least 1, not {args.workers}", file=sys.stderr)
        return 2
    try:
        choices = load_choices(args.choices)
        package = load_package(args.data_dir or "data_synthetic")
        where = dict(scheduler=args.scheduler, n_workers=args.workers)
        studies = package["prevalence_studies"]
        categories = multiverse.package_categories(package)
        if args.no_cache:
            run = multiverse_dask.evaluate(studies, choices, args.size, categories=categories,
                                           **where)
        else:
            run = multiverse_dask.cached(studies, choices, args.size,
                                         categories=categories, **where)
        summary = multiverse.summarise(run.table, run.choices, args.size)
        # The theme multiverse is a few dozen recounts: computed again, not cached.
        theme_run = (multiverse_dask.evaluate_themes(package, choices, **where)
                     if choices.themes and in_book(package, "themes") else None)
    except DataPackageError as exc:
        print(exc.report.format(), file=sys.stderr)
        return 2
    except (ChoicesError, multiverse_dask.SchedulerError, ValueError) as exc:
        print(f"multiverse: {exc}", file=sys.stderr)
        return 2
    out = args.out or multiverse_dask.cache_dir()
    csv, parquet = multiverse_dask.export(run.table, out, f"multiverse_{args.size}")
    where = ("read from the cache (same data, choices and code)" if run.where == "cache"
             else f"on {run.where}, {run.n_workers} worker(s), {run.n_tasks} task(s)")
    print(f"{summary.n_specifications:,} specifications ({summary.n_pooled:,} pooled) "
          f"{where}, {run.seconds:.1f} s\n"
          f"the {summary.outcome} is below {summary.threshold:g}% in "
          f"{summary.share_below:.0f}% of {summary.n_pooled:,} specifications; the main "
          f"analysis gives {summary.main_estimate:.2f}%; the choice that moves it most: "
          f"{summary.top_choice} ({summary.top_choice_spread:.1f} percentage points)\n"
          f"wrote {csv} and {parquet}")
    if theme_run is not None:
        robust = multiverse_themes.theme_robustness(theme_run.table)
        csv, parquet = multiverse_dask.export(theme_run.table, out, "multiverse_themes")
        print(f"{theme_run.table['specification'].nunique():,} theme specifications; "
              "supported in: " + "; ".join(f"{r.theme_id} {r.share_supported:.0f}%"
                                           for r in robust.itertuples())
              + f"\nwrote {csv} and {parquet}")
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
                   help="start a new kernel for every page instead of one per worker")
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

    p = sub.add_parser("multiverse", help="compute the multiverse of analytic choices on Dask",
                       description="Evaluate every specification declared in "
                       "book/multiverse.yml (one meta-analysis each) on a local Dask "
                       "cluster sized to the machine, or on a running scheduler; write the "
                       "table as CSV and Parquet. An unchanged multiverse is read from the "
                       "cache under _build/multiverse.")
    p.add_argument("--data-dir", default=None, metavar="DIR",
                   help="data package (default: data_synthetic)")
    p.add_argument("--choices", default=None, metavar="FILE",
                   help="declaration of the choices (default: book/multiverse.yml)")
    p.add_argument("--size", choices=("book", "full"), default="full",
                   help="the book's smaller multiverse or every option (default: full)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 "
                   "(default: start a local cluster)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="workers of the local cluster (default: one per core)")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="folder for multiverse_<size>.csv and .parquet "
                   "(default: _build/multiverse)")
    p.add_argument("--no-cache", action="store_true", help="recompute even when cached")
    p.set_defaults(run=_multiverse)

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
        print("interrupted; the last good book is untouched", file=sys.stderr)
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
