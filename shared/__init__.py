"""cnnkit's reusable CNN core: backbone, layers, tasks, fine-tuning, training, data.

Names are imported on first use, so that ``import shared.cli`` (every ``cnnkit <app> --help``)
and ``shared.data`` do not start Keras and TensorFlow. The first Keras name asked for loads the
whole core at once, so every class a saved ``.keras`` file may name is registered before a load.
"""

import importlib

# The Keras core, loaded together; losses: registers saved-model classes.
_CORE_MODULES = ("architectures", "finetune", "layers", "losses", "backbone", "tasks")
_CORE_NAMES = {
    "Backbone": "backbone", "Classifier": "tasks", "MultiLabelClassifier": "tasks",
    "Regressor": "tasks", "Task": "tasks",
}
# Light or optional modules, each imported alone: data resolves files; training pulls TensorFlow pieces.
_ALONE_MODULES = ("callbacks", "cli", "data", "training")

__all__ = [
    "Backbone", "Classifier", "MultiLabelClassifier", "Regressor", "Task",
    "architectures", "callbacks", "cli", "data", "finetune", "layers", "losses", "training",
]


def _load_core() -> None:
    for module_name in _CORE_MODULES:
        module = importlib.import_module(f"shared.{module_name}")
        globals()[module_name] = module
    for name, module_name in _CORE_NAMES.items():
        globals()[name] = getattr(globals()[module_name], name)


def __getattr__(name):
    if name in _CORE_NAMES or name in _CORE_MODULES:
        _load_core()
        return globals()[name]
    if name in _ALONE_MODULES:
        return importlib.import_module(f"shared.{name}")
    raise AttributeError(f"module 'shared' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
