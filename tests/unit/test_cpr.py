"""CPR numbers (issue 5): the form that is checked, the masked form, encryption and the lookup HMAC, the key setting.

All numbers here are invented; none is shown by a ``repr``, a message or an exception.
"""

from __future__ import annotations

import base64

import pytest

from rammeaftale.adapters.cpr_vault import (
    DEVELOPMENT_KEY,
    CprDecryptionError,
    CprKeyError,
    CprVault,
    new_key,
    vault_from_setting,
)
from rammeaftale.domain.cpr import Cpr, CprError, parse_cpr, passes_modulus_11
from rammeaftale.entrypoints.settings import ConfigurationError, load_settings

KEY_A = base64.b64encode(b"A" * 32).decode()
KEY_B = base64.b64encode(b"B" * 32).decode()


def vault(*keys: str) -> CprVault:
    return vault_from_setting(",".join(keys), "production")


def test_a_cpr_number_is_ddmmyy_ssss_or_ten_digits_and_is_kept_as_ten_digits() -> None:
    assert parse_cpr("010190-1234").digits == "0101901234"
    assert parse_cpr(" 0101901234 ").digits == "0101901234"
    assert parse_cpr("0101901234").formatted == "010190-1234"
    for wrong in (
        "010190 1234",
        "01019-01234",
        "010190-123",
        "01019012345",
        "abcdef-ghij",
        "٠١٠١٩٠١٢٣٤",
        "",
        None,
        101901234,
    ):
        with pytest.raises(CprError) as refused:
            parse_cpr(wrong)
        assert refused.value.reason == "format"


def test_the_first_six_digits_must_be_a_real_date_in_the_century_the_seventh_digit_gives() -> None:
    assert parse_cpr("290200-4012").birth_date.isoformat() == "2000-02-29"  # 4, year 00: the 2000s, a leap year
    assert parse_cpr("150372-0101").birth_date.isoformat() == "1972-03-15"
    assert parse_cpr("010160-5001").birth_date.isoformat() == "1860-01-01"  # 5–8, year over 57: the 1800s
    for wrong in ("290200-1012", "320190-1234", "011390-1234", "000190-1234", "310490-1234"):  # 1900 no leap year
        with pytest.raises(CprError) as refused:
            parse_cpr(wrong)
        assert refused.value.reason == "date"
        assert wrong[:6] not in str(refused.value) and wrong[7:] not in str(refused.value)


def test_a_number_that_fails_the_modulus_11_check_is_still_a_valid_cpr_number() -> None:
    cpr = parse_cpr("010190-1234")
    assert not passes_modulus_11(cpr)
    assert cpr.masked == "010190-xxxx"


def test_a_cpr_number_shows_itself_only_masked_in_repr_str_and_formatting() -> None:
    cpr = parse_cpr("150372-0101")
    for shown in (repr(cpr), str(cpr), f"{cpr}", repr([cpr]), repr({"cpr": cpr})):
        assert "0101" not in shown and "150372-xxxx" in shown
    with pytest.raises(CprError):
        Cpr("1503720101x")


def test_encryption_round_trips_and_is_bound_to_the_placement_and_the_key() -> None:
    v = vault(KEY_A)
    cpr = parse_cpr("150372-0101")
    sealed = v.seal(cpr, "P-AAAAAAAAAA")
    assert v.open(sealed.key_id, sealed.ciphertext, "P-AAAAAAAAAA") == cpr
    assert "1503720101" not in sealed.ciphertext and "150372" not in sealed.ciphertext
    assert sealed.key_id == v.current_key_id and sealed.key_id.startswith("k") and len(sealed.key_id) == 9
    assert v.seal(cpr, "P-AAAAAAAAAA").ciphertext != sealed.ciphertext  # a fresh nonce every time
    with pytest.raises(CprDecryptionError):
        v.open(sealed.key_id, sealed.ciphertext, "P-BBBBBBBBBB")  # moved to another placement
    with pytest.raises(CprDecryptionError):
        vault(KEY_B).open(sealed.key_id, sealed.ciphertext, "P-AAAAAAAAAA")  # a key that is not configured
    tampered = sealed.ciphertext[:-2] + ("AA" if not sealed.ciphertext.endswith("AA") else "BB")
    with pytest.raises(CprDecryptionError):
        v.open(sealed.key_id, tampered, "P-AAAAAAAAAA")


def test_the_lookup_is_a_keyed_hmac_the_same_for_one_citizen_under_one_key() -> None:
    a, b = vault(KEY_A), vault(KEY_B)
    cpr = parse_cpr("150372-0101")
    assert a.seal(cpr, "P-AAAAAAAAAA").lookup == a.seal(cpr, "P-BBBBBBBBBB").lookup == a.lookups(cpr)[0]
    assert a.lookups(cpr) != b.lookups(cpr)
    assert a.lookups(parse_cpr("150372-0102")) != a.lookups(cpr)


def test_after_a_rotation_the_new_key_encrypts_and_the_old_one_still_decrypts_and_finds() -> None:
    old, rotated = vault(KEY_A), vault(KEY_B, KEY_A)
    cpr = parse_cpr("150372-0101")
    sealed = old.seal(cpr, "P-AAAAAAAAAA")
    assert rotated.open(sealed.key_id, sealed.ciphertext, "P-AAAAAAAAAA") == cpr
    assert sealed.lookup in rotated.lookups(cpr)
    assert rotated.seal(cpr, "P-AAAAAAAAAA").key_id == rotated.current_key_id != old.current_key_id


def test_the_key_setting_is_required_when_deployed_and_the_development_key_only_in_development() -> None:
    assert (
        vault_from_setting("", "development").current_key_id
        == vault_from_setting(DEVELOPMENT_KEY, "test").current_key_id
    )
    for refused in (
        "",
        DEVELOPMENT_KEY,
        f"{KEY_A},{DEVELOPMENT_KEY}",
        "kort",
        base64.b64encode(b"x" * 16).decode(),
        f"{KEY_A},{KEY_A}",
    ):
        with pytest.raises(CprKeyError) as exc:
            vault_from_setting(refused, "production")
        assert KEY_A not in str(exc.value) and DEVELOPMENT_KEY not in str(exc.value)
    assert len(base64.b64decode(new_key())) == 32
    assert "AAAA" not in repr(vault(KEY_A))


def test_deployed_settings_refuse_a_missing_or_development_cpr_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAMMEAFTALE_ENV", "production")
    monkeypatch.setenv("RAMMEAFTALE_SECRET_KEY", "s" * 48)
    for refused in ("", DEVELOPMENT_KEY, "ikke-base64!"):
        monkeypatch.setenv("RAMMEAFTALE_CPR_KEY", refused)
        with pytest.raises(ConfigurationError, match="RAMMEAFTALE_CPR_KEY"):
            load_settings()
    monkeypatch.setenv("RAMMEAFTALE_CPR_KEY", KEY_A)
    settings = load_settings()
    assert settings.cpr_key == KEY_A and KEY_A not in repr(settings)
    monkeypatch.setenv("RAMMEAFTALE_ENV", "development")
    monkeypatch.delenv("RAMMEAFTALE_CPR_KEY")
    assert load_settings().cpr_key == ""
