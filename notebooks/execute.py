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
    # Library log noise (TensorFlow start-up lines) is not part of the story.
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    nbformat.write(notebook, path)
    print("executed", path.name)
