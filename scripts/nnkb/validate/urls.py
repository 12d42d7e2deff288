"""URL fields of KB entries: where they are and what is wrong with one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from ..yamlsafe import Pointer
from .wording import show

URL_FIELDS = ("url", "website")


def url_fields(data: Any, prefix: Pointer = ()) -> Iterator[tuple[Pointer, str]]:
    """(pointer, URL) for every `url` or `website` string anywhere in `data`."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in URL_FIELDS and isinstance(value, str):
                yield prefix + (key,), value
            else:
                yield from url_fields(value, prefix + (key,))
    elif isinstance(data, list):
        for i, item in enumerate(data):
            yield from url_fields(item, prefix + (i,))


def url_problem(url: str) -> str | None:
    """What is wrong with a source URL, or None if it is a well-formed http(s) URL."""
    expected = "expected http:// or https://, a host name like example.org, no spaces"
    if any(ch.isspace() for ch in url):
        return f"malformed URL {show(url)}: it contains a space; {expected}"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return f"malformed URL {show(url)}: {expected}"
    try:
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        return f"malformed URL {show(url)} ({exc}); {expected}"
    labels = host.split(".")
    if host != "localhost" and (len(labels) < 2 or not all(labels)):
        return f"malformed URL {show(url)}: host {show(host)} is not a domain; {expected}"
    return None
