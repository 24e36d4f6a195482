"""REST edge for chats (docs/api.md). Each view parses input, calls one service or selector
and renders the result; DomainError becomes {"code", "detail"} in helpdesk.platform.api_errors."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import Throttled
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from chat import selectors, services
from chat.serializers.chats import (
    ChatEndSerializer,
    ChatListQuerySerializer,
    ChatSerializer,
    MessageListQuerySerializer,
    MessagePostSerializer,
    MessageSerializer,
    VisitorChatStartedSerializer,
    VisitorChatStartSerializer,
    VisitorChatStateSerializer,
    VisitorInfoSerializer,
)
from chat.throttles import ChatStartAddressThrottle, ChatStartEmailThrottle
from chat.visitor_info import visitor_facts
from helpdesk.agents.permissions import IsAgent
from helpdesk.platform.errors import DomainError, ErrorCode
from helpdesk.platform.throttles import VisitorRateThrottle
from tickets.selectors import recent_tickets_of_requester


def _visible_chats(request):
    return selectors.chats_visible_to(request.user.agent).select_related("ticket").prefetch_related("participants")


class VisitorChatStartView(APIView):
    """A website visitor starts a chat (no sign-in). Rate-limited per client address and per
    e-mail; how many may wait at once is chat_start's rule."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [VisitorRateThrottle, ChatStartAddressThrottle, ChatStartEmailThrottle]

    def throttled(self, request, wait):
        # DRF appends "Expected available in N seconds."; the visitor page shows the detail.
        raise Throttled(wait, detail=_("Too many chats were started from here in a short time; please wait."))

    @extend_schema(request=VisitorChatStartSerializer, responses={201: VisitorChatStartedSerializer})
    def post(self, request):
        serializer = VisitorChatStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        chat, token = services.chat_start(
            name=data["name"].strip(),
            email=data["email"],
            question=data["question"].strip(),
            department=data.get("department"),
            page_url=data.get("page_url", ""),
            facts=visitor_facts(request.META),
        )
        scheme = "wss" if request.is_secure() else "ws"
        ws_url = f"{scheme}://{request.get_host()}/ws/visitor/chats/{chat.pk}/?token={token}"
        return Response({"chat_id": chat.pk, "visitor_token": token, "ws_url": ws_url}, status=status.HTTP_201_CREATED)


class VisitorChatView(APIView):
    """The visitor's own chat, opened with its token (`?token=` or `X-Visitor-Token`)."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(parameters=[OpenApiParameter("token", str, required=False)], responses=VisitorChatStateSerializer)
    def get(self, request, chat_id: int):
        token = request.headers.get("X-Visitor-Token") or request.query_params.get("token", "")
        chat = services.chat_for_visitor(chat_id=chat_id, token=token)
        return Response(VisitorChatStateSerializer(chat).data)


class ChatListView(ListAPIView):
    permission_classes = [IsAgent]
    serializer_class = ChatSerializer

    @extend_schema(parameters=[ChatListQuerySerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = ChatListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        chats = _visible_chats(self.request)
        if "status" in query.validated_data:
            chats = chats.filter(status=query.validated_data["status"])
        return chats.order_by("-started_at")


class ChatDetailView(RetrieveAPIView):
    permission_classes = [IsAgent]
    serializer_class = ChatSerializer

    def get_object(self):
        chat = _visible_chats(self.request).filter(pk=self.kwargs["chat_id"]).first()
        if chat is None:
            raise DomainError(ErrorCode.NOT_FOUND, _("No such chat."))
        return chat


class ChatMessagesView(APIView):
    permission_classes = [IsAgent]

    @extend_schema(parameters=[MessageListQuerySerializer], responses=MessageSerializer(many=True))
    def get(self, request, chat_id: int):
        query = MessageListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        chat = selectors.access_chat(agent=request.user.agent, chat_id=chat_id)
        messages = selectors.messages_readable(chat=chat, after_seq=query.validated_data["after_seq"])
        return Response(MessageSerializer(messages, many=True).data)

    @extend_schema(request=MessagePostSerializer, responses={201: MessageSerializer, 200: MessageSerializer})
    def post(self, request, chat_id: int):
        serializer = MessagePostSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message, created = services.message_post(
            actor=request.user.agent,
            chat_id=chat_id,
            body=serializer.validated_data["body"],
            client_id=serializer.validated_data.get("client_id"),
            internal=serializer.validated_data["internal"],
        )
        return Response(
            MessageSerializer(message).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class _ChatActionView(APIView):
    permission_classes = [IsAgent]

    def chat_response(self, chat_id: int) -> Response:
        return Response(ChatSerializer(_visible_chats(self.request).get(pk=chat_id)).data)


class ChatAcceptView(_ChatActionView):
    @extend_schema(request=None, responses=ChatSerializer)
    def post(self, request, chat_id: int):
        services.chat_accept(actor=request.user.agent, chat_id=chat_id)
        return self.chat_response(chat_id)


class ChatEndView(_ChatActionView):
    """End now (`delay_seconds` 0) or schedule the end up to 3600 s ahead."""

    @extend_schema(request=ChatEndSerializer, responses=ChatSerializer)
    def post(self, request, chat_id: int):
        serializer = ChatEndSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.chat_schedule_end(
            actor=request.user.agent, chat_id=chat_id, delay_seconds=serializer.validated_data["delay_seconds"]
        )
        return self.chat_response(chat_id)


class ChatCancelEndView(_ChatActionView):
    @extend_schema(request=None, responses=ChatSerializer)
    def post(self, request, chat_id: int):
        services.chat_cancel_end(actor=request.user.agent, chat_id=chat_id)
        return self.chat_response(chat_id)


class ChatVisitorInfoView(APIView):
    """The Visitor Info panel: the visitor's facts, Recent Chats and Recent Tickets."""

    permission_classes = [IsAgent]

    @extend_schema(responses=VisitorInfoSerializer)
    def get(self, request, chat_id: int):
        agent = request.user.agent
        chat = selectors.access_visitor_of(agent=agent, chat_id=chat_id)
        info = {
            "visitor": chat.visitor,
            "recent_chats": selectors.recent_chats_of_visitor(agent=agent, chat=chat),
            "recent_tickets": recent_tickets_of_requester(agent=agent, email=chat.visitor.email),
        }
        return Response(VisitorInfoSerializer(info).data)
