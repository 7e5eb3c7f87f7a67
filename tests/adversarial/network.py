# %% identity
# Attack: reach the network (to send the notebook out, or fetch answers).
STUDENT_NAME = "Mallory"
STUDENT_EMAIL = "mallory@example.org"
import socket

for host, port in (("127.0.0.1", 22), ("127.0.0.1", 8888), ("1.1.1.1", 53), ("10.0.0.1", 80)):
    try:
        socket.create_connection((host, port), timeout=1).close()
        print("NET-OPEN:", host, port)
    except OSError:
        pass
try:
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("8.8.8.8", 53))
    print("NET-OPEN: udp")
except OSError:
    pass
