"""What student code of each tier may import, enforced in three places from one object.

- the static scan (:mod:`grader.integrity`) reads the source before anything runs;
- the child's guard (an audit hook in ``worker.py``) records forbidden imports as they happen,
  so they can be reported as a ``violation`` -- advisory only, student code can tamper with it;
- the kernel (``confine.py``: Landlock) lets the child read only the Python standard library and
  the packages listed here, so a forbidden package cannot be imported however the import is
  written, and the project's own ``reference/``, ``solutions/`` and ``grader/`` cannot be read.

The zygote of a tier imports ``preload`` before it forks, so each child starts warm; a NumPy
tier process never has torch in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

PROJECT = ("reference", "solutions", "grader")


@dataclass(frozen=True)
class Policy:
    tier: str
    forbidden: tuple[str, ...]               # top-level modules a submission may not import
    packages: Optional[tuple[str, ...]]      # installed packages the child may read (None: all
                                             # but the forbidden ones)
    preload: tuple[str, ...]                 # imported by the zygote before it forks a child
    allowed: str                             # the rule, in words, for messages
    accelerator: bool = False                # may use a GPU: its device files, driver information,
                                             # and no address-space limit (CUDA reserves far more
                                             # virtual memory than it uses)

    def forbids(self, module: str) -> bool:
        return module.partition(".")[0] in self.forbidden


NUMPY = Policy("core", ("torch", "scipy", *PROJECT), ("numpy",), ("numpy",),
               "NumPy exercises may import only numpy, math, the standard library and the "
               "submission's own exercise modules")
TORCH = Policy("torch", ("scipy", *PROJECT), None, ("numpy", "torch"),
               "torch-tier exercises may import torch, numpy, math and the standard library", accelerator=True)

#: What a GPU needs besides the tier's files: device files (read, write, ioctl) and driver facts.
GPU_DEVICES = ("/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools", "/dev/nvidia-modeset", "/dev/dri")
GPU_READ = ("/proc/driver/nvidia", "/sys/bus/pci", "/sys/devices", "/sys/module/nvidia", "/etc/nvidia")

POLICIES = {policy.tier: policy for policy in (NUMPY, TORCH)}


def for_tier(tier: str) -> Policy:
    return POLICIES[tier]
