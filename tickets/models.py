from django.db import models

from helpdesk.models import Agent, Department


class Ticket(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ON_HOLD = "on_hold", "On Hold"
        CLOSED = "closed", "Closed"

    class Channel(models.TextChoices):
        CHAT = "chat", "Chat"

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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"


class ThreadEntry(models.Model):
    """One entry of a ticket's thread: for chat tickets, the transcript line by line."""

    class AuthorKind(models.TextChoices):
        VISITOR = "visitor", "Visitor"
        AGENT = "agent", "Agent"
        SYSTEM = "system", "System"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="thread")
    position = models.PositiveIntegerField()
    author_kind = models.CharField(max_length=10, choices=AuthorKind.choices)
    author_name = models.CharField(max_length=150)
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["ticket", "position"]
        constraints = [models.UniqueConstraint(fields=["ticket", "position"], name="thread_entry_position_unique")]

    def __str__(self) -> str:
        return f"{self.author_name}: {self.body[:40]}"
