"""Thumbnail drawings of things people wear: clothing, footwear, bags and accessories."""

from __future__ import annotations

from collections.abc import Callable

from demo.thumbnails_pen import BACKGROUND, GREY, METAL, SCREEN, WHITE, Pen

# ----------------------------------------------------------------------------------------------- clothing


def _shirt(p: Pen) -> None:
    p.poly([(0.36, 0.12), (0.2, 0.2), (0.1, 0.36), (0.22, 0.42), (0.28, 0.34), (0.28, 0.78), (0.72, 0.78),
            (0.72, 0.34), (0.78, 0.42), (0.9, 0.36), (0.8, 0.2), (0.64, 0.12), (0.58, 0.17), (0.42, 0.17)])
    p.arc(0.4, 0.07, 0.6, 0.22, 20, 160, 0.014)


def _sweater(p: Pen) -> None:
    p.poly([(0.36, 0.12), (0.2, 0.18), (0.1, 0.7), (0.2, 0.72), (0.28, 0.34), (0.28, 0.78), (0.72, 0.78),
            (0.72, 0.34), (0.8, 0.72), (0.9, 0.7), (0.8, 0.18), (0.64, 0.12), (0.58, 0.18), (0.42, 0.18)])
    for y in (0.71, 0.74):
        p.line([(0.29, y), (0.71, y)], 0.006)
    p.arc(0.4, 0.07, 0.6, 0.24, 20, 160, 0.02)


def _jacket(p: Pen) -> None:
    _sweater(p)
    p.line([(0.5, 0.2), (0.5, 0.78)], 0.012)
    p.poly([(0.36, 0.12), (0.5, 0.3), (0.44, 0.12)], fill=p.light)
    p.poly([(0.64, 0.12), (0.5, 0.3), (0.56, 0.12)], fill=p.light)
    p.rect(0.32, 0.52, 0.44, 0.56, fill=p.dark, outline=False)
    p.rect(0.56, 0.52, 0.68, 0.56, fill=p.dark, outline=False)


def _onesie(p: Pen) -> None:
    p.poly([(0.38, 0.14), (0.22, 0.22), (0.14, 0.36), (0.26, 0.42), (0.32, 0.34), (0.32, 0.62), (0.42, 0.76),
            (0.58, 0.76), (0.68, 0.62), (0.68, 0.34), (0.74, 0.42), (0.86, 0.36), (0.78, 0.22), (0.62, 0.14),
            (0.5, 0.2)])
    for x in (0.46, 0.5, 0.54):
        p.circle(x, 0.72, 0.01, fill=p.detail, outline=False)


def _dress(p: Pen) -> None:
    p.poly([(0.4, 0.1), (0.36, 0.14), (0.38, 0.4), (0.2, 0.8), (0.8, 0.8), (0.62, 0.4), (0.64, 0.14), (0.6, 0.1),
            (0.55, 0.18), (0.45, 0.18)])
    p.line([(0.38, 0.4), (0.62, 0.4)], 0.014)


def _swimsuit(p: Pen) -> None:
    p.poly([(0.36, 0.12), (0.34, 0.4), (0.38, 0.62), (0.46, 0.74), (0.54, 0.74), (0.62, 0.62), (0.66, 0.4),
            (0.64, 0.12), (0.58, 0.12), (0.56, 0.3), (0.44, 0.3), (0.42, 0.12)])
    p.poly([(0.38, 0.62), (0.3, 0.6), (0.46, 0.74)], fill=BACKGROUND, outline=False)
    p.poly([(0.62, 0.62), (0.7, 0.6), (0.54, 0.74)], fill=BACKGROUND, outline=False)


def _pants(p: Pen) -> None:
    p.poly([(0.3, 0.1), (0.7, 0.1), (0.74, 0.82), (0.56, 0.82), (0.5, 0.32), (0.44, 0.82), (0.26, 0.82)])
    p.line([(0.3, 0.16), (0.7, 0.16)], 0.01)
    p.line([(0.5, 0.16), (0.5, 0.3)], 0.008)


def _shorts(p: Pen) -> None:
    p.poly([(0.26, 0.22), (0.74, 0.22), (0.8, 0.64), (0.56, 0.66), (0.5, 0.42), (0.44, 0.66), (0.2, 0.64)])
    p.line([(0.26, 0.28), (0.74, 0.28)], 0.01)


def _skirt(p: Pen) -> None:
    p.poly([(0.34, 0.2), (0.66, 0.2), (0.8, 0.74), (0.2, 0.74)])
    p.rect(0.33, 0.16, 0.67, 0.24, fill=p.dark)
    for x in (0.4, 0.5, 0.6):
        p.line([(x, 0.26), (x + (x - 0.5) * 0.8, 0.72)], 0.006)


# ----------------------------------------------------------------------------------------------- footwear


def _shoe(p: Pen) -> None:
    p.poly([(0.1, 0.62), (0.12, 0.42), (0.2, 0.34), (0.34, 0.36), (0.5, 0.44), (0.72, 0.48), (0.86, 0.52),
            (0.92, 0.6), (0.92, 0.64)])
    p.ellipse(0.16, 0.32, 0.36, 0.4, fill=p.dark)  # the opening at the ankle
    p.poly([(0.7, 0.5), (0.86, 0.52), (0.92, 0.6), (0.92, 0.64), (0.7, 0.64)], fill=p.light)  # toe cap
    for i in range(4):  # laces across the instep
        x, y = 0.38 + i * 0.055, 0.39 + i * 0.025
        p.line([(x - 0.02, y - 0.01), (x + 0.03, y + 0.05)], 0.012, fill=WHITE)
        p.line([(x + 0.03, y - 0.01), (x - 0.02, y + 0.05)], 0.012, fill=WHITE)
    p.line([(0.2, 0.56), (0.44, 0.5), (0.66, 0.58)], 0.02, fill=p.detail)
    p.rect(0.08, 0.62, 0.94, 0.7, r=0.035, fill=WHITE)


def _boot(p: Pen) -> None:
    p.poly([(0.28, 0.1), (0.52, 0.1), (0.54, 0.5), (0.8, 0.58), (0.86, 0.66), (0.86, 0.72), (0.24, 0.72),
            (0.26, 0.4)])
    p.rect(0.22, 0.72, 0.88, 0.78, r=0.02, fill=p.dark)
    p.line([(0.3, 0.16), (0.5, 0.16)], 0.01, fill=p.detail)


def _heel(p: Pen) -> None:
    p.poly([(0.14, 0.44), (0.3, 0.42), (0.56, 0.62), (0.86, 0.6), (0.88, 0.66), (0.56, 0.68), (0.2, 0.5)])
    p.poly([(0.14, 0.44), (0.2, 0.5), (0.22, 0.76), (0.18, 0.76)], fill=p.dark)
    p.arc(0.3, 0.36, 0.62, 0.66, 200, 330, 0.014)


# ----------------------------------------------------------------------------------------------- bags & accessories


def _handbag(p: Pen) -> None:
    p.arc(0.32, 0.12, 0.68, 0.5, 180, 360, 0.03)
    p.poly([(0.24, 0.34), (0.76, 0.34), (0.84, 0.76), (0.16, 0.76)])
    p.poly([(0.24, 0.34), (0.76, 0.34), (0.72, 0.48), (0.28, 0.48)], fill=p.dark)
    p.rect(0.46, 0.44, 0.54, 0.52, r=0.01, fill=METAL)


def _backpack(p: Pen) -> None:
    p.arc(0.4, 0.06, 0.6, 0.22, 180, 360, 0.025)
    p.rect(0.26, 0.14, 0.74, 0.8, r=0.12)
    p.rect(0.33, 0.48, 0.67, 0.74, r=0.05, fill=p.dark)
    p.line([(0.3, 0.3), (0.7, 0.3)], 0.01, fill=p.detail)


def _wallet(p: Pen) -> None:
    p.rect(0.16, 0.3, 0.84, 0.72, r=0.04)
    p.poly([(0.16, 0.3), (0.84, 0.3), (0.84, 0.48), (0.16, 0.48)], fill=p.dark)
    p.circle(0.74, 0.48, 0.03, fill=METAL)


def _scarf(p: Pen) -> None:
    p.poly([(0.3, 0.12), (0.7, 0.12), (0.66, 0.4), (0.58, 0.82), (0.46, 0.82), (0.5, 0.42), (0.34, 0.4)])
    for y in (0.7, 0.75):
        p.line([(0.47, y), (0.58, y)], 0.008, fill=p.detail)
    p.line([(0.46, 0.82), (0.45, 0.86)], 0.008)
    p.line([(0.58, 0.82), (0.59, 0.86)], 0.008)


def _hat(p: Pen) -> None:
    p.ellipse(0.26, 0.24, 0.74, 0.66)
    p.rect(0.22, 0.5, 0.78, 0.62, fill=p.main, outline=False)
    p.poly([(0.56, 0.56), (0.92, 0.62), (0.88, 0.68), (0.52, 0.64)], fill=p.dark)
    p.circle(0.5, 0.25, 0.025, fill=p.dark)
    p.line([(0.5, 0.26), (0.5, 0.56)], 0.006)


def _sunglasses(p: Pen) -> None:
    p.ellipse(0.14, 0.36, 0.46, 0.62, fill=SCREEN)
    p.ellipse(0.54, 0.36, 0.86, 0.62, fill=SCREEN)
    p.arc(0.44, 0.36, 0.56, 0.5, 180, 360, 0.02, fill=p.main)
    p.line([(0.14, 0.44), (0.08, 0.4)], 0.025, fill=p.main)
    p.line([(0.86, 0.44), (0.92, 0.4)], 0.025, fill=p.main)
    p.arc(0.14, 0.36, 0.46, 0.62, 180, 360, 0.03, fill=p.main)
    p.arc(0.54, 0.36, 0.86, 0.62, 180, 360, 0.03, fill=p.main)


def _belt(p: Pen) -> None:
    p.rect(0.06, 0.44, 0.94, 0.56, r=0.02)
    p.rect(0.24, 0.4, 0.36, 0.6, r=0.01, fill=METAL)
    p.rect(0.27, 0.44, 0.33, 0.56, fill=BACKGROUND, outline=False)
    for x in (0.5, 0.6, 0.7):
        p.circle(x, 0.5, 0.01, fill=p.dark, outline=False)


def _tie(p: Pen) -> None:
    p.poly([(0.44, 0.1), (0.56, 0.1), (0.53, 0.2), (0.47, 0.2)], fill=p.dark)
    p.poly([(0.47, 0.2), (0.53, 0.2), (0.62, 0.7), (0.5, 0.82), (0.38, 0.7)])
    for i in range(4):
        p.line([(0.42 + i * 0.02, 0.34 + i * 0.1), (0.56, 0.28 + i * 0.1)], 0.008, fill=p.detail)


def _watch(p: Pen) -> None:
    p.rect(0.4, 0.06, 0.6, 0.84, r=0.04, fill=p.main)
    p.circle(0.5, 0.45, 0.18, fill=METAL)
    p.circle(0.5, 0.45, 0.14, fill=WHITE if p.main != WHITE else SCREEN)
    p.line([(0.5, 0.45), (0.5, 0.35)], 0.012, fill=GREY)
    p.line([(0.5, 0.45), (0.57, 0.48)], 0.012, fill=GREY)


def _necklace(p: Pen) -> None:
    p.arc(0.2, -0.1, 0.8, 0.62, 20, 160, 0.014, fill=p.main)
    p.poly([(0.5, 0.6), (0.44, 0.68), (0.5, 0.78), (0.56, 0.68)], fill=p.main)
    p.circle(0.5, 0.56, 0.02, fill=p.dark)


def _ring(p: Pen) -> None:
    p.circle(0.5, 0.52, 0.24, fill=p.main)
    p.circle(0.5, 0.52, 0.17, fill=BACKGROUND)
    p.poly([(0.42, 0.3), (0.58, 0.3), (0.62, 0.24), (0.5, 0.14), (0.38, 0.24)], fill=p.light)


# shape name (`catalog_data.TREE`) -> its drawing
WEAR_DRAWINGS: dict[str, Callable[[Pen], None]] = {
    "shirt": _shirt, "sweater": _sweater, "jacket": _jacket, "onesie": _onesie, "dress": _dress, "swimsuit": _swimsuit,
    "pants": _pants, "shorts": _shorts, "skirt": _skirt, "shoe": _shoe, "boot": _boot, "heel": _heel,
    "handbag": _handbag, "backpack": _backpack, "wallet": _wallet, "scarf": _scarf, "hat": _hat,
    "sunglasses": _sunglasses, "belt": _belt, "tie": _tie, "watch": _watch, "necklace": _necklace, "ring": _ring,
}
