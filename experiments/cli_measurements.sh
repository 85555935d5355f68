#!/usr/bin/env bash
# Time the README's first `npc classify` (embedded imdb-sample), a 2,000 x 1,000 run on the real
# IMDb data and the default `--train imdb` on 100 test reviews (which `experiments.tables imdb`
# compares with the full run file); write results/cli_measurements.md (+ the JSON of the IMDb runs).
# Usage, from the repository root with npc installed:
#   NPC_DATA_DIR=/path/to/data bash experiments/cli_measurements.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=results/cli_measurements.md
runs=(
    "classify"
    "classify --train imdb --n-train 2000 --n-test 1000 --output results/cli_imdb_2000x1000.json"
    "classify --train imdb --n-test 100 --output results/cli_imdb_full_train.json"
)
{
    echo "# npc classify: measured runs"
    echo
    echo "- command: \`NPC_DATA_DIR=$NPC_DATA_DIR bash experiments/cli_measurements.sh\`"
    echo "- commit: $(git rev-parse HEAD)"
    echo "- machine: $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
    echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "  (the machine is shared: a load above the core count slows every wall time)"
    for args in "${runs[@]}"; do
        echo
        echo "## npc $args"
        echo
        echo '```'
        # shellcheck disable=SC2086
        HF_DATASETS_OFFLINE=1 npc $args 2>&1
        echo '```'
        echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
    done
} > "$out"
cat "$out"
