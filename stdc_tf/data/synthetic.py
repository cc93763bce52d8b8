"""A built-in synthetic street-scene dataset in the Cityscapes layout, for tests and smoke runs.

Scenes follow a street's layout (sky on top, buildings with window grids, trees with leafy
texture, road with lane markings between tiled sidewalks, cars, persons, poles), and
every object gets a random colour, so a class can only be told from its shape, texture and
place, not its colour: a per-pixel nearest-class-colour classifier
(:func:`stdc_tf.evaluation.baselines.color_baseline_miou`)
scores far below a small CNN. Labels are real Cityscapes labelIds (road = 7, sky = 23, the ego
vehicle = 1, …), so reading them exercises the labelId → trainId mapping, ignored ids included.

Generation is deterministic: the same parameters give byte-identical files.
"""
from __future__ import annotations

import colorsys
import fcntl
import json
import logging
import shutil
from pathlib import Path

import cv2
import numpy as np
from cityscapesscripts.helpers.labels import name2label

GENERATOR_VERSION = 2   # bump whenever the images change, so old copies get regenerated
CITY = "synth"
MARKER = "synthetic.json"
log = logging.getLogger(__name__)
SPLITS = ("train", "val")

_ID = {name: name2label[name].id for name in ("ego vehicle", "static", "road", "sidewalk", "building",
                                               "pole", "vegetation", "sky", "person", "car")}


class _Scene:
    """One image and its labelId map, painted back to front."""

    def __init__(self, rng: np.random.Generator, height: int, width: int):
        self.rng, self.h, self.w = rng, height, width
        self.image = np.zeros((height, width, 3), np.float32)
        self.label = np.zeros((height, width), np.uint8)
        self.yy, self.xx = np.mgrid[0:height, 0:width].astype(np.float32)
        self.horizon = height * rng.uniform(0.35, 0.5)
        self.vanish_x = width * rng.uniform(0.35, 0.65)
        self.road_half = width * rng.uniform(0.3, 0.55)   # at the bottom row

    # ---- helpers ----
    def color(self, value: tuple[float, float] = (0.2, 0.95)) -> np.ndarray:
        """A random RGB colour (0..255): any hue, so colour says nothing about the class."""
        hue, sat, val = self.rng.uniform(), self.rng.uniform(0.0, 0.8), self.rng.uniform(*value)
        return np.array(colorsys.hsv_to_rgb(hue, sat, val), np.float32) * 255.0

    def color_pair(self) -> tuple[np.ndarray, np.ndarray]:
        """Two random colours far apart in brightness, so that a two-tone texture always shows."""
        value = self.rng.uniform(0.2, 0.95)
        other = value + self.rng.uniform(0.35, 0.55) * (-1 if value > 0.575 else 1)
        return self.color((value, value)), self.color((other, other))

    def noise(self, cell: float) -> np.ndarray:
        """Smooth random field, roughly -1..1, with blobs about ``cell`` pixels across."""
        gh, gw = max(2, int(self.h / cell) + 1), max(2, int(self.w / cell) + 1)
        return cv2.resize(self.rng.standard_normal((gh, gw)).astype(np.float32), (self.w, self.h),
                          interpolation=cv2.INTER_CUBIC)

    def shape(self, draw) -> np.ndarray:
        """Boolean mask of what ``draw(canvas)`` fills with cv2 (colour 1) on an empty canvas."""
        canvas = np.zeros((self.h, self.w), np.uint8)
        draw(canvas)
        return canvas > 0

    def paint(self, mask: np.ndarray, name: str, texture: np.ndarray) -> None:
        """Give ``mask`` the pixels of ``texture`` (RGB colour or HxWx3 image) and class ``name``."""
        self.image[mask] = texture[mask] if texture.ndim == 3 else texture
        self.label[mask] = _ID[name]

    def textured(self, base: np.ndarray, amount: float, cell: float) -> np.ndarray:
        return base * (1.0 + amount * self.noise(cell))[..., None]

    def depth(self, y_bottom: float) -> float:
        """Pixels per metre-ish for an object standing at row ``y_bottom`` (0 at the horizon)."""
        return (y_bottom - self.horizon) / 1.5

    def road_edges(self, y: np.ndarray | float) -> tuple:
        t = np.clip((y - self.horizon) / (self.h - self.horizon), 0.0, 1.0)
        half = 0.01 * self.w + (self.road_half - 0.01 * self.w) * t
        return self.vanish_x - half, self.vanish_x + half

    def ground_point(self, on_road: bool, margin: float, nearest: float) -> tuple[float, float]:
        """A random (x, y) on the road or a sidewalk, no higher than ``nearest`` (0..1) of the way
        from the horizon down to the bottom row (near objects are big)."""
        y = self.rng.uniform(self.horizon + nearest * (self.h - self.horizon), self.h)
        left, right = self.road_edges(y)
        if on_road:
            return self.rng.uniform(left + margin, max(left + margin, right - margin)), y
        if self.rng.uniform() < 0.5 and left > margin:
            return self.rng.uniform(0, left - margin), y
        return self.rng.uniform(min(right + margin, self.w), self.w), y

    # ---- scene parts, back to front ----
    def sky(self) -> None:
        top, bottom = self.color(), self.color()
        t = (self.yy / self.h)[..., None]
        clouds = np.clip(self.noise(self.h / 3), 0, None)[..., None] * self.rng.uniform(0, 60)
        self.paint(np.ones_like(self.label, bool), "sky", top * (1 - t) + bottom * t + clouds)

    def buildings(self) -> None:
        x = self.rng.uniform(-0.1, 0.05) * self.w
        while x < self.w:
            width = self.rng.uniform(0.1, 0.3) * self.w
            gap = abs(x + width / 2 - self.vanish_x) < 0.08 * self.w
            if not gap and self.rng.uniform() < 0.85:
                self.building(x, x + width)
            x += width

    def building(self, x0: float, x1: float) -> None:
        top = self.horizon - self.rng.uniform(0.15, 0.5) * self.h
        mask = (self.xx >= x0) & (self.xx < x1) & (self.yy >= top) & (self.yy < self.horizon)
        period = self.rng.uniform(0.03, 0.06, size=2) * self.h
        frac = self.rng.uniform(0.35, 0.7, size=2)
        windows = (((self.yy - top) % period[0] > period[0] * (1 - frac[0]))
                   & ((self.xx - x0) % period[1] > period[1] * (1 - frac[1])))
        wall, glass = self.color_pair()
        facade = self.textured(wall, 0.08, 3)
        facade[windows] = glass
        self.paint(mask, "building", facade)

    def ground(self) -> None:
        below = self.yy >= self.horizon
        left, right = self.road_edges(self.yy)
        road = below & (self.xx >= left) & (self.xx <= right)
        dist = np.maximum(self.yy - self.horizon, 1.0)
        tiles = self.textured(self.color(), 0.06, 2)
        grid = ((self.h / dist * self.rng.uniform(1, 2)) % 1 < 0.2) | (
            ((self.xx - self.vanish_x) / dist * self.rng.uniform(1.5, 3)) % 1 < 0.12)
        tiles[grid] *= self.rng.uniform(0.5, 0.8)
        curb = (np.minimum(abs(self.xx - left), abs(self.xx - right)) < 0.03 * dist)
        tiles[curb] = self.color()
        self.paint(below & ~road, "sidewalk", tiles)

        asphalt = self.textured(self.color(), 0.1, 1.5)
        t = (self.yy - self.horizon) / (self.h - self.horizon)
        for lane in self.rng.uniform(-0.4, 0.4, size=self.rng.integers(1, 3)):
            centre = self.vanish_x + lane * self.road_half * t
            dashes = (self.h / dist * self.rng.uniform(1, 3)) % 1 < 0.5
            asphalt[(abs(self.xx - centre) < 0.012 * dist + 0.3) & dashes] = self.color((0.6, 1.0))
        self.paint(road, "road", asphalt)

    def tree(self, x: float, y: float) -> None:
        size = self.depth(y) * self.rng.uniform(3, 5)
        leaves = np.where((self.noise(1.5) + 0.5 * self.noise(4) > 0)[..., None], *self.color_pair())
        trunk_w = max(1, int(size * 0.04))
        crown = [((int(x + self.rng.uniform(-0.25, 0.25) * size),
                   int(y - size * self.rng.uniform(0.55, 0.85))),
                  max(2, int(size * self.rng.uniform(0.2, 0.32))))
                 for _ in range(self.rng.integers(2, 5))]

        def draw(canvas):
            cv2.rectangle(canvas, (int(x) - trunk_w, int(y - size * 0.6)), (int(x) + trunk_w, int(y)),
                          1, -1)
            for centre, radius in crown:
                cv2.circle(canvas, centre, radius, 1, -1)
        self.paint(self.shape(draw), "vegetation", leaves)

    def hedge(self) -> None:
        x0 = self.rng.uniform(0, self.w)
        x1 = x0 + self.rng.uniform(0.1, 0.4) * self.w
        top = self.horizon - self.rng.uniform(0.03, 0.1) * self.h
        bumps = top + 0.03 * self.h * self.noise(self.h / 10)
        mask = (self.xx >= x0) & (self.xx < x1) & (self.yy >= bumps) & (self.yy < self.horizon + 1)
        leaves = np.where((self.noise(1.5) > 0)[..., None], *self.color_pair())
        self.paint(mask, "vegetation", leaves)

    def static_box(self, x: float, y: float) -> None:
        size = self.depth(y) * self.rng.uniform(0.5, 1.0)
        box = self.shape(lambda c: cv2.rectangle(
            c, (int(x - size / 2), int(y - size)), (int(x + size / 2), int(y)), 1, -1))
        self.paint(box, "static", self.color())

    def pole(self, x: float, y: float) -> None:
        d = self.depth(y)
        top = y - d * self.rng.uniform(3.5, 6)
        half = max(2.5, d * 0.15)
        self.paint((abs(self.xx - x) <= half) & (self.yy >= top) & (self.yy <= y), "pole",
                   self.textured(self.color(), 0.1, 4))

    def person(self, x: float, y: float) -> None:
        ph = self.depth(y) * self.rng.uniform(1.8, 2.1)
        step = self.rng.uniform(-0.1, 0.1) * ph
        lw = max(2, int(ph * 0.1))

        def body(canvas):
            cv2.ellipse(canvas, (int(x), int(y - ph * 0.6)), (max(1, int(ph * 0.2)), int(ph * 0.22)),
                        0, 0, 360, 1, -1)
            cv2.circle(canvas, (int(x), int(y - ph * 0.88)), max(1, int(ph * 0.09)), 1, -1)
            for dx in (-ph * 0.28, ph * 0.28):   # arms
                cv2.line(canvas, (int(x), int(y - ph * 0.72)), (int(x + dx), int(y - ph * 0.45)), 1, lw)

        def legs(canvas):
            for dx in (step, -step * 0.5):
                cv2.line(canvas, (int(x), int(y - ph * 0.45)), (int(x + dx), int(y)), 1, lw)
        self.paint(self.shape(legs), "person", self.color())
        self.paint(self.shape(body), "person", self.textured(self.color(), 0.15, 2))

    def car(self, x: float, y: float) -> None:
        d = self.depth(y)
        side_view = self.rng.uniform() < 0.4
        half_w = d * (self.rng.uniform(1.8, 2.4) if side_view else self.rng.uniform(0.75, 0.95))
        height = d * self.rng.uniform(0.9, 1.1)
        body_top, cabin_top = y - height * 0.6, y - height
        inset = half_w * (0.25 if side_view else 0.12)
        cabin = np.array([[x - half_w + inset, body_top], [x - half_w + 1.6 * inset, cabin_top],
                          [x + half_w - 1.6 * inset, cabin_top], [x + half_w - inset, body_top]],
                         np.int32)
        wheel_r = max(1, int(height * 0.17))
        wheel_x = (x - half_w * 0.65, x + half_w * 0.65)

        def outline(canvas):
            cv2.rectangle(canvas, (int(x - half_w), int(body_top)),
                          (int(x + half_w), int(y - wheel_r)), 1, -1)
            cv2.fillPoly(canvas, [cabin], 1)
            for wx in wheel_x:
                cv2.circle(canvas, (int(wx), int(y - wheel_r)), wheel_r, 1, -1)

        paint = self.textured(self.color(), 0.05, 3)
        glass = self.shape(lambda c: cv2.fillPoly(
            c, [((cabin - (x, cabin_top)) * 0.8 + (x, cabin_top + height * 0.05)).astype(np.int32)], 1))
        paint[glass] = self.color((0.05, 0.5))
        tyres = self.shape(lambda c: [cv2.circle(c, (int(wx), int(y - wheel_r)), wheel_r, 1, -1)
                                      for wx in wheel_x])
        paint[tyres] = self.color((0.0, 0.3))
        self.paint(self.shape(outline), "car", paint)

    def ego_vehicle(self) -> None:
        rise = self.rng.uniform(0.05, 0.12) * self.h
        hood = self.yy > self.h - rise * (1 - 0.5 * ((self.xx - self.w / 2) / (self.w / 2)) ** 2)
        self.paint(hood, "ego vehicle", self.textured(self.color((0.05, 0.6)), 0.05, 4))

    def lighting(self) -> np.ndarray:
        """Global tint, brightness gradient and sensor noise; returns the uint8 image."""
        tint = self.rng.uniform(0.7, 1.3, size=3).astype(np.float32)
        slope = self.rng.uniform(-0.4, 0.4, size=2)
        gain = 1 + slope[0] * (self.xx / self.w - 0.5) + slope[1] * (self.yy / self.h - 0.5)
        noisy = self.image * tint * gain[..., None]
        noisy += self.rng.normal(0, self.rng.uniform(1, 4), size=noisy.shape).astype(np.float32)
        return np.clip(noisy, 0, 255).astype(np.uint8)

    def render(self) -> tuple[np.ndarray, np.ndarray]:
        """Draw a whole scene; returns (RGB uint8 image, uint8 labelId map)."""
        rng = self.rng
        self.sky()
        self.buildings()
        for _ in range(rng.integers(0, 3)):
            self.hedge()
        self.ground()
        # (draw, how many, chance to stand on the road, nearest fraction of the ground, margin)
        kinds = ((self.static_box, (0, 3), 0.0, 0.08, 0.0), (self.tree, (1, 4), 0.0, 0.08, 0.0),
                 (self.pole, (1, 5), 0.0, 0.25, 0.0), (self.person, (1, 6), 0.15, 0.4, 0.0),
                 (self.car, (0, 4), 1.0, 0.08, 0.02 * self.w))
        placed = [(*self.ground_point(rng.uniform() < on_road, margin, nearest), draw)
                  for draw, count, on_road, nearest, margin in kinds
                  for _ in range(rng.integers(*count))]
        for x, y, draw in sorted(placed, key=lambda p: p[1]):   # far first: near objects occlude
            draw(x, y)
        if rng.uniform() < 0.4:
            self.ego_vehicle()
        return self.lighting(), self.label


def render_scene(seed: tuple[int, ...], height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """One synthetic scene: (RGB uint8 [H,W,3], uint8 Cityscapes labelId map [H,W])."""
    return _Scene(np.random.default_rng(seed), height, width).render()


def stored_parameters(root: str | Path) -> dict | None:
    """The ``generate`` arguments of the complete current-version dataset at ``root``, if any."""
    marker = Path(root) / MARKER
    state = json.loads(marker.read_text()) if marker.is_file() else {}
    if state.get("complete") and state.get("generator_version") == GENERATOR_VERSION:
        return {k: v for k, v in state.items() if k not in ("complete", "generator_version")}
    return None


def generate(root: str | Path, num_train: int = 240, num_val: int = 60, height: int = 128,
             width: int = 256, seed: int = 0) -> Path:
    """Write the dataset at ``root`` (Cityscapes layout) unless it is already there; returns root.

    ``root/synthetic.json`` records the parameters: a call with the same ones returns at once,
    different ones (or an interrupted run) regenerate. A folder that already holds a dataset
    without that file is refused rather than mixed with synthetic images. A file lock lets
    several processes (e.g. the workers of one training job) call this at the same time.
    """
    root = Path(root)
    params = {"generator_version": GENERATOR_VERSION, "num_train": num_train, "num_val": num_val,
              "height": height, "width": width, "seed": seed}
    marker = root / MARKER
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".synthetic.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state = json.loads(marker.read_text()) if marker.is_file() else None
        if state == {**params, "complete": True}:
            return root
        if state is None and any((root / top).exists() for top in ("leftImg8bit", "gtFine")):
            raise FileExistsError(f"{root} already holds a dataset that is not a synthetic one "
                                  f"(no {MARKER}); generate into an empty folder")
        log.info("generating the synthetic dataset at %s (%d + %d images of %dx%d: about a "
                 "minute for the defaults)", root, num_train, num_val, height, width)
        marker.write_text(json.dumps({**params, "complete": False}))
        for split, count in zip(SPLITS, (num_train, num_val)):
            image_dir = root / "leftImg8bit" / split / CITY
            label_dir = root / "gtFine" / split / CITY
            for folder in (image_dir, label_dir):
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir(parents=True)
            for i in range(count):
                image, label = render_scene((seed, SPLITS.index(split), i), height, width)
                stem = f"{CITY}_{i:06d}_000019"
                cv2.imwrite(str(image_dir / f"{stem}_leftImg8bit.png"),
                            cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
                cv2.imwrite(str(label_dir / f"{stem}_gtFine_labelIds.png"), label)
        marker.write_text(json.dumps({**params, "complete": True}, indent=2) + "\n")
    return root
