from django.contrib import admin, messages

from tickets import services
from tickets.models import ThreadEntry, Ticket, TicketChange


class ThreadEntryInline(admin.TabularInline):
    model = ThreadEntry
    fields = ["position", "author_kind", "author_name", "body", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class TicketChangeInline(admin.TabularInline):
    model = TicketChange
    fields = ["field", "old_value", "new_value", "changed_by", "changed_at"]
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
    inlines = [ThreadEntryInline, TicketChangeInline]
    actions = ["close_tickets"]
    # Status and assignee change through ticket_update, which keeps the history.
    readonly_fields = ["status", "assignee", "kind", "source_chat", "channel"]

    @admin.action(description="Close selected tickets")
    def close_tickets(self, request, queryset):
        by = getattr(request.user, "agent", None)
        for ticket in queryset:
            services.ticket_update(ticket=ticket, by=by, status=Ticket.Status.CLOSED)
        self.message_user(request, f"Closed {queryset.count()} ticket(s).", messages.SUCCESS)
