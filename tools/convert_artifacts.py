"""Rewrite model directories saved before signgen.artifact into its format: config.json with _class_name and
_signgen_version, and the normalization statistics (a separate stats.safetensors) moved into the weights as
the model's `normalizer.mean` / `normalizer.std` buffers. Every other tensor and file is left untouched.

    python tools/convert_artifacts.py signgen/models/motion signgen/models/backtranslator signgen/models/renderer
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from signgen.artifact import CLASS_KEY, VERSION_KEY


def converted(data: dict) -> dict:
    """A config.json dict in one of the three earlier layouts -> the stamped flat dict (returned as is if already stamped)."""
    from signgen import __version__

    if CLASS_KEY in data:
        return data
    if data.get("model_type") == "signgen-motion":
        name, cfg = "MotionModel", {k: v for k, v in data.items() if k != "model_type"}
    elif data.get("model_type") == "signgen-backtranslator":
        name, cfg = "Backtranslator", data["config"]
    elif "signgen_renderer" in data:
        name, cfg = "RendererModel", data["signgen_renderer"]
    else:
        raise SystemExit(f"not a signgen model config of a known earlier layout: {sorted(data)[:5]}")
    return {CLASS_KEY: name, VERSION_KEY: __version__, **cfg}


def move_stats(directory: Path) -> bool:
    """stats.safetensors -> normalizer.* tensors of model.safetensors (same values); False if there is none."""
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    stats, weights = directory / "stats.safetensors", directory / "model.safetensors"
    if not stats.exists():
        return False
    with safe_open(str(weights), "pt") as f:
        metadata = f.metadata()
    state = load_file(str(weights))
    state.update({f"normalizer.{k}": v.contiguous() for k, v in load_file(str(stats)).items()})
    save_file(state, str(weights), metadata=metadata)
    stats.unlink()
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("directories", nargs="+", type=Path)
    for d in ap.parse_args().directories:
        path = d / "config.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        new = converted(data)
        if new is not data:
            path.write_text(json.dumps(new, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        moved = new[CLASS_KEY] in ("MotionModel", "Backtranslator") and move_stats(d)
        done = [what for what, did in (("config stamped", new is not data), ("stats moved into the weights", moved)) if did]
        print(f"{d}: {new[CLASS_KEY]}: {', '.join(done) or 'already converted'}")


if __name__ == "__main__":
    main()
