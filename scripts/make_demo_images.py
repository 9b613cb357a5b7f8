"""Draw the demo site group's illustrative images into tenants/<site>/content/images/.

The images are simple flat illustrations (a skyline, a meeting room, charts) so the demo
articles have something to show. They are committed; run this again only to change them:

    .venv/bin/python scripts/make_demo_images.py

Chinese captions need a CJK font (Debian: fonts-wqy-microhei or fonts-noto-cjk). Without
one the images are still drawn, only without their captions.

One JPEG (main/national-conference.jpg) carries EXIF data — a camera make and a GPS
position — so that EXIF stripping in the build can be tested against real input.
"""

from __future__ import annotations

import logging
import math
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from PIL.ExifTags import GPS, IFD, Base

logger = logging.getLogger("make_demo_images")

TENANTS = Path(__file__).resolve().parent.parent / "tenants"
MAX_BYTES = 150 * 1024

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)

# Colours shared by all pictures, close to the portal's red-and-blue identity.
RED = (190, 30, 45)
DEEP_BLUE = (22, 58, 112)
GOLD = (236, 190, 96)
WHITE = (255, 255, 255)
INK = (50, 55, 65)

RGB = tuple[int, int, int]


def find_font_path() -> str | None:
    """Return the first CJK font found on this machine, or None."""
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    return None


FONT_PATH = find_font_path()


def font(size: int) -> ImageFont.FreeTypeFont | None:
    return ImageFont.truetype(FONT_PATH, size) if FONT_PATH else None


def text(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    s: str,
    size: int,
    fill: RGB,
    anchor: str = "la",
) -> None:
    """Draw text if a CJK font exists; otherwise leave the space empty (no tofu boxes)."""
    f = font(size)
    if f is not None:
        draw.text(xy, s, font=f, fill=fill, anchor=anchor)


def vertical_gradient(size: tuple[int, int], top: RGB, bottom: RGB) -> Image.Image:
    w, h = size
    column = Image.new("RGB", (1, h))
    for y in range(h):
        t = y / max(h - 1, 1)
        column.putpixel(
            (0, y), tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        )
    return column.resize((w, h))


def banner(
    draw: ImageDraw.ImageDraw,
    box: tuple[int, int, int, int],
    title: str,
    colour: RGB = RED,
    size: int = 56,
) -> None:
    """A title banner with a thin gold frame, as on a stage backdrop."""
    x0, y0, x1, y1 = box
    draw.rectangle(box, fill=colour)
    draw.rectangle((x0 + 8, y0 + 8, x1 - 8, y1 - 8), outline=GOLD, width=3)
    text(draw, ((x0 + x1) / 2, (y0 + y1) / 2), title, size, WHITE, anchor="mm")


def building(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    x: int,
    ground: int,
    w: int,
    h: int,
    colour: RGB,
    window: RGB,
) -> None:
    draw.rectangle((x, ground - h, x + w, ground), fill=colour)
    for wy in range(ground - h + 14, ground - 12, 22):
        for wx in range(x + 8, x + w - 10, 16):
            if rng.random() < 0.55:
                draw.rectangle((wx, wy, wx + 7, wy + 10), fill=window)


def skyline(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    width: int,
    ground: int,
    colour: RGB,
    window: RGB,
    tall: float,
) -> None:
    x = -10
    while x < width:
        w = rng.randint(50, 120)
        h = int(rng.randint(90, 260) * tall)
        building(draw, rng, x, ground, w, h, colour, window)
        x += w + rng.randint(4, 18)


def pagoda(
    draw: ImageDraw.ImageDraw, cx: int, ground: int, floors: int, base_w: int, colour: RGB
) -> None:
    """A stylised multi-eaved tower (杭州雷峰塔 / 武汉黄鹤楼 in silhouette)."""
    y = ground
    for i in range(floors):
        w = base_w - i * base_w // (floors + 2)
        body_h = 34
        draw.rectangle((cx - w // 2, y - body_h, cx + w // 2, y), fill=colour)
        eave = w // 2 + 18
        draw.polygon(
            [
                (cx - eave, y - body_h + 4),
                (cx + eave, y - body_h + 4),
                (cx + w // 2 - 4, y - body_h - 12),
                (cx - w // 2 + 4, y - body_h - 12),
            ],
            fill=colour,
        )
        y -= body_h + 12
    draw.rectangle((cx - 3, y - 40, cx + 3, y), fill=colour)


def meeting_room(
    size: tuple[int, int], title: str, wall: tuple[RGB, RGB], backdrop: RGB, seed: int
) -> Image.Image:
    """A conference hall seen from the back: backdrop banner, podium, rows of seats."""
    w, h = size
    rng = random.Random(seed)
    img = vertical_gradient(size, *wall)
    draw = ImageDraw.Draw(img)
    # Stage and backdrop.
    stage_top = int(h * 0.50)
    draw.rectangle((0, stage_top, w, int(h * 0.58)), fill=(120, 40, 40))
    banner(
        draw,
        (int(w * 0.12), int(h * 0.10), int(w * 0.88), int(h * 0.26)),
        title,
        colour=backdrop,
        size=max(36, w // 30),
    )
    draw.rectangle(
        (int(w * 0.12), int(h * 0.27), int(w * 0.88), stage_top - 6), fill=(235, 228, 214)
    )
    for i in range(7):  # wall panels behind the rostrum
        x = int(w * 0.14) + i * int(w * 0.105)
        draw.rectangle((x, int(h * 0.30), x + int(w * 0.06), stage_top - 20), fill=(214, 196, 170))
    # Rostrum table with green cloth and name cards.
    draw.rectangle((int(w * 0.22), int(h * 0.42), int(w * 0.78), stage_top + 12), fill=(32, 96, 72))
    for i in range(9):
        x = int(w * 0.25) + i * int(w * 0.06)
        draw.rectangle((x, int(h * 0.40), x + int(w * 0.035), int(h * 0.425)), fill=WHITE)
    # Side screens.
    for x0 in (int(w * 0.01), int(w * 0.90)):
        draw.rectangle((x0, int(h * 0.14), x0 + int(w * 0.09), int(h * 0.34)), fill=(18, 30, 52))
        draw.rectangle(
            (x0 + 6, int(h * 0.15), x0 + int(w * 0.09) - 6, int(h * 0.33)), fill=(58, 110, 170)
        )
    # Audience rows: desks and the backs of heads, smaller towards the stage.
    rows = 6
    for r in range(rows):
        t = r / (rows - 1)
        y = int(h * (0.64 + 0.34 * t))
        scale = 0.55 + 0.65 * t
        draw.rectangle((0, y - int(14 * scale), w, y), fill=(150, 104, 70))
        step = int(70 * scale)
        x = rng.randint(0, step // 2)
        while x < w:
            rad = int(15 * scale)
            hair = rng.choice([(30, 30, 34), (44, 38, 36), (70, 70, 74)])
            draw.ellipse((x - rad, y - int(44 * scale), x + rad, y - int(14 * scale)), fill=hair)
            draw.rectangle(
                (
                    x - int(24 * scale),
                    y - int(16 * scale),
                    x + int(24 * scale),
                    y + int(20 * scale),
                ),
                fill=rng.choice([(34, 44, 72), (52, 52, 58), (28, 36, 52)]),
            )
            x += step
    return img


def national_conference() -> Image.Image:
    return meeting_room(
        (1600, 900),
        "全国社会信用体系建设工作会议",
        wall=((244, 236, 222), (214, 200, 180)),
        backdrop=RED,
        seed=1,
    )


def wuxi_launch() -> Image.Image:
    return meeting_room(
        (1600, 900),
        "无锡市“信用惠民”举措发布会",
        wall=((232, 240, 248), (196, 212, 230)),
        backdrop=DEEP_BLUE,
        seed=7,
    )


def city_skyline(
    size: tuple[int, int],
    title: str,
    sky: tuple[RGB, RGB],
    water: RGB,
    seed: int,
    *,
    tower_x: float,
    hills: bool,
    bridge: bool = False,
) -> Image.Image:
    w, h = size
    rng = random.Random(seed)
    img = vertical_gradient(size, *sky)
    draw = ImageDraw.Draw(img)
    draw.ellipse(
        (int(w * 0.74), int(h * 0.14), int(w * 0.74) + 90, int(h * 0.14) + 90), fill=(255, 236, 190)
    )
    ground = int(h * 0.70)
    if hills:
        draw.polygon(
            [
                (0, ground),
                (0, int(h * 0.50)),
                (w * 0.18, int(h * 0.40)),
                (w * 0.36, int(h * 0.52)),
                (w * 0.55, int(h * 0.44)),
                (w * 0.78, int(h * 0.55)),
                (w, int(h * 0.47)),
                (w, ground),
            ],
            fill=(120, 150, 140),
        )
    skyline(draw, rng, w, ground, (96, 112, 140), (250, 226, 160), tall=1.1)
    skyline(draw, rng, w, ground, (58, 70, 98), (255, 210, 120), tall=0.75)
    pagoda(draw, int(w * tower_x), ground, floors=5, base_w=110, colour=(40, 40, 52))
    # Water with a few light reflections.
    draw.rectangle((0, ground, w, h), fill=water)
    for _ in range(60):
        x, y = rng.randint(0, w), rng.randint(ground + 10, h - 10)
        draw.line(
            (x, y, x + rng.randint(20, 70), y), fill=tuple(min(255, c + 40) for c in water), width=2
        )
    if bridge:  # a river bridge: deck, piers and shallow arches
        deck = ground + int(h * 0.07)
        draw.rectangle((0, deck - 10, w, deck), fill=(150, 60, 50))
        for x in range(40, w, 160):
            draw.rectangle((x, deck, x + 18, deck + int(h * 0.09)), fill=(120, 110, 104))
            draw.arc((x + 18, deck - 6, x + 160, deck + 70), 180, 360, fill=(150, 60, 50), width=6)
    banner(
        draw,
        (int(w * 0.05), int(h * 0.06), int(w * 0.40), int(h * 0.18)),
        title,
        size=max(40, w // 28),
    )
    return img


def hangzhou_skyline() -> Image.Image:
    return city_skyline(
        (1600, 900),
        "信用杭州",
        sky=((150, 196, 230), (246, 222, 196)),
        water=(92, 142, 160),
        seed=3,
        tower_x=0.22,
        hills=True,
    )


def wuhan_skyline() -> Image.Image:
    return city_skyline(
        (1200, 800),
        "信用湖北",
        sky=((120, 160, 210), (250, 206, 170)),
        water=(104, 120, 128),
        seed=5,
        tower_x=0.70,
        hills=False,
        bridge=True,
    )


def qufu_gate() -> Image.Image:
    """A paifang-style gate and red wall, for the 儒乡诚信 column."""
    w, h = 1200, 800
    img = vertical_gradient((w, h), (246, 232, 200), (236, 206, 160))
    draw = ImageDraw.Draw(img)
    ground = int(h * 0.82)
    draw.rectangle((0, int(h * 0.56), w, ground), fill=(168, 48, 40))  # palace wall
    draw.rectangle((0, int(h * 0.53), w, int(h * 0.57)), fill=(70, 74, 80))  # wall coping
    draw.rectangle((0, ground, w, h), fill=(200, 190, 170))  # paved square
    for x in range(0, w, 60):
        draw.line((x, ground, x - 40, h), fill=(186, 176, 156), width=2)
    # Four pillars, three roofs.
    pillars = [int(w * f) for f in (0.24, 0.40, 0.60, 0.76)]
    for x in pillars:
        draw.rectangle((x - 14, int(h * 0.30), x + 14, ground), fill=(120, 30, 28))
        draw.rectangle((x - 26, ground - 30, x + 26, ground), fill=(150, 146, 138))

    def roof(x0: int, x1: int, y: int) -> None:
        draw.polygon(
            [(x0 - 40, y + 6), (x1 + 40, y + 6), (x1 + 10, y - 34), (x0 - 10, y - 34)],
            fill=(44, 70, 78),
        )
        draw.polygon([(x0 - 40, y + 6), (x0 - 54, y - 8), (x0 - 24, y)], fill=(44, 70, 78))
        draw.polygon([(x1 + 40, y + 6), (x1 + 54, y - 8), (x1 + 24, y)], fill=(44, 70, 78))

    roof(pillars[1], pillars[2], int(h * 0.26))
    roof(pillars[0], pillars[1], int(h * 0.32))
    roof(pillars[2], pillars[3], int(h * 0.32))
    # Lintel with the column title.
    draw.rectangle(
        (pillars[0] - 20, int(h * 0.33), pillars[3] + 20, int(h * 0.41)), fill=(36, 60, 96)
    )
    draw.rectangle(
        (pillars[1] + 24, int(h * 0.27), pillars[2] - 24, int(h * 0.33)), fill=(36, 60, 96)
    )
    text(draw, (w / 2, int(h * 0.37)), "儒 风 诚 信", 40, GOLD, anchor="mm")
    # Two pine silhouettes.
    for cx in (int(w * 0.07), int(w * 0.93)):
        draw.rectangle((cx - 8, int(h * 0.50), cx + 8, ground), fill=(70, 50, 40))
        for i, half in enumerate((90, 70, 50)):
            y = int(h * 0.52) - i * 60
            draw.polygon([(cx - half, y), (cx + half, y), (cx, y - 80)], fill=(46, 92, 64))
    return img


def nice_step(raw: float) -> float:
    """Round a tick step up to 1, 2 or 5 times a power of ten."""
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def bar_chart(title: str, labels: list[str], values: list[float], unit: str) -> Image.Image:
    w, h = 1200, 800
    img = Image.new("RGB", (w, h), WHITE)
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, w, 96), fill=DEEP_BLUE)
    text(draw, (48, 48), title, 38, WHITE, anchor="lm")
    left, right, top, bottom = 140, w - 80, 160, h - 120
    step = nice_step(max(values) / 5)
    ticks = math.ceil(max(values) * 1.08 / step)
    top_value = step * ticks
    for i in range(ticks + 1):  # grid lines with round values
        y = bottom - (bottom - top) * i / ticks
        draw.line((left, y, right, y), fill=(222, 226, 232), width=2)
        text(draw, (left - 16, y), f"{step * i:g}", 24, INK, anchor="rm")
    draw.line((left, top, left, bottom), fill=INK, width=3)
    draw.line((left, bottom, right, bottom), fill=INK, width=3)
    slot = (right - left) / len(values)
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x0 = left + slot * i + slot * 0.22
        x1 = left + slot * (i + 1) - slot * 0.22
        y0 = bottom - (bottom - top) * value / top_value
        draw.rectangle((x0, y0, x1, bottom), fill=RED if i == len(values) - 1 else (70, 120, 190))
        text(draw, ((x0 + x1) / 2, y0 - 18), f"{value:g}", 26, INK, anchor="mm")
        text(draw, ((x0 + x1) / 2, bottom + 30), label, 26, INK, anchor="mm")
    text(
        draw,
        (left, h - 40),
        f"单位：{unit}　　示意数据，仅用于演示",
        22,
        (120, 126, 136),
        anchor="lm",
    )
    return img


def xinyidai_chart() -> Image.Image:
    return bar_chart(
        "“信易贷”平台季度新增授信金额（示意）",
        ["2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3"],
        [3120, 3480, 3350, 3910, 4260],
        "亿元",
    )


def market_star_chart() -> Image.Image:
    """A pie of vendors by credit star rating, with a legend."""
    w, h = 1200, 800
    img = Image.new("RGB", (w, h), (250, 248, 244))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, w, 96), fill=RED)
    text(draw, (48, 48), "2025年度市场经营户信用星级分布（示意）", 38, WHITE, anchor="lm")
    shares = [
        ("五星级", 21, (196, 40, 50)),
        ("四星级", 41, (232, 120, 60)),
        ("三星级", 29, (240, 190, 80)),
        ("二星级及以下", 9, (150, 160, 176)),
    ]
    box = (110, 170, 610, 670)
    start = -90.0
    for _, pct, colour in shares:
        end = start + 360 * pct / 100
        draw.pieslice(box, start, end, fill=colour, outline=WHITE, width=4)
        start = end
    draw.ellipse((260, 320, 460, 520), fill=(250, 248, 244))  # donut hole
    text(draw, (360, 420), "六万余户", 34, INK, anchor="mm")
    for i, (label, pct, colour) in enumerate(shares):
        y = 250 + i * 100
        draw.rounded_rectangle((700, y - 24, 748, y + 24), radius=8, fill=colour)
        text(draw, (772, y), f"{label}　{pct}%", 34, INK, anchor="lm")
    text(draw, (48, h - 40), "示意数据，仅用于演示", 22, (120, 126, 136), anchor="lm")
    return img


def camera_exif() -> Image.Exif:
    """A fake camera make and a GPS fix near 北京月坛, for EXIF-stripping tests."""
    exif = Image.Exif()
    exif[Base.Make] = "DemoCam"
    exif[Base.Model] = "DC-100"
    exif[Base.DateTime] = "2026:11:11 09:12:00"
    gps = exif.get_ifd(IFD.GPSInfo)
    gps[GPS.GPSLatitudeRef] = "N"
    gps[GPS.GPSLatitude] = (39.0, 54.0, 27.0)
    gps[GPS.GPSLongitudeRef] = "E"
    gps[GPS.GPSLongitude] = (116.0, 20.0, 10.0)
    return exif


# (site, file name, painter, carries EXIF)
IMAGES = (
    ("main", "national-conference.jpg", national_conference, True),
    ("main", "xinyidai-chart.png", xinyidai_chart, False),
    ("hubei", "wuhan-skyline.jpg", wuhan_skyline, False),
    ("zhejiang-hangzhou", "hangzhou-skyline.jpg", hangzhou_skyline, False),
    ("zhejiang-yiwu", "market-star-chart.png", market_star_chart, False),
    ("jiangsu-wuxi", "wuxi-huimin-launch.jpg", wuxi_launch, False),
    ("shandong-jining", "qufu-ruxiang.jpg", qufu_gate, False),
)


def save(img: Image.Image, path: Path, *, exif: Image.Exif | None) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".png":
        # Flat colours: a palette PNG is a fraction of the RGB size and looks the same.
        img.quantize(colors=64, dither=Image.Dither.NONE).save(path, optimize=True)
    else:
        kwargs = {"quality": 80, "optimize": True, "progressive": True}
        if exif is not None:
            kwargs["exif"] = exif
        img.save(path, "JPEG", **kwargs)
    return path.stat().st_size


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if FONT_PATH is None:
        logger.warning("no CJK font found: images are drawn without their Chinese captions")
    for site, name, paint, with_exif in IMAGES:
        path = TENANTS / site / "content" / "images" / name
        size = save(paint(), path, exif=camera_exif() if with_exif else None)
        logger.info("%s  %d KB", path.relative_to(TENANTS.parent), size // 1024)
        if size > MAX_BYTES:
            logger.warning("%s is larger than %d KB", path.name, MAX_BYTES // 1024)


if __name__ == "__main__":
    main()
