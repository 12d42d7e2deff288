"""Downloading a pinned model file into the store: resumable, bounded, verified.

- Only http and https are followed, at every redirect hop.
- Bounded: the download stops once it has more bytes than the KB declares (`onnx.size`, or
  MAX_BYTES where no size is declared) and once the whole file has taken longer than its
  deadline (DEADLINE_SECONDS by default), checked between reads so a server that sends a byte
  every few seconds cannot hold it past the deadline.
- Resumable: the bytes received so far are kept in the store's partial folder; the next
  fetch asks for the rest with an HTTP Range request (a server that ignores it sends the
  whole file again, which then replaces the partial one).
- Verified: the file enters the store only when its sha256 is the pinned one; a mismatch
  discards the partial file, since resuming it again would give the same wrong bytes.
"""

from __future__ import annotations

import hashlib
import http.client
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

from .store import ModelStore

SCHEMES = ("http", "https")
READ_TIMEOUT_SECONDS = 60  # one read of the socket
DEADLINE_SECONDS = 1800.0  # one whole file
MAX_BYTES = 2 * 1024**3  # where the KB declares no size
_CHUNK = 1 << 20

Progress = Callable[[int, int | None], None]  # (bytes so far, total or None)


class DownloadError(Exception):
    """A download that did not give the pinned file; the message is one line for the user."""


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to http(s). urllib's own rule also lets ftp:// through."""

    def http_error_302(self, req: Any, fp: Any, code: int, msg: str, headers: Any) -> Any:
        target = headers.get("location") or headers.get("uri")
        if target is not None:
            final = urljoin(req.full_url, target)
            if urlparse(final).scheme not in SCHEMES:
                fp.close()
                raise DownloadError(
                    f"{req.full_url} redirects to {final}, which is not an http(s) URL; only "
                    "http and https are followed"
                )
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def _open(url: str, offset: int) -> Any:
    request = urllib.request.Request(url, headers={"User-Agent": "nnkb-models-fetch"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    opener = urllib.request.build_opener(_HttpOnlyRedirects)
    return opener.open(request, timeout=READ_TIMEOUT_SECONDS)


def _hash_of(path: Path) -> Any:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    return digest


def fetch(
    store: ModelStore,
    url: str,
    sha256: str,
    size: int | None,
    deadline_s: float = DEADLINE_SECONDS,
    progress: Progress | None = None,
) -> Path:
    """Download `url` into `store` unless a file with `sha256` is there; return its path."""
    found = store.find(sha256)
    if found is not None:
        return found
    if urlparse(url).scheme not in SCHEMES:
        raise DownloadError(f"{url!r} is not an http(s) URL")
    cap = size if size is not None else MAX_BYTES
    partial = store.partial_for(sha256)
    partial.parent.mkdir(parents=True, exist_ok=True)
    offset = partial.stat().st_size if partial.is_file() else 0
    if offset > cap:
        partial.unlink()
        offset = 0
    started = time.monotonic()
    try:
        response = _open(url, offset) if offset < cap else None
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:  # the partial file is already whole
            response = None
        else:
            raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise DownloadError(f"{url}: {exc.reason}") from None
    except (TimeoutError, OSError) as exc:
        raise DownloadError(f"{url}: {exc.strerror or type(exc).__name__}") from None
    if response is not None:
        with response:
            if offset and response.status != 206:  # the server sent the whole file again
                offset = 0
            _receive(response, partial, offset, cap, started + deadline_s, url, progress)
    if _hash_of(partial).hexdigest() != sha256:
        got = partial.stat().st_size
        partial.unlink(missing_ok=True)
        expected = f"{size:,} bytes expected" if size is not None else "no size declared"
        raise DownloadError(
            f"{url}: the downloaded file does not match its sha256 pin ({got:,} bytes "
            f"received, {expected}); nothing was stored"
        )
    return store.adopt(partial, sha256)


def _receive(
    response: Any,
    partial: Path,
    offset: int,
    cap: int,
    deadline: float,
    url: str,
    progress: Progress | None,
) -> None:
    length = response.headers.get("Content-Length")
    total = offset + int(length) if length and length.isdigit() else None
    if total is not None and total > cap:
        raise DownloadError(
            f"{url}: the server announces {total:,} bytes, more than the {cap:,} the KB "
            "declares; nothing was stored"
        )
    received = offset
    with open(partial, "ab" if offset else "wb") as out:
        while True:
            try:
                block = response.read1(_CHUNK)
            except (TimeoutError, OSError, http.client.HTTPException) as exc:
                cause = getattr(exc, "strerror", None) or type(exc).__name__
                raise DownloadError(
                    f"{url}: {cause} after {received:,} bytes; run the fetch again to resume"
                ) from None
            if not block:
                break
            received += len(block)
            if received > cap:
                out.close()
                partial.unlink(missing_ok=True)
                raise DownloadError(
                    f"{url}: more than the {cap:,} bytes the KB declares; stopped and discarded"
                )
            out.write(block)
            if progress is not None:
                progress(received, total)
            if time.monotonic() > deadline:
                raise DownloadError(
                    f"{url}: stopped at the deadline after {received:,} bytes; run the fetch "
                    "again to resume it (or give a longer --deadline)"
                )
    if total is not None and received < total:
        raise DownloadError(
            f"{url}: the connection closed after {received:,} of {total:,} bytes; run the "
            "fetch again to resume"
        )
