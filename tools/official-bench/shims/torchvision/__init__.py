# Empty stand-in for torchvision: train_ddgan.py imports it at module level but the
# benchmarked functions never use it. Shadows any real torchvision on purpose.
from . import transforms, datasets, utils  # noqa: F401
