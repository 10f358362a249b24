# Subshells, command substitution, functions, groups.
x=outer
( x=inner; echo "in subshell: $x" )
echo "after subshell: $x"
y=$(echo hello; echo world)
echo "captured: $y"
n=$(( $(echo 6) * 7 )); echo "arith: $n"
nested=$(echo "a$(echo "b$(echo c)")"); echo "nested: $nested"
{ echo grouped1; echo grouped2; } | wc -l
(exit 3); echo "subshell exit: $?"
out=$(sh -c 'echo from child sh; exit 4'); echo "child said '$out', status $?"
echo "cwd before: $(pwd)"; (cd /etc && echo "in subshell: $(pwd)"); echo "cwd after: $(pwd)"
f() { echo "function args: $# $*"; return 5; }
f a b c; echo "function status: $?"
echo "backticks: `echo old style`"
lines=$(printf 'l1\nl2\n\n\n'); echo "trailing newlines stripped: [$lines]"
big=$(seq 1 20000); echo "big substitution: ${#big} characters"
v=$(exit 7) || echo "assignment status: $?"
set -- p q r; echo "positional: $# $2"; shift; echo "after shift: $*"
case "hello.txt" in *.txt) echo "case matched txt";; *) echo "no match";; esac
for w in $(echo alpha beta gamma); do printf '%s.' "$w"; done; echo
i=0; until [ $i -ge 3 ]; do i=$((i + 1)); done; echo "until: $i"
echo "${UNSET_VAR:-default} ${HOME:+home-set} ${#HOME}"
p=/usr/lib/file.tar.gz; echo "${p##*/} ${p%.*} ${p%%.*} ${p#/usr}"
eval 'echo "eval: $x"'
command -v sh >/dev/null && echo "command -v sh ok"
type cd | head -n 1 >/dev/null && echo "type ok"
