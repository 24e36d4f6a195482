"""What a text reads in another language, from the project's own catalogs: tests name the English
msgid and find the page showing its translation, whatever the translator chose."""

from django.utils.translation import trans_real


def translated(language: str, msgid: str, *, javascript: bool = False, **values) -> str:
    """`msgid` in `language` (the JavaScript catalog when `javascript`), placeholders filled in;
    fails when the catalog does not translate it, so a test cannot pass on English by accident."""
    catalog = trans_real.DjangoTranslation(language, domain="djangojs" if javascript else "django")
    text = catalog.gettext(msgid)
    assert text != msgid or msgid in UNCHANGED.get(language, ()), f"{msgid!r} has no {language} translation"
    return text % values if values else text


# Words a language writes as English does.
UNCHANGED = {"de": ("Name",), "fr": (), "es": ()}
