"""Check the built book in a real browser (headless Chromium, nothing else).

The HTML folder is served on 127.0.0.1 by a small threaded server that
records every request. Chromium loads each page with ``--dump-dom`` (the
DOM after the page's scripts ran). A page fails when:

* Chromium cannot load it, or the DOM has no article content;
* any request the page made to the book's server failed (missing image,
  stylesheet, script: status >= 400);
* an image, link, stylesheet or script in the DOM points to a file of the
  book that does not exist, or a ``#fragment`` names no element of its
  target page (links are checked even when the browser did not follow them);
* an image, script or stylesheet comes from outside the book (a reader
  offline would miss it);
* the page shows a Python traceback (an error output of an executed cell).

Needs the ``chromium`` binary (Debian: ``apt-get install -y chromium``;
``make browser`` installs it).
"""
from __future__ import annotations

import functools
import html.parser
import posixpath
import re
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync")
TRACEBACK_MARKERS = ("Traceback (most recent call last)",)
# The book theme's container of a page's content.
ARTICLE_CLASS = "bd-article"
# Requests a browser makes on its own, whatever the page says.
IGNORED_REQUESTS = ("/favicon.ico",)
_REFRESH = re.compile(r'<meta[^>]+http-equiv="?refresh"?[^>]+url=([^"\'>]+)', re.IGNORECASE)


def find_chromium() -> str:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    raise FileNotFoundError("no Chromium found (tried " + ", ".join(CHROMIUM_NAMES) + "); on Debian: "
                            "apt-get update && apt-get install -y chromium (or `make browser`)")


# ---------------------------------------------------------------- serving

class _RecordingHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # quiet; requests are recorded instead
        pass

    def log_request(self, code="-", size="-"):
        self.server.requests.append((self.path, int(code) if str(code).isdigit() else 0))


@dataclass
class BookServer:
    """The HTML folder on http://127.0.0.1:<port>/, recording (path, status) of each request."""

    root: Path
    requests: list = field(default_factory=list)

    def __enter__(self) -> "BookServer":
        handler = functools.partial(_RecordingHandler, directory=str(self.root))
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.requests = self.requests
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/"

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def dump_dom(chromium: str, url: str, timeout: float = 90.0) -> str:
    """The DOM of ``url`` after load, from a fresh headless Chromium profile."""
    with tempfile.TemporaryDirectory(prefix="ratlib-chromium-") as profile:
        # The virtual time budget lets the page's scripts and timers settle before the dump.
        cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=5000",
               "--dump-dom", url]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0 or not proc.stdout.strip():
        tail = proc.stderr.strip().splitlines()[-3:]
        raise RuntimeError(f"chromium could not load {url} (exit {proc.returncode}): {' | '.join(tail)}")
    return proc.stdout


# ---------------------------------------------------------------- reading a page

class _PageParser(html.parser.HTMLParser):
    """References (tag, attribute, url), element ids, class names and text of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.refs: list[tuple[str, str]] = []   # (kind, url)
        self.ids: set[str] = set()
        self.classes: set[str] = set()
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("name"):
            self.ids.add(a["name"])
        self.classes.update((a.get("class") or "").split())
        if tag == "img" and a.get("src") is not None:
            self.refs.append(("image", a["src"]))
        elif tag == "a" and a.get("href"):
            self.refs.append(("link", a["href"]))
        elif tag == "link" and a.get("href") and "stylesheet" in (a.get("rel") or ""):
            self.refs.append(("stylesheet", a["href"]))
        elif tag == "script" and a.get("src"):
            self.refs.append(("script", a["src"]))
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def parse_page(text: str) -> _PageParser:
    parser = _PageParser()
    parser.feed(text)
    parser.close()
    return parser


@functools.lru_cache(maxsize=256)
def _ids_of(path: Path, mtime_ns: int) -> frozenset:
    return frozenset(parse_page(path.read_text(encoding="utf-8", errors="replace")).ids)


def _internal_target(page: str, url: str) -> tuple[str, str] | None:
    """(book-relative path, fragment) of a reference, or None when it leaves the book."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith(("mailto:", "javascript:", "data:")):
        return None
    if not parts.path:  # "#fragment" on the same page
        return page, unquote(parts.fragment)
    target = posixpath.normpath(posixpath.join(posixpath.dirname(page), unquote(parts.path)))
    return target, unquote(parts.fragment)


def page_problems(html_root: Path, page: str, dom: str) -> list[str]:
    """What is wrong with one page of the book, given its rendered DOM (empty list = fine)."""
    parsed = parse_page(dom)
    problems = []
    text = " ".join(parsed.text)
    if ARTICLE_CLASS not in parsed.classes:
        problems.append(f"{page}: no element of class {ARTICLE_CLASS!r} (did the page load?)")
    for marker in TRACEBACK_MARKERS:
        if marker in text:
            problems.append(f"{page}: shows a Python traceback ({marker!r})")
    if "traceback" in parsed.classes:
        problems.append(f"{page}: has an error output (an element of class 'traceback')")
    for kind, url in parsed.refs:
        target = _internal_target(page, url)
        if target is None:
            if kind in ("image", "script", "stylesheet") and not url.startswith("data:"):
                problems.append(f"{page}: {kind} loaded from outside the book (missing offline): {url}")
            continue
        path, fragment = target
        if path.startswith(".."):
            problems.append(f"{page}: {kind} {url!r} points outside the book")
            continue
        file = html_root / path
        if file.is_dir():
            file = file / "index.html"
        if not file.is_file():
            problems.append(f"{page}: broken {kind} {url!r} (no file {path})")
        elif kind == "image" and file.stat().st_size == 0:
            problems.append(f"{page}: image {url!r} is an empty file")
        elif fragment and file.suffix == ".html" and fragment not in _ids_of(file, file.stat().st_mtime_ns):
            problems.append(f"{page}: broken {kind} {url!r} (no element id {fragment!r} in {path})")
    return problems


def redirect_target(html_root: Path, page: str) -> str | None:
    """The page a meta-refresh stub (Jupyter Book's index.html) sends the reader to, else None."""
    head = (html_root / page).read_text(encoding="utf-8", errors="replace")[:2000]
    match = _REFRESH.search(head)
    if not match:
        return None
    target = _internal_target(page, match.group(1).strip())
    return target[0] if target else None


def check_book(html_root: str | Path, pages: list[str], chromium: str | None = None,
               log=print) -> list[str]:
    """Load every page in Chromium; every problem found, as readable lines (empty = pass)."""
    html_root = Path(html_root)
    chromium = chromium or find_chromium()
    problems = []
    seen: set[str] = set()
    with BookServer(html_root) as server:
        for page in pages:
            if not (html_root / page).is_file():
                problems.append(f"{page}: not in the built book ({html_root / page} is missing)")
                continue
            target = redirect_target(html_root, page)
            if target is not None:
                if not (html_root / target).is_file():
                    problems.append(f"{page}: redirects to {target}, which is not in the built book")
                    continue
                log(f"browser check {page}: redirects to {target}")
                page = target
            if page in seen:
                continue
            seen.add(page)
            first = len(server.requests)
            try:
                dom = dump_dom(chromium, server.base + page)
            except (RuntimeError, subprocess.TimeoutExpired) as err:
                problems.append(f"{page}: {err}")
                continue
            found = page_problems(html_root, page, dom)
            for path, status in server.requests[first:]:
                if status >= 400 and path not in IGNORED_REQUESTS:
                    found.append(f"{page}: the browser's request for {path} failed with HTTP {status}")
            found = list(dict.fromkeys(found))  # a link repeated in the navigation is reported once
            log(f"browser check {page}: {'ok' if not found else f'{len(found)} problem(s)'}")
            problems.extend(found)
    return problems


def book_pages(html_root: Path, toc_entries: list[str]) -> list[str]:
    """The front page and one HTML page per table-of-contents entry."""
    return ["index.html"] + [f"{entry}.html" for entry in toc_entries]

