"""Every word the pictures, the stepper page and the plots show, in English and in Vietnamese.

Vietnamese is the seeds' language, and the Vietnamese words are the seeds' own terms (giá trị,
gradient, đạo hàm cục bộ, lan truyền ngược, bão hòa, chết, ...; docs/glossary.md says where each
one comes from). `set_language("vi")` picks Vietnamese for every picture; `lang=` on a call picks
it for that picture only. Error messages stay in English (they are for the program's author).
"""

LANGUAGES = ("en", "vi")

WORDS = {
    "en": {
        # inside a node
        "value": "value",
        "grad": "grad",
        "scalar": "scalar",
        "const": "const",
        "constant": "constant",
        "not kept": "(not kept)",
        "more nodes": "… {count} more nodes",
        "more hint": "max_nodes={limit}; pass max_nodes=None for all",
        "module": "module",
        "module size": "{ops} ops · {params} params",
        "param grad norm": "‖param grad‖",
        "saved freed": "saved values freed",
        "saved output": "saved output {shape}",
        "saved input": "saved input {slot}{who} {shape}",
        "saved tensor": "saved tensor {shape}",
        "saved array": "saved array {shape}",
        "saved other": "saved {kind}",
        # small tensors' statistics
        "stats mean": "mean {mean}  std {std}",
        "stats range": "min {min}  max {max}",
        "stats zeros": "zeros {percent}%",
        "stats bad": "NaN/Inf {count}",
        "stats all bad": "all {count} entries NaN/Inf",
        # the key of gradient states
        "state ok": "gradient computed",
        "state none": "gradient not computed",
        "state unkept": "gradient computed, not kept (draw inside viz.record())",
        "state zero": "gradient exactly zero (dead)",
        "state vanishing": "gradient vanishing (|g| < {vanish:g})",
        "state exploding": "gradient exploding (|g| > {explode:g})",
        "state nonfinite": "gradient NaN / Inf",
        "edge key": "edge: local derivative × upstream gradient = what goes to the input",
        "tensor edge key": "tensor edge: the upstream gradient g through the matrix product "
        "(g @ Wᵀ, xᵀ @ g) or through the op's Jacobian J (g · J)",
        # short notes in the text form (to_text)
        "note none": "not computed",
        "note zero": "zero",
        "note vanishing": "vanishing",
        "note exploding": "exploding",
        "note nonfinite": "NaN/Inf",
        "leaf": "leaf",
        "parameter": "parameter",
        "hidden lines": "… {count} more nodes (earlier in the graph) not shown",
        # the stepper
        "step running": "running now: its gradient is complete and goes on to its inputs",
        "step done": "gradient complete (fill colour: its state)",
        "step partial": "some of its gradient has arrived (k of n parts)",
        "step pending": "no gradient has arrived yet",
        "step title": "backward step {index}/{total}: {caption}",
        "caption stored": "{node}{who}: gradient stored in .grad",
        "caption sent": "{node}{who}: gradient arrives, sent on to its inputs",
        "the start": "(the start)",
        "page title": "Backpropagation, step by step",
        "page heading": "Backpropagation, step by step ({count} steps)",
        "button first": "first (Home)",
        "button back": "back (←)",
        "button play title": "play / pause (space)",
        "button next": "next (→)",
        "button last": "last (End)",
        "play": "▶ play",
        "pause": "⏸ pause",
        "keys": "← → step · space play/pause · Home/End",
        "slider": "step",
        # training plots
        "epoch": "epoch",
        "step": "step",
        "loss": "loss",
        "accuracy": "accuracy",
        "train": "train",
        "validation": "validation",
        "best": "best {value:.3f} (epoch {epoch})",
        "gradient norm": "gradient norm",
        "dead summary": "dead units {dead:.0%}, zeros {zeros:.1%}",
        "saturated summary": "saturated {saturated:.1%}, dead units {dead:.0%}",
        "update ratio": "update / data (std(lr·grad) ÷ std(W))",
        "update guide": "{guide:g}: the rule of thumb (makemore lecture)",
        "mean summary": "mean {mean:.3g}, std {std:.3g}",
        # network diagrams
        "input layer": "input layer",
        "hidden layer": "hidden layer {index}",
        "output layer": "output layer",
        "bias": "bias",
        "dead unit": "dead",
    },
    "vi": {
        "value": "giá trị",
        "grad": "gradient",
        "scalar": "số vô hướng",
        "const": "hằng số",
        "constant": "hằng số",
        "not kept": "(không lưu)",
        "more nodes": "… thêm {count} nút",
        "more hint": "max_nodes={limit}; truyền max_nodes=None để vẽ tất cả",
        "module": "tầng",
        "module size": "{ops} phép toán · {params} tham số",
        "param grad norm": "‖gradient tham số‖",
        "saved freed": "giá trị đã lưu được giải phóng",
        "saved output": "đầu ra đã lưu {shape}",
        "saved input": "đầu vào {slot}{who} đã lưu {shape}",
        "saved tensor": "tensor đã lưu {shape}",
        "saved array": "mảng đã lưu {shape}",
        "saved other": "đã lưu {kind}",
        "stats mean": "trung bình {mean}  độ lệch chuẩn {std}",
        "stats range": "min {min}  max {max}",
        "stats zeros": "số 0: {percent}%",
        "stats bad": "NaN/Inf {count}",
        "stats all bad": "cả {count} phần tử là NaN/Inf",
        "state ok": "đã tính gradient",
        "state none": "gradient không được tính",
        "state unkept": "gradient đã tính nhưng không lưu (vẽ bên trong viz.record())",
        "state zero": "gradient bằng 0 (chết)",
        "state vanishing": "gradient tiêu biến (|g| < {vanish:g})",
        "state exploding": "gradient bùng nổ (|g| > {explode:g})",
        "state nonfinite": "gradient NaN / Inf",
        "edge key": "cạnh: đạo hàm cục bộ × gradient từ lớp sau = phần gửi về đầu vào",
        "tensor edge key": "cạnh tensor: gradient từ lớp sau g đi qua phép nhân ma trận "
        "(g @ Wᵀ, xᵀ @ g) hoặc qua ma trận Jacobian J của phép toán (g · J)",
        "note none": "không được tính",
        "note zero": "bằng 0",
        "note vanishing": "tiêu biến",
        "note exploding": "bùng nổ",
        "note nonfinite": "NaN/Inf",
        "leaf": "leaf tensor",
        "parameter": "tham số",
        "hidden lines": "… thêm {count} nút (ở đầu đồ thị) không hiện",
        "step running": "đang chạy: gradient đã về đủ và được truyền tiếp về các đầu vào",
        "step done": "gradient đã đủ (màu nền: trạng thái của gradient)",
        "step partial": "mới nhận một phần gradient (k trên n phần)",
        "step pending": "chưa nhận gradient nào",
        "step title": "lan truyền ngược, bước {index}/{total}: {caption}",
        "caption stored": "{node}{who}: gradient được lưu vào thuộc tính .grad",
        "caption sent": "{node}{who}: gradient về đủ, truyền tiếp về các đầu vào",
        "the start": "(điểm bắt đầu)",
        "page title": "Lan truyền ngược từng bước",
        "page heading": "Lan truyền ngược từng bước ({count} bước)",
        "button first": "bước đầu (Home)",
        "button back": "lùi một bước (←)",
        "button play title": "chạy / dừng (phím cách)",
        "button next": "tiến một bước (→)",
        "button last": "bước cuối (End)",
        "play": "▶ chạy",
        "pause": "⏸ dừng",
        "keys": "← → từng bước · phím cách: chạy/dừng · Home/End",
        "slider": "bước",
        "epoch": "epoch",
        "step": "bước",
        "loss": "hàm mất mát (loss)",
        "accuracy": "độ chính xác (accuracy)",
        "train": "tập huấn luyện",
        "validation": "tập kiểm tra",
        "best": "tốt nhất {value:.3f} (epoch {epoch})",
        "gradient norm": "độ lớn gradient (chuẩn L2)",
        "dead summary": "node chết {dead:.0%}, số 0 {zeros:.1%}",
        "saturated summary": "bão hòa {saturated:.1%}, node chết {dead:.0%}",
        "update ratio": "cập nhật / trọng số (độ lệch chuẩn)",
        "update guide": "{guide:g}: mức gợi ý (bài giảng makemore)",
        "mean summary": "trung bình {mean:.3g}, độ lệch chuẩn {std:.3g}",
        "input layer": "lớp đầu vào",
        "hidden layer": "lớp ẩn {index}",
        "output layer": "lớp đầu ra",
        "bias": "bias",
        "dead unit": "chết",
    },
}

_chosen = ["en"]


def set_language(lang: str) -> None:
    """Every picture from now on in `lang`: "en" (English) or "vi" (Vietnamese, the seeds')."""
    _chosen[0] = _checked(lang, "set_language")


def get_language() -> str:
    """The language pictures use when a call does not name one."""
    return _chosen[0]


def resolve(lang: str | None) -> str:
    """A call's `lang=`, or the language set with set_language when it is None."""
    return _chosen[0] if lang is None else _checked(lang, "lang")


def _checked(lang, where: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(
            f"viz.{where}: unknown language {lang!r}. Use one of {LANGUAGES} "
            "(en: English, vi: Vietnamese)."
        )
    return lang


def word(key: str, lang: str | None = None, **fields) -> str:
    """The catalogue's text for `key` in `lang` (default: the chosen language), filled in."""
    text = WORDS[resolve(lang)][key]
    return text.format(**fields) if fields else text
