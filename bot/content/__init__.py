"""The approved content: what a press office may say, as an immutable snapshot.

`model` says what content is, `loading` reads and validates a knowledge
directory into a Snapshot (every problem with file, line and field), with
`fields`, `dates` and `yaml_lines` as its parts. Nothing here knows about
Slack, HTTP or the database.
"""

from bot.content.files import knowledge_files
from bot.content.loading import BUNDLED_KNOWLEDGE, check_knowledge, load_snapshot
from bot.content.model import (
    INTERNAL_LABEL,
    KINDS,
    LINES_TO_SAY,
    AlertSettings,
    Contact,
    Document,
    Entry,
    KnowledgeError,
    Problem,
    Schedule,
    Snapshot,
)

__all__ = [
    "BUNDLED_KNOWLEDGE", "INTERNAL_LABEL", "KINDS", "LINES_TO_SAY", "AlertSettings",
    "Contact", "Document", "Entry", "KnowledgeError", "Problem", "Schedule", "Snapshot",
    "check_knowledge", "knowledge_files", "load_snapshot",
]
