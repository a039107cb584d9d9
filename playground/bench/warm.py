"""Warm start, measured in a fresh process: the first Compare click after the status says ready, against later
clicks (bert-base + gpt2 shapes, random weights; the click is the tab's UI event, outputs post-processed).

    python -m playground.bench.warm [--cold]      (prints one JSON line: first click and later clicks, in ms)

--cold skips the warm start: the first click then pays for everything the warm start does.
"""

from __future__ import annotations

import argparse
import dataclasses
import json

from playground.bench.compare import TEXT, _click_event, _timed_click
from playground.bench.timing import bench_models
from playground.models.warm import WarmStart
from playground.ui.page import start_preload


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cold", action="store_true")
    parser.add_argument("--later", type=int, default=5)
    args = parser.parse_args()
    ctx, bert, gpt = bench_models()
    ctx = dataclasses.replace(ctx, warm=None if args.cold else WarmStart())
    if not args.cold:
        start_preload(ctx)
        ctx.warm.wait()
        assert ctx.warm.status().startswith("✅"), ctx.warm.status()
    event = _click_event(ctx)
    inputs = [TEXT, 5, "", 1, 1, bert.name, gpt.name, False]
    first = _timed_click(event, inputs)[-1]
    later = [_timed_click(event, inputs)[-1] for _ in range(args.later)]
    print(json.dumps({"first_ms": first * 1000, "later_ms": [t * 1000 for t in later]}))


if __name__ == "__main__":
    main()
