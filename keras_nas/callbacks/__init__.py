"""Callbacks that watch a search: `SearchTensorBoard` and the HParams of each trial."""

from keras_nas.callbacks.hparams import INACTIVE, trial_hparams
from keras_nas.callbacks.search_tensorboard import SearchTensorBoard
