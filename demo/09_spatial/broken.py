# %% col2im (edit)
<<<<<<< reference
#| solution col2im
=======
#| solution col2im
# Demo student "broken": a colon missing after the inner `for` is a SyntaxError, so col2im is never
# defined: its test, conv2d's backward (a NameError inside backward()), the milestone and the layers'
# test fail; the forward pass, pooling and batch norm still work.
>>>>>>> student
<<<<<<< reference
        for b in range(kw):
=======
        for b in range(kw)
>>>>>>> student
