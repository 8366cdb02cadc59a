"""Attribution maps for image classifiers, all as plain ``(n, h, w)`` arrays.

One entry point, :func:`attribute`, and one function per method:

========================  ===============================================  =========
method                    what it computes                                 sign
========================  ===============================================  =========
``"gradient"``            |d score / d pixel| (Simonyan et al., 2014)       >= 0
``"smoothgrad"``          mean |gradient| over noisy copies (Smilkov 2017)  >= 0
``"guided_backprop"``     guided ReLUs (Springenberg 2015), tf-keras-vis    >= 0
``"deconvnet"``           gradient with rectified ReLUs (Zeiler 2014)       >= 0
``"gradcam"``             Grad-CAM (Selvaraju et al., 2017), tf-keras-vis   >= 0
``"gradcam++"``           Grad-CAM++ (Chattopadhay et al., 2018)            >= 0
``"shap"``                SHAP GradientExplainer (expected gradients)       signed
``"lime"``                LIME image explainer, superpixel weights          signed
========================  ===============================================  =========

Every function takes a Keras model that outputs class probabilities (or
scores), images as the model takes them (``(n, h, w, c)`` float, or
``(n, h, w)`` for one-channel models) and the class to explain for each image;
the "score" explained is the pre-softmax logit when the model ends in a
softmax (see :func:`logits_model`). Gradient maps of multi-channel (RGB)
images are reduced over channels by the largest absolute value (or summed,
with ``signed=True``); SHAP maps are summed over channels.

Example
-------
>>> maps = attribute(model, images, labels, method="gradcam")   # doctest: +SKIP
>>> maps.shape                                                # doctest: +SKIP
(8, 28, 28)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from xaibook.vision._tf import keras, quiet, tf

__all__ = [
    "METHODS", "attribute", "deconvnet", "gradcam", "guided_backprop", "guided_gradients_tfkv",
    "input_gradients",
    "LimeResult", "lime_explain", "lime_map", "logits_model", "normalize_maps", "saliency",
    "segment", "shap_all_classes",
    "shap_map", "smoothgrad", "swap_fill",
]

#: Method names accepted by :func:`attribute`, in the book's order.
METHODS = ("gradient", "smoothgrad", "guided_backprop", "deconvnet", "gradcam", "gradcam++",
           "shap", "lime")


# --------------------------------------------------------------------------- helpers

def _is(fn, name: str) -> bool:
    return fn is getattr(keras.activations, name) or getattr(fn, "__name__", None) == name


def logits_model(model):
    """The model up to its pre-softmax scores.

    If the last layer is a softmax :class:`keras.layers.Activation` (as in
    :func:`xaibook.vision.cnn.build_cnn`), returns a model that shares all
    layers and stops at that layer's input; if the last layer has a softmax
    activation of its own (e.g. ``Dense(10, activation="softmax")``), returns
    a clone with a linear activation there; otherwise returns ``model``.
    """
    last = model.layers[-1]
    activation = getattr(last, "activation", None)
    if activation is None or not _is(activation, "softmax"):
        return model
    if isinstance(last, keras.layers.Activation):
        return keras.Model(model.inputs, last.input, name=f"{model.name}_logits")
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    clone.layers[-1].activation = keras.activations.linear
    return clone


def _batch(model, images) -> np.ndarray:
    x = np.asarray(images)
    want = tuple(model.input_shape[1:])
    if x.ndim == len(want) and want[-1] == 1 and x.shape[1:] == want[:-1]:
        x = x[..., np.newaxis]
    if x.ndim != len(want) + 1 or tuple(x.shape[1:]) != want:
        raise ValueError(f"images must have shape (n, {', '.join(map(str, want))}) for this model "
                         f"(or (n, h, w) for one channel), got {x.shape}")
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"images must be floating point, scaled as the model expects; got "
                        f"{x.dtype} (use xaibook.vision.cnn.preprocess)")
    return x.astype(np.float32, copy=False)


def _labels(labels, n: int, n_classes: int) -> np.ndarray:
    y = np.asarray(labels)
    if y.ndim == 0:
        y = np.full(n, int(y))
    if y.shape != (n,):
        raise ValueError(f"labels must be one int or an array of {n} ints, got shape {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"labels must be integers, got {y.dtype}")
    if y.min() < 0 or y.max() >= n_classes:
        raise ValueError(f"labels must be in [0, {n_classes}), got {y.min()}..{y.max()}")
    return y.astype(np.int64)


def _prepare(model, images, labels):
    x = _batch(model, images)
    y = _labels(labels, len(x), int(model.output_shape[-1]))
    return x, y


def _reduce_channels(grads: np.ndarray, signed: bool) -> np.ndarray:
    grads = np.asarray(grads, dtype=np.float64)
    if signed:
        return grads.sum(axis=-1)
    return np.abs(grads).max(axis=-1)


def normalize_maps(maps, *, signed: bool = False) -> np.ndarray:
    """Scale each map for display: to ``[0, 1]`` by its maximum (of the
    absolute value), or to ``[-1, 1]`` keeping the sign with ``signed=True``.
    All-zero maps stay zero."""
    maps = np.asarray(maps, dtype=np.float64)
    if maps.ndim < 2:
        raise ValueError(f"maps must be (h, w) or (n, h, w), got shape {maps.shape}")
    flat = maps.reshape(maps.shape[0], -1) if maps.ndim == 3 else maps.reshape(1, -1)
    scale = np.abs(flat).max(axis=1)
    scale = np.where(scale > 0, scale, 1.0)
    out = flat / scale[:, None]
    if not signed:
        out = np.abs(out)
    return out.reshape(maps.shape)


# --------------------------------------------------------------------------- gradients

@tf.custom_gradient
def _guided_relu(x):
    def grad(dy):
        return dy * tf.cast(x > 0, dy.dtype) * tf.cast(dy > 0, dy.dtype)

    return tf.nn.relu(x), grad


@tf.custom_gradient
def _deconv_relu(x):
    def grad(dy):
        return tf.nn.relu(dy)

    return tf.nn.relu(x), grad


_RULES = {"plain": None, "guided": _guided_relu, "deconvnet": _deconv_relu}


def _relu_override(model, rule: str):
    """A copy of ``logits_model(model)`` whose ReLUs backpropagate by ``rule``."""
    base = logits_model(model)
    if rule == "plain":
        return base
    clone = keras.models.clone_model(base)
    clone.set_weights(base.get_weights())
    replaced = 0
    for layer in clone.layers:
        if isinstance(layer, keras.layers.ReLU):
            raise ValueError(f"layer {layer.name!r} is a keras.layers.ReLU; guided and deconvnet "
                             "backprop need ReLUs given as activation='relu'")
        if _is(getattr(layer, "activation", None), "relu"):
            layer.activation = _RULES[rule]
            replaced += 1
    if not replaced:
        raise ValueError("the model has no ReLU activation to override")
    return clone


def input_gradients(model, images, labels, *, rule: str = "plain") -> np.ndarray:
    """Gradient of each image's class score with respect to its pixels.

    Parameters
    ----------
    model : keras.Model
    images : array-like
        ``(n, h, w, c)`` (or ``(n, h, w)``) floats as the model takes them.
    labels : int or array-like of int
        Class whose score is differentiated, per image.
    rule : {"plain", "guided", "deconvnet"}
        How gradients pass through ReLUs backwards: as usual; only where
        both the input and the incoming gradient are positive (guided
        backprop); or wherever the incoming gradient is positive, ignoring
        the input (deconvnet, the "rectified" gradient).

    Returns
    -------
    numpy.ndarray
        ``(n, h, w, c)`` raw, signed gradients.
    """
    if rule not in _RULES:
        raise ValueError(f"rule must be one of {sorted(_RULES)}, got {rule!r}")
    x, y = _prepare(model, images, labels)
    net = _relu_override(model, rule)
    return _gradients(net, x, y)


GRADIENT_BATCH = 256
"""Images per gradient pass: the tape holds every layer's activations for the
whole batch, so one pass over thousands of images costs gigabytes (the
monitoring chapter's 2,500 went from 2.3 GB peak to under 1.5 GB)."""


def _gradients(net, x, y) -> np.ndarray:
    out = np.empty(np.shape(x), dtype=np.float32)
    for start in range(0, len(x), GRADIENT_BATCH):
        stop = start + GRADIENT_BATCH
        xt = tf.convert_to_tensor(x[start:stop])
        yt = tf.convert_to_tensor(y[start:stop])
        with quiet():
            with tf.GradientTape() as tape:
                tape.watch(xt)
                scores = net(xt, training=False)
                picked = tf.gather(scores, yt, axis=1, batch_dims=1)
            out[start:stop] = tape.gradient(picked, xt).numpy()
    return out


def saliency(model, images, labels, *, signed: bool = False) -> np.ndarray:
    """Vanilla gradient saliency: ``|d score / d pixel|``, max over channels.

    With ``signed=True`` the gradient summed over channels instead.
    Returns ``(n, h, w)``.
    """
    return _reduce_channels(input_gradients(model, images, labels), signed)


def guided_backprop(model, images, labels, *, signed: bool = False,
                    backend: str = "tf-keras-vis") -> np.ndarray:
    """Guided backpropagation (Springenberg et al., 2015); ``(n, h, w)``.

    By default the library's: tf-keras-vis 0.8.7's ``Saliency`` with its
    ``GuidedBackpropagation`` model modifier (each ReLU of a clone passes a
    gradient only where both its input and the incoming gradient are
    positive), taken raw (``keepdims=True``, no gradient modifier) and then
    reduced over channels like the other gradient maps. ``backend="own"``
    uses this module's ReLU override (:func:`input_gradients` with
    ``rule="guided"``), which is still needed where the raw channel-resolved
    gradients are wanted (the Gen-Z chapter) and for deconvnet, which
    tf-keras-vis does not ship; a test checks that the two agree.
    """
    if backend == "own":
        return _reduce_channels(input_gradients(model, images, labels, rule="guided"), signed)
    if backend != "tf-keras-vis":
        raise ValueError(f"backend must be 'tf-keras-vis' or 'own', got {backend!r}")
    return _reduce_channels(guided_gradients_tfkv(model, images, labels), signed)


def guided_gradients_tfkv(model, images, labels) -> np.ndarray:
    """Raw guided-backprop gradients ``(n, h, w, c)`` from tf-keras-vis."""
    with quiet():
        from tf_keras_vis.saliency import Saliency
        from tf_keras_vis.utils.model_modifiers import GuidedBackpropagation
        from tf_keras_vis.utils.scores import CategoricalScore

    x, y = _prepare(model, images, labels)
    net = logits_model(model)
    relu = keras.activations.relu
    with quiet():
        sal = Saliency(net, model_modifier=GuidedBackpropagation([relu]), clone=True)
        replaced = sum(getattr(layer, "activation", None) is not None
                       and getattr(layer.activation, "__name__", "") == "guided_activation"
                       for layer in sal.model.layers)
        if not replaced:
            raise ValueError("tf-keras-vis found no ReLU activation to make guided; use "
                             "backend='own'")
        grads = sal(CategoricalScore(y.tolist()), x, keepdims=True, gradient_modifier=None,
                    normalize_map=False)
    return np.asarray(grads, dtype=np.float64).reshape(x.shape)


def deconvnet(model, images, labels, *, signed: bool = False) -> np.ndarray:
    """Deconvnet / "rectified" backprop (Zeiler & Fergus, 2014); ``(n, h, w)``.

    Each ReLU passes the positive part of the incoming gradient, wherever
    its forward input was.
    """
    return _reduce_channels(input_gradients(model, images, labels, rule="deconvnet"), signed)


def smoothgrad(model, images, labels, *, n_samples: int = 32, noise: float = 0.15,
               seed: int = 0, rule: str = "plain", signed: bool = False) -> np.ndarray:
    """SmoothGrad: gradients averaged over noisy copies of each image.

    Parameters
    ----------
    n_samples : int
        Noisy copies per image.
    noise : float
        Standard deviation of the Gaussian noise, as a share of each image's
        value range (max - min).
    seed : int
        Seed of the noise; equal seeds give equal maps.
    rule : str
        Backward rule for ReLUs, see :func:`input_gradients`.
    signed : bool
        Average signed gradients (summed over channels) instead of absolute
        values (max over channels, as tf-keras-vis does).

    Returns
    -------
    numpy.ndarray
        ``(n, h, w)``.
    """
    if n_samples < 1:
        raise ValueError(f"n_samples must be at least 1, got {n_samples}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    if rule not in _RULES:
        raise ValueError(f"rule must be one of {sorted(_RULES)}, got {rule!r}")
    x, y = _prepare(model, images, labels)
    net = _relu_override(model, rule)
    rng = np.random.default_rng(seed)
    axes = tuple(range(1, x.ndim))
    sigma = noise * (x.max(axis=axes, keepdims=True) - x.min(axis=axes, keepdims=True))
    total = np.zeros(x.shape[:-1], dtype=np.float64)
    for _ in range(n_samples):
        noisy = (x + rng.normal(size=x.shape) * sigma).astype(np.float32)
        total += _reduce_channels(_gradients(net, noisy, y), signed)
    return total / n_samples


# --------------------------------------------------------------------------- CAMs

def gradcam(model, images, labels, *, layer=None, plus_plus: bool = False,
            upsample: bool = True) -> np.ndarray:
    """Grad-CAM or Grad-CAM++ via tf-keras-vis, unnormalised.

    Parameters
    ----------
    layer : str or int, optional
        The convolutional layer whose feature maps are weighted; defaults to
        the last convolutional layer.
    plus_plus : bool
        Grad-CAM++ instead of Grad-CAM.
    upsample : bool
        Resize (bilinear) to the image size; otherwise the map has the
        layer's resolution.

    Returns
    -------
    numpy.ndarray
        ``(n, h, w)``, non-negative (the CAM goes through a ReLU).
    """
    with quiet():  # tf-keras-vis imports a deprecated scipy namespace
        from tf_keras_vis.gradcam import Gradcam
        from tf_keras_vis.gradcam_plus_plus import GradcamPlusPlus
        from tf_keras_vis.utils.scores import CategoricalScore

    x, y = _prepare(model, images, labels)
    net = logits_model(model)
    explainer = (GradcamPlusPlus if plus_plus else Gradcam)(net, clone=False)
    parts = []
    for start in range(0, len(x), GRADIENT_BATCH):  # batches, as for the gradients
        xs, ys = x[start:start + GRADIENT_BATCH], y[start:start + GRADIENT_BATCH]
        with quiet():
            cam = explainer(CategoricalScore(ys.tolist()), xs, penultimate_layer=layer,
                            expand_cam=upsample, normalize_cam=False)
        cam = np.asarray(cam, dtype=np.float64)
        parts.append(cam.reshape(len(xs), *cam.shape[-2:]))
    return np.concatenate(parts)


# --------------------------------------------------------------------------- SHAP

def shap_all_classes(model, images, background, *, n_samples: int = 64,
                     seed: int = 0) -> np.ndarray:
    """SHAP values of every class's score for every pixel (GradientExplainer).

    Parameters
    ----------
    model : keras.Model
    images : array-like
        Images to explain, as the model takes them.
    background : array-like
        Reference images the expectations are taken over (e.g. 100
        training images); same format.
    n_samples : int
        Samples (background image x interpolation point) per image.
    seed : int
        Seed of the sampling.

    Returns
    -------
    numpy.ndarray
        ``(n, h, w, c, k)``: per pixel, channel and class.
    """
    with quiet():
        import shap

    x = _batch(model, images)
    bg = _batch(model, background)
    if n_samples < 1:
        raise ValueError(f"n_samples must be at least 1, got {n_samples}")
    net = logits_model(model)
    with quiet():
        explainer = shap.GradientExplainer(net, bg)
        values = explainer.shap_values(x, nsamples=n_samples, rseed=seed)
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == x.ndim and values.shape[0] != len(x):  # older shap: list over classes
        values = np.moveaxis(values, 0, -1)
    return values


def shap_map(model, images, labels, *, background, n_samples: int = 64,
             seed: int = 0) -> np.ndarray:
    """SHAP values of each image's class, summed over channels; ``(n, h, w)``, signed."""
    x, y = _prepare(model, images, labels)
    values = shap_all_classes(model, x, background, n_samples=n_samples, seed=seed)
    return values[np.arange(len(x)), ..., y].sum(axis=-1)


# --------------------------------------------------------------------------- LIME

def segment(image, *, method: str = "slic", n_segments: int = 30, compactness: float = 0.1,
            sigma: float = 0.5, background: float | None = 0.0, cell: int = 4) -> np.ndarray:
    """Superpixels of one image, for LIME.

    Parameters
    ----------
    image : array-like
        ``(h, w)`` or ``(h, w, c)``, values in ``[0, 1]``.
    method : {"slic", "grid"}
        ``"slic"``: SLIC superpixels that follow intensity edges (with a low
        ``compactness`` and little smoothing they fit a 28x28 image, where
        LIME's default quickshift with kernel size 4 finds one or two
        segments); ``"grid"``: square cells of ``cell`` pixels, which
        ignore the content.
    n_segments, compactness, sigma : SLIC parameters (``n_segments`` is a
        target, SLIC may return fewer or more).
    background : float or None
        For ``"slic"``: pixels whose value (every channel) is at most this
        are background and form one segment, label 0; superpixels are drawn
        only on the object. ``None`` segments the whole image.
    cell : int
        Side of the grid cells.

    Returns
    -------
    numpy.ndarray
        ``(h, w)`` int labels, consecutive from 0.
    """
    img = np.asarray(image, dtype=np.float64)
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    if img.ndim not in (2, 3):
        raise ValueError(f"image must be (h, w) or (h, w, c), got shape {img.shape}")
    if method == "grid":
        if cell < 1:
            raise ValueError(f"cell must be positive, got {cell}")
        h, w = img.shape[:2]
        rows, cols = np.indices((h, w)) // cell
        return rows * (-(-w // cell)) + cols
    if method != "slic":
        raise ValueError(f"method must be 'slic' or 'grid', got {method!r}")
    from skimage.segmentation import slic

    if img.ndim == 3 and np.allclose(img, img[..., :1]):  # LIME's grey-to-RGB copy
        img = img[..., 0]
    mask = None
    if background is not None:
        mask = (img > background) if img.ndim == 2 else (img > background).any(axis=-1)
        if not mask.any():
            return np.zeros(img.shape[:2], dtype=np.int64)
    labels = slic(img, n_segments=n_segments, compactness=compactness, sigma=sigma,
                  start_label=1, mask=mask, channel_axis=None if img.ndim == 2 else -1)
    # consecutive labels from 0 (0 = background when a mask was used)
    return np.unique(labels, return_inverse=True)[1].reshape(labels.shape).astype(np.int64)


@dataclass(frozen=True)
class LimeResult:
    """LIME explanations of a batch: maps, segments and how well the surrogate fits.

    Attributes
    ----------
    maps : numpy.ndarray
        ``(n, h, w)`` signed superpixel weights, per pixel.
    segments : numpy.ndarray
        ``(n, h, w)`` superpixel labels.
    r2 : numpy.ndarray
        ``(n,)`` weighted R² of LIME's linear surrogate on its perturbations
        (``explanation.score``): how much of the model's behaviour around the
        image the weights describe.
    n_segments : numpy.ndarray
        ``(n,)`` superpixels per image.
    """

    maps: np.ndarray
    segments: np.ndarray
    r2: np.ndarray
    n_segments: np.ndarray


def swap_fill(palette_from, palette_to):
    """A LIME ``fill`` that recolours the image: each pixel's tint ``palette_from``
    becomes ``palette_to`` (grey level kept), e.g. pink garments shown blue.

    Works on tinted images ``grey * colour``: the grey level is recovered as
    the pixel's maximum over channels divided by the colour's maximum.
    """
    a = np.asarray(palette_from, dtype=np.float64)
    b = np.asarray(palette_to, dtype=np.float64)
    if a.shape != (3,) or b.shape != (3,):
        raise ValueError("palette_from and palette_to must be RGB triples")

    def fill(image):
        image = np.asarray(image, dtype=np.float64)
        if image.ndim != 3 or image.shape[-1] != 3:
            raise ValueError(f"swap_fill needs an (h, w, 3) image, got shape {image.shape}")
        grey = image.max(axis=-1, keepdims=True) / a.max()
        return np.clip(grey * b, 0, 1)

    return fill


def lime_explain(model, images, labels, *, num_samples: int = 1000, seed: int = 0,
                 hide_color: float = 0.0, fill=None, segmentation: str = "slic",
                 **segment_options) -> LimeResult:
    """LIME image explanations with the surrogate's fit (see :func:`lime_map`).

    Parameters
    ----------
    fill : callable, optional
        ``fill(image) -> image`` of the same shape: what a hidden superpixel
        shows instead of ``hide_color``. ``swap_fill(pink, blue)`` shows it in
        the other colour, so that LIME's perturbations vary colour and not
        only presence: the *colour-aware* LIME of the Gen-Z chapter. With the
        default (black) fill, LIME can only ask "is this region needed?",
        never "does its colour matter?".
    """
    from unittest import mock

    with quiet():
        from lime import lime_image

    x, y = _prepare(model, images, labels)
    if num_samples < 10:
        raise ValueError(f"num_samples must be at least 10, got {num_samples}")
    if fill is not None and not callable(fill):
        raise TypeError("fill must be a function image -> image (e.g. swap_fill(pink, blue))")
    segment(x[0], method=segmentation, **segment_options)  # validate options early
    grey = x.shape[-1] == 1

    def classify(batch):
        batch = np.asarray(batch, dtype=np.float32)
        if grey:
            batch = batch[..., :1]
        return model(batch, training=False).numpy()

    def seg_fn(image):
        return segment(image, method=segmentation, **segment_options)

    class _Explainer(lime_image.LimeImageExplainer):
        def data_labels(self, image, fudged_image, *args, **kwargs):
            if fill is not None:
                fudged_image = np.asarray(fill(image), dtype=image.dtype)
                if fudged_image.shape != image.shape:
                    raise ValueError(f"fill returned shape {fudged_image.shape}, the image has "
                                     f"{image.shape}")
            return super().data_labels(image, fudged_image, *args, **kwargs)

    maps, segments, r2 = [], [], []
    for image, label in zip(x, y):
        explainer = _Explainer(random_state=seed)
        # lime 0.2.0.1 always shows a tqdm progress bar (a widget in Jupyter);
        # replace it, for this call only, by a plain loop.
        with quiet(), mock.patch.object(lime_image, "tqdm", lambda rows, **_: rows):
            explanation = explainer.explain_instance(
                image[..., 0] if grey else image, classify, labels=(int(label),), top_labels=None,
                hide_color=hide_color, num_samples=num_samples, batch_size=256,
                segmentation_fn=seg_fn, random_seed=seed)
        weights = np.zeros(explanation.segments.max() + 1)
        for seg, weight in explanation.local_exp[int(label)]:
            weights[seg] = weight
        maps.append(weights[explanation.segments])
        segments.append(explanation.segments)
        r2.append(float(explanation.score[int(label)] if isinstance(explanation.score, dict)
                        else explanation.score))
    segs = np.stack(segments)
    return LimeResult(np.stack(maps), segs, np.asarray(r2),
                      np.asarray([len(np.unique(s)) for s in segs]))


def lime_map(model, images, labels, *, num_samples: int = 1000, seed: int = 0,
             hide_color: float = 0.0, segmentation: str = "slic", return_segments: bool = False,
             fill=None, **segment_options):
    """LIME image explanations as per-pixel maps of superpixel weights.

    For each image, LIME switches random subsets of superpixels to
    ``hide_color`` (black, the background colour of Fashion-MNIST; or to
    ``fill(image)``, see :func:`lime_explain`), asks the model for the class
    probability and fits a weighted linear model on which superpixels were
    kept; each pixel gets its superpixel's coefficient.

    Parameters
    ----------
    num_samples : int
        Perturbed images per explanation.
    seed : int
        Seed of the perturbations (and of LIME's regression).
    hide_color : float
        Value that replaces a hidden superpixel.
    segmentation : {"slic", "grid"}
        See :func:`segment`; ``segment_options`` are passed on.
    return_segments : bool
        Also return the ``(n, h, w)`` segment labels.
    fill : callable, optional
        See :func:`lime_explain`.

    Returns
    -------
    numpy.ndarray or tuple
        ``(n, h, w)`` signed weights (and the segments).
    """
    res = lime_explain(model, images, labels, num_samples=num_samples, seed=seed,
                       hide_color=hide_color, fill=fill, segmentation=segmentation,
                       **segment_options)
    return (res.maps, res.segments) if return_segments else res.maps


# --------------------------------------------------------------------------- dispatch

def attribute(model, images, labels, method: str = "gradient", **options) -> np.ndarray:
    """Attribution maps of ``method`` for each image and its class.

    Parameters
    ----------
    model : keras.Model
        Outputs probabilities (ending in a softmax) or scores.
    images : array-like
        ``(n, h, w, c)`` floats as the model takes them (``(n, h, w)`` for
        one channel); see :func:`xaibook.vision.cnn.preprocess`.
    labels : int or array-like of int
        The class to explain, per image (e.g. the true or the predicted one).
    method : str
        One of :data:`METHODS`.
    **options
        Passed to the method's function: ``n_samples``, ``noise``, ``seed``
        for ``"smoothgrad"``; ``layer`` for the CAMs; ``background`` (required),
        ``n_samples``, ``seed`` for ``"shap"``; ``num_samples``, ``seed``,
        ``segmentation`` ... for ``"lime"``; ``signed`` for the gradients.

    Returns
    -------
    numpy.ndarray
        ``(n, h, w)`` float64 maps (see the module table for their sign).
    """
    funcs = {
        "gradient": saliency,
        "smoothgrad": smoothgrad,
        "guided_backprop": guided_backprop,
        "deconvnet": deconvnet,
        "gradcam": gradcam,
        "gradcam++": lambda m, x, y, **kw: gradcam(m, x, y, plus_plus=True, **kw),
        "shap": shap_map,
        "lime": lime_map,
    }
    if method not in funcs:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if method == "shap" and "background" not in options:
        raise ValueError("method 'shap' needs background=... (reference images, e.g. 100 "
                         "training images)")
    return np.asarray(funcs[method](model, images, labels, **options), dtype=np.float64)
