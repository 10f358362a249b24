# subprocess with pipes: run, check_output, Popen chains, communicate, errors.
import subprocess, sys, os

r = subprocess.run(["sh", "-c", "echo out; echo err >&2; exit 3"], capture_output=True)
print("run:", r.returncode, r.stdout, r.stderr)
print("check_output:", subprocess.check_output(["echo", "hello", "world"]))
print("text mode:", subprocess.run(["tr", "a-z", "A-Z"], input="shout\n", capture_output=True, text=True).stdout, end="")
p1 = subprocess.Popen(["seq", "1", "1000"], stdout=subprocess.PIPE)
p2 = subprocess.Popen(["grep", "7"], stdin=p1.stdout, stdout=subprocess.PIPE)
p1.stdout.close()
p3 = subprocess.Popen(["wc", "-l"], stdin=p2.stdout, stdout=subprocess.PIPE)
p2.stdout.close()
out, _ = p3.communicate()
print("chain seq|grep|wc:", out.strip(), p1.wait(), p2.wait(), p3.returncode)
p = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
data = b"x" * 200000
out, _ = p.communicate(data)
print("communicate 200000 bytes through cat:", len(out), out == data)
try:
    subprocess.check_call(["false"])
except subprocess.CalledProcessError as e:
    print("CalledProcessError:", e.returncode)
# No exec failures here (FileNotFoundError, PermissionError): under the
# oracle, proot hands every exec to qemu, so a failed exec shows up as a
# child exiting with 127 instead of an exception as on Linux.
r = subprocess.run("echo $((40 + 2)) | cat", shell=True, stdout=subprocess.PIPE)
print("shell=True:", r.stdout)
r = subprocess.run(["sh", "-c", "kill -TERM $$"])
print("killed child returncode:", r.returncode)
r = subprocess.run(["sh", "-c", "pwd; echo $FOO"], cwd="/etc", env={"FOO": "bar", "PATH": os.environ["PATH"]}, capture_output=True)
print("cwd and env:", r.stdout)
try:
    subprocess.run(["sleep", "5"], timeout=0.3)
except subprocess.TimeoutExpired as e:
    print("TimeoutExpired after", e.timeout)
print("sys.executable:", sys.executable)
