"""A waiting visitor's place in the queue (chat/services/queue.py): `queue.position` on connecting,
and again to every visitor of the department still waiting when a chat leaves its queue
(accepted, missed, or ended by its visitor); the estimate from recent accept times."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from chat import selectors, services
from chat.models import Chat
from chat.services.queue import queue_publish
from helpdesk.actors import ChatVisitor
from helpdesk.platform.events import chat_group
from tests.factories import AgentFactory, ChatFactory, accepted_chat
from tests.support.events import frames_to
from tests.support.sockets import agent_socket, next_frame, probe, receive_type, visitor_socket


def waiting_since(department, seconds_ago: float, **kwargs) -> Chat:
    return ChatFactory(department=department, started_at=timezone.now() - timedelta(seconds=seconds_ago), **kwargs)


def answered_after(department, *, waited: float, accepted_ago: float = 60) -> Chat:
    """A chat of `department` accepted `accepted_ago` seconds ago after waiting `waited` seconds."""
    agent = AgentFactory(departments=[department] if department else [])
    accepted_at = timezone.now() - timedelta(seconds=accepted_ago)
    return accepted_chat(
        agent=agent, department=department, accepted_at=accepted_at, started_at=accepted_at - timedelta(seconds=waited)
    )


def positions(published, chats) -> list[tuple[int, int | None] | None]:
    """The last queue.position each chat was sent, as (position, estimated_wait_seconds)."""
    result = []
    for chat in chats:
        sent = [f for f in frames_to(published, chat_group(chat.pk)) if f["type"] == "queue.position"]
        result.append((sent[-1]["position"], sent[-1]["estimated_wait_seconds"]) if sent else None)
    return result


def places(published, chats) -> list[int | None]:
    return [sent[0] if sent else None for sent in positions(published, chats)]


def about(seconds: int, estimate: int | None) -> bool:
    """An estimate from chats accepted by the test just now: they waited `seconds` and the few
    milliseconds the test took, rounded up."""
    return estimate is not None and seconds <= estimate <= seconds + 5


# The rule ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_places_count_the_waiting_chats_of_the_same_department_first_come_first(sales, support):
    first, second = waiting_since(sales, 50), waiting_since(sales, 40)
    other = waiting_since(support, 60)  # another department's queue
    no_department = waiting_since(None, 70)  # the chats without one are a queue of their own
    waiting_since(sales, 90, status=Chat.Status.ACTIVE)  # not waiting: not in the queue
    third = waiting_since(sales, 10)
    assert [selectors.queue_position(c) for c in (first, second, third)] == [1, 2, 3]
    assert selectors.queue_position(other) == 1 and selectors.queue_position(no_department) == 1


@pytest.mark.django_db
def test_chats_started_at_the_same_moment_are_queued_by_id(sales):
    moment = timezone.now()
    chats = [ChatFactory(department=sales, started_at=moment) for _ in range(3)]
    assert [selectors.queue_position(c) for c in chats] == [1, 2, 3]


@pytest.mark.django_db
def test_no_estimate_without_accepted_chats_in_the_department_within_a_day(sales, support):
    chat = waiting_since(sales, 5)
    answered_after(support, waited=30)  # another department's
    answered_after(sales, waited=30, accepted_ago=25 * 3600)  # too long ago
    frame = services.queue_position_frame_for(chat)
    assert frame == {"type": "queue.position", "chat_id": chat.pk, "position": 1, "estimated_wait_seconds": None}


@pytest.mark.django_db
def test_the_estimate_is_the_median_recent_wait_times_the_position(sales, support):
    for waited in (20, 45, 100.2):
        answered_after(sales, waited=waited)
    answered_after(support, waited=1000)
    chats = [waiting_since(sales, 30), waiting_since(sales, 20), waiting_since(sales, 10)]
    estimates = [services.queue_position_frame_for(c)["estimated_wait_seconds"] for c in chats]
    assert estimates == [45, 90, 135]
    answered_after(sales, waited=0.5)  # four now: halfway between 20 and 45, rounded up
    assert services.queue_position_frame_for(chats[0])["estimated_wait_seconds"] == 33


@pytest.mark.django_db
def test_the_estimate_reads_only_the_last_twenty_accepts(sales):
    for _ in range(20):
        answered_after(sales, waited=10, accepted_ago=30)
    for _ in range(10):
        answered_after(sales, waited=500, accepted_ago=600)  # older: not among the last twenty
    assert services.queue_position_frame_for(waiting_since(sales, 1))["estimated_wait_seconds"] == 10


@pytest.mark.django_db
def test_a_chat_that_does_not_wait_has_no_place(agent):
    assert services.queue_position_frame_for(accepted_chat(agent=agent)) is None


@pytest.mark.django_db
def test_publishing_a_queue_takes_two_queries_however_many_wait(
    sales, published, django_assert_num_queries, django_capture_on_commit_callbacks
):
    answered_after(sales, waited=12)
    chats = [waiting_since(sales, 60 - i) for i in range(8)]
    with django_assert_num_queries(2), django_capture_on_commit_callbacks(execute=True):
        assert queue_publish(sales.pk) == 8
    assert positions(published, chats) == [(i, 12 * i) for i in range(1, 9)]


# When places change ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_accept_moves_everyone_behind_up_and_tells_only_that_department(
    sales, support, agent, published, django_capture_on_commit_callbacks
):
    first, second, third = waiting_since(sales, 30), waiting_since(sales, 20), waiting_since(sales, 10)
    elsewhere = waiting_since(support, 40)
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_accept(actor=agent, chat_id=first.pk)
    assert places(published, [first, second, third, elsewhere]) == [None, 1, 2, None]
    # Read after the accept: it is the department's history now, 30 s waited.
    (_, second_estimate), (_, third_estimate) = positions(published, [second, third])
    assert about(30, second_estimate) and about(60, third_estimate)
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_accept(actor=agent, chat_id=third.pk)
    assert places(published, [second]) == [1]
    assert about(20, positions(published, [second])[0][1])  # the median of 30 and 10


@pytest.mark.django_db
def test_a_missed_chat_and_a_visitor_leaving_move_the_others_up(sales, published, django_capture_on_commit_callbacks):
    first, second, third = waiting_since(sales, 30), waiting_since(sales, 20), waiting_since(sales, 10)
    Chat.objects.filter(pk=first.pk).update(missed_deadline=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_mark_missed_when_due(chat_id=first.pk)
    assert positions(published, [second, third]) == [(1, None), (2, None)]
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_end(actor=ChatVisitor.of(second), chat_id=second.pk)
    assert positions(published, [third]) == [(1, None)]
    assert [f["type"] for f in frames_to(published, chat_group(second.pk))] == ["queue.position", "chat.missed"]


@pytest.mark.django_db
def test_nothing_is_published_before_the_commit(sales, agent, published, django_capture_on_commit_callbacks):
    first, second = waiting_since(sales, 30), waiting_since(sales, 20)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.chat_accept(actor=agent, chat_id=first.pk)
    assert frames_to(published, chat_group(second.pk)) == []
    with django_capture_on_commit_callbacks(execute=True):  # as the commit runs them
        for callback in callbacks:
            callback()
    assert places(published, [second]) == [1]


# Through the sockets ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_two_visitors_see_one_and_two_and_the_second_moves_to_one_when_the_first_is_accepted(sales):
    alice = await database_sync_to_async(AgentFactory)(display_name="Alice", departments=[sales])
    first = await database_sync_to_async(waiting_since)(sales, 30)
    second = await database_sync_to_async(waiting_since)(sales, 20)
    vera, walt = await visitor_socket(first), await visitor_socket(second)
    assert (await next_frame(vera, "queue.position"))["position"] == 1
    assert await next_frame(walt, "queue.position") == {
        "type": "queue.position",
        "chat_id": second.pk,
        "position": 2,
        "estimated_wait_seconds": None,
    }

    desk = await agent_socket(alice)
    await desk.send_json_to({"type": "chat.accept", "chat_id": first.pk})
    assert (await receive_type(vera, "chat.accepted"))["agent"]["name"] == "Alice"
    moved = await next_frame(walt, "queue.position")  # nothing else came to Walt before it
    assert moved["position"] == 1 and about(30, moved["estimated_wait_seconds"])  # Vera's wait
    assert await probe(vera) == []  # an accepted chat is sent no place
    for socket in (vera, walt, desk):
        await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_visitor_of_an_open_chat_gets_no_place_on_connecting(agent):
    chat = await database_sync_to_async(accepted_chat)(agent=agent)
    visitor = await visitor_socket(chat)
    assert await probe(visitor) == []
    await visitor.disconnect()
