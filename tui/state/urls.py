"""A URL's host and port, parsed in one place (the watched server's, Open WebUI's embedding URL)."""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


def _port(parts: SplitResult, default: int | None) -> int | None:
    return parts.port or DEFAULT_PORTS.get(parts.scheme, default)


def url_port(url: str) -> int:
    """The port of the watched server's URL (http or https, checked by the config): the scheme's default
    when none is written."""
    return _port(urlsplit(url), 80) or 80


def host_port(url: str) -> tuple[str, int | None] | None:
    """(lower-case host, port) of any URL: the scheme's default port when none is written, None for a scheme
    other than http(s); None for a URL without a host or with a bad port."""
    try:
        parts = urlsplit(url)
        port = _port(parts, None)
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return parts.hostname.lower(), port
