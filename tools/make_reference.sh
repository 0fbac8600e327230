#!/usr/bin/env bash
# Reproduce the shipped models end to end from the shared MNIST sample (8,000 real digits):
#   models/mnist-classifier/  (the evaluator's classifier)   models/mnist-dcgan/  (the reference bundle)
# Usage: DATA=../shared/data/mnist EPOCHS=60 SEED=0 tools/make_reference.sh   (RESUME=1 continues RUN)
# Takes about 75 minutes on 2 cores (training is ~0.27 s per step at batch 32 on an AVX2 machine).
# The shipped run's history is in models/mnist-dcgan/training.json: epochs 1-24 ran an earlier train step
# (two G forwards, plain convolutions, no weight average; commit in "git_commit"), epochs 25-60 the current one
# (the "resumed_with" lines name their commits). A fresh run of this script trains all 60 epochs with
# the current step: same recipe, not the same bits.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data/mnist}
EPOCHS=${EPOCHS:-60}
SEED=${SEED:-0}
RUN=${RUN:-runs/mnist-dcgan}

python tools/train_classifier.py --data "$DATA" --out models/mnist-classifier --seed "$SEED"
edgegan train --data "$DATA" --epochs "$EPOCHS" --seed "$SEED" --out "$RUN" ${RESUME:+--resume}
# Left out of the shipped bundle (recorded in its manifest as "skipped"; later exports of it inherit the list):
# - ONNX fp16: on Arm CPUs ONNX Runtime computes it in native fp16 and misses the 1e-2 bound (tools/pi_check).
# - the discriminator's ONNX/ORT int8 files: they miss the 97% real/fake agreement bound on this x86 CPU
#   (95.9% on 2,000 images: ONNX Runtime's u8s8 kernels without VNNI saturate; see edgegan/export/onnx.py to_int8).
#   Its LiteRT int8 files pass (98%+).
SKIP="onnx/fp16,discriminator:onnx/int8,discriminator:ort/int8"
edgegan export --model "$RUN" --format all --precision all --skip "$SKIP" --calibration-data "$DATA" --out models/mnist-dcgan
edgegan evaluate models/mnist-dcgan -n 2000 --real "$DATA" --json > models/mnist-dcgan/evaluation.json
edgegan evaluate models/mnist-dcgan -n 2000 --real "$DATA"
edgegan verify models/mnist-dcgan
