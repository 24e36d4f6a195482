from django.contrib import admin

from tickets.models import ThreadEntry, Ticket


class ThreadEntryInline(admin.TabularInline):
    model = ThreadEntry
    fields = ["position", "author_kind", "author_name", "body", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["id", "subject", "requester_email", "department", "kind", "status", "assignee", "created_at"]
    list_filter = ["kind", "status", "department"]
    search_fields = ["subject", "requester_email", "requester_name"]
    inlines = [ThreadEntryInline]
