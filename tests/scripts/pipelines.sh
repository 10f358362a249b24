# Pipelines: filters in the middle, pipeline exit statuses, SIGPIPE on the
# writer when the reader stops early. POSIX sh (busybox sh, dash, bash).
printf 'banana\napple\ncherry\napple\nbanana\napple\n' | sort | uniq -c | sort -rn | head -n 2
echo "one two three four" | tr ' ' '\n' | wc -l
seq 1 100 | grep 7 | tr '\n' ' '; echo
printf 'a:b:c\nd:e:f\n' | cut -d: -f2 | tr a-z A-Z
false | true; echo "status of false|true: $?"
true | false; echo "status of true|false: $?"
! false; echo "negated false: $?"
yes | head -n 3
seq 1 100000 | head -n 2
i=0; while [ $i -lt 5 ]; do echo "line $i"; i=$((i + 1)); done | tail -n 2
echo "long pipeline: $(seq 1 50 | sed 's/^/x/' | grep -v 5 | cut -c2- | sort -n | tail -n 1 | tr -d '\n')"
dd if=/dev/zero bs=1024 count=256 2>/dev/null | wc -c
cat /usr/bin/sh /usr/bin/sh | cat | cat | wc -c
echo done
