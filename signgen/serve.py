"""`signgen serve`: a small HTTP API (FastAPI + uvicorn) over one loaded SignPipeline.

    GET|POST /pose?text=hello&lang=ase[&seed=0&steps=..]              -> application/x-pose (.pose bytes)
    GET|POST /video?text=hello&lang=ase&renderer=avatar[&seed=0...]   -> video/mp4 (H.264)
    GET      /health                                                  -> {"status": "ok", ...}

POST takes the same fields as a JSON object. Generation runs on ONE worker thread (torch already uses the
cores); up to `queue` further jobs wait in order, and a request beyond that gets HTTP 503 with Retry-After
instead of piling up memory. Bad input is HTTP 400 with a one-line {"error": ...}. A response carries the text
that was signed (`X-Signgen-Text`) and, when punctuation was left out, `X-Signgen-Note` (signgen.text.normalize).
"""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from .errors import SigngenError
from .pipeline import SignOutput, SignPipeline, check_text


@dataclass
class ServeConfig:
    host: str = "127.0.0.1"
    port: int = 8000
    model: str | None = None  # pipeline directory; None = shipped models
    max_chars: int = 100  # longest text accepted
    queue: int = 8  # jobs that may wait behind the running one
    size: int = 256  # video frame size
    lexicon: str | None = None  # user lexicon directory (whole signs); the built-in fingerspelling lexicon always guides
    guided: bool = True  # False: pure generation (signgen serve --no-lexicon)


class JobQueue:
    """A single worker thread with a bounded number of waiting jobs; `submit` returns None when full."""

    def __init__(self, waiting: int):
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="signgen-job")
        self._slots = threading.BoundedSemaphore(waiting + 1)  # + the running job
        self._lock = threading.Lock()
        self.pending = 0

    def submit(self, fn, *args, **kwargs) -> Future | None:
        if not self._slots.acquire(blocking=False):
            return None
        with self._lock:
            self.pending += 1
        future = self.executor.submit(fn, *args, **kwargs)
        future.add_done_callback(self._done)
        return future

    def _done(self, _future: Future) -> None:
        with self._lock:
            self.pending -= 1
        self._slots.release()

    def shutdown(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


def _int_field(params: dict, name: str, default: int | None) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SigngenError(f"{name}={value!r}: must be an integer") from None


def _float_field(params: dict, name: str) -> float | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise SigngenError(f"{name}={value!r}: must be a number") from None


def parse_request(params: dict, max_chars: int) -> dict:
    """Validated keyword arguments for SignPipeline from query/JSON fields (raises SigngenError)."""
    unknown = sorted(set(params) - {"text", "lang", "renderer", "seed", "steps", "guidance", "frames", "guided"})
    if unknown:
        raise SigngenError(f"unknown field {unknown[0]!r}; use text, lang, renderer, seed, steps, guidance, frames, guided")
    guided = str(params.get("guided", "1")).lower()
    if guided not in ("1", "0", "true", "false"):
        raise SigngenError(f"guided={params.get('guided')!r}: must be 1 (lexicon-guided, the default) or 0 (pure generation)")
    seed = _int_field(params, "seed", 0)
    if not 0 <= seed < 2**63:
        raise SigngenError(f"seed={seed}: must be a non-negative integer")
    return {
        "text": check_text(params.get("text") or "", max_chars),
        "lang": params.get("lang") or None,
        "renderer": params.get("renderer") or None,
        "seed": seed,
        "steps": _int_field(params, "steps", None),
        "guidance": _float_field(params, "guidance"),
        "frames": _int_field(params, "frames", None),
        "guided": guided in ("1", "true"),
    }


def _header_value(text: str) -> str:
    """HTTP headers are Latin-1: other characters as \\uXXXX escapes."""
    return text.encode("latin-1", "backslashreplace").decode("latin-1")


def _pose_job(pipe: SignPipeline, req: dict) -> tuple[bytes, SignOutput]:
    from .pose.io import pose_bytes

    out = pipe(**{k: v for k, v in req.items() if k != "renderer"}, render=False)
    return pose_bytes(out.pose), out


def _video_job(pipe: SignPipeline, req: dict) -> tuple[bytes, SignOutput]:
    import tempfile

    from .video import write_mp4

    out = pipe(**req)
    with tempfile.TemporaryDirectory(prefix="signgen-serve-") as tmp:
        path = write_mp4(out.frames, Path(tmp) / "out.mp4", fps=out.fps)
        return path.read_bytes(), out


def create_app(pipe: SignPipeline, cfg: ServeConfig):
    """The FastAPI application serving `pipe`."""
    from contextlib import asynccontextmanager

    from . import __version__
    from .render import RENDERERS

    jobs = JobQueue(cfg.queue)

    @asynccontextmanager
    async def lifespan(app):
        yield
        jobs.shutdown()

    app = FastAPI(title="signgen", version=__version__, lifespan=lifespan)
    app.state.jobs = jobs

    def error(status: int, message: str, **headers) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status, headers=headers)

    async def params_of(request: Request) -> dict:
        params = dict(request.query_params)
        if request.method == "POST":
            body = await request.body()
            if body:
                try:
                    data = json.loads(body)
                except (json.JSONDecodeError, UnicodeDecodeError):
                    raise SigngenError("request body: not JSON; send {\"text\": \"hello\", \"lang\": \"ase\"}") from None
                if not isinstance(data, dict):
                    raise SigngenError("request body: expected a JSON object like {\"text\": \"hello\"}")
                params.update({k: v for k, v in data.items()})
        return params

    async def run(request: Request, job, media_type: str, filename: str) -> Response:
        try:
            req = parse_request(await params_of(request), cfg.max_chars)
        except SigngenError as e:
            return error(400, str(e))
        future = jobs.submit(job, pipe, req)
        if future is None:
            return error(503, f"busy: {cfg.queue + 1} jobs already queued; retry shortly", **{"Retry-After": "5"})
        try:
            data, out = await asyncio.wrap_future(future)
        except SigngenError as e:
            return error(400, str(e))
        server_timing = ", ".join(f"{k};dur={v * 1000:.1f}" for k, v in out.timings.items())
        headers = {"Server-Timing": server_timing, "Content-Disposition": f'attachment; filename="{filename}"',
                   "X-Signgen-Text": _header_value(out.text)}
        if out.note:  # punctuation that was not signed
            headers["X-Signgen-Note"] = _header_value(out.note)
        return Response(content=data, media_type=media_type, headers=headers)

    @app.get("/health")
    async def health():
        return {
            "status": "ok",
            "version": __version__,
            "languages": pipe.languages,
            "renderers": list(RENDERERS),
            "default_lang": pipe.default_lang,
            "default_renderer": pipe.default_renderer,
            "guided": pipe.guide is not None,
            "max_chars": cfg.max_chars,
            "jobs": jobs.pending,
            "queue": cfg.queue,
        }

    @app.api_route("/pose", methods=["GET", "POST"])
    async def pose(request: Request):
        return await run(request, _pose_job, "application/x-pose", "signgen.pose")

    @app.api_route("/video", methods=["GET", "POST"])
    async def video(request: Request):
        return await run(request, _video_job, "video/mp4", "signgen.mp4")

    return app


def serve(cfg: ServeConfig) -> None:
    """Load the pipeline (user errors surface before binding the port), then serve until Ctrl-C."""
    import sys

    import uvicorn

    if not 1 <= cfg.max_chars <= 1000:
        raise SigngenError(f"--max-chars {cfg.max_chars}: choose between 1 and 1000")
    if not 0 <= cfg.queue <= 1000:
        raise SigngenError(f"--queue {cfg.queue}: choose between 0 and 1000")
    if not 0 <= cfg.port <= 65535:
        raise SigngenError(f"--port {cfg.port}: choose between 0 and 65535")
    pipe = SignPipeline.from_pretrained(cfg.model, size=cfg.size, lexicon=cfg.lexicon, guided=cfg.guided)
    if cfg.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"signgen: warning: serving on {cfg.host}, reachable beyond this machine; there is no authentication", file=sys.stderr)
    print(f"signgen: serving {', '.join(pipe.languages)} on http://{cfg.host}:{cfg.port} (/pose, /video, /health)", file=sys.stderr, flush=True)
    uvicorn.run(create_app(pipe, cfg), host=cfg.host, port=cfg.port, log_level="info")
