"""Text the database can store: PostgreSQL text holds no NUL character, and a lone surrogate
cannot be encoded as UTF-8. Every edge refuses such input with a 400 before it reaches a query."""

from django.utils.translation import gettext, gettext_noop

# Marked for translation here, translated when text_problem returns them.
NUL_MESSAGE = gettext_noop("Null characters are not allowed.")  # DRF's own wording for its CharField
SURROGATE_MESSAGE = gettext_noop("Lone surrogate characters are not allowed.")


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored, or None."""
    if "\x00" in value:
        return gettext(NUL_MESSAGE)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return gettext(SURROGATE_MESSAGE)
    return None


# The same rules as regular expressions, for validators whose `pattern` drf-spectacular puts in
# the OpenAPI schema (\A and \Z become ^ and $ there). Whitespace is spelled out as exactly the
# characters str.strip() removes, since "\s" differs between Python and ECMA/Rust regexes.
WHITESPACE_CLASS = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Not empty either: "" is the separate alternative drf-spectacular documents for allow_blank.
NO_NUL_PATTERN = r"\A[^\x00]+\Z"
NON_BLANK_PATTERN = rf"\A[^\x00]*[^\x00{WHITESPACE_CLASS}][^\x00]*\Z"


def schema_pattern(pattern: str) -> str:
    """A validator's pattern as drf-spectacular writes it into the schema (ECMA anchors and
    escapes), for a field whose schema is written by hand."""
    return pattern.replace(r"\x", r"\u00").replace(r"\A", "^").replace(r"\Z", "$")
