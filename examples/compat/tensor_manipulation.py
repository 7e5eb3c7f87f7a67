"""Everyday tensor manipulation: creation, reshaping, views that see in-place changes, indexing
and masked assignment, broadcasting, reductions."""


def run(torch) -> dict:
    t = torch.arange(12, dtype=torch.float64).reshape(3, 4)
    row = t[1]
    t[:, 1] += 2            # a column changed in place: the row view sees it
    t[t > 9] = 0            # masked assignment
    t[0] = -1               # a whole row
    flat = t.view(12)
    flat[11] = 42.0          # through a view of the same memory
    u = t.T.contiguous()
    scaled = t * torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)  # broadcasting
    values, indices = scaled.max(dim=1)
    s = torch.zeros(2, 3, dtype=torch.float64)
    s += 1
    s.mul_(torch.tensor([[1.0], [2.0]], dtype=torch.float64))
    return {
        "t": t.tolist(), "row": row.tolist(), "u_sum_dim0": u.sum(dim=0).tolist(),
        "max_values": values.tolist(), "max_indices": indices.tolist(),
        "mean": scaled.mean().item(), "s": s.tolist(), "squeezed": t.unsqueeze(0).squeeze(0).shape[1],
        "permuted": t.reshape(2, 3, 2).permute(2, 0, 1).sum(dim=(1, 2)).tolist(),
    }


if __name__ == "__main__":
    from _common import main
    main(run, __doc__)
