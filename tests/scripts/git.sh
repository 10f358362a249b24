# git init / add / commit / log / branch / merge / diff with fixed
# identities and dates, so every hash is reproducible.
set -e
export GIT_AUTHOR_NAME="Friscy Tester" GIT_AUTHOR_EMAIL="tester@example.com"
export GIT_COMMITTER_NAME="Friscy Tester" GIT_COMMITTER_EMAIL="tester@example.com"
export GIT_AUTHOR_DATE="2023-11-14T22:13:20+00:00" GIT_COMMITTER_DATE="2023-11-14T22:13:20+00:00"
export GIT_CONFIG_NOSYSTEM=1 TZ=UTC
cd /tmp
git init -q -b main repo
cd repo
git config core.fileMode true
printf 'hello\n' > a.txt
mkdir -p dir/sub
printf 'nested file\n' > dir/sub/b.txt
printf '#!/bin/sh\necho run\n' > run.sh
chmod +x run.sh
git add .
git commit -q -m "first commit"
printf 'second line\n' >> a.txt
git commit -q -am "append to a.txt"
git checkout -q -b feature
printf 'feature work\n' > feature.txt
git add feature.txt
git commit -q -m "add feature.txt"
git checkout -q main
git mv dir/sub/b.txt dir/b.txt
git commit -q -m "move b.txt"
git merge -q --no-edit feature
git tag -a v1.0 -m "version 1.0"
echo "== log"
git log --graph --format='%h %an <%ae> %ad %s' --date=iso-strict
echo "== rev-parse"
git rev-parse HEAD HEAD^{tree} v1.0
echo "== ls-tree"
git ls-tree -r HEAD
echo "== show"
git show --stat --format='%s' HEAD~1
echo "== diff"
git diff HEAD~3 HEAD -- a.txt
echo "== status"
printf 'dirty\n' >> a.txt
printf 'new\n' > untracked.txt
git status --short
git stash -q
git status --short
echo "== describe"
git describe --tags
echo "== branch"
git branch --list
echo "== cat-file"
git cat-file -p v1.0
echo "== count-objects / gc / fsck"
git gc -q
git count-objects -v | grep -E '^(count|in-pack|packs)'
git fsck --no-progress 2>&1 | sort
echo "== clone"
cd /tmp
git clone -q repo clone
git -C clone log --oneline | wc -l
