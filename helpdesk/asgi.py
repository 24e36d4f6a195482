import gc
import os
import sys

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402  (needs Django set up)

from chat.routing import websocket_urlpatterns  # noqa: E402
from helpdesk.platform.ws_guard import ServiceUnavailableGuard  # noqa: E402

# Every socket keeps a consumer and its tasks alive, so the cyclic collector's full passes grow
# with the number of sockets and stall the loop; they showed as 50-150 ms maxima. Objects from
# start-up are frozen out of collection and young collections run less often.
gc.freeze()
gc.set_threshold(50_000, 50, 100)

# The event loop and the database thread share the GIL. With Python's default 5 ms switch
# interval a busy database thread kept socket reads and writes waiting for up to 5 ms at a
# time; 0.5 ms cut p99 at 200 msg/s from ~120 ms to ~24 ms (docs/performance.md).
sys.setswitchinterval(float(os.environ.get("GIL_SWITCH_INTERVAL_SECONDS") or 0.0005))

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": ServiceUnavailableGuard(URLRouter(websocket_urlpatterns)),
    }
)
