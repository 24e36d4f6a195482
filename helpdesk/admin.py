from django.contrib import admin
from django.contrib.auth.models import Group

from helpdesk.models import AGENTS_GROUP, Agent, Department


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
