#!/usr/bin/env bash
# A sharded cdm-replay sweep on Slurm: a job array runs one shard per task, then a merge job that
# depends on the whole array writes the sweep.json and sweep.csv an unsharded run would.
#
#   SPEC=sweep.yaml SHARDS=8 OUT=sweep-out bash examples/slurm-sweep.sh   # submits both jobs
#
# Each task resumes its own shard (--resume), so a requeued or re-submitted task continues where
# it stopped. Set CDM_REPLAY to the command that runs the CLI (default: npx cdm-replay).
#SBATCH --job-name=cdm-sweep
#SBATCH --cpus-per-task=8
#SBATCH --time=04:00:00
set -euo pipefail

SPEC=${SPEC:-sweep.yaml}
OUT=${OUT:-sweep-out}
SHARDS=${SHARDS:-8}
CDM_REPLAY=${CDM_REPLAY:-npx cdm-replay}

if [[ -z "${SLURM_ARRAY_TASK_ID:-}" ]]; then
  # Submitting: the array (task ids 0..SHARDS-1), then the merge once every task has ended
  # (afterany: a shard whose runs partly failed exits 5 but still has results to merge).
  script=$(realpath "${BASH_SOURCE[0]}")
  array=$(sbatch --parsable --array="0-$((SHARDS - 1))" --export=ALL,SPEC="$SPEC",OUT="$OUT" "$script")
  sbatch --parsable --dependency="afterany:${array%%;*}" --job-name=cdm-sweep-merge \
    --wrap="$CDM_REPLAY merge $OUT/shard-* --out $OUT/merged"
  exit 0
fi

# An array task: Slurm numbers tasks from 0, shards are numbered from 1.
shard=$((SLURM_ARRAY_TASK_ID + 1))
$CDM_REPLAY sweep "$SPEC" --shard "$shard/$SLURM_ARRAY_TASK_COUNT" \
  --jobs "${SLURM_CPUS_PER_TASK:-1}" --out "$OUT/shard-$shard" --resume
