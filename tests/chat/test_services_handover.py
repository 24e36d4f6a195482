from datetime import timedelta
from functools import partial

import pytest
from django.utils import timezone

from chat import services
from chat.models import ChatParticipant, Invitation, Message, Transfer
from helpdesk.models import Agent
from helpdesk.platform.errors import DomainError
from helpdesk.platform.events import agent_group, chat_group
from tests.factories import AgentFactory, accepted_chat
from tests.support.concurrency import race
from tests.support.events import frames_to
from tickets.models import Ticket


@pytest.fixture
def bob(sales):
    return AgentFactory(display_name="Bob", departments=[sales])


@pytest.fixture
def chat(agent, sales):
    return accepted_chat(agent=agent, department=sales)


def request_transfer(chat, agent, to, **kwargs):
    return services.transfer_request(chat_id=chat.pk, actor=agent, to_agent_id=to.pk, **kwargs)


@pytest.mark.django_db
def test_accepted_transfer_changes_owner_records_it_and_tells_everyone(
    chat, agent, bob, support, published, django_capture_on_commit_callbacks
):
    bob.departments.add(support)
    with django_capture_on_commit_callbacks(execute=True):
        transfer = request_transfer(chat, agent, bob, department=support, note="VIP customer")
    requested = frames_to(published, agent_group(bob.pk))[-1]
    assert requested["type"] == "transfer.requested" and requested["note"] == "VIP customer"
    assert requested["from"] == {"id": agent.pk, "name": "Alice"} and requested["visitor"]["name"] == chat.visitor.name
    with django_capture_on_commit_callbacks(execute=True):
        services.transfer_accept(actor=bob, transfer_id=transfer.pk)
    chat.refresh_from_db()
    assert chat.owner == bob and chat.department == support
    assert ChatParticipant.objects.get(chat=chat, agent=agent).left_at is not None
    assert ChatParticipant.objects.get(chat=chat, agent=bob).left_at is None
    assert Message.objects.get(chat=chat, sender_kind="system").body == "Transferred from Alice to Bob"
    to_chat = [f["type"] for f in frames_to(published, chat_group(chat.pk))]
    assert "transfer.accepted" in to_chat
    events = [(g, e["type"]) for g, e in published]
    assert (agent_group(bob.pk), "chat.joined") in events and (agent_group(agent.pk), "chat.left") in events
    # The previous owner can no longer write; the new one can, and ends it.
    with pytest.raises(DomainError):
        services.message_post(actor=agent, chat_id=chat.pk, body="hi")
    services.chat_end(actor=bob, chat_id=chat.pk)
    ticket = Ticket.objects.get(source_chat=chat)
    assert set(ticket.agents.all()) == {agent, bob}
    assert "Transferred from Alice to Bob" in [e.body for e in ticket.thread.all()]


@pytest.mark.django_db
def test_transfer_rules(chat, agent, bob, support, sales):
    offline = AgentFactory(departments=[sales], chat_status=Agent.ChatStatus.OFFLINE)
    away = AgentFactory(departments=[sales], connected=False)  # Online, but no browser open
    cases = [
        (lambda: request_transfer(chat, agent, agent), "invalid"),
        (lambda: request_transfer(chat, agent, offline), "agent_unavailable"),
        (lambda: request_transfer(chat, agent, away), "agent_unavailable"),
        (lambda: request_transfer(chat, agent, bob, department=support), "invalid"),  # Bob is not in Support
        (lambda: request_transfer(chat, bob, agent), "not_allowed"),  # only the owner transfers
    ]
    for action, code in cases:
        with pytest.raises(DomainError) as error:
            action()
        assert error.value.code == code
    request_transfer(chat, agent, bob)
    carol = AgentFactory(departments=[sales])
    with pytest.raises(DomainError) as error:
        request_transfer(chat, agent, carol)
    assert error.value.code == "transfer_pending"
    assert Transfer.objects.count() == 1


@pytest.mark.django_db
def test_decline_withdraw_and_expiry_keep_the_chat_with_its_owner(
    chat, agent, bob, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        declined = request_transfer(chat, agent, bob)
        services.transfer_decline(actor=bob, transfer_id=declined.pk)
        withdrawn = request_transfer(chat, agent, bob)
        with pytest.raises(DomainError):
            services.transfer_withdraw(actor=bob, transfer_id=withdrawn.pk)  # not bob's to withdraw
        services.transfer_withdraw(actor=agent, transfer_id=withdrawn.pk)
        expired = request_transfer(chat, agent, bob)
        assert services.transfer_expire_when_due(transfer_id=expired.pk) is None  # not due yet
        Transfer.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
        services.transfer_expire_when_due(transfer_id=expired.pk)
        services.transfer_expire_when_due(transfer_id=expired.pk)
    statuses = list(Transfer.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == ["declined", "withdrawn", "expired"]
    told = [f["type"] for f in frames_to(published, agent_group(agent.pk)) if f["type"].startswith("transfer.")]
    assert told.count("transfer.declined") == 1 and told.count("transfer.expired") == 1
    chat.refresh_from_db()
    assert chat.owner == agent
    with pytest.raises(DomainError) as error:
        services.transfer_accept(actor=bob, transfer_id=expired.pk)
    assert error.value.code == "transfer_closed"


@pytest.mark.django_db
def test_transfer_to_agent_who_went_offline_or_of_an_ended_chat_is_refused(chat, agent, bob):
    transfer = request_transfer(chat, agent, bob)
    services.chat_end(actor=agent, chat_id=chat.pk)
    transfer.refresh_from_db()
    assert transfer.status == "expired"  # lapsed with the chat
    with pytest.raises(DomainError) as error:
        services.transfer_accept(actor=bob, transfer_id=transfer.pk)
    assert error.value.code == "transfer_closed"
    with pytest.raises(DomainError) as error:
        request_transfer(chat, agent, bob)
    assert error.value.code == "chat_closed"


@pytest.mark.django_db(transaction=True)
def test_accept_racing_withdraw_has_one_outcome(chat, agent, bob):
    for _ in range(5):
        transfer = request_transfer(chat, agent, bob)
        outcomes = race(
            partial(services.transfer_accept, transfer_id=transfer.pk, actor=bob),
            partial(services.transfer_withdraw, transfer_id=transfer.pk, actor=agent),
        )
        assert sorted(outcomes) == ["ok", "transfer_closed"]
        transfer.refresh_from_db()
        chat.refresh_from_db()
        assert (transfer.status == "accepted") == (chat.owner_id == bob.pk)
        if chat.owner_id == bob.pk:  # hand it back for the next round
            back = request_transfer(chat, bob, agent)
            services.transfer_accept(actor=agent, transfer_id=back.pk)


@pytest.mark.django_db
def test_invited_agent_joins_posts_and_leaves_while_the_owner_stays(
    chat, agent, bob, sales, published, django_capture_on_commit_callbacks
):
    carol = AgentFactory(display_name="Carol", departments=[sales])
    with django_capture_on_commit_callbacks(execute=True):
        invitations = services.invitations_create(
            actor=agent, chat_id=chat.pk, invitee_ids=[bob.pk, carol.pk], note="Help?"
        )
    assert [f["type"] for f in frames_to(published, agent_group(bob.pk))] == ["invitation.requested"]
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_accept(actor=bob, invitation_id=invitations[0].pk)
        services.invitation_decline(actor=carol, invitation_id=invitations[1].pk)
    inviter_heard = [f["type"] for f in frames_to(published, agent_group(agent.pk))]
    assert "invitation.accepted" in inviter_heard and "invitation.declined" in inviter_heard
    assert {"type": "participant.joined", "chat_id": chat.pk, "agent": {"id": bob.pk, "name": "Bob"}} in frames_to(
        published, chat_group(chat.pk)
    )
    message, _ = services.message_post(actor=bob, chat_id=chat.pk, body="Bob here")
    assert message.sender_name == "Bob"
    chat.refresh_from_db()
    assert chat.owner == agent
    with pytest.raises(DomainError):
        services.chat_end(actor=bob, chat_id=chat.pk)  # only the owner ends it
    with pytest.raises(DomainError):
        services.chat_leave(actor=agent, chat_id=chat.pk)  # the owner cannot leave
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_leave(actor=bob, chat_id=chat.pk)
    assert frames_to(published, chat_group(chat.pk))[-1]["type"] == "participant.left"
    with pytest.raises(DomainError):
        services.message_post(actor=bob, chat_id=chat.pk, body="again")
    services.chat_end(actor=agent, chat_id=chat.pk)
    thread = [e.body for e in Ticket.objects.get(source_chat=chat).thread.all()]
    assert "Bob joined the chat (invited by Alice)" in thread and "Bob left the chat" in thread
    assert set(Ticket.objects.get(source_chat=chat).agents.all()) == {agent, bob}


@pytest.mark.django_db
def test_invitation_rules_and_expiry(chat, agent, bob, sales, published, django_capture_on_commit_callbacks):
    offline = AgentFactory(departments=[sales], chat_status=Agent.ChatStatus.OFFLINE)
    away = AgentFactory(departments=[sales], connected=False)
    for ids, code in (
        ([offline.pk], "agent_unavailable"),
        ([away.pk], "agent_unavailable"),
        ([agent.pk], "invalid"),
        ([], "invalid"),
        ([999999], "invalid"),
    ):
        with pytest.raises(DomainError) as error:
            services.invitations_create(actor=agent, chat_id=chat.pk, invitee_ids=ids)
        assert error.value.code == code
    with pytest.raises(DomainError) as error:  # all or nothing
        services.invitations_create(actor=agent, chat_id=chat.pk, invitee_ids=[bob.pk, offline.pk])
    assert not Invitation.objects.exists()
    invitation = services.invitations_create(actor=agent, chat_id=chat.pk, invitee_ids=[bob.pk])[0]
    with pytest.raises(DomainError) as error:
        services.invitations_create(actor=agent, chat_id=chat.pk, invitee_ids=[bob.pk])
    assert error.value.code == "invitation_pending"
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_expire_when_due(invitation_id=invitation.pk)
    assert "invitation.expired" in [f["type"] for f in frames_to(published, agent_group(agent.pk))]
    with pytest.raises(DomainError) as error:
        services.invitation_accept(actor=bob, invitation_id=invitation.pk)
    assert error.value.code == "invitation_closed"


@pytest.mark.django_db(transaction=True)
def test_invitation_accept_racing_the_end(chat, agent, bob):
    for _ in range(4):
        invitation = services.invitations_create(actor=agent, chat_id=chat.pk, invitee_ids=[bob.pk])[0]
        accept, end = race(
            partial(services.invitation_accept, invitation_id=invitation.pk, actor=bob),
            partial(services.chat_end, chat_id=chat.pk, actor=agent),
        )
        assert end == "ok"
        invitation.refresh_from_db()
        if accept == "ok":
            assert invitation.status == "accepted"
        else:
            assert accept in {"invitation_closed", "chat_closed"} and invitation.status == "expired"
        assert Ticket.objects.filter(source_chat=chat).count() == 1
        chat = accepted_chat(agent=agent, department=chat.department)  # a fresh chat for the next round


@pytest.mark.django_db
def test_visitor_never_sees_the_note_and_late_answers_are_refused(
    chat, agent, bob, published, django_capture_on_commit_callbacks
):
    late = request_transfer(chat, agent, bob, note="between us")
    Transfer.objects.filter(pk=late.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(DomainError) as error:
        services.transfer_accept(actor=bob, transfer_id=late.pk)
    assert error.value.code == "transfer_closed"
    services.transfer_expire_when_due(transfer_id=late.pk)
    transfer = request_transfer(chat, agent, bob, note="between us")
    with django_capture_on_commit_callbacks(execute=True):
        services.transfer_accept(actor=bob, transfer_id=transfer.pk)
    to_chat = [f for f in frames_to(published, chat_group(chat.pk)) if f["type"] == "transfer.accepted"]
    assert to_chat and all("note" not in f for f in to_chat)
    to_bob = [f for f in frames_to(published, agent_group(bob.pk)) if f["type"] == "transfer.accepted"]
    assert to_bob[0]["note"] == "between us"
