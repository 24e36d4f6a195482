"""Running service calls at the same moment, each on its own database connection."""

import threading

from django.db import connection

from helpdesk.platform.errors import DomainError


def race(*actions) -> list[str]:
    """Run the callables at the same moment, each on its own connection; their outcomes
    ("ok" or the DomainError code) in the order given."""
    barrier = threading.Barrier(len(actions))
    outcomes = [None] * len(actions)

    def run(index, action):
        try:
            barrier.wait()
            action()
            outcomes[index] = "ok"
        except DomainError as error:
            outcomes[index] = error.code
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, action)) for i, action in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes
