import threading

import pytest
from django.db import connection

from chat import services
from chat.models import Chat, Message
from helpdesk.actors import ChatVisitor
from helpdesk.platform.errors import DomainError
from helpdesk.platform.events import chat_group
from tests.factories import AgentFactory, ChatFactory, accepted_chat, message_count
from tests.support.events import frames_to


def visitor_post(chat, body, client_id=None):
    return services.message_post(
        actor=ChatVisitor(chat_id=chat.pk, name=chat.visitor.name), chat_id=chat.pk, body=body, client_id=client_id
    )


def agent_post(chat, agent, body, client_id=None):
    return services.message_post(actor=agent, chat_id=chat.pk, body=body, client_id=client_id)


@pytest.mark.django_db
def test_messages_get_increasing_sequence_numbers_and_are_published(
    agent, published, django_capture_on_commit_callbacks
):
    chat = accepted_chat(agent=agent)
    with django_capture_on_commit_callbacks(execute=True):
        first, _ = visitor_post(chat, "  Hello  ")
        second, _ = agent_post(chat, agent, "Hi, how can I help?")
    assert (first.seq, second.seq) == (1, 2)
    assert first.body == "Hello"  # trimmed
    frames = frames_to(published, chat_group(chat.pk))
    assert [(f["seq"], f["sender"]) for f in frames] == [
        (1, {"kind": "visitor", "name": chat.visitor.name}),
        (2, {"kind": "agent", "name": "Alice"}),
    ]
    chat.refresh_from_db()
    assert chat.last_seq == 2


@pytest.mark.django_db
def test_message_post_costs_two_statements_plus_the_transaction(agent, django_assert_max_num_queries):
    chat = accepted_chat(agent=agent)
    # UPDATE ... RETURNING, INSERT, and the savepoint pair of the test's wrapping transaction.
    with django_assert_max_num_queries(4):
        agent_post(chat, agent, "fast")


@pytest.mark.django_db
def test_repeated_client_id_returns_the_stored_message(agent, published, django_capture_on_commit_callbacks):
    chat = accepted_chat(agent=agent)
    with django_capture_on_commit_callbacks(execute=True):
        original, created = visitor_post(chat, "once", client_id="c-1")
        again, created_again = visitor_post(chat, "once", client_id="c-1")
        after, _ = visitor_post(chat, "next", client_id="c-2")
    assert created and not created_again
    assert again.pk == original.pk
    assert after.seq == 2  # the refused duplicate did not use up a sequence number
    assert message_count(chat) == 2
    assert len(frames_to(published, chat_group(chat.pk))) == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "code"),
    [("", "invalid"), ("   \n ", "invalid"), (None, "invalid"), (42, "invalid"), ("x" * 10001, "message_too_long")],
)
def test_bad_bodies_are_refused_and_write_nothing(agent, body, code):
    chat = accepted_chat(agent=agent)
    with pytest.raises(DomainError) as error:
        visitor_post(chat, body)
    assert error.value.code == code
    assert message_count(chat) == 0


@pytest.mark.django_db
def test_max_length_is_configurable(agent, settings):
    settings.CHAT_MAX_MESSAGE_CHARS = 5
    chat = accepted_chat(agent=agent)
    visitor_post(chat, "12345")
    with pytest.raises(DomainError):
        visitor_post(chat, "123456")


@pytest.mark.django_db
def test_agent_who_does_not_take_part_cannot_post(agent, other_agent):
    chat = accepted_chat(agent=agent)
    with pytest.raises(DomainError) as error:
        agent_post(chat, other_agent, "let me in")
    assert error.value.code == "not_allowed"
    waiting = ChatFactory()
    with pytest.raises(DomainError) as error:
        agent_post(waiting, agent, "too early")
    assert error.value.code == "not_allowed"
    assert Message.objects.count() == 0


@pytest.mark.django_db
def test_visitor_may_write_while_waiting_but_not_after_the_end(agent):
    waiting = ChatFactory()
    assert visitor_post(waiting, "anyone there?")[0].seq == 1
    ended = accepted_chat(agent=agent, status=Chat.Status.ENDED)
    with pytest.raises(DomainError) as error:
        visitor_post(ended, "hello?")
    assert error.value.code == "chat_closed"


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_get_distinct_consecutive_numbers(agent):
    chat = accepted_chat(agent=agent)

    def post(n):
        try:
            for i in range(10):
                visitor_post(chat, f"{n}-{i}")
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(Message.objects.filter(chat=chat).values_list("seq", flat=True)) == list(range(1, 41))


@pytest.mark.django_db
def test_someone_elses_client_id_is_a_conflict(agent):
    chat = accepted_chat(agent=agent)
    visitor_post(chat, "from the visitor", client_id="same")
    with pytest.raises(DomainError) as error:
        agent_post(chat, agent, "from the agent", client_id="same")
    assert error.value.code == "conflict"
    assert message_count(chat) == 1


@pytest.mark.django_db
def test_resend_after_the_chat_closed_returns_the_stored_message(agent):
    chat = accepted_chat(agent=agent)
    original, _ = visitor_post(chat, "last words", client_id="bye")
    services.chat_end(actor=agent, chat_id=chat.pk)
    again, created = visitor_post(chat, "last words", client_id="bye")
    assert (again.pk, created) == (original.pk, False)


@pytest.mark.django_db
@pytest.mark.parametrize("body", ["nul\x00byte", "lone \ud800 surrogate"])
def test_text_the_database_cannot_store_is_invalid(agent, body):
    chat = accepted_chat(agent=agent)
    with pytest.raises(DomainError) as error:
        visitor_post(chat, body)
    assert error.value.code == "invalid"
    assert message_count(chat) == 0


@pytest.mark.django_db
def test_client_id_probe_on_an_invisible_chat_is_not_found(sales, support, agent):
    foreign = accepted_chat(agent=AgentFactory(departments=[support]), department=support)
    visitor_post(foreign, "private", client_id="guess")
    with pytest.raises(DomainError) as error:
        agent_post(foreign, agent, "probe", client_id="guess")
    assert error.value.code == "not_found"
