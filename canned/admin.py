from django import forms
from django.contrib import admin

from canned import services
from canned.models import CannedCategory, CannedMessage
from helpdesk.platform.errors import DomainError


class CannedMessageAdminForm(forms.ModelForm):
    class Meta:
        model = CannedMessage
        fields = ["text", "shortcut", "department", "category"]

    def clean_text(self):
        try:
            return services.canned_text_clean(self.cleaned_data["text"])
        except DomainError as error:
            raise forms.ValidationError(error.detail) from error


@admin.register(CannedCategory)
class CannedCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


@admin.register(CannedMessage)
class CannedMessageAdmin(admin.ModelAdmin):
    form = CannedMessageAdminForm
    list_display = ["__str__", "shortcut", "department", "category", "updated_at"]
    list_filter = ["department", "category"]
    search_fields = ["text", "shortcut", "category__name"]
    autocomplete_fields = ["category"]
