"""Procedural RGB-D scenes with fixed seeds.

Why this exists: the real RGB-D data that may be used for training is a handful
of scenes, and joint filtering must learn which colour edges are depth edges and
which are not. Each scene composes slanted planes, boxes, spheres and cylinders
with a z-buffer (occlusion edges), shades them with a Lambertian light, and
paints them with per-object albedo: some colour edges coincide with depth
edges (objects differ in colour), some do not (stripes, checkers, text-like
marks, smooth paint gradients inside one surface), and some depth edges have no
colour edge (neighbouring objects of the same colour). Colour is rendered with
2x2 supersampling (anti-aliased edges, as a camera), depth is point-sampled
(hard edges, as ground truth). Everything is a function of the seed.
"""

import numpy as np

SUPERSAMPLE = 2


def _grid(height, width):
    """Pixel-centre coordinates in [0, 1) x [0, aspect), at the supersampled size."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    return (ys + 0.5) / height, (xs + 0.5) / height


def _rotated(ys, xs, centre, angle):
    """Coordinates in a frame rotated by `angle` about `centre`."""
    cos, sin = np.cos(angle), np.sin(angle)
    dy, dx = ys - centre[0], xs - centre[1]
    return cos * dy - sin * dx, sin * dy + cos * dx


def _plane(rng, ys, xs, z0):
    """A slanted plane through depth z0 at a random point: z = z0 + gy*y + gx*x."""
    gy, gx = rng.uniform(-1.0, 1.0, size=2) * z0 * 0.5
    return z0 + gy * (ys - rng.uniform(0, 1)) + gx * (xs - rng.uniform(0, 1))


def _shape(rng, ys, xs, kind, aspect):
    """Support mask and depth of one object; depth in scene units (about 1..6)."""
    centre = (rng.uniform(0.05, 0.95), rng.uniform(0.05, 0.95) * aspect)
    z0 = rng.uniform(1.0, 5.0)
    size = rng.uniform(0.08, 0.35)
    if kind == "sphere":
        d2 = (ys - centre[0]) ** 2 + (xs - centre[1]) ** 2
        mask = d2 < size ** 2
        return mask, z0 - np.sqrt(np.maximum(size ** 2 - d2, 0.0)) * z0
    v, u = _rotated(ys, xs, centre, rng.uniform(0, np.pi))
    if kind == "cylinder":
        length = rng.uniform(0.2, 0.8)
        mask = (np.abs(v) < size * 0.6) & (np.abs(u) < length)
        bulge = np.sqrt(np.maximum((size * 0.6) ** 2 - v ** 2, 0.0)) * z0
        return mask, z0 + rng.uniform(-0.5, 0.5) * z0 * u - bulge
    half = size * rng.uniform(0.5, 1.5), size * rng.uniform(0.5, 1.5)
    mask = (np.abs(v) < half[0]) & (np.abs(u) < half[1])
    depth = _plane(rng, ys, xs, z0)
    if kind == "box":  # a second face: same plane on one side of a crease, then bent
        crease = rng.uniform(-0.5, 0.5) * half[1]
        depth = depth + np.maximum(u - crease, 0.0) * rng.uniform(-2.0, 2.0) * z0
    return mask, depth


def _albedo(rng, ys, xs, base):
    """Per-object colour [h, w, 3]: base colour times one texture that has no depth edge."""
    colour = np.broadcast_to(base, ys.shape + (3,)).copy()
    kind = rng.choice(["flat", "flat", "stripes", "checker", "text", "gradient", "blotches"])
    if kind == "flat":
        return colour
    other = rng.uniform(0.0, 1.0, size=3)
    v, u = _rotated(ys, xs, (rng.uniform(0, 1), rng.uniform(0, 1)), rng.uniform(0, np.pi))
    period = rng.uniform(0.02, 0.15)
    if kind == "stripes":
        paint = (np.sin(2 * np.pi * u / period) > rng.uniform(-0.6, 0.6)).astype(np.float64)
    elif kind == "checker":
        paint = ((np.floor(u / period) + np.floor(v / period)) % 2).astype(np.float64)
    elif kind == "text":  # rows of small dark marks, like print
        line, glyph = period * 0.7, period * 0.35
        on_line = (v % line) < line * rng.uniform(0.4, 0.7)
        cells = np.floor(u / glyph) * 7919 + np.floor(v / line) * 104729
        on_glyph = (np.sin(cells) * 43758.5453) % 1.0 < 0.6
        paint = (on_line & on_glyph & ((u % glyph) < glyph * 0.7)).astype(np.float64)
    elif kind == "gradient":
        paint = np.clip(u / rng.uniform(0.2, 1.0) + 0.5, 0.0, 1.0)
    else:  # blotches: thresholded sum of random sinusoids
        field = sum(np.sin(rng.uniform(5, 30) * (np.cos(t) * ys + np.sin(t) * xs) + rng.uniform(0, 6))
                    for t in rng.uniform(0, np.pi, size=4))
        paint = (field > rng.uniform(-1.0, 1.0)).astype(np.float64)
    return colour * (1 - paint[..., None]) + other * paint[..., None]


def _shading(depth, light):
    """Lambertian shading from the depth map's normals (n ~ (-dz/dx, -dz/dy, 1))."""
    gy, gx = np.gradient(depth * depth.shape[0] * 0.25)
    normal = np.stack([-gx, -gy, np.ones_like(depth)], axis=-1)
    normal /= np.linalg.norm(normal, axis=-1, keepdims=True)
    return np.clip(normal @ light, 0.0, 1.0)


def scene(seed, height=256, width=256):
    """RGB colour [h, w, 3] and depth [h, w] (float32, both in [0, 1]) of scene `seed`.

    Depth is returned as normalised inverse depth (disparity-like, near = 1), the
    convention of the Middlebury data the models are also trained on.
    """
    rng = np.random.default_rng([20190616, seed])
    hs, ws = height * SUPERSAMPLE, width * SUPERSAMPLE
    ys, xs = _grid(hs, ws)
    aspect = width / height
    depth = _plane(rng, ys, xs, rng.uniform(5.0, 8.0))  # background wall / floor
    colour = _albedo(rng, ys, xs, rng.uniform(0.1, 0.9, size=3))
    base = rng.uniform(0.0, 1.0, size=3)
    for _ in range(rng.integers(3, 12)):
        kind = rng.choice(["plane", "box", "sphere", "cylinder"])
        mask, z = _shape(rng, ys, xs, kind, aspect)
        if rng.uniform() > 0.2:  # else: same colour as the previous object (depth edge, no colour edge)
            base = rng.uniform(0.0, 1.0, size=3)
        visible = mask & (z < depth) & (z > 0.3)
        depth = np.where(visible, z, depth)
        colour = np.where(visible[..., None], _albedo(rng, ys, xs, base), colour)
    depth = np.clip(depth, 0.3, None)
    light = rng.normal(size=3) * np.array([1.0, 1.0, 0.3]) + np.array([0.0, 0.0, 1.0])
    light /= np.linalg.norm(light)
    ambient = rng.uniform(0.2, 0.5)
    rgb = colour * (ambient + (1 - ambient) * _shading(depth, light))[..., None]
    rgb = rgb.reshape(height, SUPERSAMPLE, width, SUPERSAMPLE, 3).mean(axis=(1, 3))
    rgb += rng.normal(0.0, rng.uniform(0.0, 0.02), size=rgb.shape)  # sensor / lighting noise
    disparity = 1.0 / depth[SUPERSAMPLE - 1::SUPERSAMPLE, SUPERSAMPLE - 1::SUPERSAMPLE]
    disparity = (disparity - disparity.min()) / max(disparity.max() - disparity.min(), 1e-12)
    return np.clip(rgb, 0.0, 1.0).astype(np.float32), disparity.astype(np.float32)
