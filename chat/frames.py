"""Builders for the frames clients receive (docs/protocol.md). One builder per frame type,
shared by websockets and REST so the two can never disagree."""

from rest_framework.fields import DateTimeField

from chat.models import Chat, Message
from helpdesk.models import Agent

_timestamp = DateTimeField()


def timestamp(moment) -> str:
    """Times in frames look exactly as in REST responses (ISO 8601, "Z" for UTC)."""
    return _timestamp.to_representation(moment)


def agent_ref(agent: Agent | None) -> dict | None:
    return {"id": agent.pk, "name": agent.display_name} if agent else None


def message_frame(message: Message) -> dict:
    return {
        "type": "message",
        "chat_id": message.chat_id,
        "seq": message.seq,
        "sender": {"kind": message.sender_kind, "name": message.sender_name},
        "body": message.body,
        "created_at": timestamp(message.created_at),
        "client_id": message.client_id,
        "internal": message.internal,
    }


def visitor_message_frame(frame: dict, visitor_seq: int) -> dict:
    """A message frame as the visitor's socket sends it: numbered in the visitor's own sequence
    (the messages they see: internal notes are skipped), without the agents' `internal`."""
    visible = {key: value for key, value in frame.items() if key != "internal"}
    visible["seq"] = visitor_seq
    return visible


def offered_frame(chat: Chat, *, ring: bool, expires_at=None) -> dict:
    """`expires_at`: when an offer made to this agent alone (one-at-a-time routing) moves on."""
    return {
        "type": "chat.offered",
        "chat_id": chat.pk,
        "visitor": {"name": chat.visitor.name, "email": chat.visitor.email},
        "question": chat.question,
        "department": chat.department.slug if chat.department else None,
        "department_name": chat.department.name if chat.department else None,
        "started_at": timestamp(chat.started_at),
        "ring": ring,
        "expires_at": timestamp(expires_at) if expires_at else None,
    }


def offer_withdrawn_frame(chat: Chat, *, reason: str) -> dict:
    return {
        "type": "chat.offer_withdrawn",
        "chat_id": chat.pk,
        "reason": reason,
        "agent": agent_ref(chat.owner) if reason == "accepted" else None,
    }


def accepted_frame(chat: Chat) -> dict:
    return {"type": "chat.accepted", "chat_id": chat.pk, "agent": agent_ref(chat.owner)}


def ending_frame(chat: Chat) -> dict:
    return {"type": "chat.ending", "chat_id": chat.pk, "ends_at": timestamp(chat.ends_at)}


def end_cancelled_frame(chat: Chat) -> dict:
    return {"type": "chat.end_cancelled", "chat_id": chat.pk}


def ended_frame(chat: Chat, *, ticket_id: int) -> dict:
    return {"type": "chat.ended", "chat_id": chat.pk, "ticket_id": ticket_id}


def missed_frame(chat: Chat, *, ticket_id: int) -> dict:
    """`reason`: Chat.MissedReason ("no_answer", "abandoned", "no_agents"); None for a chat
    missed before reasons were recorded."""
    reason = str(chat.missed_reason) if chat.missed_reason else None
    return {"type": "chat.missed", "chat_id": chat.pk, "ticket_id": ticket_id, "reason": reason}


def chat_event_data(chat: Chat) -> dict:
    """The chat as webhooks describe it (chat.started / accepted / ended / missed)."""
    return {
        "id": chat.pk,
        "status": chat.status,
        "question": chat.question,
        "department": chat.department.slug if chat.department else None,
        "visitor": {"name": chat.visitor.name, "email": chat.visitor.email},
        "owner": agent_ref(chat.owner),
        "started_at": timestamp(chat.started_at),
        "accepted_at": timestamp(chat.accepted_at) if chat.accepted_at else None,
        "ended_at": timestamp(chat.ended_at) if chat.ended_at else None,
    }


def typing_frame(*, chat_id: int, sender_kind: str, sender_name: str) -> dict:
    return {"type": "typing", "chat_id": chat_id, "sender": {"kind": sender_kind, "name": sender_name}}


def agent_status_frame(agent: Agent) -> dict:
    return {"type": "agent.status", "chat_status": agent.chat_status, "ringer": agent.ringer}


def error_frame(code: str, detail: str, **extra) -> dict:
    return {"type": "error", "code": code, "detail": detail, **extra}


def transfer_frame(frame_type: str, transfer, *, for_visitor: bool = False) -> dict:
    """`for_visitor` leaves out the note, which is meant for the receiving agent only."""
    chat = transfer.chat
    frame = {
        "type": frame_type,
        "transfer_id": transfer.pk,
        "chat_id": chat.pk,
        "status": transfer.status,
        "from": agent_ref(transfer.from_agent),
        "to": agent_ref(transfer.to_agent),
        "department": transfer.to_department.slug if transfer.to_department_id else None,
        "visitor": {"name": chat.visitor.name, "email": chat.visitor.email},
        "question": chat.question,
        "note": transfer.note,
        "expires_at": timestamp(transfer.expires_at),
    }
    if for_visitor:
        del frame["note"]
    return frame


def invitation_frame(frame_type: str, invitation) -> dict:
    chat = invitation.chat
    return {
        "type": frame_type,
        "invitation_id": invitation.pk,
        "chat_id": chat.pk,
        "status": invitation.status,
        "inviter": agent_ref(invitation.inviter),
        "invitee": agent_ref(invitation.invitee),
        "visitor": {"name": chat.visitor.name, "email": chat.visitor.email},
        "question": chat.question,
        "note": invitation.note,
        "expires_at": timestamp(invitation.expires_at),
    }


def participant_frame(frame_type: str, chat: Chat, agent: Agent) -> dict:
    return {"type": frame_type, "chat_id": chat.pk, "agent": agent_ref(agent)}


def queue_position_frame(chat: Chat, *, position: int, estimated_wait_seconds: int | None) -> dict:
    """To a waiting visitor: their place among the department's waiting chats (1 = next)."""
    return {
        "type": "queue.position",
        "chat_id": chat.pk,
        "position": position,
        "estimated_wait_seconds": estimated_wait_seconds,
    }


def rating_data(chat: Chat) -> dict | None:
    """The visitor's rating as the API shows it, or None before they rated."""
    if chat.rating_score is None:
        return None
    return {"score": chat.rating_score, "comment": chat.rating_comment}


def rated_frame(chat: Chat) -> dict:
    """To the chat's agents: the visitor rated the chat."""
    return {"type": "chat.rated", "chat_id": chat.pk, "rating": rating_data(chat)}


# The live monitor (docs/protocol.md, "Live monitor"): the same shapes over REST (GET /api/v1/monitor/).


def monitor_chat_data(chat: Chat) -> dict:
    """A chat as the monitor shows it; `chat.current_participations` are the agents taking part
    now (chat.selectors.monitor_chats prefetches them)."""
    return {
        "id": chat.pk,
        "status": chat.status,
        "question": chat.question,
        "department": chat.department.slug if chat.department else None,
        "department_name": chat.department.name if chat.department else None,
        "visitor": {"name": chat.visitor.name, "email": chat.visitor.email},
        "owner": agent_ref(chat.owner),
        "participants": [agent_ref(taking_part.agent) for taking_part in chat.current_participations],
        "started_at": timestamp(chat.started_at),
        "accepted_at": timestamp(chat.accepted_at) if chat.accepted_at else None,
        "ends_at": timestamp(chat.ends_at) if chat.ends_at else None,
        "ended_at": timestamp(chat.ended_at) if chat.ended_at else None,
    }


def monitor_agent_data(agent: Agent) -> dict:
    """An agent as the monitor shows it, from chat.selectors.monitor_agents (`presence`,
    `active_chats`, departments prefetched)."""
    return {
        "id": agent.pk,
        "name": agent.display_name,
        "departments": [department.slug for department in agent.departments.all()],
        "department_names": [department.name for department in agent.departments.all()],
        "chat_enabled": agent.chat_enabled,
        "chat_status": agent.chat_status,
        "presence": agent.presence,
        "active_chats": agent.active_chats,
        "max_chats": agent.max_concurrent_chats,
    }


def monitor_state_data(state) -> dict:
    """chat.selectors.MonitorState as GET /api/v1/monitor/ and the `monitor.state` frame give it."""
    return {
        "waiting": [monitor_chat_data(chat) for chat in state.waiting],
        "active": [monitor_chat_data(chat) for chat in state.active],
        "agents": [monitor_agent_data(agent) for agent in state.agents],
    }


def monitor_state_frame(state) -> dict:
    return {"type": "monitor.state", **monitor_state_data(state)}


def monitor_chat_frame(chat: Chat) -> dict:
    """A chat started, was accepted, changed hands or participants, is ending, or closed."""
    return {"type": "monitor.chat", "chat": monitor_chat_data(chat)}


def monitor_agent_frame(agent: Agent) -> dict:
    """An agent's chat status, presence or number of open chats changed."""
    return {"type": "monitor.agent", "agent": monitor_agent_data(agent)}


def monitor_watching_frame(chat: Chat) -> dict:
    """To a manager's socket now watching `chat` read-only; its messages follow as `message`
    frames (those after the `after_seq` asked for)."""
    return {"type": "monitor.watching", "chat_id": chat.pk, "chat": monitor_chat_data(chat)}
