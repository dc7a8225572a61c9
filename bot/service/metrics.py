"""Prometheus metrics in the text exposition format, with no client library.

Counters and fixed-bucket histograms are a few lines each; the format is
stable and documented, so a dependency would add more than it saves.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

LATENCY_BUCKETS_MS = (0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000)


def _labels(pairs: Iterable[tuple[str, str]]) -> str:
    inner = ",".join(f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
                     for k, v in pairs)
    return "{" + inner + "}" if inner else ""


@dataclass
class Counter:
    name: str
    help: str
    values: dict[tuple[tuple[str, str], ...], float] = field(default_factory=dict)

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        self.values[key] = self.values.get(key, 0.0) + amount

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} counter"]
        lines += [f"{self.name}{_labels(k)} {v:g}" for k, v in sorted(self.values.items())]
        return lines


@dataclass
class Histogram:
    name: str
    help: str
    buckets: tuple[float, ...] = LATENCY_BUCKETS_MS
    counts: list[int] = field(default_factory=list)
    total: float = 0.0
    observations: int = 0

    def __post_init__(self) -> None:
        self.counts = [0] * (len(self.buckets) + 1)

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.buckets, value)] += 1
        self.total += value
        self.observations += 1

    def quantile(self, q: float) -> float:
        """An upper bound for the q-quantile: the bucket edge it falls under."""
        target, seen = q * self.observations, 0
        for edge, count in zip((*self.buckets, float("inf")), self.counts, strict=True):
            seen += count
            if seen >= target:
                return edge
        return float("inf")

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} histogram"]
        cumulative = 0
        for edge, count in zip(self.buckets, self.counts, strict=False):
            cumulative += count
            lines.append(f'{self.name}_bucket{{le="{edge:g}"}} {cumulative}')
        lines.append(f'{self.name}_bucket{{le="+Inf"}} {self.observations}')
        lines += [f"{self.name}_sum {self.total:g}", f"{self.name}_count {self.observations}"]
        return lines


@dataclass
class Metrics:
    """Everything the bot reports; one instance per process, passed in where used."""

    queries: Counter = field(default_factory=lambda: Counter(
        "facts_queries_total", "Lookups by outcome (answer, suggestions, no_match)."))
    commands: Counter = field(default_factory=lambda: Counter(
        "facts_commands_total", "Other /facts commands by name."))
    lookup_ms: Histogram = field(default_factory=lambda: Histogram(
        "facts_lookup_milliseconds", "Lookup and reply building time per question (a "
        "question asked again reuses both while the content, approvals and day are the same)."))
    ack_ms: Histogram = field(default_factory=lambda: Histogram(
        "facts_ack_milliseconds", "Time from receiving a Slack request to answering it."))
    log_commit_ms: Histogram = field(default_factory=lambda: Histogram(
        "facts_log_commit_milliseconds", "Time a log row waited for its database commit "
        "(an answer in the ack waits for it: group commit on the store's writer thread)."))
    reloads: Counter = field(default_factory=lambda: Counter(
        "facts_reloads_total", "Knowledge reloads by result (ok, failed)."))
    alert_posts: Counter = field(default_factory=lambda: Counter(
        "facts_alert_posts_total", "Event-day alert posts by result."))
    slack_errors: Counter = field(default_factory=lambda: Counter(
        "facts_slack_api_errors_total", "Slack API calls that failed, by error."))
    slack_retries: Counter = field(default_factory=lambda: Counter(
        "facts_slack_api_retries_total",
        "Slack calls retried by slack_sdk, by reason (rate_limited, connection_error)."))
    log_write_errors: Counter = field(default_factory=lambda: Counter(
        "facts_log_write_errors_total", "Query-log writes that failed."))
    http_refused: Counter = field(default_factory=lambda: Counter(
        "facts_http_refused_total",
        "/slack/events requests refused before bolt, by reason (signature, replay, ...)."))

    replies: Counter = field(default_factory=lambda: Counter(
        "facts_replies_total", "/facts replies by how they went out: in the ack, or late "
        "through response_url (the lookup or log commit overran the ack budget)."))

    gauges: dict[str, tuple[str, Callable[[], float]]] = field(default_factory=dict)

    def gauge(self, name: str, help_text: str, read: Callable[[], float]) -> None:
        """A value read when /metrics is scraped (rows waiting, rows dropped...)."""
        self.gauges[name] = (help_text, read)

    def render(self) -> str:
        lines: list[str] = []
        for metric in (self.queries, self.commands, self.lookup_ms, self.ack_ms,
                       self.log_commit_ms, self.reloads,
                       self.alert_posts, self.slack_errors, self.slack_retries,
                       self.log_write_errors, self.http_refused,
                       self.replies):
            lines += metric.render()
        for name, (help_text, read) in sorted(self.gauges.items()):
            kind = "counter" if name.endswith("_total") else "gauge"
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", f"{name} {read():g}"]
        return "\n".join(lines) + "\n"
