import pytest

from data_prep.starter import StarterConfig, build


def small_config(**kw) -> StarterConfig:
    base = dict(pairs=["en-ase", "de-gsg"], words_per_language=12, phrases_per_language=3, workers=1)
    base.update(kw)
    return StarterConfig(**base)


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory):
    """A real (tiny) starter corpus: real signers' letters composed by spoken-to-signed."""
    return build(small_config(), tmp_path_factory.mktemp("corpus"), progress=False)


# -- the product end to end (pipeline, text, serve, demo) ------------------------------------------------
@pytest.fixture(scope="session")
def tiny_pipeline_dir(small_corpus, tmp_path_factory):
    """A pipeline directory around a tiny motion model trained here (seconds; it learns nothing useful)."""
    from signgen.cli import main
    from signgen.pipeline import SignPipeline

    run = tmp_path_factory.mktemp("pipeline-motion")
    assert main(["train", "motion", "--corpus", str(small_corpus.root), "--config", "tiny", "-o", str(run), "--quiet"]) == 0
    return SignPipeline.from_pretrained(run / "model").save_pretrained(tmp_path_factory.mktemp("pipeline") / "tiny")
