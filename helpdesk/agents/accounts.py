"""Signing in and password reset: the pages' edges, the sign-in lockout's hooks (django-axes) and
the reset throttle."""

import hashlib
import ipaddress
import math

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from helpdesk.agents.services import password_reset_offered
from helpdesk.platform.http import client_ip
from helpdesk.platform.throttles import parse_rate


def login_client_ip(request: HttpRequest) -> str | None:
    """The address django-axes counts failed sign-ins by: the client's, by the TRUSTED_PROXY_COUNT
    rule every other limit uses (a forged X-Forwarded-For does not spread the count). An IPv6
    client usually holds a whole /64, so the /64 is the address."""
    address = client_ip(request.META)
    if address and ipaddress.ip_address(address).version == 6:
        address = str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return address


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """What a locked-out sign-in gets (django-axes' AXES_LOCKOUT_CALLABLE): the sign-in page's
    look with the reason, 429 as for any other limit."""
    minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes}
    return render(request, "registration/locked_out.html", context, status=429)


# Password reset ------------------------------------------------------------------------------
def _within_rate(key: str, rate: str) -> bool:
    """Count one request against `rate` ("5/hour") in a fixed window in the shared cache."""
    if not rate:
        return True
    count, period = parse_rate(rate)
    cache.add(key, 0, timeout=period)
    try:
        return cache.incr(key) <= count
    except ValueError:  # the window ended between add and incr
        cache.set(key, 1, timeout=period)
        return True


def password_reset_allowed(*, address: str | None, email: str) -> bool:
    """Whether one more reset mail may go out, per client address and per e-mail address
    (PASSWORD_RESET_RATE_IP, PASSWORD_RESET_RATE_EMAIL). Both are counted either way; the
    e-mail is hashed so the cache holds no addresses."""
    email_key = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    by_address = _within_rate(f"password-reset:ip:{address}", settings.PASSWORD_RESET_RATE_IP)
    by_email = _within_rate(f"password-reset:email:{email_key}", settings.PASSWORD_RESET_RATE_EMAIL)
    return by_address and by_email


class PasswordResetOfferedMixin:
    """The reset pages exist only while password reset is offered."""

    def dispatch(self, request, *args, **kwargs):
        if not password_reset_offered():
            raise Http404(_("Password reset is not offered."))
        return super().dispatch(request, *args, **kwargs)


class SignInView(auth_views.LoginView):
    def get_context_data(self, **kwargs):
        return super().get_context_data(password_reset_offered=password_reset_offered(), **kwargs)


class PasswordResetView(PasswordResetOfferedMixin, auth_views.PasswordResetView):
    def form_valid(self, form):
        if not password_reset_allowed(address=login_client_ip(self.request), email=form.cleaned_data["email"]):
            form.add_error(None, _("Too many password reset requests. Try again later."))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


class PasswordResetDoneView(PasswordResetOfferedMixin, auth_views.PasswordResetDoneView):
    pass


class PasswordResetConfirmView(PasswordResetOfferedMixin, auth_views.PasswordResetConfirmView):
    pass


class PasswordResetCompleteView(PasswordResetOfferedMixin, auth_views.PasswordResetCompleteView):
    pass
