"""A CID-keyed CFF font, parsed once per process, written out as a per-report subset.

A general subsetter (fontTools.subset, as fpdf2 uses it) re-reads a 65,000-glyph CJK
font for every document: about a second per report. Here the font is parsed once; each
glyph a report uses is desubroutinized once (cached) and a report's subset is written
directly — header, INDEXes, charset, FDSelect, the used glyphs and their Private DICTs
without subroutines (CFF spec, Adobe TN #5176) — in a few milliseconds.

The subset is CID-keyed with CID = new glyph id, so a PDF shows it with ``Identity-H``
and two-byte codes equal to the new glyph ids.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fontTools.cffLib import transforms
from fontTools.misc.psCharStrings import T2CharString
from fontTools.ttLib import TTFont

from sitegroup.reports.fonts import FontFace, FontMissing

__all__ = ["CidFont", "Glyph"]

#: CFF operators as they appear in a DICT (two-byte ones escaped with 12).
_OP_CHARSET = b"\x0f"
_OP_CHARSTRINGS = b"\x11"
_OP_PRIVATE = b"\x12"
_OP_FONTBBOX = b"\x05"
_OP_ROS = b"\x0c\x1e"
_OP_CIDCOUNT = b"\x0c\x22"
_OP_FDARRAY = b"\x0c\x24"
_OP_FDSELECT = b"\x0c\x25"
_SUBRS = 19


@dataclass(frozen=True, slots=True)
class Glyph:
    gid: int
    #: Advance width in 1/1000 em (PDF text space units).
    width: int
    fd: int
    charstring: bytes


def _int5(value: int) -> bytes:
    """A DICT integer in its fixed 5-byte form (offsets are known only after layout)."""
    return b"\x1d" + struct.pack(">i", value)


def _index(items: Sequence[bytes]) -> bytes:
    """A CFF INDEX of ``items``."""
    if not items:
        return b"\x00\x00"
    offsets = [1]
    for item in items:
        offsets.append(offsets[-1] + len(item))
    size = 1 if offsets[-1] < 1 << 8 else 2 if offsets[-1] < 1 << 16 else 3
    size = 4 if offsets[-1] >= 1 << 24 else size
    packed = b"".join(o.to_bytes(size, "big") for o in offsets)
    return struct.pack(">HB", len(items), size) + packed + b"".join(items)


def _dict_entries(data: bytes) -> Iterable[tuple[int, bytes]]:
    """(operator, operands+operator bytes) of each entry of a DICT."""
    start = i = 0
    while i < len(data):
        b0 = data[i]
        if b0 <= 21:
            op = (1200 + data[i + 1]) if b0 == 12 else b0
            i += 2 if b0 == 12 else 1
            yield op, data[start:i]
            start = i
        elif b0 == 28:
            i += 3
        elif b0 == 29:
            i += 5
        elif b0 == 30:  # real number: nibbles up to and including the 0xf end nibble
            i += 1
            while i < len(data):
                byte = data[i]
                i += 1
                if byte >> 4 == 0xF or byte & 0xF == 0xF:
                    break
        elif 32 <= b0 <= 246:
            i += 1
        elif 247 <= b0 <= 254:
            i += 2
        else:
            raise ValueError(f"reserved byte {b0} in a CFF DICT")


class CidFont:
    """One face of a CID-keyed OpenType/CFF font (Noto Sans CJK SC), shared by threads."""

    def __init__(self, face: FontFace) -> None:
        font = TTFont(str(face.path), fontNumber=face.index, lazy=True)
        if "CFF " not in font:
            raise FontMissing(f"{face} 不是 CFF 轮廓的 OpenType 字体")
        cff = font["CFF "].cff
        top = cff.topDictIndex[0]
        if not hasattr(top, "ROS") or not hasattr(top, "FDArray"):
            raise FontMissing(f"{face} 不是 CID 字体（报告需要 CID-keyed CFF）")
        self.face = face
        self.name = font["name"].getDebugName(6) or cff.fontNames[0]
        self._top = top
        self._charstrings = top.CharStrings
        self._order = font.getGlyphOrder()
        self._fdselect = top.FDSelect
        self._cmap = font.getBestCmap()
        self._metrics = font["hmtx"].metrics
        self.upem = font["head"].unitsPerEm
        head, os2 = font["head"], font["OS/2"]
        scale = 1000 / self.upem
        self.bbox = tuple(round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax))
        self.ascent = round(os2.sTypoAscender * scale)
        self.descent = round(os2.sTypoDescender * scale)
        self.cap_height = round(getattr(os2, "sCapHeight", 0) * scale) or self.ascent
        raw = font.reader["CFF "]
        self._privates = [self._private_without_subrs(raw, fd) for fd in top.FDArray]
        self._gid = {name: gid for gid, name in enumerate(self._order)}
        self._glyphs: dict[int, Glyph] = {}
        self._lock = threading.Lock()
        self.notdef = self.glyph_by_id(0)

    @staticmethod
    def _private_without_subrs(raw: bytes, fd: object) -> bytes:
        size, offset = fd.rawDict["Private"]  # type: ignore[attr-defined]
        data = raw[offset : offset + size]
        return b"".join(entry for op, entry in _dict_entries(data) if op != _SUBRS)

    def glyph_by_id(self, gid: int) -> Glyph:
        glyph = self._glyphs.get(gid)
        if glyph is not None:
            return glyph
        with self._lock:  # desubroutinizing touches the shared charstring objects
            glyph = self._glyphs.get(gid)
            if glyph is None:
                name = self._order[gid]
                source = self._charstrings[name]
                transforms.desubroutinizeCharString(source)
                flat = T2CharString(program=list(source.program))
                flat.compile()
                width = round(self._metrics[name][0] * 1000 / self.upem)
                glyph = Glyph(gid, width, self._fdselect[gid], bytes(flat.bytecode))
                self._glyphs[gid] = glyph
        return glyph

    def glyph(self, char: str) -> Glyph | None:
        """The glyph of one character, or None when the font lacks it."""
        name = self._cmap.get(ord(char))
        return None if name is None else self.glyph_by_id(self._gid[name])

    def has(self, char: str) -> bool:
        return ord(char) in self._cmap

    def subset(self, glyphs: Sequence[Glyph], name: str) -> bytes:
        """A CID-keyed CFF holding ``.notdef`` then ``glyphs``; CID i = glyph i."""
        glyphs = [self.notdef, *glyphs]
        fds = sorted({g.fd for g in glyphs})
        fd_index = {fd: i for i, fd in enumerate(fds)}
        header = bytes([1, 0, 4, 4])
        names = _index([name.encode("ascii")])
        strings = _index([b"Adobe", b"Identity"])  # SIDs 391 and 392
        gsubrs = _index([])

        def top_dict(charset: int, fdselect: int, charstrings: int, fdarray: int) -> bytes:
            return b"".join(
                (
                    _int5(391) + _int5(392) + _int5(0) + _OP_ROS,
                    b"".join(_int5(v) for v in self.bbox) + _OP_FONTBBOX,
                    _int5(len(glyphs)) + _OP_CIDCOUNT,
                    _int5(charset) + _OP_CHARSET,
                    _int5(fdselect) + _OP_FDSELECT,
                    _int5(charstrings) + _OP_CHARSTRINGS,
                    _int5(fdarray) + _OP_FDARRAY,
                )
            )

        top_size = len(_index([top_dict(0, 0, 0, 0)]))
        start = len(header) + len(names) + top_size + len(strings) + len(gsubrs)
        # Format 2, one range: CIDs 1 … n-1 (format 0 with no entries for .notdef alone).
        charset = struct.pack(">BHH", 2, 1, len(glyphs) - 2) if len(glyphs) > 1 else b"\x00"
        fdselect = b"\x00" + bytes(fd_index[g.fd] for g in glyphs)
        charstrings = _index([g.charstring for g in glyphs])
        at_fdselect = start + len(charset)
        at_charstrings = at_fdselect + len(fdselect)
        at_fdarray = at_charstrings + len(charstrings)
        # Font DICTs are fixed-size (two 5-byte operands + operator), so the FDArray size
        # is known before the Private DICT offsets are.
        fd_dict_size = 11
        fdarray_size = len(_index([b"\x00" * fd_dict_size] * len(fds)))
        offset = at_fdarray + fdarray_size
        fd_dicts, privates = [], []
        for fd in fds:
            private = self._privates[fd]
            fd_dicts.append(_int5(len(private)) + _int5(offset) + _OP_PRIVATE)
            privates.append(private)
            offset += len(private)
        top = _index([top_dict(start, at_fdselect, at_charstrings, at_fdarray)])
        head = (header, names, top, strings, gsubrs, charset, fdselect, charstrings)
        return b"".join((*head, _index(fd_dicts), *privates))
