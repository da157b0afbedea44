"""AAD (Auto Augmented Data): make small labeled datasets bigger and better, and prove it."""
from aad.base import Augmenter, NotFittedError
from aad.compose import Compose, Identity, OneOf, Sometimes

__version__ = "0.1.0"
__all__ = ["Augmenter", "Compose", "Identity", "NotFittedError", "OneOf", "Sometimes", "__version__"]
