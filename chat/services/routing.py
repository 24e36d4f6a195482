"""One agent at a time: a department routed round robin or least busy offers a waiting chat to
one agent (chat.models.ChatOffer, chosen by chat.selectors.agents_next_in_line); unanswered
within OFFER_TIMEOUT_SECONDS it moves to the next. When nobody has room the chat waits in the
department's queue, first come first served, and is offered the moment someone has room
(offers_route_waiting: called wherever an agent may have room again, and by the sweep).

Locks: a chat's row first, then its offer; agents are locked with SKIP LOCKED (an agent busy
accepting or changing status is passed over), so routing never waits on an agent's row and
cannot deadlock with an accept (which locks the agent, then the chat). Broadcast departments
(and chats without a department) do not come here: every available agent gets the popup.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chat import frames, selectors
from chat.models import Chat, ChatOffer
from helpdesk.models import Agent, Department
from helpdesk.platform.deadlines import is_due
from helpdesk.platform.events import publish_to_agent
from helpdesk.platform.scheduling import schedule_on_commit

OFFER_EXPIRE_TASK = "chat.tasks.chat_offer_expire_when_due"
# The best few candidates are tried (their rows may be locked by an accept at this moment).
CANDIDATES = 5
# Chats of one department's queue offered per call: each takes an agent with room, so a call
# stops long before this unless that many agents just came online.
QUEUE_BATCH = 50


def routed_one_at_a_time(chat: Chat) -> bool:
    return chat.department_id is not None and chat.department.routing in Department.ONE_AT_A_TIME


def offers_route_waiting(*, department_ids: list[int] | None = None, wait: bool = False) -> int:
    """Offer the waiting chats on nobody's screen in these one-at-a-time departments (all of
    them when None), oldest first, while someone has room; how many were offered. Runs in the
    caller's transaction, if any.

    A chat locked by another transaction (being accepted, routed or released) is passed over,
    unless `wait`: an agent who just got room waits for it, for that transaction may be one that
    found nobody a moment before this agent had room, and the chat would otherwise wait for the
    sweep."""
    if department_ids is None:
        department_ids = selectors.departments_routed_one_at_a_time()
    offered = 0
    for department_id in department_ids:
        for chat_id in selectors.waiting_chats_to_route(department_id).values_list("pk", flat=True)[:QUEUE_BATCH]:
            with transaction.atomic():  # a savepoint inside the caller's transaction
                chat = _lock_waiting_chat(chat_id, skip_locked=not wait)
                if chat is None or chat.offers.filter(status=ChatOffer.Status.PENDING).exists():
                    continue
                if _offer_to_next(chat) is None:
                    break  # nobody has room: the rest keep their place in the queue
            offered += 1
    return offered


def offers_route_for_agent(agent: Agent) -> None:
    """The agent may take more now (came online, connected, has room again): offer the queues of
    their one-at-a-time departments."""
    department_ids = selectors.departments_routed_one_at_a_time(agent)
    if department_ids:
        offers_route_waiting(department_ids=department_ids, wait=True)


def chat_offer_expire_when_due(*, offer_id: int, scheduled_for=None) -> ChatOffer | None:
    """An offer unanswered past its deadline: the agent gets chat.offer_withdrawn ("timeout") and
    the chat goes to the next agent in line. If that is the same agent (nobody else has room),
    the offer is simply renewed. Safe to run any number of times."""
    with transaction.atomic():
        chat_id = ChatOffer.objects.filter(pk=offer_id).values_list("chat_id", flat=True).first()
        chat = _lock_waiting_chat(chat_id) if chat_id else None
        offer = ChatOffer.objects.select_for_update().filter(pk=offer_id, status=ChatOffer.Status.PENDING).first()
        if offer is None or not is_due(offer.expires_at, scheduled_for=scheduled_for, timer="offer_expiry"):
            return None
        _close(offer, ChatOffer.Status.TIMEOUT)
        if chat is None:  # closed meanwhile (closing withdraws offers: this is only a safety net)
            return offer
        renewed = _offer_to_next(chat, previous=offer)
        if renewed is None or renewed.agent_id != offer.agent_id:
            publish_to_agent(offer.agent_id, frames.offer_withdrawn_frame(chat, reason="timeout"))
        offers_route_waiting(department_ids=[chat.department_id])  # their place may take another
    return offer


def offers_release_agent(agent: Agent) -> None:
    """The agent went Offline: the chats offered to them move on at once (their screen already
    had the offers taken away, "offline"). Precondition: in a transaction."""
    for offer_id in selectors.pending_offers_of(agent):
        chat_id = ChatOffer.objects.filter(pk=offer_id).values_list("chat_id", flat=True).first()
        chat = _lock_waiting_chat(chat_id)
        offer = ChatOffer.objects.select_for_update().filter(pk=offer_id, status=ChatOffer.Status.PENDING).first()
        if offer is None:
            continue
        _close(offer, ChatOffer.Status.WITHDRAWN)
        if chat is not None:
            _offer_to_next(chat)


def offers_close_for_chat(chat: Chat, *, accepted_by: Agent | None = None) -> None:
    """The chat was accepted (by `accepted_by`) or closed: its pending offer is settled.
    Precondition: `chat` is locked."""
    for offer in ChatOffer.objects.select_for_update().filter(chat=chat, status=ChatOffer.Status.PENDING):
        accepted = accepted_by is not None and offer.agent_id == accepted_by.pk
        _close(offer, ChatOffer.Status.ACCEPTED if accepted else ChatOffer.Status.WITHDRAWN)


def _lock_waiting_chat(chat_id: int, *, skip_locked: bool = False) -> Chat | None:
    return (
        Chat.objects.select_for_update(of=("self",), skip_locked=skip_locked)
        .select_related("visitor", "department")
        .filter(pk=chat_id, status=Chat.Status.WAITING)
        .first()
    )


def _offer_to_next(chat: Chat, *, previous: ChatOffer | None = None) -> ChatOffer | None:
    """Offer the locked waiting `chat` (no offer pending) to the agent next in line, if anyone
    has room. The candidate's row is locked and their room checked again under the lock, so two
    chats routed at once cannot both take an agent's last place."""
    for candidate in selectors.agents_next_in_line(chat)[:CANDIDATES]:
        agent = Agent.objects.select_for_update(skip_locked=True).filter(pk=candidate.pk).first()
        if agent is None or not selectors.agents_next_in_line(chat).filter(pk=agent.pk).exists():
            continue
        now = timezone.now()
        offer = ChatOffer.objects.create(
            chat=chat,
            agent=agent,
            offered_at=now,
            expires_at=now + timedelta(seconds=settings.OFFER_TIMEOUT_SECONDS),
        )
        if previous is None or previous.agent_id != agent.pk:
            publish_to_agent(agent.pk, frames.offered_frame(chat, ring=agent.ringer, expires_at=offer.expires_at))
        schedule_on_commit(OFFER_EXPIRE_TASK, offer.pk, offer.expires_at.isoformat(), eta=offer.expires_at)
        return offer
    return None


def _close(offer: ChatOffer, status: str) -> None:
    offer.status = status
    offer.decided_at = timezone.now()
    offer.save(update_fields=["status", "decided_at"])
