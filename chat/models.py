import hashlib

from django.db import models
from django.db.models import Q

from helpdesk.models import Agent, Department


class Visitor(models.Model):
    """A website visitor, identified by e-mail; the facts are those of their latest visit."""

    name = models.CharField(max_length=150)
    email = models.EmailField(db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.TextField(blank=True)
    browser = models.CharField(max_length=100, blank=True)
    operating_system = models.CharField(max_length=100, blank=True)
    location = models.CharField(max_length=200, blank=True)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class Chat(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        ACTIVE = "active", "Active"
        ENDING = "ending", "Ending"
        ENDED = "ended", "Ended"
        MISSED = "missed", "Missed"

    OPEN_STATUSES = (Status.ACTIVE, Status.ENDING)  # an agent is talking with the visitor
    CLOSED_STATUSES = (Status.ENDED, Status.MISSED)

    visitor = models.ForeignKey(Visitor, on_delete=models.PROTECT, related_name="chats")
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="chats")
    question = models.TextField()
    page_url = models.URLField(max_length=2000, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING, db_index=True)
    visitor_token_hash = models.CharField(max_length=64, unique=True, editable=False)

    started_at = models.DateTimeField()
    missed_deadline = models.DateTimeField(help_text="When a chat still waiting becomes a missed chat.")
    accepted_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True, help_text="Scheduled end while status is ending.")
    ended_at = models.DateTimeField(null=True, blank=True)

    class MissedReason(models.TextChoices):
        """Why a chat nobody answered was missed (blank unless it was)."""

        NO_ANSWER = "no_answer", "Nobody accepted in time"
        ABANDONED = "abandoned", "The visitor ended it while waiting"
        NO_AGENTS = "no_agents", "The last available agent went away"

    missed_reason = models.CharField(max_length=10, choices=MissedReason.choices, blank=True)
    # The visitor's rating once the chat ended: 1-5 and an optional comment.
    rating_score = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_comment = models.TextField(blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    transcript_emailed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the visitor's transcript e-mail was sent (once per chat)."
    )

    owner = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_chats")
    participants = models.ManyToManyField(Agent, through="ChatParticipant", related_name="chats")
    # Highest message sequence number handed out; incremented in the database per message.
    last_seq = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]
        permissions = [
            ("view_reports", "Can view chat reports"),
            ("monitor_chats", "Can use the live monitor: watch chats, reassign them, set agents Offline"),
        ]
        indexes = [
            models.Index(fields=["status", "ends_at"], name="chat_status_ends_at"),
            models.Index(fields=["status", "missed_deadline"], name="chat_status_missed_deadline"),
            models.Index(fields=["started_at"], name="chat_started_at"),  # reports: a range of days
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="ending") | Q(ends_at__isnull=False), name="chat_ending_has_ends_at"
            ),
            models.CheckConstraint(
                condition=Q(rating_score__isnull=True) | Q(rating_score__gte=1, rating_score__lte=5),
                name="chat_rating_score_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"Chat #{self.pk}: {self.question[:40]}"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


class ChatParticipant(models.Model):
    """An agent who took part in a chat (the owner included)."""

    chat = models.ForeignKey(Chat, on_delete=models.CASCADE)
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE)
    joined_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)
    # The chat's last message seq when they left: a former participant reads the thread up to
    # here and no further (chat.selectors.chats_visible_to).
    left_seq = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["chat", "agent"], name="chat_participant_unique")]

    def __str__(self) -> str:
        return f"{self.agent} in chat #{self.chat_id}"


class Message(models.Model):
    class SenderKind(models.TextChoices):
        VISITOR = "visitor", "Visitor"
        AGENT = "agent", "Agent"
        SYSTEM = "system", "System"

    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    sender_kind = models.CharField(max_length=10, choices=SenderKind.choices)
    sender_name = models.CharField(max_length=150)
    sender_agent = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL)
    body = models.TextField()
    # NULL, not "", for "no client id": the unique constraint must not treat those as equal.
    client_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField()
    # An internal note: agents only, never sent to the visitor (socket, API, transcript e-mail).
    internal = models.BooleanField(default=False)

    class Meta:
        ordering = ["chat", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["chat", "seq"], name="message_chat_seq_unique"),
            models.UniqueConstraint(
                fields=["chat", "client_id"], condition=Q(client_id__isnull=False), name="message_chat_client_id_unique"
            ),
        ]
        # Reports (chat/reports.py): each chat's message count and first agent message, from the
        # index alone.
        indexes = [
            models.Index(
                fields=["chat", "sender_kind", "created_at"],
                condition=Q(internal=False),
                name="message_chat_kind_created",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.sender_name}: {self.body[:40]}"


class Handover(models.Model):
    """What a transfer and an invitation share: a request to a colleague that waits for an
    answer until `expires_at`."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired"
        WITHDRAWN = "withdrawn", "Withdrawn"  # transfers only: the owner took it back

    note = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]


class Transfer(Handover):
    """Transfer this Chat: the owner asks another agent to take the chat over."""

    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="transfers")
    from_agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="transfers_sent")
    to_agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="transfers_received")
    to_department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta(Handover.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["chat"], condition=Q(status="pending"), name="transfer_one_pending_per_chat"
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="transfer_status_expires")]

    def __str__(self) -> str:
        return f"Transfer of chat #{self.chat_id} to {self.to_agent} ({self.status})"


class Invitation(Handover):
    """Invite other Agents: an agent in the chat asks a colleague to join it."""

    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="invitations")
    inviter = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="invitations_sent")
    invitee = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="invitations_received")

    class Meta(Handover.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["chat", "invitee"], condition=Q(status="pending"), name="invitation_one_pending_per_invitee"
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="invitation_status_expires")]

    def __str__(self) -> str:
        return f"Invitation of {self.invitee} to chat #{self.chat_id} ({self.status})"


class ChatOffer(models.Model):
    """A waiting chat offered to one agent, in departments that route one agent at a time
    (round robin, least busy: chat/services/routing.py). At most one offer of a chat is pending:
    the database holds that line, whatever runs at once."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        TIMEOUT = "timeout", "Timed out"  # unanswered within OFFER_TIMEOUT_SECONDS
        WITHDRAWN = "withdrawn", "Withdrawn"  # went Offline, taken by another agent, or the chat closed

    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="offers")
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="chat_offers")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    offered_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-offered_at"]
        constraints = [
            models.UniqueConstraint(fields=["chat"], condition=Q(status="pending"), name="chat_offer_one_pending"),
        ]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="chat_offer_status_expires"),
            models.Index(fields=["agent", "offered_at"], name="chat_offer_agent_offered"),
        ]

    def __str__(self) -> str:
        return f"Chat #{self.chat_id} offered to {self.agent} ({self.status})"


class Presence(models.TextChoices):
    """Whether chats reach an agent now (chat.selectors.with_presence): Offline by their own
    choice, Online and connected (or briefly gone), or Online but gone for longer: away."""

    ONLINE = "online", "Online"
    AWAY = "away", "Away"
    OFFLINE = "offline", "Offline"


class AgentConnection(models.Model):
    """One agent socket, as the agent's sign of life (chat/services/presence.py).

    `seen_at` is the last moment the socket was known open: its server process refreshes it
    every AGENT_PRESENCE_HEARTBEAT_SECONDS, and closing sets it once more with `closed_at`. A
    closed row is kept for the grace (AGENT_AWAY_AFTER_SECONDS) after which its agent is away;
    an open row nobody refreshes belongs to a process that died and expires the same way.
    """

    channel_name = models.CharField(max_length=200, unique=True)
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="connections")
    opened_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.agent} on {self.channel_name}"
