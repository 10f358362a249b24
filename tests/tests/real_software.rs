//! Real software from Debian trixie riscv64 packages, differential: each
//! case runs under the oracle (qemu-riscv64 under proot, in
//! `build/debian/<profile>/rootfs/`) and under friscy (the core's native
//! example runner on `build/debian/<profile>/rootfs.tar`); stdout, stderr
//! and exit status must agree.
//!
//! The images are built on first use (`friscy_tests::debian::ensure`;
//! downloads are cached in `~/.cache/friscy/debian/`), or ahead of time with
//! `cargo run --release -p friscy-tests --bin build-debian-rootfs`.
//! Scripts the guests run live in `tests/scripts/` and appear in every image
//! as `/friscy-tests/`.
//!
//! Test names are `<profile>::<case>`: `cargo test --release -p friscy-tests
//! --test real_software base::` runs the base image's cases.
//! `FRISCY_REAL_STRACE=1` makes friscy trace system calls (stderr then
//! differs, of course).
//!
//! Cases that change the image outside `/tmp` and `/root` (dpkg) are
//! marked `writes_rootfs()`: the oracle then runs in a private copy of the
//! tree; friscy's writes never leave its per-run in-memory overlay.

use friscy_tests::debian::{check, RealCase};

/// `SHELL SCRIPT` for a script in `tests/scripts/`.
fn script(name: &str, profile: &'static str, shell: &[&str], file: &str) -> RealCase {
    let path = format!("/friscy-tests/{file}");
    let mut argv: Vec<&str> = shell.to_vec();
    argv.push(&path);
    RealCase::new(name, profile, &argv)
}

fn sh(name: &str, profile: &'static str, shell: &str, cmd: &str) -> RealCase {
    RealCase::new(name, profile, &[shell, "-c", cmd])
}

mod base {
    use super::*;

    const P: &str = "base";

    #[test]
    fn dash_echo() {
        check(&sh("dash_echo", P, "/bin/sh", "echo hello from dash"));
    }

    #[test]
    fn busybox_echo() {
        check(&RealCase::new(
            "busybox_echo",
            P,
            &["busybox", "echo", "hello from busybox"],
        ));
    }

    #[test]
    fn dash_exit_status() {
        check(
            &sh(
                "dash_exit_status",
                P,
                "dash",
                "echo out; echo err >&2; exit 42",
            )
            .status(42),
        );
    }

    #[test]
    fn dash_killed_by_signal() {
        check(
            &sh(
                "dash_killed_by_signal",
                P,
                "dash",
                "echo before; kill -TERM $$; echo after",
            )
            .status(143),
        );
    }

    #[test]
    fn dash_command_not_found() {
        check(
            &sh(
                "dash_command_not_found",
                P,
                "dash",
                "no-such-command; echo status $?",
            )
            .status(0),
        );
    }

    #[test]
    fn busybox_sh_pipelines() {
        check(&script(
            "busybox_sh_pipelines",
            P,
            &["busybox", "sh"],
            "pipelines.sh",
        ));
    }

    #[test]
    fn busybox_sh_subshells() {
        check(&script(
            "busybox_sh_subshells",
            P,
            &["busybox", "sh"],
            "subshells.sh",
        ));
    }

    #[test]
    fn busybox_sh_heredoc_redirect() {
        check(&script(
            "busybox_sh_heredoc_redirect",
            P,
            &["busybox", "sh"],
            "heredoc_redirect.sh",
        ));
    }

    #[test]
    fn busybox_sh_trap() {
        check(&script("busybox_sh_trap", P, &["busybox", "sh"], "trap.sh").status(4));
    }

    #[test]
    fn busybox_sh_jobs() {
        check(&script("busybox_sh_jobs", P, &["busybox", "sh"], "jobs.sh"));
    }

    #[test]
    fn dash_pipelines() {
        check(&script("dash_pipelines", P, &["dash"], "pipelines.sh"));
    }

    #[test]
    fn dash_subshells() {
        check(&script("dash_subshells", P, &["dash"], "subshells.sh"));
    }

    #[test]
    fn dash_heredoc_redirect() {
        check(&script(
            "dash_heredoc_redirect",
            P,
            &["dash"],
            "heredoc_redirect.sh",
        ));
    }

    #[test]
    fn dash_trap() {
        check(&script("dash_trap", P, &["dash"], "trap.sh").status(4));
    }

    #[test]
    fn dash_jobs() {
        check(&script("dash_jobs", P, &["dash"], "jobs.sh"));
    }

    #[test]
    fn bash_subshells() {
        check(&script("bash_subshells", P, &["bash"], "subshells.sh"));
    }

    #[test]
    fn bash_features() {
        check(&sh(
            "bash_features",
            P,
            "bash",
            r#"set -o pipefail
a=(one two three); echo "${#a[@]} ${a[1]} ${a[@]:1}"
declare -A m=([x]=1 [y]=2); for k in $(printf '%s\n' "${!m[@]}" | sort); do echo "$k=${m[$k]}"; done
[[ "abc" == a* && 3 -gt 2 ]] && echo "double brackets"
paste <(printf 'a\nb\n') <(printf 'c\nd\n'); echo "paste status $?"
read -r first rest <<< "here string words"; echo "$first | $rest"
false | true; echo "pipefail status $?"
printf -v v '%05d' 42; echo "$v"
s="Hello World"; echo "${s,,} ${s^^} ${s/World/there}"
for ((i = 0; i < 3; i++)); do echo -n "$i "; done; echo
mapfile -t lines < <(seq 3); echo "mapfile ${#lines[@]}"
coproc CAT { cat; }; echo "to coproc" >&"${CAT[1]}"; exec {CAT[1]}>&-; read -r got <&"${CAT[0]}"; echo "coproc: $got"; wait
echo "$((2 ** 40)) $((-7 / 2)) $((7 % -3))""#,
        ));
    }

    #[test]
    fn coreutils_ls_etc() {
        // proot binds /dev/null over /etc/ld.so.preload (for qemu), so the
        // oracle lists one entry more than the image has.
        check(&sh(
            "coreutils_ls_etc",
            P,
            "dash",
            "ls -l /etc | grep -v ld.so.preload",
        ));
    }

    #[test]
    fn coreutils_ls_variants() {
        check(&sh(
            "coreutils_ls_variants",
            P,
            "dash",
            "ls -l --time-style=+%s /friscy-tests; ls -1 /usr/lib/riscv64-linux-gnu | head -n 20; \
             ls -ld /bin /usr/bin /usr/lib /usr/share; ls -i /friscy-tests >/dev/null && echo inodes ok; \
             ls -R /usr/share/doc/dash; ls -lS /usr/bin | head -n 5",
        ));
    }

    #[test]
    fn coreutils_sort() {
        check(&sh(
            "coreutils_sort",
            P,
            "dash",
            "printf 'b,2\\na,10\\nc,1\\na,2\\n' | sort -t, -k2,2n -k1,1r; \
             seq 1 20000 | sort -r | sort -n | tail -n 3; \
             printf 'x\\ny\\nx\\nz\\n' | sort -u; \
             cut -d: -f1 /etc/passwd | sort -r",
        ));
    }

    #[test]
    fn coreutils_find() {
        check(&sh(
            "coreutils_find",
            P,
            "dash",
            "find /etc -maxdepth 1 -type f | grep -v ld.so.preload | sort; \
             find /usr/share/doc/bash /usr/share/doc/dash | sort; \
             find /usr/lib -name 'libc.so*' | sort; \
             find /friscy-tests -name '*.sh' -newer /etc/passwd | wc -l; \
             find /usr/bin -type l | sort | head -n 10; \
             find /tmp -mindepth 1 | wc -l",
        ));
    }

    #[test]
    fn coreutils_xargs() {
        check(&sh(
            "coreutils_xargs",
            P,
            "dash",
            "find /usr/share/doc/bash /usr/share/doc/dash -type f | sort | xargs -n 3 echo; \
             printf '%s\\n' a b c | xargs -I{} sh -c 'echo item {}'; \
             seq 1 1000 | xargs | wc -c; \
             printf 'one two\\nthree' | xargs -0 printf '[%s]\\n'; \
             cd /friscy-tests && ls | xargs -P 2 -n 1 wc -c | sort",
        ));
    }

    #[test]
    fn coreutils_text() {
        check(&sh(
            "coreutils_text",
            P,
            "dash",
            "wc /etc/passwd /etc/group; head -n 2 /etc/passwd; tail -n 1 /etc/group; \
             head -c 17 /etc/passwd; echo; cut -d: -f1,7 /etc/passwd | tr a-z A-Z; \
             tr -s ' ' < /etc/hosts | cut -f2; tr -dc 0-9 < /etc/group; echo; \
             grep -c x /etc/passwd; grep -n root /etc/passwd /etc/group; sed -n '2,3p;$=' /etc/passwd; \
             sed 's/:.*//' /etc/group | paste -sd,; nl /etc/hostname; rev /etc/hostname 2>/dev/null; \
             tac /etc/hosts; fold -w 10 /etc/resolv.conf; expand /etc/hosts | od -c | head -n 3; \
             seq 5 | paste - -; printf 'a\\nb\\n' | comm - /etc/hostname; join /dev/null /dev/null; echo end",
        ));
    }

    #[test]
    fn coreutils_files() {
        check(&sh(
            "coreutils_files",
            P,
            "dash",
            "cd /tmp && mkdir -p a/b/c && echo hi > a/b/c/f && cp -r a a2 && mv a2 a3 && \
             ln a3/b/c/f hard && ln -s a3/b/c/f soft && stat -c '%A %h %s %N' hard soft; \
             readlink soft; readlink -f soft; cat soft; stat -c '%n %s %h %F %a' hard soft; \
             stat -c '%n %h %F %a' a3/b; touch -d @1000000000 hard && stat -c '%Y' hard; \
             chmod 640 hard && stat -c '%a' hard; truncate -s 100 hard && stat -c %s hard; \
             dd if=/dev/zero of=z bs=512 count=4 2>/dev/null; wc -c < z; \
             df -P / >/dev/null && echo df ok; du -s a3 >/dev/null && echo du ok; \
             rm -r a a3 hard soft z; ls -A; mktemp -d /tmp/XXXXXX | grep -c /tmp/; \
             sha256sum /usr/bin/dash /etc/passwd | cut -c1-16; md5sum /etc/group | cut -d' ' -f1; \
             od -A x -t x1 -N 32 /usr/bin/dash; basename /a/b/c.txt .txt; dirname /a/b/c.txt; \
             realpath /bin/sh; id; whoami; uname -s -m; nproc >/dev/null && echo nproc ok; \
             date -u -d @1700000000 '+%Y-%m-%d %H:%M:%S %A'; expr 6 \\* 7; \
             printf '%s %05.1f %x\\n' str 3.14159 255; test -d /etc && echo test ok; env | grep -c '^PATH='",
        ));
    }

    /// Sparse files in the writable layer: a 3 GiB file with one byte of
    /// data, copied by cp's SEEK_DATA/SEEK_HOLE walk; sizes and blocks as
    /// ext4 reports them under the oracle.
    #[test]
    fn coreutils_sparse_files() {
        check(&sh(
            "coreutils_sparse_files",
            P,
            "dash",
            "cd /tmp && truncate -s 3G s && printf x | dd of=s bs=1 seek=2G conv=notrunc 2>/dev/null && \
             ls -ls s && du -k s && cp --sparse=always s c && ls -ls c && du -k --apparent-size c && \
             dd if=c bs=1 skip=2G count=1 2>/dev/null && echo && dd if=c bs=1 skip=1G count=1 2>/dev/null | od -A n -t x1 && \
             truncate -s 10 s && ls -ls s && dd if=/dev/zero of=s bs=4k seek=100 count=2 2>/dev/null && \
             ls -ls s && rm s c && ls -A",
        ));
    }

    #[test]
    fn busybox_applets() {
        check(&RealCase::new(
            "busybox_applets",
            P,
            &["busybox", "sh", "-c", "busybox seq 5 | busybox tac | busybox tr '\\n' ' '; echo; \
             busybox awk 'BEGIN { for (i = 1; i <= 3; i++) s += i * i; print \"awk\", s }'; \
             busybox ls /friscy-tests | busybox wc -l; busybox find /etc -maxdepth 1 -name 'host*' | busybox sort; \
             echo hello | busybox sed 's/l/L/g'; busybox expr 2 + 3; \
             busybox printf '%s-%d\\n' x 7; echo abc | busybox md5sum; busybox basename /x/y; \
             busybox grep -c root /etc/passwd; busybox head -n 1 /etc/group; busybox cut -d: -f1 /etc/group | busybox sort | busybox head -n 3; \
             busybox sh -c 'echo nested $((1 + 1))'"],
        ));
    }
}

mod python {
    use super::*;

    const P: &str = "python";

    fn py(name: &str, argv: &[&str]) -> RealCase {
        RealCase::new(name, P, argv).env(&[("PYTHONDONTWRITEBYTECODE", "1")])
    }

    fn py_script(name: &str, file: &str) -> RealCase {
        let path = format!("/friscy-tests/{file}");
        py(name, &["python3", &path])
    }

    #[test]
    fn python_version() {
        check(&py(
            "python_version",
            &[
                "python3",
                "-c",
                "import sys; print(sys.version_info[:3], sys.platform, sys.maxsize, sys.byteorder, sys.getfilesystemencoding())",
            ],
        ));
    }

    #[test]
    fn python_print() {
        check(&py("python_print", &["python3", "-c", "print(6 * 7)"]));
    }

    #[test]
    fn python_stdin() {
        let data: Vec<u8> = (0..2000)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        check(
            &py(
                "python_stdin",
                &[
                    "python3",
                    "-c",
                    "import sys; d = sys.stdin.read(); print(len(d), d.count('\\n'), d.splitlines()[-1])",
                ],
            )
            .stdin(&data),
        );
    }

    #[test]
    fn python_exception_exit() {
        check(
            &py(
                "python_exception_exit",
                &[
                    "python3",
                    "-c",
                    "import sys; print('out'); sys.stdout.flush(); raise ValueError('boom')",
                ],
            )
            .status(1),
        );
    }

    #[test]
    fn python_json() {
        check(&py_script("python_json", "py_json.py"));
    }

    #[test]
    fn python_subprocess() {
        check(&py_script("python_subprocess", "py_subprocess.py"));
    }

    #[test]
    fn python_threading() {
        check(&py_script("python_threading", "py_threading.py"));
    }

    #[test]
    fn python_signal() {
        check(&py_script("python_signal", "py_signal.py"));
    }

    #[test]
    fn python_fork() {
        check(&py_script("python_fork", "py_fork.py"));
    }

    #[test]
    fn python_select() {
        check(&py_script("python_select", "py_select.py"));
    }

    #[test]
    fn python_tempfile() {
        check(&py_script("python_tempfile", "py_tempfile.py"));
    }

    #[test]
    fn python_sqlite3() {
        check(&py_script("python_sqlite3", "py_sqlite3.py"));
    }

    #[test]
    fn python_procfs() {
        check(&py_script("python_procfs", "py_procfs.py"));
    }

    #[test]
    fn python_multiprocessing() {
        check(&py_script(
            "python_multiprocessing",
            "py_multiprocessing.py",
        ));
    }

    #[test]
    fn python_asyncio() {
        check(&py_script("python_asyncio", "py_asyncio.py"));
    }
}

mod extras {
    use super::*;

    const P: &str = "extras";

    #[test]
    fn perl_e() {
        check(&RealCase::new(
            "perl_e",
            P,
            &[
                "perl",
                "-e",
                r#"print "hello from perl\n"; my @a = map { $_ * $_ } 1 .. 5; print "@a\n"; printf("%.4f\n", sqrt(2)); print scalar(localtime(0)), "\n";"#,
            ],
        ));
    }

    #[test]
    fn perl_base_only() {
        check(&RealCase::new(
            "perl_base_only",
            P,
            &["perl", "-e", r#"use strict; my %h = map { $_ => length } qw(a bb ccc); print join(",", map {"$_:$h{$_}"} sort keys %h), "\n"; exit 3"#],
        ).status(3));
    }

    #[test]
    fn perl_script() {
        check(&script("perl_script", P, &["perl"], "perl_test.pl"));
    }

    #[test]
    fn git() {
        check(&script("git", P, &["sh"], "git.sh"));
    }

    #[test]
    fn git_version() {
        check(&RealCase::new("git_version", P, &["git", "--version"]));
    }

    #[test]
    fn sqlite3_cli() {
        check(&sh(
            "sqlite3_cli",
            P,
            "sh",
            "sqlite3 -batch /tmp/cli.db < /friscy-tests/sqlite3_cli.sql && sqlite3 /tmp/cli.db 'select count(*) from person' && rm /tmp/cli.db",
        ));
    }

    #[test]
    fn sqlite3_cli_stdin_memory() {
        let sql = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/sqlite3_cli.sql"),
        )
        .expect("tests/scripts/sqlite3_cli.sql");
        check(
            &RealCase::new(
                "sqlite3_cli_stdin_memory",
                P,
                &["sqlite3", "-batch", ":memory:"],
            )
            .stdin(&sql),
        );
    }

    #[test]
    fn lua_e() {
        check(&RealCase::new(
            "lua_e",
            P,
            &[
                "lua5.4",
                "-e",
                "print(_VERSION, 1 + 1, 10 // 3, 2^0.5, #arg)",
            ],
        ));
    }

    #[test]
    fn lua_script() {
        check(&script("lua_script", P, &["lua5.4"], "lua_test.lua"));
    }
}

mod dpkg {
    use super::*;

    const P: &str = "dpkg";

    #[test]
    fn dpkg_install_upgrade_purge() {
        check(&script("dpkg_install_upgrade_purge", P, &["/bin/sh"], "dpkg.sh").writes_rootfs());
    }
}
