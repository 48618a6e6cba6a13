"""Real-browser test plumbing: the app served by uvicorn in a thread, and headless Debian Chromium.

The server runs the real app (`create_app`) on 127.0.0.1 and a free port, on a fresh SQLite database
built by the migrations and loaded with the demo, with the clock fixed at 2026-11-22 10:00 UTC (the
2027 cycle is open and its deadline has passed). The browser is Debian's `/usr/bin/chromium` driven by
Playwright's sync API; nothing is downloaded. Without a browser the tests are skipped, unless
RAMMEAFTALE_REQUIRE_BROWSER=1 (set by .ci/run), which makes that a failure.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import Engine

from rammeaftale.adapters.db.engine import make_engine, migrate
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.demo import DEMO_PASSWORD, load_demo
from rammeaftale.entrypoints.app import create_app

TODAY = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# `make screenshots` refreshes the guides' pictures; an ordinary test run takes them into a scratch
# folder so that running the tests never changes tracked files.
SCREENSHOTS = (
    DOCS_SCREENSHOTS
    if os.environ.get("RAMMEAFTALE_UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "rammeaftale-screenshots"
)
VIEWPORT = {"width": 1440, "height": 900}  # the widest page (the appendix table) fits without scrolling
TIMEOUT_MS = 10_000


def browser_required() -> bool:
    """RAMMEAFTALE_REQUIRE_BROWSER=1 (.ci/run): a missing browser fails the run instead of skipping."""
    return os.environ.get("RAMMEAFTALE_REQUIRE_BROWSER", "") == "1"


def _browser_unavailable(reason: str) -> None:
    if browser_required():
        pytest.fail(f"Headless Chromium is required (RAMMEAFTALE_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(f"headless Chromium not available: {reason}")


# --- the live server ----------------------------------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    engine: Engine

    def ids(self, code: str) -> tuple[int, int]:
        """(offer id, first service id) of an offer code."""
        with UnitOfWork(self.engine) as uow:
            offer = uow.offers.by_code(code)
            assert offer is not None, f"no offer {code} in the demo"
            return offer.id, offer.services[0].id


class _ThreadServer(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # older uvicorn: never touch signals outside the main thread
        pass


def _wait_until_answering(url: str, thread: threading.Thread, deadline_s: float = 15.0) -> None:
    deadline = time.monotonic() + deadline_s
    last = ""
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError("the uvicorn thread stopped before it answered")
        try:
            with urllib.request.urlopen(f"{url}/login", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            last = str(exc)
        time.sleep(0.05)
    raise RuntimeError(f"the app did not answer on {url} within {deadline_s} s: {last}")


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The real app over HTTP on a fresh demo database (one per test: tests never see each other's data)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'browser.sqlite3'}")
    migrate(engine)
    load_demo(engine)
    app = create_app(engine, lambda: TODAY)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))  # a free port, held from here on (no race with other processes)
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off")
    server = _ThreadServer(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="uvicorn-e2e", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(url, thread)
        yield LiveServer(url, engine)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        engine.dispose()


# --- the browser --------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One headless Debian Chromium for the session (Playwright sync API, no downloaded browser)."""
    if not CHROMIUM.exists():
        _browser_unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _browser_unavailable(f"the playwright package cannot be imported: {exc}")
    manager = sync_playwright()
    try:
        playwright = manager.start()
    except Exception as exc:  # the driver itself failed to start
        _browser_unavailable(f"Playwright did not start: {exc}")
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    except Exception as exc:  # any launch error means: no usable browser here
        manager.__exit__(None, None, None)
        _browser_unavailable(f"Playwright could not launch {CHROMIUM}: {str(exc).splitlines()[0]}")
    try:
        yield browser
    finally:
        browser.close()
        manager.__exit__(None, None, None)


@pytest.fixture
def page(chromium: Any, live_server: LiveServer) -> Iterator[Any]:
    """A fresh browser context (no cookies) with its base URL at the live server, Danish locale."""
    context = chromium.new_context(
        base_url=live_server.url, viewport=VIEWPORT, locale="da-DK", accept_downloads=True, timezone_id="UTC"
    )
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield tab
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the pages: {errors}"


# --- page helpers -------------------------------------------------------------------------------------


def shoot(page: Any, name: str) -> Path:
    """A full-page screenshot: into docs/screenshots/ with `make screenshots`, else a scratch folder."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    return path


def login(page: Any, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Brugernavn").fill(username)
    page.get_by_label("Adgangskode").fill(password)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, f"login as {username} failed: {page.url}"


def logout(page: Any) -> None:
    page.get_by_role("button", name="Log ud").click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name="Log ind").is_visible()
