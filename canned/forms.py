from django import forms

from canned.models import CannedCategory
from canned.placeholders import PLACEHOLDERS
from helpdesk.models import Department
from helpdesk.platform.forms import DomainErrorsMixin

PLACEHOLDER_HELP = "Placeholders: " + ", ".join("{" + name + "}" for name in PLACEHOLDERS) + "."


class CannedMessageForm(DomainErrorsMixin, forms.Form):
    text = forms.CharField(
        label="Compose Message", widget=forms.Textarea(attrs={"rows": 6}), help_text=PLACEHOLDER_HELP
    )
    department = forms.ModelChoiceField(
        Department.objects.all(), required=False, empty_label="All departments", label="Department"
    )
    category = forms.ModelChoiceField(
        CannedCategory.objects.all(), required=False, empty_label="Select a category", label="Category"
    )
    new_category = forms.CharField(required=False, max_length=100, label="or add a new category")
    shortcut = forms.CharField(
        required=False, max_length=50, label="Shortcut", help_text="Optional, e.g. refund: type #refund in a chat."
    )


class CannedCategoryForm(DomainErrorsMixin, forms.Form):
    name = forms.CharField(max_length=100, label="Name")


class CannedMessageFilterForm(forms.Form):
    department = forms.ModelChoiceField(Department.objects.all(), required=False, empty_label="All departments")
    category = forms.ModelChoiceField(CannedCategory.objects.all(), required=False, empty_label="All categories")
    q = forms.CharField(required=False, max_length=200, label="Search")
