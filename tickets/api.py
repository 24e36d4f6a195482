from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.permissions import IsAgent
from tickets import selectors
from tickets.serializers import TicketDetailSerializer, TicketListQuerySerializer, TicketSerializer


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
        return selectors.tickets_listed(
            agent=self.request.user.agent, view=data["view"], query=data["q"], sort=data["sort"]
        )


class TicketDetailView(APIView):
    permission_classes = [IsAgent]

    @extend_schema(responses=TicketDetailSerializer)
    def get(self, request, ticket_id: int):
        ticket = selectors.access_ticket(agent=request.user.agent, ticket_id=ticket_id)
        return Response(TicketDetailSerializer(ticket).data)
