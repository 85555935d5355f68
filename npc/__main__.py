"""The ``npc`` command (``python -m npc`` or the ``npc`` script): Ctrl-C handled from the start."""

import sys

from npc._interrupt import EXIT_INTERRUPTED, interrupted_message, route_interrupts_to_main_thread, stop_routing


def main() -> int:
    """Run :func:`npc.cli.main` on ``sys.argv``, with Ctrl-C handled even during its imports."""
    try:
        route_interrupts_to_main_thread()
        from npc.cli import main as run_command  # numpy, scikit-learn, pyarrow: seconds

        code = run_command()
    except KeyboardInterrupt:  # during the imports or argument parsing: nothing started yet
        print(f"\n{interrupted_message()}", file=sys.stderr, flush=True)
        code = EXIT_INTERRUPTED
    stop_routing()
    return code


if __name__ == "__main__":
    sys.exit(main())
