import zoneinfo

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.validators import UnicodeUsernameValidator
from rest_framework.authtoken.models import TokenProxy

from chat import selectors as chat_selectors
from chat import services as chat_services
from helpdesk.actors import System, actor_of_user
from helpdesk.agents import services
from helpdesk.agents.services import password_reset_offered
from helpdesk.models import (
    Agent,
    ApiToken,
    ClosedDate,
    Department,
    OpeningHours,
    Webhook,
    WebhookDelivery,
)
from helpdesk.platform.errors import DomainError
from helpdesk.platform.validators import validate_person_name
from helpdesk.webhooks import services as webhooks
from helpdesk.webhooks.http import url_check


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class DepartmentForm(forms.ModelForm):
    """The time zone is picked from the list zoneinfo knows (the model checks it again); the
    widget colour with the browser's colour picker, which sends #rrggbb."""

    class Meta:
        model = Department
        fields = [
            "name",
            "slug",
            "routing",
            "answered_ticket_status",
            "greeting",
            "away_message",
            "widget_colour",
            "time_zone",
        ]
        widgets = {
            "time_zone": forms.Select(choices=time_zone_choices()),
            "widget_colour": forms.TextInput(attrs={"type": "color"}),
            "away_message": forms.Textarea(attrs={"rows": 3}),
        }


class OpeningHoursForm(forms.ModelForm):
    class Meta:
        model = OpeningHours
        fields = ["weekday", "opens", "closes"]

    def clean(self):
        cleaned = super().clean()
        opens, closes = cleaned.get("opens"), cleaned.get("closes")
        if opens is not None and closes is not None and closes <= opens:
            raise forms.ValidationError(
                {
                    "closes": "Close after opening, on the same day. To stay open past midnight, close at 23:59 "
                    "and open at 00:00 the next day."
                }
            )
        return cleaned


class OpeningHoursInline(admin.TabularInline):
    """Weekly opening hours, wall-clock times in the department's time zone; a period closing at
    23:59 runs to midnight (helpdesk/agents/hours.py). None: always open."""

    model = OpeningHours
    form = OpeningHoursForm
    extra = 0


class ClosedDateInline(admin.TabularInline):
    """Days the department is closed whatever its opening hours say (public holidays)."""

    model = ClosedDate
    extra = 0


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    form = DepartmentForm
    list_display = ["name", "slug", "routing", "answered_ticket_status", "time_zone"]
    list_filter = ["routing"]
    radio_fields = {"routing": admin.VERTICAL}
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "routing"]}),
        (
            "Tickets",
            {
                "fields": ["answered_ticket_status"],
                "description": "Every chat becomes a ticket when it ends. This is the status the ticket of a "
                "chat an agent answered starts in; missed, abandoned and offline-message tickets start Open.",
            },
        ),
        ("What visitors see", {"fields": ["greeting", "away_message", "widget_colour"]}),
        (
            "Business hours",
            {
                "fields": ["time_zone"],
                "description": "The opening hours below are wall-clock times in this time zone. Without any, "
                "the department is always open; on a closed date it is closed all day. Outside them visitors "
                "get the away message and the offline message form.",
            },
        ),
    ]
    inlines = [OpeningHoursInline, ClosedDateInline]


class AgentForm(forms.ModelForm):
    """The admin's agent form (ModelAdmin adds the model and fields): display names follow the
    rule every name shown in a chat follows. A manager may set the chat status of an agent
    enabled for chat (AgentAdmin.save_model sets it through the chat service)."""

    def clean_display_name(self):
        name = self.cleaned_data["display_name"]
        validate_person_name(name)
        return name

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "chat_status" in self.fields:  # left out of a POST: unchanged
            self.fields["chat_status"].required = False

    def clean_chat_status(self):
        return self.cleaned_data["chat_status"] or self.instance.chat_status

    def clean(self):
        cleaned = super().clean()
        # self.instance still holds the stored values here (the form fills it in after clean).
        status = cleaned.get("chat_status")
        if status and status != self.instance.chat_status and not self.instance.chat_enabled:
            self.add_error(
                "chat_status",
                "Only agents enabled for chat have a chat status: enable chat and save first.",
            )
        return cleaned


class AgentAddForm(AgentForm):
    """Add agent in one form: the user (user name, e-mail, password or an e-mailed link to set
    one) and the agent profile, created together by helpdesk.agents.services.agent_add."""

    username = forms.CharField(
        label="User name",
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text="For signing in: letters, digits and @ . + - _ only.",
    )
    email = forms.EmailField(label="E-mail", required=False)
    password1 = forms.CharField(
        label="Password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password again",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    email_password_link = forms.BooleanField(
        label="E-mail a link to set a password instead",
        required=False,
        help_text="The agent chooses their own password; leave the password fields empty.",
    )

    class Meta:
        model = Agent
        fields = ["display_name", "departments", "chat_enabled", "max_concurrent_chats"]
        labels = {"display_name": "Name"}
        help_texts = {"display_name": "How visitors and colleagues see the agent in chats."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not password_reset_offered():
            field = self.fields["email_password_link"]
            field.disabled = True
            field.help_text = "Off: password reset e-mails are off on this desk (PASSWORD_RESET_ENABLED)."

    def clean_username(self):
        username = self.cleaned_data["username"]
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("A user with this user name already exists.")
        return username

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if cleaned.get("email_password_link"):
            if password1 or password2:
                self.add_error("password1", "Leave the password empty when a link is e-mailed.")
            if not cleaned.get("email") and "email" not in self.errors:
                self.add_error("email", "An e-mail address is needed to send the link.")
            return cleaned
        if not password1:
            self.add_error("password1", "Give a password, or e-mail a link to set one.")
        elif password1 != password2:
            self.add_error("password2", "The two passwords differ.")
        else:
            user = get_user_model()(username=cleaned.get("username", ""), email=cleaned.get("email", ""))
            try:
                password_validation.validate_password(password1, user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class ClosesSocketsOnDelete:
    """Deleting users or agents here (one, or a selection) closes their open agent sockets."""

    @staticmethod
    def user_id_of(obj) -> int:
        raise NotImplementedError

    def delete_model(self, request, obj):
        services.agent_sockets_revoke(user_id=self.user_id_of(obj))
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            services.agent_sockets_revoke(user_id=self.user_id_of(obj))
        super().delete_queryset(request, queryset)


@admin.register(Agent)
class AgentAdmin(ClosesSocketsOnDelete, admin.ModelAdmin):
    form = AgentForm
    add_form = AgentAddForm
    list_display = ["display_name", "user", "chat_enabled", "chat_status", "ringer", "max_concurrent_chats"]
    list_filter = ["chat_enabled", "chat_status", "departments"]
    search_fields = ["display_name", "user__username", "user__email"]
    filter_horizontal = ["departments"]
    # The ringer is the agent's own; the chat status a manager may set too (an absent agent
    # Offline), through agent_set_chat_status, the live monitor's path, which does what the
    # agent's own switch does: offers sent or withdrawn, chats nobody can take any more missed.
    readonly_fields = ["ringer"]
    OWN = ("chat_status", "ringer")
    add_fieldsets = [
        (None, {"fields": ["username", "display_name", "email"]}),
        ("Password", {"fields": ["password1", "password2", "email_password_link"]}),
        ("Chats", {"fields": ["departments", "chat_enabled", "max_concurrent_chats"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        # Setting another agent's status is the live monitor's power (chat.monitor_chats: managers).
        actor = actor_of_user(request.user)
        if isinstance(actor, System) or request.user.has_perm(chat_selectors.MONITOR_PERMISSION):
            return self.readonly_fields
        return [*self.readonly_fields, "chat_status"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs = {"form": self.add_form, **kwargs}
        form = super().get_form(request, obj, **kwargs)
        if obj is not None and "chat_status" in form.base_fields:
            form.base_fields["chat_status"].help_text = (
                "Setting an agent Offline takes the chats offered to them away (and misses waiting chats "
                "nobody else can take), as their own switch does. Agents enabled for chat only."
            )
        return form

    def save_model(self, request, obj, form, change):
        if not change:
            self._add_agent(request, obj, form)
            return
        stored = Agent.objects.get(pk=obj.pk)
        chosen = form.cleaned_data.get("chat_status") or stored.chat_status
        if chosen != stored.chat_status:  # the stored agent is enabled for chat (AgentForm.clean)
            stored = chat_services.agent_set_chat_status(
                actor=actor_of_user(request.user), agent_id=obj.pk, chat_status=chosen
            )
        obj.chat_status, obj.ringer = stored.chat_status, stored.ringer
        # Status and ringer are written by the service alone, never over a change the agent made.
        obj.save(update_fields=[f.name for f in Agent._meta.concrete_fields if f.name not in ("id", *self.OWN)])
        if "chat_enabled" in form.changed_data and not obj.chat_enabled:
            services.agent_sockets_revoke(user_id=obj.user_id)

    def _add_agent(self, request, obj, form):
        data = form.cleaned_data
        link = bool(data.get("email_password_link"))
        agent = services.agent_add(
            actor=actor_of_user(request.user),
            username=data["username"],
            name=data["display_name"],
            email=data.get("email") or "",
            password=None if link else data["password1"],
            email_password_link=link,
            site_domain=request.get_host(),
            use_https=request.is_secure(),
            departments=list(data.get("departments") or []),
            chat_enabled=data.get("chat_enabled", False),
            max_concurrent_chats=data.get("max_concurrent_chats"),
        )
        for field in Agent._meta.concrete_fields:  # the admin goes on with `obj` (log, redirect)
            setattr(obj, field.attname, getattr(agent, field.attname))
        obj._state.adding, obj._state.db = False, agent._state.db
        if link:
            self.message_user(request, f"A link to set a password is being e-mailed to {agent.user.email}.")

    def save_related(self, request, form, formsets, change):
        if change:  # agent_add set the new agent's departments
            super().save_related(request, form, formsets, change)

    @staticmethod
    def user_id_of(agent) -> int:
        return agent.user_id


if admin.site.is_registered(get_user_model()):
    admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class UserAdmin(ClosesSocketsOnDelete, DjangoUserAdmin):
    """Django's user admin; a user deactivated or deleted here loses their open agent sockets."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            services.agent_sockets_revoke(user_id=obj.pk)

    @staticmethod
    def user_id_of(user) -> int:
        return user.pk


class WebhookForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=[(event, event) for event in Webhook.EVENTS], widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Webhook
        fields = ["url", "events", "secret", "active"]

    def clean_url(self):
        # The rule webhook_create / webhook_update apply again, checked here to show it on the field.
        try:
            return url_check(self.cleaned_data["url"])
        except DomainError as error:
            raise forms.ValidationError(error.detail) from error


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    """Subscriptions are created and changed by the webhook services, as any other caller would."""

    form = WebhookForm
    list_display = ["url", "active", "created_at"]
    list_filter = ["active"]

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in WebhookForm.Meta.fields}
        if change:
            webhooks.webhook_update(actor=actor_of_user(request.user), webhook=obj, **fields)
            return
        webhook = webhooks.webhook_create(actor=actor_of_user(request.user), **fields)
        for field in Webhook._meta.concrete_fields:  # the admin goes on with `obj` (log, redirect)
            setattr(obj, field.attname, getattr(webhook, field.attname))


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: every event sent to every webhook, with its attempts."""

    list_display = ["event", "webhook", "status", "attempts", "last_status_code", "created_at", "delivered_at"]
    list_filter = ["status", "event", "webhook"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request):
        return False


# DRF's token admin lists plain keys; its table is emptied by a migration and unused.
if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Add a token (its key is shown once, in the confirmation) or delete one; a key cannot be
    read later, only its hash is stored."""

    list_display = ["prefix", "user", "created_at", "last_used_at"]
    list_select_related = ["user"]
    search_fields = ["prefix", "user__username"]

    def get_fields(self, request, obj=None):
        return ["user"] if obj is None else ["prefix", "user", "created_at", "last_used_at"]

    def has_change_permission(self, request, obj=None):
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user" and not request.user.is_superuser:
            # A token acts as its user: only a superuser may create one for a superuser.
            kwargs["queryset"] = get_user_model().objects.filter(is_superuser=False)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        token = services.api_token_create(actor=actor_of_user(request.user), user=obj.user)
        for field in ApiToken._meta.concrete_fields:  # the admin goes on with `obj` (log, redirect)
            setattr(obj, field.attname, getattr(token, field.attname))
        self.message_user(
            request,
            f"API key for {obj.user}: {token.key} — copy it now; it is not stored and will not be shown again.",
            messages.WARNING,
        )

    def delete_model(self, request, obj):
        services.api_token_delete(actor=actor_of_user(request.user), token=obj)

    def delete_queryset(self, request, queryset):
        for token in queryset:
            services.api_token_delete(actor=actor_of_user(request.user), token=token)
