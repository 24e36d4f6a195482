from django.contrib import admin

from chat.models import Chat, Message, Visitor


class MessageInline(admin.TabularInline):
    model = Message
    fields = ["seq", "sender_kind", "sender_name", "body", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Chat)
class ChatAdmin(admin.ModelAdmin):
    list_display = ["id", "question", "visitor", "department", "status", "owner", "started_at"]
    list_filter = ["status", "department", "owner", "started_at"]
    search_fields = ["visitor__email", "question"]
    readonly_fields = [f.name for f in Chat._meta.fields]
    inlines = [MessageInline]

    def has_add_permission(self, request):
        return False


@admin.register(Visitor)
class VisitorAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "browser", "operating_system", "location", "last_seen_at"]
    search_fields = ["name", "email"]
