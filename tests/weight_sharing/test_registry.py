"""`SharedLayerRegistry`: keys, round trips, the directory, other processes, bad input."""

import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from keras_nas.search_spaces import NASBench201Space
from keras_nas.weight_sharing import SharedLayerRegistry, layer_key

X = np.random.default_rng(0).normal(size=(4, 8, 8, 1)).astype("float32")


def _space():
    return NASBench201Space(input_shape=(8, 8, 1), num_classes=3, channels=4, cells_per_stage=1)


def _randomised(model, seed=1):
    """The model with every weight drawn at random (trained weights stand-in)."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(size=w.shape).astype(w.dtype) for w in model.get_weights()])
    return model


def test_keys_are_stable_across_builds_and_sessions():
    first = SharedLayerRegistry().keys_of(_space().build_model({}))
    keras.backend.clear_session()
    second = SharedLayerRegistry().keys_of(_space().build_model({}))
    assert first == second
    assert len(set(first)) == len(first)
    assert "stem_conv:Conv2D:3x3x1x4" in first


def test_layer_key_names_position_class_and_shapes():
    layer = keras.layers.Dense(5, name="layer_2_dense")
    layer.build((None, 3))
    assert layer_key(layer) == "layer_2_dense:Dense:3x5,5"


def test_restore_gives_the_stored_weights_after_clear_session():
    registry = SharedLayerRegistry()
    trained = _randomised(_space().build_model({}))
    expected = trained.predict(X, verbose=0)
    stored = registry.store(trained)
    keras.backend.clear_session()
    candidate = _space().build_model({})
    assert registry.restore(candidate) == stored
    np.testing.assert_allclose(candidate.predict(X, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_restore_leaves_layers_it_does_not_hold_fresh():
    registry = SharedLayerRegistry()
    space = _space()
    registry.store(_randomised(space.build_model({})))
    other_cell = {f"cell/edge_{i}/op": "nor_conv_1x1" for i in range(1, 7)}
    candidate = space.build_model(other_cell)
    fresh = {key: [w.copy() for w in layer.get_weights()] for key, layer in _by_key(candidate)}
    restored = registry.restore(candidate)
    assert "stem_conv:Conv2D:3x3x1x4" in restored
    for key, layer in _by_key(candidate):
        if key not in restored:
            for before, after in zip(fresh[key], layer.get_weights(), strict=True):
                np.testing.assert_array_equal(before, after)
    assert any(key not in restored for key, _ in _by_key(candidate))


def _by_key(model):
    layers = {layer.name: layer for layer in model.layers}
    return [(key, layers[key.split(":")[0]]) for key in SharedLayerRegistry().keys_of(model)]


def test_a_layer_reading_fewer_input_channels_inherits_those_rows_of_the_kernel():
    wide = keras.Sequential([keras.Input((2, 2, 6)), keras.layers.Conv2D(3, 1, name="conv")])
    registry = SharedLayerRegistry()
    registry.store(_randomised(wide))
    narrow = keras.Sequential([keras.Input((2, 2, 2)), keras.layers.Conv2D(3, 1, name="conv")])
    restored = registry.restore(narrow, source_name=lambda name: (name, [4, 1]))
    assert restored == ["conv:Conv2D:1x1x2x3,3"]
    kernel, bias = wide.get_layer("conv").get_weights()
    np.testing.assert_array_equal(narrow.get_layer("conv").get_weights()[0], kernel[:, :, [4, 1]])
    np.testing.assert_array_equal(narrow.get_layer("conv").get_weights()[1], bias)
    # Channels that do not give the layer's shape restore nothing.
    assert registry.restore(narrow, source_name=lambda name: (name, [0, 1, 2])) == []


def test_layers_with_non_finite_weights_are_not_stored():
    registry = SharedLayerRegistry()
    inputs = keras.Input((3,))
    good = keras.layers.Dense(2, name="good")
    bad = keras.layers.Dense(2, name="bad")
    model = keras.Model(inputs, [good(inputs), bad(inputs)])
    bad.kernel.assign(np.full((3, 2), np.nan, "float32"))
    assert registry.store(model) == ["good:Dense:3x2,2"]
    assert list(registry) == ["good:Dense:3x2,2"]


def test_two_layers_with_one_key_are_an_error():
    inputs = keras.Input((3,))
    inner = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="dense_a")])
    outer = keras.layers.Dense(2, name="dense_a_outer")
    model = keras.Model(inputs, [inner(inputs), outer(inputs)])
    assert len(SharedLayerRegistry().keys_of(model)) == 2
    twin = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="dense_a")], name="twin")
    clash = keras.Model(inputs, [inner(inputs), twin(inputs)])
    with pytest.raises(ValueError, match="have the key 'dense_a:Dense:3x2,2'.*unique name"):
        SharedLayerRegistry().keys_of(clash)


def test_unknown_key_error_says_where_the_keys_are():
    with pytest.raises(KeyError, match="no layer with the key 'missing'.*list\\(registry\\)"):
        SharedLayerRegistry().weights("missing")


def test_a_registry_on_the_same_directory_sees_the_stored_weights(tmp_path):
    writer = SharedLayerRegistry(str(tmp_path))
    trained = _randomised(_space().build_model({}))
    writer.store(trained)
    reader = SharedLayerRegistry(str(tmp_path))
    assert list(reader) == list(writer)
    # Later stores by the writer reach a reader that is already open.
    retrained = _randomised(_space().build_model({}), seed=2)
    writer.store(retrained)
    candidate = _space().build_model({})
    reader.restore(candidate)
    np.testing.assert_allclose(
        candidate.predict(X, verbose=0), retrained.predict(X, verbose=0), rtol=1e-5, atol=1e-6
    )
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".")]


def test_pending_weights_reach_the_directory_only_when_committed(tmp_path):
    directory, pending = str(tmp_path / "shared"), str(tmp_path / "trial_3" / "pending")
    writer = SharedLayerRegistry(directory)
    first = _randomised(_space().build_model({}), seed=1)
    writer.store(first)
    second = _randomised(_space().build_model({}), seed=2)
    writer.store(second, pending=pending)

    def restored_predictions(registry):
        candidate = _space().build_model({})
        registry.restore(candidate)
        return candidate.predict(X, verbose=0)

    # The writer holds the new weights at once; the directory keeps the committed ones.
    expected_first, expected_second = first.predict(X, verbose=0), second.predict(X, verbose=0)
    np.testing.assert_allclose(restored_predictions(writer), expected_second, rtol=1e-5)
    np.testing.assert_allclose(
        restored_predictions(SharedLayerRegistry(directory)), expected_first, rtol=1e-5
    )
    assert writer.commit(pending) == len(writer)
    assert not os.path.exists(pending)
    np.testing.assert_allclose(
        restored_predictions(SharedLayerRegistry(directory)), expected_second, rtol=1e-5
    )
    assert writer.commit(pending) == 0  # Committing twice is harmless.


def test_discarded_pending_weights_never_reach_the_directory(tmp_path):
    directory, pending = str(tmp_path / "shared"), str(tmp_path / "pending")
    writer = SharedLayerRegistry(directory)
    writer.store(_randomised(_space().build_model({})), pending=pending)
    writer.discard(pending)
    assert not os.path.exists(pending)
    assert len(SharedLayerRegistry(directory)) == 0


def test_weights_reload_in_a_new_process(tmp_path):
    registry = SharedLayerRegistry(str(tmp_path / "weights"))
    trained = _randomised(_space().build_model({}))
    registry.store(trained)
    np.save(tmp_path / "x.npy", X)
    np.save(tmp_path / "expected.npy", trained.predict(X, verbose=0))
    script = textwrap.dedent(
        f"""
        import numpy as np
        from keras_nas.search_spaces import NASBench201Space
        from keras_nas.weight_sharing import SharedLayerRegistry
        space = NASBench201Space(input_shape=(8, 8, 1), num_classes=3, channels=4,
                                 cells_per_stage=1)
        model = space.build_model({{}})
        restored = SharedLayerRegistry({str(tmp_path / "weights")!r}).restore(model)
        assert restored
        x = np.load({str(tmp_path / "x.npy")!r})
        np.testing.assert_allclose(model.predict(x, verbose=0),
                                   np.load({str(tmp_path / "expected.npy")!r}),
                                   rtol=1e-5, atol=1e-6)
        print("restored", len(restored))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"restored {len(list(registry))}" in result.stdout


def test_a_corrupt_file_is_named_in_the_error(tmp_path):
    (tmp_path / "0123.npz").write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="0123.npz' is not a weights file.*Delete it"):
        SharedLayerRegistry(str(tmp_path))


def test_weights_load_into_a_mirrored_model_on_two_logical_cpus(tmp_path):
    registry = SharedLayerRegistry(str(tmp_path / "weights"))
    registry.store(_randomised(_space().build_model({})))
    script = textwrap.dedent(
        f"""
        import numpy as np
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        from keras_nas.search_spaces import NASBench201Space
        from keras_nas.weight_sharing import SharedLayerRegistry
        registry = SharedLayerRegistry({str(tmp_path / "weights")!r})
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        with strategy.scope():
            model = NASBench201Space(input_shape=(8, 8, 1), num_classes=3, channels=4,
                                     cells_per_stage=1).build_model({{}})
        restored = registry.restore(model)
        kernel = model.get_layer("stem_conv").kernel
        replicas = [v.numpy() for v in kernel.value.values]
        assert len(replicas) == 2, len(replicas)
        expected = registry.weights("stem_conv:Conv2D:3x3x1x4")[0]
        for replica in replicas:
            np.testing.assert_array_equal(replica, expected)
        print("replicas", len(replicas), "restored", len(restored))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"replicas 2 restored {len(list(registry))}" in result.stdout
