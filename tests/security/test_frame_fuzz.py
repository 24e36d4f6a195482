"""Hypothesis throws arbitrary frames at one open visitor socket and one open agent socket:
every frame is answered with a well-formed frame (or, for a valid `typing`, nothing), the
socket keeps working, and the database changes only when a `message.send` stores a message."""

import asyncio
import itertools
import json

import pytest
from channels.db import database_sync_to_async
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chat.models import Chat, Message
from tests.factories import accepted_chat
from tests.support.sockets import agent_socket, visitor_socket

pytestmark = pytest.mark.django_db(transaction=True)

FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,  # no example database under .hypothesis/ in the working tree
)
# Codes a client may get for a bad frame; `internal` (a server bug) is not among them.
EXPECTED_CODES = {
    "invalid_json", "invalid", "unknown_type", "message_too_long", "conflict", "chat_closed", "not_found",
    "not_allowed", "already_accepted", "chat_limit_reached", "not_ending",
}  # fmt: skip
PROBES = itertools.count()  # a `message.send` without a body, client_id "probe-N": an `invalid` error naming it

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
texts = st.text(max_size=30) | st.sampled_from(["", " ", "\x00", "\ud800", "a" * 10_001, "hello"])


def frames(types: list[str], chat_id: int):
    ids = st.just(chat_id) | st.integers() | json_values
    fields = st.fixed_dictionaries(
        {"type": st.sampled_from(types) | st.text(max_size=12) | json_values},
        optional={"body": texts | json_values, "client_id": texts | json_values, "chat_id": ids,
                  "delay_seconds": st.integers(-5, 4000) | json_values, "after_seq": json_values},
    )  # fmt: skip
    near_valid = st.fixed_dictionaries(
        {"type": st.just("message.send"), "body": st.text(min_size=1, max_size=40), "chat_id": st.just(chat_id)},
        optional={"client_id": st.text(max_size=70) | st.sampled_from(["a", "b"])},
    )
    return st.one_of(
        near_valid.map(json.dumps),
        fields.map(json.dumps),
        json_values.map(json.dumps),
        st.text(min_size=1, max_size=50),  # the test client cannot send an empty text frame
        st.sampled_from(["[" * 5000, "{" * 100_000, '{"type": "message.send", "body": "x"', "NaN", " "]),
    )


@database_sync_to_async
def _snapshot(chat_id: int):
    chat = Chat.objects.values("status", "owner_id", "ends_at", "last_seq").get(pk=chat_id)
    return chat, Message.objects.filter(chat_id=chat_id).count()


async def _exchange(socket, text: str) -> list[dict]:
    """Send `text` and then a probe; the frames that came back before the probe's answer."""
    probe = f"probe-{next(PROBES)}"
    await socket.send_to(text_data=text)
    await socket.send_json_to({"type": "message.send", "body": "", "client_id": probe})
    answers = []
    while True:
        frame = await socket.receive_json_from(timeout=5)
        if frame.get("code") == "invalid" and frame.get("client_id") == probe:
            return answers
        answers.append(frame)


@database_sync_to_async
def _stored_bodies(chat_id: int) -> dict[int, str]:
    return dict(Message.objects.filter(chat_id=chat_id).values_list("seq", "body"))


async def _check(socket, text: str, chat_id: int, may_stay_silent) -> None:
    before, count_before = await _snapshot(chat_id)
    answers = await _exchange(socket, text)
    after, count_after = await _snapshot(chat_id)
    content = _parsed(text)
    stored = await _stored_bodies(chat_id)
    for frame in answers:
        assert isinstance(frame, dict) and isinstance(frame.get("type"), str)
        if frame["type"] == "error":
            assert frame["code"] in EXPECTED_CODES and isinstance(frame["detail"], str), frame
        else:  # a stored message: this frame's (live, or the stored one for a resend) or a late earlier one
            assert frame["type"] == "message" and stored.get(frame["seq"]) == frame["body"], frame
    if count_after == count_before:
        assert after == before
        assert answers or may_stay_silent(content), f"no answer to {text!r}"
        return
    # One message stored, and its frame reaches the sender through the chat.
    assert count_after == count_before + 1 and content["type"] == "message.send"
    assert after == {**before, "last_seq": before["last_seq"] + 1}
    assert stored[after["last_seq"]] == content["body"].strip()
    seen = [frame for frame in answers if frame.get("seq") == after["last_seq"]]
    while not seen:
        frame = await socket.receive_json_from(timeout=5)
        seen = [frame] if frame.get("seq") == after["last_seq"] else []


@pytest.fixture(autouse=True)
def unthrottled(settings):
    settings.WS_RATE_VISITOR = settings.WS_RATE_AGENT = settings.WS_RATE_IP = ""
    settings.WS_FRAME_RATE_VISITOR = settings.WS_FRAME_RATE_AGENT = settings.WS_FRAME_RATE_IP = ""


@pytest.fixture
def loop():
    """One event loop for a whole fuzz run, so that one socket meets every example."""
    loop = asyncio.new_event_loop()
    yield loop
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.close()


def _parsed(text: str):
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def test_visitor_socket_survives_arbitrary_frames(loop, agent):
    chat = accepted_chat(agent=agent)
    socket = loop.run_until_complete(visitor_socket(chat))

    @FUZZ
    @given(text=frames(["message.send", "typing", "chat.end"], chat.pk))
    def run(text):
        content = _parsed(text)
        if isinstance(content, dict) and content.get("type") == "chat.end":
            return  # a valid visitor action that ends the chat, tested elsewhere
        silent = lambda c: isinstance(c, dict) and c.get("type") == "typing"  # noqa: E731
        loop.run_until_complete(_check(socket, text, chat.pk, silent))

    run()
    assert Message.objects.filter(chat=chat).exists()  # some frames were valid messages
    loop.run_until_complete(socket.disconnect())


def test_agent_socket_survives_arbitrary_frames(loop, agent):
    chat = accepted_chat(agent=agent)
    socket = loop.run_until_complete(agent_socket(agent))

    @FUZZ
    @given(text=frames(["message.send", "typing", "chat.accept", "chat.end", "chat.cancel_end"], chat.pk))
    def run(text):
        content = _parsed(text)
        if isinstance(content, dict) and content.get("type") == "chat.end" and content.get("chat_id") == chat.pk:
            return  # the owner may end their chat: a valid change, tested elsewhere
        silent = lambda c: isinstance(c, dict) and c.get("type") == "typing" and c.get("chat_id") == chat.pk  # noqa: E731
        loop.run_until_complete(_check(socket, text, chat.pk, silent))

    run()
    assert Message.objects.filter(chat=chat).exists()  # some frames were valid messages
    loop.run_until_complete(socket.disconnect())
