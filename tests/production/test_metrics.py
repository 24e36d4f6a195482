"""Metrics of the production shape with PROMETHEUS_MULTIPROC_DIR: what the two Daphnes and the
Celery worker's children count comes back summed from a scrape of either Daphne."""

import asyncio
from types import SimpleNamespace

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.chat_clients import exchange
from tests.support.processes import wait_until_async

pytestmark = pytest.mark.django_db(transaction=True)


def samples(stack, daphne: int) -> dict[tuple[str, tuple], float]:
    reply = stack.http("GET", "/metrics", daphne=daphne)
    assert reply.status == 200, reply.text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(reply.text)
        for sample in family.samples
    }


def value(scrape: dict, name: str, **labels) -> float:
    return scrape.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_either_daphne_answers_for_every_process(prod_stack_factory, tmp_path, chat, api_token, sales):
    stack = await asyncio.to_thread(
        prod_stack_factory, PROMETHEUS_MULTIPROC_DIR=tmp_path / "metrics", CHAT_MISSED_AFTER_SECONDS=1
    )
    # A message from a visitor on Daphne 1 to its agent on Daphne 2.
    visitor, agent = stack.visitor(chat, daphne=0), stack.agent(chat, api_token, daphne=1)
    await visitor.connect()
    await agent.connect()
    await exchange(visitor, "hello", "v1", visitor, agent)
    # A chat started on Daphne 1 that nobody takes: the worker misses it.
    start = {"name": "Nora", "email": "nora@example.org", "question": "Anyone?", "department": "sales"}
    reply = await asyncio.to_thread(stack.http, "POST", "/api/v1/visitor/chats/", json_body=start)
    assert reply.status == 201, reply.text
    waiting = SimpleNamespace(pk=reply.json()["chat_id"], token=reply.json()["visitor_token"])

    await wait_until_async(
        lambda: value(samples(stack, 1), "helpdesk_chats_missed_total", reason="no_answer") == 1,
        timeout=15,
        what=f"chat {waiting.pk} missed and counted",
    )
    for daphne in (0, 1):
        scrape = await asyncio.to_thread(samples, stack, daphne)
        assert value(scrape, "helpdesk_chats_started_total") == 1  # counted by Daphne 1
        assert value(scrape, "helpdesk_chats_missed_total", reason="no_answer") == 1  # by a worker child
        assert value(scrape, "helpdesk_timer_lateness_seconds_count", timer="chat_missed") == 1
        assert value(scrape, "helpdesk_messages_total", sender="visitor") == 1
        for socket in ("visitor", "agent"):  # one on each Daphne
            assert value(scrape, "helpdesk_websockets_open", socket=socket) == 1
            assert value(scrape, "helpdesk_message_frame_latency_seconds_count", socket=socket) == 1
        assert value(scrape, "helpdesk_chats_active", department="") == 1  # from the database, once
        assert value(scrape, "helpdesk_agents_connected") == 1
    await visitor.disconnect()
    await agent.disconnect()
