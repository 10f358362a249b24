# Here-documents and redirections, in /tmp.
cd /tmp || exit 1
cat <<EOF2
plain heredoc with $HOME expansion and $(echo substitution) and $((6 * 7))
EOF2
cat <<'EOF2'
quoted heredoc: $HOME stays, $(so does this)
EOF2
cat <<-EOF2
	tab-stripped heredoc
		second line
	EOF2
tr a-z A-Z <<EOF2
heredoc into a pipe-less filter
EOF2
cat <<EOF2 | sed 's/^/> /'
heredoc into a pipeline
line two
EOF2
echo first > out.txt
echo second >> out.txt
cat out.txt
wc -l < out.txt
echo "to stderr" >&2
echo "both" 2>&1 >/dev/null
ls /nonexistent 2>/dev/null || echo "ls failed quietly"
exec 3> fd3.txt; echo "via fd 3" >&3; exec 3>&-; cat fd3.txt
exec 4< out.txt; read -r line <&4; echo "read from fd 4: $line"; exec 4<&-
{ echo a; echo b >&2; } 2>err.txt >outb.txt; echo "out: $(cat outb.txt) err: $(cat err.txt)"
cat < /dev/null; echo "empty stdin ok"
printf 'x\ny\nz' > in.txt; while read -r l; do echo "got $l"; done < in.txt
set -C; (echo overwrite > out.txt) 2>/dev/null || echo "noclobber refused"; set +C
echo "clobber ok" >| out.txt; cat out.txt
: > truncated.txt; wc -c < truncated.txt
echo data 1<>rw.txt; cat rw.txt
exec 5>&1; echo "dup of stdout" >&5; exec 5>&-
(echo "subshell to file" > sub.txt); cat sub.txt
rm -f out.txt fd3.txt err.txt outb.txt in.txt truncated.txt rw.txt sub.txt
ls
