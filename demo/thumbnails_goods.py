"""Thumbnail drawings of electronics, toys and collectibles, and media."""

from __future__ import annotations

from collections.abc import Callable

from demo.thumbnails_pen import GREY, METAL, SCREEN, WHITE, Pen

# ----------------------------------------------------------------------------------------------- electronics


def _phone(p: Pen) -> None:
    p.rect(0.32, 0.08, 0.68, 0.82, r=0.06)
    p.rect(0.35, 0.13, 0.65, 0.76, r=0.03, fill=SCREEN, outline=False)
    p.rect(0.45, 0.1, 0.55, 0.12, r=0.01, fill=p.dark, outline=False)
    for i, y in enumerate((0.22, 0.34, 0.46)):
        p.rect(0.39, y, 0.47, y + 0.07, r=0.015, fill=(90 + 40 * i, 140, 210 - 30 * i), outline=False)
        p.rect(0.53, y, 0.61, y + 0.07, r=0.015, fill=(220, 120 + 30 * i, 80), outline=False)


def _tablet(p: Pen) -> None:
    p.rect(0.14, 0.14, 0.86, 0.74, r=0.05)
    p.rect(0.18, 0.18, 0.82, 0.7, r=0.02, fill=SCREEN, outline=False)
    p.circle(0.5, 0.72, 0.012, fill=p.dark, outline=False)


def _laptop(p: Pen) -> None:
    p.rect(0.2, 0.14, 0.8, 0.56, r=0.03)
    p.rect(0.24, 0.18, 0.76, 0.52, fill=SCREEN, outline=False)
    p.poly([(0.2, 0.58), (0.8, 0.58), (0.92, 0.72), (0.08, 0.72)])
    p.rect(0.42, 0.66, 0.58, 0.69, fill=p.dark, outline=False)


def _tv(p: Pen) -> None:
    p.rect(0.08, 0.14, 0.92, 0.64, r=0.02, fill=p.main)
    p.rect(0.11, 0.17, 0.89, 0.61, fill=SCREEN, outline=False)
    p.poly([(0.16, 0.5), (0.34, 0.32), (0.5, 0.5)], fill=(70, 90, 120), outline=False)
    p.poly([(0.4, 0.5), (0.62, 0.26), (0.86, 0.5)], fill=(60, 80, 110), outline=False)
    p.rect(0.46, 0.64, 0.54, 0.74, fill=p.dark, outline=False)
    p.rect(0.32, 0.74, 0.68, 0.78, r=0.01, fill=p.dark)


def _keyboard(p: Pen) -> None:
    p.rect(0.08, 0.34, 0.92, 0.66, r=0.03)
    for row in range(4):
        for col in range(12):
            x, y = 0.12 + col * 0.065, 0.38 + row * 0.065
            p.rect(x, y, x + 0.05, y + 0.05, r=0.008, fill=p.light if p.main != WHITE else METAL, outline=False)


def _mouse(p: Pen) -> None:
    p.ellipse(0.32, 0.16, 0.68, 0.8)
    p.line([(0.5, 0.16), (0.5, 0.42)], 0.01)
    p.line([(0.34, 0.42), (0.66, 0.42)], 0.01)
    p.rect(0.48, 0.24, 0.52, 0.34, r=0.01, fill=p.detail, outline=False)


def _console(p: Pen) -> None:
    p.rect(0.12, 0.3, 0.88, 0.68, r=0.04)
    p.line([(0.16, 0.42), (0.62, 0.42)], 0.012, fill=p.detail)
    p.circle(0.78, 0.49, 0.05, fill=p.dark)
    p.rect(0.16, 0.56, 0.3, 0.6, fill=p.detail, outline=False)


def _controller(p: Pen) -> None:
    p.poly([(0.22, 0.34), (0.78, 0.34), (0.9, 0.68), (0.78, 0.74), (0.64, 0.58), (0.36, 0.58), (0.22, 0.74),
            (0.1, 0.68)])
    p.rect(0.24, 0.43, 0.34, 0.47, fill=p.detail, outline=False)
    p.rect(0.27, 0.4, 0.31, 0.5, fill=p.detail, outline=False)
    for cx, cy, colour in ((0.7, 0.4, (60, 160, 80)), (0.76, 0.45, (200, 60, 60)), (0.64, 0.45, (60, 100, 200)),
                           (0.7, 0.5, (230, 190, 50))):
        p.circle(cx, cy, 0.022, fill=colour, outline=False)


def _handheld(p: Pen) -> None:
    p.rect(0.1, 0.3, 0.9, 0.66, r=0.1)
    p.rect(0.3, 0.33, 0.7, 0.63, r=0.01, fill=SCREEN, outline=False)
    p.circle(0.2, 0.44, 0.04, fill=p.dark)
    p.circle(0.8, 0.44, 0.04, fill=p.dark)
    p.circle(0.82, 0.56, 0.015, fill=p.detail, outline=False)


def _game_case(p: Pen) -> None:
    p.rect(0.28, 0.08, 0.72, 0.82, r=0.02, fill=p.main)
    p.rect(0.31, 0.18, 0.69, 0.78, fill=p.light, outline=False)
    p.ellipse(0.38, 0.3, 0.62, 0.56, fill=p.dark, outline=False)
    p.rect(0.28, 0.08, 0.72, 0.16, fill=WHITE)


def _headphones(p: Pen) -> None:
    p.arc(0.18, 0.12, 0.82, 0.78, 180, 360, 0.05, fill=p.main)
    p.arc(0.18, 0.12, 0.82, 0.78, 180, 360, 0.012)
    p.rect(0.12, 0.42, 0.28, 0.72, r=0.06)
    p.rect(0.72, 0.42, 0.88, 0.72, r=0.06)


def _earbuds(p: Pen) -> None:
    p.rect(0.28, 0.3, 0.72, 0.74, r=0.12)
    p.line([(0.28, 0.44), (0.72, 0.44)], 0.01)
    p.circle(0.5, 0.58, 0.015, fill=(80, 200, 120), outline=False)
    p.circle(0.2, 0.2, 0.06, fill=p.light)
    p.rect(0.18, 0.22, 0.22, 0.34, r=0.02, fill=p.light)


def _speaker(p: Pen) -> None:
    p.rect(0.26, 0.1, 0.74, 0.8, r=0.06)
    p.circle(0.5, 0.32, 0.12, fill=p.dark)
    p.circle(0.5, 0.32, 0.04, fill=GREY)
    p.circle(0.5, 0.62, 0.09, fill=p.dark)


def _camera(p: Pen) -> None:
    p.rect(0.12, 0.3, 0.88, 0.74, r=0.05)
    p.rect(0.2, 0.22, 0.38, 0.3, r=0.02, fill=p.dark)
    p.circle(0.52, 0.52, 0.17, fill=GREY)
    p.circle(0.52, 0.52, 0.1, fill=SCREEN)
    p.circle(0.49, 0.49, 0.025, fill=(140, 160, 200), outline=False)
    p.circle(0.8, 0.38, 0.025, fill=WHITE)


def _lens(p: Pen) -> None:
    p.rect(0.3, 0.16, 0.7, 0.76, r=0.03)
    for y in (0.3, 0.34, 0.5):
        p.line([(0.3, y), (0.7, y)], 0.01, fill=p.detail)
    p.ellipse(0.3, 0.1, 0.7, 0.22, fill=SCREEN)


def _drone(p: Pen) -> None:
    p.line([(0.2, 0.3), (0.8, 0.66)], 0.03, fill=p.dark)
    p.line([(0.8, 0.3), (0.2, 0.66)], 0.03, fill=p.dark)
    p.rect(0.38, 0.38, 0.62, 0.58, r=0.05)
    for cx, cy in ((0.2, 0.3), (0.8, 0.3), (0.2, 0.66), (0.8, 0.66)):
        p.ellipse(cx - 0.14, cy - 0.03, cx + 0.14, cy + 0.03, fill=p.light)


def _cable(p: Pen) -> None:
    for i in range(3):
        p.arc(0.24 + i * 0.03, 0.2 + i * 0.03, 0.76 - i * 0.03, 0.72 - i * 0.03, 0, 360, 0.018, fill=p.main)
    p.line([(0.7, 0.6), (0.84, 0.8)], 0.018, fill=p.main)
    p.rect(0.8, 0.76, 0.9, 0.86, r=0.01, fill=p.main)
    p.rect(0.82, 0.84, 0.88, 0.88, fill=METAL, outline=False)


# ----------------------------------------------------------------------------------------------- toys & collectibles


def _brick(p: Pen) -> None:
    p.poly([(0.12, 0.44), (0.62, 0.44), (0.88, 0.32), (0.38, 0.32)], fill=p.light)
    p.poly([(0.62, 0.44), (0.88, 0.32), (0.88, 0.58), (0.62, 0.72)], fill=p.dark)
    p.rect(0.12, 0.44, 0.62, 0.72, fill=p.main)
    for row in (1, 0):  # back row first, so the front studs overlap it
        for col in range(4):
            cx, cy = 0.2 + col * 0.115 + row * 0.12, 0.41 - row * 0.06
            p.rect(cx - 0.035, cy - 0.05, cx + 0.035, cy, fill=p.main, outline=False)
            p.line([(cx - 0.035, cy - 0.05), (cx - 0.035, cy)], 0.006)
            p.line([(cx + 0.035, cy - 0.05), (cx + 0.035, cy)], 0.006)
            p.ellipse(cx - 0.035, cy - 0.012, cx + 0.035, cy + 0.012, fill=p.main, outline=False)
            p.ellipse(cx - 0.035, cy - 0.062, cx + 0.035, cy - 0.038, fill=p.light)


def _blocks(p: Pen) -> None:
    p.rect(0.18, 0.5, 0.46, 0.78, fill=p.main)
    p.rect(0.54, 0.5, 0.82, 0.78, fill=p.light)
    p.rect(0.36, 0.22, 0.64, 0.5, fill=p.dark)
    for x0, y0 in ((0.18, 0.5), (0.54, 0.5), (0.36, 0.22)):
        p.rect(x0 + 0.07, y0 + 0.07, x0 + 0.21, y0 + 0.21, fill=WHITE, outline=False)


def _figure(p: Pen) -> None:
    p.rect(0.38, 0.5, 0.62, 0.78, r=0.04, fill=p.main)
    p.rect(0.26, 0.1, 0.74, 0.52, r=0.12, fill=(240, 214, 190))
    p.poly([(0.26, 0.24), (0.3, 0.1), (0.7, 0.1), (0.74, 0.24), (0.74, 0.18), (0.26, 0.18)], fill=p.dark)
    p.circle(0.41, 0.34, 0.04, fill=(20, 20, 24), outline=False)
    p.circle(0.59, 0.34, 0.04, fill=(20, 20, 24), outline=False)
    p.rect(0.3, 0.76, 0.7, 0.8, fill=p.dark)


def _doll(p: Pen) -> None:
    p.poly([(0.44, 0.36), (0.56, 0.36), (0.7, 0.76), (0.3, 0.76)])
    p.ellipse(0.34, 0.06, 0.66, 0.4, fill=(120, 80, 40))
    p.circle(0.5, 0.22, 0.12, fill=(242, 216, 194))
    p.line([(0.45, 0.76), (0.45, 0.86)], 0.02, fill=(242, 216, 194))
    p.line([(0.55, 0.76), (0.55, 0.86)], 0.02, fill=(242, 216, 194))


def _plush(p: Pen) -> None:
    p.circle(0.32, 0.16, 0.08)
    p.circle(0.68, 0.16, 0.08)
    p.ellipse(0.26, 0.44, 0.74, 0.84)
    p.circle(0.5, 0.3, 0.2)
    p.ellipse(0.42, 0.32, 0.58, 0.44, fill=p.light)
    p.circle(0.43, 0.26, 0.02, fill=(20, 20, 24), outline=False)
    p.circle(0.57, 0.26, 0.02, fill=(20, 20, 24), outline=False)
    p.circle(0.5, 0.35, 0.02, fill=(20, 20, 24), outline=False)


def _card(p: Pen) -> None:
    p.rect(0.3, 0.06, 0.7, 0.82, r=0.02, fill=(250, 214, 80))
    p.rect(0.33, 0.1, 0.67, 0.78, r=0.01, fill=p.main)
    p.rect(0.36, 0.18, 0.64, 0.44, fill=p.light)
    p.circle(0.5, 0.31, 0.07, fill=p.dark, outline=False)
    for y in (0.52, 0.58, 0.64):
        p.line([(0.37, y), (0.63, y)], 0.008, fill=p.detail)


def _banknote(p: Pen) -> None:
    p.rect(0.08, 0.3, 0.92, 0.66, r=0.01, fill=(196, 214, 180))
    p.rect(0.11, 0.33, 0.89, 0.63, fill=p.light)
    p.ellipse(0.4, 0.36, 0.6, 0.6, fill=p.main)
    p.circle(0.2, 0.48, 0.05, fill=p.dark)


def _coin(p: Pen) -> None:
    p.circle(0.5, 0.46, 0.3)
    p.circle(0.5, 0.46, 0.24, fill=p.light)
    p.ellipse(0.42, 0.32, 0.6, 0.56, fill=p.main)


def _car(p: Pen) -> None:
    p.poly([(0.08, 0.58), (0.1, 0.46), (0.3, 0.44), (0.4, 0.3), (0.66, 0.3), (0.78, 0.44), (0.92, 0.48),
            (0.92, 0.6)])
    p.poly([(0.42, 0.34), (0.52, 0.34), (0.52, 0.44), (0.34, 0.44)], fill=(180, 210, 235))
    p.poly([(0.56, 0.34), (0.64, 0.34), (0.73, 0.44), (0.56, 0.44)], fill=(180, 210, 235))
    p.circle(0.27, 0.62, 0.08, fill=GREY)
    p.circle(0.73, 0.62, 0.08, fill=GREY)
    p.circle(0.27, 0.62, 0.03, fill=METAL, outline=False)
    p.circle(0.73, 0.62, 0.03, fill=METAL, outline=False)


def _train(p: Pen) -> None:
    p.rect(0.14, 0.36, 0.7, 0.64)
    p.rect(0.52, 0.2, 0.82, 0.64)
    p.rect(0.58, 0.26, 0.76, 0.4, fill=(180, 210, 235))
    p.rect(0.22, 0.22, 0.3, 0.36, fill=p.dark)
    for cx in (0.24, 0.42, 0.62, 0.76):
        p.circle(cx, 0.68, 0.06, fill=GREY)


def _blaster(p: Pen) -> None:
    p.rect(0.12, 0.3, 0.8, 0.46, r=0.04)
    p.rect(0.8, 0.32, 0.9, 0.44, r=0.02, fill=(245, 140, 30))
    p.poly([(0.22, 0.46), (0.36, 0.46), (0.3, 0.76), (0.16, 0.76)], fill=p.dark)
    p.rect(0.44, 0.46, 0.6, 0.6, r=0.02, fill=p.light)


def _ball(p: Pen) -> None:
    p.circle(0.5, 0.46, 0.3)
    p.arc(0.2, 0.16, 0.8, 0.76, 0, 360, 0.012)
    p.line([(0.5, 0.16), (0.5, 0.76)], 0.012)
    p.arc(0.06, 0.16, 0.4, 0.76, 300, 60, 0.012)
    p.arc(0.6, 0.16, 0.94, 0.76, 120, 240, 0.012)


def _balloon(p: Pen) -> None:
    p.ellipse(0.3, 0.08, 0.7, 0.58)
    p.poly([(0.48, 0.58), (0.52, 0.58), (0.54, 0.62), (0.46, 0.62)], fill=p.dark)
    p.line([(0.5, 0.62), (0.46, 0.72), (0.54, 0.8)], 0.008, fill=GREY)
    p.ellipse(0.38, 0.16, 0.46, 0.28, fill=p.light, outline=False)


def _house(p: Pen) -> None:
    p.rect(0.2, 0.4, 0.8, 0.8)
    p.poly([(0.12, 0.42), (0.5, 0.1), (0.88, 0.42)], fill=p.dark)
    p.rect(0.44, 0.58, 0.56, 0.8, fill=p.light)
    p.rect(0.26, 0.48, 0.38, 0.58, fill=(180, 210, 235))
    p.rect(0.62, 0.48, 0.74, 0.58, fill=(180, 210, 235))


# ----------------------------------------------------------------------------------------------- media


def _book(p: Pen) -> None:
    p.poly([(0.28, 0.12), (0.7, 0.1), (0.76, 0.16), (0.76, 0.82), (0.34, 0.84), (0.28, 0.78)], fill=p.dark)
    p.rect(0.28, 0.12, 0.7, 0.8, fill=p.main)
    p.rect(0.28, 0.12, 0.34, 0.8, fill=p.dark, outline=False)
    p.rect(0.4, 0.24, 0.64, 0.3, fill=p.detail, outline=False)
    p.rect(0.44, 0.34, 0.6, 0.37, fill=p.detail, outline=False)


def _disc(p: Pen) -> None:
    p.circle(0.6, 0.45, 0.3, fill=(24, 24, 26))
    p.arc(0.36, 0.21, 0.84, 0.69, 0, 360, 0.004, fill=(60, 60, 64))
    p.rect(0.14, 0.15, 0.6, 0.75, fill=p.main)
    p.circle(0.37, 0.45, 0.12, fill=p.light)
    p.circle(0.37, 0.45, 0.02, fill=p.dark, outline=False)


def _cassette(p: Pen) -> None:
    p.rect(0.12, 0.26, 0.88, 0.7, r=0.03)
    p.rect(0.2, 0.32, 0.8, 0.56, r=0.02, fill=WHITE)
    p.circle(0.36, 0.44, 0.06, fill=GREY)
    p.circle(0.64, 0.44, 0.06, fill=GREY)
    p.poly([(0.3, 0.7), (0.34, 0.6), (0.66, 0.6), (0.7, 0.7)], fill=p.dark)


# shape name (`catalog_data.TREE`) -> its drawing
GOODS_DRAWINGS: dict[str, Callable[[Pen], None]] = {
    "phone": _phone, "tablet": _tablet, "laptop": _laptop, "tv": _tv, "monitor": _tv, "keyboard": _keyboard,
    "mouse": _mouse, "console": _console, "controller": _controller, "handheld": _handheld, "game_case": _game_case,
    "dvd": _game_case, "headphones": _headphones, "earbuds": _earbuds, "speaker": _speaker, "camera": _camera,
    "lens": _lens, "drone": _drone, "cable": _cable, "brick": _brick, "blocks": _blocks, "figure": _figure,
    "doll": _doll, "plush": _plush, "card": _card, "banknote": _banknote, "coin": _coin, "car": _car, "train": _train,
    "blaster": _blaster, "ball": _ball, "balloon": _balloon, "house": _house, "book": _book, "disc": _disc,
    "cassette": _cassette,
}
