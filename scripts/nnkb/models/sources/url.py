"""source: url -- downloaded once into the cache, kept only if its sha256 is the pinned one."""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from ...kb import OnnxSpec
from ._common import FILE_MODE, ModelSourceError, sha256_file

TIMEOUT_SECONDS = 60
_CHUNK = 1 << 20


def _cached_path(spec: OnnxSpec, cache_dir: Path) -> Path:
    name = Path(urlparse(spec.url or "").path).name or "model.onnx"
    # Keyed by the pinned hash: a new pin downloads anew, the same pin reuses the file.
    return cache_dir / "url" / f"{(spec.sha256 or '')[:16]}-{name}"


def load(spec: OnnxSpec, cache_dir: Path) -> Path:
    url, expected = spec.url or "", spec.sha256 or ""
    if urlparse(url).scheme not in ("http", "https"):
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
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as r:
            while chunk := r.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
    except urllib.error.HTTPError as exc:
        tmp.unlink(missing_ok=True)
        raise ModelSourceError(
            f"onnx.url: downloading {url} failed: HTTP {exc.code} {exc.reason}"
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        tmp.unlink(missing_ok=True)
        reason = getattr(exc, "reason", exc)
        raise ModelSourceError(f"onnx.url: downloading {url} failed: {reason}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    actual = digest.hexdigest()
    if actual != expected:
        tmp.unlink(missing_ok=True)
        raise ModelSourceError(
            f"onnx.sha256: refusing {url}: expected sha256 {expected}, downloaded file has {actual}"
        )
    os.chmod(tmp, FILE_MODE)
    os.replace(tmp, path)
    return path
