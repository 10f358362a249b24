# trap: EXIT, signals sent to the shell itself, traps in subshells,
# ignored signals inherited by children, death by signal.
trap 'echo "EXIT trap ran"' EXIT
trap 'echo "caught USR1"' USR1
kill -USR1 $$
echo "after USR1"
trap 'echo "caught HUP"' HUP
kill -HUP $$
kill -s USR1 $$
echo "after HUP and USR1"
( trap 'echo "subshell got TERM"; exit 9' TERM; sh -c 'kill -TERM $PPID'; echo "subshell continues" )
echo "subshell status: $?"
sh -c 'kill -TERM $$; echo not reached'; echo "child killed by TERM: $?"
sh -c 'kill -KILL $$'; echo "child killed by KILL: $?"
trap '' INT
sh -c 'kill -INT $$; echo "child survived an ignored INT"'
trap - INT
trap 'echo "USR2 handled"; n=$((n + 1))' USR2
n=0
for i in 1 2 3; do kill -USR2 $$; done
echo "USR2 count: $n"
trap - USR1 USR2 HUP
sh -c 'trap "echo child trap TERM; exit 3" TERM; kill -TERM $$; sleep 1'; echo "child trap status: $?"
exit 4
