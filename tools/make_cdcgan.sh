#!/usr/bin/env bash
# Reproduce the shipped conditional model models/mnist-cdcgan/ from the shared MNIST sample (8,000 digits + labels).
# Usage: DATA=../shared/data/mnist EPOCHS=30 SEED=0 tools/make_cdcgan.sh   (RESUME=1 continues RUN)
# The discriminator takes the label by projection: chosen by tools/conditional_trials.py (docs/design.md,
# "Conditional models"). The run's wall time is in models/mnist-cdcgan/training.json.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data/mnist}
EPOCHS=${EPOCHS:-30}
SEED=${SEED:-0}
RUN=${RUN:-runs/mnist-cdcgan}
OUT=models/mnist-cdcgan

edgegan train --data "$DATA" --conditional --epochs "$EPOCHS" --seed "$SEED" --out "$RUN" ${RESUME:+--resume}
# ONNX fp16 left out as for models/mnist-dcgan (tools/make_reference.sh): it misses its bound on Arm CPUs.
edgegan export --model "$RUN" --format all --precision all --skip onnx/fp16 --calibration-data "$DATA" --out "$OUT"
edgegan evaluate "$OUT" -n 2000 --real "$DATA" --json > "$OUT/evaluation.json"
for f in tflite/int8 onnx/int8; do  # the int8 files' label accuracy, against the fp32 one above
  edgegan evaluate "$OUT" -n 2000 --real "$DATA" --backend "${f%/*}" --precision "${f#*/}" --json \
    > "$OUT/evaluation.${f%/*}-${f#*/}.json"
done
edgegan evaluate "$OUT" -n 2000 --real "$DATA"
edgegan generate --model "$OUT" --label all -n 10 -o "$OUT/samples.png"
edgegan verify "$OUT"
python tools/conditional_per_class.py "$RUN" --data "$DATA" --json docs/conditional_generator.json --name "concat, $EPOCHS epochs"
python tools/fill_docs.py --render   # README.md and docs/results.md from the new records
