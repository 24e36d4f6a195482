"""Password reset: offered only through a backend that delivers mail, throttled, never logged."""

import logging
import os
import re
import subprocess
import sys
import uuid

import pytest
from django.core import mail
from django.test import Client

from tests.factories import UserFactory
from tests.support.processes import BASE_DIR

pytestmark = pytest.mark.django_db

RESET_URLS = ["/accounts/password_reset/", "/accounts/password_reset/done/", "/accounts/reset/done/"]


@pytest.fixture
def reset_on(settings):
    settings.PASSWORD_RESET_ENABLED = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return settings


def fresh_address() -> str:
    """A client address no other test (or earlier run on this Redis) has counted."""
    n = uuid.uuid4().int
    return f"2001:db8:{n % 65536:x}:{(n >> 16) % 65536:x}::1"


def ask(email: str, address: str):
    return Client(REMOTE_ADDR=address).post("/accounts/password_reset/", {"email": email})


def test_not_offered_through_a_backend_that_prints_mail(client, settings, capsys):
    agent = UserFactory()
    settings.PASSWORD_RESET_ENABLED = True  # even when asked for
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    for url in RESET_URLS + ["/accounts/reset/MQ/set-password/"]:
        assert client.get(url).status_code == 404, url
    assert client.post("/accounts/password_reset/", {"email": agent.email}).status_code == 404
    assert "reset" not in capsys.readouterr().out
    assert "Forgot password?" not in client.get("/accounts/login/").content.decode()


@pytest.mark.parametrize(
    ("backend", "enabled", "expected"),
    [
        ("django.core.mail.backends.smtp.EmailBackend", None, "True"),
        ("django.core.mail.backends.console.EmailBackend", None, "False"),
        ("django.core.mail.backends.locmem.EmailBackend", None, "False"),
        ("django.core.mail.backends.smtp.EmailBackend", "0", "False"),
        ("django.core.mail.backends.console.EmailBackend", "1", "ImproperlyConfigured"),
        ("django.core.mail.backends.filebased.EmailBackend", "1", "ImproperlyConfigured"),
    ],
)
def test_the_default_follows_the_email_backend(backend, enabled, expected):
    env = {key: value for key, value in os.environ.items() if key != "PASSWORD_RESET_ENABLED"}
    env.update(EMAIL_BACKEND=backend, DJANGO_SETTINGS_MODULE="helpdesk.settings")
    if enabled is not None:
        env["PASSWORD_RESET_ENABLED"] = enabled
    code = (
        "from django.conf import settings\n"
        "try:\n    print(settings.PASSWORD_RESET_ENABLED)\n"
        "except Exception as error:\n    print(type(error).__name__)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], env=env, cwd=BASE_DIR, capture_output=True, text=True)
    assert run.stdout.strip().splitlines()[-1] == expected, run.stderr


def test_the_link_works_and_is_never_logged(reset_on, caplog):
    caplog.set_level(logging.DEBUG)
    user = UserFactory()
    client = Client(REMOTE_ADDR=fresh_address())
    assert "Forgot password?" in client.get("/accounts/login/").content.decode()
    response = client.post("/accounts/password_reset/", {"email": user.email.upper()})
    assert response.status_code == 302 and response["Location"] == "/accounts/password_reset/done/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [user.email]
    link = re.search(r"http://testserver(/accounts/reset/[^/]+/[^/\s]+/)", mail.outbox[0].body).group(1)
    token = link.rstrip("/").rsplit("/", 1)[1]
    form = client.get(link, follow=True)
    assert form.status_code == 200 and form.context["validlink"]
    done = client.post(form.redirect_chain[-1][0], {"new_password1": "N3w-pass-456", "new_password2": "N3w-pass-456"})
    assert done.status_code == 302 and done["Location"] == "/accounts/reset/done/"
    user.refresh_from_db()
    assert user.check_password("N3w-pass-456")
    logged = "\n".join(f"{r.getMessage()} {r.args!r} {getattr(r, 'request', '')}" for r in caplog.records)
    assert token not in logged and link not in logged


def test_limited_per_client_address(reset_on):
    reset_on.PASSWORD_RESET_RATE_IP, reset_on.PASSWORD_RESET_RATE_EMAIL = "2/hour", ""
    address = fresh_address()
    users = [UserFactory() for _ in range(3)]
    assert [ask(user.email, address).status_code for user in users] == [302, 302, 429]
    assert len(mail.outbox) == 2
    refused = ask(users[2].email, address)
    assert refused.status_code == 429 and "Too many password reset requests" in refused.content.decode()
    assert ask(users[2].email, fresh_address()).status_code == 302  # another client is not affected
    assert len(mail.outbox) == 3


def test_limited_per_email_address_from_any_client(reset_on):
    reset_on.PASSWORD_RESET_RATE_IP, reset_on.PASSWORD_RESET_RATE_EMAIL = "", "2/hour"
    user, other = UserFactory(), UserFactory()
    codes = [ask(email, fresh_address()).status_code for email in (user.email, user.email.upper(), user.email)]
    assert codes == [302, 302, 429]
    assert len(mail.outbox) == 2
    assert ask(other.email, fresh_address()).status_code == 302
