# %% linear_flops
#| export benchmarking.flops
#| solution linear_flops
# Demo student "broken": a missing closing parenthesis is a SyntaxError, so linear_flops is never
# defined: its visible test fails, and so do the tests that count a Linear layer's FLOPs (the rule
# of the op `linear` calls linear_flops); every other step still passes.
def linear_flops(rows: int, in_features: int, out_features: int, bias: bool = True) -> tuple[int, int, int]:
    """(MACs, forward FLOPs, backward FLOPs) of a linear layer on `rows` rows: the product is
    rows x in x out MACs, 2 FLOPs each; the bias adds rows x out FLOPs forward and backward."""
    macs = rows * in_features * out_features
    extra = rows * out_features if bias else 0
    return int(macs), int(2 * macs + extra, int(4 * macs + extra)
