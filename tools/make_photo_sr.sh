#!/usr/bin/env bash
# Reproduce the shipped x4 photo super-resolution bundle models/photo-sr4/ from scikit-image's photos (no download).
# Usage: SEED=0 L1_STEPS=10000 GAN_STEPS=4000 tools/make_photo_sr.sh
# Trains G and its PatchGAN D (tools/train_photo_sr.py, about 20 minutes on 2 cores), exports them, and measures the
# held-out photos (tools/sr_held_out.py -> models/photo-sr4/held_out.json, README and docs/results.md tables).
set -euo pipefail
cd "$(dirname "$0")/.."
SEED=${SEED:-0}
RUN=${RUN:-runs/photo-sr4}
OUT=models/photo-sr4

python tools/train_photo_sr.py --out "$RUN" --seed "$SEED" --l1-steps "${L1_STEPS:-10000}" --gan-steps "${GAN_STEPS:-4000}"
# int8 calibration and parity pictures: 256x256 crops of the training photos (G sees their bicubic / 4)
python -c "import numpy as np, sys; from edgegan.photo_sr import calibration_crops as c; np.savez_compressed(sys.argv[1], images=c(seed=$SEED))" "$RUN/calibration.npz"
# LiteRT files at 64x64 (a tile: the runtime covers larger pictures with them; tools/bench_sr.py times larger
# tiles, which a user can export from generator.keras), ONNX files at any size.
# Left out: ORT and the dynamic-range files (to keep the bundle small), ONNX fp16 (it misses its bound on Arm CPUs,
# as for models/mnist-dcgan), the discriminator's int8 files (they sit on their bound: |dP| 0.030 to 0.035 against 0.03).
edgegan export --model "$RUN" --output-range 0,1 --input-size 64,64 --format onnx,tflite \
  --precision fp32,fp16,int8,int8-io --skip onnx/fp16,discriminator:onnx/int8,discriminator:tflite/int8,discriminator:tflite/int8-io \
  --calibration-data "$RUN/calibration.npz" --seed "$SEED" --out "$OUT"
cp "$RUN/training.json" "$OUT/training.json"
python tools/sr_held_out.py "$OUT" --json "$OUT/held_out.json" --picture docs/photo-sr4.png
python tools/fill_docs.py --render
edgegan verify "$OUT"
