# signal: handlers, kill to self, alarm, setitimer, masks, SIGCHLD.
import signal, os, time, subprocess

got = []
signal.signal(signal.SIGUSR1, lambda s, f: got.append("USR1"))
os.kill(os.getpid(), signal.SIGUSR1)
print("after kill:", got)
signal.signal(signal.SIGALRM, lambda s, f: got.append("ALRM"))
signal.alarm(1)
signal.pause()
print("after alarm:", got)
signal.setitimer(signal.ITIMER_REAL, 0.05)
time.sleep(1)
print("after setitimer (sleep interrupted, PEP 475 resumes it):", got)
old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR2})
signal.signal(signal.SIGUSR2, lambda s, f: got.append("USR2"))
os.kill(os.getpid(), signal.SIGUSR2)
print("blocked, pending:", sorted(signal.sigpending()), got[-1])
signal.pthread_sigmask(signal.SIG_SETMASK, old)
print("unblocked:", got[-1])
chld = []
signal.signal(signal.SIGCHLD, lambda s, f: chld.append(s))
subprocess.run(["true"])
time.sleep(0.05)
print("SIGCHLD seen:", bool(chld))
signal.signal(signal.SIGCHLD, signal.SIG_DFL)
try:
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(1)
except KeyboardInterrupt:
    print("KeyboardInterrupt")
print("SIGTERM default handler:", signal.getsignal(signal.SIGTERM))
print("sigwait:", end=" ")
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGHUP})
os.kill(os.getpid(), signal.SIGHUP)
print(signal.sigwait({signal.SIGHUP}))
print("strsignal:", signal.strsignal(signal.SIGSEGV))
