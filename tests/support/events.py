"""What the application publishes to the channel layer, kept for assertions."""

from channels.layers import InMemoryChannelLayer

RECORDING_CHANNEL_LAYERS = {"default": {"BACKEND": "tests.support.events.RecordingChannelLayer"}}


class RecordingChannelLayer(InMemoryChannelLayer):
    """An in-memory channel layer that also keeps every group event sent through it, as
    (group, event) pairs in `group_sends`. The `published` fixture installs it."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.group_sends: list[tuple[str, dict]] = []

    async def group_send(self, group, message):
        self.group_sends.append((group, message))
        await super().group_send(group, message)


def frames_to(published, group: str) -> list[dict]:
    """The frames of the events published to `group`, in order."""
    return [event.get("frame", event) for g, event in published if g == group]
