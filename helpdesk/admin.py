import zoneinfo

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import TokenProxy

from helpdesk.actors import actor_of_user
from helpdesk.agents import services
from helpdesk.models import (
    AGENTS_GROUP,
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
        fields = ["name", "slug", "routing", "greeting", "away_message", "widget_colour", "time_zone"]
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
    list_display = ["name", "slug", "routing", "time_zone"]
    list_filter = ["routing"]
    radio_fields = {"routing": admin.VERTICAL}
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "routing"]}),
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
    rule every name shown in a chat follows."""

    def clean_display_name(self):
        name = self.cleaned_data["display_name"]
        validate_person_name(name)
        return name


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
    list_display = ["display_name", "user", "chat_enabled", "chat_status", "ringer", "max_concurrent_chats"]
    list_filter = ["chat_enabled", "chat_status", "departments"]
    search_fields = ["display_name", "user__username", "user__email"]
    filter_horizontal = ["departments"]
    # Chat status and ringer are the agent's own, changed through agent_update_chat_settings
    # (which also sends or withdraws offers); the admin shows them only.
    readonly_fields = ["chat_status", "ringer"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:  # every agent is in the Agents group, however they were created
            obj.user.groups.add(Group.objects.get_or_create(name=AGENTS_GROUP)[0])
        elif "chat_enabled" in form.changed_data and not obj.chat_enabled:
            services.agent_sockets_revoke(user_id=obj.user_id)

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
