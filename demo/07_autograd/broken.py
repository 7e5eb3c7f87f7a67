# %% mul_div_vjp
#| export
#| solution mul_div_vjp
# Demo student "broken": a misspelt name in _div_vjp (b_dat for b_data) raises NameError whenever a
# division is differentiated: the tests of Step 2 fail, and so does every later test whose graph
# divides; the rest of the notebook still runs.
def _mul_vjp(grad, out, a, b):
    "The gradients of a * b with respect to a (a tensor) and b (a tensor, or None for a number or array)."
    return unbroadcast(grad * _other(b), a.data.shape), _grad_of_other(grad * a.data, b)


def _div_vjp(grad, out, a, b):  # a / b
    "The gradients of a / b (`out`) with respect to a and b: grad / b and -grad * out / b."
    b_data = _other(b)
    return unbroadcast(grad / b_dat, a.data.shape), _grad_of_other(-grad * out / b_data, b)
