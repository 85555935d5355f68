"""The command line's error policy: which errors end a command with which code and words.

- An :class:`~npc.errors.NPCError` (npc's refusals and explained failures, the command
  line's own :class:`UsageError` among them) and scikit-learn's ``InvalidParameterError``
  (a parameter value the estimator refuses) are printed as they are, one line; the exit
  code is the error's own (2 unless it says otherwise), 2 for scikit-learn's.
- Any other exception is a failure (exit 1): running out of memory and system errors in
  npc's words, anything else named an internal failure (a bug), with where it happened.
- Ctrl-C ends with 130, SIGTERM with 143, and one line saying what was kept; stdout closed by its reader (``npc … |
  head -1``) ends quietly with 0: the reader chose to stop, npc did not fail.
- Warnings are one line each, ``npc COMMAND: warning: MESSAGE``.

``NPC_DEBUG=1`` lets failures through with their traceback.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import select
import sys
import traceback
import warnings

from sklearn.utils._param_validation import InvalidParameterError

from npc._interrupt import exit_code as interrupt_exit_code
from npc._interrupt import interrupted_message
from npc.errors import NPCError

__all__ = ["EXIT_FAILURE", "EXIT_OK", "EXIT_USAGE", "OPTION_OF_PARAMETER", "UsageError", "failure", "in_option_names",
           "run_command"]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class UsageError(NPCError):
    """The command cannot run as given (exit code 2)."""


def run_command(options: argparse.Namespace) -> int:
    """Run the parsed command ``options.run(options)`` under the policy; return the exit code."""
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _one_line_warning(options.command)
            return options.run(options)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM (npc/_interrupt.py); joblib has stopped the workers on its way out
        print(f"\n{interrupted_message(getattr(options, 'cache_dir', None))}", file=sys.stderr, flush=True)
        return interrupt_exit_code()
    except Exception as error:  # one readable line instead of a traceback
        if isinstance(error, BrokenPipeError) and _reader_gone():  # as in `npc datasets | head -1`
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit-time flush is quiet
            return EXIT_OK  # the reader stopped reading, as it chose: not a failure of npc's
        code = _exit_code(error)
        if code != EXIT_USAGE and os.environ.get("NPC_DEBUG"):
            raise
        print(f"npc {options.command}: error: {failure(error)}", file=sys.stderr)
        return code


def _reader_gone() -> bool:
    """Whether stdout is a pipe whose reader has closed it (a broken pipe may be another one)."""
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):
        return False
    if not hasattr(select, "poll"):  # Windows: no way to ask; stdout is the pipe a command writes to
        return True
    poller = select.poll()
    poller.register(descriptor, select.POLLOUT)
    return any(events & select.POLLERR for _, events in poller.poll(0))


def _exit_code(error: Exception) -> int:
    if isinstance(error, NPCError):
        return error.exit_code
    return EXIT_USAGE if isinstance(error, InvalidParameterError) else EXIT_FAILURE


# The library's parameters that are command-line options, to word the library's messages.
OPTION_OF_PARAMETER = {"n_neighbors": "--k", "level": "--level", "compressor": "--compressor",
                       "tie_break": "--tie-break", "n_jobs": "--n-jobs", "cache_dir": "--cache-dir",
                       "random_state": "--seed", "n_per_class": "--n-per-class", "text_column": "--text-column",
                       "label_column": "--label-column"}
_SKLEARN_PARAMETER = re.compile(r"The '(\w+)' parameter of \w+ must be (.*)\. Got (.*) instead\.", re.DOTALL)


def in_option_names(message: str) -> str:
    """A library message in the command line's words: ``n_per_class=5`` -> ``--n-per-class 5``, and
    scikit-learn's "The 'level' parameter of X must be ..." -> "--level must be ..."."""
    parameter = _SKLEARN_PARAMETER.fullmatch(message)
    if parameter and parameter[1] in OPTION_OF_PARAMETER:
        return f"{OPTION_OF_PARAMETER[parameter[1]]} must be {parameter[2]}; got {parameter[3]}."
    for name, option in OPTION_OF_PARAMETER.items():
        message = re.sub(rf"\b{name}=(?=[^\s.,;)])", f"{option} ", message)
        message = re.sub(rf"\b{name}=", option, message)
    return message


def failure(error: Exception) -> str:
    """``error`` in npc's words: npc's own message as it is; anything else named an internal failure."""
    if isinstance(error, (NPCError, InvalidParameterError)):
        return in_option_names(str(error)) or type(error).__name__
    if isinstance(error, MemoryError):
        return ("out of memory; try fewer texts (--n-train, --n-test) or fewer workers (--n-jobs)"
                + (f" ({error})" if str(error) else ""))
    if isinstance(error, OSError) and error.strerror:
        return f"system error: {error.strerror}" + (f": {error.filename}" if error.filename else "")
    detail = f': "{error}"' if str(error) else ""
    return (f"internal failure ({type(error).__name__} in {_raised_in(error) or 'an unknown place'}{detail}); "
            "this is a bug: please report it with the traceback that NPC_DEBUG=1 shows")


def _raised_in(error: Exception) -> str:
    """The module of the innermost Python frame of ``error``'s traceback (to say where a bug is)."""
    frames = list(traceback.walk_tb(error.__traceback__))
    return frames[-1][0].f_globals.get("__name__", "") if frames else ""


def _one_line_warning(command: str):
    """A ``warnings.showwarning`` that prints ``npc COMMAND: warning: MESSAGE``, without source lines."""
    def show(message, category, filename, lineno, file=None, line=None):
        print(f"npc {command}: warning: {message}", file=sys.stderr, flush=True)
    return show
