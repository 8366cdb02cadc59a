"""Statistics that say whether an image model, or an explanation of it, uses colour.

Two kinds of evidence, kept apart on purpose:

* **model-level, explainer-free**: :func:`swap_flip_rate` recolours the same
  shapes (pink <-> blue) and counts changed predictions;
  :func:`accuracy_by_condition` scores one model on clichéd and Gen-Z sets.
  These are the ground truth the explainers are judged against.
* **explanation-level**: :func:`colour_share` reads an attribution map with
  a channel axis and measures how much of its mass points along the colour
  axis (pink minus blue) rather than the shape axis (brighter in the same
  hue), see :func:`xaibook.cases.genz.tint.colour_axes`. A map without a channel
  axis (one number per pixel: Grad-CAM's map at any layer, LIME's superpixel
  weights with a black fill) says *where* the evidence is, never *what* it
  is; it cannot show colour at all, which :func:`colour_share` reports as an
  error rather than a number. The colour-blindness belongs to those
  settings: Grad-CAM's channel weights taken at the input
  (:func:`input_channel_weights`, scored by
  :func:`channel_weight_colour_share`) and LIME with a recolouring fill
  (:func:`xaibook.vision.attribution.swap_fill`) do see colour.
"""

from __future__ import annotations

from typing import Callable, Mapping

import numpy as np
import pandas as pd

from xaibook.cases.genz.tint import PALETTE, TintedImages, colour_axes

__all__ = ["colour_share", "chromatic_share", "swap_flip_rate", "accuracy_by_condition",
           "predicted_labels", "input_channel_weights", "channel_weight_colour_share"]


def colour_share(attributions, *, palette_rgb: Mapping[str, tuple[float, float, float]] = PALETTE,
                 per_image: bool = True) -> np.ndarray | float:
    """Share of attribution energy along the colour axis, per image.

    For each pixel's attribution vector ``a`` (one value per RGB channel),
    ``c = <a, colour_axis>`` and ``s = <a, shape_axis>``; the share is
    ``sum(c**2) / sum(c**2 + s**2)`` over the image's pixels. 0: the map only
    says "brighter or darker here" (shape); 1: it only says "pinker or bluer
    here" (colour). The part of ``a`` orthogonal to both axes (changes no
    tinted image can make) is ignored.

    Parameters
    ----------
    attributions : array, shape (n, h, w, 3)
        one channel-resolved attribution map per image.
    palette_rgb : the two-colour palette that defines the axes.
    per_image : bool
        one share per image (default) or one pooled share for all.

    Returns
    -------
    numpy.ndarray of shape (n,) or float; NaN for an all-zero map.
    """
    a = np.asarray(attributions, dtype=np.float64)
    if a.ndim == 3 or (a.ndim == 4 and a.shape[-1] == 1):
        raise ValueError("this attribution map has no colour channel axis (one value per pixel): "
                         "it can show where the evidence is, not whether it is colour")
    if a.ndim != 4 or a.shape[-1] != 3:
        raise ValueError(f"attributions must have shape (n, height, width, 3), got {a.shape}")
    colour_ax, shape_ax = colour_axes(palette_rgb)
    c = (a @ colour_ax) ** 2
    s = (a @ shape_ax) ** 2
    if not per_image:
        total = c.sum() + s.sum()
        return float(c.sum() / total) if total > 0 else float("nan")
    c, s = c.sum(axis=(1, 2)), s.sum(axis=(1, 2))
    total = c + s
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, c / np.where(total > 0, total, 1), np.nan)


def chromatic_share(attributions, images, *, per_image: bool = False,
                    dark: float = 1e-3) -> np.ndarray | float:
    """Share of attribution energy that would change a pixel's *hue*, not told which hues.

    The un-hinted counterpart of :func:`colour_share`: it knows nothing of
    the palette or the cliché. Each pixel's attribution vector ``a`` is split
    into its part along the pixel's own colour ``u`` (the image's RGB value,
    normalised: "brighter or darker in the same hue") and the rest ("another
    hue here"); the share is the rest's energy over the total. On black
    pixels (all channels at most ``dark``) ``u`` is the grey axis.

    Parameters
    ----------
    attributions, images : arrays of shape (n, h, w, 3)
    per_image : bool
        one share per image, or one pooled share (default).
    """
    a = np.asarray(attributions, dtype=np.float64)
    x = np.asarray(images, dtype=np.float64)
    if a.ndim != 4 or a.shape[-1] != 3:
        raise ValueError(f"attributions must have shape (n, height, width, 3), got {a.shape}")
    if x.shape != a.shape:
        raise ValueError(f"images must have the attributions' shape {a.shape}, got {x.shape}")
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    grey = np.full(3, 1 / np.sqrt(3))
    u = np.where(norm > dark, x / np.where(norm > dark, norm, 1), grey)
    along = (a * u).sum(axis=-1)
    total = (a ** 2).sum(axis=-1)
    rest = np.clip(total - along ** 2, 0, None)
    if not per_image:
        t = total.sum()
        return float(rest.sum() / t) if t > 0 else float("nan")
    t, r = total.sum(axis=(1, 2)), rest.sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(t > 0, r / np.where(t > 0, t, 1), np.nan)


def predicted_labels(predict: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    """Class predictions from ``predict`` (scores of shape (n, k) or labels of shape (n,))."""
    if not callable(predict):
        raise TypeError("predict must be a callable taking images and returning scores or labels")
    out = np.asarray(predict(x))
    if out.ndim == 2:
        return out.argmax(axis=1)
    if out.ndim == 1:
        return out.astype(np.int64)
    raise ValueError(f"predict returned shape {out.shape}; expected (n, classes) or (n,)")


def swap_flip_rate(predict: Callable[[np.ndarray], np.ndarray], images: TintedImages) -> float:
    """Share of predictions that change when only the colour is swapped.

    The same shapes are shown in the other colour (:meth:`TintedImages.swapped`);
    a model that ignores colour changes no prediction (0), a model that
    decides by colour changes many. No explainer is involved.
    """
    if not isinstance(images, TintedImages):
        raise TypeError("images must be a TintedImages set (from make_cliched / make_genz)")
    before = predicted_labels(predict, images.x)
    after = predicted_labels(predict, images.swapped().x)
    return float(np.mean(before != after))


def accuracy_by_condition(predict: Callable[[np.ndarray], np.ndarray],
                          sets: Mapping[str, TintedImages]) -> pd.DataFrame:
    """Accuracy of one model on several colour conditions.

    Returns
    -------
    pandas.DataFrame with columns ``condition``, ``accuracy`` (a fraction), ``n``.
    """
    if not sets:
        raise ValueError("no test sets given")
    rows = []
    for name, images in sets.items():
        if not isinstance(images, TintedImages):
            raise TypeError(f"test set {name!r} is not a TintedImages set")
        pred = predicted_labels(predict, images.x)
        rows.append({"condition": name, "accuracy": float(np.mean(pred == images.y)), "n": len(images)})
    return pd.DataFrame(rows)


def input_channel_weights(model, images, labels) -> np.ndarray:
    """CAM-style channel weights taken at the input: a colour-aware Grad-CAM.

    Grad-CAM weights each feature map ``A_k`` of a layer by
    ``alpha_k = mean over pixels of d score / d A_k`` and shows
    ``ReLU(sum_k alpha_k A_k)``: one value per pixel. At the last
    convolutional layer the ``k`` are learned features and the map cannot say
    which colour matters. Taken at the *input*, the feature maps are the
    image's colour channels, so ``alpha`` is one weight per colour channel:
    how much raising red, green or blue everywhere would raise the class
    score. These weights keep the colour axis that the map (their weighted
    sum over channels) throws away.

    Parameters
    ----------
    model : keras.Model
    images : array, shape (n, h, w, c)
    labels : int or array of int
        class whose score is differentiated, per image.

    Returns
    -------
    numpy.ndarray, shape (n, c): ``alpha`` per image and channel.
    """
    from xaibook.vision.attribution import input_gradients

    grads = input_gradients(model, images, labels)
    return np.asarray(grads, dtype=np.float64).mean(axis=(1, 2))


def channel_weight_colour_share(weights, *,
                                palette_rgb: Mapping[str, tuple[float, float, float]] = PALETTE
                                ) -> float:
    """Pooled colour share of per-image RGB channel weights (see :func:`colour_share`).

    ``weights`` has shape (n, 3), e.g. from :func:`input_channel_weights`;
    each image's weight vector is split into its colour (pink minus blue) and
    shape (brighter in the mean tint) parts.
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 2 or w.shape[1] != 3:
        raise ValueError(f"weights must have shape (n, 3), got {w.shape}")
    return colour_share(w[:, None, None, :], palette_rgb=palette_rgb, per_image=False)
