"""Custom Keras layers as users write them (keras.io's CycleGAN, SRGAN's pixel shuffle): the file a test hands
to ``edgegan export --custom-objects``. Imported by the export tier only; exported files carry plain operators."""

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="user")
class ReflectionPadding2D(keras.layers.Layer):
    """keras.io's CycleGAN padding layer: reflect-pad height and width."""

    def __init__(self, padding=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.padding = tuple(padding)

    def call(self, x):
        pw, ph = self.padding
        return tf.pad(x, [[0, 0], [ph, ph], [pw, pw], [0, 0]], mode="REFLECT")

    def compute_output_shape(self, s):
        pw, ph = self.padding
        return (s[0], None if s[1] is None else s[1] + 2 * ph, None if s[2] is None else s[2] + 2 * pw, s[3])

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


@keras.saving.register_keras_serializable(package="user")
class DepthToSpace(keras.layers.Layer):
    """SRGAN's sub-pixel upsampling (Keras has no such layer)."""

    def __init__(self, block_size=2, **kwargs):
        super().__init__(**kwargs)
        self.block_size = block_size

    def call(self, x):
        return tf.nn.depth_to_space(x, self.block_size)

    def compute_output_shape(self, s):
        b = self.block_size
        return (s[0], None if s[1] is None else s[1] * b, None if s[2] is None else s[2] * b, s[3] // (b * b))

    def get_config(self):
        return {**super().get_config(), "block_size": self.block_size}
