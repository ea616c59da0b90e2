"""torchvision.transforms.functional's to_tensor, to_pil_image, normalize, hflip, resize,
center_crop and crop, as torchvision 0.28 does them (PIL images and NumPy arrays in, autodiff
tensors out; a PIL image is resized and cropped by Pillow, as there)."""

import enum
import warnings

import numpy as np

import autodiff as ad
import nn


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


def to_pil_image(pic, mode=None):
    """A (C, H, W) tensor or an (H, W[, C]) ndarray as a PIL image; float values in [0, 1]
    become bytes as torchvision makes them, (values · 255) cast to uint8; the mode follows from
    the dtype and the channels (L, LA, RGB, RGBA; F, I, I;16 for one channel)."""
    if isinstance(pic, ad.Tensor):
        pic = (pic.permute(1, 2, 0) if pic.ndim == 3 else pic).numpy(force=True)
    elif not isinstance(pic, np.ndarray):
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if pic.ndim == 2:
        pic = pic[:, :, None]
    if pic.ndim != 3:
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    if pic.shape[-1] > 4:
        raise ValueError(f"pic should not have > 4 channels. Got {pic.shape[-1]} channels.")
    if np.issubdtype(pic.dtype, np.floating) and mode != "F":
        pic = (pic * 255).astype(np.uint8)
    inferred = _pil_mode(pic)
    if inferred is None:
        raise TypeError(f"Input type {pic.dtype} is not supported")
    if mode is not None and mode != inferred:
        raise NotImplementedError(
            f"to_pil_image: mode={mode!r} for {pic.shape[-1]}-channel {pic.dtype} data is not "
            f"supported by autodiff yet (only the mode the data gives, {inferred!r})."
        )
    from PIL import Image

    return Image.fromarray(pic[:, :, 0] if pic.shape[-1] == 1 else pic)


def _pil_mode(pic: np.ndarray):
    """The PIL mode torchvision picks for (H, W, C) data, or None."""
    if pic.shape[-1] == 1:
        return {"uint8": "L", "int16": "I;16", "int32": "I", "float32": "F"}.get(pic.dtype.name)
    return {2: "LA", 3: "RGB", 4: "RGBA"}[pic.shape[-1]] if pic.dtype == np.uint8 else None


class InterpolationMode(enum.Enum):
    """How resize computes a pixel between source pixels (torchvision's names)."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


# Pillow's filter numbers: Image.NEAREST 0, LANCZOS 1, BILINEAR 2, BICUBIC 3, BOX 4, HAMMING 5
_PIL_FILTERS = {"nearest": 0, "nearest-exact": 0, "lanczos": 1, "bilinear": 2, "bicubic": 3,
                "box": 4, "hamming": 5}  # fmt: skip


def interpolation_mode(value) -> InterpolationMode:
    """An InterpolationMode, or the one a Pillow filter number names (torchvision accepts both)."""
    if isinstance(value, InterpolationMode):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        by_number = {v: k for k, v in _PIL_FILTERS.items() if k != "nearest-exact"}
        if value in by_number:
            return InterpolationMode(by_number[value])
    raise TypeError(
        "Argument interpolation should be a InterpolationMode or a corresponding Pillow integer "
        "constant"
    )


def get_dimensions(img) -> list:
    """[channels, height, width] of a tensor image (..., C, H, W) or a PIL image."""
    if isinstance(img, ad.Tensor):
        channels = 1 if img.ndim == 2 else img.shape[-3]
        return [channels, img.shape[-2], img.shape[-1]]
    if not _is_pil_image(img):
        raise TypeError(f"Unexpected type {type(img)}")
    return [len(img.getbands()), img.height, img.width]


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """img at a new size: an int sets the shorter edge (the other keeps the aspect ratio,
    rounded down; max_size caps the longer edge), [h, w] sets both. A PIL image is resized by
    Pillow (always antialiased), a tensor by F.interpolate as torchvision's."""
    mode = interpolation_mode(interpolation)
    if isinstance(size, list | tuple):
        if len(size) not in (1, 2):
            raise ValueError(
                f"Size must be an int or a 1 or 2 element tuple/list, not a {len(size)} element "
                "tuple/list"
            )
        if max_size is not None and len(size) != 1:
            raise ValueError(
                "max_size should only be passed if size specifies the length of the smaller "
                "edge, i.e. size should be an int or a sequence of length 1 in torchscript mode."
            )
    _, height, width = get_dimensions(img)
    new_h, new_w = _resized(
        height, width, [size] if isinstance(size, int) else list(size), max_size
    )
    if (new_h, new_w) == (height, width):
        return img
    if not isinstance(img, ad.Tensor):
        if antialias is False:
            warnings.warn(
                "Anti-alias option is always applied for PIL Image input. Argument antialias is "
                "ignored.",
                stacklevel=2,
            )
        return img.resize((new_w, new_h), _PIL_FILTERS[mode.value])
    return _resize_tensor(img, [new_h, new_w], mode.value, antialias)


def _resized(height: int, width: int, size: list, max_size) -> tuple:
    """torchvision's output size (h, w) for resize."""
    if len(size) == 2:
        return size[0], size[1]
    short, long = sorted((height, width))
    new_short, new_long = size[0], int(size[0] * long / short)
    if max_size is not None:
        if max_size <= size[0]:
            raise ValueError(
                f"max_size = {max_size} must be strictly greater than the requested size for the "
                f"smaller edge size = {size}"
            )
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    return (new_long, new_short) if width <= height else (new_short, new_long)


def _resize_tensor(img, size: list, mode: str, antialias):
    """F.interpolate on a float copy of (..., C, H, W), as torchvision's tensor resize; an
    integer image is rounded back to its dtype."""
    if mode not in ("nearest", "nearest-exact", "bilinear", "bicubic"):
        raise ValueError(f"resize of a tensor: interpolation {mode!r} is only for PIL images")
    antialias = bool(antialias) and mode in ("bilinear", "bicubic")
    lead, dtype = img.shape[:-3], img.dtype
    batch = img.reshape(-1, *img.shape[-3:]) if img.ndim >= 3 else img[None, None]
    if dtype not in (ad.float32, ad.float64):
        batch = batch.to(ad.float32)
    corners = False if mode in ("bilinear", "bicubic") else None
    out = nn.functional.interpolate(
        batch, size=size, mode=mode, align_corners=corners, antialias=antialias
    )
    if mode == "bicubic" and dtype == ad.uint8:
        out = out.clamp(min=0, max=255)
    if dtype not in (ad.float32, ad.float64):
        out = (out.round() if not dtype.is_floating_point else out).to(dtype)
    return out.reshape(*lead, *out.shape[-3:]) if img.ndim >= 3 else out[0, 0]


def crop(img, top: int, left: int, height: int, width: int):
    """The (height, width) region whose top-left corner is (top, left); outside the image is
    0 (a tensor is padded with zeros, Pillow fills what lies outside)."""
    if not isinstance(img, ad.Tensor):
        if not _is_pil_image(img):
            raise TypeError(f"img should be PIL Image. Got {type(img)}")
        return img.crop((left, top, left + width, top + height))
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        inside = img[..., max(top, 0) : min(bottom, h), max(left, 0) : min(right, w)]
        pads = [max(-left, 0), max(right - w, 0), max(-top, 0), max(bottom - h, 0)]
        return nn.functional.pad(inside, pads, value=0)
    return img[..., top:bottom, left:right]


def resized_crop(img, top, left, height, width, size,
                 interpolation=InterpolationMode.BILINEAR, antialias=True):  # fmt: skip
    """crop, then resize to size."""
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def check_padding(padding, padding_mode) -> None:
    """torchvision's refusals of a padding and of a padding mode (F.pad's and Pad's)."""
    if not isinstance(padding, int | list | tuple):
        raise TypeError("Got inappropriate padding arg")
    if isinstance(padding, list | tuple) and len(padding) not in (1, 2, 4):
        raise ValueError(
            f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} "
            "element tuple"
        )
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")


def pad(img, padding, fill=0, padding_mode="constant"):
    """img with `padding` pixels added around: an int on every side, (left/right, top/bottom)
    or (left, top, right, bottom); a negative amount crops. constant fills with fill; edge
    repeats the border, reflect mirrors without it, symmetric with it (NumPy's modes)."""
    check_padding(padding, padding_mode)
    if isinstance(padding, int) or len(padding) == 1:
        left = top = right = bottom = padding if isinstance(padding, int) else padding[0]
    elif len(padding) == 2:
        (left, top), (right, bottom) = padding, padding
    else:
        left, top, right, bottom = padding
    if not isinstance(img, ad.Tensor):
        return _pad_pil(img, (left, top, right, bottom), fill, padding_mode)
    if padding_mode == "constant":
        return nn.functional.pad(img, [left, right, top, bottom], value=float(fill or 0))
    _, height, width = get_dimensions(img)
    rows = _padded_indices(height, top, bottom, padding_mode)
    columns = _padded_indices(width, left, right, padding_mode)
    return img[..., rows[:, None], columns]


def _padded_indices(size: int, before: int, after: int, mode: str) -> np.ndarray:
    """Which source row (or column) each padded one repeats: NumPy's pad of the indices
    (a negative amount crops first, as torchvision does)."""
    kept = np.arange(size)[max(-before, 0) : size - max(-after, 0)]
    return np.pad(kept, (max(before, 0), max(after, 0)), mode=mode)


def _pad_pil(img, sides: tuple, fill, mode: str):
    """torchvision's PIL padding: Pillow's ImageOps.expand for constant, else NumPy's pad of
    the pixels (a negative amount crops first)."""
    if not _is_pil_image(img):
        raise TypeError(f"img should be PIL Image. Got {type(img)}")
    from PIL import Image, ImageOps

    if mode == "constant":
        bands = len(img.getbands())
        fill = 0 if fill is None else fill
        if isinstance(fill, int | float) and bands > 1:
            fill = (fill,) * bands
        if isinstance(fill, list | tuple):
            fill = tuple(fill) * (bands if len(fill) == 1 else 1)
            if len(fill) != bands:
                raise ValueError(
                    "The number of elements in 'fill' does not match the number of channels of "
                    f"the image ({len(fill)} != {bands})"
                )
        if img.mode != "F":
            fill = tuple(int(v) for v in fill) if isinstance(fill, tuple) else int(fill)
        return ImageOps.expand(img, border=sides, fill=fill)
    left, top, right, bottom = sides
    crop_left, crop_top, crop_right, crop_bottom = (max(-v, 0) for v in sides)
    if crop_left or crop_top or crop_right or crop_bottom:
        img = img.crop((crop_left, crop_top, img.width - crop_right, img.height - crop_bottom))
    pixels = np.asarray(img)
    widths = [(max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0))]
    return Image.fromarray(np.pad(pixels, widths + [(0, 0)] * (pixels.ndim - 2), mode))


def center_crop(img, output_size):
    """The central output_size (an int: a square) region. Along a side where the image is
    smaller, it is padded with zeros around (the odd pixel after), as torchvision pads it."""
    if isinstance(output_size, int | float):
        output_size = (int(output_size), int(output_size))
    elif isinstance(output_size, list | tuple) and len(output_size) == 1:
        output_size = (output_size[0], output_size[0])
    _, height, width = get_dimensions(img)
    crop_h, crop_w = output_size
    top = -((crop_h - height) // 2) if crop_h > height else int(round((height - crop_h) / 2))
    left = -((crop_w - width) // 2) if crop_w > width else int(round((width - crop_w) / 2))
    return crop(img, top, left, crop_h, crop_w)


__all__ = [
    "InterpolationMode",
    "center_crop",
    "crop",
    "get_dimensions",
    "hflip",
    "normalize",
    "pad",
    "resize",
    "resized_crop",
    "to_pil_image",
    "to_tensor",
]
