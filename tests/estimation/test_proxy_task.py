"""`ProxyTask`: stratified, seeded subsets, resized images, reduced networks, refused arguments."""

import numpy as np
import pytest
import tensorflow as tf

from keras_nas.estimation import ProxyTask, stratified_subset
from keras_nas.search_spaces import (
    MacroSpace,
    MLPSpace,
    NASBench201Space,
    NASNetCellSpace,
    scaled_space,
)


def test_subset_keeps_each_class_share_and_is_reproducible():
    labels = np.repeat([0, 1, 2], [40, 20, 4])
    keep = stratified_subset(labels, 0.25, seed=3)
    assert np.bincount(labels[keep]).tolist() == [10, 5, 1]
    assert keep.tolist() == sorted(keep.tolist())
    assert keep.tolist() == stratified_subset(labels, 0.25, seed=3).tolist()
    assert keep.tolist() != stratified_subset(labels, 0.25, seed=4).tolist()


def test_subset_keeps_one_example_of_a_rare_class():
    labels = np.array([0] * 99 + [1])
    assert np.bincount(labels[stratified_subset(labels, 0.1)]).tolist() == [10, 1]


def test_subset_reads_one_hot_and_column_labels_as_classes():
    labels = np.repeat([0, 1], [8, 4])
    one_hot = np.eye(2)[labels]
    expected = stratified_subset(labels, 0.5, seed=1).tolist()
    assert stratified_subset(one_hot, 0.5, seed=1).tolist() == expected
    assert stratified_subset(labels[:, None], 0.5, seed=1).tolist() == expected


def test_whole_number_float_labels_are_classes():
    labels = np.repeat([0.0, 1.0], [12, 4])
    assert np.bincount(labels[stratified_subset(labels, 0.25)].astype(int)).tolist() == [3, 1]


def test_regression_targets_are_sampled_uniformly():
    keep = stratified_subset(np.linspace(0, 1, 40), 0.25, seed=0)
    assert keep.size == 10 and len(set(keep.tolist())) == 10


def test_reduce_data_subsets_inputs_labels_and_weights_together():
    x = np.arange(40, dtype="float32").reshape(40, 1)
    y = np.repeat([0, 1], 20)
    weights = np.arange(40, dtype="float32")
    task = ProxyTask(data_fraction=0.5, epochs=3, seed=2)
    (x_small, y_small), fit_kwargs = task.reduce_data(
        x, y, {"epochs": 10, "sample_weight": weights}
    )
    assert x_small.shape == (20, 1)
    # Row i of every array is the same example.
    assert (x_small[:, 0] == fit_kwargs["sample_weight"]).all()
    assert (y_small == (x_small[:, 0] >= 20)).all()
    assert np.bincount(y_small).tolist() == [10, 10]
    assert fit_kwargs["epochs"] == 3


def test_reduce_data_subsets_a_dict_of_inputs():
    x = {"a": np.arange(8), "b": np.arange(8) * 10}
    (x_small, _), _ = ProxyTask(data_fraction=0.5).reduce_data(x, np.repeat([0, 1], 4))
    assert (x_small["b"] == x_small["a"] * 10).all() and x_small["a"].size == 4


def test_reduce_data_resizes_training_and_validation_images():
    x = np.full((3, 8, 8, 1), 7, dtype="uint8")
    validation = (np.full((2, 8, 8, 1), 2.0, dtype="float32"), np.array([0, 1]))
    task = ProxyTask(image_size=4)
    (x_small, y), fit_kwargs = task.reduce_data(x, None, {"validation_data": validation})
    assert x_small.shape == (3, 4, 4, 1) and x_small.dtype == np.float32
    np.testing.assert_allclose(x_small, 7.0, rtol=1e-6)
    x_val, y_val = fit_kwargs["validation_data"]
    assert x_val.shape == (2, 4, 4, 1) and y_val.tolist() == [0, 1]


def test_a_dataset_is_resized_but_not_subset():
    dataset = tf.data.Dataset.from_tensor_slices((np.zeros((4, 8, 8, 1)), np.zeros(4))).batch(2)
    (resized, _), _ = ProxyTask(image_size=(4, 2)).reduce_data(dataset)
    assert next(iter(resized))[0].shape == (2, 4, 2, 1)
    with pytest.raises(ValueError, match=r"dataset.take\(n\)"):
        ProxyTask(data_fraction=0.5).reduce_data(dataset)


def test_image_size_refuses_inputs_that_are_not_images():
    with pytest.raises(ValueError, match=r"shape \(5, 3\)"):
        ProxyTask(image_size=4).reduce_data(np.zeros((5, 3)), np.zeros(5))


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"data_fraction": 0}, "above 0 and at most 1, .*data_fraction=0"),
        ({"data_fraction": 1.5}, "above 0 and at most 1, .*data_fraction=1.5"),
        ({"data_fraction": "0.5"}, "above 0 and at most 1, .*data_fraction='0.5'"),
        ({"image_size": 0}, "`image_size` must be a positive integer"),
        ({"image_size": (4, 4, 3)}, r"\(height, width\)"),
        ({"width_multiplier": -1}, "`width_multiplier` must be a finite number above 0"),
        ({"cells_per_stage": 0}, "`cells_per_stage` must be a positive integer"),
        ({"epochs": 1.5}, "`epochs` must be a positive integer"),
        ({}, "reduces at least one of"),
    ],
)
def test_bad_arguments_are_refused_with_what_is_accepted(arguments, message):
    with pytest.raises(ValueError, match=message):
        ProxyTask(**arguments)


def test_config_round_trip():
    task = ProxyTask(data_fraction=0.25, image_size=(16, 12), cells_per_stage=1, seed=5)
    again = ProxyTask.from_config(task.get_config())
    assert again.get_config() == task.get_config()
    assert (
        repr(again)
        == "ProxyTask(data_fraction=0.25, image_size=[16, 12], cells_per_stage=1, seed=5)"
    )


def test_the_reduced_network_is_built_from_the_same_values():
    space = NASBench201Space(input_shape=(32, 32, 3), num_classes=10, channels=16)
    task = ProxyTask(image_size=16, width_multiplier=0.5, cells_per_stage=1)
    small = scaled_space(space, **task.network_scaling())
    assert (small.input_shape, small.channels, small.cells_per_stage) == ((16, 16, 3), 8, 1)
    values = {f"cell/edge_{edge}/op": "nor_conv_3x3" for edge in range(1, 7)}
    assert small.complete_values(values) == space.complete_values(values)
    model = small.build_model(values)
    assert model.input_shape == (None, 16, 16, 3)
    assert model.get_layer("stem_conv").filters == 8


def test_nasnet_cells_scale_too():
    space = NASNetCellSpace(input_shape=(32, 32, 3), num_classes=10, channels=8)
    bigger = scaled_space(space, width_multiplier=2, cells_per_stage=3)
    assert (bigger.channels, bigger.cells_per_stage) == (16, 3)


def test_a_space_whose_width_is_a_choice_refuses_a_width_multiplier():
    space = MacroSpace(input_shape=(8, 8, 1), num_classes=10)
    with pytest.raises(
        ValueError, match="Spaces that support it: NASBench201Space, NASNetCellSpace"
    ):
        scaled_space(space, width_multiplier=0.5)
    assert scaled_space(space, image_size=(4, 4)).input_shape == (4, 4, 1)


def test_image_size_needs_an_image_space():
    with pytest.raises(ValueError, match="not \\(height, width, channels\\)"):
        scaled_space(MLPSpace(input_shape=(64,), num_classes=10), image_size=(4, 4))


def test_a_build_function_cannot_be_narrowed():
    with pytest.raises(ValueError, match="needs a keras-nas search space"):
        scaled_space(lambda hp: None, **ProxyTask(image_size=4).network_scaling())
    assert ProxyTask(data_fraction=0.5, epochs=2).network_scaling() == {}
