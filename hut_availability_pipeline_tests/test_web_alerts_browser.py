"""The e-mail alert form in a real browser (Playwright driving Debian's Chromium) against the app
and a real SMTP server: a hiker fills in the form on a night's page, the confirmation e-mail
arrives, its link's page has one button that starts the alert; a form posted from another site
(the browser does not send the SameSite=Strict CSRF cookie) is refused and sends nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from hut_availability_pipeline.api import create_app

from .receivers import smtp_receiver
from .test_api import serving
from .test_web_alerts import free_night, link_path, mail_settings, text_of, wait_for, watch_rows
from .test_web_browser import CHROMIUM_ARGS, Watched, chromium_path
from .web_site import Site, simulated_site

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extras")


@pytest.fixture(scope="module")
def site(embedded_factory) -> Site:
    return simulated_site(embedded_factory.create(), huts=6)


@pytest.fixture(scope="module")
def served(site) -> Iterator[tuple[str, Any]]:
    with smtp_receiver() as (mailbox, port):
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
