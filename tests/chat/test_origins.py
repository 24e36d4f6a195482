import pytest

from chat.origins import agent_origin_allowed, visitor_origin_allowed


def scope(origin=None, host="help.example.com", scheme="wss", headers=()):
    headers = [(b"host", host.encode()), *headers]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return {"headers": headers, "scheme": scheme}


def test_agent_origin_must_be_an_allowed_host(settings):
    settings.ALLOWED_HOSTS = ["help.example.com"]
    assert agent_origin_allowed(scope("https://help.example.com"))
    assert not agent_origin_allowed(scope("https://evil.example"))
    assert agent_origin_allowed(scope(None))  # not a browser


def test_visitor_origin_same_origin_or_listed(settings):
    settings.ALLOWED_HOSTS = ["help.example.com"]
    settings.WIDGET_ALLOWED_ORIGINS = []
    assert visitor_origin_allowed(scope("https://help.example.com"))
    assert not visitor_origin_allowed(scope("https://shop.example"))
    settings.WIDGET_ALLOWED_ORIGINS = ["https://SHOP.example:443"]
    assert visitor_origin_allowed(scope("https://shop.example"))
    assert not visitor_origin_allowed(scope("http://shop.example"))
    settings.WIDGET_ALLOWED_ORIGINS = ["*"]
    assert visitor_origin_allowed(scope("https://anywhere.example"))


@pytest.mark.parametrize("check", [agent_origin_allowed, visitor_origin_allowed])
def test_own_origin_means_scheme_host_and_port_of_the_handshake(settings, check):
    """As Django's CSRF check: another port or plain http on the same host name is another site."""
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    settings.WIDGET_ALLOWED_ORIGINS = []
    settings.SECURE_PROXY_SSL_HEADER = None
    assert check(scope("http://127.0.0.1:8000", host="127.0.0.1:8000", scheme="ws"))
    assert not check(scope("http://127.0.0.1:9999", host="127.0.0.1:8000", scheme="ws"))
    assert not check(scope("https://127.0.0.1:8000", host="127.0.0.1:8000", scheme="ws"))
    assert check(scope("https://localhost", host="localhost", scheme="wss"))
    assert check(scope("https://LOCALHOST:443", host="localhost", scheme="wss"))  # default port, any case
    assert not check(scope("http://localhost", host="localhost", scheme="wss"))
    assert not check(scope("https://localhost", host="localhost", scheme="ws"))
    assert not check(scope("http://evil.example", host="evil.example", scheme="ws"))  # Host not allowed


@pytest.mark.parametrize("check", [agent_origin_allowed, visitor_origin_allowed])
def test_behind_the_tls_proxy_its_header_says_https(settings, check):
    settings.ALLOWED_HOSTS = ["help.example.com"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    proxied = [(b"x-forwarded-proto", b"https")]
    assert check(scope("https://help.example.com", scheme="ws", headers=proxied))
    assert not check(scope("http://help.example.com", scheme="ws", headers=proxied))
    assert not check(scope("https://help.example.com", scheme="ws"))  # the proxy did not say so
    settings.SECURE_PROXY_SSL_HEADER = None  # not trusted: the header is the client's word
    assert not check(scope("https://help.example.com", scheme="ws", headers=proxied))


def test_csrf_trusted_origins_may_open_agent_sockets(settings):
    settings.ALLOWED_HOSTS = ["help.example.com"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://desk.example.com", "https://*.agents.example"]
    assert agent_origin_allowed(scope("https://desk.example.com"))
    assert agent_origin_allowed(scope("https://eu.agents.example"))
    assert not agent_origin_allowed(scope("http://desk.example.com"))
    assert not agent_origin_allowed(scope("https://desk.example.com:8443"))
    assert not agent_origin_allowed(scope("http://eu.agents.example"))
