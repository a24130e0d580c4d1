"""Browser tests: Playwright for Python driving Debian's Chromium (headless) against pytest-django's
live server on 127.0.0.1. They skip, saying why, where no browser is installed; `make test`
installs Chromium from Debian's packages first where it can."""

from __future__ import annotations

import importlib
import os
import shutil

import pytest
from django.conf import settings
from django.test import Client

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make between
# browser steps are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def _why_no_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "browser tests skipped: the playwright package is not installed (pip install -r requirements-dev.txt)"
    if not os.path.exists(CHROMIUM):
        return (
            f"browser tests skipped: no Chromium at {CHROMIUM} "
            "(install Debian's package: apt-get install chromium; `make test` tries this itself)"
        )
    return None


@pytest.fixture(scope="session")
def browser():
    reason = _why_no_browser()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def seeded_types(transactional_db):
    """The entity types and curators group the data migration makes (a transactional test's flush
    removes migration data, so put it back whatever ran before)."""
    seed = importlib.import_module("annotations.migrations.0002_seed_entity_types_and_curators")
    from django.apps import apps as global_apps

    seed.seed(global_apps, None)


class Browser:
    """One browser context (a person) on the live server."""

    def __init__(self, browser, live_server, *, javascript: bool = True, width: int = 1280, height: int = 900,
                 **context_options):
        self.base = live_server.url
        self.context = browser.new_context(
            viewport={"width": width, "height": height}, java_script_enabled=javascript, base_url=self.base,
            **context_options,
        )
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" and "404" not in m.text else None)

    def sign_in_as(self, user) -> None:
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        self.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": self.base}])

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_browser(browser, live_server, seeded_types):
    opened: list[Browser] = []

    def make(**kwargs) -> Browser:
        b = Browser(browser, live_server, **kwargs)
        opened.append(b)
        return b

    yield make
    for b in opened:
        b.close()


SELECT_JS = """
([needle, occurrence]) => {
  const root = document.getElementById('doc-text');
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes = []; let all = '';
  while (walker.nextNode()) { nodes.push([walker.currentNode, all.length]); all += walker.currentNode.data; }
  let at = -1;
  for (let i = 0; i <= occurrence; i++) { at = all.indexOf(needle, at + 1); if (at < 0) throw new Error('not found: ' + needle); }
  const end = at + needle.length;
  const locate = (pos, isEnd) => {
    for (const [node, offset] of nodes) {
      if (pos < offset + node.data.length || (isEnd && pos === offset + node.data.length)) return [node, pos - offset];
    }
  };
  const [sn, so] = locate(at, false); const [en, eo] = locate(end, true);
  const range = document.createRange(); range.setStart(sn, so); range.setEnd(en, eo);
  const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
  document.dispatchEvent(new Event('selectionchange'));
}
"""


def select_text(page, needle: str, occurrence: int = 0) -> None:
    """Select ``needle`` in the document text as a reader would with the mouse or keyboard."""
    page.evaluate(SELECT_JS, [needle, occurrence])
