"""Natural inputs: photographs and faces, preprocessed as each model's KB entry states.

Reduced precisions are judged on what a model sees in use. For a model whose KB entry states
its preprocessing (`onnx.preprocess`: layout, colour order, mean and standard deviation on the
0-255 scale), the INT8 calibration set and the agreement inputs are made from the sample
images that scikit-image ships (installed for its data only, see requirements-models.txt):
eight photographs for image models, and the 100 face images of its LFW subset for face
embeddings. Each input is a seeded crop of one image (a random 60-100 % of its area, at a
random place, mirrored half the time), resized to the model's input size with bilinear
filtering, reordered to the model's colour order and normalised; the same seed gives the same
set on every machine. Latency is still measured on random tensors, which cost the same.

The images' licences are those of scikit-image's data folder (its README.txt): the
photographs are in the public domain or under CC0 or free licences, and the LFW subset is from
Labeled Faces in the Wild.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

NATURAL_VERSION = "natural-v1"
PACKAGE = "skimage"  # scikit-image, pinned in requirements-models.txt
PHOTOS = (
    "astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png",
    "camera.png", "grass.png", "gravel.png",
)  # fmt: skip
FACES = "lfw_subset.npy"  # 200 grey 25 x 25 crops: the first 100 are faces
FACE_COUNT = 100
SOURCE = (
    "scikit-image's sample data (skimage/data/README.txt)",
    "https://github.com/scikit-image/scikit-image/blob/main/skimage/data/README.txt",
)


class NaturalInputsError(RuntimeError):
    """The sample images are not installed, or a shape they cannot fill."""


@dataclass(frozen=True)
class Preprocess:
    """How a model wants its image: NCHW, in `colour` order, (pixel - mean) / std per channel
    with pixels on the 0-255 scale (kb.OnnxSpec.preprocess)."""

    colour: str  # "RGB" or "BGR"
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    layout: str = "NCHW"

    @classmethod
    def of(cls, raw: Mapping) -> Preprocess:
        return cls(
            str(raw["colour"]),
            tuple(float(v) for v in raw["mean"]),  # type: ignore[arg-type]
            tuple(float(v) for v in raw["std"]),  # type: ignore[arg-type]
            str(raw.get("layout", "NCHW")),
        )

    def to_json(self) -> dict:
        return {"colour": self.colour, "mean": list(self.mean), "std": list(self.std),
                "layout": self.layout}  # fmt: skip

    def ident(self) -> str:
        numbers = ",".join(f"{v:g}" for v in (*self.mean, *self.std))
        return f"{self.layout}:{self.colour}:{numbers}"


def data_dir() -> Path:
    found = importlib.util.find_spec(PACKAGE)
    if found is None or not found.submodule_search_locations:
        raise NaturalInputsError(
            "scikit-image is not installed (its sample images make the natural inputs; "
            "requirements-models.txt pins it, installed with --no-deps)"
        )
    return Path(next(iter(found.submodule_search_locations))) / "data"


@lru_cache(maxsize=2)
def source_images(faces: bool) -> tuple[np.ndarray, ...]:
    """The images as uint8 H x W x 3 RGB arrays."""
    from PIL import Image

    folder = data_dir()
    try:
        if faces:
            stack = np.load(folder / FACES)[:FACE_COUNT]
            grey = np.clip(np.asarray(stack, dtype=np.float64) * 255.0, 0, 255).astype(np.uint8)
            return tuple(np.repeat(g[:, :, None], 3, axis=2) for g in grey)
        out = []
        for name in PHOTOS:
            with Image.open(folder / name) as image:
                out.append(np.asarray(image.convert("RGB")))
        return tuple(out)
    except OSError as exc:
        raise NaturalInputsError(f"scikit-image's sample image cannot be read: {exc}") from None


def set_id(task: str, shape: Sequence[int], preprocess: Preprocess, count: int, seed: int) -> str:
    kind = "faces" if task == "face-embedding" else "photos"
    size = "x".join(str(d) for d in shape)
    return f"{NATURAL_VERSION}:{kind}:n={count}:seed={seed}:{size}:{preprocess.ident()}"


def set_words(task: str, count: int) -> str:
    if task == "face-embedding":
        return f"{count} crops of scikit-image's LFW face subset ({NATURAL_VERSION})"
    return f"{count} seeded crops of scikit-image's sample photographs ({NATURAL_VERSION})"


def image_input(shape: Sequence[int]) -> bool:
    """Whether natural images can fill an input of this shape: N x 3 x H x W."""
    return len(shape) == 4 and int(shape[1]) == 3 and int(shape[2]) >= 8 and int(shape[3]) >= 8


def natural_inputs(
    shapes: Mapping[str, Sequence[int]],
    preprocess: Preprocess,
    task: str,
    count: int,
    seed: int,
) -> list[dict[str, np.ndarray]]:
    """`count` inputs for a model with one image input (see the module's docstring)."""
    from PIL import Image

    if len(shapes) != 1:
        raise NaturalInputsError("natural inputs fill a model with exactly one input")
    ((name, shape),) = shapes.items()
    if not image_input(shape):
        raise NaturalInputsError(f"input {name} {list(shape)} is not N x 3 x H x W")
    batch, _, height, width = (int(d) for d in shape)
    images = source_images(task == "face-embedding")
    rng = np.random.default_rng(seed)
    mean = np.asarray(preprocess.mean, dtype=np.float32)[:, None, None]
    std = np.asarray(preprocess.std, dtype=np.float32)[:, None, None]
    samples = []
    for i in range(count):
        planes = []
        for b in range(batch):
            image = images[(i * batch + b) % len(images)]
            h, w = image.shape[:2]
            area = rng.uniform(0.6, 1.0)
            ch, cw = max(1, int(h * np.sqrt(area))), max(1, int(w * np.sqrt(area)))
            top, left = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
            crop = image[top : top + ch, left : left + cw]
            if rng.random() < 0.5:
                crop = crop[:, ::-1]
            resized = Image.fromarray(np.ascontiguousarray(crop)).resize(
                (width, height), Image.Resampling.BILINEAR
            )
            pixels = np.asarray(resized, dtype=np.float32)
            if preprocess.colour == "BGR":
                pixels = pixels[:, :, ::-1]
            planes.append((pixels.transpose(2, 0, 1) - mean) / std)
        samples.append({name: np.stack(planes).astype(np.float32)})
    return samples
