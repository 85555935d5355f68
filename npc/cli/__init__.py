"""The ``npc`` command line: ``npc classify``, ``train``, ``predict``, ``compare`` and ``datasets``.

A thin layer over the library: data from :mod:`npc.datasets`, models from
:data:`~npc.cli.models.MODELS`, the neighbour search from :func:`npc.kernel.nearest`, the
vote from :meth:`NCDClassifier.predict_from_neighbors`, scores from :mod:`npc.evaluation`.
Notes and progress go to stderr; the report (or the predicted labels) to stdout.

Exit codes: 0 success; 2 the command cannot run as given (bad option, unknown or
unavailable data set, missing column); 1 failure while running; 130 interrupted (Ctrl-C), 143
stopped by SIGTERM. Output cut short by its reader (``npc … | head -1``) is no failure: 0.
Errors are one line on stderr (``NPC_DEBUG=1`` shows the traceback).

One module per concern:

- ``classify``, ``train``, ``predict``, ``compare``, ``datasets``: one module per
  subcommand, each with its :class:`Command` (arguments and the function that runs it),
  listed in :data:`COMMANDS`;
- ``models``: the ``--model`` registry; a model is one :class:`Model` entry naming the
  model options it takes (any other given is refused, exit 2);
- ``running``: fitting and predicting with the notes a long job needs, the Dask cluster;
- ``report``: the text report, the JSON report and its provenance;
- ``data``: loading a split for a command, and the words that describe it;
- ``options``: argument types and options every command shares;
- ``errors``: the error policy (what is exit 2, what is a failure, how it is worded).
"""

from __future__ import annotations

import argparse
import sys

from npc import __version__
from npc.cli import classify, compare, datasets, predict, train
from npc.cli.errors import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, run_command
from npc.cli.models import AUTO_FOLDS, AUTO_K, MODEL_OPTIONS, MODELS, Model
from npc.cli.options import Command

__all__ = ["AUTO_FOLDS", "AUTO_K", "COMMANDS", "EXIT_FAILURE", "EXIT_OK", "EXIT_USAGE", "MODELS", "MODEL_OPTIONS",
           "Command", "Model", "UsageError", "build_parser", "main"]

COMMANDS: list[Command] = [classify.COMMAND, train.COMMAND, predict.COMMAND, compare.COMMAND, datasets.COMMAND]
"""The subcommands, in the order ``npc --help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="npc", description="Compression-based text classification (normalized compression distance, kNN).",
        epilog="Run `npc COMMAND --help` for the options of a command.")
    parser.add_argument("--version", action="version", version=f"npc {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        sub = commands.add_parser(command.name, help=command.help,
                                  description=command.help[0].upper() + command.help[1:] + ".")
        command.add_arguments(sub)
        sub.set_defaults(run=command.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``npc`` command line with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    try:
        options = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version and usage errors (argparse printed them)
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    options.argv = argv
    return run_command(options)
