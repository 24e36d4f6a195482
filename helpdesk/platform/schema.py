"""OpenAPI post-processing: every operation documents the one error shape the API uses, and the
constraints the server enforces that drf-spectacular cannot see."""

from helpdesk.platform.errors import ErrorCode
from helpdesk.platform.fields import MAX_ID
from helpdesk.platform.text import NON_BLANK_PATTERN, schema_pattern

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error. On 400, field errors are also listed under each field's name.",
    "properties": {
        "code": {
            "type": "string",
            "enum": [code.value for code in ErrorCode],
            "description": "Machine-readable, stable. "
            + " ".join(f"`{code.value}` ({code.http_status}): {code.description}" for code in ErrorCode),
        },
        "detail": {"type": "string", "description": "A message for people."},
    },
    "required": ["code", "detail"],
    "additionalProperties": True,
}
STATUS_DESCRIPTIONS = {
    400: "Invalid input (field errors included)",
    401: "Missing or wrong credentials",
    403: "Not allowed",
    404: "Not found, or not visible to you",
    405: "Method not allowed",
    409: "Conflicts with the current state",
    413: "Request body too large",
    415: "Unsupported media type",
    429: "Rate limit reached (see Retry-After)",
    503: "The database or Redis cannot be reached (code unavailable); try again later",
}
# Each documented status names the codes it may carry, straight from the enumeration.
ERRORS = {
    str(status): description
    + ": "
    + ", ".join(code.value for code in ErrorCode if code.http_status == status and code is not ErrorCode.ERROR)
    for status, description in STATUS_DESCRIPTIONS.items()
}


def add_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERRORS.items():
                responses.setdefault(
                    status, {"description": description, "content": {"application/json": {"schema": reference}}}
                )
    return result


def add_id_ranges(result, generator, request, public):
    """Ids in paths are database ids (positive, at most a bigint); pages count from 1."""
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if schema.get("type") != "integer":
                    continue
                if parameter["in"] == "path":
                    schema.update(minimum=1, maximum=MAX_ID)
                elif parameter["in"] == "query" and parameter["name"] == "page":
                    schema.update(minimum=1)
    return result


def add_request_body_rules(result, generator, request, public):
    """Rules of request bodies that serializers cannot state:
    - a new canned message needs a category: an existing one's id, or a name in `new_category`
      (canned.services._resolve_category);
    - renaming a canned category (PATCH) needs the name, the only thing a category has
      (drf-spectacular makes every PATCH field optional)."""
    schemas = result.get("components", {}).get("schemas", {})
    message = schemas.get("CannedMessageRequest")
    if message is not None:
        new_category = {"type": "string", "maxLength": 100, "pattern": schema_pattern(NON_BLANK_PATTERN)}
        message["anyOf"] = [
            {"required": ["category"]},
            {"required": ["new_category"], "properties": {"new_category": new_category}},
        ]
    rename = schemas.get("PatchedCannedCategoryRequest")
    if rename is not None:
        rename["required"] = ["name"]
        category = result["paths"].get("/api/v1/canned-categories/{category_id}/", {})
        if "patch" in category:
            category["patch"]["requestBody"]["required"] = True
    return result
