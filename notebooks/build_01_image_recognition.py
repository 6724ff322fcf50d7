"""Build notebooks/01_image_recognition.ipynb (run: python notebooks/build_01_image_recognition.py)."""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

cells = [
    new_markdown_cell(
        "# Image recognition with cnnkit\n\n"
        "Train, evaluate, explain and fine-tune image classifiers on real data: MNIST and CIFAR-10.\n"
        "Every model is `raw pixels -> Normalization (training-split statistics) -> augmentation -> "
        "shared.Backbone -> shared.Classifier`, so a saved `model.keras` predicts on decoded files directly.\n\n"
        "With `CNNKIT_FAST=1` (the test suite) every step runs on a tiny slice for one epoch; the numbers "
        "are then meaningless, only the plumbing is exercised. Unset it for real runs."),
    new_code_cell(
        "import os, tempfile\n"
        "from pathlib import Path\n"
        "import numpy as np\n"
        "from IPython.display import Image, display\n\n"
        "from apps.image_recognition import data, evaluate, gradcam, models\n"
        "from apps.image_recognition.train import train\n"
        "from apps.image_recognition.finetune import finetune\n\n"
        "FAST = os.environ.get('CNNKIT_FAST') == '1'\n"
        "WORK = Path(tempfile.mkdtemp(prefix='cnnkit_image_nb_'))\n"
        "print('fast mode' if FAST else 'full mode', '- outputs in', WORK)"),
    new_markdown_cell("## 1. MNIST\n\nThe default `convnet`: two stages of two 3x3 convolutions with batch norm, "
                      "max pooling and dropout, then a 256-unit dense layer. Translation and small rotations "
                      "augment the digits."),
    new_code_cell(
        "mnist_model, mnist_classes, info = train(\n"
        "    'mnist', arch='convnet', epochs=1 if FAST else 8, batch_size=64 if FAST else 128,\n"
        "    limit=500 if FAST else None, test_limit=200 if FAST else None, augment='translate,rotate',\n"
        "    backbone_kwargs={'width': 4 if FAST else 16}, out_dir=WORK / 'mnist', verbose=0 if FAST else 2)\n"
        "print({k: info[k] for k in ('train_images', 'seconds', 'final_val_accuracy')})\n"
        "display(Image(filename=str(WORK / 'mnist' / 'curves.png')))"),
    new_code_cell(
        "report = evaluate.evaluate(mnist_model, mnist_classes, 'mnist', limit=300 if FAST else None,\n"
        "                           out_dir=WORK / 'mnist' / 'evaluation')\n"
        "print(f\"test accuracy {report['accuracy']:.4f}, top-5 {report['top5_accuracy']:.4f}, \"\n"
        "      f\"macro F1 {report['macro_f1']:.4f}\")\n"
        "display(Image(filename=report['confusion_matrix_png']))\n"
        "display(Image(filename=report['worst_mistakes_png']))"),
    new_markdown_cell("### Grad-CAM\n\nThe gradient of the class score with respect to the last convolution's "
                      "maps, averaged per channel, weights those maps: warm areas are the evidence for the "
                      "predicted class."),
    new_code_cell(
        "sample = sorted((data.shared_data.folder('mnist') / 'sample_png').glob('*.png'))[:4]\n"
        "explained = gradcam.explain_files(mnist_model, mnist_classes, sample, WORK / 'mnist' / 'explain')\n"
        "for row in explained['images'][:2]:\n"
        "    display(Image(filename=row['png']))\n"
        "display(Image(filename=explained['filters_png']))"),
    new_markdown_cell("## 2. CIFAR-10\n\nThe JPEG shards are decoded once into the cache. `resnet_small` is a "
                      "ResNet-8-like net sized for a CPU; flips and 4-pixel crops augment the images. Reaching "
                      "90%+ needs far more compute than this notebook uses (see benchmarks/results/image_cifar10.md)."),
    new_code_cell(
        "cifar_model, cifar_classes, info = train(\n"
        "    'cifar10', arch='resnet_small', epochs=1 if FAST else 5, batch_size=64 if FAST else 128,\n"
        "    limit=500 if FAST else None, test_limit=200 if FAST else None, augment='flip,crop',\n"
        "    learning_rate=2e-3, weight_decay=0.05, backbone_kwargs={'width': 4 if FAST else 16},\n"
        "    out_dir=WORK / 'cifar10', verbose=0 if FAST else 2)\n"
        "display(Image(filename=str(WORK / 'cifar10' / 'curves.png')))\n"
        "report = evaluate.evaluate(cifar_model, cifar_classes, 'cifar10', limit=200 if FAST else None,\n"
        "                           out_dir=WORK / 'cifar10' / 'evaluation')\n"
        "print(f\"test accuracy {report['accuracy']:.4f}\")\n"
        "display(Image(filename=report['confusion_matrix_png']))"),
    new_code_cell(
        "cifar = data.load_cifar10(test_limit=50)\n"
        "cam = gradcam.GradCAM(cifar_model)\n"
        "heat, predicted = cam(cifar.x_test[:6])\n"
        "import matplotlib.pyplot as plt\n"
        "fig, axes = plt.subplots(2, 6, figsize=(12, 4))\n"
        "for i in range(6):\n"
        "    axes[0, i].imshow(cifar.x_test[i]); axes[0, i].set_title(cifar_classes[cifar.y_test[i]], fontsize=8)\n"
        "    axes[1, i].imshow(gradcam.overlay(cifar.x_test[i], heat[i]))\n"
        "    axes[1, i].set_title('pred ' + cifar_classes[predicted[i]], fontsize=8)\n"
        "for a in axes.ravel(): a.axis('off')\n"
        "plt.show()"),
    new_markdown_cell("## 3. Fine-tuning 2 -> 3 classes\n\nTrain on digits 0 and 1, then add digit 2: "
                      "`shared.finetune.extend_classes` keeps the convolution layers and every old class's "
                      "softmax weights; only the head trains. Old-class accuracy is compared before and after."),
    new_code_cell(
        "two_model, two_classes, _ = train('mnist', arch='convnet', classes=['0', '1'], epochs=1 if FAST else 3,\n"
        "                                  limit=300 if FAST else None, test_limit=150 if FAST else None,\n"
        "                                  backbone_kwargs={'width': 4 if FAST else 16}, verbose=0)\n"
        "three_model, three_classes, result = finetune(\n"
        "    two_model, two_classes, 'mnist', add_classes=True, classes=['0', '1', '2'], epochs=1 if FAST else 2,\n"
        "    limit=300 if FAST else None, test_limit=150 if FAST else None, verbose=0)\n"
        "print('classes', three_classes)\n"
        "print({k: result[k] for k in ('old_class_accuracy_before', 'old_class_accuracy_after',\n"
        "                              'new_class_accuracy', 'finetune_seconds')})"),
    new_markdown_cell("## 4. Save, reload, predict\n\nThe same steps as `cnnkit image predict` and "
                      "`cnnkit image export`."),
    new_code_cell(
        "path = models.save_classifier(three_model, WORK / 'three' / 'model.keras', three_classes)\n"
        "reloaded, names = models.load_classifier(path)\n"
        "rows, skipped = evaluate.predict_files(reloaded, names, sample, top_k=2)\n"
        "print(evaluate.format_predictions(rows, 'table'))"),
]

notebook = new_notebook(cells=cells, metadata={
    "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
    "language_info": {"name": "python"},
})
target = Path(__file__).resolve().parent / "01_image_recognition.ipynb"
nbformat.write(notebook, target)
print(f"wrote {target}")
