"""`CompoundScaling`: EfficientNet's search of depth, width and resolution coefficients.

Tan & Le, "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks" (ICML
2019), scale a base network by one compound coefficient phi: depth by alpha^phi, width by
beta^phi and input resolution by gamma^phi, where alpha * beta^2 * gamma^2 ~ 2 (so that each
step of phi about doubles the FLOPs, which grow linearly with depth and quadratically with
width and resolution). Step 1 fixes phi = 1 and grid-searches alpha, beta, gamma under that
rule (they found 1.2, 1.1, 1.15 for EfficientNet-B0); step 2 fixes them and scales the base
up with larger phi (B1 to B7). `CompoundScaling` is step 1 as a KerasTuner search space and
step 2 as `scale(phi)` and `scaled_family(phis)`.

Size: just over 400 lines, one idea (both steps share the scaling rules and their rounding).

The rounding helpers follow Keras Applications' EfficientNet
(`keras/src/applications/efficientnet.py`, the inner functions `round_filters` and
`round_repeats` of `EfficientNet`), with one deviation named in `round_repeats`.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Sequence
from typing import Any

import keras
import keras_tuner

from keras_nas.arguments import check_number
from keras_nas.search_spaces import genotype
from keras_nas.search_spaces.base import (
    architecture_values,
    check_choices,
    check_positive_int,
)
from keras_nas.search_spaces.blocks import make_divisible

#: The name of the single hyperparameter: the triple `"alpha,beta,gamma"`.
COEFFICIENTS = "coefficients"

#: The coefficients EfficientNet's grid search found (Tan & Le 2019, section 3.3); the default
#: architecture where the grid holds them.
EFFICIENTNET_COEFFICIENTS = (1.2, 1.1, 1.15)

# How many of the closest products the error for a grid without a valid triple lists.
_CLOSEST_SHOWN = 3


class CompoundScaling(keras_tuner.HyperModel):
    """Searches EfficientNet's compound scaling coefficients for a base network.

    The space is every triple (alpha, beta, gamma) of `alphas` x `betas` x `gammas` with
    `|alpha * beta**2 * gamma**2 - target| <= tolerance`, declared as ONE `hp.Choice` named
    `"coefficients"` whose options are the valid triples written `"alpha,beta,gamma"` (e.g.
    `"1.2,1.1,1.15"`). Every candidate that any oracle samples or mutates therefore obeys the
    rule by construction; three separate choices would need a constraint that rejects most of
    the grid (29 of the default 150 triples are valid). A candidate is the base network at
    phi = 1: `base(depth=alpha, width=beta, resolution=gamma)`.

    `base` is a function `base(depth, width, resolution) -> keras.Model` that returns a
    compiled model for the given multipliers, all 1.0 for the base network itself. It must
    apply them as EfficientNet does:

    - depth: each stage of `n` repeated blocks (or layers) gets `round_repeats(n, depth)`;
    - width: each layer of `c` channels gets `round_filters(c, width)` (the nearest multiple
      of 8, never 10% below `c * width`);
    - resolution: the input side `s` becomes `round_resolution(s, resolution)`. On a dataset
      of fixed size (8x8 digits), start the model with `keras.layers.Resizing` to that side,
      so that the same data feeds every candidate.

    A keras-nas search space (`MobileNetSpace`) is not a base: its depth and width are choices
    of their own, not multipliers. Write a function that builds the network to scale.

    Unlike the other keras-nas spaces, `CompoundScaling` does not derive from `SearchSpace`:
    the base function builds and compiles the whole model, head included, so there is no input
    shape, head or optimizer for the space to own. It offers the same tuner-free entry points
    (`build_model`, `describe`, `canonical_key`, `complete_values`).

    Example:
    >>> def digits_base(depth, width, resolution):
    ...     side = round_resolution(8, resolution)
    ...     inputs = keras.Input((8, 8, 1))
    ...     x = keras.layers.Resizing(side, side, name="resize")(inputs)
    ...     for i in range(round_repeats(2, depth)):
    ...         x = keras.layers.Conv2D(round_filters(16, width), 3, padding="same",
    ...                                 activation="relu", name=f"conv_{i}")(x)
    ...     x = keras.layers.GlobalAveragePooling2D()(x)
    ...     outputs = keras.layers.Dense(10, activation="softmax")(x)
    ...     model = keras.Model(inputs, outputs)
    ...     model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    ...     return model
    >>> space = CompoundScaling(digits_base)
    >>> space.describe()["summary"]
    'alpha=1.2 beta=1.1 gamma=1.15 (alpha*beta^2*gamma^2=1.92)'
    >>> [round(m, 3) for m in space.multipliers(phi=3)]  # depth, width, resolution
    [1.728, 1.331, 1.521]
    >>> [(len(m.layers), m.get_layer("conv_0").filters, m.get_layer("resize").height)
    ...  for m in space.scaled_family(phis=(0, 3))]
    [(6, 16, 8), (8, 24, 12)]

    Args:
        base: The function that builds a compiled model from depth, width and resolution
            multipliers (see above). To rebuild the space with `from_config`, register it with
            `keras.saving.register_keras_serializable()`.
        alphas: Options for the depth coefficient alpha.
        betas: Options for the width coefficient beta.
        gammas: Options for the resolution coefficient gamma.
        target: The value that `alpha * beta**2 * gamma**2` must approach: 2 in the paper,
            each step of phi about doubling the FLOPs.
        tolerance: How far from `target` a valid triple's product may be.

    Raises:
        ValueError: If `base` is not callable, a grid is not a list of distinct positive
            numbers, `target` is not positive, `tolerance` is negative, or no triple of the
            grid is valid (the error lists the closest products).
    """

    def __init__(
        self,
        base: Callable[[float, float, float], keras.Model],
        *,
        alphas: Sequence[float] = (1.0, 1.1, 1.2, 1.3, 1.4),
        betas: Sequence[float] = (1.0, 1.05, 1.1, 1.15, 1.2),
        gammas: Sequence[float] = (1.0, 1.05, 1.1, 1.15, 1.2, 1.25),
        target: float = 2.0,
        tolerance: float = 0.1,
    ):
        super().__init__(name=type(self).__name__)
        if isinstance(base, keras_tuner.HyperModel) or not callable(base):
            raise ValueError(
                "`base` must be a function `base(depth, width, resolution)` that returns a "
                "compiled keras.Model for those multipliers (all 1.0 for the base network); "
                "a keras-nas search space is not one, as its depth and width are choices, not "
                f"multipliers. Received: base={base!r} of type {type(base).__name__}."
            )
        self.base = base
        self.alphas = _check_grid("alphas", alphas)
        self.betas = _check_grid("betas", betas)
        self.gammas = _check_grid("gammas", gammas)
        self.target = _check_number("target", target, positive=True)
        self.tolerance = _check_number("tolerance", tolerance, positive=False)
        self.triples = self._valid_triples()

    # ------------------------------------------------------------------------ KerasTuner API
    def declare_hyperparameters(self, hp: keras_tuner.HyperParameters) -> None:
        """Registers the one choice, `"coefficients"`, on `hp`; builds nothing."""
        options = [encode(triple) for triple in self.triples]
        hp.Choice(COEFFICIENTS, options, default=encode(self._default_triple()))

    def build(self, hp: keras_tuner.HyperParameters) -> keras.Model:
        """Builds the base network at phi = 1 for `hp`'s coefficients (KerasTuner entry point)."""
        self.declare_hyperparameters(hp)
        alpha, beta, gamma = decode(hp.get(COEFFICIENTS))
        return self._call_base(alpha, beta, gamma)

    # ------------------------------------------------------------------------ public API
    def build_model(self, values: dict[str, Any] | None = None) -> keras.Model:
        """Builds the compiled candidate of `values` (phi = 1), without a tuner.

        Args:
            values: `{"coefficients": "alpha,beta,gamma"}` (`trial.hyperparameters.values`),
                the output of `describe`, or `None` for the default coefficients.
        """
        return self.scale(1, values)

    def coefficients(self, values: dict[str, Any] | None = None) -> tuple[float, float, float]:
        """The `(alpha, beta, gamma)` of `values` (as for `build_model`)."""
        return decode(self.complete_values(values)[COEFFICIENTS])

    def multipliers(
        self, phi: float, values: dict[str, Any] | None = None
    ) -> tuple[float, float, float]:
        """The depth, width and resolution multipliers at phi: alpha^phi, beta^phi, gamma^phi.

        Raises:
            ValueError: If `phi` is not a non-negative number, or as `complete_values`.
        """
        phi = _check_number("phi", phi, positive=False)
        alpha, beta, gamma = self.coefficients(values)
        return alpha**phi, beta**phi, gamma**phi

    def scale(self, phi: float, values: dict[str, Any] | None = None) -> keras.Model:
        """Builds the base network scaled by the compound coefficient `phi`.

        `scale(0)` is the base network (all multipliers 1), `scale(1)` the searched candidate,
        and larger phi the bigger members of the family (EfficientNet-B1 to B7).

        Args:
            phi: The compound coefficient, a non-negative number.
            values: The coefficients to scale by (a trial's `hyperparameters.values`, e.g. the
                best trial's, or the output of `describe`); `None` takes the default.

        Returns:
            The compiled model that `base` returns.

        Raises:
            ValueError: If `phi` or `values` is not valid, or `base` does not return a
                compiled `keras.Model`.
        """
        return self._call_base(*self.multipliers(phi, values))

    def scaled_family(
        self, phis: Sequence[float] = (0, 1, 2, 3), values: dict[str, Any] | None = None
    ) -> list[keras.Model]:
        """`[scale(phi, values) for phi in phis]`: the base network and its scaled-up versions."""
        if isinstance(phis, (str, bytes)) or not isinstance(phis, Sequence) or not phis:
            raise ValueError(
                "`phis` must be a non-empty list of compound coefficients, e.g. (0, 1, 2, 3). "
                f"Received: phis={phis!r}."
            )
        return [self.scale(phi, values) for phi in phis]

    def complete_values(self, values: dict[str, Any] | None = None) -> dict[str, Any]:
        """`{"coefficients": ...}` of `values`, the default filled in.

        Raises:
            ValueError: If `values` is not a dict, names another hyperparameter, or its
                coefficients are not a valid triple of the grid (written with any number of
                decimals: `"1.20,1.10,1.15"` is `"1.2,1.1,1.15"`).
        """
        values = genotype.flatten(self._values_of(values))
        option = values.get(COEFFICIENTS)
        if isinstance(option, str):  # "1.20,1.10,1.15" is the option "1.2,1.1,1.15".
            try:
                values[COEFFICIENTS] = encode(decode(option))
            except ValueError:
                pass  # Not three numbers: `check_values` says which options there are.
        hp = keras_tuner.HyperParameters()
        self.declare_hyperparameters(hp)
        genotype.check_values(values, hp, type(self).__name__)
        return {COEFFICIENTS: values.get(COEFFICIENTS, hp.get(COEFFICIENTS))}

    def describe(self, values: dict[str, Any] | None = None) -> dict[str, Any]:
        """A JSON-safe record that a person can read and `build_model` accepts.

        Example:
        >>> space = CompoundScaling(lambda depth, width, resolution: None)
        >>> record = space.describe({"coefficients": "1.40,1.20,1.00"})
        >>> record["genotype"], record["summary"]
        ({'coefficients': '1.4,1.2,1'}, 'alpha=1.4 beta=1.2 gamma=1 (alpha*beta^2*gamma^2=2.02)')
        """
        arch = self.complete_values(values)
        alpha, beta, gamma = decode(arch[COEFFICIENTS])
        summary = (
            f"alpha={alpha:g} beta={beta:g} gamma={gamma:g} "
            f"(alpha*beta^2*gamma^2={product((alpha, beta, gamma)):.2f})"
        )
        return {"space": type(self).__name__, "summary": summary, "genotype": arch}

    def canonical_key(self, values: dict[str, Any] | None = None) -> str:
        """A string equal for values that describe the same coefficients (for the oracles)."""
        return json.dumps(self.complete_values(values), sort_keys=True)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments as JSON values; `base` as Keras serializes a function."""
        return {
            "base": keras.saving.serialize_keras_object(self.base),
            "alphas": list(self.alphas),
            "betas": list(self.betas),
            "gammas": list(self.gammas),
            "target": self.target,
            "tolerance": self.tolerance,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> CompoundScaling:
        """Creates the space from `get_config`; `base` must be registered with Keras."""
        config = dict(config)
        config["base"] = keras.saving.deserialize_keras_object(config["base"])
        return cls(**config)

    # ------------------------------------------------------------------------ helpers
    def _valid_triples(self) -> list[tuple[float, float, float]]:
        grid = list(itertools.product(self.alphas, self.betas, self.gammas))
        valid = [t for t in grid if abs(product(t) - self.target) <= self.tolerance]
        if valid:
            return valid
        closest = sorted(grid, key=lambda t: abs(product(t) - self.target))[:_CLOSEST_SHOWN]
        shown = ", ".join(f"{encode(t)} ({product(t):.3f})" for t in closest)
        raise ValueError(
            "No triple of `alphas` x `betas` x `gammas` has alpha * beta**2 * gamma**2 within "
            f"`tolerance` of `target`; the closest are {shown}. Widen the grids or raise "
            f"`tolerance`. Received: alphas={list(self.alphas)}, betas={list(self.betas)}, "
            f"gammas={list(self.gammas)}, target={self.target}, tolerance={self.tolerance}."
        )

    def _default_triple(self) -> tuple[float, float, float]:
        if EFFICIENTNET_COEFFICIENTS in self.triples:
            return EFFICIENTNET_COEFFICIENTS
        return min(self.triples, key=lambda t: abs(product(t) - self.target))

    def _call_base(self, depth: float, width: float, resolution: float) -> keras.Model:
        model = self.base(depth, width, resolution)
        if not isinstance(model, keras.Model) or not model.compiled:
            raise ValueError(
                "`base` must return a compiled keras.Model; call `model.compile(...)` before "
                f"returning it. Received: {model!r} from base(depth={depth:g}, "
                f"width={width:g}, resolution={resolution:g})."
            )
        return model

    def _values_of(self, values: dict[str, Any] | None) -> dict[str, Any]:
        return architecture_values(values, type(self).__name__)


# ------------------------------------------------------------------------------ the rules
def product(coefficients: Sequence[float]) -> float:
    """alpha * beta^2 * gamma^2 of `(alpha, beta, gamma)`: the FLOPs factor of one phi step.

    Example:
    >>> round(product((1.2, 1.1, 1.15)), 4)
    1.9203
    """
    alpha, beta, gamma = coefficients
    return alpha * beta**2 * gamma**2


def encode(coefficients: Sequence[float]) -> str:
    """`(1.2, 1.1, 1.15)` -> `"1.2,1.1,1.15"`, the option of the `"coefficients"` choice."""
    return ",".join(f"{value:g}" for value in coefficients)


def decode(option: str) -> tuple[float, float, float]:
    """`"1.2,1.1,1.15"` -> `(1.2, 1.1, 1.15)`; the inverse of `encode`."""
    alpha, beta, gamma = (float(part) for part in option.split(","))
    return alpha, beta, gamma


def round_filters(channels: int, width: float, divisor: int = 8) -> int:
    """The channels of a layer scaled by `width`: the nearest multiple of `divisor`, never more
    than 10% below `channels * width`, and at least `divisor`.

    As Keras Applications' EfficientNet (`round_filters` inside `EfficientNet` in
    `keras/src/applications/efficientnet.py`) and MobileNetV2 (`blocks.make_divisible`).

    Example:
    >>> round_filters(32, 1.0), round_filters(32, 1.1), round_filters(32, 1.21)
    (32, 32, 40)
    >>> round_filters(16, 0.25)  # never below the divisor
    8

    Raises:
        ValueError: If `channels` or `divisor` is not a positive integer or `width` is not a
            positive number.
    """
    channels = check_positive_int("channels", channels)
    divisor = check_positive_int("divisor", divisor)
    width = _check_number("width", width, positive=True)
    return make_divisible(channels * width, divisor)


def round_repeats(repeats: int, depth: float) -> int:
    """The number of blocks of a stage of `repeats` blocks scaled by `depth`: rounded up.

    As Keras Applications' EfficientNet (`round_repeats` inside `EfficientNet`,
    `int(math.ceil(depth_coefficient * repeats))`), except that a product within 1e-6 above
    an integer counts as that integer: in floating point `1.1 * 10` is `11.000000000000002`,
    which Keras rounds up to 12.

    Example:
    >>> round_repeats(2, 1.0), round_repeats(2, 1.2), round_repeats(10, 1.1)
    (2, 3, 11)

    Raises:
        ValueError: If `repeats` is not a positive integer or `depth` is not a positive number.
    """
    repeats = check_positive_int("repeats", repeats)
    depth = _check_number("depth", depth, positive=True)
    return max(1, math.ceil(depth * repeats - 1e-6))


def round_resolution(side: int, resolution: float) -> int:
    """An input side scaled by `resolution`, rounded to the nearest integer (halves up).

    Keras Applications fix each EfficientNet's input size by hand (224, 240, 260, ...); this
    is the rule the paper states, `side * gamma**phi`.

    Example:
    >>> round_resolution(8, 1.0), round_resolution(8, 1.15), round_resolution(8, 1.3225)
    (8, 9, 11)

    Raises:
        ValueError: If `side` is not a positive integer or `resolution` is not a positive
            number.
    """
    side = check_positive_int("side", side)
    resolution = _check_number("resolution", resolution, positive=True)
    return max(1, math.floor(side * resolution + 0.5))


# ------------------------------------------------------------------------ argument checks
def _check_grid(name: str, values: Any) -> tuple[float, ...]:
    return tuple(float(v) for v in check_choices(name, values, kind=(int, float), positive=True))


def _check_number(name: str, value: Any, *, positive: bool) -> float:
    if positive:
        return check_number(name, value, above=0)
    return check_number(name, value, minimum=0)
