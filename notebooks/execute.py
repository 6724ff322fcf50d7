"""Execute a notebook in place (full mode unless CNNKIT_FAST=1): python notebooks/execute.py NAME.ipynb"""

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

root = Path(__file__).resolve().parent.parent
for name in sys.argv[1:]:
    path = root / "notebooks" / name
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=3600, kernel_name="python3",
                   resources={"metadata": {"path": str(root)}}).execute()
    nbformat.write(notebook, path)
    print("executed", path.name)
