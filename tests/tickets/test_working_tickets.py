"""Tickets agents can work (issue 15): the status a chat's ticket starts in (the department's
`answered_ticket_status` for an answered chat, Open for missed, abandoned and offline-message
ones); Close, Reopen and Assign to… on several tickets at once, from the Tickets list and
POST /api/v1/tickets/bulk/, through one service; a reply by e-mail setting the status in the
same step."""

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client

from chat import services as chat_services
from helpdesk.actors import SYSTEM, ChatVisitor
from helpdesk.models import Department, Webhook, WebhookDelivery
from helpdesk.platform.errors import DomainError
from tests.factories import AgentFactory, ChatFactory, UserFactory, accepted_chat
from tests.support.api import api_client_for
from tickets import services
from tickets.models import Ticket, TicketChange

pytestmark = pytest.mark.django_db


def answered(agent, department, **kwargs) -> Ticket:
    chat = accepted_chat(agent=agent, department=department, **kwargs)
    chat_services.chat_end(actor=agent, chat_id=chat.pk)
    return Ticket.objects.get(source_chat=chat)


def missed(department, **kwargs) -> Ticket:
    chat = ChatFactory(department=department, **kwargs)
    chat_services.chat_end(actor=ChatVisitor.of(chat), chat_id=chat.pk)  # abandoned while waiting
    return Ticket.objects.get(source_chat=chat)


@pytest.fixture
def client(agent):
    client = Client()
    client.force_login(agent.user)
    return client


# The status a chat's ticket starts in --------------------------------------------------------


def test_an_answered_chat_starts_closed_by_default_and_missed_ones_open(agent, sales):
    assert sales.answered_ticket_status == "closed"
    transcript = answered(agent, sales)
    abandoned = missed(sales)
    unanswered = ChatFactory(department=sales)
    chat_services.chat_end(actor=SYSTEM, chat_id=unanswered.pk)  # the admin ends it: nobody answered
    no_answer = Ticket.objects.get(source_chat=unanswered)
    assert (transcript.kind, transcript.status) == ("chat_transcript", "closed")
    assert (abandoned.kind, abandoned.status) == ("missed_chat", "open")
    unanswered.refresh_from_db()
    assert (no_answer.kind, no_answer.status, unanswered.missed_reason) == ("missed_chat", "open", "no_answer")
    assert not TicketChange.objects.exists()  # a starting status is no change


def test_the_department_setting_decides_for_answered_chats_only(agent, sales, support):
    sales.answered_ticket_status = Department.TicketStatus.OPEN
    sales.save()
    support.answered_ticket_status = Department.TicketStatus.ON_HOLD
    support.save()
    helper = AgentFactory(departments=[support])
    assert answered(agent, sales).status == "open"
    assert answered(helper, support).status == "on_hold"
    assert missed(support).status == "open"
    assert answered(agent, None).status == "closed"  # no department: the default


def test_the_created_webhook_carries_the_starting_status(agent, sales):
    Webhook.objects.create(url="https://hooks.example.org/in", events=["ticket.created"], secret="s")
    answered(agent, sales)
    assert WebhookDelivery.objects.get(event="ticket.created").payload["data"]["status"] == "closed"


# The bulk service ------------------------------------------------------------------------------


def test_bulk_update_changes_each_ticket_with_history_and_counts_real_changes(agent, other_agent, sales):
    open_ones = [missed(sales) for _ in range(3)]
    closed = answered(agent, sales)
    ids = [ticket.pk for ticket in open_ones] + [closed.pk]
    assert services.tickets_bulk_update(actor=agent, ticket_ids=ids, status="closed") == 3
    assert set(Ticket.objects.values_list("status", flat=True)) == {"closed"}
    changes = TicketChange.objects.filter(field="status")
    assert sorted(changes.values_list("ticket_id", flat=True)) == sorted(t.pk for t in open_ones)
    assert {(c.old_value, c.new_value, c.changed_by_id) for c in changes} == {("Open", "Closed", agent.pk)}
    assert services.tickets_bulk_update(actor=agent, ticket_ids=ids, status="open") == 4
    assert services.tickets_bulk_update(actor=agent, ticket_ids=ids, assignee=other_agent, assign=True) == 4
    assert set(Ticket.objects.values_list("assignee", flat=True)) == {other_agent.pk}
    assert services.tickets_bulk_update(actor=agent, ticket_ids=ids + ids, assignee=None, assign=True) == 4


def test_bulk_update_is_all_or_nothing(agent, sales, support):
    mine = [missed(sales) for _ in range(2)]
    hidden = missed(support)  # another department's ticket: not visible to the agent
    ids = [mine[0].pk, hidden.pk, mine[1].pk]
    with pytest.raises(DomainError) as error:
        services.tickets_bulk_update(actor=agent, ticket_ids=ids, status="closed")
    assert error.value.code == "not_found" and f"#{hidden.pk}" in error.value.detail
    disabled = AgentFactory(departments=[sales], user=UserFactory(is_active=False))
    with pytest.raises(DomainError) as error:
        services.tickets_bulk_update(actor=agent, ticket_ids=[m.pk for m in mine], assignee=disabled, assign=True)
    assert error.value.code == "invalid"
    assert set(Ticket.objects.values_list("status", flat=True)) == {"open"}
    assert not Ticket.objects.filter(assignee__isnull=False).exists() and not TicketChange.objects.exists()


@pytest.mark.parametrize(
    ("ids", "change"),
    [
        ([], {"status": "closed"}),
        (None, {"status": "closed"}),
        (["1"], {"status": "closed"}),
        ([0], {"status": "closed"}),
        ([True], {"status": "closed"}),
        (list(range(1, 102)), {"status": "closed"}),
        ([1], {"status": "lost"}),
    ],
)
def test_bulk_update_refuses_bad_input(agent, ids, change):
    with pytest.raises(DomainError) as error:
        services.tickets_bulk_update(actor=agent, ticket_ids=ids, **change)
    assert error.value.code == "invalid"


# The Tickets list page -------------------------------------------------------------------------


def test_list_has_labelled_checkboxes_and_the_bulk_actions(client, sales):
    ticket = missed(sales)
    html = client.get("/tickets/").content.decode()
    assert f'aria-label="Select ticket #{ticket.pk}"' in html
    assert 'aria-label="Select all tickets on this page"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    for button in ('value="close">Close<', 'value="reopen">Reopen<', 'value="assign">Assign<'):
        assert button in html
    assert "Assign to…" in html


def test_bulk_close_reopen_and_assign_from_the_list(client, agent, other_agent, sales):
    tickets = [missed(sales) for _ in range(3)]
    ids = [ticket.pk for ticket in tickets]
    response = client.post("/tickets/?view=open&q=", {"ids": ids, "bulk_action": "close"})
    assert response.status_code == 302 and response.url == "/tickets/?view=open&q="
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["3 tickets closed."]
    assert set(Ticket.objects.values_list("status", flat=True)) == {"closed"}
    assert TicketChange.objects.filter(changed_by=agent).count() == 3
    page = client.get(response.url)
    assert "3 tickets closed." in page.content.decode()
    response = client.post("/tickets/", {"ids": ids[:1], "bulk_action": "reopen"}, follow=True)
    assert "1 ticket reopened." in response.content.decode()
    response = client.post("/tickets/", {"ids": ids, "bulk_action": "assign", "assignee": other_agent.pk}, follow=True)
    assert "3 tickets assigned to Bob." in response.content.decode()
    assert set(Ticket.objects.values_list("assignee", flat=True)) == {other_agent.pk}


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"bulk_action": "close"}, "Select at least one ticket."),
        ({"ids": ["x"], "bulk_action": "close"}, "Ticket ids must be positive whole numbers."),
        ({"ids": ["TICKET"], "bulk_action": "nope"}, "Select a valid choice."),
        ({"ids": ["TICKET"], "bulk_action": "assign"}, "Choose an agent to assign the selected tickets to."),
        ({"ids": ["TICKET"], "bulk_action": "assign", "assignee": 999999}, "That agent is unknown"),
        ({"ids": ["TICKET", 999999], "bulk_action": "close"}, "No such ticket: #999999."),
    ],
)
def test_bad_bulk_input_is_a_form_error_not_a_500(client, sales, data, error):
    ticket = missed(sales)
    data = {
        key: [ticket.pk if v == "TICKET" else v for v in value] if key == "ids" else value
        for key, value in data.items()
    }
    response = client.post("/tickets/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert error in html and 'role="alert"' in html
    ticket.refresh_from_db()
    assert ticket.status == "open" and not TicketChange.objects.exists()


def test_bulk_form_needs_the_csrf_token(agent, sales):
    ticket = missed(sales)
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent.user)
    assert client.post("/tickets/", {"ids": [ticket.pk], "bulk_action": "close"}).status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == "open"


# POST /api/v1/tickets/bulk/ --------------------------------------------------------------------


def test_bulk_api(agent, other_agent, sales, support):
    api = api_client_for(agent)
    tickets = [missed(sales) for _ in range(2)]
    ids = [ticket.pk for ticket in tickets]
    response = api.post("/api/v1/tickets/bulk/", {"ids": ids, "status": "closed"}, format="json")
    assert response.status_code == 200 and response.json() == {"changed": 2, "ids": sorted(ids)}
    response = api.post(
        "/api/v1/tickets/bulk/", {"ids": ids, "status": "closed", "assignee_id": other_agent.pk}, format="json"
    )
    assert response.json()["changed"] == 2
    assert TicketChange.objects.filter(field="assignee", changed_by=agent).count() == 2
    hidden = missed(support)
    response = api.post("/api/v1/tickets/bulk/", {"ids": [*ids, hidden.pk], "status": "open"}, format="json")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert set(Ticket.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"closed"}
    assert api.post("/api/v1/tickets/bulk/", {"ids": ids}, format="json").json() == {"changed": 0, "ids": sorted(ids)}
    for body in ({"ids": [], "status": "open"}, {"ids": ["a"], "status": "open"}, {"ids": ids, "status": "x"}, {}):
        response = api.post("/api/v1/tickets/bulk/", body, format="json")
        assert response.status_code == 400 and response.json()["code"] == "invalid", body
    response = api.post("/api/v1/tickets/bulk/", {"ids": ids, "assignee_id": 999999}, format="json")
    assert response.status_code == 404 and "assignee_id" in response.json()


# Reply by e-mail, setting the status -----------------------------------------------------------


def test_reply_by_email_may_set_the_status_in_the_same_step(agent, sales):
    ticket = missed(sales)
    services.ticket_reply_by_email(actor=agent, ticket_id=ticket.pk, body="Yes, we do.", status="closed")
    ticket.refresh_from_db()
    assert ticket.status == "closed" and len(mail.outbox) == 1
    change = TicketChange.objects.get()
    assert (change.field, change.new_value, change.changed_by) == ("status", "Closed", agent)
    with pytest.raises(DomainError):
        services.ticket_reply_by_email(actor=agent, ticket_id=ticket.pk, body="Again", status="lost")
    assert len(mail.outbox) == 1


def test_a_reply_that_cannot_be_sent_leaves_the_status(agent, sales, settings):
    ticket = missed(sales)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1  # nothing listens there
    with pytest.raises(DomainError) as error:
        services.ticket_reply_by_email(actor=agent, ticket_id=ticket.pk, body="Hello", status="closed")
    assert error.value.code == "email_failed"
    ticket.refresh_from_db()
    assert ticket.status == "open" and not TicketChange.objects.exists() and ticket.thread.count() == 1


def test_reply_form_and_api_set_the_status(client, agent, sales):
    ticket = missed(sales)
    url = f"/tickets/{ticket.pk}/"
    assert "Then set status" in client.get(url).content.decode()
    response = client.post(url, {"action": "reply", "reply-body": "Shipped.", "reply-status": "on_hold"}, follow=True)
    assert f"Reply sent to {ticket.requester_email}; the ticket is now On Hold." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "on_hold"
    client.post(url, {"action": "reply", "reply-body": "And again.", "reply-status": ""})
    ticket.refresh_from_db()
    assert ticket.status == "on_hold" and len(mail.outbox) == 2  # empty: the status is kept
    response = client.post(url, {"action": "reply", "reply-body": "Bad", "reply-status": "lost"})
    assert response.status_code == 200 and "Select a valid choice." in response.content.decode()
    api = api_client_for(agent)
    reply = api.post(f"/api/v1/tickets/{ticket.pk}/replies/", {"body": "Done", "status": "closed"}, format="json")
    assert reply.status_code == 201 and reply.json()["kind"] == "reply"
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    bad = api.post(f"/api/v1/tickets/{ticket.pk}/replies/", {"body": "x", "status": "lost"}, format="json")
    assert bad.status_code == 400 and len(mail.outbox) == 3
