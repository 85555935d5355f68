"""Experiments: the neighbour run files and the tables of ``results/`` derived from them.

Not part of the ``npc`` package. ``runs`` computes the expensive neighbour searches once,
``plan`` lists the runs every table needs, ``scoring`` holds the evaluation-only rules (the
paper's "oracle" tie counting, Wilson intervals), and ``tables`` turns run files into
``results/*.md`` and ``results/*.json``.
"""
