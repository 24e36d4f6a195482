"""Signal receivers: edges like views, each calling one service."""

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from helpdesk.agents import services


@receiver(user_logged_out, dispatch_uid="helpdesk.close_sockets_of_signed_out_session")
def close_sockets_of_signed_out_session(sender, request, user, **kwargs):
    """Signing out ends the session the agent's sockets were opened with (only that session's:
    the agent may be signed in elsewhere too). Sent before the session is flushed."""
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if user is not None and session_key:
        services.agent_sockets_revoke(user_id=user.pk, session_key=session_key)
