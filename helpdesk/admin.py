from django import forms
from django.contrib import admin
from django.contrib.auth.models import Group

from helpdesk import webhooks
from helpdesk.errors import DomainError
from helpdesk.models import AGENTS_GROUP, Agent, Department, Webhook, WebhookDelivery


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
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


class WebhookForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=[(event, event) for event in Webhook.EVENTS], widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Webhook
        fields = ["url", "events", "secret", "active"]

    def clean_url(self):
        try:
            return webhooks.url_check(self.cleaned_data["url"])
        except DomainError as error:
            raise forms.ValidationError(error.detail) from error


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    form = WebhookForm
    list_display = ["url", "active", "created_at"]
    list_filter = ["active"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: every event sent to every webhook, with its attempts."""

    list_display = ["event", "webhook", "status", "attempts", "last_status_code", "created_at", "delivered_at"]
    list_filter = ["status", "event", "webhook"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request):
        return False
