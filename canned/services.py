"""Every change to canned messages and their categories."""

import re

from django.db import IntegrityError, transaction

from canned.models import CannedCategory, CannedMessage
from canned.placeholders import PLACEHOLDERS, unknown_placeholders
from helpdesk.errors import DomainError
from helpdesk.models import Agent, Department

TEXT_MAX_CHARS = 5000
SHORTCUT_PATTERN = re.compile(r"[a-z0-9_-]{1,50}")


def _clean_category_name(name) -> str:
    if not isinstance(name, str) or not " ".join(name.split()):
        raise DomainError("invalid", "A category needs a name.", field="name")
    name = " ".join(name.split())
    if len(name) > 100:
        raise DomainError("invalid", "Category names are at most 100 characters.", field="name")
    return name


def _save_category(category: CannedCategory) -> CannedCategory:
    if CannedCategory.objects.filter(name__iexact=category.name).exclude(pk=category.pk).exists():
        raise DomainError("duplicate", f"A category named {category.name!r} already exists.", field="name")
    try:
        with transaction.atomic():
            category.save()
    except IntegrityError as error:  # a concurrent save of the same name
        raise DomainError("duplicate", f"A category named {category.name!r} already exists.", field="name") from error
    return category


def canned_category_create(*, name: str) -> CannedCategory:
    return _save_category(CannedCategory(name=_clean_category_name(name)))


def canned_category_rename(*, category: CannedCategory, name: str) -> CannedCategory:
    category.name = _clean_category_name(name)
    return _save_category(category)


def canned_category_delete(*, category: CannedCategory) -> None:
    """Refused while the category still holds messages: they would be left without one."""
    with transaction.atomic():
        count = CannedMessage.objects.select_for_update().filter(category=category).count()
        if count:
            plural = "message" if count == 1 else "messages"
            raise DomainError(
                "category_not_empty",
                f"The category {category.name!r} still holds {count} canned {plural}; move or delete them first.",
            )
        category.delete()


def canned_text_clean(text) -> str:
    """The text as it will be stored, or DomainError (empty, too long, unknown placeholder)."""
    if not isinstance(text, str) or not text.strip():
        raise DomainError("invalid", "Compose the message first.", field="text")
    text = text.strip()
    if len(text) > TEXT_MAX_CHARS:
        raise DomainError("invalid", f"Canned messages are at most {TEXT_MAX_CHARS} characters.", field="text")
    unknown = unknown_placeholders(text)
    if unknown:
        known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
        raise DomainError(
            "unknown_placeholder",
            f"Unknown placeholder {', '.join('{' + n + '}' for n in unknown)}; use {known}.",
            field="text",
        )
    return text


def _clean_shortcut(shortcut) -> str:
    shortcut = (shortcut or "").strip().lower()
    if shortcut and not SHORTCUT_PATTERN.fullmatch(shortcut):
        raise DomainError(
            "invalid", "A shortcut is up to 50 letters, digits, '-' or '_' (e.g. refund).", field="shortcut"
        )
    return shortcut


# Filing a message for every department, or for one the author is not in, reaches agents the
# author does not work with (they insert it from '#'), so it takes this permission (Managers).
FILE_ANYWHERE_PERMISSION = "canned.add_global_cannedmessage"


def _require_may_file(*, by: Agent | None, department: Department | None) -> None:
    """`by` None is the system (e.g. the seed command), which may file anywhere."""
    if by is None or by.user.has_perm(FILE_ANYWHERE_PERMISSION):
        return
    if department is None:
        raise DomainError(
            "not_allowed", "Only managers may file a canned message for all departments.", field="department"
        )
    if not by.departments.filter(pk=department.pk).exists():
        raise DomainError(
            "not_allowed",
            f"You may file canned messages only under your own departments, not {department.name}.",
            field="department",
        )


def _resolve_category(
    category: CannedCategory | None, new_category_name: str | None, *, by: Agent | None
) -> CannedCategory:
    if new_category_name and new_category_name.strip():
        try:
            name = _clean_category_name(new_category_name)
            existing = CannedCategory.objects.filter(name__iexact=name).first()
            if existing is not None:
                return existing
            if by is not None and not by.user.has_perm("canned.add_cannedcategory"):
                raise DomainError("not_allowed", "You may not add canned categories; select an existing one.")
            return canned_category_create(name=name)
        except DomainError as error:
            raise DomainError(error.code, error.detail, field="new_category") from error
    if category is None:
        raise DomainError("invalid", "Select a category or add a new one.", field="category")
    return category


def canned_message_create(
    *,
    text: str,
    department: Department | None,
    category: CannedCategory | None = None,
    new_category_name: str | None = None,
    shortcut: str = "",
    by: Agent | None,
) -> CannedMessage:
    """`department` None makes the message available in every department. A new category
    typed in place is created (or found, ignoring case) in the same transaction. `by`, the
    author, may file only under their own departments unless they hold FILE_ANYWHERE_PERMISSION,
    and may create a category only with `canned.add_cannedcategory`."""
    text = canned_text_clean(text)
    _require_may_file(by=by, department=department)
    with transaction.atomic():
        category = _resolve_category(category, new_category_name, by=by)
        return CannedMessage.objects.create(
            text=text, department=department, category=category, shortcut=_clean_shortcut(shortcut), created_by=by
        )


def canned_message_update(
    *,
    message: CannedMessage,
    text: str,
    department: Department | None,
    category: CannedCategory | None = None,
    new_category_name: str | None = None,
    shortcut: str = "",
    by: Agent | None,
) -> CannedMessage:
    """The same rules as canned_message_create; `by` must also be allowed to file under the
    message's current department, or changing an all-department message's text would plant it."""
    text = canned_text_clean(text)
    _require_may_file(by=by, department=message.department)
    _require_may_file(by=by, department=department)
    with transaction.atomic():
        message.text = text
        message.department = department
        message.category = _resolve_category(category, new_category_name, by=by)
        message.shortcut = _clean_shortcut(shortcut)
        message.save()
    return message


def canned_message_delete(*, message: CannedMessage) -> None:
    message.delete()
