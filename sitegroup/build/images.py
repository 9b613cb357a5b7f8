"""Editor images: standard widths, a thumbnail, EXIF stripped, cached by content hash."""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

#: Widths offered in ``srcset``; an image is never scaled up.
WIDTHS = (480, 960, 1600)
#: The width used for ``src`` (and by browsers without srcset support).
DEFAULT_WIDTH = 960
THUMB_SIZE = (400, 225)
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif"}
# Bump when the processing below changes, so cached variants are redone.
_PIPELINE_VERSION = b"images-v1"


@dataclass(frozen=True, slots=True)
class ImageVariant:
    url: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class ProcessedImage:
    """One editor image and its published variants (URLs relative to the site root)."""

    source: str
    src: ImageVariant
    srcset: tuple[ImageVariant, ...]
    thumb: ImageVariant

    @property
    def url(self) -> str:
        """Pelican's ``{static}`` links resolve to this."""
        return self.src.url


def _save(img: Image.Image, path: Path, fmt: str) -> None:
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    if fmt == "JPEG":
        img.convert("RGB").save(tmp, "JPEG", quality=82, optimize=True, progressive=True)
    elif fmt == "WEBP":
        img.save(tmp, "WEBP", quality=80)
    else:
        img.save(tmp, fmt, optimize=True)
    tmp.replace(path)  # atomic: a concurrent worker never reads half a file


def _place(cached: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(cached, target)
    except OSError:
        shutil.copyfile(cached, target)


def process_image(source: Path, rel: str, out_dir: Path, cache_dir: Path) -> ProcessedImage:
    """Write the variants of ``source`` under ``out_dir``, reusing cached ones.

    ``rel`` is the path below the content folder ("images/x.jpg"); variants
    go next to it ("images/x-960.jpg", "images/x-thumb.jpg").
    """
    data = source.read_bytes()
    digest = hashlib.sha256(_PIPELINE_VERSION + data).hexdigest()[:24]
    stem, _, ext = rel.rpartition(".")
    ext = ext.lower()
    fmt = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "gif": "PNG"}[ext]
    out_ext = "png" if ext == "gif" else ext
    cache_dir.mkdir(parents=True, exist_ok=True)

    meta_file = cache_dir / f"{digest}.size"
    if meta_file.exists():
        width, height = map(int, meta_file.read_text().split())
        img = None
    else:
        img = ImageOps.exif_transpose(Image.open(source))  # apply rotation, then drop EXIF
        width, height = img.size

    def variant(name: str, size: tuple[int, int], crop: bool) -> ImageVariant:
        nonlocal img
        cached = cache_dir / f"{digest}-{name}.{out_ext}"
        if not cached.exists():
            if img is None:
                img = ImageOps.exif_transpose(Image.open(source))
            if crop:
                resized = ImageOps.fit(img, size, Image.Resampling.LANCZOS)
            else:
                resized = img.resize(size, Image.Resampling.LANCZOS) if size != img.size else img
            # A fresh image without info: no EXIF, GPS or comments survive.
            clean = Image.frombytes(resized.mode, resized.size, resized.tobytes())
            if resized.mode == "P":
                clean.putpalette(resized.getpalette() or [])
            _save(clean, cached, fmt)
        url = f"{stem}-{name}.{out_ext}"
        _place(cached, out_dir / url)
        return ImageVariant(url=url, width=size[0], height=size[1])

    variants = []
    for w in WIDTHS:
        if w < width or (w == WIDTHS[0] and not variants):
            target_w = min(w, width)
            variants.append(
                variant(str(target_w), (target_w, max(1, round(height * target_w / width))), False)
            )
    if width > variants[-1].width:
        variants.append(variant(str(width), (width, height), False))
    src = min(variants, key=lambda v: abs(v.width - DEFAULT_WIDTH))
    thumb = variant("thumb", THUMB_SIZE, True)
    if not meta_file.exists():
        meta_file.write_text(f"{width} {height}")
    return ProcessedImage(source=rel, src=src, srcset=tuple(variants), thumb=thumb)


def process_images(
    content_dir: Path, out_dir: Path, cache_dir: Path, folder: str = "images"
) -> dict[str, ProcessedImage]:
    """Process every image below ``content_dir/folder``; keys are relative to ``content_dir``."""
    result = {}
    for file in sorted((content_dir / folder).rglob("*")):
        if file.is_file() and file.suffix.lower() in IMAGE_SUFFIXES:
            rel = file.relative_to(content_dir).as_posix()
            result[rel] = process_image(file, rel, out_dir, cache_dir)
    return result
