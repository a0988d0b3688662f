"""Command line of the benchmark: ``python -m benchmarks`` (``make bench``)."""

from __future__ import annotations

import argparse
import sys

from benchmarks.bench import run_benchmark


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time a clean build, a no-op rebuild and a rebuild after one data file "
        "changes, at several data scales, against the floor (kernel start-ups plus "
        "jupyter-book alone). Writes _build/bench.json.")
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10, 100], metavar="K")
    parser.add_argument("--jobs", type=int, default=2, metavar="N")
    parser.add_argument("--anchor", action="store_true",
                        help="build the same pages with Jupyter Book 1's own cached execution "
                        "and compare paired clean, no-op and one-file builds, the floor and "
                        "peak memory; writes _build/bench_anchor.json")
    parser.add_argument("--repeats", type=int, default=3, metavar="N",
                        help="paired clean builds of the anchor (default 3)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="also time the multiverse on the Dask scheduler at ADDRESS")
    parser.add_argument("--multiverse-only", action="store_true",
                        help="time only the multiverse (specifications per second, serially "
                        "and on local Dask clusters); writes _build/bench_multiverse.json")
    parser.add_argument("--preview-only", action="store_true",
                        help="time only the preview: saving a data file to the new book "
                        "published, with and without its session; writes "
                        "_build/bench_preview.json")
    parser.add_argument("--subthemes", type=int, nargs="+", default=None, metavar="N",
                        help="only build packages whose codebook has N invented sub-themes "
                        "each (e.g. 0 100 1000 10000; 0 is the bundled package's own 17): build "
                        "time and page weights; writes "
                        "_build/bench_codebook.json")
    args = parser.parse_args(argv)
    if args.subthemes:
        from benchmarks import bench_codebook

        print(bench_codebook.format_report(bench_codebook.run(args.subthemes, jobs=args.jobs)))
        return 0
    if args.anchor:
        from benchmarks import bench_anchor

        print("anchor: our build and Jupyter Book 1's cached execution, paired ...")
        print(bench_anchor.format_report(bench_anchor.run(repeats=args.repeats, jobs=args.jobs)))
        return 0
    if args.preview_only:
        from benchmarks import bench_preview

        print(bench_preview.format_report(bench_preview.run()))
        return 0
    if args.multiverse_only:
        from benchmarks import bench_multiverse

        print(bench_multiverse.format_report(bench_multiverse.run(scheduler=args.scheduler)))
        return 0
    run_benchmark(scales=args.scales, jobs=args.jobs, repeats=args.repeats,
                  scheduler=args.scheduler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
