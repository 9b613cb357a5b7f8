"""Files sent with a case: checked by their content, never by their name.

A submitter may add a few PDF, JPEG or PNG files (a 行政处罚 decision, a receipt, a photo of
a rectification). What a file *is* is decided by its bytes alone: the name and the declared
``Content-Type`` come from the submitter's machine and prove nothing, so a renamed program
called ``证明.pdf`` or a web page called ``a.png`` is refused, and so is a file whose name
says one accepted type while its bytes are another (the submitter probably chose the wrong
file). Images are opened with Pillow and verified, after their pixel count is checked, so a
small file that would decode to gigabytes (a decompression bomb) is refused unread.

Every refusal is an :class:`AttachmentError` naming the file and what is wrong, in Chinese;
the HTTP status says which kind: 413 too large, 415 not an accepted type, 422 otherwise.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
#: What the submitter is told each accepted type is.
LABELS = {PDF: "PDF 文件", JPEG: "JPG 图片", PNG: "PNG 图片"}
#: File name extensions of each accepted type; the first is the one a name is given.
EXTENSIONS = {PDF: (".pdf",), JPEG: (".jpg", ".jpeg", ".jpe", ".jfif"), PNG: (".png",)}
ACCEPTED = "PDF、JPG 或 PNG"

#: Pixels an image may have: a 48-megapixel phone photo passes; a decompression bomb (a
#: small file that decodes to gigabytes) does not, and is refused before it is decoded.
MAX_PIXELS = 50_000_000
#: Characters of a stored file name (the column holds 200).
MAX_NAME = 100
#: A PDF ends with ``%%EOF`` (and maybe a newline or some padding) within this many bytes.
PDF_TAIL = 1024

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"  # the IEND chunk with its CRC: the last 12 bytes
# Characters Windows refuses in a file name: a handler saves the file on such a machine.
_UNSAFE_NAME = re.compile(r'[<>:"|?*]')


class AttachmentError(ValueError):
    """A file refused: ``status`` (413, 415 or 422), a stable ``code``, the message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Attachment:
    """One accepted file: its (cleaned) name, the type found in its bytes, and the bytes."""

    name: str
    media_type: str
    content: bytes

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


# -- what the bytes are ---------------------------------------------------------------


def sniff(content: bytes) -> str | None:
    """The accepted type the bytes start like (PDF, JPEG, PNG), or None."""
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(_PNG_MAGIC):
        return PNG
    return None


# (test on the first bytes, what it is): the usual files a refused upload turns out to be.
_KNOWN: tuple[tuple[tuple[int, bytes], str], ...] = (
    ((0, b"MZ"), "Windows 可执行程序（EXE/DLL）"),
    ((0, b"\x7fELF"), "Linux 可执行程序（ELF）"),
    ((0, b"\xcf\xfa\xed\xfe"), "macOS 可执行程序"),
    ((0, b"\xca\xfe\xba\xbe"), "macOS 或 Java 程序"),
    ((0, b"#!"), "脚本程序"),
    ((0, b"PK\x03\x04"), "ZIP 压缩包（或 Word、Excel 等 Office 文档）"),
    ((0, b"Rar!"), "RAR 压缩包"),
    ((0, b"7z\xbc\xaf\x27\x1c"), "7z 压缩包"),
    ((0, b"\x1f\x8b"), "gzip 压缩包"),
    ((0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), "旧版 Office 文档（DOC、XLS 等）"),
    ((0, b"{\\rtf"), "RTF 文档"),
    ((0, b"GIF8"), "GIF 图片"),
    ((0, b"BM"), "BMP 图片"),
    ((0, b"II*\x00"), "TIFF 图片"),
    ((0, b"MM\x00*"), "TIFF 图片"),
    ((8, b"WEBP"), "WebP 图片"),
    ((4, b"ftypheic"), "HEIC 图片（苹果手机照片，请导出为 JPG）"),
    ((4, b"ftypheix"), "HEIC 图片（苹果手机照片，请导出为 JPG）"),
    ((4, b"ftypmif1"), "HEIF 图片（请导出为 JPG）"),
    ((4, b"ftyp"), "视频或音频文件"),
)
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def describe(content: bytes) -> str:
    """What a file that is none of the accepted types looks like, for the refusal."""
    for (offset, magic), label in _KNOWN:
        if content[offset : offset + len(magic)] == magic:
            return label
    head = content[:1024]
    for bom in _BOMS:
        head = head.removeprefix(bom)
    head = head.lstrip().lower()
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in head):
        return "SVG 图像（可含脚本）"
    if head.startswith(b"<?xml"):
        return "XML 文件"
    if head.startswith(b"<"):
        return "网页（HTML）文件"
    sample = content[:4096]
    if b"\x00" not in sample:
        for encoding in ("utf-8", "gb18030"):
            try:
                sample.decode(encoding)
            except UnicodeDecodeError as exc:
                if exc.start < len(sample) - 4:  # not just a character cut at the end
                    continue
            return "纯文本文件"
    return "无法识别的格式"


# -- names ----------------------------------------------------------------------------


def _extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return f".{ext.lower()}" if dot and stem else ""


def _type_of_extension(ext: str) -> str | None:
    return next((t for t, exts in EXTENSIONS.items() if ext in exts), None)


def base_name(raw: str) -> str:
    """A submitted file name without folders, control or direction characters, or the
    characters Windows refuses: what the submitter is shown back in a refusal, too."""
    text = unicodedata.normalize("NFC", raw)
    # Cc: control characters; Cf: invisible formatting such as U+202E, which can make
    # "x\u202egpj.exe" look like "xexe.jpg".
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf"))
    text = re.split(r"[\\/]", text)[-1]
    return _UNSAFE_NAME.sub("_", text).strip(" .")


def clean_name(raw: str, media_type: str) -> str:
    """The stored name: the base name, at most :data:`MAX_NAME` characters, ending in an
    extension of ``media_type`` (added when the name has none of it)."""
    name = base_name(raw)
    ext = _extension(name)
    if _type_of_extension(ext) == media_type:
        stem = name[: -len(ext)]
    else:
        stem, ext = name, EXTENSIONS[media_type][0]
    stem = stem.strip(" .")[: MAX_NAME - len(ext)].rstrip(" .") or "附件"
    return stem + ext


# -- the checks -----------------------------------------------------------------------


def size_label(size: int, *, up: bool = False) -> str:
    """Bytes as a person reads them: ``5 MB``, ``4.8 MB``, ``64 KB``; ``up`` rounds up, so
    a file just over a limit never reads as equal to it."""
    unit, name = (1024 * 1024, "MB") if size >= 1024 * 1024 else (1024, "KB")
    tenths = size * 10 / unit
    value = (math.ceil(tenths) if up else round(tenths)) / 10
    return f"{value:.1f}".removesuffix(".0") + " " + name


def _check_pdf(content: bytes, shown: str) -> None:
    if b"%%EOF" not in content[-PDF_TAIL:]:
        raise AttachmentError(
            422,
            "broken_attachment",
            f"附件“{shown}”不完整：PDF 文件缺少结尾标记 %%EOF（文件可能未完整下载或已损坏）",
        )


def _check_image(content: bytes, media_type: str, shown: str, max_pixels: int) -> None:
    label = LABELS[media_type]
    broken = AttachmentError(
        422, "broken_attachment", f"附件“{shown}”无法打开：{label}已损坏或不完整"
    )
    if media_type == PNG and not content.endswith(_PNG_END):
        raise broken  # truncated, or something appended after the image
    fmt = "PNG" if media_type == PNG else "JPEG"
    try:
        with Image.open(io.BytesIO(content), formats=[fmt]) as im:
            width, height = im.size
            if width * height > max_pixels:
                raise _too_many_pixels(shown, width, height, max_pixels)
            im.verify()  # PNG: every chunk and its checksum; JPEG: the headers only
        if media_type == JPEG:
            # Decode the picture at 1/8 scale (the JPEG decoder's own shortcut: little
            # memory), which reads every byte of it and so finds a truncated file.
            with Image.open(io.BytesIO(content), formats=[fmt]) as im:
                im.draft(None, (max(1, width // 8), max(1, height // 8)))
                im.load()
    except Image.DecompressionBombError:
        raise _too_many_pixels(shown, 0, 0, max_pixels) from None
    except AttachmentError:
        raise
    except Exception:  # Pillow raises many kinds (OSError, SyntaxError, ValueError …)
        raise broken from None


def _too_many_pixels(shown: str, width: int, height: int, max_pixels: int) -> AttachmentError:
    size = f"{width}×{height} 像素，" if width else ""
    return AttachmentError(
        413,
        "attachment_too_large",
        f"附件“{shown}”图像过大：{size}最多 {max_pixels // 10_000} 万像素，请缩小后再上传",
    )


def check_attachment(
    name: str, content: bytes, *, max_bytes: int, max_pixels: int = MAX_PIXELS
) -> Attachment:
    """One file, checked by its bytes: accepted with a clean name, or refused."""
    shown = base_name(name)[:MAX_NAME] or "未命名文件"
    if not content:
        raise AttachmentError(422, "empty_attachment", f"附件“{shown}”是空文件（0 字节）")
    if len(content) > max_bytes:
        raise AttachmentError(
            413,
            "attachment_too_large",
            f"附件“{shown}”过大：{size_label(len(content), up=True)}，"
            f"每个附件最多 {size_label(max_bytes)}",
        )
    media_type = sniff(content)
    if media_type is None:
        raise AttachmentError(
            415,
            "unsupported_attachment",
            f"附件“{shown}”不是 {ACCEPTED} 文件：按内容识别为{describe(content)}",
        )
    named = _type_of_extension(_extension(shown))
    if named is not None and named != media_type:
        raise AttachmentError(
            415,
            "unsupported_attachment",
            f"附件“{shown}”的文件名是{LABELS[named]}，按内容识别却是{LABELS[media_type]}："
            "请确认选择了正确的文件",
        )
    if media_type == PDF:
        _check_pdf(content, shown)
    else:
        _check_image(content, media_type, shown, max_pixels)
    return Attachment(clean_name(name, media_type), media_type, content)


def check_attachments(
    files: Sequence[tuple[str, bytes]],
    *,
    max_count: int,
    max_bytes: int,
    max_pixels: int = MAX_PIXELS,
) -> list[Attachment]:
    """Every file of a case, in order; the first refusal stops (nothing is kept)."""
    if files and max_count == 0:
        raise AttachmentError(422, "too_many_attachments", "本站暂不接受附件：请只提交文字内容")
    if len(files) > max_count:
        raise AttachmentError(
            422,
            "too_many_attachments",
            f"附件过多：每件最多 {max_count} 个，本次选择了 {len(files)} 个",
        )
    return [
        check_attachment(name, content, max_bytes=max_bytes, max_pixels=max_pixels)
        for name, content in files
    ]
