import pytest
from django.core.management import call_command
from rest_framework.test import APIClient


def test_openapi_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    schema = (tmp_path / "schema.yml").read_text()
    for path in ("/api/v1/visitor/chats/", "/api/v1/chats/{chat_id}/accept/", "/api/v1/tickets/", "/api/v1/agents/me/"):
        assert f"{path}:" in schema
    import yaml

    document = yaml.safe_load(schema)
    accept = document["paths"]["/api/v1/chats/{chat_id}/accept/"]["post"]["responses"]
    assert accept["409"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert document["components"]["schemas"]["Error"]["required"] == ["code", "detail"]


@pytest.mark.django_db
def test_schema_and_swagger_ui_are_served_without_a_cdn():
    client = APIClient()
    assert client.get("/api/schema/").status_code == 200
    page = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in page and "cdn." not in page
