from chat.origins import agent_origin_allowed, visitor_origin_allowed


def scope(origin=None, host="help.example.com"):
    headers = [(b"host", host.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return {"headers": headers}


def test_agent_origin_must_be_an_allowed_host(settings):
    settings.ALLOWED_HOSTS = ["help.example.com"]
    assert agent_origin_allowed(scope("https://help.example.com"))
    assert not agent_origin_allowed(scope("https://evil.example"))
    assert agent_origin_allowed(scope(None))  # not a browser


def test_visitor_origin_same_origin_or_listed(settings):
    settings.WIDGET_ALLOWED_ORIGINS = []
    assert visitor_origin_allowed(scope("https://help.example.com"))
    assert not visitor_origin_allowed(scope("https://shop.example"))
    settings.WIDGET_ALLOWED_ORIGINS = ["https://SHOP.example:443"]
    assert visitor_origin_allowed(scope("https://shop.example"))
    assert not visitor_origin_allowed(scope("http://shop.example"))
    settings.WIDGET_ALLOWED_ORIGINS = ["*"]
    assert visitor_origin_allowed(scope("https://anywhere.example"))
