"""Webhook URLs found in the review of the hooks merge that crashed the delivery task (so the delivery was
retried by the sweep for ever) instead of being posted or refused."""

from __future__ import annotations

import pytest

from batches.webhooks import net
from tests.batches.webhook_helpers import start_receiver

# --- webhook URLs -------------------------------------------------------------------------------------------------


@pytest.fixture
def receiver(settings):
    receiver = start_receiver()
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1", "xn--e1afmkfd.example"]
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def test_a_url_with_non_ascii_path_and_query_is_posted_percent_encoded(receiver):
    answer = net.post(f"{receiver.url}/hook/é?q=ü v", b"{}", {"Content-Type": "application/json"})
    assert answer.status == 200
    assert receiver.received[0].path == "/hook/%C3%A9?q=%C3%BC%20v"


def test_an_idn_host_is_called_by_its_ascii_name(receiver, monkeypatch):
    port = receiver.server.server_port
    asked = []

    def getaddrinfo(host, port, *args, **kwargs):
        asked.append(host)
        return [(net.socket.AF_INET, net.socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(net.socket, "getaddrinfo", getaddrinfo)
    answer = net.post(f"http://пример.example:{port}/hook", b"{}", {})
    assert answer.status == 200
    assert asked == ["xn--e1afmkfd.example"]
    assert receiver.received[0].headers["Host"] == f"xn--e1afmkfd.example:{port}"


@pytest.mark.parametrize("url", ["http://a..b/", "http://" + "x" * 64 + ".example/"])
def test_a_host_no_dns_name_can_have_is_refused_as_invalid(url):
    with pytest.raises(net.Refused):
        net.split_url(url)


@pytest.mark.parametrize(
    "url", ["http://2130706433/", "http://0177.0.0.1/", "http://0x7f.1/", "http://127.1/", "http://0/"]
)
def test_numeric_ipv4_forms_are_refused_when_the_webhook_is_saved(url):
    """The resolver reads these as 127.0.0.1 or 0.0.0.0: refused at once, not only at the first delivery."""
    with pytest.raises(net.Refused, match="may not reach"):
        net.check_url_shape(url)


@pytest.mark.parametrize("url", ["http://93.184.216.34/", "https://example.com/hook", "http://1e100.net/"])
def test_public_hosts_are_still_accepted_when_saved(url):
    net.check_url_shape(url)


def test_an_international_name_in_the_allowed_hosts_still_allows_it(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["пример.example"]
    assert net.is_allowed_host("xn--e1afmkfd.example")
    net.check_url_shape("http://пример.example/")
