"""Webhooks, one module per job, each importing only the ones below it:

    services   subscriptions (create, update) and the outbox (webhooks_enqueue)
    delivery   one attempt: claim, sign, POST, record, back off; attempts scheduled by task name
    payloads   what is sent: the envelope and the signed request
    http       which URLs may be called, and a POST pinned to the checked addresses
    selectors  reads for the tasks

The Celery tasks (helpdesk/tasks.py) call delivery and selectors; nothing here imports them."""
