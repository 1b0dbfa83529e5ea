"""Text utilities shared by several stages: language detection, normalization."""
