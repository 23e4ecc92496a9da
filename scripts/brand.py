"""Draw the brand images of Portainer Control: icon and logo, 1x and 2x.

Run with any Python that has Pillow, e.g. `.venv-3.13/bin/python scripts/brand.py`.
The art is our own: a rounded tile with a stack of containers and a dial.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
BRAND = ROOT / "custom_components" / "portainer_control" / "brand"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")

# Shapes are drawn this many times larger, then scaled down for smooth edges.
SUPERSAMPLE = 4
# The icon is designed on a square of this many units.
UNIT = 1024

BLUE = (23, 120, 196)
TEAL = (13, 158, 142)
WHITE = (255, 255, 255)
# BLUE at 60 % over white, opaque: a translucent fill would punch holes in the tile.
RIB = (116, 174, 220, 255)
# The logo: its height at 1x, and the text size and the gap after the icon
# as parts of that height.
LOGO_HEIGHT = 128
LOGO_TEXT_SIZE = 0.46
LOGO_GAP = 0.16

Box = tuple[float, float, float, float]


def _gradient(size: int) -> Image.Image:
    """Return a square that fades from blue at the top to teal at the bottom."""
    column = Image.new("RGBA", (1, size))
    for y in range(size):
        t = y / (size - 1)
        column.putpixel(
            (0, y),
            (*(round(a + (b - a) * t) for a, b in zip(BLUE, TEAL, strict=True)), 255),
        )
    return column.resize((size, size))


def _scaled(box: Box, scale: float) -> Box:
    """Return a box in design units as pixels."""
    return (box[0] * scale, box[1] * scale, box[2] * scale, box[3] * scale)


def _container(draw: ImageDraw.ImageDraw, box: Box, scale: float) -> None:
    """Draw one shipping container: a white slab with vertical ribs."""
    left, top, right, bottom = _scaled(box, scale)
    draw.rounded_rectangle(
        (left, top, right, bottom), radius=26 * scale, fill=(*WHITE, 255)
    )
    ribs = 7
    inset = 34 * scale
    step = (right - left - 2 * inset) / (ribs - 1)
    for index in range(ribs):
        x = left + inset + index * step
        draw.line(
            (x, top + 28 * scale, x, bottom - 28 * scale),
            fill=RIB,
            width=round(16 * scale),
        )


def _dial(tile: Image.Image, scale: float) -> None:
    """Draw the control dial: a gauge with its pointer turned most of the way."""
    cx, cy, radius = 742 * scale, 742 * scale, 170 * scale
    # A gap in the tile's own gradient separates the dial from the stack.
    cut = radius + 30 * scale
    gap = Image.new("L", tile.size, 0)
    ImageDraw.Draw(gap).ellipse((cx - cut, cy - cut, cx + cut, cy + cut), fill=255)
    tile.paste(_gradient(tile.width), (0, 0), gap)

    draw = ImageDraw.Draw(tile)
    draw.ellipse(
        (cx - radius, cy - radius, cx + radius, cy + radius), fill=(*WHITE, 255)
    )
    # Angles run clockwise from three o'clock: the track sweeps 270 degrees
    # from bottom left to bottom right, filled up to the pointer.
    track = radius - 44 * scale
    bounds = (cx - track, cy - track, cx + track, cy + track)
    width = round(34 * scale)
    draw.arc(bounds, 135, 405, fill=RIB, width=width)
    draw.arc(bounds, 135, 315, fill=(*TEAL, 255), width=width)

    hub = 30 * scale
    tip = (cx + track * 0.52, cy - track * 0.52)
    draw.line((cx, cy, *tip), fill=(*BLUE, 255), width=round(30 * scale))
    draw.ellipse((cx - hub, cy - hub, cx + hub, cy + hub), fill=(*BLUE, 255))
    end = 15 * scale
    draw.ellipse(
        (tip[0] - end, tip[1] - end, tip[0] + end, tip[1] + end), fill=(*BLUE, 255)
    )


def draw_icon(size: int) -> Image.Image:
    """Return the square icon at the given pixel size."""
    canvas = size * SUPERSAMPLE
    scale = canvas / UNIT

    mask = Image.new("L", (canvas, canvas), 0)
    ImageDraw.Draw(mask).rounded_rectangle(
        (0, 0, canvas - 1, canvas - 1), radius=224 * scale, fill=255
    )
    tile = Image.new("RGBA", (canvas, canvas), (0, 0, 0, 0))
    tile.paste(_gradient(canvas), (0, 0), mask)

    draw = ImageDraw.Draw(tile)
    # Three containers, the top one set back, as stacked in a yard.
    _container(draw, (236, 190, 676, 352), scale)
    _container(draw, (150, 392, 590, 554), scale)
    _container(draw, (150, 594, 590, 756), scale)
    _dial(tile, scale)

    return tile.resize((size, size), Image.Resampling.LANCZOS)


def _font(name: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Return a DejaVu font, or Pillow's own when DejaVu is not installed."""
    path = FONT_DIR / name
    if path.exists():
        return ImageFont.truetype(str(path), size)
    print(f"{path} missing (apt-get install fonts-dejavu-core); using a bitmap font")
    return ImageFont.load_default(size)


def _logo_fonts(
    height: int,
) -> tuple[ImageFont.FreeTypeFont | ImageFont.ImageFont, ...]:
    """Return the fonts of the two words for a logo of this pixel height."""
    size = round(height * LOGO_TEXT_SIZE)
    return _font("DejaVuSans-Bold.ttf", size), _font("DejaVuSans.ttf", size)


def logo_width(height: int) -> int:
    """Return the width that holds the icon and the name, trimmed, for 1x art."""
    bold, book = _logo_fonts(height * SUPERSAMPLE)
    measure = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    text = max(
        measure.textlength("Portainer", font=bold),
        measure.textlength("Control", font=book),
    )
    return height + round(height * LOGO_GAP) + math.ceil(text / SUPERSAMPLE) + 1


def draw_logo(width: int, height: int) -> Image.Image:
    """Return the landscape logo: the icon, then the name on two lines."""
    canvas_w, canvas_h = width * SUPERSAMPLE, height * SUPERSAMPLE
    logo = Image.new("RGBA", (canvas_w, canvas_h), (0, 0, 0, 0))
    logo.paste(draw_icon(canvas_h), (0, 0))

    draw = ImageDraw.Draw(logo)
    bold, book = _logo_fonts(canvas_h)
    x = canvas_h + round(canvas_h * LOGO_GAP)
    draw.text((x, canvas_h * 0.47), "Portainer", font=bold, fill=BLUE, anchor="ls")
    draw.text((x, canvas_h * 0.95), "Control", font=book, fill=TEAL, anchor="ls")

    return logo.resize((width, height), Image.Resampling.LANCZOS)


def main() -> None:
    """Write the four brand images."""
    BRAND.mkdir(parents=True, exist_ok=True)
    # The 2x logo is exactly twice the 1x one, so both share the 1x width.
    width = logo_width(LOGO_HEIGHT)
    images = {
        "icon.png": draw_icon(256),
        "icon@2x.png": draw_icon(512),
        "logo.png": draw_logo(width, LOGO_HEIGHT),
        "logo@2x.png": draw_logo(2 * width, 2 * LOGO_HEIGHT),
    }
    for name, image in images.items():
        path = BRAND / name
        image.save(path, optimize=True)
        print(f"{path.relative_to(ROOT)}: {image.width}x{image.height}")


if __name__ == "__main__":
    main()
