"""E-mail alerts without an account, over real HTTP (uvicorn) against a real SMTP server (aiosmtpd)
on a simulator-fed database: the form on a night's page, its CSRF token, the confirmation e-mail,
the confirmation page's button, the alert, unsubscribing by the link's button and by RFC 8058's
one-click POST, nothing after it, and the refusals (CSRF, rate limits) that send nothing."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

import httpx
import pytest

from hut_availability_pipeline.config import Settings
from hut_availability_pipeline.notify.delivery import deliver_due
from hut_availability_pipeline.notify.mail import MailServer
from hut_availability_pipeline.serving.app import create_app
from hut_availability_pipeline.storage.huts import bookable_huts
from hut_availability_pipeline.storage.subscriptions import ADDRESS_LIMIT, CLIENT_LIMIT
from hut_availability_pipeline.storage.watches import queue_test
from hut_availability_pipeline.storage.writer import write_batch
from hut_availability_pipeline.watches.evaluation import evaluate
from hut_availability_pipeline.web import pages
from hut_availability_pipeline.web.alert_form import MailForm

from ..api.test_api import serving
from ..helpers import result
from ..receivers import smtp_receiver
from ..web_site import Site, simulated_site

PUBLIC_URL = "https://huts.example.org"


@pytest.fixture(scope="module")
def site(embedded_factory) -> Site:
    return simulated_site(embedded_factory.create(), huts=12)


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Any, int]]:
    with smtp_receiver() as (mailbox, port):
        yield mailbox, port


def mail_settings(port: int) -> Settings:
    return Settings(
        timezone="Europe/Zurich",
        map_tiles="none",
        smtp_url=f"smtp://127.0.0.1:{port}",
        mail_from="Hut availability <huts@example.org>",
        public_url=PUBLIC_URL,
    )


@pytest.fixture
def mail(site, smtp) -> Iterator[tuple[httpx.Client, Any, int]]:
    """A client of an app of its own (its per-client counts start at zero) that sends e-mail to the
    SMTP receiver, whose mailbox starts empty."""
    mailbox, port = smtp
    mailbox.messages.clear()
    app = create_app(site.db, mail_settings(port), clock=site.clock)
    with serving(site.db, app) as url, httpx.Client(base_url=url) as client:
        yield client, mailbox, port


def free_night(site: Site, places: int = 1, skip: int = 0) -> tuple[str, str, dt.date]:
    """A hut (slug, name) and a coming night with at least `places` bookable free places."""
    with site.db.connect() as conn:
        row = conn.execute(
            "SELECT h.slug, h.name, a.availability_date FROM hut_availability a JOIN huts h ON h.id = a.hut_id"
            " WHERE a.day_state = 'bookable' AND a.free >= %s AND a.availability_date > %s AND h.name NOT LIKE '<%%'"
            " ORDER BY a.availability_date, h.slug OFFSET %s LIMIT 1",
            (places, site.now.date(), skip),
        ).fetchone()
    assert row is not None, "the simulated huts have no free night"
    return row[0], row[1], row[2]


def form_of(client: httpx.Client, slug: str, night: dt.date) -> dict[str, str]:
    """The alert form's fields on the night's page (its CSRF cookie is now the client's)."""
    page = client.get(f"/huts/{slug}/nights/{night.isoformat()}")
    assert page.status_code == 200
    form = re.search(r'<form method="post" action="/alerts" id="alert-form".*?</form>', page.text, re.S)
    assert form is not None, "the night's page has no alert form"
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form.group(0)))
    assert fields["huts"] == slug and fields["from"] == fields["to"] == night.isoformat()
    assert client.cookies.get("hut_csrf") == fields["csrf"]
    return fields


def submit(client: httpx.Client, fields: dict[str, str], email: str, party: int = 1) -> httpx.Response:
    return client.post("/alerts", data={**fields, "email": email, "party": str(party)})


def wait_for(mailbox: Any, count: int, timeout: float = 30.0) -> list[Message]:
    """The mailbox's messages once it holds `count` (fails after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while len(mailbox.messages) < count:
        assert time.monotonic() < deadline, f"{len(mailbox.messages)} of {count} e-mails arrived"
        time.sleep(0.05)
    return list(mailbox.messages)


def subject(message: Message) -> str:
    """The Subject header decoded (RFC 2047) and unfolded."""
    return str(make_header(decode_header(message["Subject"]))).replace("\r\n", "").replace("\n", "")


def text_of(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(message.get_content_charset() or "utf-8")


def link_path(text: str, kind: str) -> str:
    """The path of the first `kind` link (confirm, unsubscribe) of an e-mail, for our test server."""
    match = re.search(rf"{re.escape(PUBLIC_URL)}(/alerts/{kind}/[A-Za-z0-9_-]+)", text)
    assert match, f"no {kind} link in: {text}"
    return match.group(1)


def watch_rows(site: Site, email: str) -> list[tuple[Any, ...]]:
    with site.db.connect() as conn:
        return conn.execute(
            "SELECT w.id, w.pending_until IS NOT NULL FROM watches w JOIN subscribers s ON s.id = w.subscriber_id"
            " WHERE s.email = %s ORDER BY w.id",
            (email,),
        ).fetchall()


def subscriber_count(site: Site, email: str) -> int:
    with site.db.connect() as conn:
        row = conn.execute("SELECT count(*) FROM subscribers WHERE email = %s", (email,)).fetchone()
    assert row is not None
    return int(row[0])


def test_the_night_page_offers_the_form_and_says_what_is_stored(mail, site):
    client, _, _ = mail
    slug, _, night = free_night(site)
    page = client.get(f"/huts/{slug}/nights/{night.isoformat()}")
    assert "Tell me when a place frees up" in page.text
    assert "We store your e-mail address" in page.text and "deleted after a day" in page.text
    cookie = page.headers["set-cookie"]
    assert "hut_csrf=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    form_of(client, slug, night)


def test_without_smtp_settings_the_form_is_not_offered(site):
    settings = Settings(timezone="Europe/Zurich", map_tiles="none")
    slug, _, night = free_night(site)
    with serving(site.db, create_app(site.db, settings, clock=site.clock)) as url, httpx.Client(base_url=url) as c:
        page = c.get(f"/huts/{slug}/nights/{night.isoformat()}")
        assert page.status_code == 200
        assert 'id="alert-off"' in page.text and "not offered" in page.text
        assert 'id="alert-form"' not in page.text
        assert c.post("/alerts", data={"email": "anna@example.org"}).status_code == 404


def test_confirm_alert_unsubscribe_and_nothing_after_it(mail, site):
    client, mailbox, port = mail
    slug, name, night = free_night(site, places=1)
    fields = form_of(client, slug, night)
    addresses = ["anna@example.org", "ben@example.org", "carl@example.org"]
    answers = [submit(client, fields, address) for address in addresses]
    assert [a.status_code for a in answers] == [202, 202, 202]
    # the answer never tells whether the address is known: a second request of a known one looks the same
    again = submit(client, fields, "Anna@Example.org ")
    assert again.status_code == 202 and again.text == answers[0].text
    assert "confirmation e-mail is on its way" in again.text

    confirmations = wait_for(mailbox, 4)
    assert sorted(m["To"] for m in confirmations) == sorted([*addresses, "anna@example.org"])
    for message in confirmations:
        assert name in subject(message) and f"the night of {night.isoformat()}" in subject(message)
        assert message["List-Unsubscribe"].startswith(f"<{PUBLIC_URL}/alerts/unsubscribe/")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert [pending for _, pending in watch_rows(site, "anna@example.org")] == [True, True]

    # the confirmation link shows one button; opening it (a mail scanner) activates nothing
    by_address: dict[str, Message] = {}
    for message in confirmations:
        by_address.setdefault(message["To"], message)
    mailbox.messages.clear()
    for address in addresses:
        path = link_path(text_of(by_address[address]), "confirm")
        page = client.get(path)
        assert page.status_code == 200 and 'id="answer-button"' in page.text and name in page.text
        assert watch_rows(site, address)[0][1] is True  # still pending
        started = httpx.post(f"{client.base_url}{path}")  # the button: no cookie needed
        assert started.status_code == 200 and "is active" in started.text
        assert watch_rows(site, address)[0][1] is False
        assert client.post(path).status_code == 404  # used up

    # a place frees up (a refresh stores a new state); the evaluation and delivery that follow every
    # refresh (`alerts send`, the Dagster job: the same calls) send each confirmed watch its alert
    server = MailServer(f"smtp://127.0.0.1:{port}", "huts@example.org", PUBLIC_URL)
    with site.db.connect() as conn:
        [ref] = [r for r in bookable_huts(conn) if r.slug == slug]
        free = conn.execute(
            "SELECT a.free FROM hut_availability a WHERE a.hut_id = %s AND a.availability_date = %s",
            (ref.hut_id, night),
        ).fetchone()
        assert free is not None
        write_batch(conn, [result(ref, dt.datetime.now(dt.UTC), [free[0] + 1], start=night)])
        assert evaluate(conn, site.now.date()).fired == 3
    assert deliver_due(site.db, mailer=server).delivered == 3
    alerts = wait_for(mailbox, 3)
    assert sorted(m["To"] for m in alerts) == sorted(addresses)
    for message in alerts:
        assert subject(message) == f"Free: {name}, night of {night.isoformat()}"
        text = text_of(message)
        assert f"{night.isoformat()} {name}:" in text and "free" in text
        unsubscribe = link_path(text, "unsubscribe")
        assert message["List-Unsubscribe"] == f"<{PUBLIC_URL}{unsubscribe}>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    links = {m["To"]: link_path(text_of(m), "unsubscribe") for m in alerts}

    # a message for each is waiting in the outbox when anna and ben unsubscribe
    with site.db.connect() as conn:
        for address in addresses:
            queue_test(conn, watch_rows(site, address)[0][0])
    # anna: her mail program's one-click POST (RFC 8058), no cookie, no page
    one_click = httpx.post(f"{client.base_url}{links['anna@example.org']}", data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200
    assert len(watch_rows(site, "anna@example.org")) == 1  # her second, unconfirmed request remains
    # ben: the link shows a button (opening it deletes nothing), the button deletes
    page = client.get(links["ben@example.org"])
    assert page.status_code == 200 and 'id="answer-button"' in page.text
    assert len(watch_rows(site, "ben@example.org")) == 1
    assert httpx.post(f"{client.base_url}{links['ben@example.org']}").status_code == 200
    assert watch_rows(site, "ben@example.org") == [] and subscriber_count(site, "ben@example.org") == 0
    assert "no alert for this link" in client.get(links["ben@example.org"]).text

    mailbox.messages.clear()
    delivery = deliver_due(site.db, mailer=server)
    assert (delivery.delivered, delivery.failed) == (1, 0)  # anna's and ben's went with their watches
    assert [m["To"] for m in wait_for(mailbox, 1)] == ["carl@example.org"]
    with site.db.connect() as conn:
        row = conn.execute("SELECT count(*) FROM notifications WHERE delivered_at IS NULL").fetchone()
    assert row is not None and row[0] == 0  # nothing else is on its way


def test_a_form_without_its_csrf_token_is_refused_and_nothing_sent(mail, site):
    client, mailbox, _ = mail
    slug, _, night = free_night(site)
    fields = form_of(client, slug, night)
    forged = httpx.post(f"{client.base_url}/alerts", data={**fields, "email": "eve@example.org", "party": "1"})
    assert forged.status_code == 403 and "reload the page" in forged.text  # no cookie: another site's form
    wrong = submit(client, {**fields, "csrf": "x" * 43}, "eve@example.org")
    assert wrong.status_code == 403
    missing = submit(client, {k: v for k, v in fields.items() if k != "csrf"}, "eve@example.org")
    assert missing.status_code == 403
    assert watch_rows(site, "eve@example.org") == [] and subscriber_count(site, "eve@example.org") == 0
    bad = submit(client, fields, "not-an-address")
    assert bad.status_code == 400 and "is not an e-mail address" in bad.text
    assert submit(client, fields, "eve@example.org", party=0).status_code == 400
    time.sleep(0.5)  # a message that was wrongly queued would be sent by now (they go out at once)
    assert mailbox.messages == []


def test_rate_limits_refuse_with_a_clear_message_and_send_nothing(mail, site):
    client, mailbox, _ = mail
    slug, _, night = free_night(site)
    fields = form_of(client, slug, night)
    for _ in range(ADDRESS_LIMIT):
        assert submit(client, fields, "frank@example.org").status_code == 202
    refused = submit(client, fields, "frank@example.org")
    assert refused.status_code == 429 and refused.headers["retry-after"] == "3600"
    assert f"{ADDRESS_LIMIT} unconfirmed requests" in refused.text and "Nothing was sent" in refused.text
    assert len(watch_rows(site, "frank@example.org")) == ADDRESS_LIMIT
    # the client's limit: the same network (one address for a hut's Wi-Fi), other e-mail addresses
    for i in range(CLIENT_LIMIT - ADDRESS_LIMIT):
        assert submit(client, fields, f"hiker{i}@example.org").status_code == 202, i
    refused = submit(client, fields, "gina@example.org")
    assert refused.status_code == 429 and "from your network" in refused.text
    assert watch_rows(site, "gina@example.org") == []
    messages = wait_for(mailbox, CLIENT_LIMIT)
    time.sleep(0.5)
    assert len(mailbox.messages) == CLIENT_LIMIT
    assert "gina@example.org" not in {m["To"] for m in messages}


def test_the_form_macro_for_a_tour_result_asks_for_the_tour(mail, site):
    """The macro the tour planner's result uses: huts in order, a window of start dates, the party."""
    client, mailbox, _ = mail
    slug, _, night = free_night(site)
    fields = form_of(client, slug, night)  # the browser's CSRF cookie, as on any page with the form
    with site.db.connect() as conn:
        tour = conn.execute("SELECT slug, name FROM huts WHERE name NOT LIKE '<%' ORDER BY id LIMIT 3").fetchall()
    html = pages._ENV.from_string(
        '{% from "alert_form.html" import alert_form %}{{ alert_form(mail, huts, date_from, date_to, party=3) }}'
    ).render(
        mail=MailForm(True, fields["csrf"]),
        huts=[s for s, _ in tour],
        date_from=night.isoformat(),
        date_to=(night + dt.timedelta(days=4)).isoformat(),
    )
    macro = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    assert macro["huts"] == ",".join(s for s, _ in tour) and 'value="3"' in html
    assert submit(client, macro, "tina@example.org", party=3).status_code == 202
    [message] = wait_for(mailbox, 1)
    expected = f"3 place(s) on the tour {' → '.join(n for _, n in tour)} starting on a night from {night.isoformat()}"
    assert expected in subject(message)
    with site.db.connect() as conn:
        [(kind, beds, huts)] = conn.execute(
            "SELECT w.kind, w.beds, array_agg(h.slug ORDER BY wh.position) FROM watches w"
            " JOIN watch_huts wh ON wh.watch_id = w.id JOIN huts h ON h.id = wh.hut_id"
            " JOIN subscribers s ON s.id = w.subscriber_id WHERE s.email = 'tina@example.org' GROUP BY w.id"
        ).fetchall()
    assert (kind, beds, huts) == ("tour", 3, [s for s, _ in tour])
    unknown = submit(client, {**macro, "huts": "no-such-hut"}, "tina@example.org")
    assert unknown.status_code == 400 and "no hut with slug &#39;no-such-hut&#39;" in unknown.text
    far = submit(client, {**macro, "to": "9999-12-31"}, "tina@example.org")
    assert far.status_code == 400 and "is more than 730 days ahead" in far.text
    backwards = submit(client, {**macro, "from": macro["to"], "to": macro["from"]}, "tina@example.org")
    assert backwards.status_code == 400 and "is before from" in backwards.text
