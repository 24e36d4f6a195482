"""The live monitor (issue 15): who may use it, the `monitor.*` frames the services publish, a
manager setting an agent Offline and reassigning chats, and its REST edge. Its sockets:
tests/chat/test_monitor_sockets.py; the page in a browser: tests/browser/test_monitor.py."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from chat import services, tasks
from chat.models import AgentConnection, Chat, ChatParticipant, Message, Transfer
from chat.services.monitor import monitor_presence_sweep
from chat.services.presence import agent_connection_open
from helpdesk.actors import ChatVisitor
from helpdesk.models import Agent
from helpdesk.platform.errors import DomainError
from helpdesk.platform.events import MONITOR_GROUP, agent_group, chat_group
from tests.factories import AgentFactory, ChatFactory, accepted_chat, record_connection
from tests.support.api import api_client_for
from tests.support.events import frames_to
from tests.support.managers import make_manager
from tests.support.sockets import visitor_facts

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(db):
    return make_manager()


def monitor_frames(published, frame_type=None) -> list[dict]:
    frames = frames_to(published, MONITOR_GROUP)
    return [f for f in frames if frame_type is None or f["type"] == frame_type]


# Who may ---------------------------------------------------------------------------------------


def test_the_managers_group_may_use_the_monitor_and_agents_may_not(agent):
    managers = Group.objects.get(name="Managers")
    assert managers.permissions.filter(content_type__app_label="chat", codename="monitor_chats").exists()
    mia = AgentFactory(display_name="Mia")
    mia.user.groups.add(managers)
    assert services.agent_set_chat_status(actor=mia, agent_id=agent.pk, chat_status="offline").chat_status == "offline"
    with pytest.raises(DomainError) as refused:
        services.agent_set_chat_status(actor=agent, agent_id=mia.pk, chat_status="offline")
    assert refused.value.code == "not_allowed"


def test_the_page_and_its_menu_entry_are_for_managers_only(agent, manager):
    client = Client()
    client.force_login(agent.user)
    assert client.get("/monitor/").status_code == 403
    assert 'href="/monitor/"' not in client.get("/agent/").content.decode()
    client.force_login(manager.user)
    page = client.get("/monitor/")
    assert page.status_code == 200 and b'src="/static/agent/monitor.' in page.content
    assert 'href="/monitor/" aria-current="page"' in page.content.decode()
    assert 'href="/monitor/"' in client.get("/agent/").content.decode()
    assert Client().get("/monitor/").status_code == 302  # signed out: to the sign-in page


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("GET", "/api/v1/monitor/", None),
        ("POST", "/api/v1/monitor/agents/{other}/chat-status/", {"chat_status": "offline"}),
        ("POST", "/api/v1/monitor/chats/{chat}/reassign/", {"agent": "{other}"}),
    ],
)
def test_the_api_refuses_agents_without_the_permission(sales, agent, other_agent, method, path, body):
    chat = accepted_chat(agent=other_agent, department=sales)
    ids = {"other": other_agent.pk, "chat": chat.pk}
    if body is not None:
        body = {key: int(value.format(**ids)) if value.startswith("{") else value for key, value in body.items()}
    response = api_client_for(agent).generic(method, path.format(**ids), data=body, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "not_allowed")
    other_agent.refresh_from_db()
    chat.refresh_from_db()
    assert other_agent.chat_status == "online" and chat.owner == other_agent


# What the monitor shows ------------------------------------------------------------------------


def test_the_state_lists_waiting_and_open_chats_and_every_agent(sales, agent, other_agent, manager):
    waiting = ChatFactory(department=sales, visitor__name="Vera", question="Refund?")
    active = accepted_chat(agent=agent, department=sales, visitor__name="Walt")
    ChatParticipant.objects.create(chat=active, agent=other_agent, joined_at=timezone.now())
    accepted_chat(agent=agent, status=Chat.Status.ENDED)
    ChatFactory(status=Chat.Status.MISSED)
    Agent.objects.filter(pk=other_agent.pk).update(chat_status=Agent.ChatStatus.OFFLINE)

    body = api_client_for(manager).get("/api/v1/monitor/").json()
    assert [chat["id"] for chat in body["waiting"]] == [waiting.pk]
    assert body["waiting"][0] == {
        "id": waiting.pk,
        "status": "waiting",
        "question": "Refund?",
        "department": "sales",
        "department_name": "Sales",
        "visitor": {"name": "Vera", "email": waiting.visitor.email},
        "owner": None,
        "participants": [],
        "started_at": body["waiting"][0]["started_at"],
        "accepted_at": None,
        "ends_at": None,
        "ended_at": None,
    }
    assert [chat["id"] for chat in body["active"]] == [active.pk]
    assert body["active"][0]["owner"] == {"id": agent.pk, "name": "Alice"}
    assert body["active"][0]["participants"] == [
        {"id": agent.pk, "name": "Alice"},
        {"id": other_agent.pk, "name": "Bob"},
    ]
    agents = {row["name"]: row for row in body["agents"]}
    assert list(agents) == ["Alice", "Bob", "Mia"]
    assert agents["Alice"] == {
        "id": agent.pk,
        "name": "Alice",
        "departments": ["sales"],
        "department_names": ["Sales"],
        "chat_enabled": True,
        "chat_status": "online",
        "presence": "online",
        "active_chats": 1,
        "max_chats": 5,
    }
    assert (agents["Bob"]["chat_status"], agents["Bob"]["presence"], agents["Bob"]["active_chats"]) == (
        "offline",
        "offline",
        1,
    )
    assert agents["Mia"]["chat_enabled"] is False


def test_each_change_is_published_to_the_monitors(
    sales, agent, other_agent, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        chat, _token = services.chat_start(
            name="Vera", email="vera@example.org", question="Hi?", department=sales, facts=visitor_facts()
        )
    assert [(f["chat"]["id"], f["chat"]["status"]) for f in monitor_frames(published, "monitor.chat")] == [
        (chat.pk, "waiting")
    ]
    published.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_accept(actor=agent, chat_id=chat.pk)
    (changed,) = monitor_frames(published, "monitor.chat")
    assert (changed["chat"]["status"], changed["chat"]["owner"]["name"]) == ("active", "Alice")
    (alice,) = monitor_frames(published, "monitor.agent")
    assert (alice["agent"]["id"], alice["agent"]["active_chats"]) == (agent.pk, 1)
    published.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_schedule_end(actor=agent, chat_id=chat.pk, delay_seconds=60)
    assert [f["chat"]["status"] for f in monitor_frames(published, "monitor.chat")] == ["ending"]
    published.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_end(actor=agent, chat_id=chat.pk)
    assert [f["chat"]["status"] for f in monitor_frames(published, "monitor.chat")] == ["ended"]
    assert [f["agent"]["active_chats"] for f in monitor_frames(published, "monitor.agent")] == [0]
    published.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.agent_update_chat_settings(actor=other_agent, chat_status="offline")
    (bob,) = monitor_frames(published, "monitor.agent")
    assert (bob["agent"]["name"], bob["agent"]["chat_status"], bob["agent"]["presence"]) == (
        "Bob",
        "offline",
        "offline",
    )
    published.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.agent_update_chat_settings(actor=agent, ringer=False)  # not what the monitor shows
    assert monitor_frames(published) == []


def test_a_missed_chat_and_a_socket_opening_are_published(sales, agent, published, django_capture_on_commit_callbacks):
    chat = ChatFactory(department=sales)
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_end(actor=ChatVisitor.of(chat), chat_id=chat.pk)  # the visitor leaves while waiting
    assert [f["chat"]["status"] for f in monitor_frames(published, "monitor.chat")] == ["missed"]
    published.clear()
    away = AgentFactory(display_name="Carl", departments=[sales], connected=False)
    with django_capture_on_commit_callbacks(execute=True):
        agent_connection_open(agent=away, channel_name="carl-1")  # back from away
    (carl,) = monitor_frames(published, "monitor.agent")
    assert (carl["agent"]["name"], carl["agent"]["presence"]) == ("Carl", "online")


def test_the_sweep_publishes_the_agents_who_went_away_lately(
    sales, published, settings, django_capture_on_commit_callbacks
):
    settings.AGENT_AWAY_AFTER_SECONDS, settings.AGENT_PRESENCE_HEARTBEAT_SECONDS = 60, 20
    settings.CHAT_SWEEP_INTERVAL_SECONDS = 5
    now = timezone.now()

    def agent_last_seen(name, seconds_ago, *, closed=True, **kwargs):
        agent = AgentFactory(display_name=name, departments=[sales], connected=False, **kwargs)
        seen = now - timedelta(seconds=seconds_ago)
        record_connection(agent)
        AgentConnection.objects.filter(agent=agent).update(
            opened_at=seen, seen_at=seen, closed_at=seen if closed else None
        )
        return agent

    alice = agent_last_seen("Alice", 61)  # her last socket closed just over the grace ago
    carl = agent_last_seen("Carl", 61, closed=False)  # the process holding his socket died
    agent_last_seen("Bob", 200)  # away long ago: told then
    agent_last_seen("Dana", 1, closed=False)  # still here
    agent_last_seen("Erin", 61, chat_status=Agent.ChatStatus.OFFLINE)  # Offline: never away
    with django_capture_on_commit_callbacks(execute=True):
        assert monitor_presence_sweep(now=now) == sorted([alice.pk, carl.pk])
    assert {(f["agent"]["name"], f["agent"]["presence"]) for f in monitor_frames(published, "monitor.agent")} == {
        ("Alice", "away"),
        ("Carl", "away"),
    }
    published.clear()
    with django_capture_on_commit_callbacks(execute=True):
        tasks.chat_sweep_overdue()  # the sweep runs it
    assert {f["agent"]["name"] for f in monitor_frames(published, "monitor.agent")} == {"Alice", "Carl"}


# Setting an agent Offline ---------------------------------------------------------------------


def test_a_manager_sets_an_agent_offline_as_if_they_had(
    sales, agent, manager, published, django_capture_on_commit_callbacks
):
    waiting = ChatFactory(department=sales)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(manager).post(
            f"/api/v1/monitor/agents/{agent.pk}/chat-status/", {"chat_status": "offline"}, format="json"
        )
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["chat_status"], response.json()["presence"]) == (
        agent.pk,
        "offline",
        "offline",
    )
    agent.refresh_from_db()
    assert agent.chat_status == "offline"
    to_alice = frames_to(published, agent_group(agent.pk))
    assert {"type": "agent.status", "chat_status": "offline", "ringer": True} in to_alice
    assert {"type": "chat.offer_withdrawn", "chat_id": waiting.pk, "reason": "offline", "agent": None} in to_alice
    assert [f["agent"]["chat_status"] for f in monitor_frames(published, "monitor.agent")] == ["offline"]


def test_setting_the_status_of_nobody_or_of_an_agent_not_enabled_for_chat_is_refused(agent, manager):
    api = api_client_for(manager)
    missing = api.post("/api/v1/monitor/agents/999999/chat-status/", {"chat_status": "offline"}, format="json")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    itself = api.post(f"/api/v1/monitor/agents/{manager.pk}/chat-status/", {"chat_status": "offline"}, format="json")
    assert (itself.status_code, itself.json()["code"]) == (400, "invalid")  # Mia is not enabled for chat
    wrong = api.post(f"/api/v1/monitor/agents/{agent.pk}/chat-status/", {"chat_status": "away"}, format="json")
    assert (wrong.status_code, wrong.json()["code"]) == (400, "invalid")


# Reassigning --------------------------------------------------------------------------------------


def test_reassigning_an_active_chat_is_a_transfer_recorded_in_the_conversation(
    sales, agent, other_agent, manager, published, django_capture_on_commit_callbacks
):
    chat = accepted_chat(agent=agent, department=sales)
    pending = Transfer.objects.create(chat=chat, from_agent=agent, to_agent=manager, expires_at=chat.missed_deadline)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(manager).post(
            f"/api/v1/monitor/chats/{chat.pk}/reassign/", {"agent": other_agent.pk}, format="json"
        )
    assert response.status_code == 200, response.json()
    assert response.json()["owner"] == {"id": other_agent.pk, "name": "Bob"}
    assert response.json()["participants"] == [{"id": other_agent.pk, "name": "Bob"}]
    chat.refresh_from_db()
    assert chat.owner == other_agent and chat.status == Chat.Status.ACTIVE
    pending.refresh_from_db()
    assert pending.status == Transfer.Status.WITHDRAWN
    transfer = Transfer.objects.get(chat=chat, status=Transfer.Status.ACCEPTED)
    assert (transfer.from_agent, transfer.to_agent, transfer.note) == (agent, other_agent, "Reassigned by Mia")
    assert Message.objects.get(chat=chat, sender_kind="system").body == "Transferred from Alice to Bob by Mia"
    events = [(group, event["type"]) for group, event in published]
    assert (agent_group(agent.pk), "chat.left") in events and (agent_group(other_agent.pk), "chat.joined") in events
    assert "transfer.accepted" in [f["type"] for f in frames_to(published, chat_group(chat.pk))]
    assert [f["chat"]["owner"]["name"] for f in monitor_frames(published, "monitor.chat")] == ["Bob"]
    assert {f["agent"]["name"]: f["agent"]["active_chats"] for f in monitor_frames(published, "monitor.agent")} == {
        "Alice": 0,
        "Bob": 1,
    }


def test_assigning_a_waiting_chat_gives_it_to_the_agent_as_if_they_accepted(
    sales, agent, other_agent, manager, published, django_capture_on_commit_callbacks
):
    chat = ChatFactory(department=sales)
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_reassign(actor=manager, chat_id=chat.pk, to_agent_id=other_agent.pk)
    chat.refresh_from_db()
    assert (chat.status, chat.owner, chat.accepted_at is not None) == (Chat.Status.ACTIVE, other_agent, True)
    assert list(chat.participants.all()) == [other_agent]
    assert Message.objects.get(chat=chat, sender_kind="system").body == "Assigned to Bob by Mia"
    accepted = {"type": "chat.accepted", "chat_id": chat.pk, "agent": {"id": other_agent.pk, "name": "Bob"}}
    assert accepted in frames_to(published, chat_group(chat.pk))
    assert ("chat.joined", accepted) in [
        (e["type"], e["frame"]) for g, e in published if g == agent_group(other_agent.pk)
    ]
    withdrawn = [f for f in frames_to(published, agent_group(agent.pk)) if f["type"] == "chat.offer_withdrawn"]
    assert withdrawn and withdrawn[0]["reason"] == "accepted"


@pytest.mark.parametrize("status", [Chat.Status.WAITING, Chat.Status.ACTIVE])
def test_reassigning_to_an_unavailable_agent_or_a_closed_chat_is_refused(sales, agent, other_agent, manager, status):
    chat = (
        ChatFactory(department=sales) if status == Chat.Status.WAITING else accepted_chat(agent=agent, department=sales)
    )
    Agent.objects.filter(pk=other_agent.pk).update(chat_status=Agent.ChatStatus.OFFLINE)
    api = api_client_for(manager)
    offline = api.post(f"/api/v1/monitor/chats/{chat.pk}/reassign/", {"agent": other_agent.pk}, format="json")
    assert (offline.status_code, offline.json()["code"]) == (409, "agent_unavailable")
    assert "Bob is Offline" in offline.json()["detail"]
    nobody = api.post(f"/api/v1/monitor/chats/{chat.pk}/reassign/", {"agent": 999999}, format="json")
    assert (nobody.status_code, nobody.json()["code"]) == (400, "invalid")
    missing = api.post("/api/v1/monitor/chats/999999/reassign/", {"agent": agent.pk}, format="json")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    chat.refresh_from_db()
    assert chat.status == status and Message.objects.filter(chat=chat).count() == 0
    Chat.objects.filter(pk=chat.pk).update(status=Chat.Status.ENDED)
    ended = api.post(f"/api/v1/monitor/chats/{chat.pk}/reassign/", {"agent": agent.pk}, format="json")
    assert (ended.status_code, ended.json()["code"]) == (409, "chat_closed")


def test_reassigning_to_the_owner_is_refused(sales, agent, manager):
    chat = accepted_chat(agent=agent, department=sales)
    with pytest.raises(DomainError) as refused:
        services.chat_reassign(actor=manager, chat_id=chat.pk, to_agent_id=agent.pk)
    assert (refused.value.code, refused.value.field) == ("invalid", "agent")
