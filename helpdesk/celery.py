import logging
import os

from celery import Celery, bootsteps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

logger = logging.getLogger(__name__)

app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class RearmTimersOnConnect(bootsteps.StartStopStep):
    """Each time a worker's consumer (re)connects to the broker, send one `timers_rearm`.

    A connection loss makes the worker drop the countdown tasks it holds, and a Redis restarted
    empty keeps none either; the deadlines are in the database, so they are scheduled again from
    there (chat/services/timers.py) instead of waiting for beat's sweep."""

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def start(self, parent):
        try:
            parent.app.send_task("chat.tasks.timers_rearm")
        except Exception:
            # Redis went away again: the next reconnection sends it, the sweep covers meanwhile.
            logger.exception("could not send timers_rearm")


class RecordWorkerSeen(bootsteps.StartStopStep):
    """Every WORKER_BEAT_SECONDS, on the consumer's timer (as Celery's own event heartbeat), say
    in Redis that a worker is alive: /readyz's `worker` check (helpdesk/platform/health.py)."""

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def __init__(self, parent, **kwargs):
        self.tref = None
        super().__init__(parent, **kwargs)

    def start(self, parent):
        from helpdesk.platform import health  # Django's settings are loaded by now

        health.record_worker_seen()
        self.tref = parent.timer.call_repeatedly(health.WORKER_BEAT_SECONDS, health.record_worker_seen)

    def stop(self, parent):
        if self.tref is not None:
            parent.timer.cancel(self.tref)
            self.tref = None

    shutdown = stop


app.steps["consumer"].add(RearmTimersOnConnect)
app.steps["consumer"].add(RecordWorkerSeen)
