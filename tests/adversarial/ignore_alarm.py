# %% dot_loop
# Attack: ignore the cell's time limit and loop forever.
import signal

signal.signal(signal.SIGALRM, signal.SIG_IGN)
while True:
    try:
        pass
    except BaseException:
        pass
