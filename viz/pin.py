"""One layout for many frames: `dot -Tjson` places the nodes once, then every frame is drawn
by `neato -n2` at those positions, so a step-by-step backward never moves or resizes."""

import json
import shutil
import subprocess
from dataclasses import dataclass, field

from .render import INSTALL


@dataclass
class Pins:
    """Fixed positions (points) from one layout: node attrs, edge attrs in order, bounding boxes."""

    nodes: dict = field(default_factory=dict)  # node id -> {"pos", "width", "height", ...}
    edges: list = field(default_factory=list)  # [(tail, head, {"pos", "lp"})] in source order
    graph: dict = field(default_factory=dict)  # {"bb", "lp", ...}
    clusters: dict = field(default_factory=dict)  # "cluster_0" -> {"bb", "lp"}

    def node(self, nid) -> dict:
        return self.nodes.get(nid, {})

    def edge(self, index, src, dst) -> dict:
        """The index-th edge's route, if it joins the same two nodes (else let neato route)."""
        if index < len(self.edges) and self.edges[index][:2] == (src, dst):
            return self.edges[index][2]
        return {}


def layout(dot_text: str) -> Pins:
    """Run `dot -Tjson` once and keep where everything went."""
    exe = shutil.which("dot")
    if exe is None:
        raise RuntimeError(f"steps: Graphviz's `dot` program was not found on PATH. {INSTALL}.")
    done = subprocess.run(
        [exe, "-Tjson"], input=dot_text.encode("utf-8"), capture_output=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"steps: dot failed: {done.stderr.decode(errors='replace').strip()}")
    return from_json(json.loads(done.stdout))


def from_json(data: dict) -> Pins:
    pins = Pins(graph={k: data[k] for k in ("bb", "lp") if k in data})
    names = {}
    for obj in data.get("objects", []):
        if "nodes" in obj or obj.get("name", "").startswith("cluster"):
            if "bb" in obj:
                pins.clusters[obj["name"]] = {k: obj[k] for k in ("bb", "lp") if k in obj}
            continue
        names[obj["_gvid"]] = obj["name"]
        if "pos" in obj:
            pins.nodes[obj["name"]] = {
                "pos": obj["pos"] + "!",
                "width": obj["width"],
                "height": obj["height"],
                "fixedsize": "true",  # a shorter label in an early frame keeps the same box
            }
    for edge in data.get("edges", []):
        attrs = {k: edge[k] for k in ("pos", "lp") if k in edge}
        pins.edges.append((names.get(edge["tail"]), names.get(edge["head"]), attrs))
    return pins


def render(pinned_dot: str, fmt: str) -> bytes:
    """Draw a pinned DOT text as is (`neato -n2`: positions and routes given)."""
    exe = shutil.which("neato")
    if exe is None:
        raise RuntimeError(f"steps: Graphviz's `neato` program was not found on PATH. {INSTALL}.")
    args = [exe, "-n2", f"-T{fmt}"] + (["-Gdpi=144"] if fmt == "png" else [])
    done = subprocess.run(args, input=pinned_dot.encode("utf-8"), capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"steps: neato failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout
