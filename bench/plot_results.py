"""One latency-against-load plot from several chat-load results (e.g. SQLite and PostgreSQL, one
and two server processes), for docs/performance.md.

    python bench/plot_results.py docs/performance-latency.png bench/results/chat-load-a.json ...

Each target of each file is one series, labelled "<target> (<database>, <n> proc)".
"""

import json
import sys
from pathlib import Path

from chat_load import plot_series


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    series = []
    for name in sys.argv[2:]:
        result = json.loads(Path(name).read_text())
        for target in result["targets"]:
            label = f"{target['target']} ({result['database']}, {result['servers']} proc)"
            series.append((label, target["steps"]))
    chats = sorted({json.loads(Path(n).read_text())["chats"] for n in sys.argv[2:]})
    plot_series(series, sys.argv[1], f"{', '.join(map(str, chats))} chats, one client process")
    return 0


if __name__ == "__main__":
    sys.exit(main())
