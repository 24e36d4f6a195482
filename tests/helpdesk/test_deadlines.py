"""One rule for "is this deadline due", used by every timer (ends, missed chats, handovers,
webhook attempts)."""

from datetime import timedelta

from django.utils import timezone

from helpdesk.platform.deadlines import TIMER_TOLERANCE, due_cutoff, is_due


def test_a_reached_deadline_is_due_for_anyone():
    now = timezone.now()
    assert is_due(now, now=now)
    assert is_due(now - timedelta(seconds=1), now=now)
    assert not is_due(None, now=now)


def test_only_the_task_made_for_this_deadline_may_run_it_a_hair_early():
    now = timezone.now()
    soon = now + TIMER_TOLERANCE / 2
    assert is_due(soon, scheduled_for=soon, now=now)
    assert not is_due(soon, now=now)  # the sweep waits for the moment itself
    # moved a few milliseconds later since: the older task leaves it to the newer one
    assert not is_due(soon, scheduled_for=soon - timedelta(milliseconds=5), now=now)
    later = now + TIMER_TOLERANCE * 2
    assert not is_due(later, scheduled_for=later, now=now)


def test_claims_take_deadlines_up_to_the_tolerance():
    now = timezone.now()
    assert due_cutoff(now=now) == now + TIMER_TOLERANCE
