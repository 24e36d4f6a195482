from django.db import models

from helpdesk.models import Agent, Department


class Ticket(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ON_HOLD = "on_hold", "On Hold"
        CLOSED = "closed", "Closed"

    class Channel(models.TextChoices):
        CHAT = "chat", "Chat"
        # Left with the offline message form while nobody could answer (kind: Missed Chats).
        OFFLINE_MESSAGE = "offline_message", "Offline message"

    class Kind(models.TextChoices):
        """Which predefined view a chat ticket belongs to."""

        CHAT_TRANSCRIPT = "chat_transcript", "Chat Transcripts"
        MISSED_CHAT = "missed_chat", "Missed Chats"

    subject = models.CharField(max_length=255)
    requester_name = models.CharField(max_length=150)
    requester_email = models.EmailField(db_index=True)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.SET_NULL)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.CHAT)
    kind = models.CharField(max_length=20, choices=Kind.choices, db_index=True)
    # One ticket per chat, guarded by the database: ending or missing a chat twice cannot
    # write a second ticket.
    source_chat = models.OneToOneField(
        "chat.Chat", null=True, blank=True, on_delete=models.SET_NULL, related_name="ticket"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    assignee = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_tickets"
    )
    agents = models.ManyToManyField(
        Agent, blank=True, related_name="chat_tickets", help_text="Agents who took part in the chat."
    )
    # The thread's text in one column, for search (a GIN full-text index on PostgreSQL).
    search_text = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"


class ThreadEntry(models.Model):
    """One entry of a ticket's thread: the chat transcript line by line, then what agents add."""

    class Kind(models.TextChoices):
        TRANSCRIPT = "transcript", "Transcript"
        COMMENT = "comment", "Internal comment"
        REPLY = "reply", "E-mail reply"
        EVENT = "event", "Event"  # something that happened to the ticket, e.g. the transcript e-mailed

    class AuthorKind(models.TextChoices):
        VISITOR = "visitor", "Visitor"
        AGENT = "agent", "Agent"
        SYSTEM = "system", "System"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="thread")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TRANSCRIPT)
    author_kind = models.CharField(max_length=10, choices=AuthorKind.choices)
    author_name = models.CharField(max_length=150)
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["ticket", "position"]
        constraints = [models.UniqueConstraint(fields=["ticket", "position"], name="thread_entry_position_unique")]

    def __str__(self) -> str:
        return f"{self.author_name}: {self.body[:40]}"


class TicketChange(models.Model):
    """The ticket's history: who changed its status or assignee, from what to what."""

    class Field(models.TextChoices):
        STATUS = "status", "Status"
        ASSIGNEE = "assignee", "Assignee"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="changes")
    field = models.CharField(max_length=10, choices=Field.choices)
    old_value = models.CharField(max_length=150, blank=True)
    new_value = models.CharField(max_length=150, blank=True)
    changed_by = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL)
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["ticket", "changed_at", "id"]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.field}: {self.old_value} → {self.new_value}"
