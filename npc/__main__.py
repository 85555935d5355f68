"""The ``npc`` command (``python -m npc`` or the ``npc`` script): Ctrl-C and SIGTERM handled from the start."""

import signal
import sys

__all__ = ["main"]


def main() -> int:
    """Run :func:`npc.cli.main` on ``sys.argv``, with Ctrl-C and SIGTERM handled even during its imports."""
    if hasattr(signal, "pthread_sigmask"):
        # Before any import: a Ctrl-C or SIGTERM from here on waits, blocked, for the watcher thread
        # (npc/_interrupt.py).
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    from npc import _interrupt

    try:
        _interrupt.route_interrupts_to_main_thread()
        _interrupt.tie_children_to_this_process()  # workers exit even if this process is killed (kill -9)
        from npc.cli import main as run_command  # numpy, scikit-learn, pyarrow: seconds

        code = run_command()
    except KeyboardInterrupt:  # during the imports or argument parsing: nothing started yet
        print(f"\n{_interrupt.interrupted_message()}", file=sys.stderr, flush=True)
        code = _interrupt.exit_code()
    _interrupt.stop_routing()
    return code


if __name__ == "__main__":
    sys.exit(main())
