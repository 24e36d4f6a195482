"""When a stored deadline counts as reached: one rule for every timer of the desk."""

from datetime import datetime, timedelta

from django.utils import timezone

from helpdesk.platform.metrics import timer_ran_on_commit

# Countdown timers may fire a hair early; the task created for a deadline may run it this early.
TIMER_TOLERANCE = timedelta(milliseconds=500)


def is_due(
    deadline: datetime | None,
    *,
    scheduled_for: datetime | None = None,
    now: datetime | None = None,
    timer: str | None = None,
) -> bool:
    """Reached, or within TIMER_TOLERANCE of it for the countdown task created for exactly this
    deadline (`scheduled_for`). A deadline moved since (even a few milliseconds later) belongs to
    the newer task, so an older one changes nothing early. None is never due.

    `timer` names the timed work this check lets run: when due, how late it runs is observed in
    the metrics (helpdesk_timer_lateness_seconds) once the transaction commits."""
    if deadline is None:
        return False
    now = now or timezone.now()
    due = deadline <= now or (
        scheduled_for is not None and deadline == scheduled_for and deadline <= now + TIMER_TOLERANCE
    )
    if due and timer is not None:
        timer_ran_on_commit(timer, (now - deadline).total_seconds())
    return due


def due_cutoff(*, now: datetime | None = None) -> datetime:
    """For queries that claim due rows by their countdown task: deadlines up to this moment."""
    return (now or timezone.now()) + TIMER_TOLERANCE
