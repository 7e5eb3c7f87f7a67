"""Autograd features: `requires_grad_`, gradient accumulation and `grad.zero_()`, `backward` with a
gradient argument, `torch.autograd.grad`, `detach`, `no_grad`, and an in-place update of a leaf."""


def run(torch) -> dict:
    x = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64).requires_grad_()
    y = (x * x).sum()
    y.backward()
    first = x.grad.tolist()
    (x * 3).sum().backward()             # accumulates
    accumulated = x.grad.tolist()
    x.grad.zero_()
    z = x.exp() * 2
    z.backward(torch.tensor([1.0, 0.5, 0.25], dtype=torch.float64))
    weighted = x.grad.tolist()
    h = x * x
    (g,) = torch.autograd.grad(h.sum() * 2, [h])
    d = x.detach()
    d += 1                                # shares memory with x: x changes too
    with torch.no_grad():
        x *= 0.5                          # an in-place update of a leaf, allowed under no_grad
        doubled = x * 2
    return {"first": first, "accumulated": accumulated, "weighted": weighted, "grad_of_h": g.tolist(),
            "x": x.tolist(), "doubled_requires_grad": doubled.requires_grad, "x_is_leaf": x.is_leaf}


if __name__ == "__main__":
    from _common import main
    main(run, __doc__)
