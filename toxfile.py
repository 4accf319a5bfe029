"""tox's inline plugin: the layer registry's envs (``scripts/layer_envs.py``).

Every layer of ``[tool.ci_metrics.layers]`` in ``pyproject.toml`` becomes a tox env
(labelled ``layers``, ``ci`` and ``test``), as does ``unit``; the layers join
``env_list`` and ``coverage``'s ``depends``. The generated sections are read by
tox's own ini loader, not given as ``MemoryLoader`` values, which tox takes
literally: a layer's command needs ``{posargs}``, ``{env:...}`` and
``{py_dot_ver}``, known only when the env runs. Each is placed after the env's
own ``[testenv:<name>]`` of ``tox.ini`` and before ``[testenv]``: a key ``tox.ini``
writes for a generated env wins, the others come from the registry, then from the
base. A malformed registry stops tox with one line naming every problem.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from configparser import ConfigParser
from functools import cache
from pathlib import Path
from typing import Any

from tox.config.loader.api import Loader
from tox.config.loader.ini import IniLoader
from tox.config.loader.memory import MemoryLoader
from tox.config.sets import ConfigSet, EnvConfigSet
from tox.config.source.ini import IniSource
from tox.config.source.ini_section import IniSection
from tox.config.types import EnvList
from tox.plugin import impl
from tox.report import HandledError
from tox.session.state import State

from scripts.layer_envs import LayerEnvs, load_layer_envs
from scripts.layer_registry import RegistryError

PYPROJECT = Path(__file__).resolve().parent / "pyproject.toml"


@cache
def _generated() -> tuple[LayerEnvs, ConfigParser]:
    try:
        envs = load_layer_envs(PYPROJECT)
    except RegistryError as exc:
        raise HandledError(f"{PYPROJECT.name}: {exc}") from None
    parser = ConfigParser(interpolation=None)
    parser.read_dict({IniSection.test_env(name).key: keys for name, keys in envs.sections.items()})
    return envs, parser


@impl
def tox_extend_envs() -> Iterable[str]:
    envs, _ = _generated()
    return envs.new_envs


@impl
def tox_add_core_config(core_conf: ConfigSet, state: State) -> None:
    envs, _ = _generated()
    env_list: EnvList = core_conf["env_list"]
    env_list.envs[:0] = [name for name in envs.layers if name not in env_list.envs]


@impl
def tox_add_env_config(env_conf: EnvConfigSet, state: State) -> None:
    envs, parser = _generated()
    if env_conf.name not in envs.sections:
        return
    section = IniSection.test_env(env_conf.name)
    loader = IniLoader(section, parser, [], core_section=IniSource.CORE_SECTION)
    env_conf.loaders.insert(_first_base(env_conf.loaders, section.key), loader)


def _first_base(loaders: Sequence[Loader[Any]], own: str) -> int:
    """Where the base sections start: after in-memory values and the env's own section."""
    for index, loader in enumerate(loaders):
        if not isinstance(loader, MemoryLoader) and loader.section.key != own:
            return index
    return len(loaders)
