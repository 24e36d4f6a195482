import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402  (needs Django set up)

from chat.routing import websocket_urlpatterns  # noqa: E402
from helpdesk.ws_guard import ServiceUnavailableGuard  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": ServiceUnavailableGuard(URLRouter(websocket_urlpatterns)),
    }
)
