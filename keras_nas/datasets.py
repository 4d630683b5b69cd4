"""Small datasets that ship with an installed package, for demos, tests and benchmarks."""

from __future__ import annotations

import numpy as np


def load_digits(
    validation_fraction: float = 0.2, seed: int = 0
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads scikit-learn's 8x8 handwritten digits as images, split for training and validation.

    The 1,797 images ship inside scikit-learn, so nothing is downloaded. Pixels are scaled from
    0..16 to [0, 1]; the split is stratified by class.

    Example:
    >>> (x_train, y_train), (x_val, y_val) = load_digits()
    >>> x_train.shape, x_val.shape, y_train.dtype.name
    ((1437, 8, 8, 1), (360, 8, 8, 1), 'int64')

    Args:
        validation_fraction: Share of the images held out for validation, in (0, 1).
        seed: Seed of the shuffle.

    Returns:
        `((x_train, y_train), (x_val, y_val))`: float32 images `(n, 8, 8, 1)` and integer
        labels 0..9.
    """
    from sklearn.datasets import load_digits as sklearn_digits
    from sklearn.model_selection import train_test_split

    if not 0 < validation_fraction < 1:
        raise ValueError(
            "`validation_fraction` must be in (0, 1). "
            f"Received: validation_fraction={validation_fraction!r}."
        )
    images, labels = sklearn_digits(return_X_y=True)
    images = (images / 16.0).astype("float32").reshape(-1, 8, 8, 1)
    x_train, x_val, y_train, y_val = train_test_split(
        images,
        labels.astype("int64"),
        test_size=validation_fraction,
        random_state=seed,
        stratify=labels,
    )
    return (x_train, y_train), (x_val, y_val)
