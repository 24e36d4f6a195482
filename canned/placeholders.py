"""Placeholders a canned message may contain, filled when an agent inserts it in a chat."""

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


def fill(text: str, values: dict[str, str]) -> str:
    """`text` with every known placeholder replaced (the pages do the same in JavaScript)."""
    return PLACEHOLDER_PATTERN.sub(lambda match: values.get(match.group(1), match.group(0)), text)
