#!/usr/bin/env bash
# Distributed training with torchrun, on CPUs (gloo) or CUDA GPUs (nccl), one or more nodes:
#   tools/dist_train.sh CONFIG NPROC_PER_NODE [train.py options]
# Multi-node: run it on every node with the same MASTER_ADDR / MASTER_PORT and NNODES, and
# NODE_RANK 0..NNODES-1 (README, "Distributed training", has a 2-node and a SLURM example).
# The Python is $PYTHON, else the active virtualenv's, else the repository's .venv, else
# python3; torchrun is taken from beside it (else `python -m torch.distributed.run`).
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: $0 CONFIG NPROC_PER_NODE [train.py options]" >&2
    exit 2
fi
CONFIG=$1
NPROC=$2
shift 2
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${PYTHON:-}" ]; then
    if [ -n "${VIRTUAL_ENV:-}" ] && [ -x "$VIRTUAL_ENV/bin/python" ]; then
        PYTHON=$VIRTUAL_ENV/bin/python
    elif [ -x "$ROOT/.venv/bin/python" ]; then
        PYTHON=$ROOT/.venv/bin/python
    else
        PYTHON=$(command -v python3)
    fi
fi
TORCHRUN=$(dirname "$PYTHON")/torchrun
if [ -x "$TORCHRUN" ]; then
    LAUNCH=("$TORCHRUN")
else
    LAUNCH=("$PYTHON" -m torch.distributed.run)
fi
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
exec "${LAUNCH[@]}" --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" --master_port="${MASTER_PORT:-${PORT:-29500}}" \
    --nproc_per_node="$NPROC" "$ROOT/tools/train.py" "$CONFIG" --launcher pytorch "$@"
