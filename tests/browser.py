"""Real-browser test helpers: Debian's headless Chromium driven by Playwright, and the
web app served by waitress on 127.0.0.1, exactly as `oermonitor serve` serves it.

    from tests.browser import browser, WebServer   # `browser` is a pytest fixture

    with WebServer(app) as web:          # or WebServer(app, port=free_port())
        page = browser.new_page()
        page.goto(web.url("/m/..."))

The tests are skipped, with the reason shown, only where no browser exists: no
`playwright` package or no Chromium binary (`.ci/run` installs both).
"""

from __future__ import annotations

import os
import shutil
import threading

import pytest

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def chromium_path() -> str | None:
    """The system's Chromium ($OERMONITOR_CHROMIUM, else Debian's /usr/bin/chromium)."""
    for candidate in (os.environ.get("OERMONITOR_CHROMIUM"), "/usr/bin/chromium",
                      shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture
def browser():
    """A headless Chromium (Playwright `Browser`), closed after the test."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="no browser: the playwright package is not installed "
                                      "(pip install -e '.[test]')")
    path = chromium_path()
    if path is None:
        pytest.skip("no browser: Chromium is not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS,
                                              headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


class WebServer:
    """A WSGI app served by waitress on 127.0.0.1 from a thread (a free port by default)."""

    def __init__(self, app, port: int = 0, url_prefix: str = ""):
        from waitress.server import create_server

        self.server = create_server(app, host="127.0.0.1", port=port, threads=2,
                                    url_prefix=url_prefix, ident="oermonitor")
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.effective_port}"

    def url(self, path: str = "/") -> str:
        return self.base + path

    def __enter__(self) -> WebServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.close()
        self.thread.join(timeout=5)
