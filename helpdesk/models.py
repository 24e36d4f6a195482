import hashlib
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_noop

# Every agent is in this group; its permissions (e.g. on canned messages) are what agents may
# do by default, and a manager can change them in the admin.
AGENTS_GROUP = "Agents"


def default_time_zone() -> str:
    return settings.TIME_ZONE


def validate_time_zone(name: str) -> None:
    if name not in zoneinfo.available_timezones():
        raise ValidationError(f"Unknown time zone {name!r}; use a name such as Europe/Berlin.")


class Department(models.Model):
    class Routing(models.TextChoices):
        """How a new chat of the department reaches agents (chat/services/routing.py)."""

        BROADCAST = "broadcast", "Broadcast: every available agent gets the popup, the first Accept wins"
        ROUND_ROBIN = "round_robin", "Round robin: one agent at a time, by turn"
        LEAST_BUSY = "least_busy", "Least busy: one agent at a time, fewest active chats first"

    ONE_AT_A_TIME = (Routing.ROUND_ROBIN, Routing.LEAST_BUSY)

    class TicketStatus(models.TextChoices):
        """The statuses of tickets.models.Ticket (the shared domain cannot import tickets)."""

        OPEN = "open", "Open"
        ON_HOLD = "on_hold", "On Hold"
        CLOSED = "closed", "Closed"

    # Stored as the default; shown to visitors in their language while a manager has not changed it.
    DEFAULT_GREETING = gettext_noop("We usually answer within a few minutes")

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    greeting = models.CharField(
        max_length=200, default=DEFAULT_GREETING, help_text="Shown to visitors above the pre-chat form."
    )
    away_message = models.TextField(
        blank=True,
        help_text="Shown with the offline message form when nobody can answer or the department is closed.",
    )
    widget_colour = models.CharField(
        max_length=7,
        default="#2563eb",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "A colour as #rrggbb.")],
        help_text="The chat widget's colour for this department, as #rrggbb.",
    )
    time_zone = models.CharField(
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text="The time zone of the opening hours, e.g. Europe/Berlin.",
    )
    routing = models.CharField(
        max_length=20,
        choices=Routing.choices,
        default=Routing.BROADCAST,
        help_text="One at a time: unanswered within OFFER_TIMEOUT_SECONDS, the chat moves to the next agent.",
    )
    answered_ticket_status = models.CharField(
        max_length=10,
        choices=TicketStatus.choices,
        default=TicketStatus.CLOSED,
        help_text="The status a transcript ticket starts in when an agent answered the chat and it ended. "
        "Missed, abandoned and offline-message tickets always start Open.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OpeningHours(models.Model):
    """One weekly opening period of a department, in its time zone. A department without any is
    always open; with some, it is open only within them (and never on its closed dates)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name_plural = "opening hours"
        constraints = [
            models.CheckConstraint(condition=models.Q(closes__gt=models.F("opens")), name="opening_hours_closes_after"),
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="opening_hours_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class ClosedDate(models.Model):
    """A day a department is closed whatever its opening hours say (a public holiday)."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="closed_dates")
    date = models.DateField()
    reason = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["department", "date"], name="closed_date_unique")]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.reason}".strip()


def default_max_chats() -> int:
    return settings.DEFAULT_AGENT_MAX_CHATS


class Agent(models.Model):
    """An agent's profile: who they are in chats and whether chats may be offered to them."""

    class ChatStatus(models.TextChoices):
        ONLINE = "online", "Online"
        OFFLINE = "offline", "Offline"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent")
    display_name = models.CharField(max_length=150)
    departments = models.ManyToManyField(Department, blank=True, related_name="agents")
    chat_enabled = models.BooleanField(default=False)
    chat_status = models.CharField(max_length=10, choices=ChatStatus.choices, default=ChatStatus.OFFLINE)
    ringer = models.BooleanField("chat ringer", default=True)
    max_concurrent_chats = models.PositiveSmallIntegerField(default=default_max_chats)

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def initials(self) -> str:
        """For the avatar shown in place of an account photo."""
        letters = [word[0] for word in self.display_name.split() if word[:1].isalnum()]
        return "".join(letters[:2]).upper() or "?"

    @property
    def is_available(self) -> bool:
        return self.chat_enabled and self.chat_status == self.ChatStatus.ONLINE


class Webhook(models.Model):
    """An integrator's subscription: events POSTed to `url`, signed with `secret`."""

    EVENTS = ["chat.started", "chat.accepted", "chat.ended", "chat.missed", "ticket.created", "ticket.updated"]

    url = models.URLField(max_length=500)
    events = models.JSONField(default=list, help_text="Any of: " + ", ".join(EVENTS))
    secret = models.CharField(
        max_length=100, help_text="Signs every delivery (HMAC-SHA256); share it with the receiver."
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event for one webhook, with every attempt to deliver it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=50)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    log = models.JSONField(default=list, help_text="Every attempt: time, status code or error.")
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_status_next")]

    def __str__(self) -> str:
        return f"{self.event} → {self.webhook} ({self.status})"


class ApiToken(models.Model):
    """An API key (`Authorization: Token <key>`, or `?token=` on the agent socket).

    Only the key's SHA-256 is stored: the key is shown once, when it is created, and a copy of
    the database opens nothing. Keys are 160 random bits, so a fast unsalted hash is enough (a
    slow one guards guessable passwords). `prefix`, the key's first characters, lets people tell
    their keys apart without revealing them."""

    PREFIX_LENGTH = 8

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    prefix = models.CharField("key starts with", max_length=PREFIX_LENGTH)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()
