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


app.steps["consumer"].add(RearmTimersOnConnect)
