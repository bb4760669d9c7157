"""E-mail alerts without an account (docs/email-alerts.md): the form's submission, the
confirmation and the unsubscribe pages. Thin: parse, check, call storage/subscriptions.py, render.

- `POST /alerts` (the form of templates/alert_form.html): checks the CSRF token, the address, the
  huts and nights, stores a pending watch and queues its confirmation e-mail (storage), and sends
  it right after answering (the outbox keeps and retries it should that fail). The answer is the
  same whether the address is known or not; over a rate limit it is 429 and nothing is sent.
- `GET /alerts/confirm/{token}` shows one button; its `POST` activates the watch (a mail scanner
  that opens every link activates nothing); from then on the watch is evaluated after each refresh
  like any other, and tells of places that free up after it was made (domain/watches.py).
- `GET /alerts/unsubscribe/{token}` shows one button; a `POST` to the same link deletes the watch
  (and the address with its last watch): the button, and RFC 8058's one-click POST of a mail
  program (no cookie, no CSRF token: the link's secret token is the authority).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from urllib.parse import parse_qs

from fastapi import APIRouter, BackgroundTasks, FastAPI, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from ..config import Settings
from ..domain.dates import today_in
from ..domain.watches import WatchKind, WatchSpec
from ..errors import HutAvailabilityError
from ..notify.delivery import deliver_due
from ..notify.mail import MailServer
from ..storage.database import Database
from ..storage.read_models import UnknownHutError
from ..storage.subscriptions import (
    ADDRESS_LIMIT,
    CLIENT_LIMIT,
    InvalidAddressError,
    PendingWatch,
    Refusal,
    confirm,
    normalize_address,
    pending_watch,
    subscribe,
    subscribed_watch,
    unsubscribe,
)
from ..storage.watches import hut_ids_by_slug
from . import csrf
from .pages import _page

router = APIRouter(include_in_schema=False)

MAX_FORM_BYTES = 4096
MAX_HUTS = 60
MAX_DAYS_AHEAD = 730  # no booking system sells nights two years ahead
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
SENT = (
    "Thank you. If this address can receive e-mail, a confirmation e-mail is on its way to it. The alert starts once"
    " you open the link in that e-mail and press its button; unconfirmed, the request is deleted after a day."
)
REFUSED = {
    Refusal.address: f"This address has {ADDRESS_LIMIT} unconfirmed requests in the last hour: confirm one of"
    " them, or try again in an hour. Nothing was sent.",
    Refusal.client: f"{CLIENT_LIMIT} requests came from your network in the last hour: try again in an hour."
    " Nothing was sent.",
}


class FormError(HutAvailabilityError, ValueError):
    """A submission that cannot be taken, with the status of the answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _answer(
    request: Request, status: int, title: str, message: str, action: str | None = None, button: str = ""
) -> HTMLResponse:
    page = _page(
        request,
        "alert_answer.html",
        status,
        title=title,
        message=message,
        action=action,
        button=button,
        failed=status >= 400,
    )
    page.headers["Cache-Control"] = "no-store"
    return page


def _server(settings: Settings) -> MailServer | None:
    return MailServer.of(settings.smtp_url, settings.mail_from, settings.public_url)


def _client_key(request: Request) -> str:
    """A keyed hash of the client's network address (the key is the app's, made at its start):
    enough to count its requests, not to find the address again."""
    key: bytes = request.app.state.client_key
    host = request.client.host if request.client else "unknown"
    return hmac.new(key, host.encode(), hashlib.sha256).hexdigest()[:32]


def _date(form: dict[str, str], name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(form.get(name, ""))
    except ValueError:
        raise FormError(400, f"the form's {name!r} date {form.get(name, '')!r} is not a date (YYYY-MM-DD)") from None


def _spec(db: Database, form: dict[str, str], today: dt.date) -> WatchSpec:
    slugs = [s for s in form.get("huts", "").split(",") if s]
    if not 1 <= len(slugs) <= MAX_HUTS:
        raise FormError(400, f"the form names {len(slugs)} huts: it needs 1 to {MAX_HUTS}")
    try:
        party = int(form.get("party", ""))
    except ValueError:
        raise FormError(400, f"party size {form.get('party', '')!r} is not a whole number") from None
    if not 1 <= party <= 500:
        raise FormError(400, f"party size must be between 1 and 500, got {party}")
    date_from, date_to = _date(form, "from"), _date(form, "to")
    if date_to < today:
        raise FormError(400, f"the night {date_to.isoformat()} has passed: there is nothing to watch")
    if (date_to - today).days > MAX_DAYS_AHEAD:
        raise FormError(400, f"the night {date_to.isoformat()} is more than {MAX_DAYS_AHEAD} days ahead")
    with db.connect() as conn:
        try:
            hut_ids = hut_ids_by_slug(conn, slugs)
        except UnknownHutError as exc:
            raise FormError(400, str(exc).split(" (")[0]) from None
    kind = WatchKind.hut if len(hut_ids) == 1 else WatchKind.tour
    try:
        return WatchSpec(kind, tuple(hut_ids), max(date_from, today), date_to, 1, party)
    except ValueError as exc:
        raise FormError(400, str(exc).replace("--beds", "party size").replace("--", "")) from None


def _describe(watch: PendingWatch | WatchSpec, hut_names: list[str]) -> str:
    dates = (
        f"the night of {watch.date_from.isoformat()}"
        if watch.date_from == watch.date_to
        else f"a night from {watch.date_from.isoformat()} to {watch.date_to.isoformat()}"
    )
    if len(hut_names) > 1:
        return f"{watch.beds} place(s) on the tour {' → '.join(hut_names)} starting on {dates}"
    return f"{watch.beds} place(s) at {hut_names[0]} on {dates}"


@router.post("/alerts", response_class=HTMLResponse)
async def submit(request: Request, background: BackgroundTasks) -> HTMLResponse:
    """Take the form: a pending watch and its confirmation e-mail, or a clear refusal."""
    settings: Settings = request.app.state.settings
    server = _server(settings)
    if server is None:
        return _answer(request, 404, "Not offered", "E-mail alerts are not offered on this server.")
    declared = request.headers.get("content-length", "0")
    if not declared.isdigit() or int(declared) > MAX_FORM_BYTES:
        return _answer(request, 413, "Too large", "The form is larger than a form of this site can be.")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return _answer(request, 413, "Too large", "The form is larger than a form of this site can be.")
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    if not csrf.valid(request, form.get(csrf.FIELD)):
        return _answer(
            request,
            403,
            "Form expired",
            "This form did not come from this site, or its page is too old: reload the page and submit"
            " the form again (your browser must accept this site's cookie). Nothing was sent.",
        )
    return await _take(request, background, settings, server, form)


async def _take(
    request: Request, background: BackgroundTasks, settings: Settings, server: MailServer, form: dict[str, str]
) -> HTMLResponse:
    try:
        address = normalize_address(form.get("email", ""))
        result = await run_in_threadpool(_store, request, settings, server, form, address)
    except InvalidAddressError as exc:
        return _answer(request, 400, "Not an e-mail address", f"{exc}. Nothing was sent.")
    except FormError as exc:
        return _answer(request, exc.status, "Bad request", f"{exc}. Nothing was sent.")
    refusal, watch_id = result
    if refusal is not None:
        page = _answer(request, 429, "Too many requests", REFUSED[refusal])
        page.headers["Retry-After"] = "3600"
        return page
    background.add_task(deliver_due, request.app.state.db, mailer=server, watch_id=watch_id, limit=5)
    return _answer(request, 202, "Check your e-mail", SENT)


def _store(
    request: Request, settings: Settings, server: MailServer, form: dict[str, str], address: str
) -> tuple[Refusal | None, int | None]:
    db: Database = request.app.state.db
    today = today_in(settings.zone, request.app.state.clock())
    spec = _spec(db, form, today)
    confirm_token, unsubscribe_token = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    with db.connect() as conn:
        names = dict(conn.execute("SELECT id, name FROM huts WHERE id = ANY(%s)", (list(spec.hut_ids),)).fetchall())
        what = _describe(spec, [names[h] for h in spec.hut_ids])
        title = f"Confirm your alert: {what}"
        text = (
            f"Someone, hopefully you, asked at {server.public_url} to be told by e-mail when there are {what}.\n\n"
            f"To start this alert, open this link and press its button:\n{server.confirm_link(confirm_token)}\n\n"
            "If it was not you, ignore this e-mail: the request and your address are deleted after a day."
        )
        submission = subscribe(
            conn,
            spec,
            address,
            _client_key(request),
            confirm_token=confirm_token,
            unsubscribe_token=unsubscribe_token,
            title=title,
            body=text,
        )
    return submission.refused, submission.watch_id


def _token_page(request: Request, token: str) -> HTMLResponse | None:
    if not TOKEN.match(token):
        return _answer(request, 404, "Unknown link", "This link is not one of ours (is it complete?).")
    if not request.app.state.settings.mail_enabled:
        return _answer(request, 404, "Not offered", "E-mail alerts are not offered on this server.")
    return None


def _names(watch: PendingWatch) -> str:
    return _describe(watch, watch.hut_names)


@router.get("/alerts/confirm/{token}", response_class=HTMLResponse)
def confirm_page(request: Request, token: str) -> HTMLResponse:
    """One button that confirms (a mail scanner opening the link confirms nothing)."""
    if (refused := _token_page(request, token)) is not None:
        return refused
    with request.app.state.db.connect() as conn:
        watch = pending_watch(conn, token)
    if watch is None:
        return _answer(
            request, 404, "Link not valid", "This confirmation link was used already, expired after a day, or its"
            " alert was deleted.",
        )  # fmt: skip
    return _answer(
        request, 200, "Confirm your alert", f"Start the alert for {_names(watch)}?", request.url.path, "Start the alert"
    )


@router.post("/alerts/confirm/{token}", response_class=HTMLResponse)
def confirm_submit(request: Request, token: str) -> HTMLResponse:
    """Activate the watch: from now on it is evaluated like every watch, after each refresh."""
    if (refused := _token_page(request, token)) is not None:
        return refused
    with request.app.state.db.connect() as conn:
        watch = pending_watch(conn, token)
        if watch is None or confirm(conn, token) is None:
            return _answer(
                request, 404, "Link not valid", "This confirmation link was used already, expired after a day, or"
                " its alert was deleted.",
            )  # fmt: skip
    return _answer(
        request,
        200,
        "Alert started",
        f"Your alert for {_names(watch)} is active: we write to you when places free up. Every e-mail has a link to"
        " stop it.",
    )


@router.get("/alerts/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_page(request: Request, token: str) -> HTMLResponse:
    """One button that unsubscribes (a mail scanner opening the link deletes nothing)."""
    if (refused := _token_page(request, token)) is not None:
        return refused
    with request.app.state.db.connect() as conn:
        watch = subscribed_watch(conn, token)
    if watch is None:
        return _answer(request, 200, "Unsubscribed", "There is no alert for this link (any more): nothing to do.")
    return _answer(
        request,
        200,
        "Stop this alert?",
        f"Stop the alert for {_names(watch)} and delete it, and your e-mail address if no other alert uses it?",
        request.url.path,
        "Stop the alert",
    )


@router.post("/alerts/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_submit(request: Request, token: str) -> HTMLResponse:
    """Delete the watch (its button, or a mail program's one-click POST, RFC 8058)."""
    if (refused := _token_page(request, token)) is not None:
        return refused
    with request.app.state.db.connect() as conn:
        deleted = unsubscribe(conn, token)
    message = (
        "The alert is deleted, and your e-mail address too if no other alert used it. You get no more e-mail about it."
        if deleted
        else "There is no alert for this link (any more): nothing to do."
    )
    return _answer(request, 200, "Unsubscribed", message)


def add_alerts(app: FastAPI) -> None:
    """The routes of e-mail alerts (they write to the app's `state.db`), and the key of the
    clients' hashes (new at each start: the per-client counts start over with the app)."""
    app.state.client_key = secrets.token_bytes(32)
    app.include_router(router)
