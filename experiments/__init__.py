"""Experiments: the neighbour run files and the tables of ``results/`` derived from them.

Not part of the ``npc`` package. Every script runs from the repository root as
``python -m experiments.<module>``, with ``NPC_DATA_DIR`` naming the folder of the data sets.

- ``plan``: the registry of runs, the run files each table needs.
- ``runs``: computes and rechecks run files (``results/runs/*.npz``), one runner for every plan.
- ``tables``: turns run files into ``results/*.md`` and ``results/*.json``.
- ``cells``: the accuracies of one run file, and baselines fitted on its rows.
- ``scoring``: evaluation-only rules (the paper's "oracle" tie counting, Wilson intervals).
- ``reference``: published figures the tables compare against.
- ``report``: writes table files, the index of ``results/`` and the ledger of run files.
- ``resources``: the commit, the machine description and peak memory of a process tree.
- ``bench_kernel``: the kernel benchmark, ``results/bench_kernel.{md,json}``.
- ``bench_cluster``: default chunking on 1 and 2 workers, per-chunk cost of local workers and of a
  loopback Dask cluster, full jobs projected to 8-256 workers, ``results/bench_cluster.{md,json}``.
- ``make_20news_paper_text``: builds the ``20news_paper_text`` set from the raw by-date posts.
- ``make_imdb_sample``: draws the embedded ``imdb-sample`` from the full IMDb set.
- ``cli_measurements.sh``: times the README's ``npc classify`` commands.
"""
