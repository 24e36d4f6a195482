from functools import partial

import pytest

from chat import services
from chat.models import Chat, ChatParticipant
from helpdesk.models import Agent
from helpdesk.platform.errors import DomainError
from helpdesk.platform.events import agent_group, chat_group
from tests.factories import AgentFactory, ChatFactory
from tests.support.concurrency import race
from tests.support.events import frames_to


@pytest.mark.django_db
def test_accept_makes_the_agent_owner_and_tells_everyone(
    sales, agent, other_agent, published, django_capture_on_commit_callbacks
):
    chat = ChatFactory(department=sales)
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_accept(actor=agent, chat_id=chat.pk)
    chat.refresh_from_db()
    assert chat.status == Chat.Status.ACTIVE and chat.owner == agent and chat.accepted_at
    assert list(chat.participants.all()) == [agent]
    accepted = {"type": "chat.accepted", "chat_id": chat.pk, "agent": {"id": agent.pk, "name": "Alice"}}
    assert frames_to(published, chat_group(chat.pk)) == [accepted]
    assert frames_to(published, agent_group(agent.pk)) == [accepted]
    withdrawn = frames_to(published, agent_group(other_agent.pk))
    assert withdrawn[0]["type"] == "chat.offer_withdrawn" and withdrawn[0]["chat_id"] == chat.pk


@pytest.mark.django_db
def test_second_accept_gets_already_accepted(sales, agent, other_agent):
    chat = ChatFactory(department=sales)
    services.chat_accept(actor=agent, chat_id=chat.pk)
    with pytest.raises(DomainError) as error:
        services.chat_accept(actor=other_agent, chat_id=chat.pk)
    assert error.value.code == "already_accepted"
    assert "Alice" in error.value.detail
    chat.refresh_from_db()
    assert chat.owner == agent
    assert ChatParticipant.objects.filter(chat=chat).count() == 1


@pytest.mark.django_db
def test_accept_of_another_departments_chat_is_not_found(sales, support, agent):
    chat = ChatFactory(department=support)
    with pytest.raises(DomainError) as error:
        services.chat_accept(actor=agent, chat_id=chat.pk)
    assert error.value.code == "not_found"
    chat.refresh_from_db()
    assert chat.status == Chat.Status.WAITING


@pytest.mark.django_db
def test_accept_refused_at_the_concurrent_chat_limit(sales):
    busy = AgentFactory(departments=[sales], max_concurrent_chats=1)
    services.chat_accept(actor=busy, chat_id=ChatFactory(department=sales).pk)
    second = ChatFactory(department=sales)
    with pytest.raises(DomainError) as error:
        services.chat_accept(actor=busy, chat_id=second.pk)
    assert error.value.code == "chat_limit_reached"
    second.refresh_from_db()
    assert second.status == Chat.Status.WAITING


@pytest.mark.django_db
def test_missed_chat_cannot_be_accepted(sales, agent):
    chat = ChatFactory(department=sales, status=Chat.Status.MISSED)
    with pytest.raises(DomainError) as error:
        services.chat_accept(actor=agent, chat_id=chat.pk)
    assert error.value.code == "chat_closed"


@pytest.mark.django_db(transaction=True)
def test_agents_accepting_at_once_have_exactly_one_winner(sales):
    """Eight agents in eight threads (eight database connections) accept the same chat."""
    agents = [AgentFactory(departments=[sales]) for _ in range(8)]
    chat = ChatFactory(department=sales)
    outcomes = race(*(partial(services.chat_accept, chat_id=chat.pk, actor=agent) for agent in agents))
    assert sorted(outcomes) == ["already_accepted"] * (len(agents) - 1) + ["ok"]
    winner = agents[outcomes.index("ok")]
    chat.refresh_from_db()
    assert chat.owner_id == winner.pk
    assert list(ChatParticipant.objects.filter(chat=chat).values_list("agent_id", flat=True)) == [winner.pk]


@pytest.mark.django_db(transaction=True)
def test_concurrent_accepts_by_one_agent_respect_the_limit(sales):
    """One agent (limit 1) accepting eight different chats at once gets exactly one."""
    busy = AgentFactory(departments=[sales], max_concurrent_chats=1)
    chats = [ChatFactory(department=sales) for _ in range(8)]
    outcomes = race(*(partial(services.chat_accept, chat_id=chat.pk, actor=busy) for chat in chats))
    assert sorted(outcomes) == ["chat_limit_reached"] * 7 + ["ok"]
    assert ChatParticipant.objects.filter(agent=busy).count() == 1


@pytest.mark.django_db
def test_accept_reads_the_agents_current_settings(sales):
    agent = AgentFactory(departments=[sales])
    stale_copy = Agent.objects.get(pk=agent.pk)
    Agent.objects.filter(pk=agent.pk).update(chat_enabled=False)  # a manager disabled them
    with pytest.raises(DomainError) as error:
        services.chat_accept(actor=stale_copy, chat_id=ChatFactory(department=sales).pk)
    assert error.value.code == "not_allowed"


@pytest.mark.django_db
def test_ending_a_chat_offers_waiting_chats_to_the_agent_who_has_room_again(
    sales, published, django_capture_on_commit_callbacks
):
    busy = AgentFactory(departments=[sales], max_concurrent_chats=1)
    current = ChatFactory(department=sales)
    services.chat_accept(actor=busy, chat_id=current.pk)
    waiting = ChatFactory(department=sales)
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_end(actor=busy, chat_id=current.pk)
    offers = [f for f in frames_to(published, agent_group(busy.pk)) if f["type"] == "chat.offered"]
    assert [f["chat_id"] for f in offers] == [waiting.pk]
