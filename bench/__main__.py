"""`python -m bench`: measure the bot at scale (see bench/README.md)."""

import sys

from bench.runner import main

sys.exit(main())
