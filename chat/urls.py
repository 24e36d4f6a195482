from django.urls import path

from chat.api import agents, chats, handover, monitor, reports
from chat.api.offline_messages import OfflineMessageView
from chat.api.visitor_aftercare import VisitorChatRatingView, VisitorChatTranscriptEmailView

urlpatterns = [
    path("agents/me/", agents.AgentMeView.as_view(), name="agent-me"),
    path("agents/available/", handover.AvailableAgentsView.as_view(), name="agents-available"),
    path("chats/<int:chat_id>/transfer/", handover.ChatTransferView.as_view(), name="chat-transfer"),
    path("chats/<int:chat_id>/invite/", handover.ChatInviteView.as_view(), name="chat-invite"),
    path("chats/<int:chat_id>/leave/", handover.ChatLeaveView.as_view(), name="chat-leave"),
    path("transfers/<int:transfer_id>/accept/", handover.TransferAcceptView.as_view(), name="transfer-accept"),
    path("transfers/<int:transfer_id>/decline/", handover.TransferDeclineView.as_view(), name="transfer-decline"),
    path("transfers/<int:transfer_id>/withdraw/", handover.TransferWithdrawView.as_view(), name="transfer-withdraw"),
    path("invitations/<int:invitation_id>/accept/", handover.InvitationAcceptView.as_view(), name="invitation-accept"),
    path(
        "invitations/<int:invitation_id>/decline/",
        handover.InvitationDeclineView.as_view(),
        name="invitation-decline",
    ),
    path("visitor/chats/", chats.VisitorChatStartView.as_view(), name="visitor-chat-start"),
    path("visitor/chats/<int:chat_id>/", chats.VisitorChatView.as_view(), name="visitor-chat"),
    path("visitor/offline-messages/", OfflineMessageView.as_view(), name="visitor-offline-message"),
    path("visitor/chats/<int:chat_id>/rating/", VisitorChatRatingView.as_view(), name="visitor-chat-rating"),
    path(
        "visitor/chats/<int:chat_id>/transcript-email/",
        VisitorChatTranscriptEmailView.as_view(),
        name="visitor-chat-transcript-email",
    ),
    path("reports/chats/", reports.ChatReportView.as_view(), name="report-chats"),
    path("monitor/", monitor.MonitorView.as_view(), name="monitor-state"),
    path(
        "monitor/agents/<int:agent_id>/chat-status/",
        monitor.MonitorAgentChatStatusView.as_view(),
        name="monitor-agent-chat-status",
    ),
    path(
        "monitor/chats/<int:chat_id>/reassign/", monitor.MonitorChatReassignView.as_view(), name="monitor-chat-reassign"
    ),
    path("chats/", chats.ChatListView.as_view(), name="chat-list"),
    path("chats/<int:chat_id>/", chats.ChatDetailView.as_view(), name="chat-detail"),
    path("chats/<int:chat_id>/messages/", chats.ChatMessagesView.as_view(), name="chat-messages"),
    path("chats/<int:chat_id>/visitor-info/", chats.ChatVisitorInfoView.as_view(), name="chat-visitor-info"),
    path("chats/<int:chat_id>/accept/", chats.ChatAcceptView.as_view(), name="chat-accept"),
    path("chats/<int:chat_id>/end/", chats.ChatEndView.as_view(), name="chat-end"),
    path("chats/<int:chat_id>/cancel-end/", chats.ChatCancelEndView.as_view(), name="chat-cancel-end"),
]
