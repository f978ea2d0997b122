"""The generative framing (paper section 3, chess): the model writes the answer, here one of
the example's legal completions, instead of a binary head scoring one candidate.

A Prompt holds the text, every admissible completion (for chess: each legal move in SAN) and,
hidden from methods, which one is right. A language-model rung predicts the completion its
fine-tuned LM finds most likely (temperature 0, restricted to the choices); the weak
supervisor's predictions are the weak labels; accuracy is exact match.
"""
