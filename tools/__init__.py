"""svlrm's Python tools: the exporter and weights format, the trainer, the renderer,
the evaluation's data makers and their tests.

Run them as modules from the repository root, with Debian's interpreter (it has
python3-torch and numpy), e.g. `/usr/bin/python3 -m tools.train.train --task depth_sr`
(docs/design.md, Python tools).
"""

import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_module(module, *args, **kwargs):
    """`python3 -m MODULE ARGS` with this interpreter, from the repository root
    (where `tools` is importable); keyword arguments go to subprocess.run."""
    return subprocess.run([sys.executable, "-m", module, *map(str, args)], cwd=REPO, **kwargs)
