"""CPR numbers at rest: AES-256-GCM encryption and a keyed HMAC-SHA256 for finding a citizen (issue 5).

The setting ``RAMMEAFTALE_CPR_KEY`` holds one or more base64-encoded 256-bit master keys, comma-separated:
the first encrypts, every one decrypts (key rotation: put the new key first, keep the old ones after it
until ``services.placements.reseal_cpr`` has re-encrypted every row, then drop them). Outside development
and test the setting is required and the development key is refused (``entrypoints/settings.py`` checks it
at start-up, ``vault_from_environment`` again before the first use).

From each master key two keys are derived with HKDF-SHA256 (``cryptography``): one for AES-GCM and one for
the HMAC. Stored per placement:

* ``key_id``: ``k`` + the first 8 hex digits of HMAC-SHA256(master, "key id") — names the master key
  without revealing it, so rows can be decrypted after a rotation;
* ``ciphertext``: base64url(96-bit random nonce || AES-GCM(ten digits) || 128-bit tag), with the placement
  id and the key id as associated data, so a ciphertext moved to another row does not decrypt;
* ``lookup``: base64url(HMAC-SHA256(hmac key, ten digits)): the same citizen has the same lookup under one
  key, so a citizen's placements are found without decrypting anything (``lookups`` gives one per key).

Neither base64 text can hold ten digits in a row by more than a vanishing chance, and neither is ever shown.
No plaintext CPR number is stored, logged or put in an exception message here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from rammeaftale.domain.cpr import Cpr

SETTING = "RAMMEAFTALE_CPR_KEY"
# The development key: fixed so the demo database survives a restart; refused outside development and test.
DEVELOPMENT_KEY = "ZJSZCXdZ8O7ZV1wtZuPuQQgWq2lAVaUDFDhie10Rr6c="
DEVELOPMENT_ENVIRONMENTS = ("development", "test")
KEY_BYTES = 32
NONCE_BYTES = 12
_ENCRYPTION_INFO = b"rammeaftale/cpr/aes-256-gcm/v1"
_LOOKUP_INFO = b"rammeaftale/cpr/hmac-sha256/v1"
_KEY_ID_INFO = b"rammeaftale/cpr/key-id/v1"


class CprKeyError(ValueError):
    """The CPR key setting is missing or unusable; the Danish message never repeats a key."""


class CprDecryptionError(ValueError):
    """A stored CPR number could not be decrypted (unknown key id, or a ciphertext that was altered)."""


@dataclass(frozen=True)
class SealedCpr:
    """What is stored of a CPR number: the key id, the ciphertext and the lookup HMAC (all text)."""

    key_id: str
    ciphertext: str
    lookup: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derive(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(master)


@dataclass(frozen=True)
class _Key:
    key_id: str
    aead: AESGCM
    lookup_key: bytes


def _key(master: bytes) -> _Key:
    key_id = "k" + hmac.new(master, _KEY_ID_INFO, hashlib.sha256).hexdigest()[:8]
    return _Key(key_id, AESGCM(_derive(master, _ENCRYPTION_INFO)), _derive(master, _LOOKUP_INFO))


def _aad(placement_id: str, key_id: str) -> bytes:
    return f"rammeaftale/cpr/v1|{placement_id}|{key_id}".encode()


class CprVault:
    """Encrypts, decrypts and looks up CPR numbers with the configured keys (the first one encrypts)."""

    def __init__(self, masters: Sequence[bytes]) -> None:
        if not masters or any(len(m) != KEY_BYTES for m in masters):
            raise CprKeyError(f"{SETTING} skal indeholde nøgler på {KEY_BYTES} byte ({KEY_BYTES * 8} bit).")
        self._keys = tuple(_key(m) for m in masters)
        self._by_id = {k.key_id: k for k in self._keys}
        if len(self._by_id) != len(self._keys):
            raise CprKeyError(f"{SETTING} indeholder den samme nøgle flere gange.")

    def __repr__(self) -> str:
        return f"CprVault(keys={list(self._by_id)})"

    @property
    def current_key_id(self) -> str:
        return self._keys[0].key_id

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._by_id)

    def seal(self, cpr: Cpr, placement_id: str) -> SealedCpr:
        key = self._keys[0]
        nonce = secrets.token_bytes(NONCE_BYTES)
        ciphertext = key.aead.encrypt(nonce, cpr.digits.encode("ascii"), _aad(placement_id, key.key_id))
        return SealedCpr(key.key_id, _b64(nonce + ciphertext), self._lookup(key, cpr))

    def open(self, key_id: str, ciphertext: str, placement_id: str) -> Cpr:
        key = self._by_id.get(key_id)
        if key is None:
            raise CprDecryptionError(f"CPR-nummeret er krypteret med en nøgle ({key_id}), der ikke er sat op.")
        try:
            raw = _unb64(ciphertext)
            plain = key.aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(placement_id, key_id))
        except (InvalidTag, ValueError, binascii.Error) as exc:
            raise CprDecryptionError("CPR-nummeret kunne ikke dekrypteres.") from exc
        return Cpr(plain.decode("ascii"))

    def lookups(self, cpr: Cpr) -> tuple[str, ...]:
        """The lookup HMAC of ``cpr`` under every configured key (rows sealed before a rotation are found too)."""
        return tuple(self._lookup(k, cpr) for k in self._keys)

    @staticmethod
    def _lookup(key: _Key, cpr: Cpr) -> str:
        return _b64(hmac.new(key.lookup_key, cpr.digits.encode("ascii"), hashlib.sha256).digest())


def _decode_key(text: str) -> bytes:
    try:
        raw = base64.b64decode(text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CprKeyError(f"{SETTING} skal være base64-kodede nøgler, adskilt af komma.") from exc
    if len(raw) != KEY_BYTES:
        raise CprKeyError(f"Hver nøgle i {SETTING} skal være {KEY_BYTES} byte ({KEY_BYTES * 8} bit), base64-kodet.")
    return raw


def vault_from_setting(value: str, environment: str) -> CprVault:
    """The vault of a ``RAMMEAFTALE_CPR_KEY`` value; ``CprKeyError`` when it is not usable in ``environment``."""
    development = environment in DEVELOPMENT_ENVIRONMENTS
    texts = [t.strip() for t in value.split(",") if t.strip()]
    if not texts:
        if not development:
            raise CprKeyError(
                f"{SETTING} skal sættes til en hemmelig, base64-kodet nøgle på {KEY_BYTES * 8} bit, når "
                f"RAMMEAFTALE_ENV er '{environment}' (udviklingsnøglen må kun bruges under udvikling)."
            )
        texts = [DEVELOPMENT_KEY]
    masters = [_decode_key(t) for t in texts]
    if not development and _decode_key(DEVELOPMENT_KEY) in masters:
        raise CprKeyError(f"Udviklingsnøglen må ikke bruges i {SETTING}, når RAMMEAFTALE_ENV er '{environment}'.")
    return CprVault(masters)


@lru_cache(maxsize=8)
def _cached(value: str, environment: str) -> CprVault:
    return vault_from_setting(value, environment)


def vault_from_environment() -> CprVault:
    """The vault of the process's environment (``RAMMEAFTALE_CPR_KEY``, ``RAMMEAFTALE_ENV``), cached per value."""
    environment = os.environ.get("RAMMEAFTALE_ENV", "development").strip().lower() or "development"
    return _cached(os.environ.get(SETTING, ""), environment)


def new_key() -> str:
    """A fresh random key for ``RAMMEAFTALE_CPR_KEY`` (base64)."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")
