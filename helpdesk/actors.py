"""Who acts. Every service takes one of these as `actor` and derives names and permissions from
it: an agent (the `Agent` row), the visitor of one chat (proven by its token), or the desk itself."""

from dataclasses import dataclass

from helpdesk.models import Agent


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
