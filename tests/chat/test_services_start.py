from datetime import timedelta

import pytest
from django.utils import timezone

from chat import services
from chat.models import Chat, Visitor
from chat.visitor_info import VisitorFacts
from helpdesk.models import Agent
from helpdesk.platform.errors import DomainError
from helpdesk.platform.events import agent_group
from tests.factories import AgentFactory
from tests.support.events import frames_to

FACTS = VisitorFacts("8.8.8.8", "Mozilla/5.0", "Chrome 120", "Windows 10", "United States")


def start(department=None, email="vera@example.org"):
    return services.chat_start(
        name="Vera", email=email, question="Where is my order?", department=department, facts=FACTS
    )


@pytest.mark.django_db
def test_start_records_visitor_and_waiting_chat(sales, settings):
    settings.CHAT_MISSED_AFTER_SECONDS = 90
    chat, token = start(sales)
    assert chat.status == Chat.Status.WAITING
    assert chat.visitor_token_hash == Chat.hash_token(token) and token not in chat.visitor_token_hash
    assert chat.visitor.browser == "Chrome 120" and chat.visitor.location == "United States"
    assert abs((chat.missed_deadline - chat.started_at) - timedelta(seconds=90)) < timedelta(seconds=1)


@pytest.mark.django_db
def test_a_chat_with_someones_email_does_not_rewrite_their_earlier_chats(sales):
    first, _ = start(sales)
    impostor = VisitorFacts("203.0.113.5", "curl/8", "curl 8", "Other", "Elsewhere")
    second, _ = services.chat_start(
        name="Mallory", email="VERA@example.org", question="?", department=sales, facts=impostor
    )
    first.visitor.refresh_from_db()
    assert (first.visitor.name, first.visitor.browser, first.visitor.location) == (
        "Vera",
        "Chrome 120",
        "United States",
    )
    assert second.visitor.name == "Mallory"
    assert second.visitor.first_seen_at == first.visitor.first_seen_at  # the same person, as far as we know
    assert Visitor.objects.filter(email__iexact="vera@example.org").count() == 2


@pytest.mark.django_db
def test_offer_goes_to_online_agents_of_the_department_with_room(
    sales, support, published, django_capture_on_commit_callbacks
):
    online = AgentFactory(departments=[sales])
    silent = AgentFactory(departments=[sales], ringer=False)
    offline = AgentFactory(departments=[sales], chat_status=Agent.ChatStatus.OFFLINE)
    other_department = AgentFactory(departments=[support])
    not_enabled = AgentFactory(departments=[sales], chat_enabled=False)
    full = AgentFactory(departments=[sales], max_concurrent_chats=0)
    with django_capture_on_commit_callbacks(execute=True):
        chat, _ = start(sales)

    offered = frames_to(published, agent_group(online.pk))
    assert offered == [
        {
            "type": "chat.offered",
            "chat_id": chat.pk,
            "visitor": {"name": "Vera", "email": "vera@example.org"},
            "question": "Where is my order?",
            "department": "sales",
            "department_name": "Sales",
            "started_at": chat.started_at.isoformat().replace("+00:00", "Z"),
            "ring": True,
            "expires_at": None,
        }
    ]
    assert frames_to(published, agent_group(silent.pk))[0]["ring"] is False
    for agent in (offline, other_department, not_enabled, full):
        assert frames_to(published, agent_group(agent.pk)) == []


@pytest.mark.django_db
def test_chat_without_department_is_offered_to_every_department(
    sales, support, published, django_capture_on_commit_callbacks
):
    agents = [AgentFactory(departments=[sales]), AgentFactory(departments=[support])]
    with django_capture_on_commit_callbacks(execute=True):
        chat, _ = start(None)
    for agent in agents:
        assert [f["chat_id"] for f in frames_to(published, agent_group(agent.pk))] == [chat.pk]


@pytest.mark.django_db
def test_nothing_is_published_before_commit(sales, agent, published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        start(sales)
    assert published == []
    assert callbacks  # the offer and the missed-chat countdown wait for the commit


@pytest.mark.django_db
def test_visitor_token_opens_only_its_own_chat(sales):
    chat, token = start(sales)
    other, other_token = start(sales, email="other@example.org")
    assert services.chat_for_visitor(chat_id=chat.pk, token=token) == chat
    with pytest.raises(DomainError) as wrong:
        services.chat_for_visitor(chat_id=chat.pk, token=other_token)
    assert wrong.value.code == "not_allowed"
    with pytest.raises(DomainError) as unknown:
        services.chat_for_visitor(chat_id=chat.pk, token="nonsense")
    assert unknown.value.code == "invalid_token"
    assert timezone.now() >= chat.started_at
