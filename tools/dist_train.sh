#!/usr/bin/env bash
# Distributed training on one machine: tools/dist_train.sh CONFIG NUM_GPUS [train.py options]
set -euo pipefail
CONFIG=$1
GPUS=$2
shift 2
PORT=${PORT:-29500}
torchrun --nproc_per_node="$GPUS" --master_port="$PORT" \
    "$(dirname "$0")/train.py" "$CONFIG" --launcher pytorch "$@"
