"""REST API clients."""

from rest_framework.test import APIClient


def api_client_for(agent) -> APIClient:
    """A client that sends `agent`'s API token (the factory keeps its key as `agent.api_key`)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {agent.api_key}")
    return client
