"""Sign-in lockout and password reset on the production shape: two Daphnes behind the proxy,
counts shared by both (lockouts in the database, reset counts in Redis)."""

import re
from urllib.parse import urlsplit

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "secret-pass-123"  # UserFactory's


def post_form(stack, path: str, data: dict, *, daphne: int = 0, headers: dict | None = None):
    """GET the page for its CSRF cookie and token, then POST the form as a browser on the site's
    HTTPS origin does."""
    page = stack.http("GET", path, daphne=daphne, headers=headers)
    assert page.status == 200, (path, page.status)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    origin = {"Origin": f"https://{urlsplit(stack.urls[daphne]).netloc}", **(headers or {})}
    return stack.http(
        "POST", path, daphne=daphne, form={**data, "csrfmiddlewaretoken": token}, cookies=page.cookies, headers=origin
    )


def sign_in(stack, username: str, password: str, *, daphne: int = 0):
    return post_form(stack, "/accounts/login/", {"username": username, "password": password}, daphne=daphne)


def test_sign_in_locks_out_across_both_daphnes_and_reset_is_not_offered_by_default(prod_stack, agent):
    statuses = [sign_in(prod_stack, agent.user.username, f"guess-{n}", daphne=n % 2).status for n in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    refused = sign_in(prod_stack, agent.user.username, PASSWORD, daphne=1)  # the right one, on the other Daphne
    assert refused.status == 429 and "Too many failed sign-ins" in refused.text
    assert "sessionid" not in refused.cookies
    other = UserFactory()  # every client here has the one address 127.0.0.1, now locked too
    assert sign_in(prod_stack, other.username, PASSWORD).status == 429
    # The console e-mail backend (the default) would print reset links: no reset at all.
    assert prod_stack.http("GET", "/accounts/password_reset/").status == 404
    assert "Forgot password?" not in prod_stack.http("GET", "/accounts/login/").text


def test_password_reset_is_limited_per_address_across_both_daphnes(prod_stack_factory):
    stack = prod_stack_factory(
        TRUSTED_PROXY_COUNT=1,
        PASSWORD_RESET_ENABLED=1,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        PASSWORD_RESET_RATE_IP="3/hour",
    )
    users = [UserFactory() for _ in range(4)]
    client = {"X-Forwarded-For": "203.0.113.20"}  # as the proxy adds it

    def ask(user, daphne, headers):
        return post_form(stack, "/accounts/password_reset/", {"email": user.email}, daphne=daphne, headers=headers)

    statuses = [ask(user, n % 2, client).status for n, user in enumerate(users)]
    assert statuses == [302, 302, 302, 429]
    assert ask(users[3], 1, {"X-Forwarded-For": "203.0.113.21"}).status == 302  # another client
    output = "".join(line for process in stack.daphnes for line in process.lines)
    assert "/accounts/reset/" not in output  # no link in any log
