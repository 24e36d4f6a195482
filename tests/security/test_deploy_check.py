"""Production settings pass Django's deployment checklist (`manage.py check --deploy`), and HTTPS
is the default: plain HTTP only when ALLOW_PLAIN_HTTP says so."""

import os
import secrets
import subprocess
import sys

from tests.support.processes import BASE_DIR

# Settings that decide the transport; the test run itself sets ALLOW_PLAIN_HTTP (tools/devstack.py).
TRANSPORT_VARIABLES = {"DEBUG", "BEHIND_TLS_PROXY", "ALLOW_PLAIN_HTTP"}
SECURITY_SETTINGS = (
    "from django.conf import settings as s;"
    "print(s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE,"
    " s.CSRF_COOKIE_SECURE, s.CSRF_COOKIE_SAMESITE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS,"
    " s.SECURE_PROXY_SSL_HEADER)"
)


def _manage(*args, **env) -> subprocess.CompletedProcess:
    environ = {key: value for key, value in os.environ.items() if key not in TRANSPORT_VARIABLES}
    environ.update(SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="example.com", DEBUG="0", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=environ, capture_output=True, text=True, timeout=60
    )


def test_check_deploy_is_clean_behind_a_tls_proxy():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", BEHIND_TLS_PROXY="1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_is_clean_by_default():
    """TLS terminated by Daphne's host itself (no proxy header to trust): still HTTPS only."""
    result = _manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_complains_about_plain_http():
    """The same check fails where it should: allowed plain HTTP, the cookies are not Secure."""
    result = _manage("check", "--deploy", "--fail-level", "WARNING", ALLOW_PLAIN_HTTP="1")
    assert result.returncode != 0
    for code in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert code in result.stderr


def test_production_cookies_and_headers():
    result = _manage("shell", "--no-imports", "-c", SECURITY_SETTINGS, BEHIND_TLS_PROXY="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().split(None, 7) == [
        "True", "True", "Lax", "True", "Lax", "True", "31536000", "('HTTP_X_FORWARDED_PROTO', 'https')"
    ]  # fmt: skip


def _settings_in_clean_environment(**env) -> list[str]:
    """The security settings as a process with nothing but `env` (and a secret key) sees them."""
    environ = {"PATH": os.environ["PATH"], "SECRET_KEY": secrets.token_urlsafe(50), **env}
    script = "import django; django.setup();" + SECURITY_SETTINGS
    environ["DJANGO_SETTINGS_MODULE"] = "helpdesk.settings"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=BASE_DIR, env=environ, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().split(None, 7)


def test_https_only_is_the_default():
    """No DEBUG, no ALLOW_PLAIN_HTTP, no proxy: redirect to HTTPS, HSTS for a year, Secure cookies."""
    assert _settings_in_clean_environment() == ["True", "True", "Lax", "True", "Lax", "True", "31536000", "None"]


def test_plain_http_is_an_explicit_choice():
    assert _settings_in_clean_environment(ALLOW_PLAIN_HTTP="1") == [
        "False", "True", "Lax", "False", "Lax", "False", "0", "None"
    ]  # fmt: skip
