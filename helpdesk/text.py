"""Text the database can store: PostgreSQL text holds no NUL character, and a lone surrogate
cannot be encoded as UTF-8. Every edge refuses such input with a 400 before it reaches a query."""

NUL_MESSAGE = "Null characters are not allowed."  # DRF's own wording for its CharField
SURROGATE_MESSAGE = "Lone surrogate characters are not allowed."


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored, or None."""
    if "\x00" in value:
        return NUL_MESSAGE
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return SURROGATE_MESSAGE
    return None


def json_text_problem(data) -> tuple[str, str] | None:
    """The first unstorable string (key or value) anywhere in parsed JSON, as (top-level field
    it sits under, or "non_field_errors"; why)."""
    if isinstance(data, dict):
        for key, value in data.items():
            problem = text_problem(key) or _nested_problem(value)
            if problem:
                return (key if text_problem(key) is None else "non_field_errors", problem)
        return None
    problem = _nested_problem(data)
    return ("non_field_errors", problem) if problem else None


def _nested_problem(data) -> str | None:
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                return problem
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None
