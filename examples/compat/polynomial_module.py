"""The same cubic fit as a custom `nn.Module` with four `nn.Parameter`s, `MSELoss(reduction='sum')`
and `optim.SGD` with momentum (PyTorch's "Custom nn Modules" example)."""
import math

import numpy as np


def run(torch, steps: int = 2000) -> dict:
    class Polynomial3(torch.nn.Module):
        def __init__(self, start):
            super().__init__()
            self.a, self.b, self.c, self.d = (torch.nn.Parameter(torch.tensor(v, dtype=torch.float64)) for v in start)

        def forward(self, x):
            return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

    x = torch.linspace(-math.pi, math.pi, 2000, dtype=torch.float64)
    y = torch.sin(x)
    model = Polynomial3(np.random.default_rng(1).standard_normal(4))
    criterion = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-6, momentum=0.9)
    for t in range(steps):
        loss = criterion(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return {"loss": loss.item(), **{name: p.item() for name, p in model.named_parameters()}}


if __name__ == "__main__":
    from _common import main
    main(run, __doc__)
