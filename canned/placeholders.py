"""Placeholders a canned message may contain, filled when an agent inserts it in a chat (by the
pages' JavaScript: fillPlaceholders in static/agent/canned.js)."""

import re

PLACEHOLDERS = {
    "visitor.name": "the visitor's name",
    "visitor.email": "the visitor's e-mail address",
    "agent.name": "your name as visitors see it",
    "department": "the chat's department",
}
PLACEHOLDER_PATTERN = re.compile(r"\{([^{}\s]*)\}")


def unknown_placeholders(text: str) -> list[str]:
    return sorted({name for name in PLACEHOLDER_PATTERN.findall(text) if name not in PLACEHOLDERS})
