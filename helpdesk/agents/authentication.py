"""API token authentication against the hashed tokens of helpdesk.models.ApiToken."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from helpdesk.agents import services
from helpdesk.agents.selectors import api_token_get


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, the header DRF's TokenAuthentication reads (and the same
    errors); the key is looked up by its hash."""

    def authenticate_credentials(self, key):
        token = api_token_get(key=key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        services.api_token_mark_used(token=token)
        return token.user, token
