"""Turn the notebook sources into notebooks: ``notebooks/NN_name.py`` -> ``notebooks/NN_name.ipynb``.

Each notebook is kept as a plain Python script in jupytext's percent format (``# %%`` starts a
code cell, ``# %% [markdown]`` a text cell), so it is linted and reviewed like the rest of
the code; the ``.ipynb`` beside it is generated. keras-io's tutobooks work the same way.

    python -m notebooks.build                     # convert every source (no execution)
    python -m notebooks.build 01_image_recognition --execute   # convert and run top to bottom

Execution runs in the repository root, in full mode unless ``CNNKIT_FAST=1``; the notebook is
written back with its outputs (library log lines on stderr dropped).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "notebooks"
KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}


def sources() -> list[Path]:
    """Every notebook source: ``notebooks/NN_*.py``."""
    return sorted(p for p in FOLDER.glob("[0-9][0-9]_*.py"))


def source_path(name: str) -> Path:
    """``01_image_recognition``, ``01_image_recognition.py`` or ``.ipynb`` -> the ``.py`` source."""
    path = FOLDER / (Path(name).stem + ".py")
    if not path.is_file():
        known = ", ".join(p.stem for p in sources())
        raise FileNotFoundError(f"{path}: no such notebook source; expected one of {known}.")
    return path


def read(name: str):
    """The notebook of source ``name`` as an ``nbformat`` object (not executed)."""
    import jupytext

    notebook = jupytext.read(source_path(name), fmt="py:percent")
    notebook.metadata["kernelspec"] = KERNEL
    notebook.metadata.pop("jupytext", None)
    return notebook


def execute(notebook, timeout: int = 3600):
    """Run ``notebook`` top to bottom in the repository root; raise on a cell error."""
    from nbclient import NotebookClient

    NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    return notebook


def build(name: str, run: bool = False) -> Path:
    """Write ``notebooks/<name>.ipynb`` from its source, executed when ``run``.

    Without ``run``, the outputs of the existing ``.ipynb`` are kept for every cell whose code is
    unchanged (jupytext's ``combine_inputs_with_outputs``), so a text edit needs no re-run.
    """
    import nbformat

    notebook = read(name)
    target = source_path(name).with_suffix(".ipynb")
    if not run and target.is_file():
        from jupytext.combine import combine_inputs_with_outputs

        notebook = combine_inputs_with_outputs(notebook, nbformat.read(target, as_version=4), fmt="py:percent")
        notebook.metadata["kernelspec"] = KERNEL
        notebook.metadata.pop("jupytext", None)
    if run:
        execute(notebook)
        # Library log noise (TensorFlow start-up lines) is not part of the story.
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs = [o for o in cell.get("outputs", [])
                                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    nbformat.write(notebook, target)
    return target


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m notebooks.build", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="notebook names (default: all)")
    parser.add_argument("--execute", action="store_true", help="run each notebook and keep its outputs")
    args = parser.parse_args(argv)
    for name in args.names or [p.stem for p in sources()]:
        print("wrote", build(name, run=args.execute).relative_to(ROOT), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
