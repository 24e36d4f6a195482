from django import forms
from django.core.exceptions import ValidationError
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


class ReplyForm(EntryForm):
    """Reply by e-mail, optionally setting the ticket's status in the same step."""

    status = forms.ChoiceField(
        choices=[("", _("Keep the current status")), *Ticket.Status.choices],
        required=False,
        label=_("Then set status"),
    )


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


class TicketIdsField(forms.Field):
    """The ids of the tickets ticked on the list: every `ids` value of the POST."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": _("Select at least one ticket."),
        "invalid": _("Ticket ids must be positive whole numbers."),
    }

    def to_python(self, value):
        if not value:
            return []
        try:
            ids = [int(item) for item in value]
        except (TypeError, ValueError) as error:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from error
        if any(item < 1 for item in ids):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return ids


class TicketBulkForm(forms.Form):
    """Close, Reopen or Assign to… the tickets ticked on the Tickets list (one service call)."""

    ACTIONS = [("close", _("Close")), ("reopen", _("Reopen")), ("assign", _("Assign"))]

    ids = TicketIdsField()
    bulk_action = forms.ChoiceField(
        choices=ACTIONS, error_messages={"required": _("Choose what to do with the selected tickets.")}
    )
    assignee = forms.ModelChoiceField(
        Agent.objects.filter(user__is_active=True),
        required=False,
        empty_label=_("Choose an agent"),
        label=_("Assign to…"),
        error_messages={"invalid_choice": _("That agent is unknown or their account is disabled.")},
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("bulk_action") == "assign" and not cleaned.get("assignee") and "assignee" not in self.errors:
            self.add_error("assignee", _("Choose an agent to assign the selected tickets to."))
        return cleaned
