# %% state_dict
#| export
#| solution state_dict
# Demo student "hidden_bug": load_state_dict rebinds each parameter's array (p.data = value)
# instead of copying into it. The values are right, so the visible test passes; but the model now
# shares memory with the dictionary it was loaded from, and the parameter's array is a new object
# (an optimizer holding the old one would update a dead copy). The hidden test catches both.
@add_methods(Module)
class _StateDict:
    "Saving and loading a module's parameters by name."

    def state_dict(self) -> OrderedDict[str, Tensor]:
        "A copy of every parameter by dotted name: what a checkpoint stores."
        return OrderedDict((name, _wrap(p.data.copy())) for name, p in self.named_parameters())

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True) -> IncompatibleKeys:
        "Copy values into the parameters."
        own = dict(self.named_parameters())
        missing = [name for name in own if name not in state_dict]
        unexpected = [name for name in state_dict if name not in own]
        if strict and (missing or unexpected):
            raise KeyError(f"missing keys {missing}, unexpected keys {unexpected}")
        for name, value in state_dict.items():
            if name in own:
                array = value.data if isinstance(value, Tensor) else np.asarray(value)
                if array.shape != own[name].shape:
                    raise ValueError(f"state_dict['{name}'] has shape {array.shape}, but the parameter has shape {own[name].shape}")
                own[name].data = array
        return IncompatibleKeys(missing, unexpected)

# %% containers (edit)
<<<<<<< reference
#| solution containers
class Sequential(Module):
=======
#| solution containers
# Demo student "hidden_bug": Flatten lets reshape infer the merged size with -1. Right for every
# visible case; an empty batch of shape (0, 3, 4) cannot infer it (0 elements fit any size), and
# a 0-d tensor divides by zero.
class Sequential(Module):
>>>>>>> student
<<<<<<< reference
    def forward(self, x: Tensor) -> Tensor:
        "`x` reshaped with dimensions start_dim..end_dim merged (a view when possible); 0-d → (1,)."
        shape = x.data.shape
        if not shape:
            return x.reshape(1)
        start, end = self.start_dim % len(shape), self.end_dim % len(shape)
        return x.reshape(shape[:start] + (math.prod(shape[start:end + 1]),) + shape[end + 1:])

=======
    def forward(self, x: Tensor) -> Tensor:
        "`x` reshaped with dimensions start_dim..end_dim merged."
        shape = x.data.shape
        start, end = self.start_dim % len(shape), self.end_dim % len(shape)
        return x.reshape(shape[:start] + (-1,) + shape[end + 1:])

>>>>>>> student
