"""What a CNN looks at: the book's image classifier and its explainers.

``xaibook.vision.cnn``
    The CNN recipe as data, its functional-API build, training and the
    model cache (a recipe change retrains, otherwise the model is loaded).
``xaibook.vision.attribution``
    Saliency, SmoothGrad, guided and deconvnet backprop, Grad-CAM(++), SHAP
    and LIME (also colour-aware, with the surrogate's R²), all returning plain ``(n, h, w)`` maps via :func:`attribute`.
``xaibook.vision.activation_max``
    Class visualisation by activation maximization (tf-keras-vis).
``xaibook.vision.sanity``
    Adebayo et al.'s cascading model-randomization and label-randomization
    tests, and the different-image null floor.
``xaibook.vision.tcav``
    Testing with concept activation vectors (Kim et al., 2018) on Keras
    activations, with a random-concept null.
``xaibook.vision.plots``
    Image grids and Altair charts.

Importing this package imports TensorFlow (quietly: ``TF_CPP_MIN_LOG_LEVEL``
is set first unless already set).
"""

from xaibook.vision.attribution import METHODS, attribute, logits_model, normalize_maps
from xaibook.vision.cnn import (FASHION_RECIPE, FASHION_TRAINING, CNNRecipe, Evaluation, TrainedCNN,
                  TrainingSettings, build_cnn, evaluate, fashion_cnn, load_or_train, model_dir,
                  preprocess)

__all__ = [
    "CNNRecipe", "Evaluation", "FASHION_RECIPE", "FASHION_TRAINING", "METHODS", "TrainedCNN",
    "TrainingSettings", "attribute", "build_cnn", "evaluate", "fashion_cnn", "load_or_train",
    "logits_model", "model_dir", "normalize_maps", "preprocess",
]
