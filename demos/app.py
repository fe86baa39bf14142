"""signgen web demo (Gradio): type text, pick a sign language, watch the signer and its skeleton, download the .pose.

    pip install -e ".[demo]"
    python demos/app.py [--model PIPELINE_DIR] [--port 7860] [--renderer avatar]

Runs on localhost only, offline (no Gradio share link, no analytics, system fonts).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

LANGUAGE_NAMES = {
    "ase": "American Sign Language",
    "bfi": "British Sign Language",
    "bzs": "Brazilian Sign Language",
    "csl": "Chinese Sign Language",
    "fsl": "French Sign Language",
    "gsg": "German Sign Language",
    "ise": "Italian Sign Language",
    "jsl": "Japanese Sign Language",
    "mfs": "Mexican Sign Language",
    "psr": "Portuguese Sign Language",
    "sgg": "Swiss-German Sign Language",
    "ssp": "Spanish Sign Language",
    "asq": "Austrian Sign Language",
}


def generate(pipe, text: str, lang: str, renderer: str, seed: float, out_root: Path) -> tuple[str, str, str, str]:
    """Paths of (signer video, skeleton video, .pose) and a timing line for one request."""
    from signgen.video import write_mp4

    out = pipe(text, lang=lang, renderer=renderer, seed=int(seed))
    work = Path(tempfile.mkdtemp(dir=out_root))
    video = write_mp4(out.frames, work / "signer.mp4", fps=out.fps)
    skeleton = pipe.renderer("skeleton").render(out.pose)
    skeleton_video = write_mp4(skeleton, work / "skeleton.mp4", fps=out.fps)
    pose = out.save_pose(work / f"{'-'.join(out.text.split())[:40] or 'signgen'}.pose")
    timing = ", ".join(f"{k} {v:.2f} s" for k, v in out.timings.items())
    return str(video), str(skeleton_video), str(pose), f"{out.lang}, {out.renderer}: {len(out.frames)} frames at {out.fps:g} fps; {timing}"


def build_demo(pipe, renderer: str | None = None):
    import gradio as gr

    from signgen.errors import SigngenError
    from signgen.render import RENDERERS

    out_root = Path(tempfile.mkdtemp(prefix="signgen-demo-"))
    choices = [(f"{LANGUAGE_NAMES.get(code, code)} ({code})", code) for code in pipe.languages]
    default_lang = pipe.default_lang if pipe.default_lang in pipe.languages else pipe.languages[0]

    def run(text, lang, kind, seed):
        try:
            return generate(pipe, text, lang, kind, seed, out_root)
        except SigngenError as e:
            raise gr.Error(str(e)) from None

    theme = gr.themes.Default(font=["ui-sans-serif", "sans-serif"], font_mono=["ui-monospace", "monospace"])
    with gr.Blocks(title="signgen", analytics_enabled=False) as demo:
        gr.Markdown("# signgen\nText to sign-language pose and video. Everything runs locally on this machine.")
        with gr.Row():
            text = gr.Textbox(label="Text", value="hello", max_lines=2, elem_id="text")
            lang = gr.Dropdown(choices=choices, value=default_lang, label="Sign language", elem_id="lang")
            kind = gr.Dropdown(choices=list(RENDERERS), value=renderer or pipe.default_renderer, label="Renderer", elem_id="renderer")
            seed = gr.Number(value=0, precision=0, label="Seed", elem_id="seed")
        button = gr.Button("Sign it", variant="primary", elem_id="generate")
        with gr.Row():
            video = gr.Video(label="Signer", elem_id="signer-video", autoplay=True, loop=True)
            skeleton = gr.Video(label="Skeleton (the generated pose)", elem_id="skeleton-video", autoplay=True, loop=True)
        with gr.Row():
            pose = gr.File(label="Download .pose", elem_id="pose-file")
            info = gr.Textbox(label="Timing", interactive=False, elem_id="info")
        button.click(run, inputs=[text, lang, kind, seed], outputs=[video, skeleton, pose, info], concurrency_limit=1)
        text.submit(run, inputs=[text, lang, kind, seed], outputs=[video, skeleton, pose, info], concurrency_limit=1)
    demo.queue(max_size=16)  # jobs run one at a time; beyond 16 waiting, Gradio turns requests away
    demo.signgen_theme = theme
    return demo


def launch(demo, port: int = 7860, block: bool = True):
    return demo.launch(
        server_name="127.0.0.1",
        server_port=port,
        share=False,
        prevent_thread_lock=not block,
        show_error=True,
        quiet=True,
        theme=demo.signgen_theme,
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="signgen web demo")
    ap.add_argument("--model", default=None, help="pipeline directory (default: the shipped models)")
    ap.add_argument("--renderer", default=None, help="initial renderer: avatar, skeleton or diffusion")
    ap.add_argument("--port", type=int, default=7860)
    ap.add_argument("--lexicon", default=None, help="user lexicon directory (index.csv + .pose files): its words as whole signs")
    ap.add_argument("--no-lexicon", action="store_true", help="pure generation, without the lexicon's handshapes")
    args = ap.parse_args(argv)
    from signgen.errors import SigngenError
    from signgen.pipeline import SignPipeline

    try:
        pipe = SignPipeline.from_pretrained(args.model, lexicon=args.lexicon, guided=not args.no_lexicon)
        pipe.check(renderer=args.renderer)
    except SigngenError as e:
        print(f"signgen demo: error: {e}", file=sys.stderr)
        return 2
    print(f"signgen demo: http://127.0.0.1:{args.port}", file=sys.stderr, flush=True)
    launch(build_demo(pipe, args.renderer), port=args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
