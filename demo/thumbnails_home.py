"""Thumbnail drawings of home and kitchen, beauty, sports and outdoor, pet, tool and instrument listings."""

from __future__ import annotations

import math
from collections.abc import Callable

from demo.thumbnails_pen import GREEN, GREY, METAL, SCREEN, WHITE, Pen, mix

# ----------------------------------------------------------------------------------------------- home & kitchen


def _mug(p: Pen) -> None:
    p.arc(0.56, 0.3, 0.84, 0.6, 270, 90, 0.04, fill=p.main)
    p.rect(0.22, 0.2, 0.66, 0.76, r=0.04)
    p.ellipse(0.22, 0.16, 0.66, 0.26, fill=p.dark)


def _bowl(p: Pen) -> None:
    p.draw.chord(p.box(0.14, 0.1, 0.86, 0.76), 0, 180, fill=p.main, outline=p.dark, width=p.width)
    p.ellipse(0.14, 0.36, 0.86, 0.5, fill=p.light)
    p.rect(0.4, 0.74, 0.6, 0.78, fill=p.dark)


def _pan(p: Pen) -> None:
    p.line([(0.62, 0.46), (0.94, 0.3)], 0.05, fill=GREY)
    p.ellipse(0.06, 0.26, 0.66, 0.7)
    p.ellipse(0.12, 0.3, 0.6, 0.64, fill=SCREEN)


def _bottle(p: Pen) -> None:
    p.rect(0.32, 0.3, 0.68, 0.82, r=0.06)
    p.rect(0.42, 0.18, 0.58, 0.3, fill=WHITE)
    p.rect(0.46, 0.08, 0.54, 0.18, fill=WHITE)
    p.line([(0.54, 0.1), (0.64, 0.1)], 0.02, fill=WHITE)
    p.rect(0.36, 0.46, 0.64, 0.64, fill=p.light, outline=False)


def _jar(p: Pen) -> None:
    p.rect(0.22, 0.4, 0.78, 0.78, r=0.06)
    p.rect(0.2, 0.28, 0.8, 0.42, r=0.02, fill=WHITE if p.main != WHITE else METAL)
    p.rect(0.32, 0.52, 0.68, 0.66, fill=p.light, outline=False)


def _perfume(p: Pen) -> None:
    p.rect(0.26, 0.34, 0.74, 0.8, r=0.04, fill=p.light)
    p.rect(0.3, 0.42, 0.7, 0.76, r=0.02, fill=p.main, outline=False)
    p.rect(0.44, 0.24, 0.56, 0.34, fill=METAL)
    p.rect(0.38, 0.12, 0.62, 0.24, r=0.02, fill=(212, 172, 52))


def _lipstick(p: Pen) -> None:
    p.rect(0.38, 0.46, 0.62, 0.84, r=0.01, fill=GREY)
    p.rect(0.4, 0.36, 0.6, 0.46, fill=(212, 172, 52))
    p.poly([(0.42, 0.36), (0.42, 0.18), (0.58, 0.1), (0.58, 0.36)], fill=p.main)


def _compact(p: Pen) -> None:
    p.ellipse(0.18, 0.06, 0.82, 0.44, fill=METAL)
    p.ellipse(0.22, 0.1, 0.78, 0.4, fill=(210, 220, 230))
    p.ellipse(0.18, 0.4, 0.82, 0.82, fill=GREY)
    p.ellipse(0.24, 0.46, 0.76, 0.76, fill=p.main)


def _palette(p: Pen) -> None:
    p.rect(0.1, 0.22, 0.9, 0.72, r=0.03, fill=GREY)
    for row in range(2):
        for col in range(4):
            shade = mix(p.main, (255, 255, 255) if (row + col) % 2 else (0, 0, 0), 0.12 * ((row * 4 + col) % 4))
            x, y = 0.15 + col * 0.185, 0.28 + row * 0.22
            p.rect(x, y, x + 0.15, y + 0.17, r=0.01, fill=shade, outline=False)


def _nail_polish(p: Pen) -> None:
    p.rect(0.3, 0.46, 0.7, 0.82, r=0.08)
    p.rect(0.42, 0.12, 0.58, 0.46, r=0.02, fill=GREY)
    p.ellipse(0.36, 0.52, 0.5, 0.62, fill=p.light, outline=False)


def _brush(p: Pen) -> None:
    p.line([(0.3, 0.82), (0.56, 0.4)], 0.05, fill=GREY)
    p.poly([(0.52, 0.42), (0.6, 0.46), (0.72, 0.16), (0.6, 0.1)], fill=p.main)
    p.line([(0.66, 0.12), (0.7, 0.04)], 0.008, fill=p.dark)


def _baby_bottle(p: Pen) -> None:
    p.rect(0.34, 0.36, 0.66, 0.84, r=0.08, fill=(240, 240, 244))
    p.rect(0.36, 0.5, 0.64, 0.82, r=0.06, fill=p.main, outline=False)
    p.rect(0.32, 0.28, 0.68, 0.36, fill=p.dark)
    p.poly([(0.42, 0.28), (0.46, 0.12), (0.54, 0.12), (0.58, 0.28)], fill=(232, 200, 150))


def _candle(p: Pen) -> None:
    p.rect(0.26, 0.34, 0.74, 0.82, r=0.04, fill=p.main)
    p.ellipse(0.26, 0.3, 0.74, 0.4, fill=p.light)
    p.line([(0.5, 0.34), (0.5, 0.26)], 0.01, fill=GREY)
    p.ellipse(0.46, 0.12, 0.54, 0.28, fill=(250, 190, 60), outline=False)
    p.rect(0.34, 0.5, 0.66, 0.64, fill=WHITE)


def _frame(p: Pen) -> None:
    p.rect(0.14, 0.12, 0.86, 0.78, fill=p.main)
    p.rect(0.22, 0.2, 0.78, 0.7, fill=(200, 224, 240))
    p.poly([(0.22, 0.7), (0.4, 0.42), (0.54, 0.6), (0.64, 0.5), (0.78, 0.7)], fill=(90, 150, 90), outline=False)
    p.circle(0.66, 0.32, 0.05, fill=(250, 210, 80), outline=False)


def _vase(p: Pen) -> None:
    p.poly([(0.42, 0.12), (0.58, 0.12), (0.56, 0.26), (0.72, 0.46), (0.68, 0.72), (0.6, 0.8), (0.4, 0.8),
            (0.32, 0.72), (0.28, 0.46), (0.44, 0.26)])
    p.line([(0.31, 0.5), (0.69, 0.5)], 0.01, fill=p.detail)


def _clock(p: Pen) -> None:
    p.circle(0.5, 0.45, 0.32)
    p.circle(0.5, 0.45, 0.26, fill=WHITE)
    for i in range(12):
        a = i * math.pi / 6
        p.line([(0.5 + 0.22 * math.cos(a), 0.45 + 0.22 * math.sin(a)),
                (0.5 + 0.25 * math.cos(a), 0.45 + 0.25 * math.sin(a))], 0.008, fill=GREY)
    p.line([(0.5, 0.45), (0.5, 0.28)], 0.014, fill=GREY)
    p.line([(0.5, 0.45), (0.62, 0.5)], 0.014, fill=GREY)


def _pillow(p: Pen) -> None:
    p.poly([(0.14, 0.22), (0.5, 0.26), (0.86, 0.22), (0.82, 0.47), (0.86, 0.72), (0.5, 0.68), (0.14, 0.72),
            (0.18, 0.47)])
    p.line([(0.22, 0.3), (0.3, 0.36)], 0.008)
    p.line([(0.78, 0.64), (0.7, 0.58)], 0.008)


def _towel(p: Pen) -> None:
    for i, y in enumerate((0.58, 0.42, 0.26)):
        p.rect(0.16 + i * 0.03, y, 0.84 - i * 0.03, y + 0.16, r=0.04, fill=p.main if i % 2 == 0 else p.light)
        p.line([(0.2 + i * 0.03, y + 0.12), (0.8 - i * 0.03, y + 0.12)], 0.006)


def _chair(p: Pen) -> None:
    p.rect(0.3, 0.08, 0.7, 0.46, r=0.04)
    p.rect(0.26, 0.46, 0.74, 0.56, r=0.02, fill=p.dark)
    for x in (0.3, 0.66):
        p.rect(x, 0.56, x + 0.04, 0.84, fill=p.dark)


def _table(p: Pen) -> None:
    p.rect(0.08, 0.34, 0.92, 0.42, r=0.01)
    for x in (0.14, 0.8):
        p.rect(x, 0.42, x + 0.05, 0.82, fill=p.dark)


def _shelf(p: Pen) -> None:
    p.rect(0.22, 0.08, 0.78, 0.84)
    for y in (0.3, 0.52, 0.74):
        p.rect(0.26, y - 0.18, 0.74, y, fill=p.light, outline=False)
        p.line([(0.24, y), (0.76, y)], 0.012)
    for i in range(4):
        p.rect(0.3 + i * 0.07, 0.16, 0.35 + i * 0.07, 0.3, fill=((200, 80, 60), (60, 110, 170), (220, 180, 60),
                                                                 (90, 150, 90))[i], outline=False)


def _lamp(p: Pen) -> None:
    p.poly([(0.34, 0.1), (0.66, 0.1), (0.78, 0.4), (0.22, 0.4)])
    p.rect(0.48, 0.4, 0.52, 0.76, fill=GREY, outline=False)
    p.ellipse(0.32, 0.74, 0.68, 0.82, fill=GREY)


def _vacuum(p: Pen) -> None:
    p.line([(0.5, 0.06), (0.5, 0.62)], 0.03, fill=GREY)
    p.rect(0.4, 0.2, 0.62, 0.56, r=0.08)
    p.rect(0.44, 0.26, 0.58, 0.42, r=0.04, fill=(180, 190, 200))
    p.rect(0.28, 0.64, 0.72, 0.76, r=0.03, fill=p.dark)


def _fan(p: Pen) -> None:
    p.circle(0.5, 0.36, 0.28, fill=WHITE)
    for i in range(3):
        a = i * 2 * math.pi / 3
        p.ellipse(0.5 + 0.13 * math.cos(a) - 0.09, 0.36 + 0.13 * math.sin(a) - 0.09,
                  0.5 + 0.13 * math.cos(a) + 0.09, 0.36 + 0.13 * math.sin(a) + 0.09, fill=p.main)
    p.circle(0.5, 0.36, 0.04, fill=p.dark)
    p.rect(0.47, 0.64, 0.53, 0.78, fill=p.dark, outline=False)
    p.ellipse(0.34, 0.76, 0.66, 0.82, fill=p.main)


def _hairdryer(p: Pen) -> None:
    p.rect(0.14, 0.22, 0.72, 0.44, r=0.1)
    p.rect(0.72, 0.24, 0.82, 0.42, r=0.02, fill=p.dark)
    p.poly([(0.36, 0.42), (0.5, 0.42), (0.46, 0.8), (0.34, 0.8)], fill=p.main)
    p.circle(0.24, 0.33, 0.06, fill=p.dark)


def _ornament(p: Pen) -> None:
    p.circle(0.5, 0.52, 0.28)
    p.rect(0.44, 0.18, 0.56, 0.26, fill=(212, 172, 52))
    p.arc(0.46, 0.1, 0.54, 0.2, 180, 360, 0.01, fill=GREY)
    p.arc(0.24, 0.4, 0.76, 0.62, 0, 180, 0.02, fill=p.light)


def _plant(p: Pen) -> None:
    for angle in (-60, -30, 0, 30, 60):
        a = math.radians(angle - 90)
        cx, cy = 0.5 + 0.2 * math.cos(a), 0.42 + 0.22 * math.sin(a)
        p.ellipse(cx - 0.07, cy - 0.12, cx + 0.07, cy + 0.12, fill=GREEN)
    p.poly([(0.3, 0.46), (0.7, 0.46), (0.64, 0.8), (0.36, 0.8)])
    p.rect(0.28, 0.44, 0.72, 0.5, fill=p.dark)


def _basket(p: Pen) -> None:
    p.arc(0.3, 0.12, 0.7, 0.5, 180, 360, 0.025)
    p.poly([(0.16, 0.36), (0.84, 0.36), (0.76, 0.78), (0.24, 0.78)])
    for y in (0.46, 0.56, 0.66):
        p.line([(0.18, y), (0.82, y)], 0.008)


def _box(p: Pen) -> None:
    p.poly([(0.16, 0.34), (0.62, 0.34), (0.84, 0.22), (0.38, 0.22)], fill=p.light)
    p.poly([(0.62, 0.34), (0.84, 0.22), (0.84, 0.62), (0.62, 0.76)], fill=p.dark)
    p.rect(0.16, 0.34, 0.62, 0.76)
    p.rect(0.26, 0.46, 0.52, 0.58, fill=WHITE, outline=False)


# ----------------------------------------------------------------------------------------------- sports, outdoor, pets


def _dumbbell(p: Pen) -> None:
    p.rect(0.2, 0.44, 0.8, 0.5, fill=METAL)
    for x in (0.14, 0.72):
        p.rect(x, 0.3, x + 0.14, 0.64, r=0.03)


def _kettlebell(p: Pen) -> None:
    p.arc(0.32, 0.12, 0.68, 0.5, 180, 360, 0.06, fill=p.dark)
    p.circle(0.5, 0.56, 0.24)


def _mat(p: Pen) -> None:
    p.rect(0.1, 0.34, 0.78, 0.6, r=0.02)
    p.ellipse(0.7, 0.34, 0.88, 0.6, fill=p.light)
    p.arc(0.74, 0.4, 0.84, 0.54, 0, 360, 0.01)


def _bike(p: Pen) -> None:
    for cx in (0.26, 0.74):
        p.arc(cx - 0.17, 0.46, cx + 0.17, 0.8, 0, 360, 0.018, fill=GREY)
    p.line([(0.26, 0.63), (0.44, 0.4), (0.66, 0.4), (0.74, 0.63)], 0.025, fill=p.main)
    p.line([(0.44, 0.4), (0.5, 0.63), (0.26, 0.63)], 0.025, fill=p.main)
    p.line([(0.5, 0.63), (0.66, 0.4)], 0.025, fill=p.main)
    p.line([(0.44, 0.4), (0.42, 0.32)], 0.02, fill=GREY)
    p.line([(0.66, 0.4), (0.64, 0.3), (0.72, 0.3)], 0.02, fill=GREY)


def _helmet(p: Pen) -> None:
    p.draw.chord(p.box(0.16, 0.18, 0.84, 0.86), 180, 360, fill=p.main, outline=p.dark, width=p.width)
    for x in (0.38, 0.5, 0.62):
        p.rect(x - 0.03, 0.26, x + 0.03, 0.44, r=0.02, fill=p.dark, outline=False)
    p.rect(0.14, 0.5, 0.86, 0.56, r=0.02, fill=p.dark)


def _tent(p: Pen) -> None:
    p.poly([(0.08, 0.78), (0.5, 0.14), (0.92, 0.78)])
    p.poly([(0.38, 0.78), (0.5, 0.46), (0.62, 0.78)], fill=p.dark)
    p.line([(0.5, 0.14), (0.5, 0.08)], 0.012, fill=GREY)


def _golf(p: Pen) -> None:
    p.line([(0.3, 0.08), (0.6, 0.7)], 0.025, fill=METAL)
    p.poly([(0.56, 0.66), (0.66, 0.64), (0.82, 0.72), (0.8, 0.8), (0.58, 0.78)])
    p.rect(0.27, 0.06, 0.35, 0.24, r=0.02, fill=GREY)
    p.circle(0.3, 0.74, 0.05, fill=WHITE)


def _glove(p: Pen) -> None:
    p.poly([(0.24, 0.8), (0.16, 0.46), (0.2, 0.2), (0.34, 0.12), (0.52, 0.1), (0.68, 0.14), (0.82, 0.3),
            (0.86, 0.5), (0.7, 0.8)])
    for x in (0.34, 0.48, 0.62):
        p.line([(x, 0.16), (x + 0.02, 0.46)], 0.01)
    p.ellipse(0.4, 0.46, 0.66, 0.7, fill=p.light)


def _fishing(p: Pen) -> None:
    p.line([(0.14, 0.82), (0.86, 0.1)], 0.018, fill=p.main)
    p.line([(0.86, 0.1), (0.88, 0.6)], 0.005, fill=GREY)
    p.circle(0.3, 0.62, 0.08, fill=METAL)
    p.rect(0.14, 0.72, 0.26, 0.84, r=0.02, fill=p.dark)


def _fish(p: Pen) -> None:
    p.ellipse(0.16, 0.32, 0.72, 0.6)
    p.poly([(0.7, 0.46), (0.88, 0.32), (0.88, 0.6)], fill=p.dark)
    p.circle(0.28, 0.43, 0.03, fill=WHITE)
    p.line([(0.4, 0.6), (0.42, 0.7), (0.38, 0.72)], 0.01, fill=METAL)


def _skateboard(p: Pen) -> None:
    p.rect(0.06, 0.4, 0.94, 0.52, r=0.06)
    for cx in (0.22, 0.78):
        p.circle(cx, 0.6, 0.05, fill=WHITE)
    p.line([(0.14, 0.46), (0.86, 0.46)], 0.006, fill=p.detail)


def _scooter(p: Pen) -> None:
    p.line([(0.72, 0.12), (0.78, 0.7)], 0.025, fill=GREY)
    p.line([(0.64, 0.12), (0.82, 0.12)], 0.025, fill=GREY)
    p.rect(0.16, 0.62, 0.78, 0.7, r=0.02)
    p.circle(0.2, 0.74, 0.06, fill=GREY)
    p.circle(0.78, 0.74, 0.06, fill=GREY)


def _stroller(p: Pen) -> None:
    p.draw.pieslice(p.box(0.16, 0.12, 0.72, 0.68), 180, 360, fill=p.main, outline=p.dark, width=p.width)
    p.rect(0.2, 0.4, 0.72, 0.56, r=0.04)
    p.line([(0.72, 0.4), (0.86, 0.16)], 0.02, fill=GREY)
    p.line([(0.3, 0.56), (0.26, 0.72)], 0.015, fill=GREY)
    p.line([(0.64, 0.56), (0.7, 0.72)], 0.015, fill=GREY)
    p.circle(0.26, 0.75, 0.05, fill=GREY)
    p.circle(0.7, 0.75, 0.05, fill=GREY)


def _cage(p: Pen) -> None:
    p.arc(0.2, 0.1, 0.8, 0.5, 180, 360, 0.016, fill=p.main)
    for i in range(7):
        x = 0.22 + i * 0.0933
        p.line([(x, 0.3), (x, 0.76)], 0.012, fill=p.main)
    p.rect(0.16, 0.74, 0.84, 0.8, fill=p.dark)


def _aquarium(p: Pen) -> None:
    p.rect(0.1, 0.2, 0.9, 0.74, fill=(170, 210, 235))
    p.rect(0.1, 0.2, 0.9, 0.3, fill=p.main)
    p.rect(0.1, 0.66, 0.9, 0.74, fill=(210, 190, 150), outline=False)
    p.ellipse(0.4, 0.42, 0.56, 0.52, fill=(245, 140, 30), outline=False)
    p.rect(0.08, 0.74, 0.92, 0.8, fill=p.dark)


def _bone(p: Pen) -> None:
    p.rect(0.24, 0.4, 0.76, 0.52, fill=p.main, outline=False)
    for cx in (0.2, 0.8):
        p.circle(cx, 0.38, 0.07, outline=False)
        p.circle(cx, 0.54, 0.07, outline=False)


def _yarn(p: Pen) -> None:
    p.line([(0.62, 0.7), (0.8, 0.8), (0.9, 0.74)], 0.012, fill=p.main)
    p.circle(0.5, 0.46, 0.28)
    for w in (0.07, 0.14, 0.21):
        p.arc(0.5 - w, 0.19, 0.5 + w, 0.73, 0, 360, 0.01)
    for h in (0.08, 0.16):
        p.arc(0.23, 0.46 - h, 0.77, 0.46 + h, 200, 340, 0.01)


def _tool(p: Pen) -> None:
    p.poly([(0.47, 0.3), (0.55, 0.3), (0.57, 0.82), (0.45, 0.82)], fill=(150, 100, 60))
    p.rect(0.44, 0.66, 0.58, 0.82, r=0.02, fill=p.main)
    p.poly([(0.24, 0.14), (0.7, 0.14), (0.8, 0.2), (0.7, 0.3), (0.24, 0.3)], fill=METAL)
    p.rect(0.2, 0.12, 0.3, 0.32, r=0.01, fill=METAL)


def _drill(p: Pen) -> None:
    p.rect(0.2, 0.26, 0.74, 0.44, r=0.06)
    p.rect(0.74, 0.31, 0.86, 0.39, fill=METAL)
    p.poly([(0.32, 0.44), (0.48, 0.44), (0.44, 0.74), (0.28, 0.74)], fill=p.dark)
    p.rect(0.24, 0.72, 0.52, 0.8, r=0.02, fill=GREY)


def _pen(p: Pen) -> None:
    for i, offset in enumerate((-0.16, 0.0, 0.16)):
        colour = p.main if i == 1 else (p.light if i == 0 else p.dark)
        p.rect(0.44 + offset, 0.2, 0.52 + offset, 0.72, r=0.01, fill=colour)
        p.poly([(0.44 + offset, 0.72), (0.52 + offset, 0.72), (0.48 + offset, 0.8)], fill=(232, 200, 150))


def _guitar(p: Pen) -> None:
    p.rect(0.47, 0.04, 0.53, 0.44, fill=(120, 80, 40))
    p.rect(0.45, 0.02, 0.55, 0.1, r=0.01, fill=p.dark)
    p.circle(0.5, 0.5, 0.14)
    p.circle(0.5, 0.68, 0.18)
    p.circle(0.5, 0.56, 0.04, fill=SCREEN)
    p.rect(0.42, 0.7, 0.58, 0.73, fill=p.dark, outline=False)


def _drum(p: Pen) -> None:
    p.rect(0.2, 0.34, 0.8, 0.72, fill=p.main)
    p.ellipse(0.2, 0.26, 0.8, 0.42, fill=WHITE)
    p.ellipse(0.2, 0.64, 0.8, 0.8, fill=p.main)
    for x in (0.3, 0.5, 0.7):
        p.line([(x, 0.4), (x, 0.74)], 0.008, fill=METAL)
    p.line([(0.56, 0.3), (0.84, 0.1)], 0.015, fill=(200, 160, 100))


def _mic(p: Pen) -> None:
    p.rect(0.44, 0.4, 0.56, 0.82, r=0.03, fill=p.main)
    p.circle(0.5, 0.28, 0.14, fill=METAL)
    for y in (0.22, 0.28, 0.34):
        p.line([(0.38, y), (0.62, y)], 0.006, fill=GREY)


def _grill(p: Pen) -> None:
    p.draw.chord(p.box(0.2, 0.08, 0.8, 0.68), 0, 180, fill=p.main, outline=p.dark, width=p.width)
    p.draw.chord(p.box(0.2, 0.1, 0.8, 0.66), 180, 360, fill=p.dark, outline=p.dark, width=p.width)
    p.line([(0.32, 0.58), (0.26, 0.84)], 0.015, fill=GREY)
    p.line([(0.68, 0.58), (0.74, 0.84)], 0.015, fill=GREY)
    p.rect(0.46, 0.12, 0.54, 0.16, fill=GREY)


# shape name (`catalog_data.TREE`) -> its drawing
HOME_DRAWINGS: dict[str, Callable[[Pen], None]] = {
    "mug": _mug, "bowl": _bowl, "pan": _pan, "bottle": _bottle, "jar": _jar, "perfume": _perfume, "lipstick": _lipstick,
    "compact": _compact, "palette": _palette, "nail_polish": _nail_polish, "brush": _brush, "baby_bottle": _baby_bottle,
    "candle": _candle, "frame": _frame, "vase": _vase, "clock": _clock, "pillow": _pillow, "towel": _towel,
    "chair": _chair, "table": _table, "shelf": _shelf, "lamp": _lamp, "vacuum": _vacuum, "fan": _fan,
    "hairdryer": _hairdryer, "ornament": _ornament, "plant": _plant, "basket": _basket, "box": _box,
    "dumbbell": _dumbbell, "kettlebell": _kettlebell, "mat": _mat, "bike": _bike, "helmet": _helmet, "tent": _tent,
    "golf": _golf, "glove": _glove, "fishing": _fishing, "reel": _fishing, "fish": _fish, "skateboard": _skateboard,
    "scooter": _scooter, "stroller": _stroller, "cage": _cage, "aquarium": _aquarium, "bone": _bone, "yarn": _yarn,
    "tool": _tool, "drill": _drill, "pen": _pen, "guitar": _guitar, "drum": _drum, "mic": _mic, "grill": _grill,
}
