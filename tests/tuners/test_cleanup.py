"""A trial leaves no training graph behind in TensorFlow (`keras_nas.tuners.cleanup`)."""

import keras_nas
from keras_nas.datasets import load_digits
from keras_nas.search_spaces import MLPSpace
from keras_nas.tuners.cleanup import custom_gradient_names


class _Counting(keras_nas.EvolutionarySearch):
    """Records how many custom gradients were registered at the end of each trial."""

    def on_trial_end(self, trial):
        self.during.append(len(custom_gradient_names() - self.before))
        super().on_trial_end(trial)
        self.after.append(len(custom_gradient_names() - self.before))


def test_no_trial_leaves_its_custom_gradients_registered(tmp_path):
    (x, y), (x_val, y_val) = load_digits()
    space = MLPSpace(input_shape=(64,), num_classes=10, max_layers=1)
    tuner = _Counting(
        space, objective="val_accuracy", max_trials=2, seed=0, directory=str(tmp_path)
    )
    tuner.before, tuner.during, tuner.after = custom_gradient_names(), [], []
    tuner.search(
        x.reshape(-1, 64)[:200],
        y[:200],
        validation_data=(x_val.reshape(-1, 64), y_val),
        epochs=1,
        verbose=0,
    )
    # Training registers them (so the check can fail); each trial's end drops them.
    assert all(count > 0 for count in tuner.during), tuner.during
    assert tuner.after == [0, 0]
