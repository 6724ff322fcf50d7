# %% [markdown]
# # 00 · A tour of the cnnkit backbone
#
# The concepts of the classic description of convolutional networks (Chinese Wikipedia,
# *卷积神经网络*, CC BY-SA 3.0), each made real with `shared.Backbone` on MNIST: output size
# under stride and padding, feature maps, ReLU vs tanh vs |tanh| vs sigmoid, pooling, the
# all-convolutional net, the three loss layers, parameter counts, and fine-tuning that adds
# a class.
#
# Set `CNNKIT_FAST=1` for a quick run (the test suite does).

# %%
import logging
import os
import time
import warnings

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
logging.getLogger('tensorflow').setLevel(logging.ERROR)
warnings.filterwarnings('ignore')

import keras
import matplotlib.pyplot as plt
import numpy as np

from shared import Backbone, Classifier, MultiLabelClassifier, Regressor, finetune, training
from shared.cli import fast_mode
from shared.data import load_mnist

FAST = fast_mode()
N_TRAIN, N_TEST, EPOCHS = (2000, 1000, 1) if FAST else (12000, 5000, 4)
x_train, y_train = load_mnist('train', rows_needed=N_TRAIN)
x_test, y_test = load_mnist('test')
x_train, y_train = (x_train[:N_TRAIN, ..., None] / 255.0).astype('float32'), y_train[:N_TRAIN]
x_test, y_test = (x_test[:N_TEST, ..., None] / 255.0).astype('float32'), y_test[:N_TEST]
print('backend:', keras.backend.backend(), '| train', x_train.shape, '| test', x_test.shape, '| fast mode:', FAST)

# %% [markdown]
# ## 1. Output size under stride and padding
#
# For input width $W$, kernel $K$, zero padding $P$ and stride $S$, a convolution gives
# $(W - K + 2P)/S + 1$ outputs per axis. `valid` means $P=0$; `same` pads so the output is
# $\lceil W/S \rceil$. The table checks the formula against Keras.

# %%
rows = []
for kernel, stride, padding in [(3, 1, 'valid'), (3, 1, 'same'), (5, 2, 'valid'), (5, 2, 'same'), (3, 3, 'valid')]:
    formula = (28 - kernel) // stride + 1 if padding == 'valid' else -(-28 // stride)
    layer = keras.layers.Conv2D(1, kernel, strides=stride, padding=padding)
    keras_size = layer.compute_output_shape((None, 28, 28, 1))[1]
    rows.append((kernel, stride, padding, formula, keras_size))
    assert formula == keras_size
print('kernel stride padding  formula  keras')
for r in rows:
    print(f'{r[0]:>6} {r[1]:>6} {r[2]:>7} {r[3]:>8} {r[4]:>6}')

# %% [markdown]
# ## 2. Feature maps of a trained net

# %%
keras.utils.set_random_seed(0)
net = Classifier(Backbone((28, 28, 1), filters=(8, 16), global_pooling='flatten'), 10)
net.compile(optimizer=keras.optimizers.Adam(3e-3))
training.fit(net, (x_train, y_train), validation=(x_test, y_test), epochs=EPOCHS, batch_size=64, verbose=0)
print('test accuracy', net.evaluate(x_test, y_test, verbose=0, return_dict=True)['accuracy'])
first_stage = keras.Model(net.backbone.input, net.backbone.get_layer('stage1_block1_act').output)
maps = first_stage.predict(x_test[:1], verbose=0)[0]
fig, axes = plt.subplots(1, 9, figsize=(13, 1.8))
axes[0].imshow(x_test[0, ..., 0], cmap='gray')
axes[0].set_title('input')
for i in range(8):
    axes[i + 1].imshow(maps[..., i], cmap='viridis')
    axes[i + 1].set_title(f'map {i}')
for a in axes:
    a.axis('off')
plt.show()

# %% [markdown]
# ## 3. ReLU vs tanh vs |tanh| vs sigmoid
#
# The article says ReLU trains several times faster than saturating non-linearities
# (Krizhevsky et al. 2012 report 6x to reach 25% CIFAR-10 error). Same net, same data, same
# seed; only the activation changes. We count the epochs each needs to reach a training
# accuracy threshold.

# %%
curves, times = {}, {}
for activation in ['relu', 'tanh', 'abs_tanh', 'sigmoid']:
    keras.utils.set_random_seed(0)
    model = Classifier(Backbone((28, 28, 1), filters=(8, 16), activation=activation, global_pooling='flatten'), 10)
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss='sparse_categorical_crossentropy', metrics=['accuracy'])
    start = time.perf_counter()
    history = training.fit(model, (x_train, y_train), epochs=EPOCHS + 2, batch_size=64, verbose=0)
    times[activation] = time.perf_counter() - start
    curves[activation] = history.history['accuracy']
for name, curve in curves.items():
    plt.plot(range(1, len(curve) + 1), curve, marker='o', label=name)
plt.xlabel('epoch')
plt.ylabel('training accuracy')
plt.legend()
plt.title('same net, SGD 0.05')
plt.show()
threshold = 0.9
for name, curve in curves.items():
    reached = next((i + 1 for i, a in enumerate(curve) if a >= threshold), None)
    print(f'{name:>9}: final train accuracy {curve[-1]:.3f}, epochs to {threshold:.0%}: '
          f'{reached or "not reached"}, {times[name]:.1f} s')

# %% [markdown]
# **Reading the result** (full run): the epochs-to-threshold column ranks the activations.
# ReLU gets there first; on this small two-stage MNIST net its lead over tanh is far smaller
# than the factor Krizhevsky et al. measured for a deep net on CIFAR-10, while sigmoid, whose
# gradients vanish through two saturating layers, falls furthest behind. The time per epoch is
# about the same for all four, so the gain is in epochs, not in speed per step.

# %% [markdown]
# ## 4. 2x2 max pooling removes 75% of the data

# %%
feature_map = np.random.default_rng(0).random((1, 24, 24, 8)).astype('float32')
pooled = keras.layers.MaxPooling2D(2)(feature_map)
removed = 1 - np.prod(pooled.shape) / feature_map.size
print(f'{feature_map.size} values -> {np.prod(pooled.shape)} values: {removed:.0%} removed')

# %% [markdown]
# ## 5. Max vs average vs L2 vs fractional pooling

# %%
pooling_results = {}
for pooling in ['max', 'avg', 'l2', 'fractional']:
    keras.utils.set_random_seed(0)
    model = Classifier(Backbone((28, 28, 1), filters=(8, 16), pooling=pooling, global_pooling='flatten'), 10)
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    training.fit(model, (x_train, y_train), epochs=EPOCHS, batch_size=64, verbose=0)
    accuracy = model.evaluate(x_test, y_test, verbose=0, return_dict=True)['accuracy']
    pooling_results[pooling] = (accuracy, model.backbone.output_spatial_shape)
for name, (accuracy, shape) in pooling_results.items():
    print(f'{name:>10}: test accuracy {accuracy:.3f}, final map {shape}')

# %% [markdown]
# ## 6. The all-convolutional net
#
# Springenberg et al. (2014) replace every pooling layer by a stride-2 convolution:
# `pooling=None, strides=2`.

# %%
variants = {
    'pooling net': Backbone((28, 28, 1), filters=(16, 32), pooling='max', global_pooling='flatten'),
    'all-conv net': Backbone((28, 28, 1), filters=(16, 32), strides=2, pooling=None, global_pooling='flatten'),
}
for name, backbone in variants.items():
    keras.utils.set_random_seed(0)
    model = Classifier(backbone, 10)
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    training.fit(model, (x_train, y_train), epochs=EPOCHS, batch_size=64, verbose=0)
    accuracy = model.evaluate(x_test, y_test, verbose=0, return_dict=True)['accuracy']
    print(f'{name:>13}: test accuracy {accuracy:.3f}, {model.count_params():,} parameters')

# %% [markdown]
# ## 7. The three loss layers
#
# Softmax cross-entropy for one of K classes (`Classifier`), sigmoid cross-entropy for K
# independent yes/no labels (`MultiLabelClassifier`), Euclidean loss for real-valued targets
# (`Regressor`). Here: the digit class; two labels 'is even' and 'is at least 5'; and the
# digit's ink fraction.

# %%
labels = np.stack([(y_train % 2 == 0), (y_train >= 5)], axis=1).astype('float32')
labels_test = np.stack([(y_test % 2 == 0), (y_test >= 5)], axis=1).astype('float32')
ink, ink_test = x_train.mean(axis=(1, 2, 3))[:, None], x_test.mean(axis=(1, 2, 3))[:, None]
for task, (target, target_test) in [
        (Classifier(Backbone((28, 28, 1), filters=(8, 16), global_pooling='flatten'), 10), (y_train, y_test)),
        (MultiLabelClassifier(Backbone((28, 28, 1), filters=(8, 16), global_pooling='flatten'), 2),
         (labels, labels_test)),
        (Regressor(Backbone((28, 28, 1), filters=(8, 16), global_pooling='flatten')), (ink, ink_test))]:
    training.fit(task, (x_train, target), epochs=EPOCHS, batch_size=64, verbose=0)
    print(f'{type(task).__name__:>20} loss={type(task.loss).__name__:<30}',
          task.evaluate(x_test, target_test, verbose=0, return_dict=True))

# %% [markdown]
# ## 8. Fewer parameters than a fully-connected net
#
# The article says weight sharing lets a CNN reach the accuracy of a fully-connected net with
# far fewer parameters.

# %%
keras.utils.set_random_seed(0)
cnn = Classifier(Backbone((28, 28, 1), filters=(16, 32), global_pooling='flatten'), 10)
cnn.compile(optimizer=keras.optimizers.Adam(3e-3))
inputs = keras.Input((28, 28, 1))
h = keras.layers.Flatten()(inputs)
for units in (512, 256):
    h = keras.layers.Dense(units, activation='relu')(h)
mlp = keras.Model(inputs, keras.layers.Dense(10, activation='softmax')(h))
mlp.compile(optimizer=keras.optimizers.Adam(1e-3), loss='sparse_categorical_crossentropy', metrics=['accuracy'])
for name, model in [('CNN', cnn), ('fully-connected', mlp)]:
    training.fit(model, (x_train, y_train), epochs=EPOCHS + 2, batch_size=64, verbose=0)
    accuracy = model.evaluate(x_test, y_test, verbose=0, return_dict=True)['accuracy']
    print(f'{name:>16}: {model.count_params():>8,} parameters, test accuracy {accuracy:.3f}')

# %% [markdown]
# ## 9. Fine-tuning: a 2-class net learns a 3rd class
#
# `finetune.extend_classes` keeps the convolution weights and the old classes' rows of the
# softmax layer, so the old logits are unchanged for every input until the head trains on the
# new class. It returns a task compiled with the default optimizer: recompile for your own.

# %%
keras.utils.set_random_seed(0)
two, three, three_test = np.isin(y_train, [0, 1]), np.isin(y_train, [0, 1, 2]), np.isin(y_test, [0, 1, 2])
small = Classifier(Backbone((28, 28, 1), filters=(8, 16), global_pooling='flatten'), 2)
small.compile(optimizer=keras.optimizers.Adam(3e-3))
training.fit(small, (x_train[two], y_train[two]), epochs=EPOCHS, batch_size=64, verbose=0)
old_test = np.isin(y_test, [0, 1])
before = (small.predict(x_test[old_test], verbose=0).argmax(1) == y_test[old_test]).mean()
bigger = finetune.extend_classes(small, 3)
bigger.compile(optimizer=keras.optimizers.Adam(3e-3))
old_logits = small.logits_model().predict(x_test[:50], verbose=0)
same = np.allclose(old_logits, bigger.logits_model().predict(x_test[:50], verbose=0)[:, :2], atol=1e-5)
training.fit(bigger, (x_train[three], y_train[three]), epochs=EPOCHS + 1, batch_size=64, verbose=0)
predicted, truth = bigger.predict(x_test[three_test], verbose=0).argmax(1), y_test[three_test]
print('old logits unchanged right after extension:', same)
print(f'old classes before {before:.3f}, after {(predicted[truth < 2] == truth[truth < 2]).mean():.3f}; '
      f'new class {(predicted[truth == 2] == 2).mean():.3f}')
