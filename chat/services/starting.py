"""A visitor starts a chat, and proves with their token which chat is theirs."""

import math
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from chat import frames, selectors
from chat.models import Chat, Visitor
from chat.services.monitor import monitor_chat_changed
from chat.services.routing import offers_route_waiting, routed_one_at_a_time
from chat.visitor_info import VisitorFacts
from helpdesk.models import Department
from helpdesk.platform.errors import DomainError, ErrorCode
from helpdesk.platform.events import publish_to_agent
from helpdesk.platform.logs import log_chat_event
from helpdesk.platform.scheduling import schedule_on_commit
from helpdesk.webhooks.services import webhooks_enqueue

MISS_TASK = "chat.tasks.chat_miss_when_due"


def chat_start(
    *,
    name: str,
    email: str,
    question: str,
    department: Department | None,
    facts: VisitorFacts,
    page_url: str = "",
) -> tuple[Chat, str]:
    """Open a waiting chat for a visitor and offer it to the agents who can take it.

    Returns the chat and the visitor's secret token (only its hash is stored).
    """
    now = timezone.now()
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        _require_room_to_wait(email=email, ip_address=facts.ip_address, now=now)
        # One Visitor row per chat: nobody signs in, so a chat started with someone's e-mail
        # address must not rewrite the name and facts of that person's other chats. Earlier
        # visits are found by e-mail (Recent Chats); first_seen carries over.
        earlier = Visitor.objects.filter(email__iexact=email).order_by("first_seen_at").first()
        visitor = Visitor.objects.create(
            name=name,
            email=email,
            ip_address=facts.ip_address,
            user_agent=facts.user_agent,
            browser=facts.browser,
            operating_system=facts.operating_system,
            location=facts.location,
            first_seen_at=earlier.first_seen_at if earlier else now,
            last_seen_at=now,
        )
        chat = Chat.objects.create(
            visitor=visitor,
            department=department,
            question=question,
            page_url=page_url,
            visitor_token_hash=Chat.hash_token(token),
            started_at=now,
            missed_deadline=now + timedelta(seconds=settings.CHAT_MISSED_AFTER_SECONDS),
        )
        if routed_one_at_a_time(chat):
            offers_route_waiting(department_ids=[department.pk])  # the queue, this chat last
        else:
            for agent in selectors.agents_to_offer(department):
                publish_to_agent(agent.pk, frames.offered_frame(chat, ring=agent.ringer))
        webhooks_enqueue("chat.started", frames.chat_event_data(chat))
        monitor_chat_changed(chat.pk)
        log_chat_event("chat.started", chat_id=chat.pk, department_id=chat.department_id)
        schedule_on_commit(MISS_TASK, chat.pk, chat.missed_deadline.isoformat(), eta=chat.missed_deadline)
    return chat, token


# The refusals of _require_room_to_wait, one whole sentence per limit.
_TOO_MANY_FROM_ADDRESS = gettext_noop(
    "%(most)s chats from your network address are already waiting for an agent; "
    "please wait for an answer there, or try again in %(wait)s seconds."
)
_TOO_MANY_FOR_EMAIL = gettext_noop(
    "%(most)s chats for your e-mail are already waiting for an agent; "
    "please wait for an answer there, or try again in %(wait)s seconds."
)


def _require_room_to_wait(*, email: str, ip_address: str | None, now: datetime) -> None:
    """At most CHAT_MAX_WAITING_PER_IP chats waiting from one client address and
    CHAT_MAX_WAITING_PER_EMAIL for one e-mail (0: no limit), else DomainError
    "too_many_waiting" with the seconds until the oldest of them is answered or missed.

    Starts sharing an address or an e-mail are serialised for the rest of the transaction, so
    that two at once cannot both take the last place: advisory locks on PostgreSQL; SQLite's
    transactions (IMMEDIATE) already run one at a time.
    """
    limits = [
        ("visitor__ip_address", ip_address, settings.CHAT_MAX_WAITING_PER_IP, _TOO_MANY_FROM_ADDRESS),
        ("visitor__email__iexact", email.strip().lower(), settings.CHAT_MAX_WAITING_PER_EMAIL, _TOO_MANY_FOR_EMAIL),
    ]
    limits = [limit for limit in limits if limit[1] and limit[2] > 0]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # One order: no deadlock.
            for key in sorted(f"chat_start:{field}:{value}" for field, value, *_rest in limits):
                cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])
    for field, value, most, refusal in limits:
        deadlines = list(
            Chat.objects.filter(status=Chat.Status.WAITING, **{field: value})
            .order_by("missed_deadline")
            .values_list("missed_deadline", flat=True)[:most]
        )
        if len(deadlines) >= most:
            wait = max(1, math.ceil((deadlines[0] - now).total_seconds()))
            detail = _(refusal) % {"most": most, "wait": wait}
            raise DomainError(ErrorCode.TOO_MANY_WAITING, detail, retry_after=wait)


def chat_for_visitor(*, chat_id: int, token: str) -> Chat:
    """The chat this visitor token opens; `helpdesk.actors.ChatVisitor.of(chat)` is then the
    visitor's actor for every other service.

    Raises DomainError "invalid_token" for a token that opens no chat, "not_allowed" for one
    that opens a different chat, and "token_expired" once the chat has been closed for longer
    than VISITOR_TOKEN_TTL_AFTER_END_SECONDS.
    """
    token_hash = Chat.hash_token(token or "")
    chat = Chat.objects.select_related("visitor", "department", "owner").filter(pk=chat_id).first()
    if chat is not None and secrets.compare_digest(chat.visitor_token_hash, token_hash):
        ttl = timedelta(seconds=settings.VISITOR_TOKEN_TTL_AFTER_END_SECONDS)
        if chat.status in Chat.CLOSED_STATUSES and chat.ended_at and timezone.now() > chat.ended_at + ttl:
            raise DomainError(ErrorCode.TOKEN_EXPIRED, _("This chat has ended and its visitor token has expired."))
        return chat
    if token and Chat.objects.filter(visitor_token_hash=token_hash).exists():
        raise DomainError(ErrorCode.NOT_ALLOWED, _("This token belongs to another chat."))
    raise DomainError(ErrorCode.INVALID_TOKEN, _("The visitor token is missing or wrong."))
