"""Names people are shown under: a visitor's at chat start (API, the visitor page and the widget)
and an agent's display name (admin, create_agent). One rule for all of them: `validate_person_name`."""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


def _escaped_class(chars: str) -> str:
    """The characters as a regex character class body of \\uXXXX escapes and ranges, which Python
    and the ECMA regexes of an OpenAPI `pattern` read alike."""
    codes = sorted({ord(char) for char in chars})
    ranges, start = [], None
    for index, code in enumerate(codes):
        start = code if start is None else start
        if index + 1 == len(codes) or codes[index + 1] != code + 1:
            ranges.append(f"\\u{start:04x}" + (f"-\\u{code:04x}" if code > start else ""))
            start = None
    return "".join(ranges)


# Control characters, and the bidirectional embeddings, overrides and isolates (U+202A–U+202E,
# U+2066–U+2069), which reorder the text around the name wherever it is shown: never in a name.
_CONTROLS = [chr(code) for code in [*range(0x20), *range(0x7F, 0xA0)]]
_BIDI_CONTROLS = [chr(code) for code in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]]
# Characters that show nothing: whitespace, format characters (zero-width space and joiners,
# word joiner, BOM, soft hyphen…) and the letters that render blank (Hangul fillers, Braille
# blank). A name needs one character besides these. The Basic Multilingual Plane only, so the
# pattern reads the same in the API schema.
_BLANK_LETTERS = ["\u115f", "\u1160", "\u2800", "\u3164", "\uffa0"]
_INVISIBLE = [
    chr(code)
    for code in range(0x10000)
    if chr(code).isspace() or unicodedata.category(chr(code)) == "Cf" or chr(code) in _BLANK_LETTERS
]
FORBIDDEN_CLASS = _escaped_class("".join(_CONTROLS + _BIDI_CONTROLS))
INVISIBLE_CLASS = _escaped_class("".join(_INVISIBLE))

# System messages go out under this name (chat.services.messages.system_message_post).
RESERVED_NAME = "System"
_RESERVED_SPELLED = f"[{INVISIBLE_CLASS}]*".join(f"[{letter.upper()}{letter}]" for letter in RESERVED_NAME.lower())

PERSON_NAME_PATTERN = (
    rf"\A(?![{INVISIBLE_CLASS}]*{_RESERVED_SPELLED}[{INVISIBLE_CLASS}]*\Z)"
    rf"[^{FORBIDDEN_CLASS}]*[^{FORBIDDEN_CLASS}{INVISIBLE_CLASS}][^{FORBIDDEN_CLASS}]*\Z"
)


_FORBIDDEN = re.compile(f"[{FORBIDDEN_CLASS}]")
_INVISIBLE = re.compile(f"[{INVISIBLE_CLASS}]")


class PersonNameValidator(RegexValidator):
    """Refuses control and text-direction characters, a name with nothing visible in it, and the
    reserved "System" in any case, with invisible characters around or inside it, or in a
    compatibility form (full-width, mathematical letters). PERSON_NAME_PATTERN states the same
    rules for the API schema (drf-spectacular documents a RegexValidator as `pattern`); only
    the compatibility forms are beyond it."""

    regex = PERSON_NAME_PATTERN
    code = "invalid"
    message = _("Enter a valid name.")

    def __call__(self, value: str) -> None:
        if _FORBIDDEN.search(value):
            raise ValidationError(
                gettext("A name cannot contain control or text-direction characters."), code=self.code
            )
        shown = _INVISIBLE.sub("", value)
        if not shown:
            raise ValidationError(gettext("Enter a name with visible characters."), code=self.code)
        if unicodedata.normalize("NFKC", shown).casefold() == RESERVED_NAME.casefold():
            reserved = gettext('"%(name)s" is reserved for the help desk\'s own messages.') % {"name": RESERVED_NAME}
            raise ValidationError(reserved, code=self.code)
        super().__call__(value)  # the pattern: the same rules as one expression


validate_person_name = PersonNameValidator()
