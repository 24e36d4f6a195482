from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from canned.models import CannedCategory
from canned.placeholders import PLACEHOLDERS
from helpdesk.models import Department
from helpdesk.platform.forms import DomainErrorsMixin


def _placeholder_help() -> str:
    names = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
    return gettext("Placeholders: %(names)s.") % {"names": names}


PLACEHOLDER_HELP = lazy(_placeholder_help, str)()  # in the language of the page that shows it


class CannedMessageForm(DomainErrorsMixin, forms.Form):
    text = forms.CharField(
        label=_("Compose Message"), widget=forms.Textarea(attrs={"rows": 6}), help_text=PLACEHOLDER_HELP
    )
    department = forms.ModelChoiceField(
        Department.objects.all(), required=False, empty_label=_("All departments"), label=_("Department")
    )
    category = forms.ModelChoiceField(
        CannedCategory.objects.all(), required=False, empty_label=_("Select a category"), label=_("Category")
    )
    new_category = forms.CharField(required=False, max_length=100, label=_("or add a new category"))
    shortcut = forms.CharField(
        required=False,
        max_length=50,
        label=_("Shortcut"),
        help_text=_("Optional, e.g. refund: type #refund in a chat."),
    )


class CannedCategoryForm(DomainErrorsMixin, forms.Form):
    name = forms.CharField(max_length=100, label=_("Name"))


class CannedMessageFilterForm(forms.Form):
    department = forms.ModelChoiceField(Department.objects.all(), required=False, empty_label=_("All departments"))
    category = forms.ModelChoiceField(CannedCategory.objects.all(), required=False, empty_label=_("All categories"))
    q = forms.CharField(required=False, max_length=200, label=_("Search"))
