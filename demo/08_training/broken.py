# %% clip
#| export
#| solution clip
# Demo student "broken": a colon missing after the `if` is a SyntaxError, so nothing in the cell
# runs and clip_grad_norm_ is never defined: its tests fail, and so does the Trainer's step with
# grad_clip set (a NameError); everything that trains without clipping still works.
def clip_grad_norm_(parameters: Iterable[Tensor], max_norm: float) -> float:
    """Scale all gradients together, in place, so their joint L2 norm is at most `max_norm`: if it is
    larger, multiply every gradient by max_norm / (norm + 1e-6). Parameters without a gradient are
    skipped. Return the norm before clipping (as `torch.nn.utils.clip_grad_norm_`)."""
    grads = [p.grad.data for p in parameters if p.grad is not None]
    total = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
    if total > max_norm
        scale = max_norm / (total + 1e-6)
        for g in grads:
            g *= scale
    return total
