"""The pages' files as served: versioned URLs, long-lived caching, gzip, modulepreload.

- **Versioned URLs.** Every page links its CSS, scripts and images under
  ``/static/v/<version>/…``, where ``<version>`` is a hash of everything under ``web/``
  (and of the socket.io client). Those responses are cached for a year (``immutable``);
  a changed file changes the version, hence every URL, so a browser never runs a stale
  mix. Relative module imports stay inside the versioned folder by themselves; absolute
  ``/static/``, ``/vendor/socket.io/`` and ``/vendor/hls.js/`` references in the served
  files are rewritten to
  their versioned form. Pages themselves (and unversioned ``/static/…``) are ``no-cache``
  with an ETag: one small revalidation.
- **No module waterfall.** Each page gets ``<link rel="modulepreload">`` for the whole
  static import graph of its module scripts, so the browser fetches every module at once
  after the HTML instead of discovering them import by import. (Measured in
  docs/performance.md, "Pages"; a bundler would save a few requests more, not worth a
  build step.)
- **Compression.** Text files are served gzip-compressed to clients that accept it
  (computed once per file version, kept in memory; ``web/`` is about 0.5 MB).

Nothing is written to disk; the version follows the files' sizes and mtimes, so editing
a file while the server runs takes effect at the next page load.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

STATIC = "/static/"
VENDOR = "/vendor/socket.io/"
VENDOR_HLS = "/vendor/hls.js/"  # hls.js: the watch page's HLS player, loaded when needed
YEAR = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
COMPRESSIBLE = {".js", ".mjs", ".css", ".html", ".svg", ".json", ".txt", ".map"}
MIN_COMPRESS = 512
RECHECK_SECONDS = 1.0  # how often the files' sizes and mtimes are looked at again
PRIVATE_DIRS = frozenset({"node_modules"})
PRIVATE_FILES = frozenset({"package.json", "package-lock.json"})

# import x from "spec"; import "spec"; export … from "spec"
IMPORT_RE = re.compile(
    r"""(?:^|[;\s])(?:import|export)\s*(?:[^'"();]*?\sfrom\s*)?["']([^"']+)["']""", re.M
)
MODULE_SCRIPT_RE = re.compile(r"""<script\s+type="module"\s+src="([^"]+)"\s*>""")
# an absolute reference to a file of ours inside a string or url( ): "/static/…" `/static/…`
ABSOLUTE_RE = re.compile(
    r"""(["'`(])(/static/(?!v/)|/vendor/socket\.io/|/vendor/hls\.js/)([^"'`)\s?#]*)"""
)


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    etag: str
    content_type: str


def content_type_of(name: str) -> str:
    if name.endswith((".js", ".mjs")):
        return "text/javascript; charset=utf-8"
    guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if guessed.startswith("text/") or guessed in ("image/svg+xml", "application/json"):
        guessed += "; charset=utf-8"
    return guessed


def servable(rel: str) -> bool:
    parts = PurePosixPath(rel).parts
    if not parts or any(p.startswith(".") or p in PRIVATE_DIRS for p in parts):
        return False
    return parts[-1] not in PRIVATE_FILES and not parts[-1].endswith(".map")


class Assets:
    """The files of ``web/`` (and the socket.io client's dist) as served."""

    def __init__(self, root: Path, vendor: Path, hls_vendor: Path | None = None):
        self.root = root.resolve()
        self.vendor = vendor
        self.hls_vendor = hls_vendor
        self._lock = threading.Lock()
        self._signature: tuple | None = None
        self._version = ""
        self._checked_at = -RECHECK_SECONDS
        self._cache: dict[tuple, Asset] = {}
        self._graphs: dict[tuple[str, str], list[str]] = {}

    # the version: a hash of every file's content, recomputed when a size or mtime changes
    def _walk(self) -> list[tuple[str, Path]]:
        found = []
        for path in sorted(self.root.rglob("*")):
            rel = path.relative_to(self.root).as_posix()
            if path.is_file() and servable(rel):
                found.append((rel, path))
        return found

    def version(self) -> str:
        if time.monotonic() - self._checked_at < RECHECK_SECONDS and self._version:
            return self._version
        self._checked_at = time.monotonic()
        files = self._walk()
        vendor = sorted(p for p in self.vendor.glob("*.js")) if self.vendor.is_dir() else []
        if self.hls_vendor is not None and self.hls_vendor.is_dir():
            vendor += sorted(self.hls_vendor.glob("*.mjs"))
        signature = tuple(
            (rel, st.st_size, st.st_mtime_ns)
            for rel, st in [(r, p.stat()) for r, p in files] + [(p.name, p.stat()) for p in vendor]
        )
        with self._lock:
            if signature == self._signature:
                return self._version
            digest = hashlib.sha256()
            for rel, path in files:
                digest.update(rel.encode() + b"\0" + path.read_bytes() + b"\0")
            for path in vendor:
                digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
            self._signature, self._version = signature, digest.hexdigest()[:12]
            self._cache.clear()
            self._graphs.clear()
            return self._version

    def static_url(self, rel: str) -> str:
        return f"{STATIC}v/{self.version()}/{rel}"

    # serving
    def path_of(self, rel: str) -> Path | None:
        if not servable(rel):
            return None
        path = (self.root / rel).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        return path

    def rewrite(self, text: str) -> str:
        """Absolute ``/static/…`` and ``/vendor/socket.io/…`` references, versioned."""
        version = self.version()

        def versioned(m: re.Match) -> str:
            quote, prefix, rest = m.groups()
            if prefix in (VENDOR, VENDOR_HLS):
                return f"{quote}{prefix}{rest}?v={version}"
            return f"{quote}{STATIC}v/{version}/{rest}"

        return ABSOLUTE_RE.sub(versioned, text)

    def _make(self, body: bytes, name: str) -> Asset:
        content_type = content_type_of(name)
        gzipped = None
        if PurePosixPath(name).suffix in COMPRESSIBLE and len(body) >= MIN_COMPRESS:
            gzipped = gzip.compress(body, compresslevel=9, mtime=0)
            if len(gzipped) >= len(body):
                gzipped = None
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        return Asset(body, gzipped, etag, content_type)

    def file(self, path: Path, *, rewrite: bool = True) -> Asset:
        """A file as served (our text files with their references versioned)."""
        stat = path.stat()
        key = ("file", str(path), stat.st_size, stat.st_mtime_ns, self.version())
        asset = self._cache.get(key)
        if asset is None:
            body = path.read_bytes()
            if rewrite and path.suffix in (".js", ".mjs", ".css", ".html"):
                body = self.rewrite(body.decode("utf-8")).encode("utf-8")
            asset = self._cache[key] = self._make(body, path.name)
        return asset

    # pages
    def module_graph(self, entry: str) -> list[str]:
        """Every module the page's ``entry`` (a /static/ or /vendor/ URL path) imports,
        directly or not, as URL paths (unversioned), in discovery order."""
        version = self.version()
        cached = self._graphs.get((entry, version))
        if cached is not None:
            return cached
        seen: list[str] = []
        todo = [entry]
        while todo:
            url = todo.pop(0)
            if url in seen:
                continue
            seen.append(url)
            source = self._module_source(url)
            if source is None:
                continue
            for spec in IMPORT_RE.findall(source):
                if spec.startswith(("./", "../")):
                    target = (PurePosixPath(url).parent / spec).as_posix()
                    target = str(PurePosixPath(*_normalize(PurePosixPath(target).parts)))
                elif spec.startswith("/"):
                    target = spec
                else:
                    continue  # a bare name: not ours to preload
                todo.append(target.split("?", 1)[0])
        graph = [u for u in seen if u != entry]
        self._graphs[(entry, version)] = graph
        return graph

    def _module_source(self, url: str) -> str | None:
        if url.startswith(STATIC):
            path = self.path_of(url[len(STATIC) :])
        elif url.startswith(VENDOR):
            path = self.vendor / url[len(VENDOR) :]
            path = path if path.is_file() else None
        else:
            return None
        return path.read_text("utf-8") if path is not None else None

    def page(self, path: Path) -> Asset:
        """An HTML page with versioned links, a favicon and modulepreload links."""
        stat = path.stat()
        version = self.version()
        key = ("page", str(path), stat.st_size, stat.st_mtime_ns, version)
        asset = self._cache.get(key)
        if asset is not None:
            return asset
        html = path.read_text("utf-8")
        preload = []
        for entry in MODULE_SCRIPT_RE.findall(html):
            for url in self.module_graph(entry.split("?", 1)[0]):
                preload.append(url)
        head = []
        if 'rel="icon"' not in html:
            head.append('<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">')
            head.append('<link rel="apple-touch-icon" href="/static/img/apple-touch-icon.png">')
        head += [f'<link rel="modulepreload" href="{url}">' for url in dict.fromkeys(preload)]
        if head:
            html = html.replace("</head>", "\n".join(head) + "\n</head>", 1)
        body = self.rewrite(html).encode("utf-8")
        asset = self._cache[key] = self._make(body, path.name)
        return asset


def _normalize(parts: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for part in parts:
        if part == "..":
            if len(out) > 1:
                out.pop()
        elif part != ".":
            out.append(part)
    return out
