"""`python -m playground.soak`: the soak test of a local playground (the code is in `playground/bench/soak.py`)."""

from __future__ import annotations

import sys

from playground.bench.soak import main

if __name__ == "__main__":
    sys.exit(main())
