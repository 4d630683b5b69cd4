"""A trial's hyperparameters as TensorBoard HParams, inactive conditional ones included."""

from __future__ import annotations

import keras_tuner

#: The HParams value of a hyperparameter that the trial's architecture does not use.
INACTIVE = "inactive"


def trial_hparams(
    hyperparameters: keras_tuner.HyperParameters,
) -> dict[str, bool | int | float | str]:
    """Every hyperparameter of the space with the trial's value, `"inactive"` where unused.

    KerasTuner leaves out of the HParams the hyperparameters whose conditions do not hold, so a
    trial whose architecture has inactive choices (a block beyond the chosen depth) drops out
    of TensorBoard's HParams table when it is filtered by them. Here every trial has every
    hyperparameter; TensorBoard shows a column that mixes numbers and `"inactive"` as text.

    Example:
    >>> import keras_tuner
    >>> hp = keras_tuner.HyperParameters()
    >>> depth = hp.Choice("depth", [1, 2])
    >>> with hp.conditional_scope("depth", [2]):
    ...     kernel = hp.Choice("block_2/kernel", [3, 5])
    >>> trial_hparams(hp)
    {'depth': 1, 'block_2/kernel': 'inactive'}

    Args:
        hyperparameters: A trial's `keras_tuner.HyperParameters` (space and values).

    Returns:
        A dict from hyperparameter name to a JSON scalar, in the order of the space.
    """
    # A plain copy: looking values up must not count as the build reading them
    # (`keras_nas.oracles.active`).
    values = dict(hyperparameters.values)
    hparams: dict[str, bool | int | float | str] = {}
    for hp in hyperparameters.space:
        active = all(condition.is_active(values) for condition in hp.conditions)
        hparams[hp.name] = values[hp.name] if active and hp.name in values else INACTIVE
    return hparams
