"""Services managers reach through the admin take the actor like every other: the system (commands,
a staff user without an agent profile) may do them, an agent needs the model permission."""

import pytest
from django.contrib.auth.models import Permission

from helpdesk.actors import SYSTEM, actor_of_user
from helpdesk.agents import services
from helpdesk.models import ApiToken, Webhook
from helpdesk.platform.errors import DomainError
from helpdesk.webhooks import services as webhooks
from tests.factories import AgentFactory, UserFactory

pytestmark = pytest.mark.django_db


def grant(agent, *codenames):
    agent.user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    agent.user = type(agent.user).objects.get(pk=agent.user.pk)  # a fresh permission cache


def test_an_agent_without_the_permission_changes_nothing():
    agent = AgentFactory()
    tokens = ApiToken.objects.count()
    with pytest.raises(DomainError) as refused:
        services.agent_create(actor=agent, username="mallory", password="S3cret!pw-long")
    assert refused.value.code == "not_allowed"
    with pytest.raises(DomainError):
        webhooks.webhook_create(actor=agent, url="https://example.org/hook", events=["chat.started"], secret="s")
    with pytest.raises(DomainError):
        services.api_token_create(actor=agent, user=agent.user)
    assert not Webhook.objects.exists()
    assert ApiToken.objects.count() == tokens


def test_the_model_permission_lets_an_agent_do_it(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True  # a loopback URL: no DNS in tests
    agent = AgentFactory()
    grant(agent, "add_webhook", "add_apitoken", "delete_apitoken")
    webhook = webhooks.webhook_create(actor=agent, url="http://127.0.0.1:9/hook", events=["chat.started"], secret="s")
    assert webhook.events == ["chat.started"]
    colleague = AgentFactory()
    token = services.api_token_create(actor=agent, user=colleague.user)
    services.api_token_delete(actor=agent, token=token)
    assert not ApiToken.objects.filter(pk=token.pk).exists()


def test_only_a_superuser_issues_a_token_that_acts_as_a_superuser():
    agent = AgentFactory()
    grant(agent, "add_apitoken")
    boss = UserFactory(is_superuser=True, is_staff=True)
    with pytest.raises(DomainError):
        services.api_token_create(actor=agent, user=boss)
    assert services.api_token_create(actor=SYSTEM, user=boss).key


def test_the_admin_acts_as_the_users_agent_or_the_system():
    agent = AgentFactory()
    assert actor_of_user(agent.user) == agent
    assert actor_of_user(UserFactory(is_staff=True)) is SYSTEM
