"""torchvision.transforms.functional's to_tensor, normalize and hflip, as torchvision 0.28 does
them (PIL images and NumPy arrays in, autodiff tensors out)."""

import numpy as np

import autodiff as ad


def _pil_image_class():
    """PIL.Image.Image, or None when Pillow is not installed (then no input is a PIL image)."""
    try:
        from PIL import Image
    except ImportError:
        return None
    return Image.Image


def _is_pil_image(img) -> bool:
    image_class = _pil_image_class()
    return image_class is not None and isinstance(img, image_class)


def to_tensor(pic):
    """A PIL image or an (H, W[, C]) ndarray as a (C, H, W) tensor; uint8 values become the
    default float dtype divided by 255, other dtypes keep their values (as torchvision)."""
    if not (_is_pil_image(pic) or isinstance(pic, np.ndarray)):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        array = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        if pic.mode in ("I", "F") or pic.mode.startswith("I;"):
            raise NotImplementedError(
                f"to_tensor: PIL mode {pic.mode!r} is not supported by autodiff yet (8-bit modes "
                "only). Convert it first, e.g. img.convert('L')."
            )
        array = np.array(pic, dtype=np.uint8, copy=True)
        if pic.mode == "1":
            array = 255 * array  # torchvision: one-bit pixels 0/1 become 0/255
        array = array.reshape(pic.size[1], pic.size[0], -1)  # (H, W, C): PIL's size is (W, H)
    img = ad.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1)))
    if img.dtype == ad.uint8:
        return img.to(dtype=ad.get_default_dtype()).div(255)
    return img


def normalize(tensor, mean, std, inplace=False):
    """(tensor - mean) / std per channel of a (..., C, H, W) float tensor."""
    if not isinstance(tensor, ad.Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError(
            "Expected tensor to be a tensor image of size (..., C, H, W). Got "
            f"tensor.size() = {tensor.size()}"
        )
    if not inplace:
        tensor = tensor.clone()
    mean = ad.as_tensor(mean, dtype=tensor.dtype)
    std = ad.as_tensor(std, dtype=tensor.dtype)
    if (std == 0).any():
        raise ValueError(
            f"std evaluated to zero after conversion to {tensor.dtype}, leading to division by "
            "zero."
        )
    if mean.ndim == 1:
        mean = mean.view(-1, 1, 1)  # one value per channel
    if std.ndim == 1:
        std = std.view(-1, 1, 1)
    return tensor.sub_(mean).div_(std)


def hflip(img):
    """The image mirrored left to right: a PIL image stays one, a tensor flips its last dim."""
    if isinstance(img, ad.Tensor):
        if img.ndim < 2:
            raise TypeError("Tensor is not a torch image.")
        return img.flip(-1)
    if not _is_pil_image(img):
        raise TypeError(f"img should be PIL Image. Got {type(img)}")
    from PIL import Image

    return img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


__all__ = ["hflip", "normalize", "to_tensor"]
