"""Motion model configuration: network size, text encoder, diffusion and losses."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..text.encoders import TextEncoderConfig


@dataclass
class DenoiserConfig:
    dim: int = 256
    layers: int = 4
    heads: int = 4
    ff_mult: int = 4
    dropout: float = 0.1
    max_frames: int = 256  # longest sequence the positional table covers (10 s at 25 fps)
    # Frames per transformer token: 2 reads and writes the poses two frames to a token (a linear patch in time,
    # as DiT patches an image), so the transformer runs over half as many tokens. The loss stays per frame.
    frames_per_token: int = 1
    # Monotonic alignment prior on the frame->text cross-attention: frame t of T prefers the token near
    # position t/T * L (a Gaussian bias, sigma in tokens). 0 turns it off. Signing, and fingerspelling most
    # of all, follows the text left to right; the prior lets a small model find that order in few steps.
    align_sigma: float = 0.5
    # Also add the prior-weighted average of the text tokens to each frame's input (like FastSpeech's
    # length regulator), so every frame carries "which letter am I on" from the first layer. Needs align_sigma > 0.
    aligned_input: bool = True


@dataclass
class DiffusionConfig:
    train_timesteps: int = 1000
    beta_schedule: str = "squaredcos_cap_v2"  # cosine schedule (diffusers name)
    sampler: str = "dpmsolver++"  # ddim | dpmsolver++ | unipc | ddpm
    steps: int = 20
    guidance: float = 1.5  # classifier-free guidance scale; 1 = no guidance (pick per model on validation: docs/evaluation.md; the shipped model uses 2)
    cond_drop: float = 0.1  # probability of dropping the text condition in training
    # What the network's output F means. "sample": F is x̂0. "v": F is the v-prediction target, and the model
    # returns x̂0 = √ᾱ_t·x_t − √(1−ᾱ_t)·F (EDM's skip connection for unit-variance data): at low noise x̂0 is
    # mostly the input itself, so the network spends its capacity on what the noise hides. Either way the
    # model returns x̂0, so samplers, guidance and inpainting are the same. v models train on F's error
    # (|x̂0 − x0|² / (1 − ᾱ_t)). Measured once on the v1 starter corpus (S, issue 19): at step 500 the sampled
    # hands still carried visible noise and read at back-translation CER 338, against 115 for "sample" (stopped
    # there; docs/benchmarks.md), so the presets keep "sample".
    prediction: str = "sample"


@dataclass
class LossConfig:
    recon: float = 1.0  # masked x0 reconstruction (MSE in normalized units)
    velocity: float = 1.0  # masked frame-to-frame velocity MSE
    hands: float = 2.0  # extra weight on hand joints inside both terms
    # Weight of the joints that place the hands: both body wrists and both hand roots. With hands modelled as
    # offsets from their wrist, where a hand is (a phonological parameter of its own; the slide of a doubled
    # letter) lives in these 4 of 178 joints, about 3% of the loss at weight 2.
    location: float = 8.0
    visibility: float = 0.1  # BCE on which joints are detected
    duration: float = 0.1  # L1 on log frame count


@dataclass
class MotionConfig:
    text: TextEncoderConfig = field(default_factory=TextEncoderConfig)
    denoiser: DenoiserConfig = field(default_factory=DenoiserConfig)
    diffusion: DiffusionConfig = field(default_factory=DiffusionConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    languages: list[str] = field(default_factory=list)  # sign languages (filled from the corpus)
    joints: int = 178
    # add the sign-language embedding to every text token, so cross-attention reads (letter, language)
    # jointly: the same letter has a different handshape in each manual alphabet
    language_tokens: bool = True
    hand_relative: bool = True  # model hand joints as offsets from their wrist (see pose.tensors.hands_to_wrist)
    # Predict the frames of every text token and place the alignment prior by them (a FastSpeech-style
    # duration model), instead of spreading the tokens evenly over the sequence. Trained on the corpus's
    # per-character `durations` (the starter corpus has them); a corpus without them turns this off.
    # Needs a character encoder and denoiser.align_sigma > 0.
    letter_durations: bool = True
