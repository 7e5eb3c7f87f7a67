# %% sgd
#| export
#| solution sgd
# Demo student "slow": a correct SGD (weight decay, momentum with dampening, Nesterov) that updates
# the parameter one element at a time in a Python loop. Passes every correctness test, fails the
# performance test.
class SGD(Optimizer):
    """Stochastic gradient descent, as PyTorch defines it: with weight decay g ← g + λθ; with momentum
    μ a buffer b ← μ b + (1 - dampening) g (b = g at the first step) and the step uses b (or g + μ b
    with Nesterov); then θ ← θ - lr · step."""

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False):
        if momentum < 0 or weight_decay < 0:
            raise ValueError(f"momentum ({momentum}) and weight_decay ({weight_decay}) must be >= 0")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum > 0 and dampening = 0")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def _update(self, param, grad, state, group):
        """One SGD step on `param` in place, from `grad` (left unchanged) and the settings in `group`;
        the momentum buffer lives in `state["momentum_buffer"]` between steps."""
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        weight_decay, nesterov = group["weight_decay"], group["nesterov"]
        buffer = state.get("momentum_buffer")
        first = buffer is None
        if momentum and first:
            buffer = state["momentum_buffer"] = np.zeros_like(param)
        for index in np.ndindex(param.shape):
            g = grad[index] + weight_decay * param[index]
            if momentum:
                buffer[index] = g if first else momentum * buffer[index] + (1 - dampening) * g
                g = g + momentum * buffer[index] if nesterov else buffer[index]
            param[index] -= lr * g

# %% adam
#| export
#| solution adam
# Demo student "slow": a correct Adam and AdamW, one element at a time with Python scalars.
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
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(param), exp_avg_sq=np.zeros_like(param))
        state["step"] += 1
        m, v, t = state["exp_avg"], state["exp_avg_sq"], state["step"]
        for index in np.ndindex(param.shape):
            g = grad[index]
            if weight_decay and self.decoupled_weight_decay:
                param[index] *= 1 - lr * weight_decay
            elif weight_decay:
                g = g + weight_decay * param[index]
            m[index] = beta1 * m[index] + (1 - beta1) * g
            v[index] = beta2 * v[index] + (1 - beta2) * g * g
            denominator = math.sqrt(v[index]) / math.sqrt(1 - beta2 ** t) + eps
            param[index] -= lr / (1 - beta1 ** t) * (m[index] / denominator)
