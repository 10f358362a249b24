# Background jobs, $!, wait, kill. Background output goes to files so the
# order of lines does not depend on scheduling. dash and busybox print
# "Terminated"/"Killed" to stderr only when the `wait` builtin itself reaps
# the killed job, not when an earlier SIGCHLD poll did: a race on Linux
# too (the child may die before `wait` runs), so those waits' stderr goes
# to /dev/null.
cd /tmp || exit 1
(sleep 0.2; echo "bg1 done" > bg1.txt) &
p1=$!
(echo "bg2 done") > bg2.txt &
p2=$!
wait $p2; echo "wait p2: $?"
cat bg2.txt
wait $p1; echo "wait p1: $?"
cat bg1.txt
sleep 10 &
p3=$!
kill $p3
wait $p3 2>/dev/null; echo "killed sleep (TERM): $?"
sleep 10 &
p4=$!
kill -KILL $p4
wait $p4 2>/dev/null; echo "killed sleep (KILL): $?"
sh -c 'exit 5' &
wait $!; echo "background exit: $?"
for i in 1 2 3 4; do (echo "worker $i" > w$i.txt) & done
wait
cat w1.txt w2.txt w3.txt w4.txt
kill -0 $$ && echo "kill -0 self ok"
kill -0 99999 2>/dev/null || echo "kill -0 on a missing pid fails"
(sleep 0.1; exit 6) & p5=$!
sleep 0.3
wait $p5; echo "reaped late: $?"
yes > /dev/null & p6=$!
sleep 0.1; kill $p6; wait $p6 2>/dev/null; echo "busy loop killed: $?"
rm -f bg1.txt bg2.txt w1.txt w2.txt w3.txt w4.txt
echo "all jobs done"
