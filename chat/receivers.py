"""Signal receivers: edges like views, each calling one service."""

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from chat import selectors
from chat.services.presence import agent_signed_out


@receiver(user_logged_out, dispatch_uid="chat.signed_out_agent_goes_offline")
def signed_out_agent_goes_offline(sender, request, user, **kwargs):
    """Signing out sets the agent Offline: no chat is offered to someone who said they left
    (helpdesk.agents.receivers closes the session's sockets)."""
    agent = selectors.agent_of_user(user) if user is not None else None
    if agent is not None:
        agent_signed_out(actor=agent)
