"""Build notebooks/02_video_analysis.ipynb (run: python notebooks/build_02_video_analysis.py)."""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

cells = [
    new_markdown_cell(
        "# Video analysis with cnnkit\n\n"
        "Streaming decoding with OpenCV, a TransNet-style shot-boundary CNN built on `shared.Backbone`, "
        "the edited-video generator it was trained on, a contact sheet, and a clip classifier on "
        "Moving-MNIST-style clips made from the real MNIST digits. With `CNNKIT_FAST=1` (the test suite) "
        "every step uses a tiny slice."
    ),
    new_code_cell(
        "import os\n"
        "import matplotlib\n"
        "matplotlib.use('Agg')\n"
        "import matplotlib.pyplot as plt\n"
        "import numpy as np\n"
        "from IPython.display import Image, display\n\n"
        "from apps.video_analysis.data import clip_path, load_boundaries, true_transitions, load_real_shots\n"
        "from apps.video_analysis.reader import VideoReader\n"
        "from apps.video_analysis.shot_detector import ShotDetector\n"
        "from apps.video_analysis.histogram_detector import HistogramDetector\n"
        "from apps.video_analysis.shots import contact_sheet\n"
        "from apps.video_analysis.metrics import boundary_f1\n\n"
        "FAST = os.environ.get('CNNKIT_FAST') == '1'\n"
        "CLIP = 'bikes_scene_cuts.mp4' if FAST else 'big_buck_bunny_0-30s_720p.webm'\n"
        "print('fast mode:', FAST, '| clip:', CLIP)"
    ),
    new_markdown_cell("## Frames: decoded as a stream, with index and timestamp"),
    new_code_cell(
        "frames = list(VideoReader(clip_path(CLIP), every=25 if FAST else 60, size=(160, 90)))[:8]\n"
        "fig, axes = plt.subplots(1, len(frames), figsize=(2.2 * len(frames), 1.8))\n"
        "for ax, frame in zip(axes, frames):\n"
        "    ax.imshow(frame.image); ax.set_title(f'#{frame.index} {frame.time_s:.1f}s', fontsize=8); ax.axis('off')\n"
        "plt.show()"
    ),
    new_markdown_cell(
        "## Shot boundaries: the CNN's transition probability over time\n"
        "Red lines: the hand-checked cuts of `shot_boundaries.csv`; grey: the histogram baseline's distance."
    ),
    new_code_cell(
        "detector = ShotDetector()\n"
        "result = detector.detect(clip_path(CLIP))\n"
        "truth, ignore = true_transitions(CLIP)\n"
        "indices, distances, _ = HistogramDetector().distances(clip_path(CLIP))\n"
        "fig, ax = plt.subplots(figsize=(10, 2.8))\n"
        "ax.plot(result.probabilities, label='CNN transition probability')\n"
        "ax.plot(indices, distances, color='grey', alpha=0.6, label='HSV histogram distance')\n"
        "for t in truth:\n"
        "    ax.axvline(t['start_frame'], color='red', linestyle='--', alpha=0.7)\n"
        "for a, b in ignore:\n"
        "    ax.axvspan(a, b, color='orange', alpha=0.15, label='fade-in (not a cut)')\n"
        "ax.set_xlabel('frame'); ax.legend(loc='upper right', fontsize=8); plt.show()\n"
        "print('F1 (2-frame tolerance):', boundary_f1(result.transitions, truth, 2, ignore))\n"
        "result.to_json()['transitions']"
    ),
    new_markdown_cell("## Contact sheet: one keyframe per shot"),
    new_code_cell(
        "sheet = contact_sheet(clip_path(CLIP), result.shots, '/tmp/cnnkit_contact_sheet.png', columns=4, thumb_width=200)\n"
        "display(Image(filename=str(sheet)))"
    ),
    new_markdown_cell(
        "## Training data: edited videos with exact ground truth\n"
        "Real single shots joined by cuts, dissolves, fades and wipes, plus flashes, fast camera motion and "
        "fast objects as hard negatives."
    ),
    new_code_cell(
        "from apps.video_analysis.edits import generate_edit\n"
        "from apps.video_analysis.data import real_shot_ranges\n"
        "from apps.video_analysis.reader import read_all\n"
        "if FAST:  # only the bikes clip's five real shots\n"
        "    bikes, _ = read_all(clip_path('bikes_scene_cuts.mp4'), size=(96, 54))\n"
        "    shots = [bikes[a:b + 1] for clip, a, b in real_shot_ranges() if clip == 'bikes_scene_cuts.mp4']\n"
        "else:  # all 12 real single shots of the five clips\n"
        "    shots = load_real_shots(size=(96, 54))\n"
        "edit = generate_edit(shots, seed=7, type_weights=(0, 1, 1, 1))\n"
        "t = edit.transitions[0]\n"
        "strip = edit.frames[max(0, t['start_frame'] - 2): t['end_frame'] + 3: 2][:10]\n"
        "fig, axes = plt.subplots(1, len(strip), figsize=(1.6 * len(strip), 1.3))\n"
        "for ax, image in zip(axes, strip):\n"
        "    ax.imshow(image); ax.axis('off')\n"
        "fig.suptitle(f\"{t['type']} frames {t['start_frame']}-{t['end_frame']}\", fontsize=9); plt.show()\n"
        "edit.transitions, edit.negatives"
    ),
    new_markdown_cell(
        "## Clip classifier: TimeDistributed(backbone) + temporal convolution\n"
        "Moving-MNIST-style clips from the real MNIST digits; the class is digit x motion (40 classes)."
    ),
    new_code_cell(
        "from sklearn.metrics import ConfusionMatrixDisplay, accuracy_score\n"
        "from apps.video_analysis import moving_mnist\n"
        "from apps.video_analysis.clip_model import build_clip_classifier\n"
        "count, epochs = (128, 1) if FAST else (3000, 4)\n"
        "x, y, names = moving_mnist.generate(count, frames=8, size=32, split='train', seed=0)\n"
        "xt, yt, _ = moving_mnist.generate(count // 4, frames=8, size=32, split='test', seed=1)\n"
        "model = build_clip_classifier(x.shape[1:], len(names), arch='td', filters=(4, 8) if FAST else (16, 32, 64))\n"
        "model.fit(x, y, validation_data=(xt, yt), epochs=epochs, batch_size=32, verbose=0)\n"
        "predicted = model.predict(xt, verbose=0).argmax(axis=1)\n"
        "print('accuracy digit x motion:', accuracy_score(yt, predicted), '| motion only:', accuracy_score(yt % 4, predicted % 4))\n"
        "fig, axes = plt.subplots(1, 2, figsize=(9, 4))\n"
        "ConfusionMatrixDisplay.from_predictions(yt % 4, predicted % 4, display_labels=moving_mnist.MOTIONS, ax=axes[0], colorbar=False)\n"
        "axes[0].set_title('motion')\n"
        "ConfusionMatrixDisplay.from_predictions(yt // 4, predicted // 4, ax=axes[1], colorbar=False, include_values=False)\n"
        "axes[1].set_title('digit'); plt.tight_layout(); plt.show()"
    ),
]

notebook = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                              "language": "python"}})
path = Path(__file__).resolve().parent / "02_video_analysis.ipynb"
nbformat.write(notebook, path)
print("wrote", path)
