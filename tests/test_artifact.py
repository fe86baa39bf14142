"""One artifact format: every shipped model names its class and signgen version, and load_model loads each."""

import json
from pathlib import Path

import pytest

import signgen
from signgen.artifact import read_config, write_config
from signgen.errors import SigngenError
from signgen.motion.config import MotionConfig

MODELS = Path(signgen.__file__).parent / "models"


@pytest.mark.parametrize("name,cls", [("motion", "MotionModel"), ("backtranslator", "Backtranslator"),
                                      ("renderer", "RendererModel")])
def test_shipped_model_names_its_class_and_loads_by_it(name, cls):
    meta = json.loads((MODELS / name / "config.json").read_text())
    assert meta["_class_name"] == cls and meta["_signgen_version"] == signgen.__version__
    model = signgen.load_model(MODELS / name)
    assert type(model).__name__ == cls


def test_config_round_trip_and_wrong_class(tmp_path):
    cfg = MotionConfig()
    write_config(tmp_path, "MotionModel", cfg)
    assert read_config(tmp_path, "MotionModel", MotionConfig, "motion model") == cfg
    with pytest.raises(SigngenError, match="holds a MotionModel, not a back-translator"):
        read_config(tmp_path, "Backtranslator", MotionConfig, "back-translator")


@pytest.mark.parametrize("text", ['{"model_type": "signgen-motion"}', "{not json", '[]'])
def test_unstamped_or_broken_config_is_one_clear_error(tmp_path, text):
    (tmp_path / "config.json").write_text(text)
    with pytest.raises(SigngenError) as e:
        signgen.load_model(tmp_path)
    assert str(tmp_path) in str(e.value) and "\n" not in str(e.value)


def test_missing_directory_is_one_clear_error(tmp_path):
    with pytest.raises(SigngenError, match="config.json missing"):
        signgen.load_model(tmp_path / "nothing")
