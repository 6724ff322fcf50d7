# %% [markdown]
# # Video analysis with cnnkit
#
# Streaming decoding with OpenCV, a TransNet-style shot-boundary CNN built on `shared.Backbone`, the edited-video
# generator it was trained on, a contact sheet, and a clip classifier on Moving-MNIST-style clips made from the
# real MNIST digits. With `CNNKIT_FAST=1` (the test suite) every step uses a tiny slice.
#
# ## Shot boundaries in three lines
# The shipped detector is the preset `shot_detector` (`cnnkit presets shot_detector`: what it learned from, and its
# F1 on the hand-checked cuts). In this real clip it finds each cut; `shot_boundaries.csv` has them at frames 30,
# 76, 137, 187 and 242.

# %%
from apps.video_analysis.data import clip_path
from apps.video_analysis.detectors import ShotDetector

ShotDetector('shot_detector').detect(clip_path('bikes_scene_cuts.mp4')).transitions

# %% [markdown]
# ## Setup

# %%
import matplotlib.pyplot as plt
from IPython.display import Image, display

from apps.video_analysis.data import clip_path, load_real_shots, true_transitions
from apps.video_analysis.detectors import HistogramDetector, ShotDetector
from apps.video_analysis.metrics import boundary_f1
from apps.video_analysis.reader import VideoReader
from apps.video_analysis.shots import contact_sheet
from shared.cli import fast_mode

FAST = fast_mode()
CLIP = 'bikes_scene_cuts.mp4' if FAST else 'big_buck_bunny_0-30s_720p.webm'
print('fast mode:', FAST, '| clip:', CLIP)

# %% [markdown]
# ## Frames: decoded as a stream, with index and timestamp

# %%
frames = list(VideoReader(clip_path(CLIP), every=25 if FAST else 60, size=(160, 90)))[:8]
fig, axes = plt.subplots(1, len(frames), figsize=(2.2 * len(frames), 1.8))
for ax, frame in zip(axes, frames):
    ax.imshow(frame.image)
    ax.set_title(f'#{frame.index} {frame.time_s:.1f}s', fontsize=8)
    ax.axis('off')
plt.show()

# %% [markdown]
# ## Shot boundaries: the CNN's transition probability over time
# Red lines: the hand-checked cuts of `shot_boundaries.csv`; grey: the histogram baseline's distance.

# %%
detector = ShotDetector()
result = detector.detect(clip_path(CLIP))
truth, ignore = true_transitions(CLIP)
indices, distances, _ = HistogramDetector().distances(clip_path(CLIP))
fig, ax = plt.subplots(figsize=(10, 2.8))
ax.plot(result.probabilities, label='CNN transition probability')
ax.plot(indices, distances, color='grey', alpha=0.6, label='HSV histogram distance')
for t in truth:
    ax.axvline(t['start_frame'], color='red', linestyle='--', alpha=0.7)
for a, b in ignore:
    ax.axvspan(a, b, color='orange', alpha=0.15, label='fade-in (not a cut)')
ax.set_xlabel('frame')
ax.legend(loc='upper right', fontsize=8)
plt.show()
print('F1 (2-frame tolerance):', boundary_f1(result.transitions, truth, 2, ignore))
result.to_json()['transitions']

# %% [markdown]
# ## Contact sheet: one keyframe per shot

# %%
sheet = contact_sheet(clip_path(CLIP), result.shots, '/tmp/cnnkit_contact_sheet.png', columns=4, thumb_width=200)
display(Image(filename=str(sheet)))

# %% [markdown]
# ## Training data: edited videos with exact ground truth
# Real single shots joined by cuts, dissolves, fades and wipes, plus flashes, fast camera motion and fast objects
# as hard negatives.

# %%
from apps.video_analysis.data import real_shot_ranges
from apps.video_analysis.edits import generate_edit
from apps.video_analysis.reader import read_all

if FAST:  # only the bikes clip's five real shots
    bikes, _ = read_all(clip_path('bikes_scene_cuts.mp4'), size=(96, 54))
    shots = [bikes[a:b + 1] for clip, a, b in real_shot_ranges() if clip == 'bikes_scene_cuts.mp4']
else:  # all 12 real single shots of the five clips
    shots = load_real_shots(size=(96, 54))
edit = generate_edit(shots, seed=7, type_weights=(0, 1, 1, 1))
t = edit.transitions[0]
strip = edit.frames[max(0, t['start_frame'] - 2): t['end_frame'] + 3: 2][:10]
fig, axes = plt.subplots(1, len(strip), figsize=(1.6 * len(strip), 1.3))
for ax, image in zip(axes, strip):
    ax.imshow(image)
    ax.axis('off')
fig.suptitle(f"{t['type']} frames {t['start_frame']}-{t['end_frame']}", fontsize=9)
plt.show()
edit.transitions, edit.negatives

# %% [markdown]
# ## Clip classifier: TimeDistributed(backbone) + temporal convolution
# Moving-MNIST-style clips from the real MNIST digits; the class is digit x motion (40 classes).

# %%
from sklearn.metrics import ConfusionMatrixDisplay, accuracy_score

from apps.video_analysis import moving_mnist
from apps.video_analysis.models import build_clip_classifier

count, epochs = (128, 1) if FAST else (3000, 4)
x, y, names = moving_mnist.generate(count, frames=8, size=32, split='train', seed=0)
xt, yt, _ = moving_mnist.generate(count // 4, frames=8, size=32, split='test', seed=1)
model = build_clip_classifier(x.shape[1:], len(names), arch='td', filters=(4, 8) if FAST else (16, 32, 64))
model.fit(x, y, validation_data=(xt, yt), epochs=epochs, batch_size=32, verbose=0)
predicted = model.predict(xt, verbose=0).argmax(axis=1)
print('accuracy digit x motion:', accuracy_score(yt, predicted),
      '| motion only:', accuracy_score(yt % 4, predicted % 4))
fig, axes = plt.subplots(1, 2, figsize=(9, 4))
ConfusionMatrixDisplay.from_predictions(yt % 4, predicted % 4, display_labels=moving_mnist.MOTIONS, ax=axes[0],
                                        colorbar=False)
axes[0].set_title('motion')
ConfusionMatrixDisplay.from_predictions(yt // 4, predicted // 4, ax=axes[1], colorbar=False, include_values=False)
axes[1].set_title('digit')
plt.tight_layout()
plt.show()
