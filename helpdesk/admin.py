from django.contrib import admin

from helpdesk.models import Agent, Department


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
