"""Canned Messages pages (Chat module): Messages and Categories. Each view validates a form,
calls one service and redirects; permissions are Django's model permissions."""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from canned import selectors, services
from canned.forms import CannedCategoryForm, CannedMessageFilterForm, CannedMessageForm
from helpdesk.platform.errors import DomainError


def _agent(request):
    agent = getattr(request.user, "agent", None)
    if agent is None:
        raise PermissionDenied(_("Your account has no agent profile."))
    return agent


def _page(request, template, **context):
    return render(request, template, {"agent": _agent(request), "active": "canned", **context})


def _found(access, **ids):
    """What an access_* selector returns, or the 404 page for what is missing or not visible."""
    try:
        return access(**ids)
    except DomainError as error:
        raise Http404(error.detail) from error


@login_required
@permission_required("canned.view_cannedmessage", raise_exception=True)
def message_list(request):
    filters = CannedMessageFilterForm(request.GET or None)
    values = filters.cleaned_data if filters.is_valid() else {}
    found = selectors.canned_messages_filtered(
        agent=_agent(request),
        department=values.get("department"),
        category=values.get("category"),
        query=values.get("q") or "",
    )
    page = Paginator(found, 25).get_page(request.GET.get("page"))
    return _page(request, "canned/messages.html", filters=filters, page=page)


def _message_form(request, message=None):
    agent = _agent(request)
    initial = {}
    if message is not None:
        initial = {
            "text": message.text,
            "department": message.department,
            "category": message.category,
            "shortcut": message.shortcut,
        }
    form = CannedMessageForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        args = {
            "text": data["text"],
            "department": data["department"],
            "category": data["category"],
            "new_category_name": data["new_category"],
            "shortcut": data["shortcut"],
        }
        try:
            if message is None:
                services.canned_message_create(actor=agent, **args)
                flash.success(request, _("Canned message saved."))
            else:
                services.canned_message_update(actor=agent, message_id=message.pk, **args)
                flash.success(request, _("Canned message updated."))
            return redirect("canned-messages")
        except DomainError as error:
            form.add_domain_error(error)
    title = _("Add Canned Message") if message is None else _("Edit Canned Message")
    return _page(request, "canned/form_page.html", form=form, title=title, back="canned-messages")


@login_required
@permission_required("canned.add_cannedmessage", raise_exception=True)
def message_create(request):
    return _message_form(request)


@login_required
@permission_required("canned.change_cannedmessage", raise_exception=True)
def message_edit(request, message_id: int):
    message = _found(selectors.access_canned_message, agent=_agent(request), message_id=message_id)
    return _message_form(request, message)


@login_required
@permission_required("canned.delete_cannedmessage", raise_exception=True)
def message_delete(request, message_id: int):
    agent = _agent(request)
    message = _found(selectors.access_canned_message, agent=agent, message_id=message_id)
    if request.method == "POST":
        services.canned_message_delete(actor=agent, message_id=message.pk)
        flash.success(request, _("Canned message deleted."))
        return redirect("canned-messages")
    return _page(
        request, "canned/confirm_delete.html", thing="canned message", name=str(message), back="canned-messages"
    )


@login_required
@permission_required("canned.view_cannedcategory", raise_exception=True)
def category_list(request):
    return _page(request, "canned/categories.html", categories=selectors.categories_with_counts())


def _category_form(request, category=None):
    agent = _agent(request)
    form = CannedCategoryForm(request.POST or None, initial={"name": category.name} if category else {})
    if request.method == "POST" and form.is_valid():
        try:
            if category is None:
                services.canned_category_create(actor=agent, name=form.cleaned_data["name"])
                flash.success(request, _("Category saved."))
            else:
                services.canned_category_rename(actor=agent, category_id=category.pk, name=form.cleaned_data["name"])
                flash.success(request, _("Category renamed."))
            return redirect("canned-categories")
        except DomainError as error:
            form.add_domain_error(error)
    title = _("Add Canned Category") if category is None else _("Rename Category")
    return _page(request, "canned/form_page.html", form=form, title=title, back="canned-categories")


@login_required
@permission_required("canned.add_cannedcategory", raise_exception=True)
def category_create(request):
    return _category_form(request)


@login_required
@permission_required("canned.change_cannedcategory", raise_exception=True)
def category_edit(request, category_id: int):
    return _category_form(request, _found(selectors.access_canned_category, category_id=category_id))


@login_required
@permission_required("canned.delete_cannedcategory", raise_exception=True)
def category_delete(request, category_id: int):
    category = _found(selectors.access_canned_category, category_id=category_id)
    if request.method == "POST":
        try:
            services.canned_category_delete(actor=_agent(request), category_id=category.pk)
            flash.success(request, _("Category deleted."))
        except DomainError as error:
            flash.error(request, error.detail)
        return redirect("canned-categories")
    return _page(request, "canned/confirm_delete.html", thing="category", name=category.name, back="canned-categories")
