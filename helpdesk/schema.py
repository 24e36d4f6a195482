"""OpenAPI post-processing: every operation documents the one error shape the API uses."""

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error. On 400, field errors are also listed under each field's name.",
    "properties": {
        "code": {"type": "string", "description": "Machine-readable, stable (e.g. not_found, already_accepted)."},
        "detail": {"type": "string", "description": "A message for people."},
    },
    "required": ["code", "detail"],
    "additionalProperties": True,
}
ERRORS = {
    "400": "Invalid input (field errors included)",
    "401": "Missing or wrong credentials",
    "403": "Not allowed",
    "404": "Not found, or not visible to you",
    "405": "Method not allowed",
    "409": "Conflicts with the current state",
    "413": "Request body too large",
    "415": "Unsupported media type",
    "429": "Rate limit reached (see Retry-After)",
    "503": "The database or Redis cannot be reached (code unavailable); try again later",
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
