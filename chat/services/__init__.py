"""Every change of a chat's state, one module per capability, importing only downward:
checks, monitor → messages → routing → offers → participation → transfers, invitations → ending →
starting, timers, supervision (monitor: the live monitor's frames, which most of them publish).

Each function runs in one transaction, takes the acting principal (`helpdesk.actors`) keyword-
only, checks what that actor may do, and publishes what changed only after it commits. Edges
import this package; the modules inside it import each other, never the package."""

from chat.services.aftercare import RATING_COMMENT_MAX_CHARS, chat_email_transcript, chat_rate
from chat.services.checks import clean_id
from chat.services.ending import (
    chat_cancel_end,
    chat_end,
    chat_end_when_due,
    chat_mark_missed_when_due,
    chat_schedule_end,
    chats_miss_unstaffed,
)
from chat.services.invitations import (
    invitation_accept,
    invitation_decline,
    invitation_expire_when_due,
    invitations_create,
)
from chat.services.messages import CLIENT_ID_MAX_CHARS, clean_internal, message_post, system_message_post
from chat.services.monitor import monitor_presence_sweep
from chat.services.offers import agent_update_chat_settings, chat_accept, offers_publish_for_agent
from chat.services.offline import chat_leave_offline_message
from chat.services.participation import chat_leave
from chat.services.queue import queue_position_frame_for
from chat.services.routing import chat_offer_expire_when_due, offers_route_waiting
from chat.services.starting import chat_for_visitor, chat_start
from chat.services.supervision import agent_set_chat_status, chat_reassign
from chat.services.timers import timers_rearm
from chat.services.transfers import (
    transfer_accept,
    transfer_decline,
    transfer_expire_when_due,
    transfer_request,
    transfer_withdraw,
)

__all__ = [
    "CLIENT_ID_MAX_CHARS",
    "RATING_COMMENT_MAX_CHARS",
    "agent_set_chat_status",
    "agent_update_chat_settings",
    "chat_accept",
    "chat_cancel_end",
    "chat_email_transcript",
    "chat_end",
    "chat_end_when_due",
    "chat_for_visitor",
    "chat_leave",
    "chat_leave_offline_message",
    "chat_mark_missed_when_due",
    "chat_offer_expire_when_due",
    "chat_rate",
    "chat_reassign",
    "chat_schedule_end",
    "chat_start",
    "chats_miss_unstaffed",
    "clean_id",
    "clean_internal",
    "invitation_accept",
    "invitation_decline",
    "invitation_expire_when_due",
    "invitations_create",
    "message_post",
    "monitor_presence_sweep",
    "offers_publish_for_agent",
    "offers_route_waiting",
    "queue_position_frame_for",
    "system_message_post",
    "timers_rearm",
    "transfer_accept",
    "transfer_decline",
    "transfer_expire_when_due",
    "transfer_request",
    "transfer_withdraw",
]
