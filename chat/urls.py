from django.urls import path

from chat import api

urlpatterns = [
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
