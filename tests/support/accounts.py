"""Groups and permissions as the data migrations leave them."""

# What the "Agents" group's data migration (canned/migrations/0002_agents_group.py) grants.
# Transactional tests flush the migrated rows, so the `agents_group` fixture makes the group
# again from this; tests/canned/test_filing.py checks it against the migrated group.
AGENTS_GROUP_PERMISSIONS = [
    "view_cannedmessage",
    "add_cannedmessage",
    "change_cannedmessage",
    "view_cannedcategory",
    "add_cannedcategory",
    "change_cannedcategory",
]
