"""The names ``cnnkit image`` offers as choices, in a module without Keras so that
``cnnkit image --help`` answers at once. The modules that act on them import them from here.
"""

ARCHITECTURE_NAMES = (
    "convnet", "resnet_small", "airbench", "airbench94", "lenet5", "alexnet", "vgg", "vgg11", "vgg16",
    "googlenet", "resnet", "resnet18", "resnet50", "all_conv",
)
AUGMENTATIONS = ("flip", "crop", "translate", "rotate", "zoom")
EXPORT_FORMATS = ("keras", "savedmodel", "tflite")
