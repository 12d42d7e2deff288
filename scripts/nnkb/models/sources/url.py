"""source: url -- downloaded once into the cache, kept only if its sha256 is the pinned one.

Only http and https are fetched, at every hop: a redirect to any other scheme (ftp://,
file://) is refused with the URL it pointed to.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

from ...kb import OnnxSpec
from ._common import FILE_MODE, ModelSourceError, sha256_file

TIMEOUT_SECONDS = 60
SCHEMES = ("http", "https")
_CHUNK = 1 << 20


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to http(s). urllib's own rule also lets ftp:// through."""

    def http_error_302(self, req: Any, fp: Any, code: int, msg: str, headers: Any) -> Any:
        target = headers.get("location") or headers.get("uri")
        if target is not None:
            final = urljoin(req.full_url, target)
            if urlparse(final).scheme not in SCHEMES:
                fp.close()
                raise ModelSourceError(
                    f"onnx.url: {req.full_url} redirects to {final}, which is not an http(s) "
                    "URL; only http and https are followed"
                )
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(_HttpOnlyRedirects)


def _cached_path(spec: OnnxSpec, cache_dir: Path) -> Path:
    name = Path(urlparse(spec.url or "").path).name or "model.onnx"
    # Keyed by the pinned hash: a new pin downloads anew, the same pin reuses the file.
    return cache_dir / "url" / f"{(spec.sha256 or '')[:16]}-{name}"


def load(spec: OnnxSpec, cache_dir: Path, repo_root: Path) -> Path:
    url, expected = spec.url or "", spec.sha256 or ""
    if urlparse(url).scheme not in SCHEMES:
        raise ModelSourceError(f"onnx.url: {url!r} is not an http(s) URL")
    path = _cached_path(spec, cache_dir)
    if path.is_file():
        if sha256_file(path) == expected:
            return path
        path.unlink()  # damaged or stale: fetch again
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out, _opener().open(url, timeout=TIMEOUT_SECONDS) as r:
            while chunk := r.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
    except urllib.error.HTTPError as exc:
        tmp.unlink(missing_ok=True)
        raise ModelSourceError(
            f"onnx.url: downloading {url} failed: HTTP {exc.code} {exc.reason}"
        ) from None
    except urllib.error.URLError as exc:
        tmp.unlink(missing_ok=True)
        raise ModelSourceError(f"onnx.url: downloading {url} failed: {exc.reason}") from None
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        # strerror only: the exception's text would name the cache file's absolute path.
        cause = exc.strerror or type(exc).__name__
        raise ModelSourceError(f"onnx.url: downloading {url} failed: {cause}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if digest.hexdigest() != expected:
        tmp.unlink(missing_ok=True)
        raise ModelSourceError(
            f"onnx.sha256: refusing {url}: the downloaded file does not match its sha256 pin"
        )
    os.chmod(tmp, FILE_MODE)
    os.replace(tmp, path)
    return path
