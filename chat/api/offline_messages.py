"""REST edge for the offline message form (docs/api.md): a visitor whom nobody can answer now
leaves their question for an answer by e-mail. No sign-in; rate-limited and validated as
starting a chat is."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from chat import services
from chat.serializers.offline_messages import OfflineMessageLeftSerializer, OfflineMessageSerializer
from chat.throttles import ChatStartAddressThrottle, ChatStartEmailThrottle
from helpdesk.actors import ChatVisitor
from helpdesk.platform.throttles import VisitorRateThrottle
from tickets.services import ticket_create_offline_message


class OfflineMessageView(APIView):
    """Leave a message: a new Missed Chats ticket, or, with `chat_id` and that chat's visitor
    token, the ticket of the visitor's own missed chat. Counted against the chat start limits
    (CHAT_START_RATE_IP, CHAT_START_RATE_EMAIL) together with chat starts: each may write a ticket."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [VisitorRateThrottle, ChatStartAddressThrottle, ChatStartEmailThrottle]

    def throttled(self, request, wait):
        # DRF appends "Expected available in N seconds."; the visitor page shows the detail.
        raise Throttled(wait, detail=_("Too many messages were sent from here in a short time; please wait."))

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "X-Visitor-Token",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="With chat_id: that chat's visitor token, as POST /api/v1/visitor/chats/ returned it.",
            )
        ],
        request=OfflineMessageSerializer,
        responses={201: OfflineMessageLeftSerializer},
    )
    def post(self, request):
        serializer = OfflineMessageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        question = data["question"].strip()
        if data.get("chat_id") is None:
            ticket = ticket_create_offline_message(
                name=data["name"].strip(), email=data["email"], question=question, department=data.get("department")
            )
        else:
            token = request.headers.get("X-Visitor-Token", "")
            chat = services.chat_for_visitor(chat_id=data["chat_id"], token=token)
            ticket = services.chat_leave_offline_message(actor=ChatVisitor.of(chat), chat_id=chat.pk, question=question)
        return Response({"ticket_id": ticket.pk}, status=status.HTTP_201_CREATED)
