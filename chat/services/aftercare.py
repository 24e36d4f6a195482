"""After a chat with an agent has ended, its visitor may rate it and have its transcript e-mailed.

Both are the visitor's (a `ChatVisitor`, proven by the chat's token) and only for a chat an agent
answered that has ended: a missed chat had no conversation to rate or send. Both are possible as
long as the visitor token is valid (VISITOR_TOKEN_TTL_AFTER_END_SECONDS after the end)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from chat import frames
from chat.models import Chat, ChatParticipant, Message
from chat.services.checks import clean_id, lock_chat, require_visitor_of
from helpdesk.actors import Actor, ChatVisitor
from helpdesk.platform.errors import DomainError, ErrorCode
from helpdesk.platform.events import publish_to_agent
from helpdesk.platform.text import text_problem
from tickets.models import Ticket
from tickets.services import ticket_record_event

logger = logging.getLogger(__name__)

RATING_COMMENT_MAX_CHARS = 2000
TRANSCRIPT_SUBJECT_MAX_CHARS = 100


def clean_score(score) -> int:
    """A whole number from 1 to 5 (JSON numbers only: not a boolean, not "5")."""
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise DomainError(ErrorCode.INVALID, _("The score is a whole number from 1 to 5."), field="score")
    return score


def clean_comment(comment) -> str:
    """Optional text (None or blank: no comment), at most RATING_COMMENT_MAX_CHARS as sent; trimmed."""
    if comment is None:
        return ""
    if not isinstance(comment, str):
        raise DomainError(ErrorCode.INVALID, _("The comment must be text."), field="comment")
    problem = text_problem(comment)
    if problem:
        raise DomainError(ErrorCode.INVALID, problem, field="comment")
    if len(comment) > RATING_COMMENT_MAX_CHARS:
        raise DomainError(
            ErrorCode.INVALID,
            _("The comment is at most %(max)s characters.") % {"max": RATING_COMMENT_MAX_CHARS},
            field="comment",
        )
    return comment.strip()


# What the visitor is refused, per action ("rate" or "e-mail"), as whole sentences.
_ONLY_THE_VISITOR = {
    "rate": gettext_noop("Only the chat's visitor can rate it."),
    "e-mail": gettext_noop("Only the chat's visitor can ask for its transcript."),
}
_NOBODY_ANSWERED = {
    "rate": gettext_noop("No agent answered this chat, so there is nothing to rate."),
    "e-mail": gettext_noop("No agent answered this chat, so there is nothing to e-mail."),
}
_NOT_ENDED_YET = {
    "rate": gettext_noop("The chat has not ended yet; rate it once it has."),
    "e-mail": gettext_noop("The chat has not ended yet; e-mail it once it has."),
}


def _require_visitor(actor: Actor, chat_id: int, *, action: str) -> None:
    if not isinstance(actor, ChatVisitor):
        raise DomainError(ErrorCode.NOT_ALLOWED, _(_ONLY_THE_VISITOR[action]))
    require_visitor_of(actor, chat_id)


def _require_ended_with_agent(chat: Chat, *, action: str) -> None:
    """The chat ended after an agent answered it, and its visitor token is still valid."""
    if chat.status == Chat.Status.MISSED:
        raise DomainError(ErrorCode.NOT_ALLOWED, _(_NOBODY_ANSWERED[action]))
    if chat.status != Chat.Status.ENDED:
        raise DomainError(ErrorCode.CONFLICT, _(_NOT_ENDED_YET[action]))
    # The edge checked the token (chat_for_visitor); a ChatVisitor held longer than that (a
    # socket) must not outlive it either.
    if timezone.now() > chat.ended_at + timedelta(seconds=settings.VISITOR_TOKEN_TTL_AFTER_END_SECONDS):
        raise DomainError(ErrorCode.TOKEN_EXPIRED, _("This chat has ended and its visitor token has expired."))


def agents_at_end(chat: Chat) -> list[int]:
    """Ids of the agents who were taking part in the chat when it ended (the owner and invited
    agents still in it); those who left or handed it over earlier are not among them."""
    return list(
        ChatParticipant.objects.filter(chat=chat, left_at__gte=chat.ended_at)
        .order_by("agent_id")
        .values_list("agent_id", flat=True)
    )


def chat_rate(*, actor: Actor, chat_id: int, score, comment=None) -> Chat:
    """The visitor rates their ended chat 1-5 with an optional comment; rating again replaces the
    rating. The agents who were in the chat when it ended get `chat.rated` after commit."""
    chat_id = clean_id(chat_id)
    score = clean_score(score)
    comment = clean_comment(comment)
    _require_visitor(actor, chat_id, action="rate")
    with transaction.atomic():
        chat = lock_chat(chat_id)
        _require_ended_with_agent(chat, action="rate")
        chat.rating_score = score
        chat.rating_comment = comment
        chat.rated_at = timezone.now()
        chat.save(update_fields=["rating_score", "rating_comment", "rated_at"])
        frame = frames.rated_frame(chat)
        for agent_id in agents_at_end(chat):  # the chat's group was left when it ended
            publish_to_agent(agent_id, frame)
    return chat


def chat_email_transcript(*, actor: Actor, chat_id: int) -> Chat:
    """E-mail the ended chat's transcript to its visitor's address, once per chat, and record that
    on the chat's ticket.

    The chat is claimed first (`transcript_emailed_at`, set by a conditional UPDATE in its own
    transaction, so of two requests at once one sends and the other is refused with "conflict");
    the mail is sent after that commits. If sending fails the claim is released, so the visitor
    may ask again, and the answer is "email_failed". Call it outside a transaction (as edges do):
    the claim must be committed before the mail goes out.
    """
    chat_id = clean_id(chat_id)
    _require_visitor(actor, chat_id, action="e-mail")
    claimed_at = timezone.now()
    with transaction.atomic(durable=True):
        chat = Chat.objects.select_related("visitor", "department").filter(pk=chat_id).first()
        if chat is None:
            raise DomainError(ErrorCode.NOT_FOUND, _("No such chat."))
        _require_ended_with_agent(chat, action="e-mail")
        unclaimed = Chat.objects.filter(pk=chat_id, status=Chat.Status.ENDED, transcript_emailed_at__isnull=True)
        if not unclaimed.update(transcript_emailed_at=claimed_at):
            raise DomainError(ErrorCode.CONFLICT, _("The transcript of this chat was already e-mailed."))
        chat.transcript_emailed_at = claimed_at
        message = transcript_email(chat)
    try:
        message.send()
    except Exception as error:
        logger.exception("transcript of chat %s not sent", chat_id)
        Chat.objects.filter(pk=chat_id, transcript_emailed_at=claimed_at).update(transcript_emailed_at=None)
        raise DomainError(ErrorCode.EMAIL_FAILED, _("The e-mail could not be sent; try again later.")) from error
    ticket_id = Ticket.objects.filter(source_chat_id=chat_id).values_list("pk", flat=True).first()
    if ticket_id is not None:
        try:
            ticket_record_event(ticket_id=ticket_id, body=f"Transcript e-mailed to {chat.visitor.email}")
        except Exception:  # the mail went out; the request must say so
            logger.exception("transcript e-mail of chat %s not recorded on ticket %s", chat_id, ticket_id)
    return chat


def transcript_email(chat: Chat) -> EmailMultiAlternatives:
    """The transcript as the visitor receives it: their question and every message of the chat
    (agents' and system lines included, each with its sender's name), plain text with an HTML
    alternative in which all text is escaped. Internal comments and the chat's internal notes
    live on the ticket, not here."""
    question = {
        "kind": Message.SenderKind.VISITOR,
        "name": chat.visitor.name,
        "body": chat.question,
        "at": chat.started_at,
    }
    lines = [question] + [
        {"kind": kind, "name": name, "body": body, "at": at}
        for kind, name, body, at in chat.messages.filter(internal=False)
        .order_by("seq")
        .values_list("sender_kind", "sender_name", "body", "created_at")
    ]
    context = {
        "chat": chat,
        "visitor_name": chat.visitor.name,
        "department": chat.department.name if chat.department else "",
        "lines": lines,
    }
    message = EmailMultiAlternatives(
        subject=_("Transcript of your chat: %(question)s") % {"question": _subject_line(chat.question)},
        body=render_to_string("email/transcript.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[chat.visitor.email],
    )
    message.attach_alternative(render_to_string("email/transcript.html", context), "text/html")
    return message


def _subject_line(question: str) -> str:
    """The question on one line (a header holds no line break), shortened."""
    line = " ".join(question.split())
    return line if len(line) <= TRANSCRIPT_SUBJECT_MAX_CHARS else line[: TRANSCRIPT_SUBJECT_MAX_CHARS - 1] + "…"
