# What a package manager does to a root file system, with Debian's dpkg:
# build a package, install it, upgrade it (replaced, dropped and added
# files, a locally changed conffile, hard links), remove and purge it, and
# change files of the image directly (copy-up, rename over, hard links,
# deletes). Run by dash in the guest; the oracle runs it in a private copy
# of the tree. Nothing printed depends on times, inode numbers or pids.
set -e
# The oracle inherits the test runner's umask; friscy starts guests with 022.
umask 022
export TZ=UTC LC_ALL=C COLUMNS=100
# dpkg-deb clamps every mtime in the .deb (and the ar member times) to
# this, so the packages are the same bytes on every run and side.
export SOURCE_DATE_EPOCH=1700000000

info() {
    echo "== $*"
}

# Lists what a package left on disk: size, link count, mode, owner; no
# times or inode numbers, which legitimately differ.
show() {
    for f in "$@"; do
        if [ -e "$f" ] || [ -L "$f" ]; then
            if [ -d "$f" ]; then
                # A directory's size is the file system's business.
                stat -c '%n %h %a %U %G %F' "$f"
            else
                stat -c '%n %s %h %a %U %G %F' "$f"
            fi
        else
            echo "$f: absent"
        fi
    done
}

B=/tmp/build
mkdir -p $B

# make_pkg VERSION: the package tree for VERSION in $B/friscy-demo-VERSION.
make_pkg() {
    v=$1
    d=$B/friscy-demo-$v
    mkdir -p $d/DEBIAN $d/usr/bin $d/usr/share/friscy-demo $d/etc
    cat > $d/DEBIAN/control <<EOF
Package: friscy-demo
Version: $v
Architecture: all
Maintainer: Friscy Tester <tester@example.com>
Section: misc
Priority: optional
Description: friscy overlay exerciser
 Installs, upgrades and removes a few files.
EOF
    echo /etc/friscy-demo.conf > $d/DEBIAN/conffiles
    cat > $d/DEBIAN/postinst <<'EOF'
#!/bin/sh
set -e
echo "postinst $1 ${2:-(none)}"
mkdir -p /var/lib/friscy-demo
echo "configured $DPKG_MAINTSCRIPT_PACKAGE" >> /var/lib/friscy-demo/state
EOF
    cat > $d/DEBIAN/prerm <<'EOF'
#!/bin/sh
echo "prerm $1 ${2:-(none)}"
EOF
    cat > $d/DEBIAN/postrm <<'EOF'
#!/bin/sh
set -e
echo "postrm $1 ${2:-(none)}"
if [ "$1" = purge ]; then
    rm -rf /var/lib/friscy-demo
fi
EOF
    chmod 755 $d/DEBIAN/postinst $d/DEBIAN/prerm $d/DEBIAN/postrm
    cat > $d/usr/bin/friscy-demo <<EOF
#!/bin/sh
echo "friscy-demo version $v"
cat /etc/friscy-demo.conf
EOF
    chmod 755 $d/usr/bin/friscy-demo
    echo "greeting = hello from version $v" > $d/etc/friscy-demo.conf
    echo "kept across versions" > $d/usr/share/friscy-demo/kept
    echo "changes in version $v" > $d/usr/share/friscy-demo/changed
    seq 1 2000 > $d/usr/share/friscy-demo/numbers
    # A hard-linked pair: dpkg-deb stores the second name as a link entry.
    ln $d/usr/share/friscy-demo/numbers $d/usr/share/friscy-demo/numbers.link
    if [ "$v" = 1 ]; then
        echo "only in version 1" > $d/usr/share/friscy-demo/dropped
        mkdir -p $d/usr/share/friscy-demo/olddir
        echo old > $d/usr/share/friscy-demo/olddir/file
        ln -s friscy-demo $d/usr/bin/friscy-demo-link
    else
        echo "new in version $v" > $d/usr/share/friscy-demo/added
        mkdir -p $d/usr/share/friscy-demo/sub/dir
        echo deep > $d/usr/share/friscy-demo/sub/dir/file
        # An upgrade renames the new symlink over the old one.
        ln -s ../share/friscy-demo/kept $d/usr/bin/friscy-demo-link
    fi
    (cd $d && find usr -type f | LC_ALL=C sort | xargs md5sum > DEBIAN/md5sums)
    dpkg-deb --root-owner-group -Zgzip --build $d $B/friscy-demo_${v}_all.deb
}

FILES="/usr/bin/friscy-demo /etc/friscy-demo.conf /etc/friscy-demo.conf.dpkg-old
/usr/share/friscy-demo /usr/share/friscy-demo/kept /usr/share/friscy-demo/changed
/usr/share/friscy-demo/numbers /usr/share/friscy-demo/numbers.link
/usr/share/friscy-demo/dropped /usr/share/friscy-demo/added
/usr/share/friscy-demo/olddir /usr/share/friscy-demo/olddir/file
/usr/share/friscy-demo/sub/dir/file /usr/bin/friscy-demo-link
/var/lib/friscy-demo/state"

info "build version 1"
make_pkg 1
md5sum $B/friscy-demo_1_all.deb | cut -d' ' -f1
dpkg-deb -f $B/friscy-demo_1_all.deb Package Version Architecture
dpkg-deb -c $B/friscy-demo_1_all.deb

info "install version 1"
dpkg -i $B/friscy-demo_1_all.deb
friscy-demo
readlink /usr/bin/friscy-demo-link
dpkg -s friscy-demo | grep -E '^(Status|Version|Conffiles)'
dpkg -L friscy-demo
show $FILES
find /usr/share/friscy-demo -type f | sort | xargs md5sum
dpkg --verify friscy-demo && echo "verify ok"

info "change the conffile locally"
echo "# edited by the admin" >> /etc/friscy-demo.conf
dpkg --verify friscy-demo || echo "verify status $?"

info "build version 2"
make_pkg 2

info "upgrade to version 2"
dpkg -i --force-confnew $B/friscy-demo_2_all.deb
friscy-demo
readlink /usr/bin/friscy-demo-link
dpkg -s friscy-demo | grep -E '^(Status|Version)'
dpkg -L friscy-demo
show $FILES
cat /etc/friscy-demo.conf.dpkg-old
cat /usr/share/friscy-demo/changed /var/lib/friscy-demo/state
find /usr/share/friscy-demo -type f | sort | xargs md5sum
dpkg --verify friscy-demo && echo "verify ok"
ls -a /usr/share/friscy-demo /var/lib/dpkg/updates
# Written as status-new, then renamed over status (the old one kept as status-old).
cat /var/lib/dpkg/status

info "change files of the image"
D=/usr/share/dpkg
show $D/cputable $D/ostable $D/tupletable $D/abitable
# sed -i writes a temporary file and renames it over the image file.
sed -i 's/^riscv64[[:space:]]/RISCV64\t/' $D/cputable
grep -i '^riscv64' $D/cputable
# Appending changes the image file in place.
echo "# appended" >> $D/ostable
tail -n 2 $D/ostable
# A second name for an image file; a write through one is seen by both.
ln $D/tupletable $D/tupletable.link
echo "# through the link" >> $D/tupletable.link
tail -n 1 $D/tupletable
show $D/tupletable $D/tupletable.link
rm $D/tupletable
tail -n 1 $D/tupletable.link
show $D/tupletable $D/tupletable.link
# A new file renamed over an image file.
printf 'replaced\n' > $D/abitable.new
mv $D/abitable.new $D/abitable
cat $D/abitable
show $D/abitable $D/abitable.new
# A deleted image file and directory.
rm $D/ostable
rm -r /usr/share/doc/sed
show $D/ostable /usr/share/doc/sed
ls $D | wc -l

# The package ships /etc, /usr/bin and /usr/share, which no other package
# in this (otherwise empty) database owns, so removing it tries to remove
# them too and dpkg warns that they are not empty: rmdir of image
# directories must fail with ENOTEMPTY.
info "remove"
dpkg -r friscy-demo
dpkg -s friscy-demo | grep -E '^(Status|Version|Conffiles)'
show $FILES

info "purge"
dpkg -P friscy-demo
dpkg -s friscy-demo 2>&1 || echo "dpkg -s status $?"
show $FILES
dpkg --audit && echo "audit ok"
echo "info files: $(ls /var/lib/dpkg/info | grep friscy-demo | sort | tr '\n' ' ')"
cat /var/lib/dpkg/status
ls /var/lib/dpkg
