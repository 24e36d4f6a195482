"""Changes to departments, agents and API tokens."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
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


def password_reset_offered() -> bool:
    """A reset mail carries a link that takes the account over: never through a backend that
    prints or files it (settings refuse that too; this also covers settings changed later).
    The sign-in pages (helpdesk.agents.accounts) and the set-password link of agent_add follow it."""
    return settings.PASSWORD_RESET_ENABLED and settings.EMAIL_BACKEND not in settings.PRINTING_EMAIL_BACKENDS


def agent_add(
    *,
    actor: Actor,
    username: str,
    name: str,
    email: str,
    password: str | None = None,
    email_password_link: bool = False,
    site_domain: str = "",
    use_https: bool = True,
    departments: list[Department] = (),
    chat_enabled: bool = True,
    max_concurrent_chats: int | None = None,
) -> Agent:
    """A new agent as a manager adds one (the admin's Add agent form): the user (in the Agents
    group) and their agent profile in one transaction, Offline until they go Online themselves.

    Either `password` (checked by the caller against the password validators) or
    `email_password_link`: then the user gets an unguessable password nobody knows and, after
    commit, an e-mail with a link to set their own (the password reset link, valid for
    PASSWORD_RESET_TIMEOUT, at `site_domain`); offered only while password reset is
    (password_reset_offered), and a lost mail can be made up with "Forgot password?"."""
    require_permission(actor, "helpdesk.add_agent", _("You may not add agents."))
    User = get_user_model()
    if email_password_link == (password is not None):
        raise DomainError(ErrorCode.INVALID, _("Give a password or e-mail a link to set one."), field="password")
    if email_password_link:
        if not password_reset_offered():
            detail = _("Password links cannot be e-mailed: password reset is off on this desk.")
            raise DomainError(ErrorCode.NOT_ALLOWED, detail, field="email_password_link")
        if not email:
            raise DomainError(ErrorCode.INVALID, _("An e-mail address is needed to send the link."), field="email")
    try:
        validate_person_name(name)
    except ValidationError as error:
        raise DomainError(ErrorCode.INVALID, error.messages[0], field="name") from error
    if max_concurrent_chats is None:
        max_concurrent_chats = settings.DEFAULT_AGENT_MAX_CHATS
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            detail = _("A user named %(username)s already exists.") % {"username": repr(username)}
            raise DomainError(ErrorCode.CONFLICT, detail, field="username")
        user = User.objects.create_user(
            username=username, email=email, password=secrets.token_urlsafe(32) if email_password_link else password
        )
        agent = Agent.objects.create(
            user=user,
            display_name=name,
            chat_enabled=chat_enabled,
            chat_status=Agent.ChatStatus.OFFLINE,
            max_concurrent_chats=max_concurrent_chats,
        )
        agent.departments.set(departments)
        user.groups.add(Group.objects.get_or_create(name=AGENTS_GROUP)[0])
        if email_password_link:
            _email_password_link_on_commit(user, domain=site_domain, use_https=use_https)
    return agent


def _email_password_link_on_commit(user, *, domain: str, use_https: bool) -> None:
    """After commit, the e-mail with the link to set a password, sent as Django's password reset
    sends its own (PasswordResetForm.send_mail, which logs a mail that cannot be sent)."""

    def send() -> None:
        context = {
            "email": user.email,
            "domain": domain,
            "site_name": domain,
            "uid": urlsafe_base64_encode(force_bytes(user.pk)),
            "user": user,
            "token": default_token_generator.make_token(user),
            "protocol": "https" if use_https else "http",
        }
        PasswordResetForm().send_mail(
            "registration/agent_set_password_subject.txt",
            "registration/agent_set_password_email.txt",
            context,
            settings.DEFAULT_FROM_EMAIL,
            user.email,
        )

    transaction.on_commit(send)


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
