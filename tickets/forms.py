from django import forms
from django.utils.translation import gettext_lazy as _

from helpdesk.models import Agent
from tickets.models import Ticket


class TicketUpdateForm(forms.Form):
    status = forms.ChoiceField(choices=Ticket.Status.choices, label=_("Status"))
    assignee = forms.ModelChoiceField(
        Agent.objects.filter(user__is_active=True), required=False, empty_label=_("Unassigned"), label=_("Assignee")
    )


class EntryForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=10000)


class TicketFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label=_("Search"))
    sort = forms.ChoiceField(
        required=False,
        label=_("Sort"),
        choices=[
            ("newest", _("Newest")),
            ("oldest", _("Oldest")),
            ("updated", _("Recently updated")),
            ("subject", _("Subject")),
            ("status", _("Status")),
        ],  # fmt: skip
    )
