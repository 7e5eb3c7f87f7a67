# %% sgd
#| export
#| solution sgd
# Demo student "hidden_bug": the textbook momentum buffer, started at zero and updated the same way
# at every step. With dampening = 0 (the visible test) the first step gives b = g as PyTorch's does;
# with dampening > 0 (a hidden test) the first step is (1 - dampening) g instead of g.
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
        lr, momentum, weight_decay = group["lr"], group["momentum"], group["weight_decay"]
        if weight_decay:
            grad = grad + weight_decay * param
        if momentum:
            buffer = state.setdefault("momentum_buffer", np.zeros_like(param))
            buffer *= momentum
            buffer += (1 - group["dampening"]) * grad
            grad = grad + momentum * buffer if group["nesterov"] else buffer
        param -= lr * grad

# %% cosine
#| export
#| solution cosine
# Demo student "hidden_bug": the cosine schedule without eta_min. Right for the visible test
# (eta_min = 0); a hidden test with eta_min > 0 sees the rate fall to 0 instead of eta_min.
class CosineAnnealingLR(LRScheduler):
    "lr = eta_min + (initial lr - eta_min) (1 + cos(π epoch / T_max)) / 2: a half cosine from the initial rate down to eta_min."

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0):
        if T_max < 1:
            raise ValueError(f"T_max must be a positive number of epochs, got {T_max}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer)

    def lr_at(self, epoch: int, base_lr: float) -> float:
        "The learning rate at `epoch` for a group that started at `base_lr`."
        return base_lr * (1 + math.cos(math.pi * epoch / self.T_max)) / 2
