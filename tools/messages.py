"""The message catalogs in locale/.

`python -m tools.messages update` regenerates them from the code (Django's makemessages) and
compiles each .po into its .mo; commit both. `todo --language de` lists the visitor's strings a
catalog still lacks; `compile --language de` compiles one language's .po files after translating.
`python -m tools.messages check` (run by `make test`) fails when they are out of date:
- a string in the code is missing from a catalog, or a catalog keeps one the code dropped;
- a visitor-side string (VISITOR_SOURCES) is untranslated or fuzzy in a shipped language;
- msgfmt finds a broken entry (a placeholder missing from its translation, say);
- a .mo file was not compiled from its .po.
makemessages and msgfmt are GNU gettext's (Debian package gettext)."""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"
LANGUAGES = ("de", "fr", "es")  # English is the source language
PLURAL_FORMS = {
    "de": "nplurals=2; plural=(n != 1);",
    "fr": "nplurals=2; plural=(n > 1);",
    "es": "nplurals=2; plural=(n != 1);",
}
DOMAINS = ("django", "djangojs")
# What makemessages reads: the apps, the templates and our JavaScript.
SOURCES = ("chat", "tickets", "canned", "helpdesk", "templates", "static", "locale", "manage.py")
MAKEMESSAGES = ["--no-obsolete", "--add-location=file", "--no-wrap"] + [
    f"--ignore={pattern}" for pattern in ("*/migrations/*", "staticfiles/*", "tests/*", "bench/*", "docs/*", "tools/*")
]
# The visitor's side: every string found here is translated in every shipped language. The agent
# pages are translatable too, but ship in English (settings.AGENT_LANGUAGES).
VISITOR_SOURCES = (
    "templates/chat/",
    "templates/email/",
    "static/chat/",
    "static/common/",
    "chat/widget_strings.py",
    "chat/api/chats.py",
    "chat/api/offline_messages.py",
    "chat/api/visitor_aftercare.py",
    "chat/serializers/aftercare.py",
    "chat/serializers/chats.py",
    "chat/serializers/departments.py",
    "chat/serializers/offline_messages.py",
    "chat/services/offline.py",
    "chat/services/aftercare.py",
    "chat/services/starting.py",
    "chat/services/checks.py",
    "tickets/services.py",  # the offline message's confirmation e-mail
    "helpdesk/models.py",  # the default greeting
    "helpdesk/platform/",
)


def makemessages(root: Path) -> None:
    env = {**os.environ, "SECRET_KEY": os.environ.get("SECRET_KEY") or "makemessages-only"}
    for domain in DOMAINS:
        languages = [f"--locale={language}" for language in LANGUAGES]
        subprocess.run(
            [sys.executable, "manage.py", "makemessages", f"--domain={domain}", *languages, *MAKEMESSAGES, "-v", "0"],
            cwd=root,
            env=env,
            check=True,
        )


def catalogs(root: Path, languages=LANGUAGES):
    for language in languages:
        for domain in DOMAINS:
            yield root / "locale" / language / "LC_MESSAGES" / f"{domain}.po"


def drop_fuzzy_guesses() -> None:
    """msgmerge fills a new string with the translation of a similar old one, marked fuzzy; such
    guesses are more often wrong than right, so they go, and `todo` lists the string instead."""
    for po_path in catalogs(ROOT):
        po = polib.pofile(str(po_path), wrapwidth=0)
        for entry in po.fuzzy_entries():
            entry.flags.remove("fuzzy")
            entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
            entry.msgstr = ""
            entry.msgstr_plural = dict.fromkeys(entry.msgstr_plural, "")
        po.save()


def compile_all(languages=LANGUAGES) -> None:
    """Each .po into its .mo, with the header makemessages leaves blank filled in."""
    for po_path in catalogs(ROOT, languages):
        po = polib.pofile(str(po_path), wrapwidth=0)
        language = po_path.parent.parent.name
        po.metadata.update(
            {
                "Project-Id-Version": "helpdesk",
                "Language": language,
                "Plural-Forms": PLURAL_FORMS[language],
            }
        )
        po.metadata_is_fuzzy = False
        po.save()
        po.save_as_mofile(str(po_path.with_suffix(".mo")))


def key(entry) -> tuple:
    return (entry.msgctxt, entry.msgid, entry.msgid_plural)


def strings(po) -> dict:
    """Each string with the files it is found in."""
    return {key(entry): sorted({path for path, _line in entry.occurrences}) for entry in po if not entry.obsolete}


def translation(entry) -> tuple:
    return tuple(sorted(entry.msgstr_plural.items())) if entry.msgid_plural else (entry.msgstr,)


def is_translated(entry) -> bool:
    texts = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
    return "fuzzy" not in entry.flags and all(texts)


def untranslated_visitor_strings(po) -> list:
    return [
        entry
        for entry in po
        if any(path.startswith(VISITOR_SOURCES) for path, _line in entry.occurrences) and not is_translated(entry)
    ]


def problems_in(po_path: Path, fresh_path: Path) -> list[str]:
    name = po_path.relative_to(ROOT)
    if not po_path.exists():
        return [f"{name}: missing; run `make messages`"]
    po = polib.pofile(str(po_path))
    found = []
    committed, current = strings(po), strings(polib.pofile(str(fresh_path)))
    for missing in current.keys() - committed.keys():
        found.append(f"{name}: not in the catalog: {missing[1]!r}")
    for dropped in committed.keys() - current.keys():
        found.append(f"{name}: no longer in the code: {dropped[1]!r}")
    for same in current.keys() & committed.keys():
        if current[same] != committed[same]:
            found.append(f"{name}: {same[1]!r} moved to {', '.join(current[same])}")
    for entry in untranslated_visitor_strings(po):
        found.append(f"{name}: a visitor's string is not translated (or fuzzy): {entry.msgid!r}")
    msgfmt = subprocess.run(["msgfmt", "--check", "-o", os.devnull, str(po_path)], capture_output=True, text=True)
    if msgfmt.returncode:
        found.append(f"{name}: msgfmt --check: {msgfmt.stderr.strip()}")
    mo_path = po_path.with_suffix(".mo")
    wanted = {key(entry): translation(entry) for entry in po.translated_entries()}
    compiled = {key(entry): translation(entry) for entry in polib.mofile(str(mo_path))} if mo_path.exists() else {}
    compiled.pop((None, "", None), None)  # the header
    if wanted != compiled:
        found.append(f"{mo_path.relative_to(ROOT)}: not compiled from its .po; run `make messages`")
    return found


def check() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch)
        for source in SOURCES:
            if (ROOT / source).is_dir():
                shutil.copytree(ROOT / source, copy / source, ignore=shutil.ignore_patterns("__pycache__"))
            elif (ROOT / source).exists():
                shutil.copy2(ROOT / source, copy / source)
        makemessages(copy)
        problems = [
            problem
            for po_path, fresh_path in zip(catalogs(ROOT), catalogs(copy), strict=True)
            for problem in problems_in(po_path, fresh_path)
        ]
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} message catalog problem(s): translate, then `make messages`.", file=sys.stderr)
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["update", "check", "todo", "compile"])
    parser.add_argument("--language", choices=LANGUAGES, action="append", help="todo, compile: only these")
    arguments = parser.parse_args()
    languages = arguments.language or LANGUAGES
    if arguments.action == "update":
        makemessages(ROOT)
        drop_fuzzy_guesses()
        compile_all()
    elif arguments.action == "compile":
        compile_all(languages)
    elif arguments.action == "todo":
        for po_path in catalogs(ROOT, languages):
            for entry in untranslated_visitor_strings(polib.pofile(str(po_path))):
                print(f"{po_path.relative_to(ROOT)}: {entry.msgid!r}")
    else:
        return check()
    return 0


if __name__ == "__main__":
    sys.exit(main())
