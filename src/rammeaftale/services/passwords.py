"""What a new password must be (OWASP ASVS 5.0 V6.2): long enough, not guessable, not about the person.

* At least 12 characters (ASVS asks for 8 and recommends 15) and at most 256, so that 64-character
  passphrases and password managers' output always fit, while argon2 never gets megabytes.
* Any characters and composition; no rules such as "one digit and one capital" (V6.2.5); spaces and
  Danish letters count like any other character, and the password is used exactly as typed (V6.2.8).
* Not guessable: zxcvbn (Dropbox's estimator, with its list of 30,000 common passwords, names and
  words, and keyboard and date patterns) must score it at least 3 of 4 (V6.2.4, V6.2.12: a
  password from the common-password lists scores 0 or 1).
* Not about the person or the product: the username, the person's and organisation's names and
  words of the domain are given to zxcvbn as context, and a password containing one of them
  (ignoring case) is refused outright (V6.1.2, V6.2.11).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 256
MIN_SCORE = 3  # zxcvbn: 0 too guessable … 4 very unguessable
ESTIMATED_PREFIX = 100  # zxcvbn's work grows with the length; beyond this the estimate no longer matters
MIN_CONTEXT_WORD = 4
# Words of this product and its domain that people are tempted to build passwords from (V6.1.2).
DOMAIN_WORDS = (
    "rammeaftale",
    "takst",
    "takstbilag",
    "socialtilsyn",
    "driftsherre",
    "sekretariat",
    "kommune",
    "region",
    "nordjylland",
    "midtjylland",
    "syddanmark",
    "sjælland",
    "hovedstaden",
)


def context_words(*texts: str) -> list[str]:
    """The words of a username, a person's name, an organisation's name … worth refusing (and the domain's)."""
    words = set(DOMAIN_WORDS)
    for text in texts:
        lowered = text.lower()
        words.add(lowered)
        words.update(part for part in re.findall(r"[^\W_]+", lowered) if len(part) >= MIN_CONTEXT_WORD)
    return sorted(w for w in words if len(w) >= MIN_CONTEXT_WORD)


def password_problems(password: str, context: Iterable[str]) -> list[str]:
    """Danish reasons why ``password`` may not be used; empty when it may."""
    if len(password) < MIN_LENGTH:
        return [f"Adgangskoden skal være på mindst {MIN_LENGTH} tegn (gerne en sætning af flere ord)."]
    if len(password) > MAX_LENGTH:
        return [f"Adgangskoden må højst være på {MAX_LENGTH} tegn."]
    words = list(context)
    lowered = password.lower()
    contained = sorted(w for w in words if w in lowered)
    if contained:
        return [
            "Adgangskoden må ikke indeholde dit brugernavn, dit eller din organisations navn eller ord som "
            f"«{contained[0]}»."
        ]
    estimate = zxcvbn(password[:ESTIMATED_PREFIX], user_inputs=words)
    if int(estimate["score"]) < MIN_SCORE:
        return [
            "Adgangskoden er for let at gætte: den ligner en almindelig adgangskode, et navn, et ord "
            "eller et mønster på tastaturet. Brug flere ord, der ikke hører sammen."
        ]
    return []
