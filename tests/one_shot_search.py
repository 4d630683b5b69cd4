"""A one-shot search small enough for a test: one MacroSpace stage of two widths."""

import keras_nas
from keras_nas.datasets import load_digits
from keras_nas.search_spaces import MacroSpace


def one_stage_space(widths=(8, 16)):
    """A MacroSpace of one stage: a 3x3 convolution block of one of `widths`."""
    return MacroSpace(
        input_shape=(8, 8, 1),
        num_classes=10,
        num_stages=1,
        block_types=("conv",),
        kernels=(3,),
        widths=widths,
        depths=(1,),
    )


def finished_one_shot_search(directory, project_name="one_shot"):
    """A OneShotSearch of `one_stage_space` on digits: 1 supernet epoch, 1 trial; returns the
    tuner and the validation data."""
    (x, y), validation = load_digits()
    tuner = keras_nas.OneShotSearch(
        one_stage_space(),
        max_trials=1,
        supernet_epochs=1,
        seed=0,
        directory=str(directory),
        project_name=project_name,
    )
    tuner.search(x, y, validation_data=validation, batch_size=64, verbose=0)
    return tuner, validation
