"""Evaluation metrics: text scores for back-translations, DTW mean joint error and duration error for poses."""

from __future__ import annotations

import numpy as np

from signgen.errors import SigngenError

NO_SHARED_JOINT_COST = 1e6  # frame-pair cost when no joint is detected in both frames
_CHUNK_ELEMENTS = 1 << 22  # bounds the (rows, T2, J, D) difference array built per step


def _normalize(texts: list[str]) -> list[str]:
    """Lowercase and strip every text."""
    return [t.strip().lower() for t in texts]


def empty_predictions(hypotheses: list[str]) -> int:
    """Number of hypotheses that are empty after stripping whitespace."""
    return sum(1 for h in hypotheses if not h.strip())


def _check_texts(hypotheses: list[str], references: list[str]) -> None:
    """Raise SigngenError unless hypotheses and references can be scored against each other."""
    if len(hypotheses) != len(references):
        raise SigngenError(
            f"text metrics: {len(hypotheses)} hypotheses but {len(references)} references; give one hypothesis per reference"
        )
    if not references or all(not r.strip() for r in references):
        raise SigngenError("text metrics: all references are empty; give at least one non-empty reference text")


class _WhitespaceTokenizer:
    """Splits on whitespace; rouge-score's default tokenizer drops every non-ASCII letter."""

    def tokenize(self, text: str) -> list[str]:
        """Whitespace tokens of text."""
        return text.split()


def _rouge_l(hypotheses: list[str], references: list[str]) -> float:
    """ROUGE-L F-measure averaged over sentence pairs, times 100."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rougeL"], tokenizer=_WhitespaceTokenizer())
    scores = [scorer.score(r, h)["rougeL"].fmeasure for h, r in zip(hypotheses, references)]
    return 100.0 * float(np.mean(scores))


def text_metrics(hypotheses: list[str], references: list[str]) -> dict[str, float]:
    """Corpus BLEU-1..4, chrF, ROUGE-L, WER and CER (all 0..100 scale) of hypotheses against references."""
    _check_texts(hypotheses, references)
    import jiwer
    from sacrebleu.metrics import BLEU, CHRF

    hyps, refs = _normalize(hypotheses), _normalize(references)
    out = {f"bleu{n}": float(BLEU(max_ngram_order=n).corpus_score(hyps, [refs]).score) for n in range(1, 5)}
    out["chrf"] = float(CHRF().corpus_score(hyps, [refs]).score)
    out["rougeL"] = _rouge_l(hyps, refs)
    out["wer"] = 100.0 * float(jiwer.wer(refs, hyps))
    out["cer"] = 100.0 * float(jiwer.cer(refs, hyps))
    return out


def _check_pose(name: str, x: np.ndarray, mask: np.ndarray) -> None:
    """Raise SigngenError unless x is a non-empty (T, J, D) array with a matching (T, J) mask."""
    if x.ndim != 3 or mask.shape != x.shape[:2]:
        raise SigngenError(f"{name}: expected a (T, J, D) pose with a (T, J) mask, got {x.shape} and {mask.shape}")
    if x.shape[0] == 0:
        raise SigngenError(f"{name}: pose sequence has no frames; give at least one frame")


def frame_costs(pred: np.ndarray, pred_mask: np.ndarray, ref: np.ndarray, ref_mask: np.ndarray) -> np.ndarray:
    """(T1, T2) mean Euclidean joint distance between every pred and ref frame, over joints detected in both."""
    p = np.where(pred_mask[..., None], pred, 0.0).astype(np.float64)
    r = np.where(ref_mask[..., None], ref, 0.0).astype(np.float64)
    shared = (pred_mask[:, None, :] & ref_mask[None, :, :]).astype(np.float64)  # (T1, T2, J)
    counts = shared.sum(-1)
    sums = np.empty(counts.shape)
    rows = max(1, _CHUNK_ELEMENTS // max(1, r.size))
    for start in range(0, p.shape[0], rows):
        stop = start + rows
        dist = np.linalg.norm(p[start:stop, None] - r[None], axis=-1)
        sums[start:stop] = (dist * shared[start:stop]).sum(-1)
    return np.where(counts > 0, sums / np.maximum(counts, 1), NO_SHARED_JOINT_COST)


def accumulated_cost(cost: np.ndarray) -> np.ndarray:
    """(T1+1, T2+1) DTW accumulated-cost matrix with an infinite border, as dtaidistance's best_path expects."""
    t1, t2 = cost.shape
    acc = np.full((t1 + 1, t2 + 1), np.inf)
    acc[0, 0] = 0.0
    for s in range(2, t1 + t2 + 1):  # anti-diagonals i + j = s only depend on earlier ones
        i = np.arange(max(1, s - t2), min(t1, s - 1) + 1)
        j = s - i
        best = np.minimum(np.minimum(acc[i - 1, j - 1], acc[i - 1, j]), acc[i, j - 1])
        acc[i, j] = cost[i - 1, j - 1] + best
    return acc


def dtw_mje(pred: np.ndarray, pred_mask: np.ndarray, ref: np.ndarray, ref_mask: np.ndarray) -> float:
    """DTW mean joint error (Huang et al. 2021): mean frame cost along the optimal DTW warping path."""
    from dtaidistance import dtw

    pred, ref = np.asarray(pred), np.asarray(ref)
    pred_mask, ref_mask = np.asarray(pred_mask, dtype=bool), np.asarray(ref_mask, dtype=bool)
    _check_pose("prediction", pred, pred_mask)
    _check_pose("reference", ref, ref_mask)
    if pred.shape[1:] != ref.shape[1:]:
        raise SigngenError(f"prediction has joints {pred.shape[1:]} but reference {ref.shape[1:]}; use the same skeleton")
    cost = frame_costs(pred, pred_mask, ref, ref_mask)
    if np.all(cost == NO_SHARED_JOINT_COST):
        raise SigngenError("prediction and reference share no detected joint in any frame; check the pose masks")
    path = np.asarray(dtw.best_path(accumulated_cost(cost)))
    return float(cost[path[:, 0], path[:, 1]].mean())


def duration_error(pred_frames: int, ref_frames: int) -> float:
    """Relative duration error |pred - ref| / ref in frames."""
    if ref_frames <= 0:
        raise SigngenError(f"reference has {ref_frames} frames; duration error needs a non-empty reference")
    return abs(pred_frames - ref_frames) / ref_frames
