from django.contrib import admin, messages

from helpdesk.actors import actor_of_user
from helpdesk.platform.errors import DomainError
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

    @admin.action(description="Close selected tickets", permissions=["change"])
    def close_tickets(self, request, queryset):
        # The admin user's agent, so that the history names them; the system for a user without one.
        actor = actor_of_user(request.user)
        try:
            closed = services.tickets_close(actor=actor, ticket_ids=list(queryset.values_list("pk", flat=True)))
        except DomainError as error:
            self.message_user(request, error.detail, messages.ERROR)
            return
        self.message_user(request, f"Closed {closed} ticket(s).", messages.SUCCESS)
