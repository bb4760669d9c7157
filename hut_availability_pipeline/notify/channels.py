"""Channels are apprise URLs (mailto://, ntfy://, json://, mqtt://, tgram://, discord://, ...):
checking that apprise understands one, and sending one message through it."""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from ..errors import HutAvailabilityError


class UnknownChannelError(HutAvailabilityError, ValueError):
    """A --notify URL that no apprise channel understands."""


@dataclass(frozen=True)
class SendResult:
    ok: bool
    error: str | None = None


def check_url(url: str) -> None:
    """Refuse a URL that no apprise channel understands, naming it (without its password)."""
    import apprise

    channel = apprise.Apprise()
    if not channel.add(url):
        raise UnknownChannelError(
            f"no notification channel understands --notify {redact(url)!r}: use an apprise URL such as"
            " mailto://user:password@example.com, ntfy://ntfy.sh/TOPIC or json://host:port/path"
        )


@functools.lru_cache(maxsize=4096)
def redact(url: str) -> str:
    """The URL as it may be shown (CLI, logs, errors, Dagster metadata): apprise's own privacy form
    (`url(privacy=True)`), which masks each channel's secrets (a Telegram bot token, a Discord
    webhook token, a password), with only the URL arguments the given URL had (apprise adds all
    its defaults). A URL no apprise channel understands shows its scheme and host only (a user's
    password masked, the path left out). The stored URL itself is never changed. Cached per URL:
    apprise takes ~0.25 ms per URL (measured 2026-12-07), so watches sharing a channel pay it once."""
    import apprise

    scheme, sep, rest = url.partition("://")
    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True) if sep else None
    if not plugin:
        return _scheme_and_host(scheme, sep, rest)
    private = str(plugin.url(privacy=True))
    base, _, query = private.partition("?")
    given = {unquote(key) for key, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)}
    kept = [(key, value) for key, value in parse_qsl(query, keep_blank_values=True) if unquote(key) in given]
    return f"{base.rstrip('/') if not kept else base}{'?' + urlencode(kept) if kept else ''}"


def _scheme_and_host(scheme: str, sep: str, rest: str) -> str:
    """`scheme://host` of a URL apprise cannot read: a password in the user part masked, no path."""
    if not sep:
        return "***"
    netloc = rest.split("/", 1)[0].split("?", 1)[0]
    userinfo, at, host = netloc.rpartition("@")
    if at and ":" in userinfo:
        netloc = f"{userinfo.split(':', 1)[0]}:***@{host}"
    hidden = "/***" if len(rest) > len(rest.split("/", 1)[0].split("?", 1)[0]) else ""
    return f"{scheme}://{netloc}{hidden}"


# apprise's generic webhooks: a URL argument `+Name=value` adds an HTTP header, `:name=value` a
# field of the JSON payload (https://github.com/caronc/apprise/wiki/Notify_Custom_JSON).
WEBHOOK_SCHEMES = frozenset({"json", "jsons", "form", "forms", "xml", "xmls"})
JSON_SCHEMES = frozenset({"json", "jsons"})
IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_FIELD = "idempotency_key"


def with_idempotency_key(url: str, idempotency_key: str) -> str:
    """The URL of a generic webhook (json://, form://, xml://) with the message's idempotency key
    as the HTTP header Idempotency-Key (and, for json://, the payload field idempotency_key);
    other URLs unchanged. The key is [a-z0-9-] only (storage/watches.py), so it needs no quoting."""
    scheme = url.partition("://")[0].lower()
    if scheme not in WEBHOOK_SCHEMES:
        return url
    base, hash_sign, fragment = url.partition("#")
    arguments = [f"+{IDEMPOTENCY_HEADER}={idempotency_key}"]
    if scheme in JSON_SCHEMES:
        arguments.append(f":{IDEMPOTENCY_FIELD}={idempotency_key}")
    return f"{base}{'&' if '?' in base else '?'}{'&'.join(arguments)}{hash_sign}{fragment}"


def send(url: str, title: str, body: str, idempotency_key: str) -> SendResult:
    """Send one message; the apprise warnings of a failure are the error. The idempotency key goes
    into the body's last line (every channel) and, for generic webhooks, into the header
    Idempotency-Key and the JSON field idempotency_key, so that a receiver can drop a message it
    has seen (a crash after a send but before it was recorded sends it again)."""
    import apprise

    channel = apprise.Apprise()
    if not channel.add(with_idempotency_key(url, idempotency_key)):
        return SendResult(False, f"no channel understands {redact(url)}")
    with apprise.LogCapture(level=logging.WARNING) as captured:
        ok = bool(channel.notify(body=f"{body}\n\n[{idempotency_key}]", title=title))
    if ok:
        return SendResult(True)
    text = captured.getvalue().strip() if hasattr(captured, "getvalue") else ""
    lines = [line.split(" - ", 2)[-1] for line in text.splitlines() if line.strip()]
    return SendResult(False, scrub("; ".join(lines), url) or f"apprise could not deliver to {redact(url)}")


def scrub(text: str, url: str) -> str:
    """`text` (an error of apprise) without the secrets of `url`: the URL itself becomes its privacy
    form, and every part of it that the privacy form hides (a token, a password, a key; 4 characters
    or more) becomes ***."""
    if not text:
        return text
    shown = redact(url)
    text = text.replace(url, shown)
    parts = urlsplit(url)
    pieces = [*re.split(r"[@:]", parts.netloc), *parts.path.split("/"), *(v for _, v in parse_qsl(parts.query))]
    secrets = {p for p in pieces if len(p) >= 4 and p not in shown}
    for piece in sorted(secrets, key=len, reverse=True):
        text = text.replace(piece, "***")
    return text
