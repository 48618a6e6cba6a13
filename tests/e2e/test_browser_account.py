"""The account page and the second factor in real headless Chromium, with the account guide's screenshots.

The live server's clock stands still (browser.TODAY), so the code typed at login is the one of that
30-second step; the buyer's second factor is set up in the database beforehand, as the page would.
"""

from __future__ import annotations

import re

import pyotp
import pytest

from rammeaftale.adapters.db.uow import UnitOfWork
from tests.e2e.browser import TODAY, LiveServer, browser_required, login, logout, shoot

try:
    from playwright.sync_api import expect
except ImportError:  # the dev extra is not installed
    if browser_required():
        raise
    pytest.skip("the playwright package is not installed", allow_module_level=True)

pytestmark = pytest.mark.browser
BUYER = "koeb.thisted"


def give_second_factor(live_server: LiveServer, username: str) -> str:
    secret = pyotp.random_base32()
    with UnitOfWork(live_server.engine) as uow:
        user = uow.users.by_username(username)
        assert user is not None
        user.totp_secret = secret
        uow.commit()
    return secret


def test_an_operator_sees_the_account_page_and_the_second_factor_setup(page, live_server) -> None:
    login(page, "drift.aalborg")
    page.get_by_role("link", name=re.compile("Driftsherre|Aalborg")).first.click()
    expect(page.get_by_role("heading", name="Min konto")).to_be_visible()
    expect(page.get_by_text("Denne session")).to_be_visible()
    shoot(page, "account.png")
    page.get_by_role("button", name="Slå totrinsbekræftelse til").click()
    expect(page.get_by_role("heading", name="Slå totrinsbekræftelse til")).to_be_visible()
    expect(page.locator("figure.qr svg")).to_be_visible()
    shoot(page, "account-second-factor.png")
    secret = page.locator("code.secret").inner_text().replace(" ", "")
    page.get_by_label("Kode fra appen").fill(pyotp.TOTP(secret).at(TODAY))
    page.get_by_role("button", name="Bekræft").click()
    expect(page.get_by_text("Totrinsbekræftelse er slået til")).to_be_visible()


def test_a_buyer_with_a_second_factor_logs_in_with_the_code_from_the_app(page, live_server) -> None:
    secret = give_second_factor(live_server, BUYER)
    page.goto("/login")
    page.get_by_label("Brugernavn").fill(BUYER)
    page.get_by_label("Adgangskode").fill("demo1234")
    page.get_by_role("button", name="Log ind").click()
    expect(page.get_by_role("heading", name="Skriv koden fra din app")).to_be_visible()
    shoot(page, "login-code.png")
    page.get_by_label("Kode").fill("000000" if pyotp.TOTP(secret).at(TODAY) != "000000" else "111111")
    page.get_by_role("button", name="Log ind").click()
    expect(page.get_by_text("Koden er forkert")).to_be_visible()
    page.get_by_label("Kode").fill(pyotp.TOTP(secret).at(TODAY))
    page.get_by_role("button", name="Log ind").click()
    expect(page.get_by_role("button", name="Log ud")).to_be_visible()
    logout(page)
