"""Text normalization (signgen.text.normalize): punctuation dropped with a note, digits only where the model
has them, one-line errors for the rest; the same function behind `signgen pose`, `signgen text`, the pipeline
and the HTTP server."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from signgen.cli import main
from signgen.errors import SigngenError
from signgen.text import normalize_text

LETTERS = " abcdefghijklmnopqrstuvwxyzäöüß"


@pytest.mark.parametrize("given, signed, dropped", [
    ("Hello, world!", "hello world", [",", "!"]),
    ("hello", "hello", []),
    ("  Don't   stop\u2026 ", "dont stop", ["'", "\u2026"]),
    ("rock-n-roll / jazz", "rock n roll jazz", ["-", "/"]),
    ("\u00bfQu\u00e9 tal?", None, None),  # é is not in LETTERS: refused below
    ("Gr\u00fc\u00dfe \u201eaus\u201c Berlin \u2764", "grüße aus berlin", ["\u201e", "\u201c", "\u2764"]),
    ("'quoted'", "quoted", ["'"]),
])
def test_punctuation_is_dropped_with_a_note(given, signed, dropped):
    if signed is None:
        with pytest.raises(SigngenError, match=r"characters \['é'\] are not in this model's alphabet"):
            normalize_text(given, LETTERS)
        return
    out = normalize_text(given, LETTERS)
    assert (out.text, out.dropped) == (signed, dropped)
    assert (out.note == "") == (not dropped)
    if dropped:
        assert out.note.startswith("not signed: ") and repr(signed) in out.note and "\n" not in out.note


def test_characters_the_model_knows_are_kept_even_if_punctuation():
    # a model trained on sentences with '?' and digits in its corpus signs them
    out = normalize_text("Are you 21?", LETTERS + "?0123456789")
    assert out.text == "are you 21?" and out.dropped == []


@pytest.mark.parametrize("given, expect", [
    ("123", "no sign for the digits 1 2 3"),
    ("room 7b", "no sign for the digits 7"),
    ("!!! ...", "nothing to sign once punctuation is dropped"),
    ("   ", "empty text"),
    ("\u4f60\u597d", "are not in this model's alphabet"),
])
def test_unsignable_text_is_a_one_line_error(given, expect):
    with pytest.raises(SigngenError, match=expect) as e:
        normalize_text(given, LETTERS)
    assert "\n" not in str(e.value)


def test_a_subword_encoder_keeps_letters_and_case():
    out = normalize_text("Hello, World 42!", alphabet=None, lowercase=False)
    assert out.text == "Hello World 42" and out.dropped == [",", "!"]


def test_the_shipped_lexicon_has_no_digits_so_the_shipped_model_refuses_them():
    import spoken_to_signed

    index = Path(spoken_to_signed.__file__).parent / "assets" / "fingerspelling_lexicon" / "index.csv"
    with open(index, encoding="utf-8") as f:
        words = [row["words"] for row in csv.DictReader(f)]
    assert words and not any(c.isdigit() for w in words for c in w)

    from signgen.motion.model import MotionModel
    from signgen import shipped

    model = MotionModel.from_pretrained(shipped.MOTION)
    assert model.text_encoder.normalize("Hello, world!").text == "hello world"
    with pytest.raises(SigngenError, match="digits 1 2 3"):
        model.text_encoder.normalize("123")


def test_pose_cli_signs_hello_world_and_refuses_digits(tmp_path, capsys):
    out = tmp_path / "hw.pose"
    assert main(["pose", "Hello, world!", "-o", str(out), "--steps", "2", "--frames", "20"]) == 0
    err = capsys.readouterr().err
    assert "not signed: , !" in err and "signing 'hello world'" in err and out.stat().st_size > 0
    assert main(["pose", "123", "-o", str(tmp_path / "n.pose")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("signgen: error: text '123'") and "as a word" in err[0]


def test_pipeline_and_server_use_the_same_normalization():
    from fastapi.testclient import TestClient

    from signgen.pipeline import SignPipeline
    from signgen.serve import ServeConfig, create_app

    pipe = SignPipeline.from_pretrained()
    out = pipe("Hello, world!", steps=2, frames=20, render=False)
    assert out.text == "hello world" and "not signed: , !" in out.note
    with pytest.raises(SigngenError, match="digits"):
        pipe.pose("123")
    client = TestClient(create_app(pipe, ServeConfig()))
    r = client.get("/pose", params={"text": "Hello, world!", "steps": 2, "frames": 20})
    assert r.status_code == 200 and r.headers["x-signgen-text"] == "hello world"
    assert "not signed" in r.headers["x-signgen-note"]
    r = client.get("/pose", params={"text": "123"})
    assert r.status_code == 400 and "digits 1 2 3" in r.json()["error"]
