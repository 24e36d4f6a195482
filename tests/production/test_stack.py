"""The production shape itself: HTTPS only behind the proxy, every process up."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_stack_serves_https_only_behind_the_proxy_on_both_daphnes(prod_stack, agent, api_token):
    for daphne in (0, 1):
        reply = prod_stack.http("GET", "/api/v1/departments/", daphne=daphne)
        assert reply.status == 200, reply.text
        assert reply.headers["Strict-Transport-Security"].startswith("max-age=31536000")
        reply = prod_stack.http("GET", "/api/v1/agents/me/", daphne=daphne, token=api_token)
        assert (reply.status, reply.json()["id"]) == (200, agent.pk)
    # Without the proxy's header a request is plain HTTP: sent to HTTPS.
    reply = prod_stack.http("GET", "/api/v1/departments/", headers={"X-Forwarded-Proto": "http"})
    assert reply.status == 301 and reply.headers["Location"].startswith("https://")
    assert all(process.process.poll() is None for process in prod_stack.processes.values())
