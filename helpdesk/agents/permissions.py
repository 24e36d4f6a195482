from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission


class IsAgent(BasePermission):
    """Signed in with an agent profile; `request.user.agent` is then safe to use."""

    message = _("Only agents can use this endpoint.")

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and hasattr(user, "agent"))
