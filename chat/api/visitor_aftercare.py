"""REST edge for the visitor after their chat ended (docs/api.md): rating the chat and having its
transcript e-mailed. No sign-in: the chat's visitor token in the `X-Visitor-Token` header proves
whose chat it is (chat.services.chat_for_visitor), and the visitor acts as `ChatVisitor.of(chat)`."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from chat import frames, services
from chat.serializers.aftercare import TranscriptEmailedSerializer, VisitorRatingSerializer
from chat.serializers.chats import RatingSerializer
from chat.throttles import TranscriptEmailAddressThrottle
from helpdesk.actors import ChatVisitor
from helpdesk.platform.throttles import VisitorRateThrottle

VISITOR_TOKEN_HEADER = OpenApiParameter(
    "X-Visitor-Token",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="The chat's visitor token, as POST /api/v1/visitor/chats/ returned it.",
)


class _VisitorChatAftercareView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def visitor(self, request, chat_id: int) -> ChatVisitor:
        token = request.headers.get("X-Visitor-Token", "")
        return ChatVisitor.of(services.chat_for_visitor(chat_id=chat_id, token=token))


class VisitorChatRatingView(_VisitorChatAftercareView):
    """Rate an ended chat 1-5 with an optional comment; rating again replaces the rating."""

    throttle_classes = [VisitorRateThrottle]

    @extend_schema(
        parameters=[VISITOR_TOKEN_HEADER], request=VisitorRatingSerializer, responses={200: RatingSerializer}
    )
    def post(self, request, chat_id: int):
        serializer = VisitorRatingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        chat = services.chat_rate(
            actor=self.visitor(request, chat_id),
            chat_id=chat_id,
            score=serializer.validated_data["score"],
            comment=serializer.validated_data.get("comment"),
        )
        return Response(frames.rating_data(chat))


class VisitorChatTranscriptEmailView(_VisitorChatAftercareView):
    """E-mail the ended chat's transcript to the visitor's address, once per chat."""

    throttle_classes = [VisitorRateThrottle, TranscriptEmailAddressThrottle]

    def throttled(self, request, wait):
        # DRF appends "Expected available in N seconds."; the visitor page shows the detail.
        raise Throttled(wait, detail=_("Too many transcripts were asked for from here; please wait."))

    @extend_schema(parameters=[VISITOR_TOKEN_HEADER], request=None, responses={202: TranscriptEmailedSerializer})
    def post(self, request, chat_id: int):
        chat = services.chat_email_transcript(actor=self.visitor(request, chat_id), chat_id=chat_id)
        return Response({"email": chat.visitor.email}, status=status.HTTP_202_ACCEPTED)
