"""torchvision.transforms' Compose, ToTensor, ToPILImage, Normalize, Lambda, Resize, CenterCrop
and RandomHorizontalFlip, with torchvision 0.28's reprs; the ones that are Modules there
(Normalize, Resize, CenterCrop, RandomHorizontalFlip) are Modules here too."""

import autodiff as ad
import nn

from . import functional as F
from .functional import InterpolationMode


class Compose:
    """Applies its transforms in order."""

    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        lines = "".join(f"\n    {t}" for t in self.transforms)
        return f"{self.__class__.__name__}({lines}\n)"


class ToTensor:
    """A PIL image or ndarray (H, W, C) as a float tensor (C, H, W) in [0, 1]: F.to_tensor."""

    def __call__(self, pic):
        return F.to_tensor(pic)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class Lambda:
    """A user's function as a transform."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {repr(type(lambd).__name__)}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class Normalize(nn.Module):
    """(tensor - mean) / std per channel: F.normalize."""

    def __init__(self, mean, std, inplace=False):
        super().__init__()
        self.mean, self.std, self.inplace = mean, std, inplace

    def forward(self, tensor):
        return F.normalize(tensor, self.mean, self.std, self.inplace)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(mean={self.mean}, std={self.std})"


class RandomHorizontalFlip(nn.Module):
    """Mirrors the image with probability p, drawing torch.rand(1) as torchvision does, so a
    seeded program flips the same images."""

    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, img):
        if ad.rand(1) < self.p:
            return F.hflip(img)
        return img

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(p={self.p})"


class ToPILImage:
    """A tensor (C, H, W) or ndarray (H, W, C) as a PIL image: F.to_pil_image."""

    def __init__(self, mode=None):
        self.mode = mode

    def __call__(self, pic):
        return F.to_pil_image(pic, self.mode)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({'' if self.mode is None else f'mode={self.mode}'})"


class Resize(nn.Module):
    """F.resize to size (an int: the shorter edge), e.g. a DCGAN's 28 -> 64 pixels."""

    def __init__(
        self, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True
    ):
        super().__init__()
        if not isinstance(size, int | list | tuple):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, list | tuple) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        self.size, self.max_size, self.antialias = size, max_size, antialias
        self.interpolation = F.interpolation_mode(interpolation)

    def forward(self, img):
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}(size={self.size}, interpolation="
            f"{self.interpolation.value}, max_size={self.max_size}, antialias={self.antialias})"
        )


class CenterCrop(nn.Module):
    """F.center_crop to size (an int: a square)."""

    def __init__(self, size):
        super().__init__()
        if isinstance(size, int | float):
            size = (int(size), int(size))
        elif isinstance(size, list | tuple) and len(size) == 1:
            size = (size[0], size[0])
        if len(size) != 2:
            raise ValueError("Please provide only two dimensions (h, w) for size.")
        self.size = size

    def forward(self, img):
        return F.center_crop(img, self.size)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size})"


__all__ = [
    "CenterCrop",
    "Compose",
    "InterpolationMode",
    "Lambda",
    "Normalize",
    "RandomHorizontalFlip",
    "Resize",
    "ToPILImage",
    "ToTensor",
]
