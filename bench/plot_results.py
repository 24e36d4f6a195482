"""One latency-against-load plot from several chat-load results (e.g. SQLite and PostgreSQL, one
and two server processes), for docs/performance.md.

    python bench/plot_results.py docs/performance-latency.png bench/results/chat-load-a.json \
        bench/results/chat-load-b.json:app ...

Each target of each file is one series, labelled "<target> (<database>, <n> proc)"; a file name
followed by `:target,target` plots only those targets of it.
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
    names = []
    for arg in sys.argv[2:]:
        name, _, only = arg.partition(":")
        names.append(name)
        result = json.loads(Path(name).read_text())
        for target in result["targets"]:
            if only and target["target"] not in only.split(","):
                continue
            label = f"{target['target']} ({result['database']}, {result['servers']} proc)"
            series.append((label, target["steps"]))
    chats = sorted({json.loads(Path(n).read_text())["chats"] for n in names})
    plot_series(series, sys.argv[1], f"{', '.join(map(str, chats))} chats, one client process")
    return 0


if __name__ == "__main__":
    sys.exit(main())
