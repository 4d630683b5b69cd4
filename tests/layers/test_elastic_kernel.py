"""Elastic kernels: one convolution of the largest size that runs the centre of the smaller."""

import itertools

import keras
import numpy as np
import pytest

from keras_nas.layers import set_path
from keras_nas.layers.elastic_kernel import (
    ElasticConv1D,
    ElasticConv2D,
    ElasticDepthwiseConv1D,
    ElasticDepthwiseConv2D,
    ElasticKernelSize,
    centre_slices,
)
from keras_nas.weight_sharing import SharedLayerRegistry

KERNEL = ElasticKernelSize("k", (1, 3, 5))
STRIDED_KERNEL = ElasticKernelSize("k", (3, 5, 7))  # Every size at least the stride.
# (elastic class, plain class, arguments, input shape without the batch)
CONVOLUTIONS = [
    (ElasticConv2D, keras.layers.Conv2D, {"filters": 3}, (7, 6, 2)),
    (ElasticConv1D, keras.layers.Conv1D, {"filters": 3}, (9, 2)),
    (ElasticDepthwiseConv2D, keras.layers.DepthwiseConv2D, {}, (7, 6, 2)),
    (ElasticDepthwiseConv1D, keras.layers.DepthwiseConv1D, {}, (9, 2)),
]


def _model(layer, input_shape):
    inputs = keras.Input(input_shape)
    return keras.Model(inputs, layer(inputs))


@pytest.mark.parametrize(("elastic", "plain", "arguments", "input_shape"), CONVOLUTIONS)
@pytest.mark.parametrize("strides", [1, 2])
def test_a_smaller_kernel_is_the_centre_of_the_largest(
    elastic, plain, arguments, input_shape, strides
):
    options = dict(strides=strides, padding="same", use_bias=False, name="conv")
    kernel = KERNEL if strides == 1 else STRIDED_KERNEL
    supernet = _model(elastic(kernel=kernel, **arguments, **options), input_shape)
    rng = np.random.default_rng(0)
    for weight in supernet.weights:
        if "float" in weight.dtype:
            weight.assign(rng.normal(size=weight.shape))
    registry = SharedLayerRegistry()
    registry.store(supernet)
    # Odd and even input sizes pad differently at stride 2.
    x = rng.normal(size=(2, *input_shape)).astype("float32")
    for size in kernel.sizes:
        set_path(supernet, {"k": size})
        small = _model(plain(kernel_size=size, **arguments, **options), input_shape)
        assert registry.restore(small, sliced=True) == registry.keys_of(small)
        np.testing.assert_allclose(small(x), supernet(x), rtol=1e-5, atol=1e-5)


def test_the_kernel_size_lives_in_a_variable_that_a_traced_call_follows():
    conv = ElasticConv2D(1, KERNEL, padding="same", use_bias=False, kernel_initializer="ones")
    x = np.ones((1, 5, 5, 1), "float32")
    traced = keras.Model(inputs := keras.Input((5, 5, 1)), conv(inputs))
    assert traced.predict(x, verbose=0).max() == 25.0
    function = traced.predict_function  # Traced once; reused while the size changes.
    conv.set_value(3)
    assert traced.predict(x, verbose=0).max() == 9.0
    conv.set_from({"other": 1})  # Its name absent: the size stays.
    assert traced.predict(x, verbose=0).max() == 9.0
    assert traced.predict_function is function


def test_an_elastic_layer_is_keyed_as_its_plain_class_without_its_integer_state():
    conv = ElasticConv2D(4, KERNEL, name="block_conv")
    conv.build((None, 8, 8, 2))
    assert SharedLayerRegistry().keys_of(_model(conv, (8, 8, 2))) == ["block_conv:Conv2D:5x5x2x4,4"]


def test_centre_slices_cut_kernels_in_the_middle_and_channels_at_the_start():
    kernel = np.arange(5 * 5 * 2 * 2).reshape(5, 5, 2, 2)
    cut = kernel[centre_slices(kernel.shape, (3, 3, 1, 2), spatial=2)]
    np.testing.assert_array_equal(cut, kernel[1:4, 1:4, :1, :])
    assert centre_slices((4,), (2,), spatial=0) == (slice(0, 2),)


@pytest.mark.parametrize("sizes", [(2, 3), (0,), ()])
def test_even_or_empty_sizes_are_refused(sizes):
    with pytest.raises(ValueError, match="needs positive odd sizes"):
        ElasticKernelSize("stage_1/kernel", sizes)


def test_an_unknown_size_is_refused():
    conv = ElasticConv1D(1, KERNEL)
    with pytest.raises(ValueError, match=r"has no size 7; its sizes are \[1, 3, 5\]"):
        conv.set_value(7)


def test_a_size_below_the_stride_is_refused():
    with pytest.raises(ValueError, match=r"sizes \[1, 3, 5\] at strides \(2, 2\)"):
        ElasticConv2D(1, KERNEL, strides=2)


def test_an_elastic_depthwise_convolution_refuses_a_bias():
    with pytest.raises(ValueError, match="no bias and no activation"):
        ElasticDepthwiseConv2D(KERNEL, use_bias=True)


def test_every_pair_of_sizes_shares_the_centre_weights():
    conv = ElasticConv2D(1, ElasticKernelSize("k", (3, 5, 7)), use_bias=False)
    conv.build((None, 9, 9, 1))
    for small, large in itertools.combinations((3, 5, 7), 2):
        conv.set_value(large)
        large_kernel = keras.ops.convert_to_numpy(conv.kernel)
        conv.set_value(small)
        small_kernel = keras.ops.convert_to_numpy(conv.kernel)
        start = (7 - small) // 2
        centre = (slice(start, start + small),) * 2
        np.testing.assert_array_equal(small_kernel[centre], large_kernel[centre])
        assert np.count_nonzero(small_kernel) == small * small
