"""The pictures a training run leaves in its folder: curves.png and gradient_flow.png."""

from pathlib import Path


def save_plots(history: dict, out, model=None) -> list:
    """curves.png and gradient_flow.png in out, drawn by viz (needs matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plots skipped: matplotlib is not installed (pip install matplotlib)")
        return []
    from viz import diagnostics

    out = Path(out)
    written = [out / "curves.png", out / "gradient_flow.png"]
    diagnostics.plot_training_curves(history, path=written[0])
    flow = history["grad_norms"]
    diagnostics.plot_gradient_flow(flow, path=written[1], xlabel="epoch", model=model)
    plt.close("all")
    return written
