"""The generator's last convolution (64 -> 1 channel, 3x3, 28x28, batch 32), forward + both gradients, in four
equivalent forms: is there a cheaper way to train it than tf.nn.conv2d? (tools/profile_train_step.py puts its
two gradients at 52 ms of a ~250 ms step.)

    python tools/bench_conv_forms.py
"""

import os
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402

x = tf.constant(np.random.default_rng(0).random((32, 28, 28, 64), np.float32))
k = tf.Variable(np.random.default_rng(1).random((3, 3, 64, 1), np.float32))


def grads(forward):
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = forward()
        loss = tf.reduce_sum(y * y)
    return tape.gradient(loss, [x, k])


FORMS = {
    "conv2d": lambda: tf.nn.conv2d(x, k, 1, "SAME"),
    "conv2d, output padded to 8 channels": lambda: tf.nn.conv2d(x, tf.pad(k, [[0, 0]] * 3 + [[0, 7]]), 1, "SAME")[
        ..., :1
    ],
    "patches + matmul": lambda: tf.matmul(
        tf.reshape(tf.image.extract_patches(x, [1, 3, 3, 1], [1] * 4, [1] * 4, "SAME"), (-1, 576)),
        tf.reshape(k, (576, 1)),
    ),
    "9 shifted tensordots": lambda: sum(
        tf.tensordot(tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]])[:, i : i + 28, j : j + 28, :], k[i, j], 1)
        for i in range(3)
        for j in range(3)
    ),
}


def main() -> None:
    ref = None
    print("| form | ms (forward + gradients) | max relative difference |\n| --- | --- | --- |")
    for name, forward in FORMS.items():
        fn = tf.function(lambda forward=forward: grads(forward))
        out = fn()
        ref = out if ref is None else ref
        err = max(float(tf.reduce_max(tf.abs(a - b)) / tf.reduce_max(tf.abs(a))) for a, b in zip(out, ref))
        for _ in range(3):
            fn()
        t = time.perf_counter()
        for _ in range(20):
            [o.numpy() for o in fn()]
        print(f"| {name} | {(time.perf_counter() - t) / 20 * 1e3:.1f} | {err:.1e} |")


if __name__ == "__main__":
    main()
