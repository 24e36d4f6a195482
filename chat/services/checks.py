"""What every chat service checks first: clean ids and text, who the actor is, locks."""

from django.utils.translation import gettext as _

from chat import selectors
from chat.models import Chat
from helpdesk.actors import Actor, ChatVisitor
from helpdesk.models import Agent
from helpdesk.platform.errors import DomainError, ErrorCode
from helpdesk.platform.fields import MAX_ID


def clean_id(value) -> int:
    """A positive database id; anything else (bools, strings, out of range) is refused."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise DomainError(ErrorCode.INVALID, _("Ids are positive integers."))
    return value


def clean_text(value, *, field: str) -> str:
    """Text the database can store: a string without NUL characters or lone surrogates."""
    if not isinstance(value, str):
        raise DomainError(ErrorCode.INVALID, _("%(field)s must be a string.") % {"field": field})
    if "\x00" in value:
        raise DomainError(ErrorCode.INVALID, _("%(field)s must not contain NUL characters.") % {"field": field})
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise DomainError(ErrorCode.INVALID, _("%(field)s is not valid Unicode text.") % {"field": field}) from error
    return value


def require_agent(actor: Actor) -> Agent:
    """The actor as an agent who may work now (active, enabled for chat)."""
    if not isinstance(actor, Agent):
        raise DomainError(ErrorCode.NOT_ALLOWED, _("Only agents can do this."))
    selectors.access_active_agent(actor)
    return actor


def require_visitor_of(actor: ChatVisitor, chat_id: int) -> None:
    if actor.chat_id != chat_id:
        raise DomainError(ErrorCode.NOT_ALLOWED, _("This token belongs to another chat."))


def lock_chat(chat_id: int) -> Chat:
    chat = Chat.objects.select_for_update().filter(pk=chat_id).first()
    if chat is None:
        raise DomainError(ErrorCode.NOT_FOUND, _("No such chat."))
    return chat


def require_participant(chat: Chat, agent: Agent) -> None:
    if not selectors.is_participant(chat_id=chat.pk, agent_id=agent.pk):
        if chat.status == Chat.Status.WAITING:
            raise DomainError(ErrorCode.NOT_ALLOWED, _("Accept the chat first."))
        raise DomainError(ErrorCode.NOT_ALLOWED, _("You do not take part in this chat."))


def require_owner(chat: Chat, agent: Agent) -> None:
    """Ending is the owner's: an invited agent leaves instead, and the owner's end ends it for all."""
    require_participant(chat, agent)
    if chat.owner_id != agent.pk:
        raise DomainError(ErrorCode.NOT_ALLOWED, _("Only the chat's owner can end it; you can leave it instead."))


def lock_agent_with_room(agent: Agent, *, joining: Chat | None = None) -> Agent:
    """The agent's row, locked, if they are enabled for chat and have room for one more.

    Locking serialises one agent's accepts, so the limit holds under concurrency, and reads
    their current settings rather than a caller's stale copy. An agent already in `joining`
    (taking over a chat they were invited to) needs no extra room."""
    agent = Agent.objects.select_for_update().get(pk=agent.pk)
    if not agent.chat_enabled:
        raise DomainError(ErrorCode.NOT_ALLOWED, _("You are not enabled for chat."))
    already_in = joining is not None and selectors.is_participant(chat_id=joining.pk, agent_id=agent.pk)
    if selectors.open_chat_count(agent) >= agent.max_concurrent_chats and not already_in:
        raise DomainError(ErrorCode.CHAT_LIMIT_REACHED, _("You already have as many chats as your limit allows."))
    return agent
