"""Tokenizers trained on corpus text with HF tokenizers: characters for fingerspelling, BPE for sentences."""

from __future__ import annotations

from transformers import PreTrainedTokenizerFast

SPECIALS = {"pad_token": "<pad>", "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}


def normalize_text(text: str) -> str:
    return " ".join(text.lower().split())


def train_tokenizer(texts: list[str], kind: str = "char", vocab_size: int = 4000) -> PreTrainedTokenizerFast:
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    specials = list(SPECIALS.values())
    if kind == "char":
        chars = sorted({c for t in texts for c in t} | {" "})  # the word break, even when every text is one word
        tok = Tokenizer(models.WordLevel({s: i for i, s in enumerate(specials + chars)}, unk_token="<unk>"))
        tok.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
        tok.decoder = decoders.Fuse()
    elif kind == "bpe":
        tok = Tokenizer(models.BPE(unk_token="<unk>"))
        tok.pre_tokenizer = pre_tokenizers.Metaspace()
        tok.decoder = decoders.Metaspace()
        tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials))
    else:
        from ..errors import SigngenError

        raise SigngenError(f"tokenizer '{kind}': choose char or bpe")
    tok.normalizer = normalizers.Sequence([normalizers.NFC(), normalizers.Lowercase()])
    eos = tok.token_to_id("</s>")
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", eos)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, **SPECIALS)
