"""Managers: agents whose user holds the live monitor's permission (chat.monitor_chats), as the
"Managers" group's members do. Given directly: transactional tests flush the group's data
migration, not the permissions."""

from django.contrib.auth.models import Permission

from helpdesk.models import Agent
from tests.factories import AgentFactory


def make_manager(**kwargs) -> Agent:
    """A manager (by default "Mia", not enabled for chat) with an API token (`api_key`)."""
    manager = AgentFactory(**{"display_name": "Mia", "chat_enabled": False, **kwargs})
    manager.user.user_permissions.add(Permission.objects.get(content_type__app_label="chat", codename="monitor_chats"))
    fresh = Agent.objects.select_related("user").get(pk=manager.pk)  # no permission cache
    fresh.api_key = manager.api_key
    return fresh
