"""One template, every site: a :class:`ReportContent` laid out as PDF pages.

Layout is a single pass down the page (wrapping CJK text by glyph widths), then the
header, footer ("第 n 页 共 m 页") and the watermark are drawn on every page once the
page count is known. The watermark is a Pillow image — the brand and the report number,
rotated, semi-transparent — tiled over the content of each page, so it cannot be cropped
off and a watermark lifted from one report does not fit another.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import segno
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from sitegroup.labels import RECORD_KIND_LABELS
from sitegroup.models.records import field_labels
from sitegroup.reports.cff import CidFont
from sitegroup.reports.content import ReportContent
from sitegroup.reports.fonts import FontFace
from sitegroup.reports.pdf import Document, Image, Page, hex_bytes
from sitegroup.reports.template import ReportTemplate

__all__ = ["Renderer", "ReportMeta", "load_font"]

_NUMERALS = "一二三四五六七八九十"
#: Characters that must not begin a line (line-breaking rules for Chinese, 避头点).
_NO_START = set("，。、；：？！）》」』】〕”’…·%,.;:?!)]}")
_WATERMARK_SCALE = 2.0  # pixels per point


@dataclass(frozen=True, slots=True)
class ReportMeta:
    """What differs between two reports of the same subject."""

    report_no: str
    site_name: str
    issued_at: str
    data_cutoff: str
    code: str
    verify_url: str

    def field(self, key: str) -> str:
        return str(getattr(self, key))


_font_lock = threading.Lock()


@lru_cache(maxsize=8)
def _cid_font(face: FontFace) -> CidFont:
    return CidFont(face)


def load_font(face: FontFace) -> CidFont:
    """The parsed face, shared by every report of the process (parsed on first use)."""
    with _font_lock:
        return _cid_font(face)


@lru_cache(maxsize=4)
def _pil_font(face: FontFace, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(face.path), size, index=face.index)


class Renderer:
    """Lays out reports with one template and one pair of faces (thread-safe)."""

    def __init__(self, template: ReportTemplate, faces: dict[str, FontFace]) -> None:
        self.template = template
        self.faces = faces
        self._pil_lock = threading.Lock()

    def render(self, content: ReportContent, meta: ReportMeta) -> bytes:
        fonts = {style: load_font(face) for style, face in self.faces.items()}
        doc = Document(fonts)
        _Layout(doc, self.template, content, meta).run()
        self._decorate(doc, meta)
        doc.info.update(
            Title=f"{self.template.title}（{content.subject.name}）",
            Author=meta.site_name,
            Subject=f"{self.template.title} {meta.report_no}",
            Creator="信用中国网站群",
            Producer="sitegroup",
            ReportNo=meta.report_no,
        )
        return doc.output()

    # -- header, footer, watermark -------------------------------------------------------

    def _decorate(self, doc: Document, meta: ReportMeta) -> None:
        t = self.template
        p = t.page
        primary, muted = t.colour("color_primary"), t.colour("color_muted")
        doc.images["WM"] = self.watermark(meta.report_no)
        right_edge = doc.width - p.margin_x
        for number, page in enumerate(doc.pages, 1):
            values = {
                "site_name": meta.site_name,
                "report_no": meta.report_no,
                "page": number,
                "pages": len(doc.pages),
            }
            top = p.margin_top - 22
            doc.text(
                page,
                p.margin_x,
                top,
                t.header.left.format(**values),
                font="bold",
                size=12,
                colour=primary,
            )
            right = t.header.right.format(**values)
            doc.text(
                page, right_edge - doc.width_of(right, size=9), top, right, size=9, colour=muted
            )
            doc.rect(page, p.margin_x, top + 6, right_edge - p.margin_x, 1.2, colour=primary)
            bottom = doc.height - p.margin_bottom + 30
            doc.rect(
                page,
                p.margin_x,
                bottom - 14,
                right_edge - p.margin_x,
                0.5,
                colour=t.colour("color_border"),
            )
            doc.text(page, p.margin_x, bottom, t.footer.left.format(**values), size=8, colour=muted)
            right = t.footer.right.format(**values)
            doc.text(
                page, right_edge - doc.width_of(right, size=8), bottom, right, size=8, colour=muted
            )
            self._tile(doc, page)

    def _tile(self, doc: Document, page: Page) -> None:
        w, h = self.template.watermark.tile_width, self.template.watermark.tile_height
        row = 0
        y = -h / 3
        while y < doc.height:
            x = -w / 2 if row % 2 else 0.0
            while x < doc.width:
                doc.image(page, "WM", x, y, w, h)
                x += w
            y += h
            row += 1

    def watermark(self, report_no: str) -> Image:
        """The tile: brand over report number, rotated and semi-transparent (Pillow)."""
        spec = self.template.watermark
        width = round(spec.tile_width * _WATERMARK_SCALE)
        height = round(spec.tile_height * _WATERMARK_SCALE)
        with self._pil_lock:  # FreeType faces are not safe to share across threads
            big = _pil_font(self.faces["bold"], round(22 * _WATERMARK_SCALE))
            small = _pil_font(self.faces["regular"], round(9 * _WATERMARK_SCALE))
            top = big.getbbox(spec.text, anchor="lt")
            bottom = small.getbbox(report_no, anchor="lt")
            gap = round(4 * _WATERMARK_SCALE)
            text_w = max(top[2], bottom[2]) + 4
            text_h = top[3] + gap + bottom[3] + 4
            stamp = PILImage.new("L", (text_w, text_h), 0)
            draw = ImageDraw.Draw(stamp)
            draw.text((text_w / 2, 2), spec.text, font=big, fill=255, anchor="mt")
            draw.text((text_w / 2, top[3] + gap + 2), report_no, font=small, fill=255, anchor="mt")
        # Rotate only the words (cheap), then centre them in the tile.
        rotated = stamp.rotate(spec.angle, resample=PILImage.Resampling.BICUBIC, expand=True)
        tile = PILImage.new("L", (width, height), 0)
        tile.paste(rotated, ((width - rotated.width) // 2, (height - rotated.height) // 2))
        alpha = tile.point(lambda v: round(v * spec.opacity))
        colour = hex_bytes(self.template.colour("color_primary"))
        return Image(width, height, colour * (width * height), alpha.tobytes())


class _Layout:
    """Flows the report's blocks down the pages."""

    def __init__(
        self, doc: Document, template: ReportTemplate, content: ReportContent, meta: ReportMeta
    ) -> None:
        self.doc = doc
        self.t = template
        self.content = content
        self.meta = meta
        p = template.page
        self.left = p.margin_x
        self.width = doc.width - 2 * p.margin_x
        self.bottom = doc.height - p.margin_bottom
        self.size = p.body_size
        self.leading = p.body_size + p.line_gap
        self.text_colour = template.colour("color_text")
        self.muted = template.colour("color_muted")
        self.primary = template.colour("color_primary")
        self.page: Page = doc.add_page()
        self.y = p.margin_top
        self.sections = 0

    # -- primitives ----------------------------------------------------------------------

    def new_page(self) -> None:
        self.page = self.doc.add_page()
        self.y = self.t.page.margin_top

    def ensure(self, height: float) -> None:
        if self.y + height > self.bottom:
            self.new_page()

    def wrap(self, text: str, width: float, *, font: str = "regular", size: float) -> list[str]:
        use = self.doc.fonts[font]
        lines: list[str] = []
        for para in text.splitlines() or [""]:
            line, used = "", 0.0
            for ch in para:
                w = use.width(ch, size)
                if line and used + w > width and ch not in _NO_START:
                    cut = len(line)
                    if ch.isascii() and ch.isalnum():  # do not split a Latin word or number
                        j = cut
                        while j > 0 and line[j - 1].isascii() and line[j - 1].isalnum():
                            j -= 1
                        cut = j or cut
                    lines.append(line[:cut].rstrip())
                    line = line[cut:].lstrip()
                    used = use.width(line, size)
                line += ch
                used += w
            lines.append(line)
        return lines

    def lines(
        self,
        lines: list[str],
        x: float,
        *,
        font: str = "regular",
        size: float | None = None,
        colour: str | None = None,
    ) -> None:
        size = size or self.size
        leading = size + self.t.page.line_gap
        for line in lines:
            self.ensure(leading)
            self.y += leading
            self.doc.text(
                self.page,
                x,
                self.y - self.t.page.line_gap / 2 - 1,
                line,
                font=font,
                size=size,
                colour=colour or self.text_colour,
            )

    def heading(self, text: str) -> None:
        self.sections += 1
        numbered = f"{_NUMERALS[self.sections - 1]}、{text}"
        self.ensure(self.leading * 4)
        self.y += 14
        self.doc.rect(self.page, self.left, self.y + 2, 3, 14, colour=self.primary)
        self.doc.text(
            self.page,
            self.left + 9,
            self.y + 14,
            numbered,
            font="bold",
            size=12,
            colour=self.primary,
        )
        self.y += 22

    def rows(self, rows: list[tuple[str, str]]) -> None:
        """Label / value pairs; both wrap in their own column (a row may cross a page)."""
        label_w = self.t.page.label_width
        gap = self.t.page.line_gap
        for label, value in rows:
            labels = self.wrap(label, label_w - 14, size=self.size)
            values = self.wrap(value or "—", self.width - label_w - 8, size=self.size)
            for i in range(max(len(labels), len(values))):
                self.ensure(self.leading)
                self.y += self.leading
                base = self.y - gap / 2 - 1
                if i < len(labels):
                    self.doc.text(
                        self.page, self.left + 8, base, labels[i], size=self.size, colour=self.muted
                    )
                if i < len(values):
                    self.doc.text(
                        self.page,
                        self.left + label_w,
                        base,
                        values[i],
                        size=self.size,
                        colour=self.text_colour,
                    )

    # -- blocks --------------------------------------------------------------------------

    def run(self) -> None:
        self.title()
        self.subject()
        self.summary()
        for section in self.t.kinds:
            self.kind(section.kind, section.heading, section.title_field, section.fields)
        self.notice()

    def title(self) -> None:
        doc, t = self.doc, self.t
        self.y += 26
        doc.text(
            self.page,
            (doc.width - doc.width_of(t.title, font="bold", size=24)) / 2,
            self.y,
            t.title,
            font="bold",
            size=24,
            colour=self.text_colour,
        )
        self.y += 18
        doc.text(
            self.page,
            (doc.width - doc.width_of(t.subtitle, size=9)) / 2,
            self.y,
            t.subtitle,
            size=9,
            colour=self.muted,
        )
        self.y += 14
        top = self.y
        qr_size = 84
        label_w = 78
        value_w = self.width - qr_size - label_w - 24
        for key, label in t.meta.fields:
            value = self.meta.field(key)
            for i, line in enumerate(self.wrap(value, value_w, size=self.size)):
                self.y += self.leading
                base = self.y - 4
                if i == 0:
                    doc.text(
                        self.page, self.left + 8, base, label, size=self.size, colour=self.muted
                    )
                doc.text(
                    self.page,
                    self.left + 8 + label_w,
                    base,
                    line,
                    font="bold" if key in ("report_no", "code") else "regular",
                    size=self.size,
                    colour=self.text_colour,
                )
        # A fixed mask pattern: choosing the best of eight costs more than the report's text.
        qr = segno.make(self.meta.verify_url, error="m", mask=4)
        matrix = qr.matrix
        unit = qr_size / len(matrix)
        qx = self.left + self.width - qr_size
        doc.modules(self.page, qx, top + 6, unit, matrix)
        caption = t.meta.qr_caption
        doc.text(
            self.page,
            qx + (qr_size - doc.width_of(caption, size=8)) / 2,
            top + qr_size + 18,
            caption,
            size=8,
            colour=self.muted,
        )
        self.y = max(self.y, top + qr_size + 22) + 4

    def subject(self) -> None:
        s = self.content.subject
        self.heading(self.t.subject.heading)
        spec = self.t.subject.natural if s.natural else self.t.subject.legal
        self.rows([(label, s.field(key)) for key, label in spec if s.field(key) or key == "name"])

    def summary(self) -> None:
        self.heading(self.t.summary.heading)
        if not self.content.total:
            self.lines(self.wrap(self.t.summary.none, self.width, size=self.size), self.left + 8)
            return
        self.rows(
            [
                (
                    f"{RECORD_KIND_LABELS[s.kind]}信息",
                    f"{len(self.content.records.get(s.kind, []))} 条",
                )
                for s in self.t.kinds
            ]
        )

    def kind(self, kind: str, heading: str, title_field: str, fields: list[str]) -> None:
        items = self.content.records.get(kind, [])
        self.heading(f"{heading}（{len(items)} 条）")
        if not items:
            self.lines([f"无有效的{heading}。"], self.left + 8, colour=self.muted)
            return
        labels = field_labels(kind)  # type: ignore[arg-type]
        for n, record in enumerate(items, 1):
            values: dict[str, Any] = record["fields"]
            title = f"{n}. {values.get(title_field) or record['document_no']}"
            title_lines = self.wrap(title, self.width - 16, font="bold", size=self.size + 0.5)
            self.ensure(self.leading * (len(title_lines) + 2) + 6)
            self.y += 6
            band = self.leading * len(title_lines) + 4
            self.doc.rect(
                self.page,
                self.left,
                self.y,
                self.width,
                band,
                colour=self.t.colour("color_surface"),
            )
            self.lines(title_lines, self.left + 8, font="bold", size=self.size + 0.5)
            self.y += 4
            self.rows([(labels[key], values[key]) for key in fields if values.get(key)])

    def notice(self) -> None:
        self.heading(self.t.notice.heading)
        for n, para in enumerate(self.t.notice.paragraphs, 1):
            text = f"{n}. {para}"
            self.lines(
                self.wrap(text, self.width - 16, size=self.size - 0.5),
                self.left + 8,
                size=self.size - 0.5,
                colour=self.text_colour,
            )
            self.y += 3
