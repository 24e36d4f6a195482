from django.contrib import admin, messages

from chat import services
from chat.models import Chat, Message, Visitor
from helpdesk.actors import SYSTEM


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
    actions = ["end_chats"]

    @admin.action(description="End selected active chats (writes their transcript tickets)")
    def end_chats(self, request, queryset):
        ended = 0
        for chat in queryset.filter(status__in=Chat.OPEN_STATUSES):
            services.chat_end(actor=SYSTEM, chat_id=chat.pk)
            ended += 1
        self.message_user(request, f"Ended {ended} chat(s).", messages.SUCCESS)

    def has_add_permission(self, request):
        return False


@admin.register(Visitor)
class VisitorAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "browser", "operating_system", "location", "last_seen_at"]
    search_fields = ["name", "email"]
