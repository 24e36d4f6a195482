import pytest

from chat import services
from helpdesk.actors import SYSTEM, ChatVisitor
from tests.factories import ChatFactory, accepted_chat

pytestmark = pytest.mark.django_db


def test_views_and_detail_with_thread(sales, support, api, agent):
    ended = accepted_chat(agent=agent, department=sales, question="Invoice copy?")
    services.message_post(
        actor=ChatVisitor(chat_id=ended.pk, name="V"), chat_id=ended.pk, body="<script>alert(1)</script>"
    )
    services.chat_end(actor=agent, chat_id=ended.pk)
    missed = ChatFactory(department=sales)
    services.chat_end(actor=ChatVisitor.of(missed), chat_id=missed.pk)
    hidden = ChatFactory(department=support)
    services.chat_end(actor=ChatVisitor.of(hidden), chat_id=hidden.pk)  # another department's ticket

    def ids(view):
        return [t["chat_id"] for t in api.get(f"/api/v1/tickets/?view={view}").json()["results"]]

    assert sorted(ids("all")) == sorted([ended.pk, missed.pk])
    assert ids("open") == [missed.pk]  # an answered chat's ticket starts Closed (the department's default)
    assert ids("chat-transcripts") == [ended.pk]
    assert ids("missed-chats") == [missed.pk]
    assert api.get("/api/v1/tickets/?view=bogus").status_code == 400

    ticket_id = api.get("/api/v1/tickets/?view=chat-transcripts").json()["results"][0]["id"]
    detail = api.get(f"/api/v1/tickets/{ticket_id}/").json()
    assert detail["subject"] == "Invoice copy?" and detail["channel"] == "chat"
    assert detail["views"] == ["Chat Transcripts"] and detail["agents"] == [{"id": agent.pk, "name": "Alice"}]
    assert [e["body"] for e in detail["thread"]] == ["Invoice copy?", "<script>alert(1)</script>"]
    hidden_ticket = hidden.ticket.pk
    assert api.get(f"/api/v1/tickets/{hidden_ticket}/").status_code == 404


def test_status_assignee_and_comments_over_rest(sales, api, agent, other_agent):
    chat = accepted_chat(agent=agent, department=sales)
    services.chat_end(actor=agent, chat_id=chat.pk)
    ticket_id = chat.ticket.pk
    response = api.patch(
        f"/api/v1/tickets/{ticket_id}/", {"status": "on_hold", "assignee": other_agent.pk}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "on_hold" and body["assignee"] == {"id": other_agent.pk, "name": "Bob"}
    assert [(h["field"], h["new_value"], h["changed_by"]) for h in body["history"]] == [
        ("status", "On Hold", "Alice"),
        ("assignee", "Bob", "Alice"),
    ]
    unassigned = api.patch(f"/api/v1/tickets/{ticket_id}/", {"assignee": None}, format="json").json()
    assert unassigned["assignee"] is None and unassigned["status"] == "on_hold"
    assert api.patch(f"/api/v1/tickets/{ticket_id}/", {"status": "lost"}, format="json").status_code == 400
    comment = api.post(f"/api/v1/tickets/{ticket_id}/comments/", {"body": "Called back"}, format="json")
    assert comment.status_code == 201 and comment.json()["kind"] == "comment"
    assert api.post(f"/api/v1/tickets/{ticket_id}/comments/", {"body": ""}, format="json").status_code == 400


def test_agent_never_reaches_another_departments_ticket(support, api):
    hidden = ChatFactory(department=support)
    services.chat_end(actor=ChatVisitor.of(hidden), chat_id=hidden.pk)
    ticket_id = hidden.ticket.pk
    assert api.get(f"/api/v1/tickets/{ticket_id}/").status_code == 404
    assert api.patch(f"/api/v1/tickets/{ticket_id}/", {"status": "closed"}, format="json").status_code == 404
    assert api.post(f"/api/v1/tickets/{ticket_id}/comments/", {"body": "x"}, format="json").status_code == 404


def test_reply_by_email_over_rest(sales, api, agent):
    from django.core import mail

    missed = ChatFactory(department=sales, question="Open on Sunday?")
    services.chat_end(actor=ChatVisitor.of(missed), chat_id=missed.pk)
    response = api.post(f"/api/v1/tickets/{missed.ticket.pk}/replies/", {"body": "Yes, 10 to 4."}, format="json")
    assert response.status_code == 201 and response.json()["kind"] == "reply"
    assert mail.outbox[0].to == [missed.visitor.email]
    chat = accepted_chat(agent=agent, department=sales)
    services.chat_end(actor=agent, chat_id=chat.pk)
    refused = api.post(f"/api/v1/tickets/{chat.ticket.pk}/replies/", {"body": "x"}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "not_allowed"


def test_list_filters_by_status_department_and_assignee(sales, support, api, agent):
    agent.departments.add(support)
    for department in (sales, support):
        services.chat_end(actor=SYSTEM, chat_id=ChatFactory(department=department).pk)
    from tickets import services as ticket_services
    from tickets.models import Ticket

    sales_ticket = Ticket.objects.get(department=sales)
    ticket_services.ticket_update(actor=agent, ticket_id=sales_ticket.pk, status="closed", assignee=agent, assign=True)

    def ids(query):
        return [t["id"] for t in api.get(f"/api/v1/tickets/?{query}").json()["results"]]

    assert ids("status=closed") == [sales_ticket.pk]
    assert ids("department=support") == [Ticket.objects.get(department=support).pk]
    assert ids(f"assignee={agent.pk}") == [sales_ticket.pk]
    assert api.get("/api/v1/tickets/?status=bogus").status_code == 400
    agents = api.get("/api/v1/agents/").json()
    assert {
        "id": agent.pk,
        "name": "Alice",
        "departments": ["sales", "support"],
        "chat_enabled": True,
        "chat_status": "online",
        "presence": "online",
    } in agents
