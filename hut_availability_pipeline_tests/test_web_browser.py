"""The web front end in a real browser: Playwright driving Debian's Chromium (/usr/bin/chromium,
never a downloaded browser) against the app on 127.0.0.1 over a simulator-fed database. Every
page must render without a page error or console error, and request nothing from another host."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from hut_availability_pipeline.api import create_app
from hut_availability_pipeline.config import Settings

from .test_api import serving
from .test_web_pages import changed_night
from .web_site import IMG_NAME, SCRIPT_NAME, Site, simulated_site

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extras")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """Debian's Chromium; skips without one, but fails in CI (`CI` or HUT_AVAILABILITY_REQUIRE_BROWSER
    set: `.ci/run` installs it)."""
    path = os.environ.get("HUT_AVAILABILITY_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if os.path.exists(path):
        return path
    message = f"no Chromium at {path}: install Debian's (apt-get install chromium)"
    if os.environ.get("CI") or os.environ.get("HUT_AVAILABILITY_REQUIRE_BROWSER"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def site(embedded_factory) -> Site:
    return simulated_site(embedded_factory.create())


@pytest.fixture(scope="module")
def base_url(site) -> Iterator[str]:
    app = create_app(site.db, Settings(timezone="Europe/Zurich"), clock=site.clock)
    with serving(site.db, app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    executable = chromium_path()
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Watched:
    """A page whose errors, console errors, dialogs and requests to other hosts are collected."""

    def __init__(self, page, base_url: str) -> None:
        self.page = page
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.foreign: list[str] = []
        own = urlsplit(base_url).netloc
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        page.on("console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text}"))
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

        def route(r):
            if urlsplit(r.request.url).netloc not in (own, ""):
                self.foreign.append(r.request.url)
                r.abort()
            else:
                r.continue_()

        page.route("**/*", route)

    def clean(self) -> None:
        assert self.errors == [] and self.dialogs == [] and self.foreign == []
        assert self.page.evaluate("window.__xss") is None


@pytest.fixture
def page(browser, base_url) -> Iterator[Watched]:
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    watched = Watched(context.new_page(), base_url)
    yield watched
    context.close()


def wait_for_map(page, night: str) -> None:
    page.wait_for_selector(f'#map-page[data-ready="{night}"]', timeout=10_000)


def test_map_shows_every_loaded_hut_and_a_click_leads_to_the_hut(page, site):
    p = page.page
    p.goto("/")
    night = site.now.date().isoformat()
    wait_for_map(p, night)
    circles = p.locator("#huts circle")
    assert circles.count() == len(site.slugs)
    assert sorted(circles.evaluate_all("cs => cs.map(c => c.dataset.slug)")) == sorted(site.slugs)
    assert p.locator("#summary").inner_text().startswith(f"{len(site.slugs)} huts on {night}")
    slug = site.slugs[5]
    p.locator(f'#huts circle[data-slug="{slug}"]').click()
    assert p.locator("#info").is_visible()
    assert p.locator("#info-places").inner_text() != ""
    p.locator("#info-hut").click()
    p.wait_for_url(f"**/huts/{slug}")
    assert p.locator("#calendar td.night a").count() >= 30
    page.clean()


def test_the_night_and_party_change_the_map(page, site):
    p = page.page
    p.goto("/")
    wait_for_map(p, site.now.date().isoformat())
    p.locator("#next").click()
    tomorrow = site.now.date().toordinal() + 1
    night = type(site.now.date()).fromordinal(tomorrow).isoformat()
    wait_for_map(p, night)
    assert f"date={night}" in p.url
    few = p.locator("#huts circle.too-few").count()
    p.locator("#party").fill("25")
    p.locator("#party").dispatch_event("change")
    p.wait_for_function("() => document.querySelector('#summary').textContent.includes('at least 25')")
    wait_for_map(p, night)
    assert p.locator("#huts circle.too-few").count() > few
    page.clean()


def test_a_changed_night_shows_two_states_and_a_curve(page, site):
    p = page.page
    slug, night = changed_night(site)
    p.goto(f"/huts/{slug}")
    p.locator(f'#calendar a[href="/huts/{slug}/nights/{night.isoformat()}"]').click()
    p.wait_for_url(f"**/nights/{night.isoformat()}")
    assert p.locator("#states tbody tr").count() == 2
    assert p.locator("#curve path.line").get_attribute("d").startswith("M")
    assert p.locator("#curve circle.point").count() == 2
    assert p.locator("#curve").bounding_box()["height"] > 100
    page.clean()


def test_filters_narrow_the_table(page, site):
    p = page.page
    last = site.now.date().replace(day=28).isoformat()
    p.goto(f"/browse?to={last}")
    matched = int(p.locator("#matched").inner_text().split()[0])
    assert matched > 100
    p.locator('input[name="state"][value="full"]').check()
    p.locator("#apply").click()
    p.wait_for_url("**state=full**")
    full = int(p.locator("#matched").inner_text().split()[0])
    assert 0 < full < matched
    assert set(p.locator("#table td.state").all_inner_texts()) == {"full"}
    p.locator("#search").fill(site.slugs[3][:6])
    p.locator('input[name="state"][value="full"]').uncheck()
    p.locator("#apply").click()
    p.wait_for_url("**q=**")
    names = set(p.locator("#table a.hut").all_inner_texts())
    assert 0 < int(p.locator("#matched").inner_text().split()[0]) < matched and len(names) >= 1
    p.locator('a.sort[data-key="free"]').click()
    p.wait_for_url("**sort=free**")
    page.clean()


def test_huts_named_with_html_and_script_show_as_text_and_run_nothing(page, site):
    p = page.page
    p.goto("/")
    wait_for_map(p, site.now.date().isoformat())
    for slug, name in ((site.script_slug, SCRIPT_NAME), (site.img_slug, IMG_NAME)):
        p.locator(f'#huts circle[data-slug="{slug}"]').click()
        assert p.locator("#info-name").inner_text() == name
        assert p.locator("#info-name *").count() == 0  # text, no element
    for slug, name in ((site.script_slug, SCRIPT_NAME), (site.img_slug, IMG_NAME)):
        p.goto(f"/huts/{slug}")
        assert p.locator("#hut-name").inner_text() == name
        p.goto(f"/browse?q={slug}")
        assert name in p.locator("#table").inner_text()
        assert p.locator("#table img").count() == 0
    page.clean()
