"""The request a press officer wraps around a topic, taken off before matching.

"Comment on racial profiling", "our line on the cost", "is it true that
fingerprints can't be faked", "reporter asking about the BBC": the wrapper says
*how* the office asks for approved words, not what they are about. Read as
words, it sank the answer ("comment" is in no entry, so it counted fully
against every one) or picked an entry that happens to use the wrapper's word
("statement" -> "ICE mission statement", "messaging" -> the sheriffs'
coordination note). Only a wrapper at the start of the question, followed by
its topic, is taken off (and a tag question's "..., right?" at its end); the
same words elsewhere ("coordinate messaging with sheriffs") stay, and a
question that is only a wrapper is read as it is.
"""

from __future__ import annotations

import re

_ASKING = r"(?:asking|asked|asks|calling|called|wants to know|wanting to know|inquiring)"
_WRAPPERS = re.compile(
    r"^(?:"
    # "comment on X", "our line on X", "any guidance re X", "need something on X"
    r"(?:(?:any|our|the|a|an|some|need|needs|want|wants|looking for|got|have we got)\s+)*"
    r"(?:comments?|statements?|lines?|guidance|messaging|message|language|wording|"
    r"talking points?|tps|something|anything)\s+(?:on|about|re|regarding|for)\s+"
    # "a reporter is asking about X", "journalist called re X"
    r"|(?:a\s+|the\s+|one\s+)?(?:reporter|journalist|correspondent|press|media)s?\s+"
    r"(?:is\s+|are\s+|has\s+|have\s+)?" + _ASKING + r"\s+(?:about|on|re|regarding|whether|if)?\s*"
    # "is it true that X", "can you confirm X", "true or false: X"
    r"|(?:is\s+it|it\s+is|its|is\s+that)\s+(?:true|correct|right)\s+(?:that\s+)?"
    r"|(?:can|could)\s+(?:you|we|ice|someone|somebody)\s+(?:confirm|verify)\s+"
    r"(?:that\s+|whether\s+|if\s+)?"
    r"|true\s+or\s+false\s+"
    r")")


# A tag question after a statement ("ICE doesn't profile, right?"): "right" there is not
# the "rights" of civil rights.
_TAG = re.compile(r"(?:\s*,\s*|\s+)(?:right|correct|true|yes|no|ok|okay)\s*\?+$"
                  r"|\s*,\s*(?:right|correct|true)\s*$")


def topic_of(folded: str) -> str:
    """The (folded) question without the press request wrapped around it, if any."""
    text = " ".join(folded.replace(":", " ").split())
    untagged = _TAG.sub("", text)
    text = untagged if untagged.strip() else text
    for _ in range(2):  # "reporter asking: is it true that X"
        found = _WRAPPERS.match(text)
        if not found or found.end() == len(text):
            break
        text = text[found.end():]
    return text
