"""Colour Fashion-MNIST with a planted cliché of controllable strength.

A grey Fashion-MNIST image ``g`` (values in ``[0, 1]``) becomes an RGB image
``g[..., None] * colour``: the garment takes the tint, the black background
stays black, and the shape is untouched. Which colour an image gets is drawn
per image:

* **clichéd** at strength ``s``: with probability ``s`` the class's cliché
  colour (:data:`CLICHE`, e.g. dresses pink, trousers blue), otherwise a
  colour drawn uniformly from the palette. With two colours an image shows its
  cliché colour with probability ``(1 + s) / 2``, and the correlation (phi
  coefficient) between "shown in pink" and "a pink-cliché class" is exactly
  ``s`` in expectation (classes balanced between the two groups).
  ``s = 0``: colour is independent of the class; ``s = 1``: colour is a
  deterministic function of the class's cliché group.
* **Gen Z** test sets: ``"independent"`` (colour drawn uniformly, whatever the
  class) and ``"reversed"`` (every image gets a colour other than its
  cliché colour: with two colours, pink dresses become blue dresses).

Everything is a plain function of arrays and a seed; nothing is global.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

import numpy as np

from xaibook.cases.genz.checks import unit_interval

__all__ = [
    "PALETTE", "CLICHE", "GENZ_MODES", "TintedImages",
    "cliche_colours", "genz_colours", "tint", "make_cliched", "make_genz",
    "colour_axes", "cliche_agreement", "colour_group_correlation",
]

#: Tint colours as RGB in ``[0, 1]``: a hot pink and a royal blue of equal
#: length (so that the "colour" axis, pink minus blue, is orthogonal to the
#: "shape" axis, their mean; see :func:`colour_axes`).
PALETTE: Mapping[str, tuple[float, float, float]] = MappingProxyType({
    "pink": (1.0, 0.42, 0.71),
    "blue": (0.52, 0.64, 1.0),
})

#: The cliché: the colour each Fashion-MNIST class (by label) is usually shown
#: in. It splits the classes the model confuses most (shirt / T-shirt,
#: pullover / coat, sandal / sneaker, dress / coat) across the two colours, so
#: that colour is a tempting shortcut exactly where shape is hard.
CLICHE: Mapping[int, str] = MappingProxyType({
    0: "blue",   # T-shirt/top
    1: "blue",   # Trouser
    2: "pink",   # Pullover
    3: "pink",   # Dress
    4: "blue",   # Coat
    5: "pink",   # Sandal
    6: "pink",   # Shirt
    7: "blue",   # Sneaker
    8: "pink",   # Bag
    9: "blue",   # Ankle boot
})

#: The two Gen-Z test conditions.
GENZ_MODES = ("independent", "reversed")


@dataclass(frozen=True)
class TintedImages:
    """A coloured image set and how it was coloured.

    Attributes
    ----------
    x : numpy.ndarray
        float32 RGB images, shape ``(n, height, width, 3)``, values in ``[0, 1]``.
    y : numpy.ndarray
        int labels, shape ``(n,)``.
    colour : numpy.ndarray
        index into ``palette`` of each image's tint, shape ``(n,)``.
    palette : tuple of str
        colour names, in index order.
    condition : str
        ``"cliched s=0.9"``, ``"independent"``, ``"reversed"``...
    grey : numpy.ndarray
        the grey source images in ``[0, 1]``, kept so that the same shapes can
        be recoloured (see :meth:`recolour`).
    """

    x: np.ndarray
    y: np.ndarray
    colour: np.ndarray
    palette: tuple[str, ...]
    condition: str
    grey: np.ndarray

    def __len__(self) -> int:
        return len(self.y)

    def recolour(self, colour: np.ndarray, condition: str,
                 palette_rgb: Mapping[str, tuple[float, float, float]] = PALETTE) -> "TintedImages":
        """The same shapes and labels in other colours (indices into :attr:`palette`)."""
        colour = np.asarray(colour)
        if colour.shape != self.y.shape:
            raise ValueError(f"need one colour per image ({self.y.shape}), got shape {colour.shape}")
        rgb = _palette_array(self.palette, palette_rgb)
        return TintedImages(tint(self.grey, rgb[colour]), self.y, colour, self.palette,
                            condition, self.grey)

    def swapped(self, palette_rgb: Mapping[str, tuple[float, float, float]] = PALETTE
                ) -> "TintedImages":
        """Every image in the next colour of the palette (pink <-> blue with two)."""
        return self.recolour((self.colour + 1) % len(self.palette), f"{self.condition}, swapped",
                             palette_rgb)


def _check_labels(labels, cliche: Mapping[int, str], palette: tuple[str, ...]) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be one-dimensional, got shape {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"labels must be integers, got dtype {labels.dtype}")
    unknown = sorted(set(np.unique(labels).tolist()) - set(cliche))
    if unknown:
        raise ValueError(f"labels {unknown} have no cliché colour; cliché covers {sorted(cliche)}")
    bad = sorted({c for c in cliche.values() if c not in palette})
    if bad:
        raise ValueError(f"cliché colours {bad} are not in the palette {list(palette)}")
    return labels


def _cliche_index(labels: np.ndarray, cliche: Mapping[int, str], palette: tuple[str, ...]) -> np.ndarray:
    lookup = np.zeros(max(cliche) + 1, dtype=np.int64)
    for label, name in cliche.items():
        lookup[label] = palette.index(name)
    return lookup[labels]


def _palette_array(palette: tuple[str, ...],
                   palette_rgb: Mapping[str, tuple[float, float, float]]) -> np.ndarray:
    missing = [name for name in palette if name not in palette_rgb]
    if missing:
        raise ValueError(f"no RGB value for colours {missing}")
    rgb = np.array([palette_rgb[name] for name in palette], dtype=np.float32)
    if rgb.shape != (len(palette), 3) or rgb.min() < 0 or rgb.max() > 1:
        raise ValueError("palette colours must be RGB triples in [0, 1]")
    return rgb


def cliche_colours(labels, strength: float, *, seed: int,
                   cliche: Mapping[int, str] = CLICHE,
                   palette: tuple[str, ...] = tuple(PALETTE)) -> np.ndarray:
    """Draw each image's colour under the cliché at ``strength``.

    Parameters
    ----------
    labels : array of int, shape (n,)
        class labels (keys of ``cliche``).
    strength : float in [0, 1]
        probability that an image is forced to its class's cliché colour;
        otherwise its colour is drawn uniformly from ``palette`` (so it may
        still be the cliché colour by chance).
    seed : int
        seed of the random draw; same seed, same colours.
    cliche, palette
        class -> colour name, and the colour names in index order.

    Returns
    -------
    numpy.ndarray of int, shape (n,)
        index into ``palette`` per image.
    """
    strength = unit_interval(strength, "strength")
    palette = tuple(palette)
    labels = _check_labels(labels, cliche, palette)
    rng = np.random.default_rng(seed)
    forced = rng.random(len(labels)) < strength
    random_colour = rng.integers(0, len(palette), size=len(labels))
    return np.where(forced, _cliche_index(labels, cliche, palette), random_colour)


def genz_colours(labels, mode: str, *, seed: int,
                 cliche: Mapping[int, str] = CLICHE,
                 palette: tuple[str, ...] = tuple(PALETTE)) -> np.ndarray:
    """Colours for a Gen-Z test set, where the cliché no longer holds.

    Parameters
    ----------
    labels : array of int, shape (n,)
    mode : {"independent", "reversed"}
        ``"independent"``: colour drawn uniformly, independent of the class
        (the cliché at strength 0). ``"reversed"``: each image gets one of the
        *other* colours, drawn uniformly (with two colours: always the
        opposite of its cliché colour).
    seed : int

    Returns
    -------
    numpy.ndarray of int, shape (n,)
    """
    palette = tuple(palette)
    if mode not in GENZ_MODES:
        raise ValueError(f"mode must be one of {GENZ_MODES}, got {mode!r}")
    if mode == "independent":
        return cliche_colours(labels, 0.0, seed=seed, cliche=cliche, palette=palette)
    labels = _check_labels(labels, cliche, palette)
    if len(palette) < 2:
        raise ValueError("a reversed cliché needs at least two colours")
    rng = np.random.default_rng(seed)
    shift = rng.integers(1, len(palette), size=len(labels))
    return (_cliche_index(labels, cliche, palette) + shift) % len(palette)


def tint(grey, colours) -> np.ndarray:
    """Tint grey images: ``rgb = grey[..., None] * colour``.

    Parameters
    ----------
    grey : array, shape (n, h, w)
        uint8 images (0..255) or floats in ``[0, 1]``.
    colours : array, shape (n, 3) or (3,)
        RGB tint per image (or one for all), values in ``[0, 1]``.

    Returns
    -------
    numpy.ndarray of float32, shape (n, h, w, 3), values in ``[0, 1]``.
    """
    grey = np.asarray(grey)
    if grey.ndim != 3:
        raise ValueError(f"grey images must have shape (n, height, width), got {grey.shape}")
    if grey.dtype == np.uint8:
        grey = grey.astype(np.float32) / 255.0
    else:
        grey = grey.astype(np.float32)
        if grey.size and (grey.min() < 0 or grey.max() > 1):
            raise ValueError("float grey images must lie in [0, 1]; pass uint8 for 0..255")
    colours = np.asarray(colours, dtype=np.float32)
    if colours.shape == (3,):
        colours = np.broadcast_to(colours, (len(grey), 3))
    if colours.shape != (len(grey), 3):
        raise ValueError(f"need colours of shape ({len(grey)}, 3) or (3,), got {colours.shape}")
    if colours.size and (colours.min() < 0 or colours.max() > 1):
        raise ValueError("colours must lie in [0, 1]")
    return grey[..., None] * colours[:, None, None, :]


def _as_grey(images) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"images must have shape (n, height, width), got {images.shape}")
    return images.astype(np.float32) / 255.0 if images.dtype == np.uint8 else images.astype(np.float32)


def make_cliched(images, labels, strength: float, *, seed: int,
                 cliche: Mapping[int, str] = CLICHE,
                 palette_rgb: Mapping[str, tuple[float, float, float]] = PALETTE) -> TintedImages:
    """A clichéd colour set: :func:`cliche_colours` at ``strength``, then :func:`tint`."""
    grey = _as_grey(images)
    palette = tuple(palette_rgb)
    colour = cliche_colours(labels, strength, seed=seed, cliche=cliche, palette=palette)
    rgb = _palette_array(palette, palette_rgb)
    return TintedImages(tint(grey, rgb[colour]), np.asarray(labels), colour, palette,
                        f"cliched s={unit_interval(strength, 'strength'):g}", grey)


def make_genz(images, labels, mode: str, *, seed: int,
              cliche: Mapping[int, str] = CLICHE,
              palette_rgb: Mapping[str, tuple[float, float, float]] = PALETTE) -> TintedImages:
    """A Gen-Z colour set (``"independent"`` or ``"reversed"``), see :func:`genz_colours`."""
    grey = _as_grey(images)
    palette = tuple(palette_rgb)
    colour = genz_colours(labels, mode, seed=seed, cliche=cliche, palette=palette)
    rgb = _palette_array(palette, palette_rgb)
    return TintedImages(tint(grey, rgb[colour]), np.asarray(labels), colour, palette, mode, grey)


def colour_axes(palette_rgb: Mapping[str, tuple[float, float, float]] = PALETTE
                ) -> tuple[np.ndarray, np.ndarray]:
    """Unit "colour" and "shape" directions in RGB space for a two-colour palette.

    The colour axis is ``first - second`` (pink minus blue): the only change a
    colour swap makes to a pixel, up to its brightness. The shape axis is the
    part of the mean tint orthogonal to it: the direction in which a pixel
    grows brighter without changing hue. Attribution along the first says
    "this pixel matters because of its colour", along the second "because of
    its brightness, i.e. the garment's shape".

    Returns
    -------
    (colour_axis, shape_axis) : two unit vectors of shape (3,)
    """
    rgb = np.array(list(palette_rgb.values()), dtype=np.float64)
    if rgb.shape != (2, 3):
        raise ValueError(f"colour axes need a palette of exactly two colours, got {len(rgb)}")
    colour = rgb[0] - rgb[1]
    if np.linalg.norm(colour) == 0:
        raise ValueError("the two palette colours are identical")
    colour /= np.linalg.norm(colour)
    mean = rgb.mean(axis=0)
    shape = mean - (mean @ colour) * colour
    shape /= np.linalg.norm(shape)
    return colour, shape


def cliche_agreement(labels, colour, *, cliche: Mapping[int, str] = CLICHE,
                     palette: tuple[str, ...] = tuple(PALETTE)) -> float:
    """Share of images shown in their class's cliché colour."""
    palette = tuple(palette)
    labels = _check_labels(labels, cliche, palette)
    colour = np.asarray(colour)
    if colour.shape != labels.shape:
        raise ValueError("labels and colours must have the same shape")
    return float(np.mean(colour == _cliche_index(labels, cliche, palette)))


def colour_group_correlation(labels, colour, *, cliche: Mapping[int, str] = CLICHE,
                             palette: tuple[str, ...] = tuple(PALETTE)) -> float:
    """Phi coefficient between "shown in the first colour" and "cliché says first colour".

    For a two-colour palette; equals the planted strength in expectation when
    the classes are balanced between the two cliché groups.
    """
    palette = tuple(palette)
    if len(palette) != 2:
        raise ValueError("the phi coefficient needs a two-colour palette")
    labels = _check_labels(labels, cliche, palette)
    shown = (np.asarray(colour) == 0).astype(float)
    group = (_cliche_index(labels, cliche, palette) == 0).astype(float)
    if shown.std() == 0 or group.std() == 0:
        return float("nan")
    return float(np.corrcoef(shown, group)[0, 1])
