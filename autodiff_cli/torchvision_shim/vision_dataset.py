"""torchvision.datasets' VisionDataset (the root, the transforms and the repr every dataset
prints) and StandardTransform, which datasets.py and cifar.py build on."""

import os

from nn.data import Dataset


class StandardTransform:
    """transform on the input and target_transform on the target, as torchvision pairs them."""

    def __init__(self, transform=None, target_transform=None):
        self.transform, self.target_transform = transform, target_transform

    def __call__(self, input, target):
        if self.transform is not None:
            input = self.transform(input)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return input, target

    def _format_transform_repr(self, transform, head: str) -> list:
        lines = repr(transform).splitlines()
        return [f"{head}{lines[0]}"] + [" " * len(head) + line for line in lines[1:]]

    def __repr__(self) -> str:
        body = [self.__class__.__name__]
        if self.transform is not None:
            body += self._format_transform_repr(self.transform, "Transform: ")
        if self.target_transform is not None:
            body += self._format_transform_repr(self.target_transform, "Target transform: ")
        return "\n".join(body)


class VisionDataset(Dataset):
    """torchvision's base: root, the transforms and the repr every dataset prints."""

    _repr_indent = 4

    def __init__(self, root=None, transforms=None, transform=None, target_transform=None):
        if isinstance(root, str):
            root = os.path.expanduser(root)
        self.root = root
        has_separate_transform = transform is not None or target_transform is not None
        if transforms is not None and has_separate_transform:
            raise ValueError(
                "Only transforms or transform/target_transform can be passed as argument"
            )
        self.transform, self.target_transform = transform, target_transform
        if has_separate_transform:
            transforms = StandardTransform(transform, target_transform)
        self.transforms = transforms

    def extra_repr(self) -> str:
        return ""

    def _transformed(self, input, target) -> tuple:
        """input through transform and target through target_transform, where given (an
        item's transforms, as torchvision's datasets apply them)."""
        return StandardTransform(self.transform, self.target_transform)(input, target)

    def __repr__(self) -> str:
        body = [f"Number of datapoints: {self.__len__()}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body += self.extra_repr().splitlines()
        if getattr(self, "transforms", None) is not None:
            # one entry, though several lines: torchvision indents only its first line
            body += [repr(self.transforms)]
        indent = " " * self._repr_indent
        return "\n".join([f"Dataset {self.__class__.__name__}"] + [indent + b for b in body])


def _pil_image():
    """PIL.Image, or an ImportError saying how to install it (datasets give PIL images)."""
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError(
            "torchvision.datasets under autodiff run gives PIL images: Pillow is not installed. "
            "Run `pip install pillow`."
        ) from e
    return Image
