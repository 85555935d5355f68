"""What every command shares: :class:`Command`, argument types, the common options, notes."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from npc.cli.errors import UsageError

__all__ = ["Command", "add_common_arguments", "check_output_path", "flag", "n_jobs", "note", "positive_int"]


@dataclass(frozen=True)
class Command:
    """One subcommand: its name, one-line help, arguments and the function that runs it."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def note(options: argparse.Namespace, message: str) -> None:
    """Print ``message`` on stderr unless ``--quiet``."""
    if not options.quiet:
        print(message, file=sys.stderr, flush=True)


def flag(dest: str) -> str:
    """The option of an argparse ``dest``: ``tie_break`` -> ``--tie-break``."""
    return "--" + dest.replace("_", "-")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def n_jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value == 0:
        raise argparse.ArgumentTypeError("0 workers cannot run anything; give a count, or -1 for all cores")
    return value


def add_common_arguments(parser) -> None:
    """``--data-dir`` and ``--quiet``, which every command takes."""
    parser.add_argument("--data-dir", metavar="DIR",
                        help="folder of <name>/<split>.parquet searched before $NPC_DATA_DIR")
    parser.add_argument("-q", "--quiet", action="store_true", help="no notes or progress on stderr")


def check_output_path(option: str, path) -> None:
    """Refuse, before any work, an output path whose folder is missing or that is a folder."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise UsageError(f"{option} {path}: is a folder; give a file name")
    if not path.parent.is_dir():
        raise UsageError(f"{option} {path}: its folder does not exist")
