import pathlib
import re

import keras_tuner
import pytest

from keras_nas import compat


@pytest.mark.parametrize("version", ["1.4.7", "1.4.8", "1.4.9.dev0"])
def test_supported_versions_pass(version):
    compat.check_version(version)


@pytest.mark.parametrize("version", ["1.4.6", "1.5.0", "2.0.0"])
def test_an_unsupported_version_fails_loudly_naming_the_fix(version):
    with pytest.raises(ImportError) as raised:
        compat.check_version(version)
    message = str(raised.value)
    assert f"keras-tuner {version}" in message
    assert "pip install 'keras-tuner>=1.4.7,<1.5'" in message


def test_the_installed_keras_tuner_has_every_private_member_keras_nas_uses():
    missing = [
        f"{cls.__name__}.{name}"
        for cls, names in compat.PRIVATE_MEMBERS.items()
        for name in names
        if not callable(getattr(cls, name, None))
    ]
    oracle = keras_tuner.Oracle(objective=keras_tuner.Objective("score", "max"), max_trials=1)
    missing += [
        f"Oracle().{name}" for name in compat.PRIVATE_ORACLE_ATTRIBUTES if not hasattr(oracle, name)
    ]
    assert missing == []


def test_private_names_are_used_nowhere_else():
    package = pathlib.Path(compat.__file__).parent
    names = {name for names in compat.PRIVATE_MEMBERS.values() for name in names}
    names |= set(compat.PRIVATE_ORACLE_ATTRIBUTES)
    overridden = {
        "_check_consecutive_failures",
        "_configure_tensorboard_dir",
        "_populate_initial_space",
        "_save_trial",
        "_try_build",
    }
    uses = []
    for path in package.rglob("*.py"):
        if path.name == "compat.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for name in names - overridden:
                if re.search(rf"\.{name}\b", line):
                    uses.append(f"{path.relative_to(package)}:{number}: {name}")
    assert uses == []
