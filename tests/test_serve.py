import contextlib
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest
import requests
from pose_format import Pose

from signgen.pipeline import SignPipeline
from signgen.serve import JobQueue, ServeConfig, create_app
from signgen.video import read_video_frames


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running(pipe, **cfg):
    """A real uvicorn server on loopback, in a background thread."""
    import uvicorn

    cfg = ServeConfig(port=free_port(), **cfg)
    server = uvicorn.Server(uvicorn.Config(create_app(pipe, cfg), host="127.0.0.1", port=cfg.port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{cfg.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def pipe(tiny_pipeline_dir):
    p = SignPipeline.from_pretrained(tiny_pipeline_dir, size=64)
    p.default_renderer = "skeleton"
    return p


def test_pose_and_video_endpoints(pipe):
    with running(pipe) as url:
        health = requests.get(f"{url}/health").json()
        assert health["status"] == "ok" and health["languages"] == ["ase", "gsg"]
        r = requests.get(f"{url}/pose", params={"text": "the", "lang": "gsg", "steps": 3, "frames": 12})
        assert r.status_code == 200 and r.headers["content-type"] == "application/x-pose"
        assert "motion;dur=" in r.headers["server-timing"]
        pose = Pose.read(r.content)
        assert pose.body.data.shape[:3] == (12, 1, 178)
        r = requests.post(f"{url}/video", json={"text": "die", "lang": "gsg", "renderer": "skeleton", "steps": 3, "frames": 10})
        assert r.status_code == 200 and r.headers["content-type"] == "video/mp4"
        with open_tmp(r.content) as path:
            frames, fps = read_video_frames(path)
        assert frames.shape == (10, 64, 64, 3) and fps == 25


@contextlib.contextmanager
def open_tmp(data: bytes):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "x.mp4"
        path.write_bytes(data)
        yield path


@pytest.mark.parametrize(
    "params,expect",
    [
        ({"text": ""}, "empty text"),
        ({"text": "a" * 21}, "at most 20"),
        ({"text": "the", "lang": "zz"}, "unknown sign language 'zz'"),
        ({"text": "the", "renderer": "oil"}, "unknown renderer 'oil'"),
        ({"text": "the", "seed": "x"}, "seed='x'"),
        ({"text": "the", "steps": "0"}, "--steps 0"),
        ({"text": "the", "colour": "red"}, "unknown field 'colour'"),
    ],
)
def test_bad_requests_get_400_with_one_line(pipe, params, expect):
    with running(pipe, max_chars=20) as url:
        r = requests.get(f"{url}/video", params=params)
        assert r.status_code == 400 and expect in r.json()["error"] and "\n" not in r.json()["error"]
        r = requests.post(f"{url}/pose", data=b"{not json")
        assert r.status_code == 400 and "not JSON" in r.json()["error"]


def test_job_queue_refuses_beyond_capacity_and_recovers():
    gate = threading.Event()
    jobs = JobQueue(waiting=1)
    running_job, waiting_job = jobs.submit(gate.wait), jobs.submit(lambda: 7)
    assert running_job is not None and waiting_job is not None
    assert jobs.submit(lambda: 8) is None  # one running + one waiting: full
    gate.set()
    assert waiting_job.result(timeout=10) == 7
    assert jobs.submit(lambda: 9).result(timeout=10) == 9  # slots were given back
    jobs.shutdown()


def test_server_answers_503_when_queue_is_full_then_serves_again(pipe, monkeypatch):
    gate = threading.Event()
    real = pipe.pose

    def held(*args, **kw):
        gate.wait(timeout=30)
        return real(*args, **kw)

    monkeypatch.setattr(pipe, "pose", held)
    with running(pipe, queue=1) as url, ThreadPoolExecutor(2) as pool:
        first = [pool.submit(requests.get, f"{url}/pose", params={"text": "the", "steps": 2}) for _ in range(2)]
        while requests.get(f"{url}/health").json()["jobs"] < 2:
            time.sleep(0.05)
        r = requests.get(f"{url}/pose", params={"text": "the", "steps": 2})
        assert r.status_code == 503 and r.headers["retry-after"] == "5" and "busy" in r.json()["error"]
        gate.set()
        assert [f.result(timeout=60).status_code for f in first] == [200, 200]
        assert requests.get(f"{url}/pose", params={"text": "the", "steps": 2}).status_code == 200


def test_bounded_load_no_failures_no_memory_growth(pipe):
    """3 rounds of 8 concurrent video requests (within the queue): all succeed, RSS stays flat after warm-up."""
    proc = psutil.Process()
    rss = []
    with running(pipe, queue=8) as url, ThreadPoolExecutor(8) as pool:
        for round_ in range(3):
            params = [{"text": t, "lang": lang, "steps": 2, "seed": i} for i, (t, lang) in enumerate([("the", "ase"), ("die", "gsg")] * 4)]
            codes = [f.result(timeout=120).status_code for f in [pool.submit(requests.get, f"{url}/video", params=p) for p in params]]
            assert codes == [200] * 8, codes
            rss.append(proc.memory_info().rss)
    growth_mb = (rss[-1] - rss[0]) / 2**20
    assert growth_mb < 64, f"RSS grew {growth_mb:.0f} MB over 16 requests after warm-up"
