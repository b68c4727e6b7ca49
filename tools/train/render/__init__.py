"""The Blender renderer of RGB-D rooms (README.md); room.py runs inside Blender."""
