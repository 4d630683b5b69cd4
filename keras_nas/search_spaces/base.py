"""The base class of every keras-nas search space.

Size: about 715 lines, one class: `SearchSpace` is the contract every space implements
(declaring hyperparameters, building a model, a one-shot or a relaxed supernet with its
hooks for gradient search, `describe`, `canonical_key`, config), and its docstrings carry the
examples that document that contract. A space's own relaxation lives in its own module
(`nasnet_relaxation.py`, `mobilenet_relaxation.py`).
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Callable
from typing import Any

import keras
import keras_tuner

from keras_nas.arguments import check_count, check_number
from keras_nas.layers import MixedOperation, PathChoice, single_path_optimizer
from keras_nas.search_spaces import genotype, published

#: How a supernet makes a choice: `choice(hp_name, branches, name)` returns the callable that
#: applies it to a tensor (a `PathChoice` layer in a one-shot supernet, a `MixedOperation`
#: fed the choice's weights in a relaxed one).
ChoiceFactory = Callable[[str, dict, str], Callable]

#: The spaces that `build_relaxed_supernet` supports.
RELAXABLE_SPACES = ("NASBench201Space", "NASNetCellSpace", "MobileNetSpace")


def path_choice(hp_name: str, branches: dict[Any, keras.Model], name: str) -> PathChoice:
    """The one-shot supernet's `ChoiceFactory`: a `PathChoice` layer."""
    return PathChoice(hp_name, branches, name=name)


class SearchSpace(keras_tuner.HyperModel):
    """A KerasTuner `HyperModel` whose hyperparameters describe an architecture.

    A subclass declares its choices in `declare_hyperparameters(hp)` (cheap: no model is built)
    and turns a complete architecture, a flat dict of active values, into layers in
    `build_features(arch, inputs)`. This base class adds the classifier or regression head,
    compiles the model and provides the tuner-free entry points `build_model(values)` and
    `describe(values)`.

    Every architecture is the flat dict `trial.hyperparameters.values`, with hierarchical names
    such as `"stage_2/kernel"`; there is no second encoding.

    Layer names are stable and say where a layer is; a layer whose weights depend on a searched
    operation also names that operation (`blocks.op_token`), as in
    `stage_2_block_1_mbconv_k5_e6_expand_conv`. Two operations at one position thus never give
    a layer the same name, class and weight shapes, while one operation at one position always
    does, so that triple identifies weights that candidates can share (as in ENAS).

    Args:
        input_shape: Shape of one example, without the batch dimension.
        num_classes: Number of classes for softmax classification (at least 2), or `None` for
            regression.
        output_units: Number of regression outputs; only with `num_classes=None` (default 1).
        optimizer: Name of a Keras optimizer, e.g. `"adam"` or `"sgd"`.
        learning_rate: Learning rate of that optimizer.
        loss: Loss override; defaults to `"sparse_categorical_crossentropy"` for classification
            (integer labels) and `"mse"` for regression.
        metrics: Metrics override; defaults to `["accuracy"]` or `["mae"]`.
        dropout: Dropout rate before the output layer.
    """

    #: Ranks of `input_shape` that the space supports (1: vectors, 2: sequences, 3: images).
    supported_ranks: tuple[int, ...] = (3,)
    #: The constructor argument that sets the network's width outside the choices (a proxy
    #: task narrows it, `keras_nas.search_spaces.scaling`), or `None` if there is none.
    width_setting: str | None = None
    #: The constructor argument that sets the network's depth outside the choices, or `None`.
    depth_setting: str | None = None

    def __init__(
        self,
        input_shape: tuple[int, ...],
        num_classes: int | None = None,
        *,
        output_units: int | None = None,
        optimizer: str = "adam",
        learning_rate: float = 1e-3,
        loss: Any = None,
        metrics: Any = None,
        dropout: float = 0.0,
    ):
        super().__init__(name=type(self).__name__)
        self.input_shape = _check_input_shape(
            input_shape, type(self).__name__, self.supported_ranks
        )
        self.num_classes, self.output_units = _check_outputs(num_classes, output_units)
        self.optimizer = optimizer
        self.learning_rate = _check_learning_rate(learning_rate)
        _make_optimizer(optimizer, self.learning_rate)  # Fails now, not at the first trial.
        self.loss = loss
        self.metrics = metrics
        self.dropout = check_rate("dropout", dropout)

    # ----------------------------------------------------------------------------- subclass API
    def declare_hyperparameters(self, hp: keras_tuner.HyperParameters) -> None:
        """Registers every choice of the space on `hp`; builds nothing."""
        raise NotImplementedError

    def build_features(self, arch: dict[str, Any], inputs: keras.KerasTensor) -> keras.KerasTensor:
        """Returns the feature tensor (before pooling and head) of architecture `arch`."""
        raise NotImplementedError

    def summarize(self, arch: dict[str, Any]) -> str:
        """Returns a one-line, human-readable summary of a complete architecture."""
        return ", ".join(f"{name}={value}" for name, value in arch.items())

    # ------------------------------------------------------------------------------ public API
    def build(self, hp: keras_tuner.HyperParameters) -> keras.Model:
        """Builds and compiles the model that `hp`'s values describe (KerasTuner entry point)."""
        self.declare_hyperparameters(hp)
        arch = genotype.active_values(hp)
        inputs = keras.Input(shape=self.input_shape, name="inputs")
        features = self.build_features(arch, inputs)
        model = keras.Model(inputs, self._head(features), name=genotype.snake_case(self.name))
        model.compile(
            optimizer=_make_optimizer(self.optimizer, self.learning_rate),
            loss=self._loss(),
            metrics=self._metrics(),
        )
        return model

    def build_supernet(
        self, learning_rate: float | None = None, *, steps_per_update: int = 1
    ) -> keras.Model:
        """Builds and compiles the one-shot supernet: every operation of the space at once.

        Each choice of the space is a `keras_nas.layers.PathChoice` layer that runs
        one of its operations at a time (`set_path(supernet, values)`); the layers of each
        operation carry the names the plain sub-network gives them, or, where one supernet
        layer serves several operations (elastic kernels and expansions), the names that
        `supernet_layer_name` maps them to. So a `SharedLayerRegistry` moves weights from the
        supernet to any sub-network built by `build_model`
        (`restore(model, sliced=True, source_name=space.supernet_layer_name)`). Used by
        `keras_nas.OneShotSearch`.

        Args:
            learning_rate: The supernet optimizer's learning rate; `None` takes the space's.
            steps_per_update: How many training steps' gradients the optimizer adds up
                before it updates the weights (Keras's `gradient_accumulation_steps`; the
                fair path sampling of `keras_nas.tuners.one_shot.PathSampler` needs it).

        Raises:
            NotImplementedError: If the space has no supernet (`supports_one_shot()` is
                `False`).
            ValueError: If `steps_per_update` is not a positive integer.
        """
        steps_per_update = check_positive_int("steps_per_update", steps_per_update)
        inputs = keras.Input(shape=self.input_shape, name="inputs")
        features = self.build_supernet_features(inputs)
        name = f"{genotype.snake_case(self.name)}_supernet"
        model = keras.Model(inputs, self._head(features), name=name)
        rate = self.learning_rate if learning_rate is None else _check_learning_rate(learning_rate)
        optimizer = _make_optimizer(self.optimizer, rate)
        if steps_per_update > 1:
            config = {**optimizer.get_config(), "gradient_accumulation_steps": steps_per_update}
            optimizer = type(optimizer).from_config(config)
        model.compile(
            optimizer=single_path_optimizer(optimizer),
            loss=self._loss(),
            metrics=self._metrics(),
        )
        return model

    def build_supernet_features(self, inputs: keras.KerasTensor) -> keras.KerasTensor:
        """The supernet's body (see `build_supernet`); spaces that support one-shot override it."""
        raise NotImplementedError(
            f"{type(self).__name__} has no one-shot supernet. Search it with a multi-trial "
            "tuner and `weight_sharing=True` instead, or use a space whose "
            "`supports_one_shot()` is True (NASBench201Space, MobileNetSpace, MacroSpace)."
        )

    def supports_one_shot(self) -> bool:
        """Whether this space, as configured, builds a one-shot supernet (`build_supernet`)."""
        return self.one_shot_problem() is None

    def one_shot_problem(self) -> str | None:
        """Why this space cannot build a one-shot supernet, with how to fix it; or `None`."""
        if type(self).build_supernet_features is SearchSpace.build_supernet_features:
            return f"{type(self).__name__} has no one-shot supernet"
        return None

    def build_relaxed_supernet(self, *, sample: bool = False) -> tuple[keras.Model, dict]:
        """Builds the supernet of gradient-based search: every choice a `MixedOperation`.

        The network takes the images and, for each relaxed choice, a weights input of shape
        `(batch, number of values)`; each choice's output is the weighted sum of its
        operations' outputs (`sample=True`: only the operation of the largest weight runs,
        GDAS). A relaxed choice is a hyperparameter (NAS-Bench-201's edges) or a choice of
        the relaxation alone (NASNet's edges from every earlier node, which `discretize`
        turns into the space's hyperparameters). The operations' layers carry the names that
        the plain sub-network gives them, or those that `relaxed_layer_source` maps them to,
        so a `SharedLayerRegistry` moves the trained weights to `build_model(values)`. The
        network is not compiled. Used by `keras_nas.DifferentiableSearch`.

        Example:
        >>> from keras_nas.search_spaces import NASBench201Space
        >>> space = NASBench201Space(input_shape=(8, 8, 1), num_classes=10,
        ...                          cells_per_stage=1, channels=4)
        >>> network, choices = space.build_relaxed_supernet()
        >>> choices["cell/edge_1/op"]
        ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3']
        >>> [tuple(shape) for shape in network.input_shape][:2]
        [(None, 8, 8, 1), (None, 5)]

        Returns:
            `(network, choices)`: the Keras model, whose inputs are `[images, *weights]`,
            and `{hp_name: values}` for its weights inputs, in their order.

        Raises:
            NotImplementedError: If the space cannot be relaxed (`relaxation_problem()`).
            ValueError: If it can, but not as configured (`relaxation_problem()`).
        """
        weights: dict[str, keras.KerasTensor] = {}
        values_of: dict[str, list] = {}

        def mixed(hp_name: str, branches: dict[Any, keras.Model], name: str) -> Callable:
            if hp_name not in weights:
                input_name = genotype.snake_case(hp_name.replace("/", "_")) + "_weights"
                weights[hp_name] = keras.Input((len(branches),), name=input_name)
                values_of[hp_name] = list(branches)
            elif list(branches) != values_of[hp_name]:  # One weight per value, in one order.
                raise ValueError(
                    f"Every layer of the choice {hp_name!r} must offer the same values in the "
                    f"same order: {values_of[hp_name]} first, {list(branches)} at {name!r}."
                )
            layer = MixedOperation(hp_name, branches, sample=sample, name=name)
            return lambda x: layer([x, weights[hp_name]])

        inputs = keras.Input(shape=self.input_shape, name="inputs")
        features = self.build_relaxed_features(inputs, mixed)
        name = f"{genotype.snake_case(self.name)}_relaxed_supernet"
        network = keras.Model([inputs, *weights.values()], self._head(features), name=name)
        return network, values_of

    def build_relaxed_features(
        self, inputs: keras.KerasTensor, choice: ChoiceFactory
    ) -> keras.KerasTensor:
        """The relaxed supernet's body (see `build_relaxed_supernet`): the one-shot
        supernet's, each choice made by `choice(hp_name, branches, name)`, which returns
        the callable that applies the choice to a tensor. Spaces that can be relaxed
        override it."""
        raise NotImplementedError(
            f"{type(self).__name__} cannot be relaxed for gradient-based search. Spaces that "
            f"can: {', '.join(RELAXABLE_SPACES)}."
        )

    def relaxation_problem(self) -> str | None:
        """Why this space cannot be searched by gradient (`DifferentiableSearch`); or `None`."""
        if type(self).build_relaxed_features is SearchSpace.build_relaxed_features:
            return (
                f"{type(self).__name__} cannot be relaxed for gradient-based search; the "
                f"spaces that can are {', '.join(RELAXABLE_SPACES)}"
            )
        single = [
            hp.name
            for hp in self.declared_hyperparameters().space
            if isinstance(hp, keras_tuner.engine.hyperparameters.Choice) and len(hp.values) < 2
        ]
        if single:
            return (
                f"its choices {single} have one value each, and gradient-based search learns "
                "weights between at least two: give them more options"
            )
        return None

    def cost_term_problem(self) -> str | None:
        """Why a cost term (`DifferentiableSearch(cost_weight=...)`) cannot steer this
        space's relaxation towards cheaper architectures; or `None`."""
        return None

    def discretize(self, weights: dict[str, dict[Any, float]]) -> dict[str, Any]:
        """The architecture that learned choice weights describe: DARTS's discretization.

        Each choice takes the value of its largest weight (the first on a tie); the other
        hyperparameters take their defaults. Spaces whose choices interact (NASNet's cells
        keep two inputs per node) override it.

        Example:
        >>> from keras_nas.search_spaces import NASBench201Space
        >>> space = NASBench201Space(input_shape=(8, 8, 1), num_classes=10)
        >>> values = space.discretize({"cell/edge_1/op": {"none": 0.1, "skip_connect": 0.7,
        ...                                               "nor_conv_3x3": 0.2}})
        >>> values["cell/edge_1/op"], values["cell/edge_2/op"]
        ('skip_connect', 'nor_conv_3x3')

        Args:
            weights: `{hp_name: {value: weight}}`, e.g. the softmax of each choice's
                architecture parameters.

        Returns:
            The complete, flat values, which `build_model` accepts.
        """
        strongest = {name: max(options, key=options.get) for name, options in weights.items()}
        return self.complete_values(strongest)

    def relaxed_layer_source(self, values: dict[str, Any]) -> Callable[[str], Any]:
        """Where the layers of the sub-network of `values` find their weights in the relaxed
        supernet: a function of a layer's name that returns the supernet layer's name, or
        `(name, input_channels)` when the layer reads only those input channels of the
        supernet layer's (NASNet's cells concatenate fewer blocks than the relaxed ones).
        By default the one-shot supernet's mapping, `supernet_layer_name`."""
        return self.supernet_layer_name

    def supernet_layer_name(self, name: str) -> str:
        """The name of the supernet layer whose weights the sub-network's layer `name`
        inherits: the same name, unless the supernet holds one layer for several
        operations (`MacroSpace`'s elastic kernels and expansions)."""
        return name

    def build_model(self, values: dict[str, Any] | None = None) -> keras.Model:
        """Builds the compiled model of one architecture, without a tuner.

        Example:
        >>> from keras_nas.search_spaces import MLPSpace
        >>> space = MLPSpace(input_shape=(4,), num_classes=3)
        >>> model = space.build_model(
        ...     {"num_layers": 1, "layer_1/units": 32, "layer_1/normalization": "none"})
        >>> model.count_params()
        259

        Args:
            values: A flat dict of hyperparameter values (`trial.hyperparameters.values`), or
                the output of `describe`. Missing choices take their default; `None` builds
                the default architecture.

        Returns:
            A compiled `keras.Model`.

        Raises:
            ValueError: if a name is not a choice of this space or a value is not allowed.
        """
        hp = keras_tuner.HyperParameters()
        hp.values.update(self.complete_values(values))
        return self.build(hp)

    def published(self, name: str) -> dict[str, Any]:
        """The values of the published architecture `name` in this space, completed: to start
        a search from it (`initial_architectures=[space.published("darts_v2")]`), or to
        build it (`keras_nas.search_spaces.published` lists them with their papers).

        Example:
        >>> from keras_nas.search_spaces import NASBench201Space
        >>> space = NASBench201Space(input_shape=(8, 8, 1), num_classes=10, cells_per_stage=1)
        >>> space.to_arch_string(space.published("nasbench201_best"))
        '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|'

        Raises:
            ValueError: If there is no such architecture, or it is not a point of this space
                (an option it takes is missing, or a choice it does not fix is open); the
                message gives the paper's configuration of the space.
        """
        return published.values_in(self, name)

    @classmethod
    def paper_space(cls, name: str) -> SearchSpace:
        """This space configured as the network of the paper that published architecture
        `name`: its model of `published(name)` has the paper's parameter count.

        Example:
        >>> from keras_nas.search_spaces import NASNetCellSpace
        >>> space = NASNetCellSpace.paper_space("darts_v2")
        >>> space.channels, space.separable_repeats, space.cell_output
        (36, 2, 'all')

        Raises:
            ValueError: If there is no such architecture, or it is one of another space.
        """
        return cls(**published.of_class(cls, name).network)

    def complete_values(self, values: dict[str, Any] | None = None) -> dict[str, Any]:
        """Returns the canonical architecture: every active choice, defaults filled in.

        Inactive choices (e.g. the kernel of a block beyond the stage's depth) are dropped, so
        two dicts that describe the same network have the same complete values.
        """
        values = genotype.flatten(self._values_of(values))
        genotype.check_values(values, self.declared_hyperparameters(), type(self).__name__)
        hp = keras_tuner.HyperParameters()
        hp.values.update(values)
        self.declare_hyperparameters(hp)
        return genotype.active_values(hp)

    def describe(self, values: dict[str, Any] | None = None) -> dict[str, Any]:
        """Returns a JSON-safe genotype that a person can read and `build_model` accepts.

        The result has three keys: `"space"` (the class name), `"summary"` (one line) and
        `"genotype"` (the complete architecture, nested by the `/` of the names).
        """
        arch = self.complete_values(values)
        return {
            "space": type(self).__name__,
            "summary": self.summarize(arch),
            "genotype": genotype.nest(arch),
        }

    def architecture_graph(self, values: dict[str, Any] | None = None) -> dict[str, list]:
        """Returns the architecture as a graph that a drawing can show (JSON-safe).

        The base class returns a chain: `"input"`, one node per part of the summary (the
        parts that `summarize` joins with `" | "`, e.g. the layers of an MLP or the stages of
        a macro network) and `"output"`, each joined to the next by an unlabelled edge. A
        space whose architecture is not a chain (a cell DAG) overrides it.

        Example:
        >>> from keras_nas.search_spaces import MLPSpace
        >>> space = MLPSpace(input_shape=(4,), num_classes=3)
        >>> space.architecture_graph(
        ...     {"num_layers": 1, "layer_1/units": 32, "layer_1/normalization": "none"})
        {'nodes': ['input', 'dense32-relu-drop0.1', 'output'], 'edges': [[0, 1, ''], [1, 2, '']]}

        Args:
            values: A flat dict of hyperparameter values or the output of `describe`, as for
                `build_model`; missing choices take their default.

        Returns:
            `{"nodes": [label, ...], "edges": [[source_index, target_index, label], ...]}`.

        Raises:
            ValueError: if a name is not a choice of this space or a value is not allowed.
        """
        parts = self.summarize(self.complete_values(values)).split(" | ")
        nodes = ["input", *parts, "output"]
        return {"nodes": nodes, "edges": [[i, i + 1, ""] for i in range(len(nodes) - 1)]}

    def canonical_key(self, values: dict[str, Any] | None = None) -> str:
        """Returns a string that is equal for values describing the same network.

        Oracles use it to avoid proposing an architecture twice. Values that are not choices
        of this space (e.g. a learning rate the user tunes beside the architecture) are part
        of the key as they are; the architecture's part comes from `architecture_key`.

        Example:
        >>> from keras_nas.search_spaces import MLPSpace
        >>> space = MLPSpace(input_shape=(4,), num_classes=3)
        >>> space.canonical_key({"num_layers": 1}) == space.canonical_key(
        ...     {"num_layers": 1, "layer_2/units": 32})
        True
        """
        values = genotype.flatten(self._values_of(values))
        names = {h.name for h in self.declared_hyperparameters().space}
        architecture = {name: value for name, value in values.items() if name in names}
        others = {name: value for name, value in values.items() if name not in names}
        key = self.architecture_key(self.complete_values(architecture))
        return key + (" " + json.dumps(others, sort_keys=True) if others else "")

    def architecture_key(self, arch: dict[str, Any]) -> str:
        """The canonical form of a complete architecture (see `complete_values`).

        The base class compares complete values, so inactive choices do not matter; a space
        where different values compute the same function (NAS-Bench-201 cells) overrides it.
        """
        return json.dumps(arch, sort_keys=True)

    def declared_hyperparameters(self) -> keras_tuner.HyperParameters:
        """A new `HyperParameters` holding every choice of the space, with default values."""
        hp = keras_tuner.HyperParameters()
        self.declare_hyperparameters(hp)
        return hp

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments as JSON values."""
        return {
            "input_shape": list(self.input_shape),
            "num_classes": self.num_classes,
            "output_units": self.output_units if self.num_classes is None else None,
            "optimizer": self.optimizer,
            "learning_rate": self.learning_rate,
            "loss": _serialize(self.loss),
            "metrics": _serialize(self.metrics),
            "dropout": self.dropout,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SearchSpace:
        """Creates a space from the output of `get_config`."""
        config = dict(config)
        config["input_shape"] = tuple(config["input_shape"])
        config["loss"] = _deserialize(config.get("loss"))
        config["metrics"] = _deserialize(config.get("metrics"))
        return cls(**config)

    # -------------------------------------------------------------------------------- helpers
    def _values_of(self, values: dict[str, Any] | None) -> dict[str, Any]:
        return architecture_values(values, type(self).__name__)

    def _head(self, features: keras.KerasTensor) -> keras.KerasTensor:
        x = features
        if len(x.shape) == 4:
            x = keras.layers.GlobalAveragePooling2D(name="global_pool")(x)
        elif len(x.shape) == 3:
            x = keras.layers.GlobalAveragePooling1D(name="global_pool")(x)
        if self.dropout > 0:
            x = keras.layers.Dropout(self.dropout, name="head_dropout")(x)
        if self.num_classes is None:
            return keras.layers.Dense(self.output_units, name="predictions")(x)
        return keras.layers.Dense(self.num_classes, activation="softmax", name="predictions")(x)

    def _loss(self) -> Any:
        if self.loss is not None:
            return self.loss
        return "mse" if self.num_classes is None else "sparse_categorical_crossentropy"

    def _metrics(self) -> Any:
        if self.metrics is not None:
            return self.metrics
        return ["mae"] if self.num_classes is None else ["accuracy"]


# ---------------------------------------------------------------------------- argument checks
def check_rate(name: str, rate: float) -> float:
    """Returns `rate` as a float if it is a valid dropout rate, in [0, 1)."""
    return check_number(name, rate, minimum=0, below=1)


def check_choices(
    name: str,
    values: Any,
    *,
    kind: type | tuple[type, ...] = int,
    positive: bool = False,
    allowed: tuple | None = None,
) -> tuple:
    """Validates a constructor's list of options and returns it as a tuple.

    Raises:
        ValueError: if the list is empty, has duplicates, or holds a value of the wrong type,
            an infinite or NaN float, a non-positive number where `positive`, or a value
            outside `allowed`.
    """
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise ValueError(f"`{name}` must be a list of options. Received: {name}={values!r}.")
    values = tuple(values)
    if not values:
        raise ValueError(
            f"`{name}` must hold at least one option. Received: {name}={list(values)}. "
            "Pass a non-empty list, e.g. the default."
        )
    if len(set(values)) != len(values):
        raise ValueError(f"`{name}` must not repeat an option. Received: {name}={list(values)}.")
    for value in values:
        if isinstance(value, bool) and kind is not bool or not isinstance(value, kind):
            raise ValueError(
                f"Every option of `{name}` must be of type {_type_names(kind)}. "
                f"Received: {name}={list(values)}."
            )
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(
                f"Every option of `{name}` must be a finite number. "
                f"Received: {name}={list(values)}."
            )
        if positive and value <= 0:
            raise ValueError(
                f"Every option of `{name}` must be positive. Received: {name}={list(values)}."
            )
        if allowed is not None and value not in allowed:
            raise ValueError(
                f"Unknown option {value!r} in `{name}`. Allowed options: {list(allowed)}. "
                f"Received: {name}={list(values)}."
            )
    return values


def check_positive_int(name: str, value: Any) -> int:
    """Returns `value` as an `int` if it is a positive integer (numpy integers included);
    see `keras_nas.arguments.check_count`."""
    return check_count(name, value)


def _is_integer(value: Any) -> bool:
    # `numbers.Integral` holds numpy's integers (`y.max() + 1`), and `bool`, which is no count.
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def default_choice(options: tuple, preferred: Any) -> Any:
    """Returns `preferred` if it is an option, else the option closest to it (numbers) or the
    first option."""
    if preferred in options:
        return preferred
    if isinstance(preferred, (int, float)) and not isinstance(preferred, bool):
        return min(options, key=lambda option: (abs(option - preferred), option))
    return options[0]


def spatial_size(input_shape: tuple[int, ...]) -> int:
    """Returns the smallest spatial dimension of an image or sequence shape."""
    return min(input_shape[:-1])


def plan_strides(input_shape: tuple[int, ...], requested: tuple[int, ...]) -> tuple[int, ...]:
    """Returns `requested` (a stride per downsampling point) with the earliest stride-2 points
    turned into stride 1 where the input is too small for all of them.

    A stride of 2 with "same" padding maps a size s to ceil(s / 2); an 8x8 input allows three
    such halvings before it reaches 1x1. Dropping the earliest reductions keeps the first stages
    at full resolution, which is what small inputs (digits, CIFAR) need.

    Example:
    >>> plan_strides((8, 8, 1), (2, 2, 2, 1, 2))
    (1, 2, 2, 1, 2)
    >>> plan_strides((224, 224, 3), (2, 2, 2, 1, 2))
    (2, 2, 2, 1, 2)
    """
    size, halvings = spatial_size(input_shape), 0
    while size > 1:
        size, halvings = -(-size // 2), halvings + 1
    reductions = [i for i, stride in enumerate(requested) if stride > 1]
    dropped = set(reductions[: max(0, len(reductions) - halvings)])
    return tuple(1 if i in dropped else stride for i, stride in enumerate(requested))


def _check_input_shape(input_shape: Any, space: str, ranks: tuple[int, ...]) -> tuple[int, ...]:
    layouts = {1: "(features,)", 2: "(steps, channels)", 3: "(height, width, channels)"}
    expected = " or ".join(layouts[rank] for rank in ranks)
    try:
        shape = tuple(input_shape)
    except TypeError:
        shape = None
    if shape is None or len(shape) not in ranks or any(not _is_integer(d) or d < 1 for d in shape):
        raise ValueError(
            f"`input_shape` of {space} must be {expected}, with positive integers and without "
            f"the batch dimension. Received: input_shape={input_shape!r}."
        )
    return tuple(int(d) for d in shape)


def _check_outputs(num_classes: Any, output_units: Any) -> tuple[int | None, int]:
    if num_classes is None:
        units = 1 if output_units is None else output_units
        return None, check_positive_int("output_units", units)
    if output_units is not None:
        raise ValueError(
            "`output_units` is for regression, which needs `num_classes=None`. "
            f"Received: num_classes={num_classes!r}, output_units={output_units!r}."
        )
    if not _is_integer(num_classes) or num_classes < 2:
        raise ValueError(
            "`num_classes` must be an integer of at least 2 for classification, or None for "
            f"regression. Received: num_classes={num_classes!r}."
        )
    return int(num_classes), int(num_classes)


def _check_learning_rate(learning_rate: Any) -> float:
    return check_number("learning_rate", learning_rate, above=0)


def _make_optimizer(name: str, learning_rate: float) -> keras.optimizers.Optimizer:
    error = ValueError(
        "`optimizer` must be the name of a Keras optimizer, such as 'adam', 'adamw' or "
        f"'sgd'. Received: optimizer={name!r}."
    )
    # Keras fails on a name that is not a string (an optimizer object included) with an
    # AttributeError, and on optimizers that wrap another ("LossScaleOptimizer") with a KeyError.
    if not isinstance(name, str):
        raise error
    try:
        optimizer = keras.optimizers.get(
            {"class_name": name, "config": {"learning_rate": learning_rate}}
        )
    except (ValueError, TypeError, KeyError) as cause:
        raise error from cause
    # "Optimizer" names the base class, which builds but fails at the first training step.
    if type(optimizer) is keras.optimizers.Optimizer:
        raise error
    return optimizer


def _serialize(obj: Any) -> Any:
    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, (list, tuple)):
        return [_serialize(item) for item in obj]
    return keras.saving.serialize_keras_object(obj)


def _deserialize(obj: Any) -> Any:
    if isinstance(obj, list):
        return [_deserialize(item) for item in obj]
    if isinstance(obj, dict):
        return keras.saving.deserialize_keras_object(obj)
    return obj


def _type_names(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)


def architecture_values(values: dict[str, Any] | None, space_name: str) -> dict[str, Any]:
    """The hyperparameter values in `values`: a dict of them, or the output of `describe`
    of the space named `space_name` (its `genotype`); `None` is the defaults, `{}`."""
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise ValueError(
            "`values` must be a dict of hyperparameter values or the output of `describe`. "
            f"Received: values={values!r} of type {type(values).__name__}."
        )
    if set(values) == {"space", "summary", "genotype"}:
        if values["space"] != space_name:
            raise ValueError(
                f"This description is of a {values['space']}, not of a "
                f"{space_name}. Build it with a {values['space']} instead."
            )
        return values["genotype"]
    return values
