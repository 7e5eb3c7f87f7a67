# %% adam (edit)
<<<<<<< reference
#| solution adam
class Adam(Optimizer):
=======
#| solution adam
# Demo student "broken": Adam that never creates its state, so the first step raises
# KeyError: 'step'. Every Adam and AdamW test fails (and the demonstrations that train with Adam
# stop with the error); SGD, zero_grad and the schedules still pass.
class Adam(Optimizer):
>>>>>>> student
<<<<<<< reference
                grad = grad + weight_decay * param
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(param), exp_avg_sq=np.zeros_like(param))
        state["step"] += 1
=======
                grad = grad + weight_decay * param
        state["step"] += 1
>>>>>>> student
