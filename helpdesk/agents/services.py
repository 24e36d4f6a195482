"""Changes to departments, agents and API tokens."""

import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.actors import SYSTEM, Actor, require_permission
from helpdesk.models import AGENTS_GROUP, Agent, ApiToken, Department
from helpdesk.platform.errors import DomainError, ErrorCode
from helpdesk.platform.events import agent_group, publish_on_commit, session_group, token_group
from helpdesk.platform.validators import validate_person_name

# How stale `last_used_at` may get: recording every request would add a write to each API call.
TOKEN_LAST_USED_RESOLUTION = timedelta(minutes=1)


def agent_create(
    *,
    actor: Actor,
    username: str,
    password: str,
    email: str = "",
    name: str = "",
    departments: list[Department] = (),
    chat_enabled: bool = True,
    chat_status: str = Agent.ChatStatus.ONLINE,
    is_superuser: bool = False,
) -> tuple[Agent, ApiToken]:
    """Create a user with an agent profile and an API token (its key in `.key`, this once)."""
    require_permission(actor, "helpdesk.add_agent", _("You may not add agents."))
    User = get_user_model()
    try:
        validate_person_name(name or username)
    except ValidationError as error:
        raise DomainError(ErrorCode.INVALID, error.messages[0], field="name") from error
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise DomainError(
                ErrorCode.CONFLICT, _("A user named %(username)s already exists.") % {"username": repr(username)}
            )
        if is_superuser:
            user = User.objects.create_superuser(username=username, email=email, password=password)
        else:
            user = User.objects.create_user(username=username, email=email, password=password)
        agent = Agent.objects.create(
            user=user, display_name=name or username, chat_enabled=chat_enabled, chat_status=chat_status
        )
        agent.departments.set(departments)
        user.groups.add(Group.objects.get_or_create(name=AGENTS_GROUP)[0])
        token = api_token_create(actor=SYSTEM, user=user)  # part of the agent just allowed
    return agent, token


def api_token_create(*, actor: Actor, user) -> ApiToken:
    """A new API token for `user`. The plain key is on the returned object's `key` attribute
    and nowhere else: only its hash is stored, so the caller shows it now or never."""
    require_permission(actor, "helpdesk.add_apitoken", _("You may not issue API tokens."))
    if isinstance(actor, Agent) and user.is_superuser and not actor.user.is_superuser:
        # A token acts as its user.
        raise DomainError(ErrorCode.NOT_ALLOWED, _("Only a superuser may issue a token for a superuser."))
    key = secrets.token_hex(20)  # 40 hex characters, as DRF's tokens were
    token = ApiToken.objects.create(user=user, prefix=key[: ApiToken.PREFIX_LENGTH], key_hash=ApiToken.hash_key(key))
    token.key = key
    return token


def api_token_delete(*, actor: Actor, token: ApiToken) -> None:
    """Revoke a token: requests and sockets that present its key are refused from now on, and
    the sockets already open with it are closed."""
    require_permission(actor, "helpdesk.delete_apitoken", _("You may not revoke API tokens."))
    with transaction.atomic():
        agent_sockets_revoke(user_id=token.user_id, token_hash=token.key_hash)
        token.delete()


def agent_sockets_revoke(*, user_id: int, session_key: str | None = None, token_hash: str | None = None) -> None:
    """After commit, close (4401) the open agent sockets that a credential just taken away still
    holds: the ones one signed-out session opened (`session_key`), or the ones opened with one
    deleted API token (`token_hash`), or, with neither, every socket of the user (deactivated,
    no longer enabled for chat, deleted). A socket checks its credentials only at connect, so
    without this it would go on receiving offers and acting for the user.

    Call it in the transaction that takes the credential away, before a deletion (the agent's
    sockets are found through the agent row)."""
    if session_key:
        group = session_group(session_key)
    elif token_hash:
        group = token_group(token_hash)
    else:
        agent_id = Agent.objects.filter(user_id=user_id).values_list("pk", flat=True).first()
        if agent_id is None:
            return  # not an agent: no agent sockets
        group = agent_group(agent_id)
    publish_on_commit(group, {"type": "agent.revoked"})


def api_token_mark_used(*, token: ApiToken) -> None:
    """Record that the token was just used, to the minute."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
