"""Property-based tests of the search spaces: constructor arguments, configs and values.

Hypothesis draws constructor arguments (valid ones must construct and round-trip through
`get_config`/`from_config` exactly; invalid ones must raise a `ValueError` that names the
argument and the value received) and architectures from each space's declared choices
(`describe` must be JSON, `canonical_key` stable). Only `test_mlp_builds_the_drawn_model`
builds Keras models, on a few tiny examples.
"""

import json
import math
from typing import NamedTuple

import keras
from hypothesis import example, given, settings
from hypothesis import strategies as st
from keras_tuner.engine import hyperparameters as hp_types

from keras_nas.search_spaces import (
    MacroSpace,
    MLPSpace,
    MobileNetSpace,
    NASBench201Space,
    NASNetCellSpace,
    genotype,
    macro,
    mlp,
    nasbench201,
    nasnet,
)
from keras_nas.search_spaces.mobilenet_skeletons import SKELETONS
from tests.messages import raises_mentioning

SPACES = (MacroSpace, MLPSpace, MobileNetSpace, NASBench201Space, NASNetCellSpace)
#: A valid input shape of each space, for the tests that vary another argument.
INPUT_SHAPES = {
    MacroSpace: (8, 8, 1),
    MLPSpace: (8,),
    MobileNetSpace: (8, 8, 1),
    NASBench201Space: (8, 8, 1),
    NASNetCellSpace: (8, 8, 1),
}
RANKS = {MacroSpace: (2, 3), MLPSpace: (1,), MobileNetSpace: (3,)}
ACTIVATIONS = ("relu", "gelu", "swish", "tanh", "sigmoid", "elu", "selu", "softplus", "linear")
OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop", "nadam", "Adam")

# ------------------------------------------------------------------------------- strategies
dims = st.integers(1, 64)
small_ints = st.integers(1, 64)
rates = st.floats(0.0, 1.0, exclude_max=True)
# Values that no argument of a space accepts in place of an integer or a number.
not_numbers = st.one_of(st.none(), st.text(max_size=3), st.lists(st.integers(), max_size=2))


def options(elements, max_size=4):
    """A non-empty list of distinct options; lists and tuples are both accepted."""
    return st.lists(elements, min_size=1, max_size=max_size, unique=True).flatmap(
        lambda values: st.sampled_from([values, tuple(values)])
    )


def subsets(allowed):
    return options(st.sampled_from(allowed), max_size=len(allowed))


def image_shapes(min_size=1):
    return st.tuples(st.integers(min_size, 64), st.integers(min_size, 64), st.integers(1, 8))


@st.composite
def common_kwargs(draw):
    """The `SearchSpace` arguments: head, optimizer, loss, metrics and dropout."""
    kwargs = {}
    if draw(st.booleans()):
        kwargs["num_classes"] = draw(st.integers(2, 1000))
    else:
        kwargs["num_classes"] = None
        units = draw(st.none() | st.integers(1, 16))
        if units is not None:
            kwargs["output_units"] = units
    kwargs["optimizer"] = draw(st.sampled_from(OPTIMIZERS))
    kwargs["learning_rate"] = draw(st.floats(1e-6, 10.0) | st.integers(1, 3))
    kwargs["loss"] = draw(
        st.sampled_from([None, "mse", "huber"])
        | st.floats(0.1, 10.0).map(lambda delta: keras.losses.Huber(delta=delta))
    )
    kwargs["metrics"] = draw(st.sampled_from([None, ["mae"], ["accuracy", "mse"]]))
    kwargs["dropout"] = draw(rates)
    return kwargs


@st.composite
def macro_kwargs(draw):
    return {
        "input_shape": draw(st.tuples(dims, st.integers(1, 8)) | image_shapes()),
        "num_stages": draw(st.integers(1, 5)),
        "block_types": draw(subsets(macro.BLOCK_TYPES)),
        "kernels": draw(options(st.integers(1, 7))),
        "widths": draw(options(small_ints)),
        "depths": draw(options(st.integers(1, 4))),
        "expansions": draw(options(st.integers(1, 8))),
        "stem_width": draw(small_ints),
    }


@st.composite
def mlp_kwargs(draw):
    return {
        "input_shape": draw(st.tuples(dims) | st.lists(dims, min_size=1, max_size=1)),
        "max_layers": draw(st.integers(1, 5)),
        "units": draw(options(st.integers(1, 512))),
        "activations": draw(subsets(ACTIVATIONS)),
        "dropouts": draw(options(rates)),
        "normalizations": draw(subsets(mlp.NORMALIZATIONS)),
    }


@st.composite
def mobilenet_kwargs(draw):
    return {
        "input_shape": draw(image_shapes()),
        "depths": draw(options(st.integers(1, 5))),
        "kernels": draw(options(st.integers(1, 7))),
        "expansions": draw(options(st.integers(1, 8))),
        "width_multipliers": draw(options(st.floats(0.125, 4.0) | st.integers(1, 3))),
        "skeleton": draw(st.sampled_from(sorted(SKELETONS))),
    }


@st.composite
def nasnet_kwargs(draw):
    shape = draw(image_shapes())
    return {
        "input_shape": shape,
        "num_blocks": draw(st.integers(1, 6)),
        "cells_per_stage": draw(st.integers(1, 4)),
        # The input must be at least 2 ** num_reductions in height and width.
        "num_reductions": draw(st.integers(0, min(shape[:2]).bit_length() - 1)),
        "channels": draw(small_ints),
        "operations": draw(subsets(nasnet.OPERATIONS + nasnet.MORE_OPERATIONS)),
        "separable_repeats": draw(st.sampled_from((1, 2))),
        "cell_output": draw(st.sampled_from(nasnet.CELL_OUTPUTS)),
    }


@st.composite
def nasbench201_kwargs(draw):
    return {
        "input_shape": draw(image_shapes(min_size=4)),
        "cells_per_stage": draw(st.integers(1, 6)),
        "channels": draw(small_ints),
        "operations": draw(subsets(nasbench201.OPERATIONS)),
    }


OWN_KWARGS = {
    MacroSpace: macro_kwargs(),
    MLPSpace: mlp_kwargs(),
    MobileNetSpace: mobilenet_kwargs(),
    NASBench201Space: nasbench201_kwargs(),
    NASNetCellSpace: nasnet_kwargs(),
}


@st.composite
def spaces_and_kwargs(draw, classes=SPACES, **overrides):
    """A space class and valid constructor arguments for it; `overrides` maps argument
    names to strategies that replace the default ones."""
    space_class = draw(st.sampled_from(classes))
    kwargs = {**draw(common_kwargs()), **draw(OWN_KWARGS[space_class])}
    return space_class, {**kwargs, **{name: draw(s) for name, s in overrides.items()}}


def option_values(h):
    if isinstance(h, hp_types.Boolean):
        return [False, True]
    if isinstance(h, hp_types.Choice):
        return list(h.values)
    raise AssertionError(f"The spaces declare only Choice and Boolean; got {h!r}.")


@st.composite
def spaces_and_values(draw, classes=SPACES, **overrides):
    """A space and a value for every choice it declares (active or not)."""
    space_class, kwargs = draw(spaces_and_kwargs(classes, **overrides))
    space = space_class(**kwargs)
    values = {
        h.name: draw(st.sampled_from(option_values(h)))
        for h in space.declared_hyperparameters().space
    }
    return space, values


def expected_config_value(space_class, name, value):
    """What `get_config` holds for an argument passed as `value`."""
    if name == "loss" and isinstance(value, keras.losses.Loss):
        return keras.saving.serialize_keras_object(value)
    if space_class is MobileNetSpace and name == "depths":
        return sorted(value)
    if name in ("learning_rate", "dropout"):
        return float(value)
    if name in ("width_multipliers", "dropouts"):
        return [float(option) for option in value]
    if isinstance(value, tuple):
        return list(value)
    return value


def received(name, value):
    """The part of an error message that names the argument and the value received."""
    return f"Received: {name}={value!r}"


def raises(*facts):
    """`pytest.raises` of a ValueError whose message holds each of `facts`."""
    return raises_mentioning(ValueError, *facts)


def strict_json(obj):
    """`json.dumps` that fails on NaN and infinities, which JSON does not have."""
    return json.dumps(obj, allow_nan=False, sort_keys=True)


# ------------------------------------------------------------------------ valid arguments
@settings(max_examples=60, deadline=None)
@given(spaces_and_kwargs())
def test_valid_arguments_construct_and_config_round_trips_exactly(space_and_kwargs):
    space_class, kwargs = space_and_kwargs
    space = space_class(**kwargs)
    config = space.get_config()
    text = strict_json(config)

    restored = space_class.from_config(json.loads(text))

    assert strict_json(restored.get_config()) == text
    assert restored.get_config() == config
    for name, value in kwargs.items():
        if name != "output_units":
            assert config[name] == expected_config_value(space_class, name, value), name
    regression = kwargs["num_classes"] is None
    assert config["output_units"] == (kwargs.get("output_units", 1) if regression else None)
    declared = space.declared_hyperparameters().get_config()
    assert restored.declared_hyperparameters().get_config() == declared
    assert space.complete_values() == restored.complete_values()


# ---------------------------------------------------------------------- invalid arguments
# Each test draws the space too: one test item per property keeps the suite's per-test setup
# (a fresh Keras session, see tests/conftest.py) from dominating the run time.
space_classes = st.sampled_from(SPACES)


def build(space_class, *args, **kwargs):
    """The space with a valid input shape and `args`, `kwargs` for the other arguments."""
    return space_class(INPUT_SHAPES[space_class], *args, **kwargs)


@settings(max_examples=40, deadline=None)
@given(
    space_class=space_classes,
    num_classes=st.integers(max_value=1)
    | st.floats()
    | st.booleans()
    | st.text(max_size=3)
    | st.lists(st.integers(2, 9), max_size=2),
)
@example(space_class=MLPSpace, num_classes=float("nan"))
@example(space_class=MacroSpace, num_classes=10.0)
@example(space_class=NASNetCellSpace, num_classes=True)
def test_invalid_num_classes_raise(space_class, num_classes):
    with raises("`num_classes`", "integer of at least 2", received("num_classes", num_classes)):
        build(space_class, num_classes)


@settings(max_examples=25, deadline=None)
@given(
    space_class=space_classes,
    num_classes=st.integers(2, 100),
    output_units=st.integers(-3, 10),
)
def test_output_units_with_classification_raise(space_class, num_classes, output_units):
    with raises("`output_units`", f"num_classes={num_classes}, output_units={output_units}"):
        build(space_class, num_classes, output_units=output_units)


@settings(max_examples=25, deadline=None)
@given(
    space_class=space_classes,
    output_units=st.integers(max_value=0) | st.floats() | st.booleans() | st.text(max_size=3),
)
def test_invalid_output_units_raise(space_class, output_units):
    with raises("`output_units`", "positive integer", received("output_units", output_units)):
        build(space_class, None, output_units=output_units)


def bad_dimension():
    return st.integers(max_value=0) | st.floats() | st.booleans() | st.none() | st.text(max_size=2)


@st.composite
def invalid_input_shapes(draw, ranks):
    kind = draw(st.sampled_from(["rank", "dimension", "not_a_shape"]))
    if kind == "rank":
        rank = draw(st.integers(0, 5).filter(lambda rank: rank not in ranks))
        shape = draw(st.lists(dims, min_size=rank, max_size=rank))
    elif kind == "dimension":
        shape = draw(st.lists(dims, min_size=max(ranks), max_size=max(ranks)))
        shape[draw(st.integers(0, len(shape) - 1))] = draw(bad_dimension())
    else:
        return draw(st.integers() | st.floats() | st.none())
    return draw(st.sampled_from([shape, tuple(shape)]))


@settings(max_examples=50, deadline=None)
@given(space_class=space_classes, data=st.data())
def test_invalid_input_shape_raise(space_class, data):
    input_shape = data.draw(invalid_input_shapes(space_class.supported_ranks))
    with raises(f"`input_shape` of {space_class.__name__}", received("input_shape", input_shape)):
        space_class(input_shape, 10)


def test_supported_ranks_are_the_documented_ones():
    # The strategies above rely on them: a change of ranks must be a deliberate one.
    for space_class, ranks in RANKS.items():
        assert space_class.supported_ranks == ranks
    assert NASNetCellSpace.supported_ranks == NASBench201Space.supported_ranks == (3,)


@settings(max_examples=30, deadline=None)
@given(
    space_class=space_classes,
    learning_rate=st.floats(max_value=0.0) | st.integers(max_value=0) | st.booleans() | not_numbers,
)
@example(space_class=MLPSpace, learning_rate=float("nan"))
@example(space_class=MacroSpace, learning_rate=float("inf"))
def test_invalid_learning_rate_raise(space_class, learning_rate):
    with raises("`learning_rate`", "above 0", received("learning_rate", learning_rate)):
        build(space_class, 10, learning_rate=learning_rate)


@settings(max_examples=30, deadline=None)
@given(
    space_class=space_classes,
    dropout=st.floats().filter(lambda rate: not 0 <= rate < 1) | st.booleans() | not_numbers,
)
@example(space_class=MobileNetSpace, dropout=1.0)
@example(space_class=NASBench201Space, dropout=float("nan"))
def test_invalid_dropout_raise(space_class, dropout):
    with raises("`dropout`", "at least 0 and below 1", received("dropout", dropout)):
        build(space_class, 10, dropout=dropout)


@settings(max_examples=30, deadline=None)
@given(
    space_class=space_classes,
    optimizer=st.text(max_size=8).map(lambda name: "not_" + name) | st.integers() | st.none(),
)
@example(space_class=MLPSpace, optimizer="LossScaleOptimizer")
@example(space_class=NASBench201Space, optimizer="Optimizer")
@example(space_class=MLPSpace, optimizer=keras.optimizers.SGD())
@example(space_class=MacroSpace, optimizer="")
def test_unknown_optimizer_raise(space_class, optimizer):
    with raises("`optimizer`", "Keras optimizer", received("optimizer", optimizer)):
        build(space_class, 10, optimizer=optimizer)


#: The integer arguments that must be positive, by space.
POSITIVE_INTS = [
    (MacroSpace, "num_stages"),
    (MacroSpace, "stem_width"),
    (MLPSpace, "max_layers"),
    (NASNetCellSpace, "num_blocks"),
    (NASNetCellSpace, "cells_per_stage"),
    (NASNetCellSpace, "channels"),
    (NASBench201Space, "cells_per_stage"),
    (NASBench201Space, "channels"),
]


@settings(max_examples=40, deadline=None)
@given(
    argument=st.sampled_from(POSITIVE_INTS),
    value=st.integers(max_value=0) | st.floats() | st.booleans() | not_numbers,
)
@example(argument=(MacroSpace, "num_stages"), value=2.0)
def test_non_positive_integer_arguments_raise(argument, value):
    space_class, name = argument
    with raises(f"`{name}`", "positive integer", received(name, value)):
        build(space_class, 10, **{name: value})


@settings(max_examples=15, deadline=None)
@given(num_reductions=st.integers(max_value=-1) | st.floats() | st.booleans() | not_numbers)
def test_invalid_num_reductions_raise(num_reductions):
    with raises(
        "`num_reductions`", "integer of at least 0", received("num_reductions", num_reductions)
    ):
        NASNetCellSpace((8, 8, 1), 10, num_reductions=num_reductions)


@settings(max_examples=15, deadline=None)
@given(shape=image_shapes(), extra=st.integers(1, 3))
def test_num_reductions_beyond_the_input_size_raise(shape, extra):
    num_reductions = min(shape[:2]).bit_length() - 1 + extra
    side = 2**num_reductions
    with raises(
        f"`num_reductions={num_reductions}`", f"{side}x{side}", received("input_shape", shape)
    ):
        NASNetCellSpace(shape, 10, num_reductions=num_reductions)


@settings(max_examples=15, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 3), st.integers(1, 64), st.integers(1, 4)).flatmap(
        lambda shape: st.sampled_from([shape, (shape[1], shape[0], shape[2])])
    )
)
def test_nasbench201_images_below_4x4_raise(shape):
    with raises("NASBench201Space", "4x4", received("input_shape", shape)):
        NASBench201Space(shape, 10)


class OptionList(NamedTuple):
    """A constructor argument that lists options."""

    space_class: type
    name: str
    valid: st.SearchStrategy  # One valid option.
    wrong_type: type  # The type of an option of the wrong type.
    allowed: tuple | None = None  # The allowed options, where the space has a fixed set.
    positive: bool = False


OPTION_LISTS = [
    OptionList(
        MacroSpace, "block_types", st.sampled_from(macro.BLOCK_TYPES), int, macro.BLOCK_TYPES
    ),
    OptionList(MacroSpace, "kernels", small_ints, str, positive=True),
    OptionList(MacroSpace, "widths", small_ints, str, positive=True),
    OptionList(MacroSpace, "depths", small_ints, str, positive=True),
    OptionList(MacroSpace, "expansions", small_ints, str, positive=True),
    OptionList(MLPSpace, "units", small_ints, str, positive=True),
    OptionList(MLPSpace, "activations", st.sampled_from(ACTIVATIONS), int),
    OptionList(MLPSpace, "dropouts", rates, str),
    OptionList(
        MLPSpace, "normalizations", st.sampled_from(mlp.NORMALIZATIONS), int, mlp.NORMALIZATIONS
    ),
    OptionList(MobileNetSpace, "depths", small_ints, str, positive=True),
    OptionList(MobileNetSpace, "kernels", small_ints, str, positive=True),
    OptionList(MobileNetSpace, "expansions", small_ints, str, positive=True),
    OptionList(MobileNetSpace, "width_multipliers", st.floats(0.125, 4.0), str, positive=True),
    OptionList(
        NASNetCellSpace,
        "operations",
        st.sampled_from(nasnet.OPERATIONS + nasnet.MORE_OPERATIONS),
        int,
        nasnet.OPERATIONS + nasnet.MORE_OPERATIONS,
    ),
    OptionList(
        NASBench201Space,
        "operations",
        st.sampled_from(nasbench201.OPERATIONS),
        int,
        nasbench201.OPERATIONS,
    ),
]


def with_inserted(data, valid, bad):
    """A valid list of options with `bad` inserted at a drawn position."""
    values = data.draw(st.lists(valid, max_size=3, unique=True))
    values.insert(data.draw(st.integers(0, len(values))), bad)
    return values


@settings(max_examples=40, deadline=None)
@given(
    argument=st.sampled_from(OPTION_LISTS),
    value=st.sampled_from([[], ()]) | st.text(max_size=4) | st.integers() | st.none(),
)
def test_empty_or_non_list_options_raise(argument, value):
    name = argument.name
    if isinstance(value, (list, tuple)):
        facts = ("at least one option", f"Received: {name}=[]")
    else:
        facts = ("list of options", received(name, value))
    with raises(f"`{name}`", *facts):
        build(argument.space_class, 10, **{name: value})


@settings(max_examples=40, deadline=None)
@given(argument=st.sampled_from(OPTION_LISTS), data=st.data())
def test_repeated_options_raise(argument, data):
    name = argument.name
    value = data.draw(st.lists(argument.valid, min_size=1, max_size=3, unique=True))
    value.insert(data.draw(st.integers(0, len(value))), data.draw(st.sampled_from(value)))
    with raises(f"`{name}`", "repeat", f"Received: {name}={value}"):
        build(argument.space_class, 10, **{name: value})


@settings(max_examples=40, deadline=None)
@given(argument=st.sampled_from(OPTION_LISTS), data=st.data())
def test_options_of_the_wrong_type_raise(argument, data):
    name = argument.name
    wrong = st.text(max_size=3) if argument.wrong_type is str else st.integers() | st.none()
    value = with_inserted(data, argument.valid, data.draw(wrong))
    with raises(f"`{name}`", "of type", received(name, value)):
        build(argument.space_class, 10, **{name: value})


@settings(max_examples=30, deadline=None)
@given(
    argument=st.sampled_from([argument for argument in OPTION_LISTS if argument.positive]),
    data=st.data(),
)
def test_non_positive_options_raise(argument, data):
    name = argument.name
    bad = data.draw(st.integers(-5, 0))
    value = with_inserted(data, argument.valid, float(bad) if name == "width_multipliers" else bad)
    with raises(f"`{name}`", "positive", f"Received: {name}={value}"):
        build(argument.space_class, 10, **{name: value})


def test_width_multipliers_must_be_finite():
    for bad in (float("nan"), float("inf"), -float("inf")):
        value = [1.0, bad]
        with raises("`width_multipliers`", "finite number", f"width_multipliers={value}"):
            MobileNetSpace((8, 8, 1), 10, width_multipliers=value)


@settings(max_examples=25, deadline=None)
@given(
    argument=st.sampled_from([argument for argument in OPTION_LISTS if argument.allowed]),
    data=st.data(),
    bad=st.text(max_size=6).map(lambda text: "not_" + text),
)
def test_unknown_options_raise(argument, data, bad):
    name, allowed = argument.name, list(argument.allowed)
    value = with_inserted(data, argument.valid, bad)
    with raises(repr(bad), f"`{name}`", str(allowed), received(name, value)):
        build(argument.space_class, 10, **{name: value})


@settings(max_examples=10, deadline=None)
@given(data=st.data(), bad=st.text(max_size=6).map(lambda text: "not_" + text))
def test_unknown_activations_raise(data, bad):
    value = with_inserted(data, st.sampled_from(ACTIVATIONS), bad)
    with raises(f"Unknown activation {bad!r}", "`activations`", "Keras activation"):
        MLPSpace((8,), 10, activations=value)


@settings(max_examples=15, deadline=None)
@given(data=st.data(), bad=st.floats().filter(lambda rate: not 0 <= rate < 1))
def test_dropouts_outside_0_1_raise(data, bad):
    value = with_inserted(data, rates, bad)
    # NaN and infinities are caught by the finiteness check, the rest by the range check.
    finite = math.isfinite(bad)
    requirement = "[0, 1)" if finite else "finite"
    with raises("`dropouts`", requirement, received("dropouts", value)):
        MLPSpace((8,), 10, dropouts=value)


# ------------------------------------------------------------------- hyperparameter values
@settings(max_examples=40, deadline=None)
@given(spaces_and_values())
def test_describe_is_json_and_canonical_key_is_stable(space_and_values):
    space, values = space_and_values
    complete = space.complete_values(values)
    # The active choices keep their drawn value; inactive ones are dropped.
    assert complete == {name: value for name, value in values.items() if name in complete}
    assert space.complete_values(complete) == complete

    description = space.describe(values)
    assert json.loads(strict_json(description)) == description
    assert description["space"] == type(space).__name__
    assert genotype.flatten(description["genotype"]) == complete
    assert space.complete_values(json.loads(strict_json(description))) == complete

    key = space.canonical_key(values)
    assert isinstance(key, str)
    assert space.canonical_key(complete) == key
    assert space.canonical_key(description) == key
    assert space.canonical_key(dict(reversed(list(values.items())))) == key
    assert type(space).from_config(space.get_config()).canonical_key(values) == key

    graph = space.architecture_graph(values)
    assert json.loads(strict_json(graph)) == graph
    assert all(0 <= source < len(graph["nodes"]) for source, _, _ in graph["edges"])
    assert all(0 <= target < len(graph["nodes"]) for _, target, _ in graph["edges"])


@settings(max_examples=20, deadline=None)
@given(
    space_and_values=spaces_and_values(),
    others=st.dictionaries(st.sampled_from(["tuned/batch_size", "epochs"]), st.integers(1, 9)),
)
def test_values_outside_the_space_are_part_of_the_key(space_and_values, others):
    space, values = space_and_values
    key = space.canonical_key(values)
    with_others = space.canonical_key({**values, **others})
    assert with_others == (key + " " + json.dumps(others, sort_keys=True) if others else key)


@settings(max_examples=20, deadline=None)
@given(spaces_and_values(classes=(NASBench201Space,)))
def test_nasbench201_arch_string_round_trips(space_and_values):
    space, values = space_and_values
    arch_string = space.to_arch_string(values)
    assert space.from_arch_string(arch_string) == space.complete_values(values)
    # The key depends on the function the cell computes, so it survives the round trip.
    assert space.canonical_key(space.from_arch_string(arch_string)) == space.canonical_key(values)


@settings(max_examples=5, deadline=None)
@given(spaces_and_values(classes=(MLPSpace,), units=options(st.integers(1, 16))))
def test_mlp_builds_the_drawn_model(space_and_values):
    space, values = space_and_values
    model = space.build_model(values)
    outputs = space.num_classes or space.output_units
    assert model.input_shape == (None, *space.input_shape)
    assert model.output_shape == (None, outputs)
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    complete = space.complete_values(values)
    assert len(dense) == complete["num_layers"] + 1
    assert [layer.units for layer in dense[:-1]] == [
        complete[f"layer_{i}/units"] for i in range(1, complete["num_layers"] + 1)
    ]
