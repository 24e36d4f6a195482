from django.urls import path

from tickets import api

urlpatterns = [
    path("tickets/", api.TicketListView.as_view(), name="ticket-list"),
    path("tickets/bulk/", api.TicketBulkView.as_view(), name="ticket-bulk"),
    path("tickets/<int:ticket_id>/", api.TicketDetailView.as_view(), name="ticket-detail"),
    path("tickets/<int:ticket_id>/comments/", api.TicketCommentsView.as_view(), name="ticket-comments"),
    path("tickets/<int:ticket_id>/replies/", api.TicketRepliesView.as_view(), name="ticket-replies"),
]
