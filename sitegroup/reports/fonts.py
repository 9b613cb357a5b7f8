"""The CJK faces of the credit report: found on the machine, checked once, embedded as subsets.

The report embeds Noto Sans CJK SC (Debian's ``fonts-noto-cjk``, installed by ``make
browser-deps``) so every reader sees the same glyphs and can select and search the text.
A machine without it fails when the API starts, with a message that says what to install,
never later with a report of empty boxes.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sitegroup.errors import SitegroupError

__all__ = ["FACES", "FontFace", "FontMissing", "find_face", "find_faces"]

#: The faces a report uses: style → fontconfig pattern.
FACES = {"regular": "Noto Sans CJK SC:style=Regular", "bold": "Noto Sans CJK SC:style=Bold"}

#: Where Debian puts fonts-noto-cjk, used when fontconfig is not installed.
_KNOWN = {
    "regular": Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    "bold": Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
}
_SC_FAMILY = "Noto Sans CJK SC"
#: Characters every face must draw: the report's own fixed words.
PROBE = "信用中国报告编号核验码第页共"

INSTALL_HINT = (
    "请安装思源黑体/Noto Sans CJK SC 字体（Debian：apt-get install fonts-noto-cjk，"
    "或运行 make browser-deps），或用 SITEGROUP_REPORT_FONT / SITEGROUP_REPORT_FONT_BOLD "
    "指定字体文件（路径[:集合序号]）"
)


class FontMissing(SitegroupError):
    """No usable CJK face: reports cannot be issued (raised at API start)."""


@dataclass(frozen=True, slots=True)
class FontFace:
    path: Path
    #: Index in a font collection (.ttc); 0 for a single font file.
    index: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.index}"


def parse_face(spec: str) -> FontFace:
    """``/path/font.ttc:2`` or ``/path/font.otf`` → :class:`FontFace`."""
    path, _, index = spec.rpartition(":")
    if path and index.isdigit():
        return FontFace(Path(path), int(index))
    return FontFace(Path(spec), 0)


def _fc_match(pattern: str) -> FontFace | None:
    if shutil.which("fc-match") is None:
        return None
    try:
        out = subprocess.run(
            ["fc-match", "-f", "%{file}\t%{index}\t%{family}", pattern],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    file, _, rest = out.partition("\t")
    index, _, family = rest.partition("\t")
    if not file or _SC_FAMILY not in family.split(","):
        return None  # fontconfig's nearest match is some other font: not good enough
    return FontFace(Path(file), int(index) if index.isdigit() else 0)


def _collection_index(path: Path) -> int:
    """The index of the SC face in a Noto CJK collection (0 for a single font)."""
    from fontTools.ttLib import TTCollection

    if path.suffix.lower() not in (".ttc", ".otc"):
        return 0
    collection = TTCollection(str(path), lazy=True)
    for i, font in enumerate(collection.fonts):
        if font["name"].getDebugName(1) == _SC_FAMILY:
            return i
    return 0


def find_face(style: str, override: str | None = None) -> FontFace:
    """The face of ``style`` (``regular`` or ``bold``): the override, else fontconfig's
    Noto Sans CJK SC, else Debian's file; checked to open and to draw Chinese."""
    if override:
        face = parse_face(override)
        where = f"SITEGROUP_REPORT_FONT{'_BOLD' if style == 'bold' else ''}={override}"
    else:
        face = _fc_match(FACES[style])
        if face is None and _KNOWN[style].is_file():
            face = FontFace(_KNOWN[style], _collection_index(_KNOWN[style]))
        where = f"字体“{FACES[style]}”"
        if face is None:
            raise FontMissing(f"无法生成信用报告：本机没有{where}。{INSTALL_HINT}")
    check_face(face, where)
    return face


def check_face(face: FontFace, where: str) -> None:
    """Refuse a face that does not open or cannot draw the report's Chinese words."""
    from fontTools.ttLib import TTFont, TTLibError

    if not face.path.is_file():
        raise FontMissing(
            f"无法生成信用报告：{where} 的字体文件 {face.path} 不存在。{INSTALL_HINT}"
        )
    try:
        font = TTFont(str(face.path), fontNumber=face.index, lazy=True)
        cmap = font.getBestCmap() or {}
        cff = "CFF " in font
    except (OSError, TTLibError, IndexError, AssertionError) as exc:
        raise FontMissing(f"无法生成信用报告：{where} 无法读取（{exc}）。{INSTALL_HINT}") from None
    missing = [ch for ch in PROBE if ord(ch) not in cmap]
    if missing:
        raise FontMissing(
            f"无法生成信用报告：{where}（{face}）不含汉字“{''.join(missing)}”，"
            f"会显示为方框。{INSTALL_HINT}"
        )
    if not cff:
        raise FontMissing(
            f"无法生成信用报告：{where}（{face}）不是 CFF 轮廓的 OpenType 字体"
            f"（报告嵌入 CID 字形子集）。{INSTALL_HINT}"
        )


def find_faces(regular: str | None = None, bold: str | None = None) -> dict[str, FontFace]:
    """Both faces of the report, or :class:`FontMissing` naming what to install."""
    return dict(_found(regular, bold))


@lru_cache(maxsize=8)
def _found(regular: str | None, bold: str | None) -> tuple[tuple[str, FontFace], ...]:
    # Cached per process: every API app checks at start, and fonts do not move while it runs
    # (a failure is not cached, so installing the font and starting again works).
    return (("regular", find_face("regular", regular)), ("bold", find_face("bold", bold)))
