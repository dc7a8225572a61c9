"""Records and the storage interface for the query log.

Why a module of its own: the bot, the CLI export and the PostgreSQL backend all
need these types, and none of them should have to import a database driver to get them.
Everything here is backend-neutral; `bot/store/sqlite.py` and `bot/store/postgres.py` are
the implementations.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self

#: The closed set of outcomes a query can have. Checked when a row is *written* (so a typo
#: fails loudly in the caller), never when one is read (so rows written by a newer version
#: with a new status still load).
QUERY_STATUSES = frozenset({"answer", "suggestions", "no_match", "help", "command"})

#: States of an alert claim: claimed and not finished, posted, or attempted and failed.
ALERT_PENDING = "pending"
ALERT_OK = "ok"
ALERT_FAILED = "failed"


def as_utc(ts: datetime, what: str = "ts") -> datetime:
    """Return `ts` in UTC; refuse naive datetimes.

    A naive timestamp in a log that several processes (and people in several time zones)
    read is ambiguous forever, so it is rejected at the door rather than guessed at.
    """
    if not isinstance(ts, datetime):
        raise TypeError(f"{what} must be a datetime, got {type(ts).__name__}")
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {ts!r}")
    return ts.astimezone(UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class QueryRecord:
    """One query a user asked and what the bot did with it.

    Keyword-only because most fields are strings: a positional call that swaps `user_id`
    and `channel_id` would type-check and silently corrupt the log. `ts` is normalised to
    UTC and `shown_ids` to a tuple on construction, so equal records compare equal after a
    round trip through any backend.
    """

    ts: datetime
    request_id: str
    user_id: str
    user_name: str
    channel_id: str
    team_id: str
    text: str
    status: str
    top_id: str | None
    top_score: float | None
    shown_ids: tuple[str, ...]
    content_version: str
    latency_ms: float
    source: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "ts", as_utc(self.ts))
        if isinstance(self.shown_ids, str):
            # tuple("abc") would silently become ("a", "b", "c").
            raise TypeError("shown_ids must be a sequence of ids, not a string")
        object.__setattr__(self, "shown_ids", tuple(self.shown_ids))

    def validate(self) -> None:
        """Raise ValueError if this record must not be written. Backends call it on write."""
        if self.status not in QUERY_STATUSES:
            raise ValueError(
                f"unknown query status {self.status!r}; expected one of {sorted(QUERY_STATUSES)}"
            )
        if not self.source:
            raise ValueError("source must not be empty")
        if not all(isinstance(i, str) for i in self.shown_ids):
            raise ValueError("shown_ids must contain only strings")


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditRecord:
    """Something that happened around a query: feedback, a share, a refusal, a reload...

    `kind` is open-ended on purpose (new features add kinds); `detail` is free-form and
    must be JSON-serialisable, because that is how every backend stores it.
    """

    ts: datetime
    kind: str
    user_id: str
    user_name: str
    channel_id: str
    team_id: str
    request_id: str
    detail: dict[str, Any] = field(default_factory=dict)
    content_version: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "ts", as_utc(self.ts))

    def validate(self) -> None:
        """Raise ValueError if this record must not be written. Backends call it on write."""
        if not self.kind:
            raise ValueError("audit kind must not be empty")
        if not isinstance(self.detail, dict):
            raise ValueError("audit detail must be a dict")


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertStatus:
    """Where one alert stands. `key` identifies the alert (e.g. plan id + event + date)."""

    key: str
    owner: str
    state: str  # ALERT_PENDING | ALERT_OK | ALERT_FAILED
    attempts: int
    claimed_at: datetime
    finished_at: datetime | None
    detail: str


class LogStore(abc.ABC):
    """Where queries, the audit trail, alert claims and replica versions live.

    Writes are async and return only once the row is committed durably, so a caller that
    awaits `record_query` before sending the answer knows the answer is on record. Reads,
    alert claims and replica bookkeeping are sync: they are rare (exports, once-a-day
    alerts, a poll every few seconds) and simplest to reason about that way; wrap them in
    `asyncio.to_thread` if called from the event loop at a busy moment.

    Time ranges are half-open: `since` is inclusive, `until` exclusive, both aware.
    After `close()` every method raises RuntimeError.
    """

    @abc.abstractmethod
    async def record_query(self, rec: QueryRecord) -> None:
        """Write `rec`; return after it is committed. Raises if the write failed."""

    @abc.abstractmethod
    async def record_audit(self, rec: AuditRecord) -> None:
        """Write `rec`; return after it is committed. Raises if the write failed."""

    @abc.abstractmethod
    def query_rows(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        status: str | None = None,
    ) -> Iterator[QueryRecord]:
        """Stream matching queries ordered by ts (ties in write order)."""

    @abc.abstractmethod
    def audit_rows(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        kind: str | None = None,
    ) -> Iterator[AuditRecord]:
        """Stream matching audit rows ordered by ts (ties in write order)."""

    def feedback_on(self, request_id: str, user_id: str) -> list[AuditRecord]:
        """One person's feedback rows on one reply, oldest first: so a second click can
        say it replaces the first. Feedback rows are few (clicks), so every backend can
        answer from `audit_rows`."""
        return [r for r in self.audit_rows(kind="feedback")
                if r.request_id == request_id and r.user_id == user_id]

    @abc.abstractmethod
    def purge_before(self, ts: datetime) -> int:
        """Delete queries and audit rows with ts < `ts`; return how many rows went.

        Alert claims are kept: they are what stops an alert being posted twice.
        """

    @abc.abstractmethod
    def claim_alert(self, key: str, owner: str, now: datetime) -> bool:
        """Atomically claim alert `key` for `owner`.

        True only for the single caller that created the claim, or that re-claims a key
        whose previous attempt FAILED. A pending claim (its owner may have crashed
        mid-post) is never taken over: an alert is posted at most once, and an operator
        can see stuck claims with `list_alerts`.
        """

    @abc.abstractmethod
    def finish_alert(self, key: str, ok: bool, detail: str, now: datetime) -> None:
        """Record the outcome of a claimed attempt. LookupError if `key` is not pending."""

    @abc.abstractmethod
    def alert_status(self, key: str) -> AlertStatus | None:
        """The claim for `key`, or None if it was never claimed."""

    @abc.abstractmethod
    def list_alerts(self, since: datetime | None = None) -> list[AlertStatus]:
        """Claims made at or after `since` (all if None), oldest claim first."""

    # -- replicas: "reload reaches every replica" ----------------------------------------
    #
    # Several copies of the bot may serve one workspace. `/facts reload` lands on one of
    # them; it appends a reload request, every copy polls `reload_requests_after` and
    # reloads, then reports its content version with `publish_content_version`, so the
    # copy that took the command can say how many replicas are on the new version. These
    # live in the store because it is the one thing every replica already shares.

    @abc.abstractmethod
    def publish_content_version(self, replica_id: str, version: str, now: datetime) -> None:
        """Record that `replica_id` serves content `version` as of `now` (a heartbeat).

        Upsert: one row per replica, so calling it every poll keeps the table tiny.
        """

    @abc.abstractmethod
    def replica_versions(self, since: datetime) -> dict[str, str]:
        """Replica id → the version it reports, for replicas heard from at or after `since`.

        Replicas that stopped heartbeating drop out, so a crashed copy is not counted.
        """

    @abc.abstractmethod
    def request_reload(self, version_hint: str, now: datetime) -> int:
        """Append a reload request; return its sequence number.

        Sequence numbers only grow and become visible in order (a poller that has seen N
        never later finds a new request below N), so "everything after N" is enough state.
        """

    @abc.abstractmethod
    def reload_requests_after(self, seq: int) -> list[tuple[int, str]]:
        """Reload requests with a sequence number > `seq`, as (seq, version_hint), oldest first.

        A replica remembers the last seq it acted on; at startup it takes the newest seq
        in `reload_requests_after(0)` (the whole log: reloads are rare) as its baseline.
        """

    def health_notes(self) -> list[str]:
        """What an operator should know about this store right now (for /readyz)."""
        return []

    @abc.abstractmethod
    async def close(self) -> None:
        """Write everything still queued, then release resources. Idempotent."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
