"""`ArchitectureTensorBoard`: the operation weights of a gradient-based search, per epoch."""

from __future__ import annotations

import os
from typing import Any

import keras


class ArchitectureTensorBoard(keras.callbacks.Callback):
    """Logs a gradient-based search's architecture to TensorBoard after every epoch.

    Pass it in `DifferentiableSearch.search(callbacks=[...])`, beside a
    `keras.callbacks.TensorBoard` for the losses if you like. Under `log_dir/run_name`, with the
    epoch as the step, it writes:

    - `weights/<choice>/<operation>`: every operation's weight (the softmax of its
      architecture parameters) as a scalar;
    - `weights`: all of them as one heatmap image, choices by operations;
    - `derived`: the architecture the weights derive now, as text.

    It works with any model that has `probabilities()` (`{choice: {operation: weight}}`)
    and `derived_summary()`, as the supernet of `DifferentiableSearch` does.

    Args:
        log_dir: The TensorBoard log directory.
        run_name: The run's folder under `log_dir`.
        images: Whether to draw the heatmap (matplotlib; a fraction of a second per epoch).
    """

    def __init__(
        self, log_dir: str = "logs", *, run_name: str = "architecture", images: bool = True
    ):
        super().__init__()
        self.log_dir, self.run_name, self.images = log_dir, run_name, images
        self._writer = None

    @property
    def run_dir(self) -> str:
        """Where the run's event files go."""
        return os.path.join(self.log_dir, self.run_name)

    def on_train_begin(self, logs: dict | None = None) -> None:
        import tensorflow as tf

        if not hasattr(self.model, "probabilities"):
            raise ValueError(
                "`ArchitectureTensorBoard` logs the operation weights of a gradient-based "
                "search: pass it to `DifferentiableSearch.search(callbacks=...)`. Received a "
                f"model without them: {type(self.model).__name__}."
            )
        self._writer = tf.summary.create_file_writer(self.run_dir)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        import tensorflow as tf

        from keras_nas import plots

        weights: dict[str, dict[Any, float]] = self.model.probabilities()
        with self._writer.as_default(step=epoch + 1):
            for choice, options in weights.items():
                for operation, weight in options.items():
                    tf.summary.scalar(f"weights/{choice}/{operation}", weight)
            tf.summary.text("derived", self.model.derived_summary())
            if self.images:
                png = plots.weights_heatmap_png(weights, title=f"epoch {epoch + 1}")
                tf.summary.image("weights", tf.expand_dims(tf.io.decode_png(png, channels=4), 0))
        self._writer.flush()

    def on_train_end(self, logs: dict | None = None) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
