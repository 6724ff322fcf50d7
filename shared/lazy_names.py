"""Package names imported on first use (PEP 562), so that importing a package stays light.

Why: ``cnnkit <app> --help`` imports the application package; its public names pull in Keras,
RDKit or OpenCV, which take seconds to start, so each name loads its module only when asked for.
"""

import importlib


def lazy_attributes(package: str, exports: dict):
    """A module ``__getattr__`` for ``package`` that imports ``package.<exports[name]>`` on first use."""

    def __getattr__(name):
        if name in exports:
            return getattr(importlib.import_module(f"{package}.{exports[name]}"), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
