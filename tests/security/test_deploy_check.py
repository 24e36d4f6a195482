"""Production settings pass Django's deployment checklist (`manage.py check --deploy`)."""

import os
import secrets
import subprocess
import sys

from tests.conftest import BASE_DIR


def _manage(*args, **env) -> subprocess.CompletedProcess:
    environ = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "BEHIND_TLS_PROXY"}}
    environ.update(SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="example.com", DEBUG="0", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=environ, capture_output=True, text=True, timeout=60
    )


def test_check_deploy_is_clean_behind_a_tls_proxy():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", BEHIND_TLS_PROXY="1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_complains_without_tls():
    """The same check fails where it should: without TLS the cookies are not Secure."""
    result = _manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "security.W012" in result.stderr and "security.W016" in result.stderr


def test_production_cookies_and_headers():
    script = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE,"
        " s.CSRF_COOKIE_SECURE, s.CSRF_COOKIE_SAMESITE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS,"
        " s.SECURE_PROXY_SSL_HEADER)"
    )
    result = _manage("shell", "--no-imports", "-c", script, BEHIND_TLS_PROXY="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().split(None, 7) == [
        "True", "True", "Lax", "True", "Lax", "True", "31536000", "('HTTP_X_FORWARDED_PROTO', 'https')"
    ]  # fmt: skip
