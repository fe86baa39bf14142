"""The Gradio demo in a real browser: Debian's chromium + chromedriver, headless, on localhost.

Skips (with the reason) when gradio/selenium or the chromium packages are not installed:
`pip install -e ".[demo,test]"` and `apt-get install chromium chromium-driver`.
"""

import importlib.util
import shutil
import socket
import time
from pathlib import Path

import pytest
import requests

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

pytest.importorskip("gradio", reason="gradio not installed (pip install -e '.[demo]')")
pytest.importorskip("selenium", reason="selenium not installed (pip install -e '.[test]')")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
        reason="headless browser test needs Debian's chromium and chromium-driver packages (apt-get install chromium chromium-driver)",
    ),
]


def load_demo_module():
    spec = importlib.util.spec_from_file_location("signgen_demo_app", Path(__file__).resolve().parents[1] / "demos" / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def demo_url(tiny_pipeline_dir):
    from signgen.pipeline import SignPipeline

    app = load_demo_module()
    pipe = SignPipeline.from_pretrained(tiny_pipeline_dir, size=128)
    demo = app.build_demo(pipe, renderer="skeleton")
    port = free_port()
    app.launch(demo, port=port, block=False)
    yield f"http://127.0.0.1:{port}"
    demo.close()


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--autoplay-policy=no-user-gesture-required"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    yield driver
    driver.quit()


def wait_for(fn, timeout=600.0):  # generous: a busy 2-core CI machine; returns as soon as ready
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = fn()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for the page")


def video_state(driver, elem_id):
    return driver.execute_script(
        "const v = document.querySelector(arguments[0]);"
        "return v ? {ready: v.readyState, duration: v.duration, width: v.videoWidth, src: v.currentSrc, error: v.error && v.error.code} : null;",
        f"#{elem_id} video",
    )


def test_demo_plays_signer_and_skeleton_video_and_offers_the_pose(demo_url, browser):
    from pose_format import Pose
    from selenium.webdriver.common.by import By

    browser.get(demo_url)
    box = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#text textarea, #text input"))[0]
    box.clear()
    box.send_keys("the")
    # the page renders its parts one by one: on a loaded machine the text box can come before the language menu
    lang = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#lang input"))[0]
    assert "American Sign Language (ase)" in lang.get_attribute("value")
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#generate"))[0].click()

    # a playable video: the browser decoded its first frame (readyState >= HAVE_CURRENT_DATA) and knows its length
    for elem_id in ("signer-video", "skeleton-video"):
        state = wait_for(lambda: (s := video_state(browser, elem_id)) and s["ready"] >= 2 and s)
        assert state["duration"] > 0 and state["width"] == 128 and state["error"] is None, state
    info = browser.find_element(By.CSS_SELECTOR, "#info textarea").get_attribute("value")
    assert info.startswith("ase, skeleton:"), info

    link = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#pose-file a[href]"))[0]
    r = requests.get(link.get_attribute("href"), timeout=30)
    assert r.status_code == 200
    pose = Pose.read(r.content)
    assert pose.body.data.shape[2] == 178 and len(pose.body.data) == round(state["duration"] * 25)


def test_demo_shows_input_errors_without_crashing(demo_url, browser):
    from selenium.webdriver.common.by import By

    browser.get(demo_url)
    box = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#text textarea, #text input"))[0]
    box.clear()
    box.send_keys("   ")
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#generate"))[0].click()
    assert "empty text" in wait_for(lambda: "empty text" in browser.page_source and browser.page_source)
