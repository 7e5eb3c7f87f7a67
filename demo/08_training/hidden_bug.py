# %% trainer (edit)
<<<<<<< reference
#| solution trainer
class Trainer:
=======
#| solution trainer
# Demo student "hidden_bug": _train_epoch averages the batches' means without weighting them by
# their sizes. Right whenever all batches have the same size (the visible test: 96 rows in batches of
# 32); the hidden test's last batch of 4 rows counts as much as one of 32, and the epoch's loss is off.
class Trainer:
>>>>>>> student
<<<<<<< reference
        over the epoch's examples (every batch's value weighted by its number of rows)."""
        totals, count = {}, 0
=======
        over the epoch's examples (every batch's value weighted by its number of rows)."""
        # the mean of the batches' values, each batch counted once whatever its size
        totals, count = {}, 0
>>>>>>> student
<<<<<<< reference
            loss, outputs = self.train_step(inputs, targets)
            n = len(targets.data)
            results = {"loss": loss, **{name: fn(outputs, targets) for name, fn in self.metrics.items()}}
            for name, value in results.items():
                totals[name] = totals.get(name, 0.0) + value * n
            count += n
        return {name: total / count for name, total in totals.items()}
=======
            loss, outputs = self.train_step(inputs, targets)
            results = {"loss": loss, **{name: fn(outputs, targets) for name, fn in self.metrics.items()}}
            for name, value in results.items():
                totals[name] = totals.get(name, 0.0) + value
            count += 1
        return {name: total / count for name, total in totals.items()}
>>>>>>> student

# %% early_stopping (edit)
<<<<<<< reference
#| solution early_stopping
class EarlyStopping:
=======
#| solution early_stopping
# Demo student "hidden_bug": EarlyStopping.improved ignores min_delta. The visible test uses the
# default min_delta=0, so it passes; the hidden test's small improvements count as real ones.
class EarlyStopping:
>>>>>>> student
<<<<<<< reference
            return True
        return value < self.best - self.min_delta if self.mode == "min" else value > self.best + self.min_delta

=======
            return True
        return value < self.best if self.mode == "min" else value > self.best

>>>>>>> student
