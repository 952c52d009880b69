#!/usr/bin/env bash
# Predict videos in NPROC processes per machine with torchrun (CPU: gloo, the cores shared;
# GPUs: add --device cuda, one GPU per process):
#   tools/dist_predict.sh CONFIG CHECKPOINT NPROC INPUT [INPUT ...] [predict.py options]
# Several machines: run it on each with NNODES, NODE_RANK and MASTER_ADDR set (README).
# torchrun is taken next to $PYTHON (default: the repository's .venv, else python3), or run
# as `python -m torch.distributed.run`.
set -euo pipefail
if [ $# -lt 4 ]; then
    echo "usage: $0 CONFIG CHECKPOINT NPROC INPUT [INPUT ...] [options]" >&2
    exit 2
fi
CONFIG=$1
CHECKPOINT=$2
NPROC=$3
shift 3
HERE="$(cd "$(dirname "$0")" && pwd)"
VENV_PYTHON="$HERE/../.venv/bin/python"
if [ -z "${PYTHON:-}" ]; then
    if [ -x "$VENV_PYTHON" ]; then PYTHON="$VENV_PYTHON"; else PYTHON=python3; fi
fi
if [ -x "$(dirname "$PYTHON")/torchrun" ]; then
    TORCHRUN=("$(dirname "$PYTHON")/torchrun")
else
    TORCHRUN=("$PYTHON" -m torch.distributed.run)
fi
"${TORCHRUN[@]}" --nnodes="${NNODES:-1}" --node-rank="${NODE_RANK:-0}" \
    --master-addr="${MASTER_ADDR:-127.0.0.1}" --master-port="${PORT:-29501}" \
    --nproc-per-node="$NPROC" \
    "$HERE/predict.py" "$CONFIG" "$CHECKPOINT" "$@" --launcher pytorch
