"""When plans overlap, the current one speaks: overdue twins step back.

A new plan often repeats or updates lines of the one before, and the old
line, with years of matching aids written for it, may score a little higher.
When responses are about equally close to a question (within
`SAME_TOPIC_POINTS` of the best, and relevant enough to suggest), the ones
still current come first, and an overdue twin no longer stops the current one
from being the clear answer. Overdue content is never hidden: it stays among
the results, labelled. And the same approved words in several plans are
listed once, from the newest plan (newest_copies).
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


def newest_copies(match: Match, settings: MatchSettings,
                  overdue: Callable[[Entry], bool] = lambda _: False) -> Match:
    """Each approved response once: copies of the same words show the newest plan's.

    A press office repeats last week's lines word for word in this week's plan;
    listing both put the same words twice, the older plan first. A response
    keeps the place (and score) of its best-ranked copy, shown from the copy in
    the plan with the latest `date` (ties: the best-ranked), so its source names
    the current plan; a copy still current beats an overdue one (its label would
    say the words are not re-approved when they are). The status, and whether
    several responses fit (`Match.is_topic`), are left as they were decided:
    folding copies only removes repeats and chooses which one to show, never
    makes an answer surer.
    """
    if len(match.results) < 2:  # most answers: nothing to fold
        return match
    keys = [same_words(result.entry) for result in match.results]
    groups: dict[tuple[object, ...], list[Result]] = {}
    for key, result in zip(keys, match.results, strict=True):
        groups.setdefault(key, []).append(result)
    if len(groups) == len(match.results):
        return match
    shown, copies = [], dict(match.copies)
    for key, result in zip(keys, match.results, strict=True):
        group = groups[key]
        if result is not group[0]:
            continue
        newest = max(group, key=lambda r: (not overdue(r.entry), r.entry.document.date))
        shown.append(replace(result, entry=newest.entry))
        if len(group) > 1:
            copies[newest.entry.id] = tuple(r.entry for r in group if r is not newest)
    return replace(match, results=tuple(shown), copies=copies,
                   several_fit=match.is_topic(settings.answer_min_score))


def same_words(entry: Entry) -> tuple[object, ...]:
    """What makes two entries the same approved response: their kind, question, text
    and supporting points, exactly, but for whitespace (an internal note is never the
    same response as a line to say, nor one answer to two different questions)."""
    return (entry.kind, _spaced(entry.question or ""), _spaced(entry.text),
            tuple(map(_spaced, entry.supporting)))


def _spaced(text: str) -> str:
    return " ".join(text.split())


def preferred(match: Match, overdue: Callable[[Entry], bool],
              settings: MatchSettings) -> Match:
    """What a person is shown of a lookup: current plans before overdue twins
    (prefer_current), then each approved response once (newest_copies)."""
    return newest_copies(prefer_current(match, overdue, settings), settings, overdue)
