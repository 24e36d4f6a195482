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


def _resolve_category(category: CannedCategory | None, new_category_name: str | None) -> CannedCategory:
    if new_category_name and new_category_name.strip():
        try:
            name = _clean_category_name(new_category_name)
            existing = CannedCategory.objects.filter(name__iexact=name).first()
            return existing or canned_category_create(name=name)
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
    by: Agent | None = None,
) -> CannedMessage:
    """`department` None makes the message available in every department. A new category
    typed in place is created (or found, ignoring case) in the same transaction."""
    text = canned_text_clean(text)
    with transaction.atomic():
        category = _resolve_category(category, new_category_name)
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
) -> CannedMessage:
    text = canned_text_clean(text)
    with transaction.atomic():
        message.text = text
        message.department = department
        message.category = _resolve_category(category, new_category_name)
        message.shortcut = _clean_shortcut(shortcut)
        message.save()
    return message


def canned_message_delete(*, message: CannedMessage) -> None:
    message.delete()
