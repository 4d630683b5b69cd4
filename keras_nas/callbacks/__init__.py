"""Callbacks that watch a search: `SearchTensorBoard`, the HParams of each trial and the
operation weights of a gradient-based search (`ArchitectureTensorBoard`)."""

from keras_nas.callbacks.architecture_tensorboard import ArchitectureTensorBoard
from keras_nas.callbacks.hparams import INACTIVE, trial_hparams
from keras_nas.callbacks.search_tensorboard import SearchTensorBoard
