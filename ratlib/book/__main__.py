"""``python -m ratlib.book``: build the book, check it in a browser, sync install cells."""
from __future__ import annotations

import argparse
import sys

from ..paths import PROJECT_ROOT
from .profiles import PROFILES


def cmd_build(args) -> int:
    from .runner import build

    return build(args.profile, train_missing=args.train_missing)


def cmd_check(args) -> int:
    from .browser import book_pages, check_book
    from .runner import layout, toc_files

    html = layout(args.profile).html
    if not (html / "index.html").is_file():
        print(f"no built book at {html}; run `python -m ratlib.book build --profile {args.profile}` first",
              file=sys.stderr)
        return 2
    problems = check_book(html, book_pages(html, toc_files(PROJECT_ROOT / "_toc.yml")))
    if problems:
        print("\n".join(problems), file=sys.stderr)
        print(f"browser check: {len(problems)} problem(s) in {html}", file=sys.stderr)
        return 1
    print(f"browser check: every page of {html} loads cleanly")
    return 0


def cmd_sync(args) -> int:
    from .colab import repository_url, stale_install_cells, sync_install_cells
    from .runner import chapter_notebooks

    notebooks = [PROJECT_ROOT / nb for nb in chapter_notebooks()]
    if args.url:
        from .colab import set_repository_url

        set_repository_url(args.url)
        print(f"_config.yml: repository.url = {args.url}")
    url = repository_url()
    if args.check:
        stale = stale_install_cells(notebooks, url)
        for path in stale:
            print(f"{path}: install cell does not match _config.yml (run `python -m ratlib.book sync`)",
                  file=sys.stderr)
        return 1 if stale else 0
    for path in sync_install_cells(notebooks, url):
        print(f"rewrote the install cell of {path}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ratlib.book", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build", help="execute every chapter with papermill, then render the HTML")
    p.add_argument("--profile", choices=PROFILES, default="cpu")
    p.add_argument("--train-missing", action="store_true",
                   help="compute results that are not stored (default: stop and list them; hours of training)")
    p.set_defaults(run=cmd_build)
    p = sub.add_parser("check", help="load every page of a built book in headless Chromium")
    p.add_argument("--profile", choices=PROFILES, default="cpu")
    p.set_defaults(run=cmd_check)
    p = sub.add_parser("sync", help="rewrite the notebooks' install cells from _config.yml")
    p.add_argument("--url", default=None,
                   help="first set repository.url in _config.yml to this https:// URL (publishing the book)")
    p.add_argument("--check", action="store_true", help="only report notebooks that are out of date")
    p.set_defaults(run=cmd_sync)
    args = parser.parse_args(argv)
    if getattr(args, "url", None) and args.check:
        parser.error("--url changes _config.yml; --check changes nothing: use one of them")
    try:
        return args.run(args)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
