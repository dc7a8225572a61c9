"""Privacy of the query log: pseudonymous users and a retention limit.

The log exists so the communications team can see what was asked, not who asked it. With
`FACTS_LOG_PSEUDONYMIZE=1` every record is passed through `Pseudonymizer.apply` before it
is written, so Slack user ids and names never reach the database: each becomes a keyed
hash ("anon-" + 16 hex digits of HMAC-SHA256). The same person keeps the same pseudonym,
so "how many people asked" and repeat questions still count correctly.

The key comes from `FACTS_PSEUDONYM_KEY` (environment or settings file; see
bot/config.py) and is required when pseudonymising: without a secret key, anyone could
hash the workspace's few thousand user ids and reverse the pseudonyms. Keep it in the
same secret store as the Slack tokens. Changing it starts new pseudonyms: older rows
cannot be linked to newer ones any more, which is also how to cut that link on purpose.
Generate one with `python3 -c "import secrets; print(secrets.token_hex(32))"`.

Retention: rows older than `FACTS_LOG_RETENTION_DAYS` (default 365) are deleted by
`purge_expired`, queries and audit entries alike.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import re
from typing import TypeVar

from bot.service.settings import ConfigError, Settings
from bot.store.base import AuditRecord, LogStore, QueryRecord, as_utc

PSEUDONYM_PREFIX = "anon-"
#: A shorter key could be guessed; 16 characters is the least we accept.
MIN_KEY_LENGTH = 16

_PSEUDONYM = re.compile(rf"{PSEUDONYM_PREFIX}[0-9a-f]{{16}}")

R = TypeVar("R", QueryRecord, AuditRecord)


class Pseudonymizer:
    """Replaces user ids and names by stable keyed hashes.

    Ids and names are hashed apart ("id" and "name" are mixed into the hash), so a name
    that happens to equal someone's id does not collide with that id's pseudonym.
    Idempotent: a value that is already a pseudonym is left alone, so applying twice
    (say, once by the caller and once more by a wrapper) changes nothing.
    """

    def __init__(self, key: str | bytes) -> None:
        secret = key.encode() if isinstance(key, str) else bytes(key)
        if len(secret) < MIN_KEY_LENGTH:
            raise ValueError(f"pseudonym key must be at least {MIN_KEY_LENGTH} characters")
        self._key = secret

    def user_id(self, value: str) -> str:
        return self._hash(b"id", value)

    def user_name(self, value: str) -> str:
        return self._hash(b"name", value)

    def apply(self, record: R) -> R:
        """The same record with its user id and name pseudonymised; everything else kept."""
        return dataclasses.replace(record, user_id=self.user_id(record.user_id),
                                   user_name=self.user_name(record.user_name))

    def _hash(self, domain: bytes, value: str) -> str:
        # Empty means "no user" (a reload from the command line): nothing to hide.
        if not value or _PSEUDONYM.fullmatch(value):
            return value
        digest = hmac.new(self._key, domain + b"\0" + value.encode(), hashlib.sha256)
        return PSEUDONYM_PREFIX + digest.hexdigest()[:16]

    def __repr__(self) -> str:
        return "Pseudonymizer(key=***)"


def pseudonymizer_for(settings: Settings) -> Pseudonymizer | None:
    """The pseudonymizer the settings ask for, or None when users are logged as they are."""
    if not settings.log_pseudonymize:
        return None
    if not settings.pseudonym_key:
        raise ConfigError("FACTS_PSEUDONYM_KEY is required when FACTS_LOG_PSEUDONYMIZE=1 "
                          "(a secret of 16+ characters; keep it with the Slack tokens)")
    try:
        return Pseudonymizer(settings.pseudonym_key)
    except ValueError as problem:
        raise ConfigError(f"FACTS_PSEUDONYM_KEY: {problem}") from None


def retention_cutoff(now: dt.datetime, retention_days: int) -> dt.datetime:
    """The oldest moment still kept: rows strictly before it are expired."""
    if retention_days < 1:
        raise ValueError("retention_days must be at least 1")
    return as_utc(now, "now") - dt.timedelta(days=retention_days)


def purge_expired(store: LogStore, now: dt.datetime, retention_days: int) -> int:
    """Delete queries and audit entries older than `retention_days`; return how many went."""
    return store.purge_before(retention_cutoff(now, retention_days))
