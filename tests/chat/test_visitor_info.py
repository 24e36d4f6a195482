import logging

import pytest

from chat import visitor_info
from chat.visitor_info import LOCAL_NETWORK, client_ip, describe_user_agent, locate

CHROME_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)


def test_forwarded_for_is_ignored_without_trusted_proxies(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip({"REMOTE_ADDR": "203.0.113.9", "HTTP_X_FORWARDED_FOR": "1.2.3.4"}) == "203.0.113.9"


def test_client_is_the_entry_the_outermost_trusted_proxy_added(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The client forged "1.2.3.4"; our one proxy appended the address it really saw.
    meta = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 198.51.100.7"}
    assert client_ip(meta) == "198.51.100.7"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(meta) == "1.2.3.4"
    settings.TRUSTED_PROXY_COUNT = 3  # fewer entries than proxies: fall back to the socket
    assert client_ip(meta) == "10.0.0.2"


def test_garbage_addresses_are_dropped(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip({"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "<script>"}) is None


def test_user_agent_is_described_for_people():
    assert describe_user_agent(CHROME_MAC) == ("Chrome 120", "Mac OS X 10.15")
    assert describe_user_agent("") == ("", "")


@pytest.mark.parametrize("ip", ["127.0.0.1", "10.1.2.3", "192.168.0.10", "::1", "fd00::1"])
def test_private_addresses_are_the_local_network(ip):
    assert locate(ip) == LOCAL_NETWORK


def test_public_address_is_located_from_bundled_data(settings):
    settings.GEOIP_PATH = None
    assert locate("8.8.8.8") == "United States"


def test_an_address_that_cannot_be_located_is_not_logged_at_info(settings, caplog, monkeypatch):
    """A visitor's address is personal data: kept out of the logs an operator ships (INFO and up)."""
    settings.GEOIP_PATH = ""

    def broken_reader():
        raise OSError("no data")

    monkeypatch.setattr(visitor_info, "_bundled_reader", broken_reader)
    with caplog.at_level(logging.DEBUG, logger="chat.visitor_info"):
        assert locate("8.8.8.8") == ""
    assert all(record.levelno < logging.INFO for record in caplog.records if "8.8.8.8" in record.getMessage())
    assert any("8.8.8.8" in record.getMessage() for record in caplog.records)  # still there for debugging
