"""`make test` runs `python -m tools.messages check`; here it is shown to fail on catalogs that
are out of date (on a copy of the project, so the real ones are not touched)."""

import shutil

import polib

from tools import messages


def test_out_of_date_catalogs_fail_the_check(tmp_path, monkeypatch, capsys):
    for source in messages.SOURCES:
        if (messages.ROOT / source).is_dir():
            shutil.copytree(messages.ROOT / source, tmp_path / source, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(messages.ROOT / source, tmp_path / source)
    german = tmp_path / "locale/de/LC_MESSAGES/djangojs.po"
    po = polib.pofile(str(german))
    dropped = po.find("Reconnecting…")  # a new string in the code that the catalog lacks
    po.remove(dropped)
    po.append(polib.POEntry(msgid="A text the code no longer has", msgstr="Ein Text", occurrences=[("x.js", "")]))
    po.save()
    po = polib.pofile(str(tmp_path / "locale/de/LC_MESSAGES/django.po"))
    po.find("Send rating").msgstr = ""  # a visitor's string with its translation gone
    po.save()
    french = tmp_path / "locale/fr/LC_MESSAGES/django.po"
    po = polib.pofile(str(french))
    po.find("Start chat").msgstr = "Démarrer"  # edited, but the .mo not compiled again
    po.save()
    monkeypatch.setattr(messages, "ROOT", tmp_path)

    assert messages.check() == 1

    report = capsys.readouterr().err
    assert "locale/de/LC_MESSAGES/djangojs.po: not in the catalog: 'Reconnecting…'" in report
    assert "locale/de/LC_MESSAGES/djangojs.po: no longer in the code: 'A text the code no longer has'" in report
    assert "a visitor's string is not translated (or fuzzy): 'Send rating'" in report
    assert "locale/fr/LC_MESSAGES/django.mo: not compiled from its .po" in report
    assert "locale/es/" not in report
