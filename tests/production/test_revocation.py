"""Deactivating an agent reaches their open sockets on the production stack: one socket on each
Daphne, both closed with 4401 within a second of the change committing."""

import asyncio
import subprocess
import time

import pytest

from tests.support.processes import BASE_DIR, BIN_DIR

pytestmark = pytest.mark.django_db(transaction=True)

# What a manager's deactivation does (helpdesk/admin.py UserAdmin.save_model), run as a command of
# the stack's own (its settings, Redis and channel prefix) so that it publishes where its
# Daphnes listen.
DEACTIVATE = """
from django.contrib.auth import get_user_model
from django.db import transaction
from helpdesk.agents import services
with transaction.atomic():
    get_user_model().objects.filter(pk={user_id}).update(is_active=False)
    services.agent_sockets_revoke(user_id={user_id})
"""


async def test_deactivated_agent_sockets_on_both_daphnes_close_within_a_second(prod_stack, chat, agent, api_token):
    tabs = [prod_stack.agent(chat, api_token, daphne=0), prod_stack.agent(chat, api_token, daphne=1)]
    for tab in tabs:
        await tab.connect()
    command = [str(BIN_DIR / "python"), "manage.py", "shell", "-c", DEACTIVATE.format(user_id=agent.user_id)]
    result = await asyncio.to_thread(
        subprocess.run, command, cwd=BASE_DIR, env=prod_stack.env, capture_output=True, text=True, timeout=60
    )
    committed_at = time.monotonic()
    assert result.returncode == 0, result.stderr
    for tab in tabs:
        await tab.wait_for(lambda tab=tab: not tab.is_open, timeout=1, what="socket closed")
        assert tab.close_codes == [4401]
    assert time.monotonic() - committed_at < 1
