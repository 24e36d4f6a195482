"""Static files are scanned once per process (helpdesk/platform/static_files.py): a second
middleware stack, as Django's test client builds for every client, reuses the first one's scan
and serves the same files with the same headers."""

from unittest import mock

import whitenoise.base
from django.contrib.staticfiles.storage import staticfiles_storage
from django.test import Client

from helpdesk.platform.static_files import StaticFilesMiddleware


def test_a_second_client_reuses_the_scan_and_is_served_the_same_files():
    StaticFilesMiddleware._scans.clear()
    url = staticfiles_storage.url("common/favicon.svg")  # the hashed name, from the manifest
    with mock.patch.object(whitenoise.base, "scantree", wraps=whitenoise.base.scantree) as scans:
        first = Client().get(url)
        scanned = scans.call_count  # once per directory
        second = Client().get(url)
    assert scanned > 0
    assert scans.call_count == scanned
    for reply in (first, second):
        assert reply.status_code == 200
        assert "immutable" in reply["Cache-Control"]
        assert reply["Content-Type"] == "image/svg+xml"
    assert b"".join(first.streaming_content) == b"".join(second.streaming_content)


def test_a_stack_with_other_header_settings_scans_again(settings):
    """Unhashed files (the ES modules pages import by plain name) get WHITENOISE_MAX_AGE."""
    assert "max-age=60" in Client().get("/static/common/api.js")["Cache-Control"]
    settings.WHITENOISE_MAX_AGE = 5
    assert "max-age=5" in Client().get("/static/common/api.js")["Cache-Control"]
