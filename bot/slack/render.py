"""Block Kit messages, built from plain data.

The approved text is shown exactly as written; the only words added are
labels (kind, source, buttons) and the bot's own status lines. Everything
from users or content passes through `escape`, so a query can never ping
@channel or forge a link, and long content is split to Slack's limits.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.content import INTERNAL_LABEL, KINDS, Contact, Entry
from bot.content.links import plain_words
from bot.matching import ANSWER, NO_MATCH, NOT_A_MATCH, Match, Result
from bot.slack.verbatim import SECTION_LIMIT, approved_mrkdwn, escape, split_text, verbatim_blocks

BLOCK_LIMIT = 50
FALLBACK_LIMIT = 3000

SHOW_ACTION = "facts_show"
SHARE_ACTION = "facts_share"
HELPFUL_ACTION = "facts_helpful"
NOT_HELPFUL_ACTION = "facts_not_helpful"

HELP_TEXT = (  # mrkdwn: a literal < or > is &lt; &gt;, or Slack reads a link
    "*/facts* finds the approved response for a question, word for word, with its source.\n"
    "• `/facts racial profiling`: the closest approved response (only you see it; "
    "*Share in channel* posts it)\n"
    "• `/facts list [kind]`: everything approved, or one kind: "
    + ", ".join(f"`{k}`" for k in KINDS) + "\n"
    "• `/facts show &lt;id&gt;`: one response by its id\n"
    "• `/facts events`: today's and upcoming events and actions\n"
    "• `/facts check &lt;text&gt;`: is every sentence approved, word for word? (On a message: "
    "the *Check against approved lines* shortcut.)\n"
    "• `/facts help`: this message\n"
    "Admins: `/facts reload` (re-read the approved content), `/facts stats` (last 7 days), "
    "`/facts approve &lt;plan or entry id&gt;` (re-approve it for another review period)."
)


@dataclass(frozen=True)
class Message:
    """A reply: blocks, and the plain text Slack shows in notifications."""

    blocks: list[dict]
    text: str


QUERY_SHOWN = 300  # characters of a question repeated back in a heading


def shortened(query: str) -> str:
    """A question as repeated back: a very long one is cut (and says so).

    Slack takes slash commands of thousands of characters; repeated whole in a
    section it made the reply one Slack refuses, so the person saw nothing.
    """
    return query if len(query) <= QUERY_SHOWN else query[:QUERY_SHOWN].rstrip() + "…"


def quoted_query(query: str) -> str:
    """`shortened`, then escaped: cut first, so no `&entity;` is ever cut in half."""
    return escape(shortened(query))


def section(mrkdwn: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}


def sections(mrkdwn_pieces: Iterable[str]) -> list[dict]:
    return [section(piece) for text in mrkdwn_pieces for piece in split_text(text)]


def context_block(mrkdwn: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn[:SECTION_LIMIT]}]}


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict:
    element = {"type": "button", "text": {"type": "plain_text", "text": text[:75], "emoji": True},
               "action_id": action_id, "value": value[:2000]}
    if style:
        element["style"] = style
    return element


def actions(*elements: dict, block_id: str | None = None) -> dict:
    block = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


def fit(blocks: list[dict]) -> list[dict]:
    """At most Slack's 50 blocks; what does not fit is said, not silently dropped."""
    if len(blocks) <= BLOCK_LIMIT:
        return blocks
    kept = blocks[: BLOCK_LIMIT - 1]
    return kept + [context_block(f"_{len(blocks) - len(kept)} more blocks did not fit in one "
                           "message; use `/facts show &lt;id&gt;` for one response._")]


def action_value(entry_id: str, context: dict) -> str:
    """A button's value: the entry and the request, nothing that grows with the query.

    Slack cuts values past 2,000 characters; the rest of the reply (the query, the
    other results) is looked up by request id when the button is clicked.
    """
    # json.dumps({"entry": ..., "r": ...}, separators=(",", ":")), without its machinery
    return f'{{"entry":{_json_string(entry_id)},"r":{_json_string(context.get("r", ""))}}}'


_json_string = json.encoder.encode_basestring_ascii  # what json.dumps quotes strings with


def opening_mrkdwn(entry: Entry) -> str:
    """The first sentence of an entry's approved words, as mrkdwn (remembered per text)."""
    return approved_mrkdwn(entry.opening())


OTHERS_SHOWN = 4
UNDATED_HEADING = "This week, no date given"


def source_line(entry: Entry) -> str:
    document = entry.document
    return (f"{escape(entry.kind_label)}: *{escape(entry.title)}* · _{escape(document.title)}_ · "
            f"{escape(entry.section)} · {document.date.isoformat()} · `{escape(entry.id)}`")


def internal_mark(entry: Entry) -> str:
    """The visible label of an internal plan note; empty for lines to say."""
    return f":lock: *{INTERNAL_LABEL}*" if entry.is_internal else ""


def review_line(label: str | None) -> str:
    """Overdue content is still served, but never without saying so (our words, not the plan's)."""
    return f"\n:warning: *{escape(label)}*" if label else ""


def entry_blocks(entry: Entry, label: str | None = None) -> list[dict]:
    """One approved response: the verbatim words, then where they come from.

    An internal plan note (who does what, background, contacts) says so
    above its words, so nobody reads it out as an approved line. Overdue
    content says so under its source (`label`).
    """
    blocks = [section(internal_mark(entry))] if entry.is_internal else []
    if entry.question:
        blocks += verbatim_blocks(f"Q: {entry.question}", bold=True)
    blocks += verbatim_blocks(entry.display_text)
    return [*blocks, context_block(source_line(entry) + review_line(label))]


def fallback(text: str) -> str:
    """The notification text: Slack parses it as mrkdwn too, so it is escaped as well."""
    return escape(text)[:FALLBACK_LIMIT]


def entry_fallback(entry: Entry, review: str | None = None) -> str:
    """What a notification or screen reader says: the words shown, labelled like the message."""
    label = f"{INTERNAL_LABEL}. " if entry.is_internal else ""
    note = f" ({review})" if review else ""
    return fallback(f"{label}{entry.kind_label}{note}: {plain_words(entry.display_text)}")


Labels = Mapping[str, str]  # entry id -> review label, for overdue entries only


def _alternatives(results: Sequence[Result], context: dict, heading: str,
                  labels: Labels | None = None) -> list[dict]:
    """Other responses, each with its opening words and one click to show (and share) it."""
    if not results:
        return []
    blocks = [context_block(heading)]
    for result in results:
        entry = result.entry
        label = escape(entry.kind_label) + (f" · {internal_mark(entry)}" if entry.is_internal
                                            else "")
        blocks.append({
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"*{escape(entry.title)}* · {label} · "
                     f"_{escape(entry.document.title)}_"
                     + review_line((labels or {}).get(entry.id))},
            "accessory": button("Show this", SHOW_ACTION, action_value(entry.id, context)),
        })
        blocks += verbatim_blocks(entry.opening())  # the opening words, as the source has them
    return blocks


def shown_controls(entry: Entry, context: dict) -> dict:
    value = action_value(entry.id, context)
    return actions(
        button("Share in channel", SHARE_ACTION, value, style="primary"),
        button("Helpful", HELPFUL_ACTION, value),
        button("Not helpful", NOT_HELPFUL_ACTION, value),
        block_id="facts_controls",
    )


def answer_message(match: Match, context: dict, shown: Entry | None = None,
                   labels: Labels | None = None) -> Message:
    """An answer: the chosen response verbatim, its controls, and close alternatives.

    A response shown from the "nearest, not a match" list (context `n`) or from
    the closest when there is no exact answer (context `c`) keeps that caveat,
    so it never looks like a confident answer.
    """
    entry = shown or match.results[0].entry
    review = (labels or {}).get(entry.id)
    others = [r for r in match.results if r.entry.id != entry.id][:OTHERS_SHOWN]
    query = quoted_query(match.query)
    if context.get("n"):
        heading = (f"Nearest approved response for “{query}”: *{NOT_A_MATCH}*; "
                   "check it fits before using it")
    elif context.get("c"):
        heading = (f"There is no exact approved answer for “{query}”. One of the closest; "
                   "check it fits before using it")
    elif match.status == ANSWER and shown is None:
        heading = f"Approved response for “{query}”"
    else:
        heading = f"Showing an approved response for “{query}”" if query else "Showing"
    blocks = [context_block(heading + _corrections(match)),
              *entry_blocks(entry, review), shown_controls(entry, context)]
    blocks += _alternatives(others, context, "Other close approved responses:", labels)
    return Message(fit(blocks), entry_fallback(entry, review))


def suggestions_message(match: Match, context: dict, answer_min_score: float,
                        labels: Labels | None = None) -> Message:
    """None clearly right. When several fit equally (a topic), show the best one at once."""
    query = quoted_query(match.query)
    if match.is_topic(answer_min_score):
        best, others = match.results[0].entry, match.results[1:1 + OTHERS_SHOWN]
        blocks = [context_block(f"Several approved responses fit “{query}”; the first is "
                                f"shown in full{_corrections(match)}"),
                  *entry_blocks(best, (labels or {}).get(best.id)),
                  shown_controls(best, context)]
        blocks += _alternatives(others, context, "Other approved responses that fit:", labels)
        return Message(fit(blocks), entry_fallback(best, (labels or {}).get(best.id)))
    heading = (f"There is no exact approved answer for “{query}”. "
               "The closest approved responses (check before using):")
    blocks = sections([heading + _corrections(match)])  # many typos read: many corrections
    blocks += _alternatives(match.results[:1 + OTHERS_SHOWN], context,
                            "Pick one to see its full approved text:", labels)
    closest = match.results[0].entry.title
    return Message(fit(blocks), fallback(f"No exact approved answer for “"
                                         f"{shortened(match.query)}”. Closest: {closest}"))


def no_match_message(match: Match, contacts: Sequence[Contact], context: dict,
                     labels: Labels | None = None) -> Message:
    """Nothing approved fits: never improvise; log it and point to a person."""
    lines = [f"There is no approved response for “{quoted_query(match.query)}”.",
             "Your question was logged for the communications team."]
    for contact in contacts:
        lines.append(f"Press contact: *{escape(contact.name)}*, {escape(contact.phone)}"
                     + (f", {escape(contact.email)}" if contact.email else ""))
    blocks = sections(["\n".join(lines)])
    blocks += _alternatives(match.results, context, f"Nearest approved responses "
                            f"({NOT_A_MATCH}; check before using):", labels)
    return Message(fit(blocks), fallback(f"No approved response for: {shortened(match.query)}"))


def _corrections(match: Match) -> str:
    if not match.corrections:
        return ""
    read = ", ".join(f"{escape(k)} → {escape(v)}" for k, v in match.corrections.items())
    return f" _(read as: {read})_"


def match_message(match: Match, contacts: Sequence[Contact], context: dict,
                  answer_min_score: float, labels: Labels | None = None) -> Message:
    if match.status == ANSWER:
        return answer_message(match, context, labels=labels)
    if match.status == NO_MATCH or not match.results:
        return no_match_message(match, contacts, context, labels)
    return suggestions_message(match, context, answer_min_score, labels)


def shared_message(entry: Entry, user_id: str, label: str | None = None) -> Message:
    """Posted in the channel: the approved response, attributed to who shared it."""
    blocks = [*entry_blocks(entry, label),
              context_block(f"Shared by <@{escape(user_id)}> with /facts")]
    return Message(fit(blocks), entry_fallback(entry, label))


def help_message() -> Message:
    return Message([section(HELP_TEXT)], "How to use /facts")


def text_message(mrkdwn: str, plain: str | None = None) -> Message:
    """A message of the bot's own words; `mrkdwn` must already be escaped where needed."""
    return Message(sections([mrkdwn]), (plain or mrkdwn)[:FALLBACK_LIMIT])


def list_message(entries: Sequence[Entry], kind: str | None, today_servable: set[str],
                 plan_labels: Labels | None = None) -> Message:
    """A compact index of approved responses, by plan; expired ones marked, never hidden."""
    title = f"Approved {KINDS[kind].lower()} responses" if kind else "All approved responses"
    lines = []
    plans: dict[str, list[Entry]] = {}
    for entry in entries:
        plans.setdefault(entry.document.id, []).append(entry)
    for plan_id, listed in plans.items():
        document = listed[0].document
        lines.append(f"*{escape(document.title)}* (`{escape(plan_id)}`, {document.date})"
                     + review_line((plan_labels or {}).get(plan_id)))
        for entry in listed:
            mark = "" if entry.id in today_servable else " _(expired, not served)_"
            if entry.is_internal:
                mark += f" _({INTERNAL_LABEL})_"
            lines.append(f"• `{escape(entry.id)}` {escape(entry.kind_label)}: "
                         f"{escape(entry.title)}{mark}")
    if not lines:
        lines = ["_none_"]
    body = "\n".join(lines)
    blocks = [section(f"*{title}* ({len(entries)})"), *sections([body]),
              context_block("`/facts show &lt;id&gt;` shows one in full.")]
    return Message(fit(blocks), f"{title}: {len(entries)}")


def show_message(entry: Entry, context: dict, when: dt.date | dt.datetime,
                 label: str | None = None) -> Message:
    """One response by id: shown even when not approved at `when` (a day or an instant:
    Entry.day_of), with a warning first."""
    servable = entry.servable_on(when)
    blocks = entry_blocks(entry, label if servable else None)
    start = entry.start()
    if servable:
        blocks.append(shown_controls(entry, context))
        return Message(fit(blocks), entry_fallback(entry, label))
    # The warning leads the notification too: a preview or screen reader reads only that.
    if start is not None and entry.day_of(when) < start:
        blocks.insert(0, section(f":warning: *This response is not approved until {start} "
                                 "and must not be used yet.*"))
        warning = f"Not approved until {start}: must not be used yet. "
    else:
        blocks.insert(0, section(":warning: *This response has expired and must not be used.*"))
        warning = "Expired: must not be used. "
    return Message(fit(blocks), (warning + entry_fallback(entry))[:FALLBACK_LIMIT])


def with_note(message: Message, note: str) -> Message:
    """The message with a line of the bot's own first (e.g. that a query was cut)."""
    return Message(fit([context_block(note), *message.blocks]), message.text)


def within_limits(message: Message) -> Message:
    """Every block inside Slack's limits, whatever built it; Slack rejects the whole
    message (and the person sees nothing) if one section is over 3,000 characters.

    A message already inside them (almost every reply) is returned as it is,
    without rebuilding its blocks: this runs on every reply.
    """
    if len(message.blocks) <= BLOCK_LIMIT and len(message.text) <= FALLBACK_LIMIT \
            and all(_block_fits(block) for block in message.blocks):
        return message
    blocks: list[dict] = []
    for block in message.blocks:
        blocks += _block_within_limits(block)
    return Message(fit(blocks), message.text[:FALLBACK_LIMIT])


def _block_within_limits(block: dict) -> list[dict]:
    text = block.get("text")
    if block.get("type") == "section" and isinstance(text, dict) \
            and len(text.get("text", "")) > SECTION_LIMIT:
        pieces = [dict(block, text={**text, "text": piece})
                  for piece in split_text(text["text"])]
        for piece in pieces[1:]:
            piece.pop("accessory", None)  # one button, on the first piece
            piece.pop("block_id", None)
        return pieces
    if block.get("type") == "context":
        elements = [dict(e, text=split_text(e["text"])[0]) if isinstance(e.get("text"), str)
                    else e for e in block.get("elements", [])]
        return [dict(block, elements=elements)]
    return [block]


def _block_fits(block: dict) -> bool:
    """`_block_within_limits` would give back this block unchanged."""
    text = block.get("text")
    if block.get("type") == "section" and isinstance(text, dict):
        return len(text.get("text", "")) <= SECTION_LIMIT
    if block.get("type") == "context":
        return all(len(e["text"]) <= SECTION_LIMIT for e in block.get("elements", [])
                   if isinstance(e.get("text"), str))
    return True

