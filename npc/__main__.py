"""``python -m npc``: the ``npc`` command line."""

import sys

from npc.cli import main

sys.exit(main())
