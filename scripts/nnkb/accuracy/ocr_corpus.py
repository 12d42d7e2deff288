"""A synthetic, seeded corpus of rendered text lines for the PP-OCR text recogniser.

Each line is drawn by Pillow with one of the DejaVu fonts that matplotlib ships, at one of
several sizes, then lightly blurred and noised, all from one seed, so every machine with the
same Pillow (and its FreeType) builds the same pixels; the corpus hash covers texts and
pixels, so a different rendering shows as a different corpus rather than as a change in
accuracy. Images are kept as the detector would hand them over (uint8, BGR, any width) and
turned into recogniser inputs by `recogniser_batches`, which repeats rapidocr-onnxruntime
1.4.4's TextRecognizer preprocessing (ch_ppocr_rec/text_recognize.py: resize to height 48,
width from the aspect ratio, scale to [-1, 1], pad each batch with zeros to its widest line).
"""

from __future__ import annotations

import hashlib
import math
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

CORPUS_ID = "nnkb-ocr-lines"
# Bump when anything below changes what the corpus contains (texts, fonts, sizes, noise).
CORPUS_VERSION = 1
DEFAULT_SEED = 20261129
DEFAULT_LINES = 500

# The PP-OCRv4 recogniser's input: 3 x 48 x W, W at least 320 (rapidocr's rec_img_shape).
REC_HEIGHT = 48
REC_MIN_WIDTH = 320

FONTS = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf")
# Pixel sizes of the font; lines rendered small are scaled up to height 48 by the
# preprocessing, as small print in a photographed page would be.
FONT_SIZES = (16, 20, 26, 32, 40)
NOISE_SIGMA = (2.0, 8.0)  # grey levels, Gaussian, per pixel
BLUR_SIGMA = (0.3, 1.0)  # pixels, Gaussian

# Common English words with no accents, so every character is in the recogniser's
# dictionary and in every DejaVu font.
WORDS = tuple(
    """
    the of and to in is it you that he was for on are with as his they at be this from have
    or by one had not but what all were when we there can an your which their said if do will
    each about how up out them then she many some so these would other into has more her two
    like him see time could no make than first been its who now people my made over did down
    only way find use may water long little very after words called just where most know get
    through back much go good new write our used me man too any day same right look think also
    around another came come work three word must because does part even place well such here
    take why things help put years different away again off went old number great tell men say
    small every found still between name should home big give air line set own under read last
    never us left end along while might next sound below saw something thought both few those
    always looked show large often together asked house world going want school important until
    form food keep children feet land side without boy once animals life enough took sometimes
    four head above kind began almost live page got earth need far hand high year mother light
    parts country father let night following picture being study second eyes soon times story
    boys since white days ever paper hard near sentence better best across during today others
    however sure means knew try told young miles sun ways thing whole hear example heard several
    change answer room sea against top turned learn point city play toward five using himself
    usually money order invoice total amount price account station street market model engine
    """.split()  # noqa: SIM905 (a word list reads best as prose)
)
CASES = ("lower", "title", "upper", "sentence")
ENDINGS = ("", "", "", ".", ",", ":", ";", "!", "?")
# The printable ASCII the random codes are drawn from (space excluded: codes have none).
CODE_CHARS = string.ascii_letters + string.digits + string.punctuation
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
STREETS = ("Main St", "High Street", "Park Ave", "Mill Road", "Oak Lane", "Station Rd")

# Kinds of line and their share of the corpus, cycled in this order so any prefix keeps
# roughly the same mix: phrases of words, figures (dates, prices, times, phone numbers),
# mixed references (addresses, order numbers, e-mail-like strings) and random codes over
# all printable ASCII (no language to lean on).
KINDS = (
    "words",
    "words",
    "figures",
    "words",
    "mixed",
    "codes",
    "words",
    "figures",
    "mixed",
    "codes",
)


# eq=False: the images are arrays, which neither compare to one bool nor hash.
@dataclass(frozen=True, eq=False)
class Line:
    text: str
    image: np.ndarray  # uint8, H x W x 3, BGR as OpenCV reads images (grey, so order is moot)
    kind: str
    font: str
    size: int


@dataclass(frozen=True, eq=False)
class Corpus:
    id: str
    version: int
    seed: int
    lines: tuple[Line, ...]
    sha256: str  # over version, seed, texts and pixels
    renderer: str  # e.g. "Pillow 13.0.0 (FreeType 2.14.3)"

    @property
    def texts(self) -> list[str]:
        return [line.text for line in self.lines]

    @property
    def chars(self) -> int:
        return sum(len(line.text) for line in self.lines)


def _case(words: list[str], style: str) -> str:
    text = " ".join(words)
    if style == "upper":
        return text.upper()
    if style == "title":
        return text.title()
    if style == "sentence":
        return text[:1].upper() + text[1:]
    return text


def make_text(kind: str, rng: np.random.Generator) -> str:
    """One line of the given kind; every character is printable ASCII."""
    pick = lambda seq: seq[int(rng.integers(len(seq)))]
    num = lambda lo, hi: int(rng.integers(lo, hi + 1))
    if kind == "words":
        words = [pick(WORDS) for _ in range(num(1, 5))]
        return _case(words, pick(CASES)) + pick(ENDINGS)
    if kind == "figures":
        forms: tuple[Callable[[], str], ...] = (
            lambda: f"{num(1990, 2030)}-{num(1, 12):02d}-{num(1, 28):02d}",
            lambda: f"{num(1, 28):02d}/{num(1, 12):02d}/{num(1990, 2030)}",
            lambda: f"{num(1, 28)} {pick(MONTHS)} {num(1990, 2030)}",
            lambda: f"${num(0, 9999):,}.{num(0, 99):02d}",
            lambda: f"{num(0, 999)}.{num(0, 9)}%",
            lambda: f"{num(0, 23):02d}:{num(0, 59):02d}",
            lambda: f"+{num(1, 99)} {num(10, 99)} {num(1000, 9999)} {num(1000, 9999)}",
            lambda: f"{num(-999, 9999)}",
            lambda: f"{num(1, 99)} x {num(1, 99)} = {num(1, 9801)}",
        )
        return pick(forms)()
    if kind == "mixed":
        word, other = pick(WORDS), pick(WORDS)
        forms = (
            lambda: f"{num(1, 999)} {pick(STREETS)}",
            lambda: f"Order #{num(10000, 99999)}",
            lambda: f"Room {num(1, 40)}{pick('ABCDEF')}, Floor {num(1, 12)}",
            lambda: f"{word}.{other}@example.org",
            lambda: f"www.{word}-{other}.com/{num(1, 99)}",
            lambda: f"{word.title()} {num(1, 9)}.{num(0, 20)} ({other})",
            lambda: f"Ref: {pick(string.ascii_uppercase)}{num(100, 999)}-{num(10, 99)}",
            lambda: f"{_case([word], pick(CASES))} - {num(1, 500)} items",
        )
        return pick(forms)()
    if kind == "codes":
        return "".join(pick(CODE_CHARS) for _ in range(num(4, 14)))
    raise ValueError(f"unknown kind of line {kind!r}; known: {sorted(set(KINDS))}")


def _font_path(name: str) -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name


@lru_cache(maxsize=len(FONTS) * len(FONT_SIZES))
def _font(name: str, size: int):
    from PIL import ImageFont

    return ImageFont.truetype(str(_font_path(name)), size)


def render_line(text: str, font_name: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """The text drawn dark on light grey, cropped with a small margin, blurred and noised."""
    from PIL import Image, ImageDraw, ImageFilter

    font = _font(font_name, size)
    ascent, descent = font.getmetrics()
    left, _, right, _ = font.getbbox(text)
    # Vertical extent from the font's metrics, not the glyphs, so "ace" and "Wpq" crops of
    # one size have the same height, as a detector's line boxes would.
    pad_x = int(rng.integers(2, max(3, size // 3)))
    pad_y = int(rng.integers(1, max(2, size // 5)))
    width = right - left + 2 * pad_x
    height = ascent + descent + 2 * pad_y
    paper = int(rng.integers(200, 256))
    ink = int(rng.integers(0, 70))
    image = Image.new("L", (width, height), paper)
    ImageDraw.Draw(image).text((pad_x - left, pad_y), text, font=font, fill=ink)
    image = image.filter(ImageFilter.GaussianBlur(float(rng.uniform(*BLUR_SIGMA))))
    noisy = np.asarray(image, dtype=np.float32)
    noisy += rng.normal(0.0, float(rng.uniform(*NOISE_SIGMA)), noisy.shape).astype(np.float32)
    grey = np.clip(np.rint(noisy), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))


def _hash(version: int, seed: int, lines: tuple[Line, ...]) -> str:
    digest = hashlib.sha256(f"{CORPUS_ID}/{version}/{seed}/{len(lines)}".encode())
    for line in lines:
        digest.update(line.text.encode("utf-8") + b"\0")
        digest.update(repr(line.image.shape).encode())
        digest.update(line.image.tobytes())
    return digest.hexdigest()


def _renderer() -> str:
    import PIL
    from PIL import features

    return f"Pillow {PIL.__version__} (FreeType {features.version('freetype2')})"


@lru_cache(maxsize=4)
def build_corpus(seed: int = DEFAULT_SEED, count: int = DEFAULT_LINES) -> Corpus:
    """The corpus for a seed: `count` lines, the same texts and pixels on every call.

    Lines are drawn one after another from one random stream, so a smaller `count` gives
    the first lines of a larger corpus (with its own hash), and the kinds of line cycle, so
    any prefix keeps the mix."""
    rng = np.random.default_rng(seed)
    lines = []
    for index in range(count):
        kind = KINDS[index % len(KINDS)]
        text = make_text(kind, rng)
        font = FONTS[int(rng.integers(len(FONTS)))]
        size = FONT_SIZES[int(rng.integers(len(FONT_SIZES)))]
        lines.append(Line(text, render_line(text, font, size, rng), kind, font, size))
    frozen = tuple(lines)
    for line in frozen:
        line.image.setflags(write=False)  # shared through the cache: nobody may alter it
    return Corpus(
        CORPUS_ID, CORPUS_VERSION, seed, frozen, _hash(CORPUS_VERSION, seed, frozen), _renderer()
    )


def resize_normalise(image: np.ndarray, max_wh_ratio: float) -> np.ndarray:
    """rapidocr's TextRecognizer.resize_norm_img: 3 x 48 x int(48 * max_wh_ratio), float32.

    The line keeps its aspect ratio (width rounded up, capped at the batch width), pixels go
    to [-1, 1] as (x / 255 - 0.5) / 0.5, and the rest of the width is zero (mid-grey).
    """
    import cv2

    target_w = int(REC_HEIGHT * max_wh_ratio)
    h, w = image.shape[:2]
    resized_w = min(target_w, math.ceil(REC_HEIGHT * w / float(h)))
    resized = cv2.resize(image, (resized_w, REC_HEIGHT)).astype("float32")
    resized = resized.transpose((2, 0, 1)) / 255
    resized -= 0.5
    resized /= 0.5
    padded = np.zeros((3, REC_HEIGHT, target_w), dtype=np.float32)
    padded[:, :, :resized_w] = resized
    return padded


def recogniser_batches(corpus: Corpus, batch_size: int) -> Iterator[tuple[list[int], np.ndarray]]:
    """(line indices, N x 3 x 48 x W input) in rapidocr's order: lines sorted by aspect
    ratio, so each batch pads little, W set by its widest line and never below 320."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    ratios = [line.image.shape[1] / float(line.image.shape[0]) for line in corpus.lines]
    order = [int(i) for i in np.argsort(np.array(ratios), kind="stable")]
    for start in range(0, len(order), batch_size):
        indices = order[start : start + batch_size]
        max_ratio = max([REC_MIN_WIDTH / REC_HEIGHT] + [ratios[i] for i in indices])
        batch = np.stack([resize_normalise(corpus.lines[i].image, max_ratio) for i in indices])
        yield indices, batch
