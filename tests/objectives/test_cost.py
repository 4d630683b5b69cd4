"""`count_params`, `count_flops`, `model_size_bytes`: hand counts on small known models.

Each expected count is written out as arithmetic, one term per layer call, in the order of the
layers, so that a reader can check it against the conventions of `keras_nas.objectives.cost`.
"""

import keras
import pytest
from keras import layers

from keras_nas.objectives import count_flops, count_params, model_size_bytes
from keras_nas.search_spaces import (
    MacroSpace,
    MLPSpace,
    MobileNetSpace,
    NASBench201Space,
    NASNetCellSpace,
)


class _Scale(layers.Layer):
    """A custom layer with a weight, which `count_flops` does not know."""

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones")

    def call(self, inputs):
        return inputs * self.scale


def _small_cnn():
    inputs = keras.Input((8, 8, 3))
    x = layers.Conv2D(8, 3, padding="same")(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(16, 3, strides=2, padding="same")(x)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(x))


def test_a_small_cnn():
    expected = (
        (8 * 8) * (3 * 3) * 3 * 8  # conv 3x3 'same': 8x8 positions, 3 -> 8 channels
        + 8 * 8 * 8  # batch norm: one per output element
        + 0  # relu
        + (4 * 4 * 8) * (2 * 2)  # max pool 2x2: output elements x window
        + (2 * 2) * (3 * 3) * 8 * 16  # conv 3x3 stride 2: 2x2 positions, 8 -> 16 channels
        + 2 * 2 * 16  # global average pooling: input elements
        + 16 * 10  # dense
    )
    assert count_flops(_small_cnn(), strict=True) == expected == 19680


def _inverted_residual_block():
    """A MobileNetV3 block: 1x1 expand 16 -> 48, depthwise 3x3, squeeze-excite, 1x1 project,
    skip."""
    inputs = keras.Input((8, 8, 16))
    x = layers.Conv2D(48, 1, use_bias=False)(inputs)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    x = layers.DepthwiseConv2D(3, padding="same", use_bias=False)(x)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    s = layers.GlobalAveragePooling2D(keepdims=True)(x)
    s = layers.Conv2D(4, 1, activation="relu")(s)
    s = layers.Conv2D(48, 1, activation="sigmoid")(s)
    x = layers.Multiply()([x, s])
    x = layers.BatchNormalization()(layers.Conv2D(16, 1, use_bias=False)(x))
    outputs = layers.Add()([inputs, x])
    return keras.Model(inputs, outputs)


def test_a_mobilenet_inverted_residual_block_with_squeeze_excite():
    expected = (
        (8 * 8) * 16 * 48  # 1x1 expand
        + 8 * 8 * 48  # batch norm
        + (8 * 8) * (3 * 3) * 48  # depthwise 3x3
        + 8 * 8 * 48  # batch norm
        + 8 * 8 * 48  # squeeze: global average pooling of the input elements
        + 48 * 4  # reduce: 1x1 conv on one position
        + 4 * 48  # expand: 1x1 conv on one position
        + 8 * 8 * 48  # excite: multiply, 2 inputs -> 1 per output element
        + (8 * 8) * 48 * 16  # 1x1 project
        + 8 * 8 * 16  # batch norm
        + 8 * 8 * 16  # residual add
    )
    assert count_flops(_inverted_residual_block(), strict=True) == expected == 140672


def test_count_params_of_the_inverted_residual_block():
    expected = (
        16 * 48  # 1x1 expand, no bias
        + 4 * 48  # batch norm: gamma, beta, moving mean and variance
        + (3 * 3) * 48  # depthwise 3x3, no bias
        + 4 * 48  # batch norm
        + (48 * 4 + 4)  # squeeze-excite reduce: 1x1 conv with bias
        + (4 * 48 + 48)  # squeeze-excite expand: 1x1 conv with bias
        + 48 * 16  # 1x1 project, no bias
        + 4 * 16  # batch norm
        + 0  # global pooling, multiply and add hold no weights
    )
    model = _inverted_residual_block()
    assert count_params(model) == model.count_params() == expected == 2852


def test_separable_conv2d_is_a_depthwise_and_a_pointwise_part():
    inputs = keras.Input((6, 6, 4))
    outputs = layers.SeparableConv2D(8, 3, padding="same", depth_multiplier=2)(inputs)
    depthwise = (6 * 6) * (3 * 3) * 4 * 2
    pointwise = (6 * 6) * (4 * 2) * 8
    assert count_flops(keras.Model(inputs, outputs)) == depthwise + pointwise == 4896


def test_one_dimensional_convolutions_and_pooling():
    inputs = keras.Input((10, 4))
    valid = layers.Conv1D(6, 3)(inputs)
    grouped = layers.Conv1D(6, 3, groups=2)(inputs)
    depthwise = layers.DepthwiseConv1D(3, padding="same", depth_multiplier=2)(inputs)
    pooled = layers.AveragePooling1D(2)(inputs)
    model = keras.Model(inputs, [valid, grouped, depthwise, pooled])
    expected = (
        8 * 3 * 4 * 6  # 'valid': 10 - 3 + 1 = 8 positions, kernel 3, 4 -> 6 channels
        + 8 * 3 * (4 // 2) * 6  # two groups: each filter sees 2 of the 4 input channels
        + 10 * 3 * 4 * 2  # depthwise 'same', depth multiplier 2
        + (5 * 4) * 2  # average pool 2: output elements x window
    )
    assert count_flops(model, strict=True) == expected == 1144


def test_dense_on_a_sequence_counts_every_step():
    inputs = keras.Input((5, 8))
    model = keras.Model(inputs, layers.Dense(3)(inputs))
    assert count_flops(model) == 5 * 8 * 3


def test_conv2d_transpose_scatters_each_input_position():
    inputs = keras.Input((4, 4, 3))
    model = keras.Model(inputs, layers.Conv2DTranspose(2, 3, strides=2, padding="same")(inputs))
    assert count_flops(model) == (4 * 4) * (3 * 3) * 3 * 2


def test_channels_first_counts_like_channels_last():
    inputs = keras.Input((3, 8, 8))
    conv = layers.Conv2D(4, 3, padding="same", data_format="channels_first")
    model = keras.Model(inputs, conv(inputs))
    assert count_flops(model) == (8 * 8) * (3 * 3) * 3 * 4


def _block(inputs):
    x = layers.Conv2D(4, 3, padding="same")(inputs)
    return layers.ReLU()(layers.BatchNormalization()(x))


def test_a_nested_sequential_counts_as_its_flat_version():
    flat_inputs = keras.Input((8, 8, 3))
    x = layers.GlobalAveragePooling2D()(_block(flat_inputs))
    flat = keras.Model(flat_inputs, layers.Dense(2)(x))

    sequential = keras.Sequential(
        [keras.Input((8, 8, 3)), layers.Conv2D(4, 3, padding="same"), layers.BatchNormalization()]
    )
    inner_inputs = keras.Input((8, 8, 4))
    functional = keras.Model(inner_inputs, layers.ReLU()(inner_inputs))
    inputs = keras.Input((8, 8, 3))
    x = layers.GlobalAveragePooling2D()(functional(sequential(inputs)))
    nested = keras.Model(inputs, layers.Dense(2)(x))

    expected = (8 * 8) * (3 * 3) * 3 * 4 + 8 * 8 * 4 + 8 * 8 * 4 + 4 * 2
    assert count_flops(nested, strict=True) == count_flops(flat) == expected == 7432


def test_a_shared_layer_counts_once_per_call_at_that_call_s_shape():
    dense = layers.Dense(4)
    vector = keras.Input((4,))
    twice = keras.Model(vector, dense(dense(vector)))
    assert count_flops(twice) == 4 * 4 + 4 * 4

    conv = layers.Conv2D(2, 3, padding="same", use_bias=False)
    large, small = keras.Input((8, 8, 3)), keras.Input((4, 4, 3))
    model = keras.Model([large, small], [conv(large), conv(small)])
    assert count_flops(model) == (8 * 8) * (3 * 3) * 3 * 2 + (4 * 4) * (3 * 3) * 3 * 2
    assert count_flops(model, input_shape=[(2, 2, 3), (1, 1, 3)]) == (4 + 1) * (3 * 3) * 3 * 2
    with pytest.raises(ValueError, match="for each input of the model"):
        count_flops(model, input_shape=(8, 8, 3))


def test_a_sequential_model_with_or_without_an_input():
    with_input = keras.Sequential(
        [keras.Input((6,)), layers.Dense(4), layers.ReLU(), layers.Dropout(0.5), layers.Dense(2)]
    )
    assert count_flops(with_input) == 6 * 4 + 4 * 2
    built_later = keras.Sequential([layers.Dense(4), layers.Dense(2)])
    built_later.build((None, 6))
    assert count_flops(built_later) == 6 * 4 + 4 * 2


def test_input_shape_sets_unknown_dimensions():
    inputs = keras.Input((None, None, 3))
    model = keras.Model(inputs, layers.Conv2D(4, 1, use_bias=False)(inputs))
    assert count_flops(model, input_shape=(5, 7, 3)) == (5 * 7) * 3 * 4
    with pytest.raises(ValueError, match=r"positive integer.*\(None, None, None, 3\)"):
        count_flops(model)
    with pytest.raises(
        ValueError, match=r"without the batch dimension.*input_shape=\(1, 5, 7, 3\)"
    ):
        count_flops(model, input_shape=(1, 5, 7, 3))


def test_an_unknown_layer_with_weights_warns_or_raises_with_its_class():
    inputs = keras.Input((4,))
    model = keras.Model(inputs, layers.Dense(2)(_Scale()(inputs)))
    with pytest.warns(UserWarning, match=r"\['_Scale'\]"):
        assert count_flops(model) == 4 * 2
    with pytest.raises(ValueError, match=r"classes \['_Scale'\].*strict=True"):
        count_flops(model, strict=True)


def test_zero_cost_layers_pass_strict():
    tokens = keras.Input((5,), dtype="int32")
    x = layers.PReLU()(layers.Embedding(10, 4)(tokens))
    model = keras.Model(tokens, layers.Dense(1)(x))
    assert count_flops(model, strict=True) == 5 * 4 * 1


def test_a_subclassed_model_is_refused():
    class Subclassed(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, inputs):
            return self.dense(inputs)

    model = Subclassed()
    model(keras.ops.ones((1, 3)))
    with pytest.raises(ValueError, match="Functional or Sequential.*class Subclassed"):
        count_flops(model)


def test_the_unbuilt_model_error_says_how_to_build_it():
    model = keras.Sequential([layers.Dense(2)], name="unbuilt")
    for function in (count_params, count_flops, model_size_bytes):
        with pytest.raises(ValueError, match=r"needs a built model.*model.build.*'unbuilt'"):
            function(model)
    with pytest.raises(ValueError, match="needs a Keras model. Received: 'model'"):
        count_params("model")


def test_count_params_counts_trainable_and_non_trainable_weights():
    model = _small_cnn()
    expected = (
        (3 * 3 * 3 * 8 + 8)  # conv kernel and bias
        + 4 * 8  # batch norm: gamma, beta, moving mean and variance
        + (3 * 3 * 8 * 16 + 16)  # conv kernel and bias
        + (16 * 10 + 10)  # dense
    )
    assert count_params(model) == model.count_params() == expected == 1594


def test_model_size_bytes_uses_each_weight_s_dtype():
    inputs = keras.Input((4,))
    x = layers.Dense(3)(inputs)
    half = layers.Dense(2, dtype="float16")(x)
    mixed = layers.Dense(2, dtype="mixed_float16")(x)
    model = keras.Model(inputs, [half, mixed])
    expected = (
        (4 * 3 + 3) * 4  # float32 weights
        + (3 * 2 + 2) * 2  # float16 weights
        + (3 * 2 + 2) * 4  # mixed_float16 keeps its weights in float32
    )
    assert model_size_bytes(model) == expected == 108


@pytest.mark.parametrize(
    "space",
    [
        MacroSpace(input_shape=(8, 8, 1), num_classes=10),
        MacroSpace(input_shape=(16, 3), num_classes=2, block_types=("mbconv",)),
        NASBench201Space(input_shape=(8, 8, 1), num_classes=10, cells_per_stage=1),
        NASNetCellSpace(input_shape=(8, 8, 1), num_classes=10),
        MobileNetSpace(input_shape=(16, 16, 3), num_classes=10),
        MLPSpace(input_shape=(12,), num_classes=3),
    ],
    ids=lambda space: type(space).__name__,
)
def test_the_keras_nas_spaces_have_no_uncounted_layers(space):
    model = space.build_model({})
    assert count_flops(model, strict=True) > count_params(model) // 2


def test_agrees_with_the_tensorflow_profiler_on_convolutions_and_matmuls():
    tf = pytest.importorskip("tensorflow")
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    inputs = keras.Input((8, 8, 3))
    x = layers.Conv2D(8, 3, padding="same", use_bias=False)(inputs)
    x = layers.DepthwiseConv2D(3, strides=2, padding="same", use_bias=False)(x)
    x = layers.Dense(4, use_bias=False)(layers.Flatten()(x))
    model = keras.Model(inputs, x)
    function = tf.function(lambda x: model(x, training=False))
    graph = convert_variables_to_constants_v2(
        function.get_concrete_function(tf.TensorSpec((1, 8, 8, 3), tf.float32))
    ).graph
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    profile = tf.compat.v1.profiler.profile(graph, options=options)
    # The profiler counts a multiply and an add as two FLOPs.
    assert profile.total_float_ops == 2 * count_flops(model)
