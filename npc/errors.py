"""The base of every error npc raises on purpose: :class:`NPCError`.

npc's refusals (unusable texts, labels or parameter values, a data set it cannot read,
a cache folder of another job, an unreachable cluster) and its failures that it
explains (a worker process died) all derive from it, and their message is written for
the user. Anything else that escapes npc is a bug. The command line tells them apart by
this class alone: an ``NPCError`` is printed as it is and ends the command with its
:attr:`~NPCError.exit_code`; any other exception is reported as an internal failure.

This module imports nothing, so that every part of npc (the kernel's worker processes
too) can use it.

>>> from npc.errors import NPCError
>>> from npc._validation import InvalidInputError
>>> issubclass(InvalidInputError, NPCError), InvalidInputError.exit_code
(True, 2)
"""

__all__ = ["NPCError"]


class NPCError(Exception):
    """An error npc raises on purpose; its message says what went wrong, for the user.

    Subclasses keep their standard-library base too (``InvalidInputError`` is a
    ``ValueError``), so code catching those keeps working.

    Attributes
    ----------
    exit_code : int
        The exit status of the ``npc`` command that ends with this error: 2 (the
        command cannot run as given; the default) or 1 (a failure while running).
    """

    exit_code = 2
