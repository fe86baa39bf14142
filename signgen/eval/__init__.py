"""Evaluation metrics for sign-language production: back-translation text scores and pose distances."""
