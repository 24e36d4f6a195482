"""Webhooks against a real HTTP server on 127.0.0.1."""

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from chat import services as chat_services
from helpdesk import webhooks
from helpdesk.errors import DomainError
from helpdesk.models import WebhookDelivery
from tests.factories import ChatFactory, accepted_chat


class Receiver:
    """Answers each POST with the next status in `statuses` (then 200) and keeps what it got."""

    def __init__(self, statuses=()):
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
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    receivers = []

    def make(statuses=()):
        receivers.append(Receiver(statuses))
        return receivers[-1]

    yield make
    for r in receivers:
        r.close()


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
            webhooks.webhook_create(url=url, events=["chat.started"], secret="s")
        assert error.value.field == "url", url
    with pytest.raises(DomainError):
        webhooks.webhook_create(url="https://example.com/x", events=["chat.exploded"], secret="s")


@pytest.mark.django_db
def test_event_delivered_signed_with_timestamp(receiver, sales, django_capture_on_commit_callbacks):
    hook = receiver()
    webhook = webhooks.webhook_create(url=hook.url, events=["chat.missed", "ticket.created"], secret="s3cret")
    chat = ChatFactory(department=sales, question="Norway?")
    chat_services.chat_visitor_leave(chat=chat)
    deliveries = list(WebhookDelivery.objects.order_by("pk"))
    assert [d.event for d in deliveries] == ["ticket.created", "chat.missed"]
    for delivery in deliveries:
        webhooks.webhook_delivery_attempt(delivery_id=delivery.pk)
    assert WebhookDelivery.objects.filter(status="succeeded", last_status_code=200).count() == 2
    headers, body = hook.received[1]
    assert headers["X-Helpdesk-Event"] == "chat.missed"
    expected = hmac.new(b"s3cret", headers["X-Helpdesk-Timestamp"].encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-Helpdesk-Signature"] == f"sha256={expected}"
    payload = json.loads(body)
    assert payload["event"] == "chat.missed" and payload["data"]["id"] == chat.pk and payload["data"]["ticket_id"]
    assert webhook.deliveries.count() == 2


@pytest.mark.django_db
def test_failed_attempts_back_off_then_give_up(receiver, settings, agent):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    settings.WEBHOOK_RETRY_BASE_SECONDS = 10
    hook = receiver(statuses=[500, 503, 500, 500])
    webhooks.webhook_create(url=hook.url, events=["chat.ended"], secret="s")
    chat_services.chat_end(chat_id=accepted_chat(agent=agent).pk, agent=agent)
    delivery = WebhookDelivery.objects.get()
    waits = []
    for _ in range(3):
        webhooks.webhook_delivery_attempt(delivery_id=delivery.pk)
        delivery.refresh_from_db()
        waits.append((delivery.next_attempt_at - timezone.now()).total_seconds())
        assert webhooks.webhook_delivery_attempt(delivery_id=delivery.pk) is None  # not due yet
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
    webhooks.webhook_create(url=hook.url, events=["ticket.updated"], secret="s")
    chat_services.chat_visitor_leave(chat=ChatFactory(department=sales))
    ticket_services.ticket_update(ticket=Ticket.objects.get(), by=agent, status="closed")
    delivery = WebhookDelivery.objects.get()
    assert delivery.payload["data"]["changes"] == [{"field": "status", "from": "Open", "to": "Closed"}]


@pytest.mark.django_db(transaction=True)
def test_real_worker_retries_until_the_receiver_accepts(receiver, tmp_path, agent):
    from tests.conftest import celery_worker_process, wait_until

    hook = receiver(statuses=[500])
    webhooks.webhook_create(url=hook.url, events=["chat.accepted"], secret="s")
    worker = celery_worker_process(tmp_path, WEBHOOK_ALLOW_PRIVATE=1, WEBHOOK_RETRY_BASE_SECONDS=1).start()
    try:
        chat = ChatFactory()
        chat_services.chat_accept(chat_id=chat.pk, agent=agent)
        wait_until(lambda: WebhookDelivery.objects.filter(status="succeeded").exists(), timeout=10)
    finally:
        worker.stop()
    delivery = WebhookDelivery.objects.get()
    assert [entry["status_code"] for entry in delivery.log] == [500, 200]
    assert len(hook.received) == 2


@pytest.mark.django_db
def test_redirects_are_not_followed(receiver, agent):
    hook = receiver(statuses=[302])
    webhooks.webhook_create(url=hook.url, events=["chat.accepted"], secret="s")
    chat_services.chat_accept(chat_id=ChatFactory().pk, agent=agent)
    delivery = webhooks.webhook_delivery_attempt(delivery_id=WebhookDelivery.objects.get().pk)
    assert delivery.status == "pending" and delivery.last_status_code == 302  # to be retried, not "delivered"
    assert len(hook.received) == 1
