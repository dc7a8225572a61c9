"""Settings: environment variables, optionally a YAML settings file beneath them.

Every setting is read and checked once at start-up, so a typo in a
deployment fails at once with one message naming the setting, not later in
the middle of a press officer's request.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from bot.content import BUNDLED_KNOWLEDGE
from bot.matching import MatchSettings

SLACK_API_DEFAULT = "https://slack.com/api/"
#: Days a review period may last (FACTS_REVIEW_DAYS, `facts-bot import --review-days`):
#: a larger one overflowed the date.
MAX_REVIEW_DAYS = 3650


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Settings:
    bot_token: str | None = None
    signing_secret: str | None = None
    app_token: str | None = None
    knowledge_dir: Path = BUNDLED_KNOWLEDGE
    db: str = "./facts-bot.db"
    admins: frozenset[str] = frozenset()
    admin_group: str | None = None
    api_url: str = SLACK_API_DEFAULT
    host: str = "127.0.0.1"
    port: int = 3000
    alert_channel: str | None = None
    log_retention_days: int = 365
    log_pseudonymize: bool = False
    pseudonym_key: str | None = None
    log_format: str = "text"
    spool_path: str = "./facts-bot-spool.jsonl"
    review_days: int = 90  # a re-approval keeps content current this long
    http_idle_seconds: int = 10
    answer_in_ack_ms: int = 500
    match: MatchSettings = MatchSettings()

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)


# environment name -> (Settings field, parser)
def _text(name: str, value: Any) -> str:
    if not isinstance(value, str | int) or not str(value).strip():
        raise ConfigError(f"{name} must be non-empty text")
    return str(value).strip()


def _token(prefix: str):
    def parse(name: str, value: Any) -> str:
        token = _text(name, value)
        if not token.startswith(prefix):
            raise ConfigError(f"{name} must start with {prefix!r} (got {token[:5]!r}...)")
        return token
    return parse


def _int(low: int, high: int):
    def parse(name: str, value: Any) -> int:
        text = _text(name, value)
        if not re.fullmatch(r"\d+", text) or not low <= int(text) <= high:
            raise ConfigError(f"{name} must be a whole number from {low} to {high}, not {text!r}")
        return int(text)
    return parse


def _number(low: float, high: float):
    def parse(name: str, value: Any) -> float:
        text = _text(name, value)
        try:
            number = float(text)
        except ValueError:
            raise ConfigError(f"{name} must be a number, not {text!r}") from None
        if not low <= number <= high:
            raise ConfigError(f"{name} must be between {low:g} and {high:g}, not {text}")
        return number
    return parse


def _flag(name: str, value: Any) -> bool:
    text = _text(name, value).lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be 1/0 (or true/false), not {text!r}")


def _user_ids(name: str, value: Any) -> frozenset[str]:
    items = value if isinstance(value, list) else str(value).split(",")
    ids = frozenset(str(item).strip() for item in items if str(item).strip())
    bad = sorted(i for i in ids if not re.fullmatch(r"[UW][A-Z0-9]{2,}", i))
    if bad:
        raise ConfigError(f"{name} must be Slack user ids like U012ABC, not {', '.join(bad)}")
    return ids


def _directory(name: str, value: Any) -> Path:
    path = Path(_text(name, value)).expanduser()
    if not path.is_dir():
        raise ConfigError(f"{name}: no such directory {str(path)!r}")
    return path


def _url(name: str, value: Any) -> str:
    url = _text(name, value)
    if not re.match(r"https?://[^/\s]+", url):
        raise ConfigError(f"{name} must be an http(s) URL, not {url!r}")
    return url if url.endswith("/") else url + "/"


def _database(name: str, value: Any) -> str:
    """A SQLite path or a store URL; a libpq keyword string would silently become a file."""
    target = _text(name, value)
    scheme, sep, _ = target.partition("://")
    if sep and scheme.lower() not in ("sqlite", "postgresql", "postgres") \
            and not scheme.lower().startswith("postgresql+"):
        raise ConfigError(f"{name} must be a file path, sqlite:///path or postgresql://..., "
                          f"not a {scheme}:// URL")
    if not sep and re.search(r"\b(dbname|host|user|port)\s*=", target):
        raise ConfigError(f"{name} looks like a PostgreSQL keyword connection string; "
                          "write it as a URL: postgresql://user:password@host:port/dbname")
    return target


def _choice(*options: str):
    def parse(name: str, value: Any) -> str:
        text = _text(name, value).lower()
        if text not in options:
            raise ConfigError(f"{name} must be one of {', '.join(options)}, not {text!r}")
        return text
    return parse


_SETTINGS = {
    "SLACK_BOT_TOKEN": ("bot_token", _token("xoxb-")),
    "SLACK_SIGNING_SECRET": ("signing_secret", _text),
    "SLACK_APP_TOKEN": ("app_token", _token("xapp-")),
    "FACTS_KNOWLEDGE_DIR": ("knowledge_dir", _directory),
    "FACTS_DB": ("db", _database),
    "FACTS_ADMINS": ("admins", _user_ids),
    "FACTS_ADMIN_GROUP": ("admin_group", _text),
    "SLACK_API_URL": ("api_url", _url),
    "FACTS_HOST": ("host", _text),
    "FACTS_PORT": ("port", _int(0, 65535)),  # 0: any free port
    "FACTS_ALERT_CHANNEL": ("alert_channel", _text),
    "FACTS_LOG_RETENTION_DAYS": ("log_retention_days", _int(1, 36500)),
    "FACTS_LOG_PSEUDONYMIZE": ("log_pseudonymize", _flag),
    "FACTS_PSEUDONYM_KEY": ("pseudonym_key", _text),
    "FACTS_LOG_FORMAT": ("log_format", _choice("text", "json")),
    "FACTS_SPOOL": ("spool_path", _text),
    "FACTS_REVIEW_DAYS": ("review_days", _int(1, MAX_REVIEW_DAYS)),
    "FACTS_HTTP_IDLE_SECONDS": ("http_idle_seconds", _int(1, 3600)),
    # how long an ack may wait for its answer; 0: every answer follows via response_url
    "FACTS_ANSWER_IN_ACK_MS": ("answer_in_ack_ms", _int(0, 2000)),
}
_MATCH_SETTINGS = {
    "FACTS_ANSWER_MIN_SCORE": ("answer_min_score", _number(0, 100)),
    "FACTS_ANSWER_MIN_MARGIN": ("answer_min_margin", _number(0, 100)),
    "FACTS_SUGGEST_MIN_SCORE": ("suggest_min_score", _number(0, 100)),
    "FACTS_TYPO_MIN_SIMILARITY": ("typo_min_similarity", _number(0, 100)),
}
SETTING_NAMES = (*_SETTINGS, *_MATCH_SETTINGS, "FACTS_SETTINGS")


def _read_settings_file(path: str) -> Mapping[str, Any]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except OSError as failed:
        raise ConfigError(f"FACTS_SETTINGS: cannot read {path!r}: {failed.strerror}") from None
    except yaml.YAMLError as failed:
        raise ConfigError(f"FACTS_SETTINGS: {_yaml_problem(path, failed)}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"FACTS_SETTINGS: {path!r} must be a mapping of setting names")
    unknown = sorted(set(data) - set(SETTING_NAMES))
    if unknown:
        raise ConfigError(f"FACTS_SETTINGS: unknown setting(s) in {path!r}: {', '.join(unknown)}")
    return data


def _yaml_problem(path: str, failed: yaml.YAMLError) -> str:
    """File, line and what is wrong, never the text: the offending line may hold a token.

    PyYAML's own message quotes the line (and sometimes the value) it choked on.
    """
    def hidden(text: object) -> str:
        return re.sub(r"'[^']*'|\"[^\"]*\"", "(value hidden)", str(text))

    problem_mark = getattr(failed, "problem_mark", None)
    context_mark = getattr(failed, "context_mark", None)
    problem = getattr(failed, "problem", None) or type(failed).__name__
    where = f"{path}:{problem_mark.line + 1}" if problem_mark is not None else path
    message = f"{where}: not valid YAML: {hidden(problem)}"
    context = getattr(failed, "context", None)
    if context and context_mark is not None:
        message += f" ({hidden(context)} from line {context_mark.line + 1})"
    return message


def load_settings(environ: Mapping[str, str] | None = None,
                  settings_file: str | None = None) -> Settings:
    """Settings from a YAML file (if any) overlaid by the environment."""
    environ = os.environ if environ is None else environ
    source: dict[str, Any] = {}
    file_name = settings_file or environ.get("FACTS_SETTINGS")
    if file_name:
        source.update(_read_settings_file(file_name))
    source.update({k: v for k, v in environ.items() if k in SETTING_NAMES and v != ""})
    values = {attr: parse(name, source[name])
              for name, (attr, parse) in _SETTINGS.items() if name in source}
    match_values = {attr: parse(name, source[name])
                    for name, (attr, parse) in _MATCH_SETTINGS.items() if name in source}
    match = MatchSettings(**match_values)
    if match.suggest_min_score > match.answer_min_score:
        raise ConfigError("FACTS_SUGGEST_MIN_SCORE must not exceed FACTS_ANSWER_MIN_SCORE")
    return Settings(**values, match=match)


def require_for_serving(settings: Settings) -> None:
    """What `facts-bot serve` cannot start without, checked before anything starts."""
    if not settings.bot_token:
        raise ConfigError("SLACK_BOT_TOKEN is not set (the bot's xoxb- token)")
    if not settings.socket_mode and not settings.signing_secret:
        raise ConfigError("SLACK_SIGNING_SECRET is not set (needed to verify HTTP requests; "
                          "or set SLACK_APP_TOKEN for Socket Mode)")


def describe(settings: Settings) -> dict[str, Any]:
    """Settings for a log line, secrets hidden."""
    hidden = {"bot_token", "signing_secret", "app_token", "pseudonym_key"}
    return {f.name: ("***" if f.name in hidden and getattr(settings, f.name) else
                     str(getattr(settings, f.name))) for f in fields(settings)}
