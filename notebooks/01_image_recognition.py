# %% [markdown]
# # Image recognition with cnnkit
#
# Train, evaluate, explain and fine-tune image classifiers on real data: MNIST and CIFAR-10.
# Every model is `raw pixels -> Normalization (training-split statistics) -> augmentation ->
# shared.Backbone -> shared.Classifier`, so a saved `model.keras` predicts on decoded files
# directly.
#
# With `CNNKIT_FAST=1` (the test suite) every step runs on a tiny slice for one epoch; the numbers
# are then meaningless, only the plumbing is exercised. Unset it for real runs.
#
# First, a trained classifier that ships with cnnkit (the preset `mnist_convnet`; `cnnkit presets`
# lists every preset with its test metrics) names real MNIST test digits, which it never saw in
# training. Its class names are inside the model file.

# %%
from shared.data import load_mnist
from shared.presets import load_preset

digits, labels = load_mnist('test')                      # real 28x28 test digits, pixels 0-255
classifier = load_preset('mnist_convnet')
print('predicted:', classifier.predict_class_names(digits[:12, ..., None]))
print('true:     ', [str(label) for label in labels[:12]])

# %%
import json
import tempfile
from pathlib import Path

from IPython.display import Image, display

from apps.image_recognition import data, evaluate, gradcam, model
from apps.image_recognition.finetune import finetune
from apps.image_recognition.train import train
from benchmarks.tables.image_recognition import keep_records, keep_schedule
from shared.cli import fast_mode

FAST = fast_mode()
WORK = Path(tempfile.mkdtemp(prefix='cnnkit_image_nb_'))
print('fast mode' if FAST else 'full mode', '- outputs in', WORK)

# %% [markdown]
# ## 1. MNIST
#
# The default `convnet`: two stages of two 3x3 convolutions with batch norm, max pooling and
# dropout, then a 256-unit dense layer. Translation and small rotations augment the digits.

# %%
mnist_model, mnist_classes, info = train(
    'mnist', arch='convnet', epochs=1 if FAST else 8, batch_size=64 if FAST else 128,
    limit=500 if FAST else None, test_limit=200 if FAST else None, augment='translate,rotate',
    backbone_kwargs={'width': 4 if FAST else 16}, out_dir=WORK / 'mnist', verbose=0 if FAST else 2)
print({k: info[k] for k in ('train_images', 'seconds', 'final_val_accuracy')})
display(Image(filename=str(WORK / 'mnist' / 'curves.png')))

# %%
report = evaluate.evaluate(mnist_model, mnist_classes, 'mnist', limit=300 if FAST else None,
                           out_dir=WORK / 'mnist' / 'evaluation')
print(f"test accuracy {report['accuracy']:.4f}, top-5 {report['top5_accuracy']:.4f}, "
      f"macro F1 {report['macro_f1']:.4f}")
display(Image(filename=report['confusion_matrix_png']))
display(Image(filename=report['worst_mistakes_png']))

# %% [markdown]
# ### Grad-CAM
#
# The gradient of the class score with respect to the last convolution's maps, averaged per channel,
# weights those maps: warm areas are the evidence for the predicted class.

# %%
sample = sorted((data.shared_data.folder('mnist') / 'sample_png').glob('*.png'))[:4]
explained = gradcam.explain_files(mnist_model, mnist_classes, sample, WORK / 'mnist' / 'explain')
for row in explained['images'][:2]:
    display(Image(filename=row['png']))
display(Image(filename=explained['filters_png']))

# %% [markdown]
# ## 2. CIFAR-10
#
# The JPEG shards are decoded once into the cache. `resnet_small` is a ResNet-8-like net sized for a
# CPU; flips and 4-pixel crops augment the images. Reaching 90%+ needs far more compute than this
# notebook uses (see the results in docs/image_recognition.md).

# %%
cifar_model, cifar_classes, info = train(
    'cifar10', arch='resnet_small', epochs=1 if FAST else 5, batch_size=64 if FAST else 128,
    limit=500 if FAST else None, test_limit=200 if FAST else None, augment='flip,crop',
    learning_rate=2e-3, weight_decay=0.05, backbone_kwargs={'width': 4 if FAST else 16},
    out_dir=WORK / 'cifar10', verbose=0 if FAST else 2)
display(Image(filename=str(WORK / 'cifar10' / 'curves.png')))
report = evaluate.evaluate(cifar_model, cifar_classes, 'cifar10', limit=200 if FAST else None,
                           out_dir=WORK / 'cifar10' / 'evaluation')
print(f"test accuracy {report['accuracy']:.4f}")
display(Image(filename=report['confusion_matrix_png']))

# %%
import matplotlib.pyplot as plt

cifar = data.load_cifar10(test_limit=50)
cam = gradcam.GradCAM(cifar_model)
heat, predicted = cam(cifar.x_test[:6])
fig, axes = plt.subplots(2, 6, figsize=(12, 4))
for i in range(6):
    axes[0, i].imshow(cifar.x_test[i])
    axes[0, i].set_title(cifar_classes[cifar.y_test[i]], fontsize=8)
    axes[1, i].imshow(gradcam.overlay(cifar.x_test[i], heat[i]))
    axes[1, i].set_title('pred ' + cifar_classes[predicted[i]], fontsize=8)
for axis in axes.ravel():
    axis.axis('off')
plt.show()

# %% [markdown]
# ### airbench94's own recipe
#
# `recipe='airbench'` trains airbench94's network (a data-initialised patch-whitening convolution,
# scale-free batch norm, Dirac-initialised convolutions) by airbench's procedure: SGD with Nesterov
# momentum and a triangular schedule, lookahead, label smoothing, alternating flips and 2-pixel
# shifts, batches of 1,024 for 9.9 epochs. `recipe='airbench95'` and `recipe='airbench96'` are its
# wider and longer variants (airbench96 adds residual groups and cutout). Here a small slice; below,
# the accuracy-vs-time curves of the full CPU runs (`python -m benchmarks.image_cifar10 --recipe
# airbench --seed N`), the float32 run and the variants' runs among them where they are recorded.

# %%
recipe_model, _, recipe_info = train(
    'cifar10', arch='airbench94', recipe='airbench', epochs=2 if FAST else None,
    batch_size=128 if FAST else None, limit=512 if FAST else None, test_limit=200 if FAST else None,
    backbone_kwargs={'width': 4 if FAST else 64}, out_dir=WORK / 'cifar10_airbench', verbose=0 if FAST else 2)
print({k: recipe_info[k] for k in ('recipe', 'epochs', 'final_val_accuracy', 'seconds')})
runs = sorted(Path('benchmarks/results').glob('image_cifar10_airbench9?_recipe_*seed*.json'))
if runs:
    figure, axis = plt.subplots(figsize=(6, 3.5))
    for path in runs:
        record = json.loads(path.read_text())
        curve = record['curve']
        axis.plot([row['seconds'] / 60 for row in curve], [100 * row['val_accuracy'] for row in curve],
                  marker='o', label=record['name'].removeprefix('image_cifar10_').replace('_recipe', ''))
    for level in (93, 94):
        axis.axhline(level, color='k', linestyle='--', linewidth=0.8)
    axis.set_xlabel('minutes on the 2-core CPU')
    axis.set_ylabel('test accuracy, % (no TTA)')
    axis.set_ylim(50, 96)
    axis.legend()
    plt.show()

# %% [markdown]
# ## 3. Fine-tuning 2 -> 3 classes
#
# Train on digits 0 and 1, then add digit 2: `shared.finetune.extend_classes` keeps the convolution
# layers and every old class's softmax weights; only the head trains. Old-class accuracy is compared
# before and after.

# %%
two_model, two_classes, _ = train('mnist', arch='convnet', classes=['0', '1'], epochs=1 if FAST else 3,
                                  limit=300 if FAST else None, test_limit=150 if FAST else None,
                                  backbone_kwargs={'width': 4 if FAST else 16}, verbose=0)
three_model, three_classes, result = finetune(
    two_model, two_classes, 'mnist', add_classes=True, classes=['0', '1', '2'], epochs=1 if FAST else 2,
    limit=300 if FAST else None, test_limit=150 if FAST else None, verbose=0)
print('classes', three_classes)
print({k: result[k] for k in ('old_class_accuracy_before', 'old_class_accuracy_after',
                              'new_class_accuracy', 'finetune_seconds')})

# %% [markdown]
# Adding a class can cost the old ones. `keep='distill'` (learning without forgetting) keeps the
# new model's old-class outputs near what the original model said for each training image;
# `keep='rehearsal'` trains on a small stored sample of each old class, as when the old training
# set is gone. The benchmark compares every strategy on CIFAR-10 (airplane + automobile, then bird):

# %%
kept_model, _, kept = finetune(
    two_model, two_classes, 'mnist', add_classes=True, classes=['0', '1', '2'], epochs=1 if FAST else 2,
    keep='distill,rehearsal', rehearsal_size=20 if FAST else 100,
    limit=300 if FAST else None, test_limit=150 if FAST else None, verbose=0)
print({k: kept[k] for k in ('keep', 'train_images', 'old_class_accuracy_after', 'new_class_accuracy')})
for record in keep_records():
    for dataset, values in record['datasets'].items():
        labels = list(values['strategies'])
        drops = [values['strategies'][label]['old_class_drop_points'] for label in labels]
        new = [100 * values['strategies'][label]['new_class_accuracy'] for label in labels]
        figure, axes = plt.subplots(1, 2, figsize=(10, 3))
        axes[0].barh(labels, drops)
        axes[0].axvline(1.0, color='k', linestyle='--')
        axes[0].set_xlabel('old classes: points lost (target <= 1)')
        axes[1].barh(labels, new)
        axes[1].axvline(100 * values['scratch']['new_class_accuracy'], color='k', linestyle='--')
        axes[1].set_xlabel('new class accuracy, % (dashed: from scratch)')
        axes[1].set_yticks([])
        figure.suptitle(f"{dataset}, {record['name']}: epochs {keep_schedule(values)}")
        plt.tight_layout()
        plt.show()

# %% [markdown]
# ## 4. Save, reload, predict
#
# The same steps as `cnnkit image predict` and `cnnkit image export`.

# %%
path = model.save_classifier(three_model, WORK / 'three' / 'model.keras', three_classes)
reloaded, names = model.load_classifier(path)
rows, skipped = evaluate.predict_files(reloaded, names, sample, top_k=2)
print(evaluate.format_predictions(rows, 'table'))
