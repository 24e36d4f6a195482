"""Timed chat work. Each task takes ids, loads, calls one service and is safe to run twice:
the deadline lives in the database and the periodic sweep finishes whatever a lost task left.
Services send these by name (helpdesk.platform.scheduling), so the names are part of the
contract between deploys: tasks already queued must still find them."""

from celery import shared_task
from django.utils.dateparse import parse_datetime

from chat import selectors, services
from helpdesk.platform import health


def _moment(scheduled_for: str | None):
    return parse_datetime(scheduled_for) if scheduled_for else None


@shared_task(acks_late=True)
def chat_end_when_due(chat_id: int, scheduled_for: str | None = None) -> None:
    services.chat_end_when_due(chat_id=chat_id, scheduled_for=_moment(scheduled_for))


@shared_task(acks_late=True)
def chat_miss_when_due(chat_id: int, scheduled_for: str | None = None) -> None:
    services.chat_mark_missed_when_due(chat_id=chat_id, scheduled_for=_moment(scheduled_for))


@shared_task(acks_late=True)
def transfer_expire_when_due(transfer_id: int, scheduled_for: str | None = None) -> None:
    services.transfer_expire_when_due(transfer_id=transfer_id, scheduled_for=_moment(scheduled_for))


@shared_task(acks_late=True)
def invitation_expire_when_due(invitation_id: int, scheduled_for: str | None = None) -> None:
    services.invitation_expire_when_due(invitation_id=invitation_id, scheduled_for=_moment(scheduled_for))


@shared_task(acks_late=True)
def chat_offer_expire_when_due(offer_id: int, scheduled_for: str | None = None) -> None:
    services.chat_offer_expire_when_due(offer_id=offer_id, scheduled_for=_moment(scheduled_for))


@shared_task(acks_late=True)
def chats_miss_unstaffed(agent_id: int | None = None, left_at: str | None = None) -> None:
    """Sent when an agent went Offline (with who and when) or would be away (no arguments)."""
    services.chats_miss_unstaffed(agent_id=agent_id, left_at=_moment(left_at))


@shared_task(acks_late=True)
def chat_sweep_overdue() -> None:
    # Only beat sends this: its run is /readyz's evidence of beat (and of a worker).
    health.record_sweep_ran()
    ending, waiting = selectors.overdue_chat_ids()
    for chat_id in ending:
        services.chat_end_when_due(chat_id=chat_id)
    for chat_id in waiting:
        services.chat_mark_missed_when_due(chat_id=chat_id)
    transfers, invitations = selectors.overdue_handover_ids()
    for transfer_id in transfers:
        services.transfer_expire_when_due(transfer_id=transfer_id)
    for invitation_id in invitations:
        services.invitation_expire_when_due(invitation_id=invitation_id)
    for offer_id in selectors.overdue_offer_ids():
        services.chat_offer_expire_when_due(offer_id=offer_id)
    # Waiting chats whose last agent went away without a countdown task to tell (chat/services/staffing.py).
    services.chats_miss_unstaffed()
    # The guarantee behind every call that offers a queue when someone may have room.
    services.offers_route_waiting()
    # Agents who went away lately, to the live monitor (their presence turned without a write).
    services.monitor_presence_sweep()


@shared_task(acks_late=True)
def timers_rearm() -> None:
    """Sent by every worker when it (re)connects to the broker (helpdesk/celery.py)."""
    services.timers_rearm()
