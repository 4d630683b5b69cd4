"""Cheaper performance estimation: early stopping of poor candidates."""

from keras_nas.estimation.pruning import (
    STOPPED_EARLY,
    MedianStopping,
    PruningRule,
    SuccessiveHalving,
)
