# %% adam
#| export
#| solution adam
# Demo student "broken": Adam that never creates its state, so the first step raises
# KeyError: 'step'. Every Adam and AdamW test fails (and the demonstrations that train with Adam
# stop with the error); SGD, zero_grad and the schedules still pass.
class Adam(Optimizer):
    """Adam: running means of the gradient (m) and of its square (v), bias-corrected, give each
    weight its own step size: θ ← θ - lr · m̂ / (√v̂ + eps). `weight_decay` adds λθ to the gradient
    (L2 regularisation; see AdamW for decoupled decay)."""

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0):
        if not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"betas must be in [0, 1), got {betas}")
        if eps < 0 or weight_decay < 0:
            raise ValueError(f"eps ({eps}) and weight_decay ({weight_decay}) must be >= 0")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay))

    decoupled_weight_decay = False

    def _update(self, param, grad, state, group):
        """One Adam step on `param` in place. Weight decay: θ ← θ (1 - lr λ) if `self.decoupled_weight_decay`
        (AdamW), else g ← g + λθ. `state` holds "step" (the number of steps taken), "exp_avg" (m) and
        "exp_avg_sq" (v), created at the first step as 0 and arrays of zeros like `param`."""
        lr, (beta1, beta2), eps, weight_decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        if weight_decay:
            if self.decoupled_weight_decay:
                param *= 1 - lr * weight_decay
            else:
                grad = grad + weight_decay * param
        state["step"] += 1
        m, v, t = state["exp_avg"], state["exp_avg_sq"], state["step"]
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * (grad * grad)
        step_size = lr / (1 - beta1 ** t)
        denominator = np.sqrt(v) / math.sqrt(1 - beta2 ** t)
        denominator += eps
        param -= step_size * (m / denominator)
