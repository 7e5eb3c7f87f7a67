"""Fit y = sin(x) with a cubic polynomial by gradient descent, updating the weights by hand under
`no_grad`: the autograd example of PyTorch's "Learning PyTorch with Examples", with float64 and
initial weights drawn by NumPy so that both libraries start from the same point."""
import math

import numpy as np


def run(torch, steps: int = 2000) -> dict:
    dtype = torch.float64
    x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
    y = torch.sin(x)

    start = np.random.default_rng(0).standard_normal(4)
    a, b, c, d = (torch.tensor(value, dtype=dtype, requires_grad=True) for value in start)

    learning_rate = 1e-6
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    return {"loss": loss.item(), "a": a.item(), "b": b.item(), "c": c.item(), "d": d.item()}


if __name__ == "__main__":
    from _common import main
    main(run, __doc__)
