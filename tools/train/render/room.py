"""Blender script: render seeded indoor RGB-D frames (run by render.py).

Why this exists: the real RGB-D data that may be used for training is a
handful of scenes and the flat procedural scenes of ../scenes.py lack what
makes joint depth upsampling hard in real rooms: thin legs and cables, shelves
full of small objects, occlusion between touching furniture, textures whose
colour edges lie on flat depth (posters, rugs, text, patterned fabric) and
depth edges without colour edges (one material on touching objects), real
shading and shadows, and camera artefacts. Blender's Cycles renders all of
that headless, and its Z pass is an exact depth map.

Run: blender -b --factory-startup -t 1 -P room.py -- --out DIR --seeds A:B
     [--samples N] [--size WxH] [--textures DIR,DIR,...]

Every choice of a frame comes from numpy.random.default_rng(seed) (scene) and
default_rng((seed, 1)) (camera artefacts, a separate stream so that the two
cannot shift each other), so a seed renders the same frame on every run.
Outputs per seed: {seed:07d}_rgb.png, {seed:07d}_depth.png (uint16, planar
depth in mm, 0 = no surface), {seed:07d}.json; each written under a temporary
name and renamed, and seeds whose three files exist are skipped.
"""

import argparse
import io
import json
import math
import os
import shutil
import sys
import tempfile
import time

import bpy
import numpy as np
from mathutils import Matrix, Vector

# ---------------------------------------------------------------- arguments


def parse_args():
    argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
    p = argparse.ArgumentParser(prog="room.py")
    p.add_argument("--out", required=True)
    p.add_argument("--seeds", required=True, help="A:B (B exclusive) or one seed")
    p.add_argument("--samples", type=int, default=4)
    p.add_argument("--size", default="640x480")
    p.add_argument("--textures", default="", help="comma-separated folders of images")
    p.add_argument("--force", action="store_true", help="re-render existing seeds")
    return p.parse_args(argv)


def seed_range(text):
    if ":" in text:
        a, b = text.split(":")
        return range(int(a), int(b))
    return range(int(text), int(text) + 1)


def texture_files(dirs):
    files = []
    for d in dirs.split(","):
        if d and os.path.isdir(d):
            files += [os.path.join(d, f) for f in sorted(os.listdir(d))
                      if f.lower().endswith((".png", ".tif", ".tiff", ".jpg"))]
    return files


FONT_DIRS = ["/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/liberation2",
             "/usr/share/fonts/truetype/lato"]


def font_files():
    out = []
    for d in FONT_DIRS:
        if os.path.isdir(d):
            out += [os.path.join(d, f) for f in sorted(os.listdir(d)) if f.endswith(".ttf")]
    return out[:40]


# ---------------------------------------------------------------- geometry

def frame(origin, ex, ey, ez):
    """4x4 matrix whose columns are the local axes and origin (world coordinates)."""
    m = np.eye(4)
    m[:3, 0], m[:3, 1], m[:3, 2], m[:3, 3] = ex, ey, ez, origin
    return m


def yaw_frame(x, y, z, yaw):
    c, s = math.cos(yaw), math.sin(yaw)
    return frame((x, y, z), (c, s, 0), (-s, c, 0), (0, 0, 1))


def translate(x, y, z):
    m = np.eye(4)
    m[:3, 3] = x, y, z
    return m


class Builder:
    """Accumulates faces in one local frame, then becomes one mesh object.

    Why one mesh per composition with the object at the world origin: texture
    coordinates (Object) are then world metres, continuous across the parts of a
    table or a wall cut around a door, and the object count (sync time) stays low.
    """

    def __init__(self):
        self.verts, self.faces, self.mats, self.smooth = [], [], [], []

    def add(self, verts, faces, mat, smooth=False, m=None):
        verts = np.asarray(verts, dtype=np.float64)
        if m is not None:
            verts = verts @ m[:3, :3].T + m[:3, 3]
        off = sum(len(v) for v in self.verts)
        self.verts.append(verts)
        self.faces += [[i + off for i in f] for f in faces]
        self.mats += [mat] * len(faces)
        self.smooth += [smooth] * len(faces)

    def box(self, lo, hi, mat, m=None):
        x0, y0, z0 = lo
        x1, y1, z1 = hi
        v = [(x0, y0, z0), (x1, y0, z0), (x1, y1, z0), (x0, y1, z0),
             (x0, y0, z1), (x1, y0, z1), (x1, y1, z1), (x0, y1, z1)]
        f = [(0, 3, 2, 1), (4, 5, 6, 7), (0, 1, 5, 4), (1, 2, 6, 5), (2, 3, 7, 6), (3, 0, 4, 7)]
        self.add(v, f, mat, False, m)

    def cbox(self, c, size, mat, m=None):
        h = np.asarray(size) / 2
        self.box(np.asarray(c) - h, np.asarray(c) + h, mat, m)

    def cylinder(self, p0, p1, r0, mat, r1=None, n=16, caps=True, m=None):
        """Cylinder (or cone frustum) from p0 to p1; its own vertices at the caps."""
        r1 = r0 if r1 is None else r1
        p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
        axis = p1 - p0
        length = np.linalg.norm(axis)
        w = axis / length
        a = np.array([1.0, 0, 0]) if abs(w[0]) < 0.9 else np.array([0, 1.0, 0])
        u = np.cross(w, a)
        u /= np.linalg.norm(u)
        v = np.cross(w, u)
        ang = np.linspace(0, 2 * np.pi, n, endpoint=False)
        ring = np.cos(ang)[:, None] * u + np.sin(ang)[:, None] * v
        verts = np.concatenate([p0 + r0 * ring, p1 + r1 * ring])
        faces = [(i, (i + 1) % n, n + (i + 1) % n, n + i) for i in range(n)]
        self.add(verts, faces, mat, True, m)
        if caps:
            self.add(p0 + r0 * ring, [tuple(range(n - 1, -1, -1))], mat, False, m)
            self.add(p1 + r1 * ring, [tuple(range(n))], mat, False, m)

    def sphere(self, c, r, mat, scale=(1, 1, 1), nu=20, nv=10, m=None):
        verts = [(0, 0, -1)]
        for j in range(1, nv):
            t = -np.pi / 2 + np.pi * j / nv
            for i in range(nu):
                a = 2 * np.pi * i / nu
                verts.append((math.cos(t) * math.cos(a), math.cos(t) * math.sin(a), math.sin(t)))
        verts.append((0, 0, 1))
        verts = np.asarray(verts) * r * np.asarray(scale) + np.asarray(c)
        faces = []
        top = len(verts) - 1
        for i in range(nu):
            faces.append((0, 1 + (i + 1) % nu, 1 + i))
        for j in range(nv - 2):
            b = 1 + j * nu
            for i in range(nu):
                faces.append((b + i, b + (i + 1) % nu, b + nu + (i + 1) % nu, b + nu + i))
        b = 1 + (nv - 2) * nu
        for i in range(nu):
            faces.append((b + i, b + (i + 1) % nu, top))
        self.add(verts, faces, mat, True, m)

    def build(self, name, materials):
        if not self.faces:
            return None
        verts = np.concatenate(self.verts)
        mesh = bpy.data.meshes.new(name)
        mesh.from_pydata(verts.tolist(), [], self.faces)
        for mat in materials:
            mesh.materials.append(mat)
        mesh.polygons.foreach_set("material_index", self.mats)
        mesh.polygons.foreach_set("use_smooth", self.smooth)
        mesh.update()
        obj = bpy.data.objects.new(name, mesh)
        bpy.context.scene.collection.objects.link(obj)
        return obj


# ---------------------------------------------------------------- materials

def hsv(h, s, v):
    import colorsys
    return colorsys.hsv_to_rgb(h % 1.0, min(max(s, 0), 1), min(max(v, 0), 1))


def srgb_to_lin(c):
    c = np.asarray(c, float)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def rgba(c):
    c = srgb_to_lin(c)
    return (float(c[0]), float(c[1]), float(c[2]), 1.0)


def kelvin_rgb(k):
    """Approximate blackbody colour (Tanner Helland's fit), normalised to max 1."""
    t = k / 100.0
    r = 255.0 if t <= 66 else 329.7 * (t - 60) ** -0.1332
    g = 99.47 * math.log(t) - 161.12 if t <= 66 else 288.12 * (t - 60) ** -0.0755
    b = 255.0 if t >= 66 else (0.0 if t <= 19 else 138.52 * math.log(t - 10) - 305.04)
    c = np.clip([r, g, b], 1, 255) / 255.0
    c = srgb_to_lin(c)
    return tuple(float(x) for x in c / c.max())


class Materials:
    def __init__(self, rng, textures):
        self.rng, self.textures, self.images, self.n = rng, textures, {}, 0

    def _new(self, rough=None):
        self.n += 1
        mat = bpy.data.materials.new("m%d" % self.n)
        mat.use_nodes = True
        nt = mat.node_tree
        bsdf = nt.nodes["Principled BSDF"]
        r = self.rng.uniform(0.35, 0.95) if rough is None else rough
        bsdf.inputs["Roughness"].default_value = r
        bsdf.inputs["Specular"].default_value = self.rng.uniform(0.2, 0.5)
        return mat, nt, bsdf

    def _coords(self, nt, scale, stretch=(1, 1, 1)):
        tc = nt.nodes.new("ShaderNodeTexCoord")
        mp = nt.nodes.new("ShaderNodeMapping")
        nt.links.new(tc.outputs["Object"], mp.inputs["Vector"])
        mp.inputs["Scale"].default_value = tuple(scale * s for s in stretch)
        mp.inputs["Rotation"].default_value = tuple(self.rng.uniform(0, 2 * np.pi, 3))
        mp.inputs["Location"].default_value = tuple(self.rng.uniform(-10, 10, 3))
        return mp.outputs["Vector"]

    def _vary(self, nt, bsdf, color_socket, amount):
        """Low-frequency brightness variation: real paint and wood are never flat."""
        if amount <= 0:
            return
        noise = nt.nodes.new("ShaderNodeTexNoise")
        noise.inputs["Scale"].default_value = self.rng.uniform(1, 6)
        noise.inputs["Detail"].default_value = 2.0
        nt.links.new(self._coords(nt, 1.0), noise.inputs["Vector"])
        mix = nt.nodes.new("ShaderNodeMixRGB")
        mix.blend_type = "MULTIPLY"
        mix.inputs["Fac"].default_value = amount
        nt.links.new(color_socket, mix.inputs["Color1"])
        ramp = nt.nodes.new("ShaderNodeValToRGB")
        ramp.color_ramp.elements[0].color = (0.6, 0.6, 0.6, 1)
        ramp.color_ramp.elements[1].color = (1, 1, 1, 1)
        nt.links.new(noise.outputs["Fac"], ramp.inputs["Fac"])
        nt.links.new(ramp.outputs["Color"], mix.inputs["Color2"])
        nt.links.new(mix.outputs["Color"], bsdf.inputs["Base Color"])

    def paint(self, color=None, vary=None):
        rng = self.rng
        mat, nt, bsdf = self._new()
        if color is None:
            color = hsv(rng.uniform(0, 1), rng.uniform(0, 0.8), rng.uniform(0.15, 0.95))
        rgb = nt.nodes.new("ShaderNodeRGB")
        rgb.outputs[0].default_value = rgba(color)
        nt.links.new(rgb.outputs[0], bsdf.inputs["Base Color"])
        self._vary(nt, bsdf, rgb.outputs[0], rng.uniform(0, 0.25) if vary is None else vary)
        return mat

    def wall_paint(self):
        rng = self.rng
        return self.paint(hsv(rng.uniform(0, 1), rng.uniform(0, 0.25), rng.uniform(0.55, 0.95)),
                          vary=rng.uniform(0, 0.12))

    def image(self, scale=None, path=None):
        rng = self.rng
        if not self.textures:
            return self.fabric()
        path = path or self.textures[rng.integers(len(self.textures))]
        mat, nt, bsdf = self._new()
        tex = nt.nodes.new("ShaderNodeTexImage")
        if path not in self.images:
            self.images[path] = bpy.data.images.load(path, check_existing=True)
        tex.image = self.images[path]
        tex.projection = "BOX"
        tex.projection_blend = 0.2
        tex.interpolation = "Linear"
        s = 1.0 / rng.uniform(0.3, 1.5) if scale is None else scale
        nt.links.new(self._coords(nt, s), tex.inputs["Vector"])
        nt.links.new(tex.outputs["Color"], bsdf.inputs["Base Color"])
        return mat

    def wood(self):
        rng = self.rng
        mat, nt, bsdf = self._new(rng.uniform(0.3, 0.7))
        wave = nt.nodes.new("ShaderNodeTexWave")
        wave.wave_type = "RINGS" if rng.uniform() < 0.5 else "BANDS"
        wave.inputs["Scale"].default_value = rng.uniform(4, 15)
        wave.inputs["Distortion"].default_value = rng.uniform(2, 10)
        wave.inputs["Detail"].default_value = 2.0
        nt.links.new(self._coords(nt, 1.0, (1, 1, rng.uniform(0.05, 0.3))), wave.inputs["Vector"])
        ramp = nt.nodes.new("ShaderNodeValToRGB")
        h = rng.uniform(0.04, 0.11)
        v = rng.uniform(0.2, 0.8)
        ramp.color_ramp.elements[0].color = rgba(hsv(h, rng.uniform(0.5, 0.8), v * 0.55))
        ramp.color_ramp.elements[1].color = rgba(hsv(h, rng.uniform(0.4, 0.7), v))
        nt.links.new(wave.outputs["Fac"], ramp.inputs["Fac"])
        nt.links.new(ramp.outputs["Color"], bsdf.inputs["Base Color"])
        return mat

    def fabric(self):
        rng = self.rng
        mat, nt, bsdf = self._new(rng.uniform(0.7, 1.0))
        kind = rng.integers(3)
        c1 = hsv(rng.uniform(0, 1), rng.uniform(0.1, 0.9), rng.uniform(0.2, 0.9))
        c2 = hsv(rng.uniform(0, 1), rng.uniform(0.1, 0.9), rng.uniform(0.2, 0.9))
        if kind == 0:
            tex = nt.nodes.new("ShaderNodeTexChecker")
            tex.inputs["Scale"].default_value = rng.uniform(2, 12)
        elif kind == 1:
            tex = nt.nodes.new("ShaderNodeTexBrick")
            tex.inputs["Scale"].default_value = rng.uniform(1, 6)
            tex.inputs["Mortar"].default_value = rgba(hsv(0, 0, rng.uniform(0.1, 0.95)))
            tex.inputs["Mortar Size"].default_value = rng.uniform(0.005, 0.04)
        else:
            tex = nt.nodes.new("ShaderNodeTexWave")
            tex.inputs["Scale"].default_value = rng.uniform(2, 10)
            tex.inputs["Distortion"].default_value = rng.uniform(0, 3)
            ramp = nt.nodes.new("ShaderNodeValToRGB")
            ramp.color_ramp.interpolation = "CONSTANT"
            ramp.color_ramp.elements[0].color = rgba(c1)
            ramp.color_ramp.elements[1].position = rng.uniform(0.3, 0.7)
            ramp.color_ramp.elements[1].color = rgba(c2)
            nt.links.new(self._coords(nt, 1.0), tex.inputs["Vector"])
            nt.links.new(tex.outputs["Fac"], ramp.inputs["Fac"])
            self._vary(nt, bsdf, ramp.outputs["Color"], rng.uniform(0, 0.2))
            return mat
        tex.inputs["Color1"].default_value = rgba(c1)
        tex.inputs["Color2"].default_value = rgba(c2)
        nt.links.new(self._coords(nt, 1.0), tex.inputs["Vector"])
        self._vary(nt, bsdf, tex.outputs["Color"], rng.uniform(0, 0.2))
        return mat

    def tiles(self):
        rng = self.rng
        mat, nt, bsdf = self._new(rng.uniform(0.2, 0.6))
        tex = nt.nodes.new("ShaderNodeTexBrick")
        tex.offset = float(rng.choice([0.0, 0.5]))
        tex.inputs["Scale"].default_value = rng.uniform(0.5, 3)
        h = rng.uniform(0, 1)
        tex.inputs["Color1"].default_value = rgba(hsv(h, rng.uniform(0, 0.4), rng.uniform(0.3, 0.95)))
        tex.inputs["Color2"].default_value = rgba(hsv(h + rng.uniform(-0.1, 0.1), rng.uniform(0, 0.4),
                                                      rng.uniform(0.3, 0.95)))
        tex.inputs["Mortar"].default_value = rgba(hsv(0, 0, rng.uniform(0.1, 0.9)))
        tex.inputs["Mortar Size"].default_value = rng.uniform(0.005, 0.03)
        tex.inputs["Brick Width"].default_value = rng.uniform(0.5, 2.0)
        tex.inputs["Row Height"].default_value = rng.uniform(0.25, 0.5)
        nt.links.new(self._coords(nt, 1.0), tex.inputs["Vector"])
        self._vary(nt, bsdf, tex.outputs["Color"], rng.uniform(0, 0.3))
        return mat

    def planks(self):
        """Wood floor: a brick layout (planks) multiplied by wood grain."""
        rng = self.rng
        mat = self.wood()
        nt = mat.node_tree
        bsdf = nt.nodes["Principled BSDF"]
        grain = bsdf.inputs["Base Color"].links[0].from_socket
        tex = nt.nodes.new("ShaderNodeTexBrick")
        tex.inputs["Scale"].default_value = rng.uniform(0.4, 1.2)
        tex.inputs["Brick Width"].default_value = rng.uniform(3, 8)
        tex.inputs["Row Height"].default_value = rng.uniform(0.3, 0.6)
        tex.inputs["Color1"].default_value = (1, 1, 1, 1)
        tex.inputs["Color2"].default_value = (0.75, 0.75, 0.75, 1)
        tex.inputs["Mortar"].default_value = (0.3, 0.3, 0.3, 1)
        tex.inputs["Mortar Size"].default_value = 0.004
        nt.links.new(self._coords(nt, 1.0), tex.inputs["Vector"])
        mix = nt.nodes.new("ShaderNodeMixRGB")
        mix.blend_type = "MULTIPLY"
        mix.inputs["Fac"].default_value = 1.0
        nt.links.new(grain, mix.inputs["Color1"])
        nt.links.new(tex.outputs["Color"], mix.inputs["Color2"])
        nt.links.new(mix.outputs["Color"], bsdf.inputs["Base Color"])
        return mat

    def metal(self):
        mat, nt, bsdf = self._new(self.rng.uniform(0.3, 0.6))
        bsdf.inputs["Metallic"].default_value = 1.0
        bsdf.inputs["Base Color"].default_value = rgba(hsv(self.rng.uniform(0, 1), self.rng.uniform(0, 0.2),
                                                           self.rng.uniform(0.4, 0.9)))
        return mat

    def emitter(self, color, strength):
        self.n += 1
        mat = bpy.data.materials.new("e%d" % self.n)
        mat.use_nodes = True
        nt = mat.node_tree
        nt.nodes.remove(nt.nodes["Principled BSDF"])
        em = nt.nodes.new("ShaderNodeEmission")
        em.inputs["Color"].default_value = tuple(color) + (1.0,)
        em.inputs["Strength"].default_value = strength
        nt.links.new(em.outputs[0], nt.nodes["Material Output"].inputs["Surface"])
        # Visible lamp shades only: the real light is a light object, so the mesh
        # need not be sampled (sampling it would add noise at no gain).
        mat.cycles.sample_as_light = False
        return mat

    def any(self):
        r = self.rng.uniform()
        if r < 0.3:
            return self.wood()
        if r < 0.55:
            return self.paint()
        if r < 0.7:
            return self.fabric()
        if r < 0.95:
            return self.image()
        return self.metal()


# ---------------------------------------------------------------- compositions
# Each builds in a local frame: origin on the floor at the footprint centre,
# front towards +y; it returns its footprint half sizes (hx, hy) and height.

def small_item(b, rng, x, y, z, mats, maxh=0.35):
    """One small object standing at (x, y, z); returns its radius."""
    k = rng.integers(6)
    mat = rng.integers(len(mats))
    if k == 0:  # cup / can
        r, h = rng.uniform(0.025, 0.05), min(rng.uniform(0.07, 0.15), maxh)
        b.cylinder((x, y, z), (x, y, z + h), r, mat)
    elif k == 1:  # bottle
        r, h = rng.uniform(0.025, 0.045), min(rng.uniform(0.18, 0.32), maxh)
        b.cylinder((x, y, z), (x, y, z + 0.65 * h), r, mat)
        b.cylinder((x, y, z + 0.65 * h), (x, y, z + h), r, mat, r1=r * 0.35)
    elif k == 2:  # ball / fruit
        r = min(rng.uniform(0.03, 0.1), maxh / 2)
        b.sphere((x, y, z + r), r, mat)
    elif k == 3:  # small box
        s = rng.uniform(0.04, 0.15, 3)
        s[2] = min(s[2], maxh)
        b.cbox((0, 0, s[2] / 2), s, mat, m=yaw_frame(x, y, z, rng.uniform(0, np.pi)))
        r = float(np.hypot(s[0], s[1]) / 2)
    elif k == 4:  # bowl
        r = rng.uniform(0.06, 0.12)
        b.sphere((x, y, z + 0.3 * r), r, mat, scale=(1, 1, 0.35), nu=16, nv=8)
    else:  # stack of books lying flat
        w, d = rng.uniform(0.12, 0.22), rng.uniform(0.15, 0.28)
        zz = z
        m = yaw_frame(x, y, 0, rng.uniform(0, np.pi))
        for _ in range(rng.integers(1, 5)):
            t = rng.uniform(0.015, 0.05)
            if zz + t - z > maxh:
                break
            dx, dy = rng.uniform(-0.02, 0.02, 2)
            b.cbox((dx, dy, zz + t / 2), (w, d, t), rng.integers(len(mats)), m=m)
            zz += t
        r = float(np.hypot(w, d) / 2)
    return r


def scatter_items(b, rng, x0, x1, y0, y1, z, mats, n, maxh=0.35):
    placed = []
    for _ in range(n * 4):
        if len(placed) >= n:
            break
        x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
        if any(math.hypot(x - px, y - py) < 0.1 for px, py in placed):
            continue
        small_item(b, rng, x, y, z, mats, maxh)
        placed.append((x, y))


def leg(b, rng, x, y, z0, z1, w, mat, round_leg):
    if round_leg:
        b.cylinder((x, y, z0), (x, y, z1), w / 2, mat, n=10)
    else:
        b.cbox((x, y, (z0 + z1) / 2), (w, w, z1 - z0), mat)


def comp_table(b, rng, M):
    W, D = rng.uniform(0.6, 1.8), rng.uniform(0.5, 1.0)
    H, t = rng.uniform(0.65, 0.78), rng.uniform(0.02, 0.05)
    w = rng.uniform(0.02, 0.05)
    round_leg = rng.uniform() < 0.4
    legs = 0 if rng.uniform() < 0.6 else 1
    b.cbox((0, 0, H - t / 2), (W, D, t), 0)
    inset = rng.uniform(0.02, 0.1)
    for sx in (-1, 1):
        for sy in (-1, 1):
            leg(b, rng, sx * (W / 2 - inset), sy * (D / 2 - inset), 0, H - t, w, legs, round_leg)
    if rng.uniform() < 0.4:  # apron
        a = rng.uniform(0.05, 0.1)
        b.cbox((0, 0, H - t - a / 2), (W - 2 * inset, D - 2 * inset, a), legs)
    scatter_items(b, rng, -W / 2 + 0.08, W / 2 - 0.08, -D / 2 + 0.08, D / 2 - 0.08, H,
                  list(range(2, len(M))), rng.integers(0, 6))
    return W / 2, D / 2, H


def comp_chair(b, rng, M):
    S, H = rng.uniform(0.38, 0.5), rng.uniform(0.42, 0.48)
    t, w = rng.uniform(0.02, 0.05), rng.uniform(0.018, 0.035)
    round_leg = rng.uniform() < 0.5
    b.cbox((0, 0, H - t / 2), (S, S, t), 0)
    for sx in (-1, 1):
        for sy in (-1, 1):
            leg(b, rng, sx * (S / 2 - w), sy * (S / 2 - w), 0, H - t, w, 1, round_leg)
    top = H + rng.uniform(0.35, 0.5)
    for sx in (-1, 1):
        leg(b, rng, sx * (S / 2 - w), -S / 2 + w, H, top, w, 1, round_leg)
    if rng.uniform() < 0.5:
        b.cbox((0, -S / 2 + w, top - 0.12), (S, w, 0.2), 0)
    else:
        for k in range(rng.integers(2, 5)):
            z = H + 0.12 + k * 0.08
            if z > top - 0.02:
                break
            b.cbox((0, -S / 2 + w, z), (S - 2 * w, w * 0.8, 0.03), 0)
    return S / 2, S / 2, top


def comp_shelf(b, rng, M):
    W, D, H = rng.uniform(0.6, 1.6), rng.uniform(0.25, 0.4), rng.uniform(0.8, 2.1)
    t = rng.uniform(0.016, 0.03)
    for sx in (-1, 1):
        b.cbox((sx * (W / 2 - t / 2), 0, H / 2), (t, D, H), 0)
    if rng.uniform() < 0.6:
        b.cbox((0, -D / 2 + 0.005, H / 2), (W, 0.01, H), 0)
    n = max(2, int(H / rng.uniform(0.25, 0.4)))
    zs = np.linspace(0.05, H - t, n + 1)
    books = list(range(1, len(M)))
    for i, z in enumerate(zs):
        b.cbox((0, 0, z + t / 2), (W - 2 * t, D, t), 0)
        if i == len(zs) - 1:
            break
        gap = zs[i + 1] - z - t
        x = -W / 2 + t
        # books in rows with gaps, sometimes all one colour
        one = rng.uniform() < 0.3
        mat = books[rng.integers(len(books))]
        while x < W / 2 - t - 0.05:
            if rng.uniform() < 0.15:
                x += rng.uniform(0.05, 0.3)
                continue
            if rng.uniform() < 0.15:
                r = 0.06
                small_item(b, rng, x + r, rng.uniform(-0.03, 0.03), z + t, [0] + books, gap - 0.01)
                x += 2 * r + 0.02
                continue
            bt = rng.uniform(0.015, 0.05)
            bh = min(rng.uniform(0.15, 0.32), gap - 0.01)
            bd = min(rng.uniform(0.12, 0.25), D - 0.01)
            if x + bt > W / 2 - t:
                break
            m = mat if one else books[rng.integers(len(books))]
            b.box((x, D / 2 - bd - rng.uniform(0, 0.03), z + t), (x + bt, D / 2 - 0.01, z + t + bh), m)
            x += bt + rng.uniform(0, 0.004)
    return W / 2, D / 2, H


def comp_boxes(b, rng, M):
    z = 0.0
    hx = hy = 0.1
    for i in range(rng.integers(1, 5)):
        s = rng.uniform(0.2, 0.6, 3) * (0.85 ** i)
        m = yaw_frame(rng.uniform(-0.04, 0.04), rng.uniform(-0.04, 0.04), z, rng.uniform(-0.3, 0.3))
        b.cbox((0, 0, s[2] / 2), s, 0 if rng.uniform() < 0.5 else rng.integers(len(M)), m=m)
        z += s[2]
        hx, hy = max(hx, s[0] / 2 + 0.05), max(hy, s[1] / 2 + 0.05)
    return hx, hy, z


def comp_cylinder(b, rng, M):
    r, h = rng.uniform(0.08, 0.3), rng.uniform(0.2, 1.0)
    b.cylinder((0, 0, 0), (0, 0, h), r, 0, r1=r * rng.uniform(0.8, 1.2), n=24)
    if rng.uniform() < 0.4:
        small_item(b, rng, 0, 0, h, M, 0.3)
    return r, r, h


def comp_sphere(b, rng, M):
    r = rng.uniform(0.08, 0.35)
    b.sphere((0, 0, r), r, 0, nu=24, nv=12)
    return r, r, 2 * r


def comp_sofa(b, rng, M):
    W, D = rng.uniform(1.2, 2.2), rng.uniform(0.8, 2.0)
    bed = D > 1.4
    seat = rng.uniform(0.35, 0.5)
    b.cbox((0, 0, seat / 2), (W, D, seat), 0)
    if bed:
        b.cbox((0, -D / 2 - 0.03, 0.5), (W + 0.04, 0.06, 1.0), 1)  # headboard
        for k in range(rng.integers(1, 3)):
            x = (k - 0.5) * W / 2 if W > 1.3 else 0
            b.sphere((x, -D / 2 + 0.25, seat + 0.08), 0.3, 2, scale=(1, 0.6, 0.3), nu=16, nv=8)
    else:
        b.cbox((0, -D / 2 + 0.1, seat + 0.22), (W, 0.2, 0.45), 0)
        for sx in (-1, 1):
            b.cbox((sx * (W / 2 - 0.08), 0, seat + 0.1), (0.16, D, 0.2), 0)
        for k in range(rng.integers(0, 3)):
            b.sphere((rng.uniform(-W / 3, W / 3), -D / 2 + 0.3, seat + 0.15), 0.2, 2,
                     scale=(1, 0.45, 0.9), nu=16, nv=8)
    return W / 2, D / 2, seat + 0.45


def comp_cabinet(b, rng, M):
    W, D, H = rng.uniform(0.4, 1.4), rng.uniform(0.35, 0.6), rng.uniform(0.5, 1.1)
    b.cbox((0, 0, H / 2 + 0.05), (W, D, H - 0.1), 0)
    leg_w = rng.uniform(0.02, 0.04)
    for sx in (-1, 1):
        for sy in (-1, 1):
            leg(b, rng, sx * (W / 2 - 0.04), sy * (D / 2 - 0.04), 0, 0.1, leg_w, 1, True)
    rows = rng.integers(1, 5)
    hh = (H - 0.1) / rows
    same = rng.uniform() < 0.5
    for k in range(rows):
        z = 0.1 + (k + 0.5) * hh
        b.cbox((0, D / 2 + 0.005, z), (W - 0.02, 0.01, hh - 0.01), 0 if same else 2)
        b.cbox((0, D / 2 + 0.025, z), (min(0.15, W / 3), 0.02, 0.02), 1)
    scatter_items(b, rng, -W / 2 + 0.07, W / 2 - 0.07, -D / 2 + 0.07, D / 2 - 0.07, H, list(range(2, len(M))),
                  rng.integers(0, 4))
    return W / 2, D / 2, H


def comp_plant(b, rng, M, curves):
    r, h = rng.uniform(0.08, 0.2), rng.uniform(0.15, 0.45)
    b.cylinder((0, 0, 0), (0, 0, h), r * 0.75, 0, r1=r, n=20)
    b.cylinder((0, 0, h - 0.03), (0, 0, h - 0.02), r * 0.95, 1, n=20)
    height = rng.uniform(0.3, 1.4)
    for _ in range(rng.integers(3, 12)):
        a = rng.uniform(0, 2 * np.pi)
        lean = rng.uniform(0.05, 0.6) * height
        top = np.array([math.cos(a) * lean, math.sin(a) * lean, h + height * rng.uniform(0.5, 1.0)])
        mid = np.array([top[0] * 0.3, top[1] * 0.3, h + (top[2] - h) * 0.6]) + rng.uniform(-0.05, 0.05, 3)
        base = np.array([rng.uniform(-r, r) * 0.4, rng.uniform(-r, r) * 0.4, h - 0.02])
        curves.append(([base, mid, top], rng.uniform(0.002, 0.007), 2))
        for t in np.linspace(0.4, 1.0, rng.integers(1, 5)):
            p = (1 - t) ** 2 * base + 2 * (1 - t) * t * mid + t ** 2 * top
            leaf(b, rng, p, rng.uniform(0.05, 0.2), 2 if rng.uniform() < 0.7 else 3)
    return r, r, h + height


def leaf(b, rng, p, size, mat):
    a = rng.uniform(0, 2 * np.pi)
    d = np.array([math.cos(a), math.sin(a), rng.uniform(-0.3, 0.6)])
    d /= np.linalg.norm(d)
    side = np.cross(d, [0, 0, 1.0])
    side /= np.linalg.norm(side) + 1e-9
    w = size * rng.uniform(0.2, 0.45)
    droop = rng.uniform(0, 0.4) * size
    pts = []
    for i, t in enumerate(np.linspace(0, 1, 5)):
        c = p + d * size * t - np.array([0, 0, droop * t * t])
        ww = w * math.sin(math.pi * t) if 0 < i < 4 else 0.0
        pts += [c - side * ww, c + side * ww]
    faces = [(2 * i, 2 * i + 1, 2 * i + 3, 2 * i + 2) for i in range(4)]
    b.add(pts, faces, mat, False)


def comp_lamp(b, rng, M, lights):
    h = rng.uniform(1.2, 1.8)
    r = rng.uniform(0.006, 0.015)
    b.cylinder((0, 0, 0), (0, 0, 0.03), rng.uniform(0.1, 0.18), 0, n=20)
    b.cylinder((0, 0, 0.03), (0, 0, h), r, 0, n=8)
    sr = rng.uniform(0.12, 0.25)
    b.cylinder((0, 0, h - 0.05), (0, 0, h + rng.uniform(0.15, 0.3)), sr, 1, r1=sr * rng.uniform(0.6, 1.0),
               n=24, caps=False)
    lights.append(((0, 0, h + 0.08), rng.uniform(20, 120)))
    return 0.2, 0.2, h + 0.3


def comp_rug(b, rng, M):
    W, D = rng.uniform(0.8, 2.5), rng.uniform(0.6, 2.0)
    b.cbox((0, 0, 0.004), (W, D, 0.008), 0)
    return W / 2, D / 2, 0.008


# ---------------------------------------------------------------- room


class Walls:
    """The four walls as local frames: x along the wall, y into the room, z up."""

    def __init__(self, W, D):
        self.frames = [frame((0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)),
                       frame((W, D, 0), (-1, 0, 0), (0, -1, 0), (0, 0, 1)),
                       frame((0, D, 0), (0, -1, 0), (1, 0, 0), (0, 0, 1)),
                       frame((W, 0, 0), (0, 1, 0), (-1, 0, 0), (0, 0, 1))]
        self.length = [W, W, D, D]


def build_room(rng, mats, textures):
    W, D, H = rng.uniform(3.0, 7.0), rng.uniform(3.0, 7.5), rng.uniform(2.4, 3.1)
    walls = Walls(W, D)
    t = rng.uniform(0.1, 0.2)
    wall_mat = mats.wall_paint() if rng.uniform() < 0.75 else (
        mats.image(1.0 / rng.uniform(0.5, 2.0)) if rng.uniform() < 0.5 else mats.fabric())
    accent = mats.wall_paint() if rng.uniform() < 0.3 else wall_mat
    r = rng.uniform()
    floor_mat = mats.planks() if r < 0.4 else mats.tiles() if r < 0.65 else mats.fabric() if r < 0.8 else \
        mats.image(1.0 / rng.uniform(0.5, 3.0))
    ceil_mat = mats.paint(hsv(0, 0, rng.uniform(0.8, 0.95)), vary=0.03)
    trim_mat = mats.paint(hsv(0, 0, rng.uniform(0.7, 0.98))) if rng.uniform() < 0.6 else mats.wood()
    door_mat = wall_mat if rng.uniform() < 0.3 else (mats.wood() if rng.uniform() < 0.5 else mats.paint())
    ms = [wall_mat, accent, floor_mat, ceil_mat, trim_mat, door_mat]
    b = Builder()
    b.box((-t, -t, -0.1), (W + t, D + t, 0), 2)
    b.box((-t, -t, H), (W + t, D + t, H + 0.1), 3)
    door_wall = rng.integers(4) if rng.uniform() < 0.6 else -1
    win_wall = rng.integers(4) if rng.uniform() < 0.65 else -1
    if win_wall == door_wall:
        win_wall = (win_wall + 2) % 4 if win_wall >= 0 else -1
    accent_wall = rng.integers(4)
    keepout, window, openings = [], None, {}
    for k in range(4):
        L, F = walls.length[k], walls.frames[k]
        mat = 1 if k == accent_wall else 0
        hole = None
        if k == door_wall:
            dw, dh = rng.uniform(0.75, 0.95), rng.uniform(2.0, 2.15)
            u0 = rng.uniform(0.2, L - dw - 0.2)
            hole = (u0, u0 + dw, 0.0, dh)
            rec = rng.uniform(0.03, 0.12)
            b.box((u0, -rec - 0.04, 0), (u0 + dw, -rec, dh), 5, m=F)
            hx = u0 + (0.1 if rng.uniform() < 0.5 else dw - 0.1)
            b.cylinder((hx, -rec, 1.0), (hx, -rec + 0.06, 1.0), 0.01, 4, n=8, m=F)
            b.sphere((hx, -rec + 0.06, 1.0), 0.022, 4, nu=12, nv=6, m=F)
            fw = rng.uniform(0.04, 0.09)
            fd = rng.uniform(0.005, 0.02)
            b.box((u0 - fw, 0, 0), (u0, fd, dh + fw), 4, m=F)
            b.box((u0 + dw, 0, 0), (u0 + dw + fw, fd, dh + fw), 4, m=F)
            b.box((u0, 0, dh), (u0 + dw, fd, dh + fw), 4, m=F)
            keepout.append((F, u0 - 0.1, u0 + dw + 0.1, 0.9))
        elif k == win_wall:
            ww = rng.uniform(0.8, min(2.2, L - 0.6))
            z0, z1 = rng.uniform(0.6, 1.0), min(rng.uniform(1.9, 2.3), H - 0.15)
            u0 = rng.uniform(0.3, L - ww - 0.3)
            hole = (u0, u0 + ww, z0, z1)
            mw = rng.uniform(0.03, 0.07)
            mid = -t / 2
            b.box((u0, mid - 0.02, z0), (u0 + ww, mid + 0.02, z0 + mw), 4, m=F)
            b.box((u0, mid - 0.02, z1 - mw), (u0 + ww, mid + 0.02, z1), 4, m=F)
            b.box((u0, mid - 0.02, z0), (u0 + mw, mid + 0.02, z1), 4, m=F)
            b.box((u0 + ww - mw, mid - 0.02, z0), (u0 + ww, mid + 0.02, z1), 4, m=F)
            for _ in range(rng.integers(0, 3)):
                u = rng.uniform(u0 + 0.2, u0 + ww - 0.2)
                b.box((u - mw / 2, mid - 0.02, z0), (u + mw / 2, mid + 0.02, z1), 4, m=F)
            if rng.uniform() < 0.5:
                z = rng.uniform(z0 + 0.2, z1 - 0.2)
                b.box((u0, mid - 0.02, z - mw / 2), (u0 + ww, mid + 0.02, z + mw / 2), 4, m=F)
            b.box((u0 - 0.05, -t, z0 - 0.03), (u0 + ww + 0.05, rng.uniform(0.02, 0.08), z0), 4, m=F)
            window = (F, u0, u0 + ww, z0, z1, t)
        openings[k] = hole
        # the wall: pieces around the hole, extended over the corners
        pieces = [(-t, L + t, 0, H)] if hole is None else [
            (-t, hole[0], 0, H), (hole[1], L + t, 0, H), (hole[0], hole[1], 0, hole[2]),
            (hole[0], hole[1], hole[3], H)]
        for u0, u1, v0, v1 in pieces:
            if u1 - u0 > 1e-4 and v1 - v0 > 1e-4:
                b.box((u0, -t, v0), (u1, 0, v1), mat, m=F)
        # baseboard, interrupted by a door
        bh, bd = rng.uniform(0.05, 0.12), rng.uniform(0.008, 0.02)
        spans = [(0, L)] if k != door_wall else [(0, hole[0]), (hole[1], L)]
        for u0, u1 in spans:
            if u1 - u0 > 0.02:
                b.box((u0, 0, 0), (u1, bd, bh), 4, m=F)
    b.build("room", ms)
    return dict(W=W, D=D, H=H, t=t, walls=walls, window=window, keepout=keepout, openings=openings,
                wall_mat=wall_mat)


def add_curve(points, radius, mat, name, resolution=8):
    data = bpy.data.curves.new(name, "CURVE")
    data.dimensions = "3D"
    data.bevel_depth = radius
    data.bevel_resolution = 1
    data.resolution_u = resolution
    data.use_fill_caps = True
    sp = data.splines.new("BEZIER")
    sp.bezier_points.add(len(points) - 1)
    for bp, p in zip(sp.bezier_points, points):
        bp.co = Vector(p)
        bp.handle_left_type = bp.handle_right_type = "AUTO"
    data.materials.append(mat)
    obj = bpy.data.objects.new(name, data)
    bpy.context.scene.collection.objects.link(obj)
    return obj


WORDS = ["EXIT", "Kitchen", "Office", "MEETING", "No Smoking", "SALE", "Welcome", "Room 204", "Library",
         "Quiet please", "OPEN", "Push", "Coffee", "2019", "Lab 3", "STOP", "Fire door", "Thank you",
         "Summer", "Conference", "Archive", "Storage", "Menu", "Hello", "Notice", "Printer", "Wifi"]


def add_text(rng, M, size, mat, fonts):
    data = bpy.data.curves.new("txt", "FONT")
    if rng.uniform() < 0.5:
        data.body = WORDS[rng.integers(len(WORDS))]
    else:
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        data.body = " ".join("".join(letters[i] for i in rng.integers(0, len(letters), rng.integers(2, 9)))
                             for _ in range(rng.integers(1, 4)))
    if fonts and rng.uniform() < 0.8:
        data.font = bpy.data.fonts.load(fonts[rng.integers(len(fonts))], check_existing=True)
    data.size = size
    data.align_x = "CENTER"
    data.resolution_u = 4
    data.materials.append(mat)
    obj = bpy.data.objects.new("txt", data)
    obj.matrix_world = Matrix(M.tolist())
    bpy.context.scene.collection.objects.link(obj)
    return obj


def add_wall_decor(rng, room, mats, textures, fonts):
    """Posters, pictures and text: colour edges on flat depth."""
    walls = room["walls"]
    for _ in range(rng.integers(0, 5)):
        k = rng.integers(4)
        L, F = walls.length[k], walls.frames[k]
        w = rng.uniform(0.3, 1.2)
        h = w * rng.uniform(0.6, 1.5)
        u = rng.uniform(w / 2 + 0.1, max(L - w / 2 - 0.1, w / 2 + 0.11))
        v = rng.uniform(max(0.5, h / 2 + 0.2), max(room["H"] - h / 2 - 0.2, 0.6))
        hole = room["openings"][k]
        if hole and hole[0] - w / 2 < u < hole[1] + w / 2 and v - h / 2 < hole[3]:
            continue
        # text frame: x along -wall (reads left to right from inside), y up, z into the room
        T = frame(F[:3, :3] @ np.array([u, 0.002, v]) + F[:3, 3], -F[:3, 0], (0, 0, 1), F[:3, 1])
        if textures and rng.uniform() < 0.75:
            path = textures[rng.integers(len(textures))]
            img = bpy.data.images.load(path, check_existing=True)
            ar = img.size[1] / max(img.size[0], 1)
            h = w * ar
            mat, nt, bsdf = mats._new(rng.uniform(0.2, 0.6))
            tex = nt.nodes.new("ShaderNodeTexImage")
            tex.image = img
            nt.links.new(tex.outputs["Color"], bsdf.inputs["Base Color"])
            mesh = bpy.data.meshes.new("poster")
            mesh.from_pydata([(-w / 2, -h / 2, 0), (w / 2, -h / 2, 0), (w / 2, h / 2, 0), (-w / 2, h / 2, 0)],
                             [], [(0, 1, 2, 3)])
            uv = mesh.uv_layers.new()
            for i, c in enumerate([(0, 0), (1, 0), (1, 1), (0, 1)]):
                uv.data[i].uv = c
            mesh.materials.append(mat)
            obj = bpy.data.objects.new("poster", mesh)
            obj.matrix_world = Matrix(T.tolist())
            bpy.context.scene.collection.objects.link(obj)
            if rng.uniform() < 0.4:  # picture frame: a small depth step around it
                fb = Builder()
                fw, fd = rng.uniform(0.02, 0.05), rng.uniform(0.01, 0.03)
                fm = rng.integers(2)
                fb.box((-w / 2 - fw, -h / 2 - fw, -0.002), (w / 2 + fw, -h / 2, fd), fm)
                fb.box((-w / 2 - fw, h / 2, -0.002), (w / 2 + fw, h / 2 + fw, fd), fm)
                fb.box((-w / 2 - fw, -h / 2, -0.002), (-w / 2, h / 2, fd), fm)
                fb.box((w / 2, -h / 2, -0.002), (w / 2 + fw, h / 2, fd), fm)
                fb.verts = [v @ T[:3, :3].T + T[:3, 3] for v in fb.verts]
                fb.build("frame", [mats.wood(), mats.paint()])
        else:
            add_text(rng, T, rng.uniform(0.05, 0.3), mats.paint(), fonts)


def place(rng, room, boxes, hx, hy, against_wall):
    """A free floor pose (4x4) for a footprint of half sizes hx, hy, or None."""
    W, D = room["W"], room["D"]
    walls = room["walls"]
    for _ in range(30):
        if against_wall:
            k = rng.integers(4)
            L, F = walls.length[k], walls.frames[k]
            if L < 2 * hx + 0.1:
                continue
            u = rng.uniform(hx + 0.02, L - hx - 0.02)
            M = F @ translate(u, hy + rng.uniform(0.003, 0.05), 0)
            hole = room["openings"][k]
            if hole and hole[2] == 0.0 and hole[0] - hx - 0.1 < u < hole[1] + hx + 0.1:
                continue  # not in front of the door
        else:
            yaw = rng.uniform(0, 2 * np.pi) if rng.uniform() < 0.5 else \
                rng.integers(4) * np.pi / 2 + rng.uniform(-0.15, 0.15)
            x, y = rng.uniform(0.3, W - 0.3), rng.uniform(0.3, D - 0.3)
            M = yaw_frame(x, y, 0, yaw)
        corners = np.array([[sx * hx, sy * hy, 0, 1] for sx in (-1, 1) for sy in (-1, 1)]) @ M.T
        lo, hi = corners[:, :2].min(0), corners[:, :2].max(0)
        if lo[0] < -0.01 or lo[1] < -0.01 or hi[0] > W + 0.01 or hi[1] > D + 0.01:
            continue
        if any(lo[0] < b[2] - 0.02 and hi[0] > b[0] + 0.02 and lo[1] < b[3] - 0.02 and hi[1] > b[1] + 0.02
               for b in boxes):
            continue
        return M, (lo[0], lo[1], hi[0], hi[1])
    return None, None


def build_furniture(rng, room, mats, textures, fonts):
    pool = [mats.any() for _ in range(rng.integers(5, 11))]
    book_pool = [mats.paint(hsv(rng.uniform(0, 1), rng.uniform(0.3, 0.9), rng.uniform(0.2, 0.9)), vary=0)
                 for _ in range(rng.integers(2, 6))]
    leaf_mats = [mats.paint(hsv(rng.uniform(0.2, 0.4), rng.uniform(0.4, 0.9), rng.uniform(0.15, 0.6)), vary=0.1)
                 for _ in range(2)]
    boxes = []
    # the door's swing space stays free
    for F, u0, u1, depth in room["keepout"]:
        c = np.array([[u, w, 0, 1] for u in (u0, u1) for w in (0, depth)]) @ F.T
        boxes.append((c[:, 0].min(), c[:, 1].min(), c[:, 0].max(), c[:, 1].max()))
    objects, point_lights, curves = [], [], []
    kinds = ["table", "chair", "shelf", "boxes", "cylinder", "sphere", "sofa", "cabinet", "plant", "lamp", "rug"]
    weights = np.array([0.14, 0.12, 0.12, 0.12, 0.07, 0.06, 0.07, 0.09, 0.09, 0.05, 0.07])
    wall_pref = {"shelf": 0.85, "sofa": 0.6, "cabinet": 0.7, "table": 0.3, "boxes": 0.4, "plant": 0.4,
                 "lamp": 0.3}
    n = rng.integers(8, 26)
    pick = lambda: pool[rng.integers(len(pool))]  # noqa: E731
    tables = []
    for i in range(n):
        kind = kinds[rng.choice(len(kinds), p=weights / weights.sum())]
        b = Builder()
        lights = []
        if kind == "plant":
            ms = [pick(), mats.paint(hsv(0.07, 0.5, 0.15)), leaf_mats[0], leaf_mats[1]]
            curves_local = []
            hx, hy, h = comp_plant(b, rng, ms, curves_local)
        elif kind == "lamp":
            c = kelvin_rgb(rng.uniform(2500, 4500))
            ms = [pick(), mats.emitter(c, rng.uniform(2, 8))]
            hx, hy, h = comp_lamp(b, rng, ms, lights)
        elif kind == "shelf":
            ms = [pick()] + book_pool + [pick()]
            hx, hy, h = comp_shelf(b, rng, ms)
        elif kind == "rug":
            ms = [mats.fabric() if rng.uniform() < 0.5 else mats.image(1.0 / rng.uniform(0.5, 2))]
            hx, hy, h = comp_rug(b, rng, ms)
        elif kind == "sofa":
            ms = [mats.fabric() if rng.uniform() < 0.6 else pick(), pick(), mats.fabric()]
            hx, hy, h = comp_sofa(b, rng, ms)
        else:
            ms = [pick(), pick()] + book_pool + [pick(), pick()]
            if rng.uniform() < 0.4:
                ms[1] = ms[0]
            fn = {"table": comp_table, "chair": comp_chair, "boxes": comp_boxes, "cylinder": comp_cylinder,
                  "sphere": comp_sphere, "cabinet": comp_cabinet}[kind]
            hx, hy, h = fn(b, rng, ms)
        M, box = place(rng, room, [] if kind == "rug" else boxes, hx, hy,
                       rng.uniform() < wall_pref.get(kind, 0.15))
        if M is None:
            continue
        if kind != "rug":
            boxes.append(box)
        b.verts = [v @ M[:3, :3].T + M[:3, 3] for v in b.verts]
        b.build(kind, ms)
        objects.append(dict(kind=kind, M=M, h=h, box=box))
        for p, watts in lights:
            point_lights.append(((M @ np.array(list(p) + [1.0]))[:3], watts))
        if kind == "plant":
            for pts, r, mi in curves_local:
                curves.append(([(M @ np.append(p, 1.0))[:3] for p in pts], r, ms[mi]))
        if kind == "table":
            tables.append((M, hx, hy, h, ms, len(boxes) - 1))
    # chairs pushed against / under tables: touching objects that occlude each other
    for M, hx, hy, h, ms, own in tables:
        for _ in range(rng.integers(0, 4)):
            b = Builder()
            cm = [ms[1] if rng.uniform() < 0.5 else pick(), ms[1]]
            s, _, ch = comp_chair(b, rng, cm)
            side = rng.integers(4)
            phi = side * np.pi / 2
            out = np.array([-math.sin(phi), math.cos(phi)])
            tang = np.array([math.cos(phi), math.sin(phi)])
            across, along = (hy, hx) if side % 2 == 0 else (hx, hy)
            c = out * (across + s + rng.uniform(-s, 0.2)) + tang * rng.uniform(-along, along) * 0.7
            C = M @ yaw_frame(c[0], c[1], 0, phi + np.pi + rng.uniform(-0.3, 0.3))
            c = C[:2, 3]
            if not (0.25 < c[0] < room["W"] - 0.25 and 0.25 < c[1] < room["D"] - 0.25):
                continue
            box = (c[0] - s, c[1] - s, c[0] + s, c[1] + s)
            if any(box[0] < o[2] - 0.02 and box[2] > o[0] + 0.02 and box[1] < o[3] - 0.02 and box[3] > o[1] + 0.02
                   for j, o in enumerate(boxes) if j != own):
                continue  # may slide under its own table, never into other furniture
            b.verts = [v @ C[:3, :3].T + C[:3, 3] for v in b.verts]
            b.build("chair", cm)
            box = (c[0] - s, c[1] - s, c[0] + s, c[1] + s)
            boxes.append(box)
            objects.append(dict(kind="chair", M=C, h=ch, box=box))
    # cables on the floor, some climbing to a table top
    for _ in range(rng.integers(0, 4)):
        r = rng.uniform(0.002, 0.006)
        k = rng.integers(4)
        F, L = room["walls"].frames[k], room["walls"].length[k]
        start = (F @ np.array([rng.uniform(0.2, L - 0.2), r + 0.002, r, 1]))[:3]
        pts = [start]
        p = start.copy()
        for _ in range(rng.integers(2, 6)):
            p = p + np.array([rng.uniform(-0.8, 0.8), rng.uniform(-0.8, 0.8), 0])
            p[0] = np.clip(p[0], 0.1, room["W"] - 0.1)
            p[1] = np.clip(p[1], 0.1, room["D"] - 0.1)
            pts.append(p.copy())
        if tables and rng.uniform() < 0.5:
            M, hx, hy, h, _, _ = tables[rng.integers(len(tables))]
            edge = (M @ np.array([rng.uniform(-hx, hx) * 0.8, hy + 0.01, h * 0.5, 1]))[:3]
            top = (M @ np.array([edge[0] * 0 + rng.uniform(-hx, hx) * 0.5, hy - 0.1, h + r, 1]))[:3]
            pts += [edge, top]
        curves.append((pts, r, mats.paint(hsv(0, 0, rng.uniform(0.03, 0.9)), vary=0)))
    for i, (pts, r, mat) in enumerate(curves):
        add_curve(pts, r, mat, "curve%d" % i, 6)
    return objects, point_lights


def add_lights(rng, room, point_lights, mats):
    W, D, H = room["W"], room["D"], room["H"]
    scene = bpy.context.scene
    temp = rng.uniform(2700, 6500)
    level = rng.uniform(0.4, 2.5)
    fb = Builder()
    fixtures = []
    for i in range(rng.integers(1, 4) if rng.uniform() < 0.9 else 0):
        sx, sy = rng.uniform(0.25, 1.2), rng.uniform(0.25, 1.2)
        x, y = rng.uniform(sx, W - sx), rng.uniform(sy, D - sy)
        light = bpy.data.lights.new("area%d" % i, "AREA")
        light.shape = "RECTANGLE"
        light.size, light.size_y = sx, sy
        light.energy = level * rng.uniform(100, 400) * sx * sy * 4
        light.color = kelvin_rgb(temp + rng.uniform(-300, 300))
        obj = bpy.data.objects.new("area%d" % i, light)
        obj.location = (x, y, H - 0.021)
        scene.collection.objects.link(obj)
        fb.cbox((x, y, H - 0.01), (sx, sy, 0.02), 0)
        fixtures.append(light.color)
    if fixtures:
        fb.build("fixtures", [mats.emitter(fixtures[0], rng.uniform(3, 12))])
    for i, (p, watts) in enumerate(point_lights):
        light = bpy.data.lights.new("lamp%d" % i, "POINT")
        light.energy = watts * level
        light.shadow_soft_size = 0.05
        light.color = kelvin_rgb(rng.uniform(2400, 4000))
        obj = bpy.data.objects.new("lamp%d" % i, light)
        obj.location = tuple(p)
        scene.collection.objects.link(obj)
    for i in range(rng.integers(0, 3) if fixtures else rng.integers(1, 3)):
        light = bpy.data.lights.new("point%d" % i, "POINT")
        light.energy = level * rng.uniform(50, 300)
        light.shadow_soft_size = rng.uniform(0.05, 0.3)
        light.color = kelvin_rgb(rng.uniform(2500, 6000))
        obj = bpy.data.objects.new("point%d" % i, light)
        obj.location = (rng.uniform(0.3, W - 0.3), rng.uniform(0.3, D - 0.3), rng.uniform(1.2, H - 0.2))
        scene.collection.objects.link(obj)
    world = bpy.data.worlds.new("sky")
    world.use_nodes = True
    bg = world.node_tree.nodes["Background"]
    sky = hsv(rng.uniform(0.55, 0.62), rng.uniform(0.05, 0.4), 1.0)
    bg.inputs["Color"].default_value = rgba(sky)
    bg.inputs["Strength"].default_value = rng.uniform(1, 4) * level if room["window"] else 0.05
    scene.world = world
    # the default 1024 px importance map of the sky costs ~1 s per render on one thread
    world.cycles.sampling_method = "MANUAL" if room["window"] else "NONE"
    world.cycles.sample_map_resolution = 64
    if room["window"] and rng.uniform() < 0.6:
        F, u0, u1, z0, z1, t = room["window"]
        c = F @ np.array([(u0 + u1) / 2, -t / 2, (z0 + z1) / 2, 1])
        target = F @ np.array([rng.uniform(u0 - 1, u1 + 1), rng.uniform(0.8, 3.0), 0, 1])
        d = Vector((target - c)[:3]).normalized()
        sun = bpy.data.lights.new("sun", "SUN")
        sun.energy = rng.uniform(2, 6) * level
        sun.angle = math.radians(rng.uniform(0.5, 3))
        sun.color = kelvin_rgb(rng.uniform(4500, 6500))
        obj = bpy.data.objects.new("sun", sun)
        obj.rotation_mode = "QUATERNION"
        obj.rotation_quaternion = d.to_track_quat("-Z", "Y")
        scene.collection.objects.link(obj)


def add_camera(rng, room, objects, width, height):
    W, D = room["W"], room["D"]
    boxes = [o["box"] for o in objects if o["kind"] != "rug"]
    best = None
    for _ in range(200):
        x, y = rng.uniform(0.3, W - 0.3), rng.uniform(0.3, D - 0.3)
        # distance to the nearest furniture footprint (0 inside one)
        clear = min([math.hypot(max(b[0] - x, 0, x - b[2]), max(b[1] - y, 0, y - b[3])) for b in boxes] + [9.0])
        z = rng.uniform(0.5, 2.0)
        if objects and rng.uniform() < 0.8:
            o = objects[rng.integers(len(objects))]
            poi = np.array([(o["box"][0] + o["box"][2]) / 2, (o["box"][1] + o["box"][3]) / 2,
                            o["h"] * rng.uniform(0.2, 0.9)]) + rng.uniform(-0.2, 0.2, 3)
        else:
            poi = np.array([rng.uniform(0, W), rng.uniform(0, D), rng.uniform(0.2, 2.0)])
        far = math.hypot(poi[0] - x, poi[1] - y) > 1.0
        if best is None or (far, min(clear, 0.35)) > best[0]:
            best = ((far, min(clear, 0.35)), x, y, z, poi)
        # handheld RGB-D cameras see nothing nearer than ~0.4 m: keep furniture beyond that
        if far and clear >= 0.35:
            break
    _, x, y, z, poi = best
    cam_data = bpy.data.cameras.new("cam")
    hfov = rng.uniform(55, 70)
    cam_data.sensor_fit = "HORIZONTAL"
    cam_data.lens_unit = "FOV"
    cam_data.angle = math.radians(hfov)
    cam_data.clip_start = 0.05
    cam_data.clip_end = 100.0
    cam = bpy.data.objects.new("cam", cam_data)
    bpy.context.scene.collection.objects.link(cam)
    bpy.context.scene.camera = cam
    pos = Vector((x, y, z))
    d = Vector(tuple(poi)) - pos
    q = d.to_track_quat("-Z", "Y")
    jitter = Matrix.Rotation(math.radians(rng.uniform(-3, 3)), 4, "X") @ \
        Matrix.Rotation(math.radians(rng.uniform(-3, 3)), 4, "Y") @ \
        Matrix.Rotation(math.radians(rng.uniform(-10, 10)), 4, "Z")
    cam.matrix_world = Matrix.Translation(pos) @ q.to_matrix().to_4x4() @ jitter
    fx = (width / 2) / math.tan(math.radians(hfov) / 2)
    return cam, dict(fx=fx, fy=fx, cx=(width - 1) / 2, cy=(height - 1) / 2, hfov_deg=hfov,
                     camera_height_m=z, cam_to_world=[list(r) for r in cam.matrix_world])


# ---------------------------------------------------------------- render


def setup_render(scene, width, height, samples, tmpdir):
    scene.render.engine = "CYCLES"
    c = scene.cycles
    c.device = "CPU"
    c.samples = samples
    c.use_adaptive_sampling = False
    c.use_denoising = False  # Debian's build has no OpenImageDenoise: see denoise_light
    # one indirect bounce: most of a room's fill light, at a third of the cost of three
    c.max_bounces = 1
    c.diffuse_bounces = 1
    c.glossy_bounces = 1
    c.transmission_bounces = 0
    c.volume_bounces = 0
    c.transparent_max_bounces = 2
    c.caustics_reflective = False
    c.caustics_refractive = False
    c.blur_glossy = 1.0
    c.sample_clamp_indirect = 3.0
    c.seed = 0
    scene.render.threads_mode = "FIXED"
    scene.render.threads = 1
    scene.render.resolution_x, scene.render.resolution_y = width, height
    scene.render.resolution_percentage = 100
    scene.render.use_compositing = True
    scene.render.film_transparent = False
    scene.view_settings.view_transform = "Standard"
    scene.frame_current = 1
    vl = scene.view_layers[0]
    for p in ("z", "normal", "diffuse_direct", "diffuse_indirect", "diffuse_color", "glossy_direct",
              "glossy_indirect", "glossy_color", "emit", "environment"):
        setattr(vl, "use_pass_" + p, True)
    scene.use_nodes = True
    nt = scene.node_tree
    for n in list(nt.nodes):
        nt.nodes.remove(n)
    rl = nt.nodes.new("CompositorNodeRLayers")
    out = nt.nodes.new("CompositorNodeOutputFile")
    out.base_path = tmpdir
    out.format.file_format = "OPEN_EXR"
    # half floats for the colour passes (less to write); the depth render switches to 32
    out.format.color_depth = "16"
    out.format.exr_codec = "NONE"
    out.file_slots.clear()
    for name in PASSES:
        out.file_slots.new(name)
        nt.links.new(rl.outputs[name], out.inputs[name])
    comp = nt.nodes.new("CompositorNodeComposite")
    nt.links.new(rl.outputs["Image"], comp.inputs["Image"])
    return out


PASSES = ["Image", "Depth", "Normal", "DiffDir", "DiffInd", "DiffCol", "GlossDir", "GlossInd", "GlossCol", "Emit",
          "Env"]


def read_exr(path):
    img = bpy.data.images.load(path)
    w, h = img.size
    a = np.empty(w * h * 4, dtype=np.float32)
    img.pixels.foreach_get(a)
    bpy.data.images.remove(img)
    return a.reshape(h, w, 4)[::-1, :, :3]


def guide_weights(normal, depth, radius):
    """Per axis and offset, the cross-bilateral weights of the guides (computed once)."""
    z = np.maximum(depth[..., 0], 1e-3)
    out = []
    for axis in (1, 0):
        pad = [(0, 0), (0, 0)]
        pad[axis] = (radius, radius)
        zp = np.pad(z, pad, mode="edge")
        npad = np.pad(normal, pad + [(0, 0)], mode="edge")
        ws = []
        for d in range(-radius, radius + 1):
            sl = [slice(None), slice(None)]
            sl[axis] = slice(radius + d, radius + d + z.shape[axis])
            sl = tuple(sl)
            w = (-0.5 * (d / (radius * 0.6)) ** 2
                 - np.sum((npad[sl] - normal) ** 2, axis=-1) * (1 / (2 * 0.15 ** 2))
                 - ((zp[sl] - z) / (0.02 * z)) ** 2 * 0.5)
            ws.append(np.exp(w).astype(np.float32))
        ws = np.stack(ws)
        out.append(ws / ws.sum(0))
    return out


def denoise_light(light, weights, passes=2):
    """Edge-aware smoothing of demodulated light (irradiance), guided by normals and depth.

    Why: the build has no denoiser and a few samples per pixel leave strong noise.
    The noise lives in the light, not in the texture: Cycles' light passes are
    divided by the surface colour, so filtering them and multiplying back by the
    (anti-aliased, noise-free) colour pass keeps textures sharp while the guides
    keep shading from leaking across depth and orientation edges. Separable
    cross-bilateral passes (x, then y, repeated) approximate a 2D kernel cheaply.
    """
    out = light.astype(np.float32)
    for _ in range(passes):
        for axis, ws in zip((1, 0), weights):
            radius = (len(ws) - 1) // 2
            pad = [(0, 0), (0, 0), (0, 0)]
            pad[axis] = (radius, radius)
            lp = np.pad(out, pad, mode="edge")
            acc = np.zeros_like(out)
            for i, d in enumerate(range(-radius, radius + 1)):
                sl = [slice(None), slice(None)]
                sl[axis] = slice(radius + d, radius + d + out.shape[axis])
                acc += lp[tuple(sl)] * ws[i][..., None]
            out = acc
    return out


def render_passes(scene, samples, tmpdir, out_node):
    """Colour at `samples` (denoised), then depth from a second 1-sample pass.

    Why two renders: Cycles writes the Z pass from the first sample only, at a
    point jittered over the pixel filter (1.5 px), so depth edges would wander
    by up to a pixel. The depth pass uses a 0.01 px filter (pixel centres) and
    a plain override material (no texture loading).
    """
    scene.cycles.samples = samples
    t0 = time.time()
    bpy.ops.render.render(write_still=False)
    p = {n: read_exr(os.path.join(tmpdir, n + "0001.exr")) for n in PASSES}
    t1 = time.time()
    weights = guide_weights(p["Normal"], p["Depth"], 5)
    diff = denoise_light(p["DiffDir"] + p["DiffInd"], weights)
    gloss = denoise_light(p["GlossDir"] + p["GlossInd"], weights, passes=1)
    rgb = diff * p["DiffCol"] + gloss * p["GlossCol"] + p["Emit"] + p["Env"]
    noisy = p["Image"]
    t2 = time.time()
    override = bpy.data.materials.new("override")
    scene.view_layers[0].material_override = override
    scene.cycles.samples = 1
    scene.cycles.max_bounces = 0
    scene.cycles.filter_width = 0.01
    for obj in scene.objects:  # camera rays only: no shadow rays
        if obj.type == "LIGHT":
            obj.hide_render = True
    scene.world.cycles.sampling_method = "NONE"
    vl = scene.view_layers[0]
    for p in ("normal", "diffuse_direct", "diffuse_indirect", "diffuse_color", "glossy_direct",
              "glossy_indirect", "glossy_color", "emit", "environment"):
        setattr(vl, "use_pass_" + p, False)
    out_node.format.color_depth = "32"
    tree = scene.node_tree
    for link in list(tree.links):
        if link.to_node == out_node and link.to_socket.name != "Depth":
            tree.links.remove(link)
    bpy.ops.render.render(write_still=False)
    depth = read_exr(os.path.join(tmpdir, "Depth0001.exr"))[..., 0]
    print("TIMES colour %.2f denoise %.2f depth %.2f" % (t1 - t0, t2 - t1, time.time() - t2), flush=True)
    return rgb, depth, noisy


def camera_effects(lin, seed):
    """Linear render -> camera-like sRGB 8-bit image (auto exposure with error,
    white balance error, vignetting, Poisson-Gaussian noise, JPEG)."""
    from PIL import Image
    rng = np.random.default_rng((seed, 1))
    h, w, _ = lin.shape
    lum = lin @ np.array([0.2126, 0.7152, 0.0722])
    key = math.exp(np.mean(np.log(lum + 1e-4)))
    gain = 0.18 / max(key, 1e-6) * 2 ** rng.uniform(-0.8, 0.6)
    gain = min(gain, 0.9 / max(np.percentile(lum, 50), 1e-6))
    img = lin * gain
    img = img * np.array([rng.uniform(0.85, 1.15), 1.0, rng.uniform(0.85, 1.15)])
    yy, xx = np.mgrid[0:h, 0:w]
    r2 = ((xx - (w - 1) / 2) ** 2 + (yy - (h - 1) / 2) ** 2) / ((w / 2) ** 2 + (h / 2) ** 2)
    img = img * (1 - rng.uniform(0, 0.35) * r2)[..., None]
    img = np.clip(img, 0, 1)
    a = math.exp(rng.uniform(math.log(2e-4), math.log(4e-3)))
    b = math.exp(rng.uniform(math.log(1e-6), math.log(5e-5)))
    img = img + rng.standard_normal(img.shape) * np.sqrt(a * img + b)
    img = np.clip(img, 0, 1)
    srgb = np.where(img <= 0.0031308, 12.92 * img, 1.055 * img ** (1 / 2.4) - 0.055)
    u8 = np.clip(np.round(srgb * 255), 0, 255).astype(np.uint8)
    q = int(rng.integers(70, 96))
    buf = io.BytesIO()
    Image.fromarray(u8).save(buf, format="JPEG", quality=q)
    buf.seek(0)
    return np.asarray(Image.open(buf).convert("RGB")), dict(jpeg_quality=q, exposure_gain=gain)


def save_png(arr, path):
    from PIL import Image
    tmp = path + ".tmp.png"
    Image.fromarray(arr).save(tmp)
    os.replace(tmp, path)


def render_seed(seed, args, textures, fonts, width, height):
    t0, c0 = time.time(), time.process_time()
    bpy.ops.wm.read_factory_settings(use_empty=True)
    rng = np.random.default_rng(seed)
    scene = bpy.context.scene
    mats = Materials(rng, textures)
    room = build_room(rng, mats, textures)
    objects, point_lights = build_furniture(rng, room, mats, textures, fonts)
    add_wall_decor(rng, room, mats, textures, fonts)
    add_lights(rng, room, point_lights, mats)
    cam, meta = add_camera(rng, room, objects, width, height)
    tmpdir = tempfile.mkdtemp(prefix="room_")
    try:
        out = setup_render(scene, width, height, args.samples, tmpdir)
        t1 = time.time()
        lin, z, noisy = render_passes(scene, args.samples, tmpdir, out)
        if os.environ.get("ROOM_DEBUG"):  # linear denoised and raw Cycles colour, to judge the denoiser
            np.save(os.path.join(args.out, "%07d_lin.npy" % seed), np.stack([lin, noisy]))
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    t2 = time.time()
    rgb, post = camera_effects(lin, seed)
    depth = np.where((z > 0) & (z < 65.0), np.round(z * 1000.0), 0).astype(np.uint16)
    stem = os.path.join(args.out, "%07d" % seed)
    save_png(rgb, stem + "_rgb.png")
    save_png(depth, stem + "_depth.png")
    meta.update(seed=seed, width=width, height=height, samples=args.samples, depth_unit="mm",
                depth_kind="planar (z along the optical axis), 0 = no surface",
                room_m=[room["W"], room["D"], room["H"]], objects=len(objects),
                blender=bpy.app.version_string, setup_seconds=round(t1 - t0, 3),
                render_seconds=round(time.time() - t0, 3),
                cpu_seconds=round(time.process_time() - c0, 3), **post)
    tmp = stem + ".json.tmp"
    with open(tmp, "w") as f:
        json.dump(meta, f, indent=1)
    os.replace(tmp, stem + ".json")
    print("SEED %d %.2f s (setup %.2f, render %.2f) objects %d" % (seed, time.time() - t0, t1 - t0, t2 - t1,
                                                                   len(objects)), flush=True)


def main():
    args = parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    os.makedirs(args.out, exist_ok=True)
    textures = texture_files(args.textures)
    fonts = font_files()
    for seed in seed_range(args.seeds):
        stem = os.path.join(args.out, "%07d" % seed)
        if not args.force and all(os.path.exists(stem + s) for s in ("_rgb.png", "_depth.png", ".json")):
            continue
        render_seed(seed, args, textures, fonts, width, height)


if __name__ == "__main__":
    try:
        main()
    except Exception:
        import traceback
        traceback.print_exc()
        sys.stdout.flush()
        os._exit(1)
    sys.stdout.flush()
    os._exit(0)
