from django.urls import path

from chat import api, api_handover

urlpatterns = [
    path("agents/available/", api_handover.AvailableAgentsView.as_view(), name="agents-available"),
    path("chats/<int:chat_id>/transfer/", api_handover.ChatTransferView.as_view(), name="chat-transfer"),
    path("chats/<int:chat_id>/invite/", api_handover.ChatInviteView.as_view(), name="chat-invite"),
    path("chats/<int:chat_id>/leave/", api_handover.ChatLeaveView.as_view(), name="chat-leave"),
    path("transfers/<int:transfer_id>/accept/", api_handover.TransferAcceptView.as_view(), name="transfer-accept"),
    path("transfers/<int:transfer_id>/decline/", api_handover.TransferDeclineView.as_view(), name="transfer-decline"),
    path(
        "transfers/<int:transfer_id>/withdraw/", api_handover.TransferWithdrawView.as_view(), name="transfer-withdraw"
    ),
    path(
        "invitations/<int:invitation_id>/accept/", api_handover.InvitationAcceptView.as_view(), name="invitation-accept"
    ),
    path(
        "invitations/<int:invitation_id>/decline/",
        api_handover.InvitationDeclineView.as_view(),
        name="invitation-decline",
    ),
    path("visitor/chats/", api.VisitorChatStartView.as_view(), name="visitor-chat-start"),
    path("visitor/chats/<int:chat_id>/", api.VisitorChatView.as_view(), name="visitor-chat"),
    path("chats/", api.ChatListView.as_view(), name="chat-list"),
    path("chats/<int:chat_id>/", api.ChatDetailView.as_view(), name="chat-detail"),
    path("chats/<int:chat_id>/messages/", api.ChatMessagesView.as_view(), name="chat-messages"),
    path("chats/<int:chat_id>/visitor-info/", api.ChatVisitorInfoView.as_view(), name="chat-visitor-info"),
    path("chats/<int:chat_id>/accept/", api.ChatAcceptView.as_view(), name="chat-accept"),
    path("chats/<int:chat_id>/end/", api.ChatEndView.as_view(), name="chat-end"),
    path("chats/<int:chat_id>/cancel-end/", api.ChatCancelEndView.as_view(), name="chat-cancel-end"),
]
