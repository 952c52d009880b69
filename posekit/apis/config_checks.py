"""Validate a loaded config before a Runner is built; every failure is one line.

* :func:`check_cfg_options` — ``--cfg-options`` keys that no part of the config accepts
  (:func:`merge_cfg_options` checks, then merges, as ``tools/train.py`` / ``tools/test.py``).
* :func:`check_model_parts` — the model config gives every argument its type requires
  (``model.backbone`` and ``model.head`` for a ``PoseTracker``).
* :func:`check_train_loop` — the training loop fits the losses: unsupervised losses need
  ``SemiSupervisedTrainLoop``, which needs unsupervised losses and an unlabeled dataloader.

Rules for an option ``a.b.c=value`` (the key path):

1. A key path that exists in the config is valid. Entries of lists are addressed by index
   (``model.losses.0.loss_weight``), as mmengine's ``DictAction`` and
   ``Config.merge_from_dict`` allow; an index past the end, a name inside a list and a key
   inside a plain value (``model.head.sigma.x``) are errors.
2. A new top-level key is valid when mmengine's Runner reads it — an argument of
   ``Runner.__init__`` (which ``Runner.from_cfg`` fills from the config keys of the same
   names) or one of :data:`RUNNER_CFG_KEYS`, which its methods read from ``runner.cfg`` — or
   posekit's code does (:data:`POSEKIT_CFG_KEYS`). Variables the config defines already
   exist (rule 1).
3. A new key inside an existing dict is checked against what builds that dict; the keys
   ``type``, ``_scope_`` and ``_delete_`` are valid in every dict:

   * ``train_cfg`` / ``val_cfg`` / ``test_cfg``: the loop class's constructor, less the
     ``runner``, ``dataloader`` and ``evaluator`` that mmengine passes itself. Without a
     ``type`` mmengine builds ``ValLoop`` / ``TestLoop``, and for training pops ``by_epoch``
     and builds ``EpochBasedTrainLoop`` (``IterBasedTrainLoop`` when ``by_epoch=False``), so
     ``by_epoch`` is valid in a ``train_cfg`` without ``type`` and only there;
     ``train_cfg.max_steps`` is valid too (:data:`POSEKIT_TRAIN_KEYS`).
   * ``*_dataloader`` without a ``type``: the arguments of ``torch.utils.data.DataLoader``
     plus :data:`DATALOADER_KEYS`, which ``Runner.build_dataloader`` reads itself.
   * A dict with a ``type`` (as set by the options, else by the config): the constructor of
     the class (or function) registered under that name in a registry of scope ``posekit``
     or in one of mmengine's; the key is valid if any so-named constructor takes it. A
     constructor taking ``**kwargs`` takes the key when the next constructor up its class
     hierarchy does (where such classes pass them on); when there is none left to inspect
     (``object``, a builtin) the key is accepted.
   * Anything else is accepted: dicts without a ``type`` (``env_cfg``, ``default_hooks``,
     ``randomness``, ...) and types registered nowhere (e.g. ``init_cfg`` initialisers),
     which mmengine reads in ways a signature does not tell; keys below a new key.

A rejected key's message names the closest valid keys (:mod:`difflib`): first among the
keys of its dict and the arguments its constructor takes, else any key of the config with
a similar name (``max_epochs`` → ``train_cfg.max_epochs``).
"""
import difflib
import inspect
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Optional

import mmengine.registry
from mmengine.config import Config
from mmengine.registry import Registry
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop, Runner, TestLoop, ValLoop
from torch.utils.data import DataLoader

import posekit.registry
from posekit.engine.loops import SemiSupervisedTrainLoop
from posekit.registry import LOOPS, MODELS, PosekitRegistry

#: Top-level keys that mmengine 0.10.7's Runner methods read from ``runner.cfg`` (model
#: wrapping, sync batch norm, activation checkpointing, conv-bn fusion, ``torch.compile``).
RUNNER_CFG_KEYS = ('model_wrapper_cfg', 'sync_bn', 'find_unused_parameters',
                   'activation_checkpointing', 'efficient_conv_bn_eval', 'compile')
#: Top-level keys that posekit's code and tools read.
POSEKIT_CFG_KEYS = ('custom_imports', 'toy_data', 'unlabeled_dataloader', 'test_pipeline',
                    'test_videos')
#: ``train_cfg`` keys that posekit reads and removes before the loop is built
#: (``posekit.apis.config.budget_hooks``); valid, never suggested for a misspelt key.
POSEKIT_TRAIN_KEYS = ('max_steps',)
#: Dataloader keys that ``Runner.build_dataloader`` pops before calling ``DataLoader``.
DATALOADER_KEYS = ('num_batch_per_epoch', 'disable_subprocess_warning')
#: The loop mmengine builds for a loop config without ``type`` (training: with ``by_epoch``).
DEFAULT_LOOPS = {'train_cfg': EpochBasedTrainLoop, 'val_cfg': ValLoop, 'test_cfg': TestLoop}
#: Loop arguments mmengine passes itself.
RUNNER_FILLED = frozenset({'runner', 'dataloader', 'evaluator'})
#: Keys mmengine's config merging and registries accept in any dict.
ALWAYS_VALID = frozenset({'type', '_scope_', '_delete_'})


class ConfigError(ValueError):
    """A config (or a ``--cfg-options`` key) that posekit cannot run; one line."""


def constructor_arguments(obj: Callable) -> tuple[set[str], bool]:
    """The keyword arguments a class (or function) takes, following ``**kwargs`` upwards.

    Args:
        obj: A class or a function.

    Returns:
        ``(names, open)``: the argument names found, and whether any other name is accepted
        too (a ``**kwargs`` whose destination cannot be inspected).
    """
    is_class = inspect.isclass(obj)
    functions = [vars(k)['__init__'] for k in obj.__mro__
                 if k is not object and '__init__' in vars(k)] if is_class else [obj]
    names: set[str] = set()
    for function in functions:
        try:
            params = list(inspect.signature(function).parameters.values())
        except (TypeError, ValueError):  # a builtin or extension constructor
            return names, True
        names.update(p.name for p in params[int(is_class):]
                     if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            return names, False
    return names, True


def registries() -> list[Registry]:
    """posekit's registries, then mmengine's root registries that none of them descends from.

    A posekit registry's lookup falls back to its mmengine parent, as building under scope
    ``posekit`` does, so a name posekit registers shadows the parent's (e.g. ``Resize``).
    """
    own = [r for r in vars(posekit.registry).values() if isinstance(r, PosekitRegistry)]
    covered = set()
    for registry in own:
        while registry is not None:
            covered.add(id(registry))
            registry = registry.parent
    return own + [r for r in vars(mmengine.registry).values()
                  if isinstance(r, Registry) and id(r) not in covered]


def registered(name: Any) -> list[Callable]:
    """Every class or function registered as ``name`` (see :func:`registries`).

    Args:
        name: A ``type`` value: a registered name, or a class / function itself.

    Returns:
        The distinct objects found, posekit's first; empty when none.
    """
    if not isinstance(name, str):
        return [name] if callable(name) else []
    found: list[Callable] = []
    for registry in registries():
        try:
            obj = registry.get(name)
        except (KeyError, RuntimeError):
            continue
        if obj is not None and obj not in found:
            found.append(obj)
    return found


def runner_keys() -> set[str]:
    """Top-level keys read by mmengine's Runner or by posekit (rule 2 of the module doc)."""
    params = inspect.signature(Runner.__init__).parameters
    return (set(params) - {'self', 'cfg'}) | set(RUNNER_CFG_KEYS) | set(POSEKIT_CFG_KEYS)


def loop_class(key: str, type_name: Any, by_epoch: Any = True) -> type:
    """The class mmengine's Runner builds for a loop config.

    Args:
        key: ``'train_cfg'``, ``'val_cfg'`` or ``'test_cfg'``.
        type_name: The config's ``type`` (a ``LOOPS`` name or a class), or None.
        by_epoch: The training config's ``by_epoch`` (used without ``type``).

    Returns:
        The registered loop class; without ``type`` the one mmengine defaults to.

    Raises:
        KeyError: ``type_name`` is registered nowhere (naming the closest loops).
    """
    if type_name is None:
        return IterBasedTrainLoop if key == 'train_cfg' and not by_epoch else DEFAULT_LOOPS[key]
    return LOOPS.get(type_name) if isinstance(type_name, str) else type_name


def _accepted(path: list[str], node: Mapping, options: Mapping) -> Optional[tuple]:
    """What takes the keys of the dict at ``path``: ``(names, open, description)``.

    Returns:
        None when the dict takes any key (rule 3's last case).
    """
    where = '.'.join(path)
    type_name = options.get(f'{where}.type', node.get('type'))
    if len(path) == 1 and path[0] in DEFAULT_LOOPS:
        by_epoch = options.get(f'{where}.by_epoch', node.get('by_epoch', True))
        loop = loop_class(path[0], type_name, by_epoch)
        names, open_ = constructor_arguments(loop)
        names -= RUNNER_FILLED
        if type_name is None and path[0] == 'train_cfg':
            names.add('by_epoch')
        return names, open_, f'{loop.__name__} ({where})'
    if type_name is None:
        if path[-1].endswith('_dataloader'):
            names, _ = constructor_arguments(DataLoader)
            return names | set(DATALOADER_KEYS), False, f'DataLoader ({where})'
        return None
    found = registered(type_name)
    if not found:
        return None
    names, open_ = set(), False
    for obj in found:
        more, more_open = constructor_arguments(obj)
        names, open_ = names | more, open_ or more_open
    return names, open_, f'{getattr(found[0], "__name__", type_name)} ({where}.type)'


def _paths(node: Any, prefix: str = '') -> Iterator[tuple[str, str]]:
    """``(dotted path, last key)`` of every dict entry below ``node``, lists by index."""
    items = node.items() if isinstance(node, Mapping) else \
        enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        path = f'{prefix}{key}'
        yield path, str(key)
        yield from _paths(value, path + '.')


def _suggest(name: str, prefix: str, local: set[str], root: Mapping) -> str:
    """``'; did you mean a, b?'`` with the closest keys, or ``''``."""
    close = [prefix + c for c in difflib.get_close_matches(name, sorted(local), n=3)]
    if not close:
        paths = list(_paths(root))
        names = difflib.get_close_matches(name, sorted({last for _, last in paths}), n=3,
                                          cutoff=0.8)
        close = [path for path, last in paths if last in names][:3]
    return f'; did you mean {", ".join(close)}?' if close else ''


def _new_key_problem(parts: list[str], depth: int, node: Mapping, root: Mapping,
                     options: Mapping) -> Optional[str]:
    """Why the key ``parts[depth]``, new in the dict at ``parts[:depth]``, is invalid."""
    name, key = parts[depth], '.'.join(parts)
    if depth == 0:
        if name in runner_keys():
            return None
        return (f'{key}: the config has no key {name!r} and neither mmengine\'s Runner nor '
                f'posekit reads one{_suggest(name, "", set(root), root)}')
    if name in ALWAYS_VALID or (parts[:depth] == ['train_cfg'] and name in POSEKIT_TRAIN_KEYS):
        return None
    accepted = _accepted(parts[:depth], node, options)
    if accepted is None:
        return None
    names, open_, what = accepted
    if name in names or open_:
        return None
    prefix = '.'.join(parts[:depth]) + '.'
    hint = _suggest(name, prefix, names | set(node), root)
    if not hint:
        hint = f' (it takes {", ".join(sorted(names))})'
    return f'{key}: {what} takes no argument {name!r}{hint}'


def option_problem(cfg: Config, key: str, options: Mapping) -> Optional[str]:
    """Why one ``--cfg-options`` key is invalid for ``cfg`` (module doc), or None.

    Args:
        cfg: The loaded config, before the options are merged.
        key: A dotted key path, e.g. ``'train_cfg.max_epochs'``.
        options: All the options (a ``type`` set there counts for the keys beside it).

    Returns:
        A one-line reason naming the key, or None when the key is valid.
    """
    root = dict(cfg.items())
    parts, node = key.split('.'), root
    for depth, part in enumerate(parts):
        where = '.'.join(parts[:depth])
        if isinstance(node, list):
            last = f'0..{len(node) - 1}' if node else 'none, it is empty'
            if not part.isdigit():
                return f'{key}: {where} is a list; address its entries by index ({last})'
            if int(part) >= len(node):
                return f'{key}: {where} has {len(node)} entries (indices {last})'
            node = node[int(part)]
        elif not isinstance(node, Mapping):
            return f'{key}: {where} is a {type(node).__name__}, not a dict'
        elif part in node:
            node = node[part]
        else:
            return _new_key_problem(parts, depth, node, root, options)
    return None


def check_cfg_options(cfg: Config, options: Mapping) -> None:
    """Refuse ``--cfg-options`` keys that no part of the config accepts (module doc).

    Args:
        cfg: The loaded config, before the options are merged.
        options: ``{dotted key: value}`` as parsed by mmengine's ``DictAction``.

    Raises:
        ConfigError: One line naming every invalid key and the closest valid keys.
    """
    problems = [p for p in (option_problem(cfg, key, options) for key in options) if p]
    if problems:
        raise ConfigError('invalid --cfg-options key ' + '; '.join(problems))


def merge_cfg_options(cfg: Config, options: Mapping) -> None:
    """Check ``--cfg-options`` (:func:`check_cfg_options`), then merge them into ``cfg``."""
    check_cfg_options(cfg, options)
    cfg.merge_from_dict(dict(options))


def check_model_parts(cfg: Config) -> None:
    """Refuse a model config without an argument its type requires (``model.head``, ...).

    Args:
        cfg: The loaded config.

    Raises:
        ConfigError: No ``model``, no ``model.type``, or a required argument of the model's
            constructor (e.g. ``PoseTracker``'s ``backbone`` and ``head``) missing or None.
        KeyError: ``model.type`` is registered nowhere (naming the closest types).
    """
    model = cfg.get('model')
    if not isinstance(model, Mapping):
        raise ConfigError('the config has no model (a dict with type=...)')
    if model.get('type') is None:
        raise ConfigError('model.type is missing (e.g. model = dict(type=\'PoseTracker\', ...))')
    model_cls = model['type'] if callable(model['type']) else MODELS.get(model['type'])
    params = inspect.signature(model_cls).parameters.values()
    missing = [p.name for p in params if p.default is p.empty and
               p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and model.get(p.name) is None]
    if missing:
        keys = ' and '.join(f'model.{name}' for name in missing)
        raise ConfigError(
            f'{keys} {"are" if len(missing) > 1 else "is"} missing: {model_cls.__name__} needs '
            f'{"them" if len(missing) > 1 else "it"} (a dict with type=...)')


def check_train_loop(cfg: Config) -> None:
    """Refuse a training loop that does not fit the model's losses.

    ``model.unsupervised_losses`` only see the unlabeled clips that
    ``SemiSupervisedTrainLoop`` (or a subclass) loads; that loop needs an
    ``unlabeled_dataloader`` (in ``train_cfg`` or at the top level) and unsupervised losses
    to use its clips.

    Args:
        cfg: The loaded config (``train_cfg`` None: nothing to check).

    Raises:
        ConfigError: Naming the loop and what is missing or must change.
        KeyError: ``train_cfg.type`` is registered nowhere.
    """
    loop_cfg = cfg.get('train_cfg')
    if not isinstance(loop_cfg, Mapping):
        return
    loop_cls = loop_class('train_cfg', loop_cfg.get('type'), loop_cfg.get('by_epoch', True))
    unsupervised = [c.get('type') if isinstance(c, Mapping) else type(c).__name__
                    for c in (cfg.get('model') or {}).get('unsupervised_losses') or ()]
    semi = inspect.isclass(loop_cls) and issubclass(loop_cls, SemiSupervisedTrainLoop)
    if unsupervised and not semi:
        raise ConfigError(
            f'model.unsupervised_losses ({", ".join(map(str, unsupervised))}) need unlabeled '
            f'clips, which train_cfg.type={loop_cls.__name__!r} does not load: set '
            f"train_cfg.type='SemiSupervisedTrainLoop' (with an unlabeled_dataloader)")
    if not semi:
        return
    missing = []
    if not unsupervised:
        missing.append('model.unsupervised_losses (without them the clips go unused; '
                       "set train_cfg.type='EpochBasedTrainLoop' for supervised training)")
    if loop_cfg.get('unlabeled_dataloader') is None and cfg.get('unlabeled_dataloader') is None:
        missing.append('an unlabeled_dataloader (in train_cfg or at the top level)')
    if missing:
        raise ConfigError(f'train_cfg.type={loop_cls.__name__!r} needs '
                          + ' and '.join(missing))


def check_train_config(cfg: Config) -> None:
    """:func:`check_model_parts` and :func:`check_train_loop`, before training."""
    check_model_parts(cfg)
    check_train_loop(cfg)
