"""When plans overlap, the current one speaks: overdue twins step back.

A new plan often repeats or updates lines of the one before, and the old
line, with years of matching aids written for it, may score a little higher.
When responses are about equally close to a question (within
`SAME_TOPIC_POINTS` of the best, and relevant enough to suggest), the ones
still current come first, and an overdue twin no longer stops the current one
from being the clear answer. Overdue content is never hidden: it stays among
the results, labelled.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.content import Entry
from bot.content.records import replace
from bot.matching.outcome import ANSWER, NO_MATCH, Match, MatchSettings, Result

SAME_TOPIC_POINTS = 10.0


def prefer_current(match: Match, overdue: Callable[[Entry], bool],
                   settings: MatchSettings) -> Match:
    results = list(match.results)
    if match.status == NO_MATCH or len(results) < 2:
        return match
    late = {r.entry.id for r in results if overdue(r.entry)}
    if not late or len(late) == len(results):
        return match
    band_floor = max(results[0].score - max(SAME_TOPIC_POINTS, settings.answer_min_margin),
                     settings.suggest_min_score)
    band = [r for r in results if r.score >= band_floor]
    rest = [r for r in results if r.score < band_floor]
    current = [r for r in band if r.entry.id not in late]
    if not current:
        return match
    ordered = current + [r for r in band if r.entry.id in late] + rest
    return replace(match, results=tuple(ordered),
                   status=_status(ordered, late, settings, match.status))


def _status(ordered: list[Result], late: set[str], settings: MatchSettings,
            status: str) -> str:
    top = ordered[0]
    if top.score < settings.answer_min_score:
        return status
    others = [r.score for r in ordered[1:] if r.entry.id not in late]
    runner_up = max(others, default=0.0)
    return ANSWER if top.score - runner_up >= settings.answer_min_margin else status
