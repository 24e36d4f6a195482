"""Who acts. Every service takes one of these as `actor` and derives names and permissions from
it: an agent (the `Agent` row), the visitor of one chat (proven by its token), or the desk itself."""

from dataclasses import dataclass

from helpdesk.models import Agent
from helpdesk.platform.errors import DomainError, ErrorCode


@dataclass(frozen=True)
class ChatVisitor:
    """The holder of one chat's visitor token; made only after the token was checked
    (chat.services.chat_for_visitor)."""

    chat_id: int
    name: str

    @classmethod
    def of(cls, chat) -> "ChatVisitor":
        return cls(chat_id=chat.pk, name=chat.visitor.name)


@dataclass(frozen=True)
class System:
    """Timers, the sweep, managers acting through the admin, the lines the desk writes."""

    name: str = "System"


SYSTEM = System()
Actor = Agent | ChatVisitor | System


def actor_of_user(user) -> Agent | System:
    """Who acts for a user signed in to the admin: their agent, or the desk itself for a staff user
    without an agent profile (Django's admin has checked their model permissions already)."""
    return getattr(user, "agent", None) or SYSTEM


def require_permission(actor: Actor, permission: str, detail: str) -> None:
    """The system may do anything; an agent needs the Django permission; a visitor has none."""
    if isinstance(actor, System) or (isinstance(actor, Agent) and actor.user.has_perm(permission)):
        return
    raise DomainError(ErrorCode.NOT_ALLOWED, detail)
