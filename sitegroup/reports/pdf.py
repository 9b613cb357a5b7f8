"""A small PDF 1.7 writer: pages of positioned text in embedded CID fonts, vector
rectangles and images with a soft mask — what a credit report needs, nothing more.

Text is real text: each font is a ``Type0``/``CIDFontType0`` with an embedded CFF subset
(:mod:`sitegroup.reports.cff`) and a ``ToUnicode`` map, so readers select, copy and
search it. Output is deterministic for the same input.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from sitegroup.reports.cff import CidFont, Glyph

__all__ = ["A4", "Document", "FontUse", "Image", "hex_bytes", "pdf_string"]

#: A4 in points.
A4 = (595.28, 841.89)


def pdf_string(text: str) -> bytes:
    """A PDF text string: UTF-16BE with BOM as hex (safe for any character)."""
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


def _num(value: float) -> bytes:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return (text if text not in ("", "-0") else "0").encode()


def hex_bytes(colour: str) -> bytes:
    """``#b3121b`` → its red, green and blue bytes."""
    return bytes.fromhex(colour.lstrip("#"))


def _rgb(colour: str) -> tuple[float, float, float]:
    r, g, b = hex_bytes(colour)
    return r / 255, g / 255, b / 255


class FontUse:
    """One face as used by one document: the glyphs it drew, numbered from 1."""

    def __init__(self, font: CidFont, resource: str) -> None:
        self.font = font
        self.resource = resource
        self.glyphs: list[Glyph] = []
        self.chars: list[str] = []
        self._code: dict[str, int] = {}

    def width(self, text: str, size: float) -> float:
        total = 0
        for ch in text:
            glyph = self.font.glyph(ch)
            total += (glyph or self.font.notdef).width
        return total * size / 1000

    def encode(self, text: str) -> bytes:
        codes = bytearray()
        for ch in text:
            code = self._code.get(ch)
            if code is None:
                glyph = self.font.glyph(ch)
                if glyph is None:
                    code = 0
                else:
                    self.glyphs.append(glyph)
                    self.chars.append(ch)
                    code = self._code[ch] = len(self.glyphs)
            codes += code.to_bytes(2, "big")
        return b"<" + codes.hex().upper().encode() + b">"


@dataclass(slots=True)
class Image:
    """An 8-bit RGB image with an 8-bit alpha channel (as a soft mask)."""

    width: int
    height: int
    rgb: bytes
    alpha: bytes


@dataclass
class Page:
    ops: list[bytes] = field(default_factory=list)


class Document:
    """Pages in A4 portrait; coordinates in points from the top-left corner."""

    def __init__(self, fonts: dict[str, CidFont]) -> None:
        self.width, self.height = A4
        self.fonts = {name: FontUse(font, f"F{i}") for i, (name, font) in enumerate(fonts.items())}
        self.pages: list[Page] = []
        self.images: dict[str, Image] = {}
        self.info: dict[str, str] = {}

    # -- drawing -------------------------------------------------------------------------

    def add_page(self) -> Page:
        page = Page()
        self.pages.append(page)
        return page

    def text(
        self,
        page: Page,
        x: float,
        y: float,
        text: str,
        *,
        font: str = "regular",
        size: float = 10,
        colour: str = "#000000",
    ) -> None:
        """``text`` with its baseline at ``y`` (from the top)."""
        use = self.fonts[font]
        r, g, b = _rgb(colour)
        page.ops.append(
            b"BT %s %s %s rg /%s %s Tf 1 0 0 1 %s %s Tm %s Tj ET"
            % (
                _num(r),
                _num(g),
                _num(b),
                use.resource.encode(),
                _num(size),
                _num(x),
                _num(self.height - y),
                use.encode(text),
            )
        )

    def width_of(self, text: str, *, font: str = "regular", size: float = 10) -> float:
        return self.fonts[font].width(text, size)

    def rect(
        self, page: Page, x: float, y: float, w: float, h: float, *, colour: str = "#000000"
    ) -> None:
        """A filled rectangle; ``y`` is its top edge."""
        r, g, b = _rgb(colour)
        page.ops.append(
            b"%s %s %s rg %s %s %s %s re f"
            % (_num(r), _num(g), _num(b), _num(x), _num(self.height - y - h), _num(w), _num(h))
        )

    def modules(
        self, page: Page, x: float, y: float, unit: float, matrix: Sequence[Sequence[int]]
    ) -> None:
        """A QR code: dark modules as black rectangles, merged along rows."""
        ops = [b"0 0 0 rg"]
        for row_no, row in enumerate(matrix):
            col = 0
            while col < len(row):
                if row[col]:
                    start = col
                    while col < len(row) and row[col]:
                        col += 1
                    top = self.height - y - (row_no + 1) * unit
                    ops.append(
                        b"%s %s %s %s re"
                        % (
                            _num(x + start * unit),
                            _num(top),
                            _num((col - start) * unit),
                            _num(unit),
                        )
                    )
                else:
                    col += 1
        ops.append(b"f")
        page.ops.append(b"\n".join(ops))

    def image(self, page: Page, name: str, x: float, y: float, w: float, h: float) -> None:
        """Image ``name`` (see :attr:`images`) drawn into the box with top-left (x, y)."""
        page.ops.append(
            b"q %s 0 0 %s %s %s cm /%s Do Q"
            % (_num(w), _num(h), _num(x), _num(self.height - y - h), name.encode())
        )

    # -- output --------------------------------------------------------------------------

    def output(self) -> bytes:
        writer = _Writer()
        catalog, pages_id = writer.reserve(), writer.reserve()
        font_ids = {use.resource: self._write_font(writer, use) for use in self.fonts.values()}
        image_ids = {name: self._write_image(writer, img) for name, img in self.images.items()}
        resources = b"<< /Font << %s >> /XObject << %s >> >>" % (
            b" ".join(b"/%s %d 0 R" % (k.encode(), v) for k, v in font_ids.items()),
            b" ".join(b"/%s %d 0 R" % (k.encode(), v) for k, v in image_ids.items()),
        )
        kids = []
        for page in self.pages:
            content = writer.stream(b"\n".join(page.ops))
            kids.append(
                writer.add(
                    b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s] /Resources %s "
                    b"/Contents %d 0 R >>"
                    % (pages_id, _num(self.width), _num(self.height), resources, content)
                )
            )
        writer.put(
            pages_id,
            b"<< /Type /Pages /Kids [%s] /Count %d >>"
            % (b" ".join(b"%d 0 R" % k for k in kids), len(kids)),
        )
        writer.put(catalog, b"<< /Type /Catalog /Pages %d 0 R /Lang (zh-CN) >>" % pages_id)
        info = writer.add(
            b"<< %s >>"
            % b" ".join(b"/%s %s" % (k.encode(), pdf_string(v)) for k, v in self.info.items())
        )
        return writer.finish(catalog, info)

    def _write_font(self, writer: _Writer, use: FontUse) -> int:
        font = use.font
        tag = "".join(
            chr(65 + b % 26)
            for b in hashlib.sha256(b"".join(g.charstring for g in use.glyphs)).digest()[:6]
        )
        base = f"{tag}+{font.name}"
        program = writer.stream(font.subset(use.glyphs, base), b"/Subtype /CIDFontType0C")
        descriptor = writer.add(
            b"<< /Type /FontDescriptor /FontName /%s /Flags 4 /FontBBox [%s] /ItalicAngle 0 "
            b"/Ascent %d /Descent %d /CapHeight %d /StemV 80 /FontFile3 %d 0 R >>"
            % (
                base.encode(),
                b" ".join(b"%d" % v for v in font.bbox),
                font.ascent,
                font.descent,
                font.cap_height,
                program,
            )
        )
        widths = b" ".join(b"%d" % g.width for g in use.glyphs)
        cid_font = writer.add(
            b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /%s "
            b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
            b"/FontDescriptor %d 0 R /DW 1000 /W [1 [%s]] >>" % (base.encode(), descriptor, widths)
        )
        to_unicode = writer.stream(_to_unicode(use.chars))
        return writer.add(
            b"<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H "
            b"/DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>"
            % (base.encode(), cid_font, to_unicode)
        )

    @staticmethod
    def _write_image(writer: _Writer, image: Image) -> int:
        common = b"/Type /XObject /Subtype /Image /Width %d /Height %d /BitsPerComponent 8" % (
            image.width,
            image.height,
        )
        mask = writer.stream(image.alpha, common + b" /ColorSpace /DeviceGray")
        return writer.stream(image.rgb, common + b" /ColorSpace /DeviceRGB /SMask %d 0 R" % mask)


def _to_unicode(chars: Sequence[str]) -> bytes:
    lines = [
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        b"/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
        b"1 begincodespacerange <0000> <FFFF> endcodespacerange",
    ]
    for start in range(0, len(chars), 100):
        chunk = chars[start : start + 100]
        lines.append(b"%d beginbfchar" % len(chunk))
        lines.extend(
            b"<%04X> <%s>" % (start + i + 1, ch.encode("utf-16-be").hex().upper().encode())
            for i, ch in enumerate(chunk)
        )
        lines.append(b"endbfchar")
    lines.append(b"endcmap CMapName currentdict /CMap defineresource pop end end")
    return b"\n".join(lines)


class _Writer:
    """Numbered objects, then the cross-reference table and trailer."""

    def __init__(self) -> None:
        self.objects: list[bytes | None] = []

    def reserve(self) -> int:
        self.objects.append(None)
        return len(self.objects)

    def put(self, number: int, body: bytes) -> None:
        self.objects[number - 1] = body

    def add(self, body: bytes) -> int:
        self.objects.append(body)
        return len(self.objects)

    def stream(self, data: bytes, extra: bytes = b"") -> int:
        packed = zlib.compress(data, 6)
        head = b"<< /Length %d /Filter /FlateDecode %s>>" % (
            len(packed),
            extra + b" " if extra else b"",
        )
        return self.add(head + b"\nstream\n" + packed + b"\nendstream")

    def finish(self, root: int, info: int) -> bytes:
        out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(self.objects, 1):
            assert body is not None, f"object {number} reserved but never written"
            offsets.append(len(out))
            out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(self.objects) + 1)
        out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
        digest = hashlib.sha256(bytes(out)).hexdigest()[:32].upper().encode()
        out += (
            b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [<%s> <%s>] >>\n"
            b"startxref\n%d\n%%%%EOF\n" % (len(self.objects) + 1, root, info, digest, digest, xref)
        )
        return bytes(out)
