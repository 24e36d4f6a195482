from django import forms

from helpdesk.models import Agent
from tickets.models import Ticket


class TicketUpdateForm(forms.Form):
    status = forms.ChoiceField(choices=Ticket.Status.choices, label="Status")
    assignee = forms.ModelChoiceField(
        Agent.objects.filter(user__is_active=True), required=False, empty_label="Unassigned", label="Assignee"
    )


class EntryForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=10000)


class TicketFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    sort = forms.ChoiceField(
        required=False,
        label="Sort",
        choices=[
            ("newest", "Newest"),
            ("oldest", "Oldest"),
            ("updated", "Recently updated"),
            ("subject", "Subject"),
            ("status", "Status"),
        ],  # fmt: skip
    )
