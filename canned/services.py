"""Every change to canned messages and their categories.

Each service takes the acting principal as `actor` and decides what it may do: an agent what
their Django model permissions allow (the pages and the API check the same ones before parsing
input), on the messages they can see (canned.selectors.canned_messages_for; others are
not_found), filing only under their own departments unless FILE_ANYWHERE_PERMISSION; the system
(e.g. the seed command) anything."""

import re
from enum import Enum

from django.db import IntegrityError, transaction

from canned import selectors
from canned.models import CannedCategory, CannedMessage
from canned.placeholders import PLACEHOLDERS, unknown_placeholders
from helpdesk.actors import System, require_permission
from helpdesk.models import Agent, Department
from helpdesk.platform.errors import DomainError, ErrorCode

TEXT_MAX_CHARS = 5000
SHORTCUT_PATTERN = re.compile(r"[a-z0-9_-]{1,50}")
# Filing a message for every department, or for one the author is not in, reaches agents the
# author does not work with (they insert it from '#'), so it takes this permission (Managers).
FILE_ANYWHERE_PERMISSION = "canned.add_global_cannedmessage"


class _Keep(Enum):
    KEEP = "keep"


KEEP = _Keep.KEEP
"""For canned_message_update: leave this field as it is (None is a value: all departments)."""


def _clean_category_name(name) -> str:
    if not isinstance(name, str) or not " ".join(name.split()):
        raise DomainError(ErrorCode.INVALID, "A category needs a name.", field="name")
    name = " ".join(name.split())
    if len(name) > 100:
        raise DomainError(ErrorCode.INVALID, "Category names are at most 100 characters.", field="name")
    return name


def _save_category(category: CannedCategory) -> CannedCategory:
    if CannedCategory.objects.filter(name__iexact=category.name).exclude(pk=category.pk).exists():
        raise DomainError(ErrorCode.DUPLICATE, f"A category named {category.name!r} already exists.", field="name")
    try:
        with transaction.atomic():
            category.save()
    except IntegrityError as error:  # a concurrent save of the same name
        raise DomainError(
            ErrorCode.DUPLICATE, f"A category named {category.name!r} already exists.", field="name"
        ) from error
    return category


def canned_category_create(*, actor: Agent | System, name: str) -> CannedCategory:
    require_permission(actor, "canned.add_cannedcategory", "You may not add canned categories; select an existing one.")
    return _save_category(CannedCategory(name=_clean_category_name(name)))


def canned_category_rename(*, actor: Agent | System, category_id: int, name: str) -> CannedCategory:
    require_permission(actor, "canned.change_cannedcategory", "You may not rename canned categories.")
    category = selectors.access_canned_category(category_id=category_id)
    category.name = _clean_category_name(name)
    return _save_category(category)


def canned_category_delete(*, actor: Agent | System, category_id: int) -> None:
    """Refused while the category still holds messages: they would be left without one."""
    require_permission(actor, "canned.delete_cannedcategory", "You may not delete canned categories.")
    with transaction.atomic():
        category = selectors.access_canned_category(category_id=category_id)
        count = CannedMessage.objects.select_for_update().filter(category=category).count()
        if count:
            plural = "message" if count == 1 else "messages"
            raise DomainError(
                ErrorCode.CATEGORY_NOT_EMPTY,
                f"The category {category.name!r} still holds {count} canned {plural}; move or delete them first.",
            )
        category.delete()


def canned_text_clean(text) -> str:
    """The text as it will be stored, or DomainError (empty, too long, unknown placeholder)."""
    if not isinstance(text, str) or not text.strip():
        raise DomainError(ErrorCode.INVALID, "Compose the message first.", field="text")
    text = text.strip()
    if len(text) > TEXT_MAX_CHARS:
        raise DomainError(ErrorCode.INVALID, f"Canned messages are at most {TEXT_MAX_CHARS} characters.", field="text")
    unknown = unknown_placeholders(text)
    if unknown:
        known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
        raise DomainError(
            ErrorCode.UNKNOWN_PLACEHOLDER,
            f"Unknown placeholder {', '.join('{' + n + '}' for n in unknown)}; use {known}.",
            field="text",
        )
    return text


def _clean_shortcut(shortcut) -> str:
    shortcut = (shortcut or "").strip().lower()
    if shortcut and not SHORTCUT_PATTERN.fullmatch(shortcut):
        raise DomainError(
            ErrorCode.INVALID, "A shortcut is up to 50 letters, digits, '-' or '_' (e.g. refund).", field="shortcut"
        )
    return shortcut


def _require_may_file(actor: Agent | System, department: Department | None) -> None:
    if isinstance(actor, System) or actor.user.has_perm(FILE_ANYWHERE_PERMISSION):
        return
    if department is None:
        raise DomainError(
            ErrorCode.NOT_ALLOWED, "Only managers may file a canned message for all departments.", field="department"
        )
    if not actor.departments.filter(pk=department.pk).exists():
        raise DomainError(
            ErrorCode.NOT_ALLOWED,
            f"You may file canned messages only under your own departments, not {department.name}.",
            field="department",
        )


def _resolve_category(
    category: CannedCategory | None, new_category_name: str | None, *, actor: Agent | System
) -> CannedCategory:
    if new_category_name and new_category_name.strip():
        try:
            name = _clean_category_name(new_category_name)
            existing = CannedCategory.objects.filter(name__iexact=name).first()
            if existing is not None:
                return existing
            return canned_category_create(actor=actor, name=name)
        except DomainError as error:
            raise DomainError(error.code, error.detail, field="new_category") from error
    if category is None:
        raise DomainError(ErrorCode.INVALID, "Select a category or add a new one.", field="category")
    return category


def canned_message_create(
    *,
    actor: Agent | System,
    text: str,
    department: Department | None,
    category: CannedCategory | None = None,
    new_category_name: str | None = None,
    shortcut: str = "",
) -> CannedMessage:
    """`department` None makes the message available in every department. A new category
    typed in place is created (or found, ignoring case) in the same transaction; creating one
    takes `canned.add_cannedcategory`. The actor is the author."""
    require_permission(actor, "canned.add_cannedmessage", "You may not add canned messages.")
    text = canned_text_clean(text)
    _require_may_file(actor, department)
    with transaction.atomic():
        category = _resolve_category(category, new_category_name, actor=actor)
        return CannedMessage.objects.create(
            text=text,
            department=department,
            category=category,
            shortcut=_clean_shortcut(shortcut),
            created_by=actor if isinstance(actor, Agent) else None,
        )


def canned_message_update(
    *,
    actor: Agent,
    message_id: int,
    text: str | _Keep = KEEP,
    department: Department | None | _Keep = KEEP,
    category: CannedCategory | None | _Keep = KEEP,
    new_category_name: str | None = None,
    shortcut: str | _Keep = KEEP,
) -> CannedMessage:
    """The same rules as canned_message_create; the actor must also be allowed to file under the
    message's current department, or changing an all-department message's text would plant it.
    A field left at KEEP keeps its value."""
    require_permission(actor, "canned.change_cannedmessage", "You may not change canned messages.")
    message = selectors.access_canned_message(agent=actor, message_id=message_id)
    text = canned_text_clean(message.text if text is KEEP else text)
    department = message.department if department is KEEP else department
    _require_may_file(actor, message.department)
    _require_may_file(actor, department)
    with transaction.atomic():
        message.text = text
        message.department = department
        message.category = _resolve_category(
            message.category if category is KEEP else category, new_category_name, actor=actor
        )
        message.shortcut = _clean_shortcut(message.shortcut if shortcut is KEEP else shortcut)
        message.save()
    return message


def canned_message_delete(*, actor: Agent, message_id: int) -> None:
    require_permission(actor, "canned.delete_cannedmessage", "You may not delete canned messages.")
    selectors.access_canned_message(agent=actor, message_id=message_id).delete()
