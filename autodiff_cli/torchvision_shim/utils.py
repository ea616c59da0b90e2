"""torchvision.utils' make_grid and save_image, as torchvision 0.28 does them: the pictures a
VAE's or a GAN's tutorial writes of its samples (no gradient is recorded, as there)."""

import math

import autodiff as ad


@ad.no_grad()
def make_grid(
    tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0
):
    """Images (B, C, H, W), a list of (C, H, W) images, one (C, H, W) or (H, W) image, as one
    (3 or C, rows, columns) picture: nrow images a row, `padding` pixels of pad_value between
    and around them; one-channel images become three (grey). With normalize, values are
    clamped to value_range (default: the batch's, or each image's with scale_each, min and
    max) and mapped to [0, 1]. One image is returned without padding."""
    tensor = _batch(tensor)
    if normalize is True:
        tensor = tensor.clone()  # the caller's images stay as they are
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError(
                "value_range has to be a tuple (min, max) if specified. min and max are numbers"
            )
        for images in tensor if scale_each is True else (tensor,):
            if value_range is None:
                low, high = float(images.min()), float(images.max())
            else:
                low, high = value_range
            images.clamp_(min=low, max=high)
            images.sub_(low).div_(max(high - low, 1e-5))
    if tensor.size(0) == 1:
        return tensor.squeeze(0)
    count, channels, height, width = tensor.shape
    across = min(nrow, count)
    down = math.ceil(count / across)
    cell_h, cell_w = height + padding, width + padding
    grid = tensor.new_full(
        (channels, cell_h * down + padding, cell_w * across + padding), pad_value
    )
    for k in range(count):
        top, left = (k // across) * cell_h + padding, (k % across) * cell_w + padding
        grid[:, top : top + height, left : left + width] = tensor[k]
    return grid


def _batch(tensor):
    """The images as a (B, C, H, W) tensor with C = 3 where they had one channel."""
    if isinstance(tensor, list):
        for t in tensor:
            if not isinstance(t, ad.Tensor):
                raise TypeError(
                    f"tensor or list of tensors expected, got a list containing {type(t)}"
                )
        tensor = ad.stack(tensor, dim=0)
    elif not isinstance(tensor, ad.Tensor):
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if tensor.dim() == 2:  # one image, H x W
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 3:  # one image, C x H x W
        if tensor.size(0) == 1:
            tensor = ad.cat((tensor, tensor, tensor), 0)
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 4 and tensor.size(1) == 1:
        tensor = ad.cat((tensor, tensor, tensor), 1)
    return tensor


@ad.no_grad()
def save_image(tensor, fp, format=None, **kwargs):
    """make_grid(tensor, **kwargs) written as an 8-bit image file (PNG, JPEG, ... by fp's
    extension or format): each value v in [0, 1] becomes the byte floor(255·v + 0.5)."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(
            "torchvision.utils.save_image writes the image with Pillow, which is not installed: "
            "pip install pillow"
        ) from None
    grid = make_grid(tensor, **kwargs)
    pixels = grid.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to("cpu", ad.uint8)
    Image.fromarray(pixels.numpy()).save(fp, format=format)
