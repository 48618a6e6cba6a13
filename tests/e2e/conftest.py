"""Fixtures of the end-to-end tests: the live server and headless Chromium live in browser.py."""

from tests.e2e.browser import chromium, live_server, page

__all__ = ["chromium", "live_server", "page"]
