"""A *localised* cliché: a small coloured patch in a corner, tied to a group of classes.

The global tint of :mod:`xaibook.cases.genz.tint` lives in every garment
pixel, so a map of *where* the evidence is cannot show it. This module plants
a shortcut that lives in one known place: a ``size`` x ``size`` square of one
colour (a yellow "logo", :data:`PATCH_COLOUR`) in a corner of the image. At
strength ``s`` an image follows the rule "the patch is there exactly when the
class belongs to :data:`PATCH_GROUP`" with probability ``s``; otherwise the
patch is there with probability 1/2 whatever the class. At ``s = 0`` the patch
says nothing about the class; at ``s = 1`` it splits the ten classes into two
groups of five, like the tint at ``s = 1``.

Spatial explainers (Grad-CAM, LIME's superpixels, SHAP, saliency) *can*
localise this shortcut: :func:`box_mass` measures the share of a map's mass
that falls in the patch's box. The explainer-free references are the
patch-toggle test (add the patch where it is absent, remove it where it is
present: share of predictions that change) and the patch-move test (the same
patch in the opposite corner).

Everything is a plain function of arrays and a seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from xaibook.cases.genz.checks import unit_interval

__all__ = ["PATCH_COLOUR", "PATCH_GROUP", "CORNERS", "PatchedImages", "patch_box", "place_patch",
           "patch_rule", "make_patched", "box_mass", "box_area_share", "patch_flip_rates"]

#: Colour of the patch (RGB in [0, 1]): a yellow that is neither palette colour.
PATCH_COLOUR = (1.0, 0.85, 0.0)
#: Classes that carry the patch under the rule (the pink-cliché classes:
#: pullover, dress, sandal, shirt, bag), so that the patch, like the tint,
#: splits the pairs of classes that are hard to tell apart by shape.
PATCH_GROUP = frozenset({2, 3, 5, 6, 8})
#: Corner names accepted by :func:`patch_box`.
CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")


def patch_box(corner: str = "top-left", *, size: int = 4, margin: int = 1,
              shape: tuple[int, int] = (28, 28)) -> tuple[slice, slice]:
    """Row and column slices of a ``size`` x ``size`` box ``margin`` pixels from ``corner``."""
    if corner not in CORNERS:
        raise ValueError(f"corner must be one of {CORNERS}, got {corner!r}")
    h, w = int(shape[0]), int(shape[1])
    if size < 1 or margin < 0 or size + margin > min(h, w):
        raise ValueError(f"a box of size {size} and margin {margin} does not fit in {h}x{w}")
    r0 = margin if corner.startswith("top") else h - margin - size
    c0 = margin if corner.endswith("left") else w - margin - size
    return slice(r0, r0 + size), slice(c0, c0 + size)


def place_patch(images, where, box: tuple[slice, slice], colour=PATCH_COLOUR) -> np.ndarray:
    """A copy of RGB ``images`` with the box set to ``colour`` in the images where ``where`` is True.

    Parameters
    ----------
    images : array, shape (n, h, w, 3), floats in [0, 1]
    where : bool array, shape (n,)
    box : (row slice, column slice), e.g. from :func:`patch_box`
    colour : RGB triple in [0, 1]
    """
    x = np.array(images, dtype=np.float32, copy=True)
    if x.ndim != 4 or x.shape[-1] != 3:
        raise ValueError(f"images must have shape (n, h, w, 3), got {x.shape}")
    where = np.asarray(where, dtype=bool)
    if where.shape != (len(x),):
        raise ValueError(f"need one flag per image ({len(x)}), got shape {where.shape}")
    rgb = np.asarray(colour, dtype=np.float32)
    if rgb.shape != (3,) or rgb.min() < 0 or rgb.max() > 1:
        raise ValueError("colour must be an RGB triple in [0, 1]")
    rows, cols = box
    x[where, rows, cols, :] = rgb
    return x


def patch_rule(labels, strength: float, *, seed: int, group=PATCH_GROUP) -> np.ndarray:
    """Which images carry the patch at ``strength``: bool array of shape (n,).

    With probability ``strength`` an image follows the rule (patch iff its
    class is in ``group``); otherwise the patch is there with probability 1/2.
    """
    strength = unit_interval(strength, "strength")
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError("labels must be a one-dimensional integer array")
    rng = np.random.default_rng(seed)
    forced = rng.random(len(labels)) < strength
    coin = rng.random(len(labels)) < 0.5
    return np.where(forced, np.isin(labels, sorted(group)), coin)


@dataclass(frozen=True)
class PatchedImages:
    """Images with or without the patch, and the same images without any.

    Attributes
    ----------
    x : float32 (n, h, w, 3): the images as shown.
    base : float32 (n, h, w, 3): the same images without the patch.
    y : int (n,): labels.
    has_patch : bool (n,)
    box : (row slice, column slice) of the patch.
    colour : RGB of the patch.
    """

    x: np.ndarray
    base: np.ndarray
    y: np.ndarray
    has_patch: np.ndarray
    box: tuple[slice, slice]
    colour: tuple[float, float, float] = PATCH_COLOUR

    def __len__(self) -> int:
        return len(self.y)

    def with_patch(self, where, box: tuple[slice, slice] | None = None) -> np.ndarray:
        """The base images with the patch placed where ``where`` is True (in ``box``)."""
        return place_patch(self.base, where, self.box if box is None else box, self.colour)

    def toggled(self) -> np.ndarray:
        """Patch removed where it was, added where it was not."""
        return self.with_patch(~self.has_patch)

    def removed(self) -> np.ndarray:
        """Every image without the patch (the base images)."""
        return self.base

    def moved(self, box: tuple[slice, slice]) -> np.ndarray:
        """The patch, where there is one, in ``box`` instead."""
        return self.with_patch(self.has_patch, box)


def make_patched(rgb_images, labels, strength: float, *, seed: int, corner: str = "top-left",
                 size: int = 4, group=PATCH_GROUP, colour=PATCH_COLOUR,
                 has_patch=None) -> PatchedImages:
    """Put the patch on RGB images by :func:`patch_rule` at ``strength`` (or by ``has_patch``)."""
    base = np.asarray(rgb_images, dtype=np.float32)
    if base.ndim != 4 or base.shape[-1] != 3:
        raise ValueError(f"images must have shape (n, h, w, 3), got {base.shape}")
    labels = np.asarray(labels)
    if has_patch is None:
        has_patch = patch_rule(labels, strength, seed=seed, group=group)
    has_patch = np.asarray(has_patch, dtype=bool)
    box = patch_box(corner, size=size, shape=base.shape[1:3])
    return PatchedImages(place_patch(base, has_patch, box, colour), base, labels, has_patch, box,
                         tuple(float(c) for c in colour))


def box_mass(maps, box: tuple[slice, slice], *, per_image: bool = True) -> np.ndarray | float:
    """Share of each map's absolute mass that falls inside ``box``.

    Parameters
    ----------
    maps : array, shape (n, h, w) or (n, h, w, c)
        attribution maps; signed values count by their absolute size, channels
        are summed (``|a_r| + |a_g| + |a_b|``).
    box : (row slice, column slice)
    per_image : bool
        one share per image (NaN for an all-zero map), or one pooled share
        (total mass in the box over total mass).
    """
    m = np.abs(np.asarray(maps, dtype=np.float64))
    if m.ndim == 4:
        m = m.sum(axis=-1)
    if m.ndim != 3:
        raise ValueError(f"maps must have shape (n, h, w) or (n, h, w, c), got {m.shape}")
    rows, cols = box
    inside = m[:, rows, cols].sum(axis=(1, 2))
    total = m.sum(axis=(1, 2))
    if not per_image:
        return float(inside.sum() / total.sum()) if total.sum() > 0 else float("nan")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, inside / np.where(total > 0, total, 1), np.nan)


def box_area_share(box: tuple[slice, slice], shape: tuple[int, int] = (28, 28)) -> float:
    """The box's share of the image area: what a map spread evenly would put there."""
    h, w = shape
    rows, cols = box
    return len(range(*rows.indices(h))) * len(range(*cols.indices(w))) / (h * w)


def patch_flip_rates(predict, images: PatchedImages, *, move_to: str = "bottom-right") -> dict:
    """Explainer-free references: shares of predictions that change.

    Returns
    -------
    dict with ``toggle`` (patch removed where present, added where absent;
    over all images), ``removal`` (over the images with the patch only) and
    ``move`` (the patch moved to ``move_to``, over the images with it).
    """
    def labels(x):
        out = np.asarray(predict(x))
        return out.argmax(axis=1) if out.ndim == 2 else out

    before = labels(images.x)
    toggled = labels(images.toggled())
    has = images.has_patch
    other = patch_box(move_to, size=images.box[0].stop - images.box[0].start,
                      shape=images.x.shape[1:3])
    moved = labels(images.moved(other)[has]) if has.any() else np.array([])
    return {"toggle": float(np.mean(before != toggled)),
            "removal": float(np.mean(before[has] != toggled[has])) if has.any() else float("nan"),
            "move": float(np.mean(before[has] != moved)) if has.any() else float("nan")}
