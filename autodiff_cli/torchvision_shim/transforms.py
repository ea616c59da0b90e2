"""torchvision.transforms' Compose, ToTensor, Normalize, Lambda and RandomHorizontalFlip, with
torchvision 0.28's reprs; Normalize and RandomHorizontalFlip are Modules there, so here too."""

import autodiff as ad
import nn

from . import functional as F


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


__all__ = ["Compose", "Lambda", "Normalize", "RandomHorizontalFlip", "ToTensor"]
