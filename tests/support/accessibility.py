"""axe-core in the browser tests (axe-playwright-python): serious and critical findings fail."""

from axe_playwright_python.sync_playwright import Axe

SERIOUS = {"serious", "critical"}


def assert_accessible(page_or_frame):
    """No serious or critical axe-core violation in the page (or frame) as it is now; the failure
    lists each one with its elements and why."""
    results = Axe().run(page_or_frame)
    found = [
        f"{violation['id']} ({violation['impact']}): {violation['help']}\n"
        + "\n".join(
            f"  {' '.join(node['target'])}: {node.get('failureSummary', '').splitlines()[-1].strip()}"
            for node in violation["nodes"]
        )
        for violation in results.response["violations"]
        if violation["impact"] in SERIOUS
    ]
    assert not found, "\n".join(found)
