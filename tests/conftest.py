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
