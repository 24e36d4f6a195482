"""Reads about agents shared by the apps: credentials, and what their departments let them see."""

from importlib import import_module

from django.conf import settings
from django.db.models import Q

from helpdesk.models import Agent, ApiToken


def api_token_get(*, key: str) -> ApiToken | None:
    """The token whose key this is, with its user; None for a key we never issued."""
    if not key or len(key) > 200:
        return None
    return ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash_key(key)).first()


def agent_socket_credentials_valid(*, agent_id: int, session_key: str | None, token_hash: str | None) -> bool:
    """Whether an agent socket opened with this session or API token may still be used: the
    agent exists, their user is active, and the session or the token still exists."""
    if not Agent.objects.filter(pk=agent_id, user__is_active=True).exists():
        return False
    if token_hash is not None:
        return ApiToken.objects.filter(key_hash=token_hash).exists()
    if session_key is not None:
        return import_module(settings.SESSION_ENGINE).SessionStore().exists(session_key)
    return True


def in_departments_of(agent: Agent) -> Q:
    """The department rule of chats, tickets and canned messages alike: an agent sees what
    belongs to one of their departments, and what belongs to none."""
    return Q(department__in=agent.departments.all()) | Q(department__isnull=True)
