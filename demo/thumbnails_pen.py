"""The pen every thumbnail drawing uses: unit coordinates with the listing's jitter, and the shared colours."""

from __future__ import annotations

from PIL import ImageDraw

Colour = tuple[int, int, int]
BACKGROUND: Colour = (238, 238, 234)


class Pen:
    """Draws in unit coordinates (0..1 both ways, object centred near (0.5, 0.45)) with the listing's jitter."""

    def __init__(self, draw: ImageDraw.ImageDraw, size: int, colour: Colour, scale: float, dx: float, dy: float):
        self.draw, self.size, self.scale, self.dx, self.dy = draw, size, scale, dx, dy
        self.main = colour
        self.dark = mix(colour, (0, 0, 0), 0.45)
        self.light = mix(colour, (255, 255, 255), 0.45)
        brightness = 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2]
        self.detail = self.dark if brightness > 110 else mix(colour, (255, 255, 255), 0.6)
        self.width = max(1, round(size * 0.012))

    def xy(self, x: float, y: float) -> tuple[float, float]:
        return (
            (0.5 + (x - 0.5) * self.scale + self.dx) * self.size,
            (0.45 + (y - 0.45) * self.scale + self.dy) * self.size,
        )

    def box(self, x0: float, y0: float, x1: float, y1: float) -> list[float]:
        (a, b), (c, d) = self.xy(x0, y0), self.xy(x1, y1)
        return [min(a, c), min(b, d), max(a, c), max(b, d)]

    def poly(self, points: list[tuple[float, float]], fill: Colour | None = None, outline: bool = True) -> None:
        self.draw.polygon([self.xy(x, y) for x, y in points], fill=fill or self.main,
                          outline=self.dark if outline else None, width=self.width if outline else 0)

    def rect(self, x0: float, y0: float, x1: float, y1: float, r: float = 0.0, fill: Colour | None = None,
             outline: bool = True) -> None:
        self.draw.rounded_rectangle(self.box(x0, y0, x1, y1), radius=r * self.size * self.scale,
                                    fill=fill or self.main, outline=self.dark if outline else None,
                                    width=self.width if outline else 0)

    def ellipse(self, x0: float, y0: float, x1: float, y1: float, fill: Colour | None = None,
                outline: bool = True) -> None:
        self.draw.ellipse(self.box(x0, y0, x1, y1), fill=fill or self.main,
                          outline=self.dark if outline else None, width=self.width if outline else 0)

    def circle(self, cx: float, cy: float, r: float, fill: Colour | None = None, outline: bool = True) -> None:
        self.ellipse(cx - r, cy - r, cx + r, cy + r, fill, outline)

    def line(self, points: list[tuple[float, float]], width: float = 0.012, fill: Colour | None = None) -> None:
        self.draw.line([self.xy(x, y) for x, y in points], fill=fill or self.dark,
                       width=max(1, round(width * self.size * self.scale)), joint="curve")

    def arc(self, x0: float, y0: float, x1: float, y1: float, start: float, end: float, width: float = 0.012,
            fill: Colour | None = None) -> None:
        self.draw.arc(self.box(x0, y0, x1, y1), start, end, fill=fill or self.dark,
                      width=max(1, round(width * self.size * self.scale)))

    def shadow(self) -> None:
        self.ellipse(0.2, 0.78, 0.8, 0.84, fill=(222, 222, 218), outline=False)


def mix(a: Colour, b: Colour, t: float) -> Colour:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


GREY: Colour = (70, 72, 78)
SCREEN: Colour = (38, 44, 58)
METAL: Colour = (175, 178, 184)
WHITE: Colour = (250, 250, 248)
GREEN: Colour = (60, 140, 70)
