"""Synthetic model inputs of eight kinds, for calibration sets and agreement checks.

Models with generated weights have no natural input distribution, so their INT8 variants are
calibrated, and their agreement with FP32 measured, on seeded synthetic inputs. Cycling
through several kinds (scales, noise, image-like structure) keeps any single distribution
from deciding the result. Calibration and agreement use different seeds.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from typing import NamedTuple

import numpy as np

Shapes = Mapping[str, tuple[int, ...] | list[int]]
# Bump when a family below changes: it is part of calibration ids, hence of cache keys.
SYNTHETIC_VERSION = "synthetic-v1"

# Pixel statistics of ImageNet averaged over the three channels: image-like families are
# drawn as pixels in [0, 1] and normalised as the image models' preprocessing does.
_PIXEL_MEAN, _PIXEL_STD = 0.449, 0.226


def _normalised(pixels: np.ndarray) -> np.ndarray:
    return (pixels - _PIXEL_MEAN) / _PIXEL_STD


def _interpolation(size: int, coarse: int) -> np.ndarray:
    """(size, coarse) matrix that resamples `coarse` points linearly onto `size` points."""
    grid = np.linspace(0, coarse - 1, size)
    return np.stack([np.interp(grid, np.arange(coarse), col) for col in np.eye(coarse)], axis=1)


def _smooth_image(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    if len(shape) < 2:
        return _normalised(rng.random(shape))
    h, w = shape[-2:]
    ch, cw = max(2, h // 16), max(2, w // 16)
    coarse = rng.random((*shape[:-2], ch, cw))
    return _normalised(_interpolation(h, ch) @ coarse @ _interpolation(w, cw).T)


def _shapes_image(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    if len(shape) < 3:
        return _normalised(rng.random(shape))
    h, w = shape[-2:]
    colour_shape = (*shape[:-2], 1, 1)
    image = np.broadcast_to(rng.random(colour_shape), shape).copy()
    for _ in range(int(rng.integers(3, 7))):
        y0, x0 = int(rng.integers(0, h)), int(rng.integers(0, w))
        y1, x1 = y0 + int(rng.integers(1, h // 2 + 2)), x0 + int(rng.integers(1, w // 2 + 2))
        image[..., y0:y1, x0:x1] = rng.random(colour_shape)
    return _normalised(np.clip(image + rng.normal(0.0, 0.02, shape), 0.0, 1.0))


def _offset_normal(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    # One offset and scale per channel (axis 1) when there is one, else per tensor.
    per = (1, shape[1]) + (1,) * (len(shape) - 2) if len(shape) >= 2 else (1,) * len(shape)
    return rng.uniform(-1.0, 1.0, per) + rng.uniform(0.5, 1.5, per) * rng.standard_normal(shape)


class Family(NamedTuple):
    name: str
    text: str  # in plain words, for the methodology page
    draw: Callable[[np.random.Generator, tuple[int, ...]], np.ndarray]


# Input i of a synthetic set uses family i mod 8.
FAMILIES: list[Family] = [
    Family(
        "normal",
        "standard normal values, as in the latency benchmark",
        lambda rng, s: rng.standard_normal(s),
    ),
    Family(
        "quiet",
        "standard normal values scaled by 0.25 (a dim, low-contrast input)",
        lambda rng, s: 0.25 * rng.standard_normal(s),
    ),
    Family(
        "loud",
        "standard normal values scaled by 2.5 (a harsh input at the top of the ranges)",
        lambda rng, s: 2.5 * rng.standard_normal(s),
    ),
    Family("uniform", "values uniform between -2 and 2", lambda rng, s: rng.uniform(-2, 2, s)),
    Family(
        "pixel noise",
        "an image of independent pixels uniform in [0, 1], normalised as the image models "
        "expect (mean 0.449, standard deviation 0.226)",
        lambda rng, s: _normalised(rng.random(s)),
    ),
    Family(
        "smooth image",
        "a random image 1/16 of the side upsampled bilinearly: large smooth regions, as in "
        "photographs; normalised the same way",
        _smooth_image,
    ),
    Family(
        "shapes image",
        "a plain background with 3 to 6 rectangles of random colours and mild noise: hard "
        "edges; normalised the same way",
        _shapes_image,
    ),
    Family(
        "offset normal",
        "normal values with a random offset (-1 to 1) and scale (0.5 to 1.5) per channel: "
        "inputs whose mean is not zero",
        _offset_normal,
    ),
]


def synthetic_inputs(
    shapes: Shapes, count: int, seed: int, dtypes: Mapping[str, np.dtype] | None = None
) -> list[dict[str, np.ndarray]]:
    """`count` input dicts, input i drawn from family i mod 8 (FAMILIES) with its own stream
    default_rng([seed, i, crc32(name)]); integer inputs are zeros, as in the benchmark."""
    dtypes = dtypes or {}
    samples = []
    for index in range(count):
        draw = FAMILIES[index % len(FAMILIES)].draw
        sample = {}
        for name in sorted(shapes):
            shape = tuple(int(d) for d in shapes[name])
            dtype = np.dtype(dtypes.get(name, np.float32))
            if np.issubdtype(dtype, np.floating):
                rng = np.random.default_rng([seed, index, zlib.crc32(name.encode())])
                sample[name] = np.asarray(draw(rng, shape)).astype(dtype)
            else:
                sample[name] = np.zeros(shape, dtype=dtype)
        samples.append(sample)
    return samples
