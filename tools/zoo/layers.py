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


@keras.saving.register_keras_serializable(package="user")
class SPADE(keras.layers.Layer):
    """keras.io's GauGAN normalization: x normalized by its moments over ``axes`` (keras.io: 0, 1, 2, the batch
    included, at inference too), then scaled and shifted by maps made from the segmentation map resized (nearest)
    to x's size."""

    def __init__(self, filters, axes=(0, 1, 2), hidden=128, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.axes, self.hidden, self.epsilon = filters, tuple(axes), hidden, epsilon
        self.conv = keras.layers.Conv2D(hidden, 3, padding="same", activation="relu")
        self.conv_gamma = keras.layers.Conv2D(filters, 3, padding="same")
        self.conv_beta = keras.layers.Conv2D(filters, 3, padding="same")

    def build(self, x_shape, seg_shape):
        self.conv.build((*x_shape[:3], seg_shape[3]))
        self.conv_gamma.build((*x_shape[:3], self.hidden))
        self.conv_beta.build((*x_shape[:3], self.hidden))

    def call(self, x, seg):
        seg = keras.ops.image.resize(seg, tuple(x.shape[1:3]), interpolation="nearest")
        h = self.conv(seg)
        mean, var = keras.ops.moments(x, axes=self.axes, keepdims=True)
        return self.conv_gamma(h) * (x - mean) / keras.ops.sqrt(var + self.epsilon) + self.conv_beta(h)

    def get_config(self):
        extra = {"filters": self.filters, "axes": self.axes, "hidden": self.hidden, "epsilon": self.epsilon}
        return {**super().get_config(), **extra}


@keras.saving.register_keras_serializable(package="user")
class SPADEResBlock(keras.layers.Layer):
    """keras.io's GauGAN ResBlock: SPADE, leaky relu, conv, twice; a learned skip when the width changes."""

    def __init__(self, filters, in_filters, axes=(0, 1, 2), hidden=128, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.in_filters, self.axes, self.hidden = filters, in_filters, tuple(axes), hidden
        self.spade_1 = SPADE(in_filters, axes, hidden)
        self.spade_2 = SPADE(filters, axes, hidden)
        self.conv_1 = keras.layers.Conv2D(filters, 3, padding="same")
        self.conv_2 = keras.layers.Conv2D(filters, 3, padding="same")
        self.learned_skip = filters != in_filters
        if self.learned_skip:
            self.spade_3 = SPADE(in_filters, axes, hidden)
            self.conv_3 = keras.layers.Conv2D(filters, 3, padding="same")

    def build(self, x_shape, seg_shape):
        inner = (*x_shape[:3], self.filters)
        for spade, shape in ((self.spade_1, x_shape), (self.spade_2, inner)):
            spade.build(shape, seg_shape)
        self.conv_1.build(x_shape)
        self.conv_2.build(inner)
        if self.learned_skip:
            self.spade_3.build(x_shape, seg_shape)
            self.conv_3.build(x_shape)

    def call(self, x, seg):
        h = self.conv_1(keras.ops.leaky_relu(self.spade_1(x, seg), 0.2))
        h = self.conv_2(keras.ops.leaky_relu(self.spade_2(h, seg), 0.2))
        skip = self.conv_3(keras.ops.leaky_relu(self.spade_3(x, seg), 0.2)) if self.learned_skip else x
        return skip + h

    def get_config(self):
        extra = {"filters": self.filters, "in_filters": self.in_filters, "axes": self.axes, "hidden": self.hidden}
        return {**super().get_config(), **extra}


# keras.io's StyleGAN layers (examples/generative/stylegan.py), registered so that the fixture saves and loads
@keras.saving.register_keras_serializable(package="user")
def pixel_norm(x, epsilon=1e-8):
    return x / keras.ops.sqrt(keras.ops.mean(x**2, axis=-1, keepdims=True) + epsilon)


@keras.saving.register_keras_serializable(package="user")
class EqualizedConv(keras.layers.Layer):
    def __init__(self, out_channels, kernel=3, gain=2, **kwargs):
        super().__init__(**kwargs)
        self.kernel, self.out_channels, self.gain, self.pad = kernel, out_channels, gain, kernel != 1

    def build(self, input_shape):
        self.in_channels = input_shape[-1]
        init = keras.initializers.RandomNormal(mean=0.0, stddev=1.0)
        self.w = self.add_weight(shape=[self.kernel, self.kernel, self.in_channels, self.out_channels],
                                 initializer=init, name="kernel")  # fmt: skip
        self.b = self.add_weight(shape=(self.out_channels,), initializer="zeros", name="bias")
        self.scale = float((self.gain / (self.kernel * self.kernel * self.in_channels)) ** 0.5)

    def call(self, inputs):
        x = keras.ops.pad(inputs, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="reflect") if self.pad else inputs
        return keras.ops.conv(x, self.scale * self.w, strides=1, padding="valid") + self.b

    def compute_output_shape(self, input_shape):
        return input_shape[:-1] + (self.out_channels,)

    def get_config(self):
        return {**super().get_config(), "out_channels": self.out_channels, "kernel": self.kernel, "gain": self.gain}


@keras.saving.register_keras_serializable(package="user")
class EqualizedDense(keras.layers.Layer):
    def __init__(self, units, gain=2, learning_rate_multiplier=1, **kwargs):
        super().__init__(**kwargs)
        self.units, self.gain, self.learning_rate_multiplier = units, gain, learning_rate_multiplier

    def build(self, input_shape):
        self.in_channels = input_shape[-1]
        init = keras.initializers.RandomNormal(mean=0.0, stddev=1.0 / self.learning_rate_multiplier)
        self.w = self.add_weight(shape=[self.in_channels, self.units], initializer=init, name="kernel")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")
        self.scale = float((self.gain / self.in_channels) ** 0.5)

    def call(self, inputs):
        return keras.ops.add(keras.ops.matmul(inputs, self.scale * self.w), self.b) * self.learning_rate_multiplier

    def get_config(self):
        extra = {"units": self.units, "gain": self.gain, "learning_rate_multiplier": self.learning_rate_multiplier}
        return {**super().get_config(), **extra}


@keras.saving.register_keras_serializable(package="user")
class AddNoise(keras.layers.Layer):
    def build(self, input_shape):
        c = input_shape[0][-1]
        init = keras.initializers.RandomNormal(mean=0.0, stddev=1.0)
        self.b = self.add_weight(shape=[1, 1, 1, c], initializer=init, name="kernel")

    def call(self, inputs):
        x, noise = inputs
        return x + self.b * noise


@keras.saving.register_keras_serializable(package="user")
class AdaIN(keras.layers.Layer):
    def __init__(self, gain=1, **kwargs):
        super().__init__(**kwargs)
        self.gain = gain

    def build(self, input_shapes):
        self.x_channels = input_shapes[0][-1]
        self.dense_1 = EqualizedDense(self.x_channels, gain=1)
        self.dense_2 = EqualizedDense(self.x_channels, gain=1)
        self.dense_1.build(input_shapes[1])
        self.dense_2.build(input_shapes[1])

    def call(self, inputs):
        x, w = inputs
        ys = keras.ops.reshape(self.dense_1(w), (-1, 1, 1, self.x_channels))
        yb = keras.ops.reshape(self.dense_2(w), (-1, 1, 1, self.x_channels))
        return ys * x + yb

    def get_config(self):
        return {**super().get_config(), "gain": self.gain}


@keras.saving.register_keras_serializable(package="user")
class InstanceNormalization(keras.layers.Layer):
    """tensorflow_examples' pix2pix InstanceNormalization (TensorFlow's CycleGAN tutorial): moments over H, W,
    a learned scale (initialised around 1) and offset."""

    def __init__(self, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def build(self, input_shape):
        init = keras.initializers.RandomNormal(1.0, 0.02)
        self.scale = self.add_weight(name="scale", shape=input_shape[-1:], initializer=init)
        self.offset = self.add_weight(name="offset", shape=input_shape[-1:], initializer="zeros")

    def call(self, x):
        mean, variance = tf.nn.moments(x, axes=[1, 2], keepdims=True)
        return self.scale * (x - mean) * tf.math.rsqrt(variance + self.epsilon) + self.offset

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="user")
class AdaptiveInstanceNorm(keras.layers.Layer):
    """keras.io's AdaIN style transfer, ada_in(style, content): the content's features given the style's per-channel
    mean and standard deviation (tf.nn.moments over H, W)."""

    def __init__(self, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def call(self, inputs):
        style, content = inputs
        c_mean, c_var = tf.nn.moments(content, axes=[1, 2], keepdims=True)
        s_mean, s_var = tf.nn.moments(style, axes=[1, 2], keepdims=True)
        c_std, s_std = tf.sqrt(c_var + self.epsilon), tf.sqrt(s_var + self.epsilon)
        return s_std * (content - c_mean) / c_std + s_mean

    def compute_output_shape(self, input_shapes):
        return input_shapes[1]

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="user")
class MinibatchStd(keras.layers.Layer):
    """keras.io StyleGAN's minibatch_std: the mean standard deviation of each group of up to 4 pictures of the
    batch, as one more channel. A statistic over the batch at inference (the export finds it: --batch-one)."""

    def __init__(self, group_size=4, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.group_size, self.epsilon = group_size, epsilon

    def call(self, x):
        h, w, c = x.shape[1:]
        g = keras.ops.minimum(self.group_size, keras.ops.shape(x)[0])
        groups = keras.ops.reshape(x, (g, -1, h, w, c))
        std = keras.ops.sqrt(keras.ops.var(groups, axis=0) + self.epsilon)
        avg = keras.ops.mean(std, axis=(1, 2, 3), keepdims=True)
        return keras.ops.concatenate([x, keras.ops.tile(avg, (g, h, w, 1))], axis=-1)

    def compute_output_shape(self, s):
        return (*s[:3], s[3] + 1)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size, "epsilon": self.epsilon}
