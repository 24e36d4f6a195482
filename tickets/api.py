from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.agents.permissions import IsAgent
from tickets import selectors, services
from tickets.serializers import (
    CommentSerializer,
    ReplySerializer,
    ThreadEntrySerializer,
    TicketBulkResultSerializer,
    TicketBulkSerializer,
    TicketDetailSerializer,
    TicketListQuerySerializer,
    TicketSerializer,
    TicketUpdateSerializer,
)


class TicketListView(ListAPIView):
    """Tickets in one of the predefined views: all, open, chat-transcripts, missed-chats."""

    permission_classes = [IsAgent]
    serializer_class = TicketSerializer

    @extend_schema(parameters=[TicketListQuerySerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = TicketListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        tickets = selectors.tickets_listed(
            agent=self.request.user.agent, view=data["view"], query=data["q"], sort=data["sort"]
        )
        filters = {key: data[key] for key in ("status", "department", "assignee") if key in data}
        return tickets.filter(**filters)


class TicketDetailView(APIView):
    permission_classes = [IsAgent]

    @extend_schema(responses=TicketDetailSerializer)
    def get(self, request, ticket_id: int):
        ticket = selectors.access_ticket(agent=request.user.agent, ticket_id=ticket_id)
        return Response(TicketDetailSerializer(ticket).data)

    @extend_schema(request=TicketUpdateSerializer, responses=TicketDetailSerializer)
    def patch(self, request, ticket_id: int):
        """Change status and/or assignee; each change is recorded in `history`."""
        agent = request.user.agent
        serializer = TicketUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.ticket_update(
            actor=agent,
            ticket_id=ticket_id,
            status=data.get("status"),
            assignee=data.get("assignee"),
            assign="assignee" in data,
        )
        return Response(TicketDetailSerializer(selectors.access_ticket(agent=agent, ticket_id=ticket_id)).data)


class _TicketEntryView(APIView):
    """POST `{body}`: one service appends an entry to the ticket's thread."""

    permission_classes = [IsAgent]
    add_entry = None  # the service

    @extend_schema(request=CommentSerializer, responses={201: ThreadEntrySerializer})
    def post(self, request, ticket_id: int):
        serializer = CommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = type(self).add_entry(
            actor=request.user.agent, ticket_id=ticket_id, body=serializer.validated_data["body"]
        )
        return Response(ThreadEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class TicketCommentsView(_TicketEntryView):
    """Internal comments (agents only) appended to the ticket's thread."""

    add_entry = services.ticket_comment_add


class TicketRepliesView(APIView):
    """Reply by e-mail to a missed chat's requester; the reply is recorded on the thread. With
    `status`, the ticket's status is set in the same step (and not at all if the mail fails)."""

    permission_classes = [IsAgent]

    @extend_schema(request=ReplySerializer, responses={201: ThreadEntrySerializer})
    def post(self, request, ticket_id: int):
        serializer = ReplySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        entry = services.ticket_reply_by_email(
            actor=request.user.agent, ticket_id=ticket_id, body=data["body"], status=data.get("status")
        )
        return Response(ThreadEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class TicketBulkView(APIView):
    """Change the status and/or assignee of several tickets at once, all or none: each ticket is
    checked and recorded (history, `ticket.updated`) as PATCH /tickets/{id}/ does it."""

    permission_classes = [IsAgent]

    @extend_schema(request=TicketBulkSerializer, responses={200: TicketBulkResultSerializer})
    def post(self, request):
        serializer = TicketBulkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        changed = services.tickets_bulk_update(
            actor=request.user.agent,
            ticket_ids=data["ids"],
            status=data.get("status"),
            assignee=data.get("assignee_id"),
            assign="assignee_id" in data,
        )
        return Response({"changed": changed, "ids": sorted(set(data["ids"]))})
