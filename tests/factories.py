import uuid
from datetime import timedelta
from functools import cache

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from chat.models import AgentConnection, Chat, ChatParticipant, Message, Visitor
from helpdesk.actors import SYSTEM
from helpdesk.agents.services import api_token_create
from helpdesk.models import Agent, Department

PASSWORD = "secret-pass-123"


def password_hash() -> str:
    """PASSWORD hashed once per hasher (the production one unless a test sets another): hashing
    it for every user (0.3 s each) was a good part of the suite's time."""
    from django.conf import settings

    return _password_hash(settings.PASSWORD_HASHERS[0])


@cache
def _password_hash(hasher: str) -> str:
    from django.contrib.auth.hashers import make_password

    return make_password(PASSWORD)


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Department {n}")
    slug = factory.Sequence(lambda n: f"department-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.LazyFunction(password_hash)


class AgentFactory(factory.django.DjangoModelFactory):
    """A chat-enabled, Online agent of the given departments, with an API token whose plain
    key is `agent.api_key` (only its hash is stored)."""

    class Meta:
        model = Agent
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    display_name = factory.Sequence(lambda n: f"Agent {n}")
    chat_enabled = True
    chat_status = Agent.ChatStatus.ONLINE
    max_concurrent_chats = 5

    @factory.post_generation
    def departments(self, create, extracted, **kwargs):
        if create and extracted:
            self.departments.set(extracted)

    @factory.post_generation
    def token(self, create, extracted, **kwargs):
        if create:
            self.api_key = api_token_create(actor=SYSTEM, user=self.user).key

    @factory.post_generation
    def connected(self, create, extracted, **kwargs):
        """Chats reach only a connected agent (chat.selectors.chat_ready_q): unless made with
        connected=False, the agent has an agent socket open (a connection row its process
        vouched for just now, as a live socket's would be), as on a desk whose dashboard is open."""
        if create and extracted is not False:
            record_connection(self)


def record_connection(agent: Agent, *, channel_name: str | None = None) -> AgentConnection:
    """A live connection row for `agent`, as an open socket of a running server process has."""
    now = timezone.now()
    return AgentConnection.objects.create(
        agent=agent, channel_name=channel_name or f"test-{uuid.uuid4().hex}", opened_at=now, seen_at=now
    )


class VisitorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Visitor

    name = factory.Sequence(lambda n: f"Visitor {n}")
    email = factory.LazyAttribute(lambda v: f"{v.name.lower().replace(' ', '.')}@example.org")
    first_seen_at = factory.LazyFunction(timezone.now)
    last_seen_at = factory.LazyFunction(timezone.now)


VISITOR_TOKEN = "visitor-token-for-tests"


class ChatFactory(factory.django.DjangoModelFactory):
    """A waiting chat whose visitor token is `VISITOR_TOKEN` + its sequence number."""

    class Meta:
        model = Chat

    visitor = factory.SubFactory(VisitorFactory)
    question = "How do I reset my password?"
    token = factory.Sequence(lambda n: f"{VISITOR_TOKEN}-{n}")
    visitor_token_hash = factory.LazyAttribute(lambda c: Chat.hash_token(c.token))
    started_at = factory.LazyFunction(timezone.now)
    missed_deadline = factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=10))

    @classmethod
    def _create(cls, model_class, *args, token, **kwargs):
        chat = super()._create(model_class, *args, **kwargs)
        chat.token = token  # the raw token, for tests to connect with
        return chat


def accepted_chat(*, agent: Agent, **kwargs) -> Chat:
    """An active chat owned by `agent`."""
    kwargs = {"status": Chat.Status.ACTIVE, "accepted_at": timezone.now(), **kwargs}
    chat = ChatFactory(owner=agent, **kwargs)
    ChatParticipant.objects.create(chat=chat, agent=agent, joined_at=timezone.now())
    return chat


def message_count(chat: Chat) -> int:
    return Message.objects.filter(chat=chat).count()


class CannedCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "canned.CannedCategory"
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Category {n}")


class CannedMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "canned.CannedMessage"

    text = factory.Sequence(lambda n: f"Canned answer number {n}.")
    category = factory.SubFactory(CannedCategoryFactory)
