"""Webhooks against a real HTTP server on 127.0.0.1."""

import base64
import hashlib
import hmac
import json
import socket
import ssl
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import trustme
from celery import current_app
from django.test import Client
from django.utils import timezone
from standardwebhooks import Webhook as StandardWebhook
from standardwebhooks.webhooks import WebhookVerificationError

from chat import services as chat_services
from helpdesk.actors import SYSTEM, ChatVisitor
from helpdesk.models import Webhook, WebhookDelivery
from helpdesk.platform.errors import DomainError
from helpdesk.tasks import webhook_deliver
from helpdesk.webhooks import http as webhook_http
from helpdesk.webhooks import services as webhooks
from helpdesk.webhooks.delivery import DELIVER_TASK, webhook_delivery_attempt
from tests.factories import ChatFactory, UserFactory, accepted_chat

PUBLIC = "93.184.215.14"  # a global address; FakeDNS routes connections to it to 127.0.0.1


class Receiver:
    """Answers each POST with the next status in `statuses` (then 200) and keeps what it got."""

    def __init__(self, statuses=(), tls=None):
        self.statuses = list(statuses)
        self.received = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    receivers = []

    def make(statuses=(), tls=None):
        receivers.append(Receiver(statuses, tls))
        return receivers[-1]

    yield make
    for r in receivers:
        r.close()


class FakeDNS:
    """`hooks.example.com` answers the next of `answers` at each lookup (the last one repeats);
    other names and literals resolve as usual. Every connection made is recorded in `dialed`,
    and one to PUBLIC reaches 127.0.0.1, where the test's receiver listens."""

    host = "hooks.example.com"

    def __init__(self, monkeypatch):
        self.answers = [PUBLIC]
        self.lookups = 0
        self.dialed = []
        real_getaddrinfo, real_create_connection = socket.getaddrinfo, socket.create_connection

        def getaddrinfo(host, port, *args, **kwargs):
            if host != self.host:
                return real_getaddrinfo(host, port, *args, **kwargs)
            self.lookups += 1
            return real_getaddrinfo(self.answers[min(self.lookups, len(self.answers)) - 1], port, *args, **kwargs)

        def create_connection(address, *args, **kwargs):
            self.dialed.append(address)
            host, port = address[:2]
            return real_create_connection(("127.0.0.1" if host == PUBLIC else host, port), *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(socket, "create_connection", create_connection)


@pytest.fixture
def dns(monkeypatch):
    return FakeDNS(monkeypatch)


def test_private_and_non_http_urls_are_refused(settings, db):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    for url in (
        "http://127.0.0.1:9/x",
        "http://10.0.0.5/x",
        "http://localhost/x",
        "ftp://example.com/x",
        "http://[::1]/x",
    ):
        with pytest.raises(DomainError) as error:
            webhooks.webhook_create(actor=SYSTEM, url=url, events=["chat.started"], secret="s")
        assert error.value.field == "url", url
    with pytest.raises(DomainError):
        webhooks.webhook_create(actor=SYSTEM, url="https://example.com/x", events=["chat.exploded"], secret="s")
    for secret in ("", "   "):  # every delivery is signed with it (Standard Webhooks refuses an empty key)
        with pytest.raises(DomainError) as error:
            webhooks.webhook_create(actor=SYSTEM, url="https://example.com/x", events=["chat.started"], secret=secret)
        assert error.value.field == "secret"
    assert not Webhook.objects.exists()


@pytest.mark.django_db
def test_event_delivered_signed_with_timestamp(receiver, sales, django_capture_on_commit_callbacks):
    hook = receiver()
    webhook = webhooks.webhook_create(
        actor=SYSTEM, url=hook.url, events=["chat.missed", "ticket.created"], secret="s3cret"
    )
    chat = ChatFactory(department=sales, question="Norway?")
    chat_services.chat_end(actor=ChatVisitor.of(chat), chat_id=chat.pk)
    deliveries = list(WebhookDelivery.objects.order_by("pk"))
    assert [d.event for d in deliveries] == ["ticket.created", "chat.missed"]
    for delivery in deliveries:
        webhook_delivery_attempt(delivery_id=delivery.pk)
    assert WebhookDelivery.objects.filter(status="succeeded", last_status_code=200).count() == 2
    headers, body = hook.received[1]
    assert headers["X-Helpdesk-Event"] == "chat.missed"
    expected = hmac.new(b"s3cret", headers["X-Helpdesk-Timestamp"].encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-Helpdesk-Signature"] == f"sha256={expected}"
    payload = json.loads(body)
    assert payload["event"] == "chat.missed" and payload["data"]["id"] == chat.pk and payload["data"]["ticket_id"]
    assert webhook.deliveries.count() == 2


@pytest.mark.django_db
def test_deliveries_verify_with_the_standard_webhooks_library(receiver, agent):
    """Standard Webhooks headers beside ours: the key is the secret's bytes, which receivers pass
    to the library base64-encoded (with or without `whsec_`); a retry keeps the `webhook-id`."""
    hook = receiver(statuses=[500])
    webhooks.webhook_create(actor=SYSTEM, url=hook.url, events=["chat.accepted"], secret="s3cret-ünï")
    chat_services.chat_accept(actor=agent, chat_id=ChatFactory().pk)
    delivery = WebhookDelivery.objects.get()
    webhook_delivery_attempt(delivery_id=delivery.pk)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    webhook_delivery_attempt(delivery_id=delivery.pk)
    assert len(hook.received) == 2
    key = base64.b64encode("s3cret-ünï".encode()).decode()
    for headers, body in hook.received:
        assert headers["webhook-id"] == headers["X-Helpdesk-Delivery"] == str(delivery.pk)
        assert headers["webhook-timestamp"] == headers["X-Helpdesk-Timestamp"]
        assert headers["webhook-signature"].startswith("v1,") and headers["X-Helpdesk-Signature"].startswith("sha256=")
        for secret in (key, f"whsec_{key}"):
            assert StandardWebhook(secret).verify(body, headers)["data"]["id"] == delivery.payload["data"]["id"]
        tampered = body.replace(b'"chat.accepted"', b'"chat.ended"')
        assert tampered != body
        with pytest.raises(WebhookVerificationError):
            StandardWebhook(key).verify(tampered, headers)
        with pytest.raises(WebhookVerificationError):
            StandardWebhook(base64.b64encode(b"another secret").decode()).verify(body, headers)


@pytest.mark.django_db
def test_failed_attempts_back_off_then_give_up(receiver, settings, agent):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    settings.WEBHOOK_RETRY_BASE_SECONDS = 10
    hook = receiver(statuses=[500, 503, 500, 500])
    webhooks.webhook_create(actor=SYSTEM, url=hook.url, events=["chat.ended"], secret="s")
    chat_services.chat_end(actor=agent, chat_id=accepted_chat(agent=agent).pk)
    delivery = WebhookDelivery.objects.get()
    waits = []
    for _ in range(3):
        webhook_delivery_attempt(delivery_id=delivery.pk)
        delivery.refresh_from_db()
        waits.append((delivery.next_attempt_at - timezone.now()).total_seconds())
        assert webhook_delivery_attempt(delivery_id=delivery.pk) is None  # not due yet
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.attempts == 3
    assert [entry["status_code"] for entry in delivery.log] == [500, 503, 500]
    assert 9 < waits[0] <= 10 and 19 < waits[1] <= 20  # 10 s, then 20 s


@pytest.mark.django_db
def test_ticket_updates_are_events_too(receiver, agent, sales):
    from tickets import services as ticket_services
    from tickets.models import Ticket

    hook = receiver()
    webhooks.webhook_create(actor=SYSTEM, url=hook.url, events=["ticket.updated"], secret="s")
    chat_services.chat_end(actor=SYSTEM, chat_id=ChatFactory(department=sales).pk)
    ticket_services.ticket_update(actor=agent, ticket_id=Ticket.objects.get().pk, status="closed")
    delivery = WebhookDelivery.objects.get()
    assert delivery.payload["data"]["changes"] == [{"field": "status", "from": "Open", "to": "Closed"}]


@pytest.mark.django_db(transaction=True)
def test_real_worker_retries_until_the_receiver_accepts(receiver, tmp_path, agent):
    from tests.support.processes import celery_worker_process, wait_until

    hook = receiver(statuses=[500])
    webhooks.webhook_create(actor=SYSTEM, url=hook.url, events=["chat.accepted"], secret="s")
    worker = celery_worker_process(tmp_path, WEBHOOK_ALLOW_PRIVATE=1, WEBHOOK_RETRY_BASE_SECONDS=1).start()
    try:
        chat = ChatFactory()
        chat_services.chat_accept(actor=agent, chat_id=chat.pk)
        wait_until(lambda: WebhookDelivery.objects.filter(status="succeeded").exists(), timeout=10)
    finally:
        worker.stop()
    delivery = WebhookDelivery.objects.get()
    assert [entry["status_code"] for entry in delivery.log] == [500, 200]
    assert len(hook.received) == 2


@pytest.mark.django_db
def test_redirects_are_not_followed(receiver, agent):
    hook = receiver(statuses=[302])
    webhooks.webhook_create(actor=SYSTEM, url=hook.url, events=["chat.accepted"], secret="s")
    chat_services.chat_accept(actor=agent, chat_id=ChatFactory().pk)
    delivery = webhook_delivery_attempt(delivery_id=WebhookDelivery.objects.get().pk)
    assert delivery.status == "pending" and delivery.last_status_code == 302  # to be retried, not "delivered"
    assert len(hook.received) == 1


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::7f00:1",  # NAT64 (well-known prefix) of 127.0.0.1
        "64:ff9b::a00:5",  # NAT64 of 10.0.0.5
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254, the cloud metadata service
        "64:ff9b:1::a00:5",  # the local-use NAT64 prefix
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:0:7f00:1",  # IPv4-translated
        "::7f00:1",  # IPv4-compatible
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
    ],
)
def test_ipv4_embedded_in_ipv6_is_checked(settings, dns, address):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    dns.answers = [address]
    for url in (f"http://[{address}]/x", f"https://{dns.host}/x"):
        with pytest.raises(DomainError) as error:
            webhook_http.url_check(url)
        assert "private or local" in error.value.detail, url


def test_ipv6_forms_of_public_ipv4_addresses_are_allowed(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    for address in ("64:ff9b::808:808", "2002:808:808::1", "::ffff:8.8.8.8", "2606:4700:4700::1111"):
        assert webhook_http.url_check(f"https://[{address}]/x") == f"https://[{address}]/x"


@pytest.mark.django_db
def test_delivery_connects_to_the_address_that_was_checked(receiver, settings, dns, agent):
    """DNS rebinding: the name answers a public address for the check, then 127.0.0.1."""
    hook = receiver()
    settings.WEBHOOK_ALLOW_PRIVATE = False
    port = hook.server.server_port
    webhooks.webhook_create(actor=SYSTEM, url=f"http://{dns.host}:{port}/hook", events=["chat.accepted"], secret="s")
    chat_services.chat_accept(actor=agent, chat_id=ChatFactory().pk)
    dns.answers, dns.lookups = [PUBLIC, "127.0.0.1"], 0
    delivery = webhook_delivery_attempt(delivery_id=WebhookDelivery.objects.get().pk)
    assert dns.lookups == 1 and dns.dialed == [(PUBLIC, port)]
    assert delivery.status == "succeeded"
    headers, _ = hook.received[0]
    assert headers["Host"] == f"{dns.host}:{port}"


@pytest.mark.django_db
def test_delivery_to_a_name_now_private_is_refused_without_connecting(receiver, settings, dns, agent):
    hook = receiver()
    settings.WEBHOOK_ALLOW_PRIVATE = False
    webhooks.webhook_create(
        actor=SYSTEM, url=f"http://{dns.host}:{hook.server.server_port}/", events=["chat.accepted"], secret="s"
    )
    chat_services.chat_accept(actor=agent, chat_id=ChatFactory().pk)
    dns.answers = ["127.0.0.1"]
    delivery = webhook_delivery_attempt(delivery_id=WebhookDelivery.objects.get().pk)
    assert delivery.log[0]["error"] == f"{dns.host} is a private or local address."
    assert dns.dialed == [] and hook.received == []


@pytest.mark.django_db
@pytest.mark.parametrize("cert_host,status", [("hooks.example.com", "succeeded"), ("other.example.com", "pending")])
def test_https_delivery_verifies_the_certificate_of_the_url_host(
    receiver, settings, dns, agent, monkeypatch, tmp_path, request, cert_host, status
):
    """The connection goes to the checked address, and TLS still sends the URL's host as SNI and
    verifies the certificate against it."""
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))  # read by ssl.create_default_context()
    webhook_http.tls_context.cache_clear()  # loaded once per process: load it with the test's CA
    request.addfinalizer(webhook_http.tls_context.cache_clear)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(cert_host).configure_cert(server_tls)
    server_names = []
    server_tls.sni_callback = lambda sock, name, context: server_names.append(name)
    hook = receiver(tls=server_tls)
    settings.WEBHOOK_ALLOW_PRIVATE = False
    port = hook.server.server_port
    webhooks.webhook_create(actor=SYSTEM, url=f"https://{dns.host}:{port}/hook", events=["chat.accepted"], secret="s")
    chat_services.chat_accept(actor=agent, chat_id=ChatFactory().pk)
    dns.answers, dns.lookups = [PUBLIC, "127.0.0.1"], 0
    delivery = webhook_delivery_attempt(delivery_id=WebhookDelivery.objects.get().pk)
    assert dns.dialed == [(PUBLIC, port)] and server_names == [dns.host]
    assert delivery.status == status
    if status == "succeeded":
        assert hook.received[0][0]["Host"] == f"{dns.host}:{port}"
    else:
        assert "certificate verify failed" in delivery.log[0]["error"] and hook.received == []


@pytest.mark.django_db
@pytest.mark.parametrize("allow_private", [False, True])
def test_invalid_port_is_a_form_error_not_a_500(settings, dns, allow_private):
    settings.WEBHOOK_ALLOW_PRIVATE = allow_private
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    for url in (f"http://{dns.host}:99999/", f"http://{dns.host}:0/"):
        form = {"url": url, "events": ["chat.started"], "secret": "s", "active": "on"}
        response = client.post("/admin/helpdesk/webhook/add/", form)
        assert response.status_code == 200, url
        assert response.context["adminform"].form.errors["url"] == ["The port must be a number from 1 to 65535."], url
        with pytest.raises(DomainError):
            webhooks.webhook_create(actor=SYSTEM, url=url, events=["chat.started"], secret="s")
    assert not Webhook.objects.exists()


@pytest.fixture
def sent_tasks(monkeypatch):
    """Every task sent by name, as (name, args, eta)."""
    sent = []
    monkeypatch.setattr(current_app, "send_task", lambda name, args, eta: sent.append((name, args, eta)))
    return sent


@pytest.mark.django_db
def test_attempts_are_queued_by_task_name_after_commit(receiver, sent_tasks, django_capture_on_commit_callbacks):
    """The outbox and the retries send the task helpdesk/tasks.py registers, by its name."""
    hook = receiver(statuses=[500])
    webhooks.webhook_create(actor=SYSTEM, url=hook.url, events=["chat.started"], secret="s")
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.webhooks_enqueue("chat.started", {"id": 7})
        assert sent_tasks == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.payload.keys() == {"event", "occurred_at", "data"} and delivery.payload["data"] == {"id": 7}
    assert sent_tasks == [(DELIVER_TASK, (delivery.pk,), None)] and webhook_deliver.name == DELIVER_TASK
    with django_capture_on_commit_callbacks(execute=True):
        delivery = webhook_delivery_attempt(delivery_id=delivery.pk)
    assert delivery.status == "pending" and sent_tasks[1:] == [(DELIVER_TASK, (delivery.pk,), delivery.next_attempt_at)]


@pytest.mark.django_db
def test_the_admin_saves_webhooks_through_the_services(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    form = {"url": "http://127.0.0.1:9/x", "events": ["ticket.created", "chat.started"], "secret": "s", "active": "on"}
    assert client.post("/admin/helpdesk/webhook/add/", form).status_code == 302
    webhook = Webhook.objects.get()
    assert webhook.events == ["chat.started", "ticket.created"]  # webhook_create's order: Webhook.EVENTS
    form.update(url="http://127.0.0.1:9/y", events=["ticket.updated", "chat.missed"], active="")
    assert client.post(f"/admin/helpdesk/webhook/{webhook.pk}/change/", form).status_code == 302
    webhook.refresh_from_db()
    assert webhook.url == "http://127.0.0.1:9/y" and not webhook.active
    assert webhook.events == ["chat.missed", "ticket.updated"]
