"""The e-mail alert form in a real browser (Playwright driving Debian's Chromium) against the app
and a real SMTP server: a hiker fills in the form on a night's page, the confirmation e-mail
arrives, its link's page has one button that starts the alert; a form posted from another site
(the browser does not send the SameSite=Strict CSRF cookie) is refused and sends nothing."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import pytest

from hut_availability_pipeline.notify.delivery import deliver_due
from hut_availability_pipeline.notify.mail import MailServer
from hut_availability_pipeline.serving.app import create_app
from hut_availability_pipeline.storage.huts import bookable_huts
from hut_availability_pipeline.storage.writer import write_batch
from hut_availability_pipeline.watches.evaluation import evaluate

from ..api.test_api import serving
from ..e2e.test_web_browser import CHROMIUM_ARGS, Watched, chromium_path
from ..helpers import failure, result
from ..receivers import smtp_receiver
from ..web.test_alerts import PUBLIC_URL, free_night, link_path, mail_settings, subject, text_of, wait_for, watch_rows
from ..web_site import Site, simulated_site

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extras")


@pytest.fixture(scope="module")
def site(embedded_factory) -> Site:
    return simulated_site(embedded_factory.create(), huts=6)


@pytest.fixture(scope="module")
def served(site) -> Iterator[tuple[str, Any]]:
    with smtp_receiver() as (mailbox, port):
        mailbox.port = port
        app = create_app(site.db, mail_settings(port), clock=site.clock)
        with serving(site.db, app) as url:
            yield url, mailbox


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, served) -> Iterator[Watched]:
    base_url, _ = served
    context = browser.new_context(base_url=base_url, viewport={"width": 390, "height": 844})
    watched = Watched(context.new_page(), base_url)
    yield watched
    context.close()


def test_a_hiker_asks_for_an_alert_and_confirms_it(page, served, site):
    _, mailbox = served
    mailbox.messages.clear()
    slug, name, night = free_night(site)
    p = page.page
    p.goto(f"/huts/{slug}/nights/{night.isoformat()}")
    assert p.locator("#alert-privacy").is_visible()
    p.locator("#alert-party").fill("2")
    p.locator("#alert-email").fill("hanna@example.org")
    p.locator("#alert-submit").click()
    p.wait_for_selector("#answer")
    assert p.locator("#answer-title").inner_text() == "Check your e-mail"
    [message] = wait_for(mailbox, 1)
    assert message["To"] == "hanna@example.org"
    p.goto(link_path(text_of(message), "confirm"))
    assert name in p.locator("#answer").inner_text() and "2 place(s)" in p.locator("#answer").inner_text()
    assert watch_rows(site, "hanna@example.org")[0][1] is True  # opening the link started nothing
    p.locator("#answer-button").click()
    p.wait_for_selector("#answer-title:has-text('Alert started')")
    assert watch_rows(site, "hanna@example.org")[0][1] is False
    page.clean()


def test_a_form_from_another_site_is_refused_and_sends_nothing(browser, served, site):
    base_url, mailbox = served
    mailbox.messages.clear()
    slug, _, night = free_night(site)
    context = browser.new_context(base_url=base_url)
    try:
        p = context.new_page()
        p.goto(f"/huts/{slug}/nights/{night.isoformat()}")  # the browser has the site's CSRF cookie now
        token = p.locator('#alert-form input[name="csrf"]').get_attribute("value")
        # another site's page with the same fields (even the token, were it known) posting to us
        form = (
            f'<form method="post" action="{base_url}/alerts"><input name="csrf" value="{token}">'
            f'<input name="huts" value="{slug}"><input name="from" value="{night}"><input name="to" value="{night}">'
            '<input name="party" value="1"><input name="email" value="ivan@example.org">'
            '<button id="go">go</button></form>'
        )
        p.route("http://attacker.example/**", lambda r: r.fulfill(status=200, content_type="text/html", body=form))
        p.goto("http://attacker.example/")
        p.locator("#go").click()
        p.wait_for_selector("#answer-title")
        assert p.locator("#answer-title").inner_text() == "Form expired"
    finally:
        context.close()
    assert watch_rows(site, "ivan@example.org") == []
    time.sleep(0.5)  # what would have been sent at once would be here by now
    assert mailbox.messages == []


def test_an_alert_arrives_and_its_unsubscribe_button_ends_it(page, served, site):
    _, mailbox = served
    mailbox.messages.clear()
    slug, name, night = free_night(site, skip=1)
    p = page.page
    p.goto(f"/huts/{slug}/nights/{night.isoformat()}")
    p.locator("#alert-email").fill("olga@example.org")
    p.locator("#alert-submit").click()
    p.wait_for_selector("#answer-title:has-text('Check your e-mail')")
    p.goto(link_path(text_of(wait_for(mailbox, 1)[0]), "confirm"))
    p.locator("#answer-button").click()
    p.wait_for_selector("#answer-title:has-text('Alert started')")
    mailbox.messages.clear()
    with site.db.connect() as conn:  # a place frees up; the evaluation and delivery after a refresh
        [ref] = [r for r in bookable_huts(conn) if r.slug == slug]
        write_batch(conn, [result(ref, dt.datetime.now(dt.UTC), [39], start=night)])
        assert evaluate(conn, site.now.date()).fired == 1
    server = MailServer(f"smtp://127.0.0.1:{mailbox.port}", "huts@example.org", PUBLIC_URL)
    assert deliver_due(site.db, mailer=server).delivered == 1
    [alert] = wait_for(mailbox, 1)
    assert night.isoformat() in subject(alert) and name in subject(alert)
    p.goto(link_path(text_of(alert), "unsubscribe"))
    assert len(watch_rows(site, "olga@example.org")) == 1  # opening the link deletes nothing
    p.locator("#answer-button").click()
    p.wait_for_selector("#answer-title:has-text('Unsubscribed')")
    assert watch_rows(site, "olga@example.org") == []
    page.clean()


def test_a_failed_update_shows_a_visible_notice_on_the_map(page, site):
    with site.db.connect() as conn:
        ref = bookable_huts(conn)[2]
        write_batch(conn, [failure(ref, dt.datetime.now(dt.UTC), "HTTP 503")])
    p = page.page
    p.goto("/")
    notice = p.locator("#freshness .notice")
    assert notice.is_visible()
    assert notice.inner_text().startswith("hut-reservation.org:") and "last update failed" in notice.inner_text()
    page.clean()
