"""REST edge for Transfer this Chat, Invite other Agents and leaving a chat."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from chat import selectors, services
from chat.serializers.chats import ChatSerializer
from chat.serializers.handover import (
    AvailableAgentSerializer,
    AvailableQuerySerializer,
    InvitationListSerializer,
    InvitationSerializer,
    InviteSerializer,
    TransferRequestSerializer,
    TransferSerializer,
)
from helpdesk.agents.permissions import IsAgent


class AvailableAgentsView(APIView):
    """Agents a chat can be transferred to or who can be invited (Online, chat-enabled, under
    their limit, not you), optionally of one department."""

    permission_classes = [IsAgent]

    @extend_schema(parameters=[AvailableQuerySerializer], responses=AvailableAgentSerializer(many=True))
    def get(self, request):
        query = AvailableQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        agents = selectors.agents_available_for_handover(
            agent=request.user.agent, department=query.validated_data.get("department")
        )
        return Response(AvailableAgentSerializer(agents, many=True).data)


class ChatTransferView(APIView):
    permission_classes = [IsAgent]

    @extend_schema(request=TransferRequestSerializer, responses={201: TransferSerializer})
    def post(self, request, chat_id: int):
        serializer = TransferRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        transfer = services.transfer_request(
            actor=request.user.agent,
            chat_id=chat_id,
            to_agent_id=data["agent"],
            department=data.get("department"),
            note=data.get("note", ""),
        )
        return Response(TransferSerializer(transfer).data, status=status.HTTP_201_CREATED)


class ChatInviteView(APIView):
    permission_classes = [IsAgent]

    @extend_schema(request=InviteSerializer, responses={201: InvitationListSerializer})
    def post(self, request, chat_id: int):
        serializer = InviteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitations = services.invitations_create(
            actor=request.user.agent,
            chat_id=chat_id,
            invitee_ids=serializer.validated_data["agents"],
            note=serializer.validated_data.get("note", ""),
        )
        body = {"invitations": InvitationSerializer(invitations, many=True).data}
        return Response(body, status=status.HTTP_201_CREATED)


class ChatLeaveView(APIView):
    permission_classes = [IsAgent]

    @extend_schema(request=None, responses=ChatSerializer)
    def post(self, request, chat_id: int):
        chat = services.chat_leave(actor=request.user.agent, chat_id=chat_id)
        return Response(ChatSerializer(selectors.chats_visible_to(request.user.agent).get(pk=chat.pk)).data)


def _action_view(service, serializer_class, id_name: str):
    class ActionView(APIView):
        permission_classes = [IsAgent]

        @extend_schema(request=None, responses=serializer_class)
        def post(self, request, **kwargs):
            result = service(actor=request.user.agent, **{id_name: kwargs[id_name]})
            return Response(serializer_class(result).data)

    ActionView.__name__ = f"{service.__name__.title().replace('_', '')}View"
    return ActionView


TransferAcceptView = _action_view(services.transfer_accept, TransferSerializer, "transfer_id")
TransferDeclineView = _action_view(services.transfer_decline, TransferSerializer, "transfer_id")
TransferWithdrawView = _action_view(services.transfer_withdraw, TransferSerializer, "transfer_id")
InvitationAcceptView = _action_view(services.invitation_accept, InvitationSerializer, "invitation_id")
InvitationDeclineView = _action_view(services.invitation_decline, InvitationSerializer, "invitation_id")
