"""What the pages' forms share."""

from helpdesk.platform.errors import DomainError


class DomainErrorsMixin:
    """For a `forms.Form`: show a service's DomainError on the field it names, or above the form
    when it names none of the form's fields."""

    def add_domain_error(self, error: DomainError) -> None:
        self.add_error(error.field if error.field in self.fields else None, error.detail)
