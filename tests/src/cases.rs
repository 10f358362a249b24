//! The differential cases: each runs one guest program (for each libc) with
//! fixed argv, environment and stdin; every runner must match the oracle's
//! stdout, stderr (when `compare_stderr`) and exit status.

use crate::fixtures::Libc;

/// A case for one libc.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// `<base>_<libc>`, e.g. `hello_args_musl`.
    pub name: String,
    /// The name shared by both libcs, e.g. `hello_args`.
    pub base: &'static str,
    pub libc: Libc,
    /// Guest program (a stem of `tests/guest/*.c`).
    pub prog: &'static str,
    /// Arguments after argv[0].
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub stdin: Vec<u8>,
    /// The exit status the oracle gives (checked, so fixture bugs show up).
    pub expect_status: i32,
    pub compare_stderr: bool,
}

impl Case {
    /// Full guest argv: `/<libc>/<prog>` then the arguments.
    pub fn argv(&self) -> Vec<String> {
        std::iter::once(self.libc.guest_path(self.prog))
            .chain(self.args.iter().cloned())
            .collect()
    }
}

/// A case before it is instantiated per libc.
struct Base {
    base: &'static str,
    prog: &'static str,
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Vec<u8>,
    expect_status: i32,
    compare_stderr: bool,
}

fn base(base: &'static str, prog: &'static str, args: &[&str]) -> Base {
    Base {
        base,
        prog,
        args: args.iter().map(|s| s.to_string()).collect(),
        env: Vec::new(),
        stdin: Vec::new(),
        expect_status: 0,
        compare_stderr: true,
    }
}

impl Base {
    fn env(mut self, vars: &[(&str, &str)]) -> Base {
        self.env = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self
    }
    fn stdin(mut self, data: &[u8]) -> Base {
        self.stdin = data.to_vec();
        self
    }
    /// The oracle's stderr carries proot's notes about children killed by
    /// signals ("proot info: pid N: terminated with signal S"): compare
    /// stdout and status only.
    fn stdout_only(mut self) -> Base {
        self.compare_stderr = false;
        self
    }
    fn status(mut self, s: i32) -> Base {
        self.expect_status = s;
        self
    }
}

fn bases() -> Vec<Base> {
    vec![
        base("hello_noargs", "hello", &[]),
        base(
            "hello_args",
            "hello",
            &[
                "a",
                "b c",
                "",
                "héllo wörld",
                "--",
                "-e",
                "--image",
                "X=y",
                "tab\there",
            ],
        )
        .env(&[
            ("FRISCY_TEST_A", "1"),
            ("FRISCY_TEST_B", "two words"),
            ("FRISCY_TEST_EMPTY", ""),
            ("FRISCY_TEST_EQ", "a=b=c"),
            ("FRISCY_TEST_GREETING", "hi there"),
            ("NOT_FRISCY_TEST", "not printed"),
        ]),
        base(
            "cat_text",
            "cat",
            &[
                "/data/small.txt",
                "/data/lines.txt",
                "/data/empty",
                "/data/link.txt",
                "/data/abslink",
                "data/dir/a.txt",
                "/data/dir/name with spaces.txt",
                "/data/dir/link-to-sub/deep.txt",
            ],
        ),
        base("cat_blob", "cat", &["/data/blob.bin"]),
        base(
            "cat_errors",
            "cat",
            &[
                "/data/missing",
                "/data/dir",
                "/data/small.txt/x",
                "/data/dangling",
                "/data/small.txt",
            ],
        )
        .status(1),
        base("cat_stdin", "cat", &["-"])
            .stdin(b"first line from stdin\nsecond line\n\0binary\xff\nno newline at the end"),
        base("exitcode_0", "exitcode", &["0"]),
        base("exitcode_3", "exitcode", &["3"]).status(3),
        base("exitcode_42_underscore_exit", "exitcode", &["42", "_exit"]).status(42),
        base("exitcode_255_return", "exitcode", &["255", "return"]).status(255),
        base("exitcode_256_wraps_to_0", "exitcode", &["256"]),
        base(
            "files",
            "files",
            &[
                "/data/small.txt",
                "/data/lines.txt",
                "/data/empty",
                "/data/link.txt",
                "/data/abslink",
                "/data/dangling",
                "/data/dir",
                "/data/dir/sub",
                "/data/dir/link-to-sub",
                "/data/missing",
                "data/small.txt",
                "/etc/passwd",
            ],
        ),
        base(
            "listdir",
            "listdir",
            &[
                "/data",
                "/data/dir",
                "/data/dir/sub",
                "/data/many",
                "/x86",
                "/data/small.txt",
                "/data/missing",
            ],
        )
        .status(1),
        // The operations tests/tests/mounts.rs does on host mounts, here
        // on the overlay against the oracle; ends with a failure (rmdir of
        // a directory that is not empty).
        base(
            "fsops",
            "fsops",
            &[
                "tmpdir",
                "+",
                "mkdir",
                "d",
                "+",
                "write",
                "d/f",
                "hello",
                "+",
                "cat",
                "d/f",
                "+",
                "append",
                "d/f",
                " world\n",
                "+",
                "cat",
                "d/f",
                "+",
                "mv",
                "d/f",
                "d/g",
                "+",
                "ls",
                "d",
                "+",
                "stat",
                "d/g",
                "+",
                "truncate",
                "d/g",
                "3",
                "+",
                "stat",
                "d/g",
                "+",
                "symlink",
                "g",
                "d/l",
                "+",
                "readlink",
                "d/l",
                "+",
                "cat",
                "d/l",
                "+",
                "ls",
                "d",
                "+",
                "rm",
                "d/l",
                "+",
                "rm",
                "d/g",
                "+",
                "mkdir",
                "d/sub",
                "+",
                "mv",
                "d/sub",
                "sub2",
                "+",
                "ls",
                ".",
                "+",
                "rmdir",
                "sub2",
                "+",
                "rmdir",
                "d",
                "+",
                "ls",
                ".",
                "+",
                "rmtmp",
                "+",
                "rmdir",
                "/data/dir",
            ],
        )
        .status(1),
        // Sparse files in the writable layer against ext4 (the oracle's
        // /tmp): holes, a far write, fallocate, SEEK_DATA/SEEK_HOLE.
        base("sparse", "sparse", &[]),
        base("memory", "memory", &[]),
        base("floats", "floats", &[]),
        base("clock", "clock", &[]),
        base("sysinfo", "sysinfo", &[]),
        base("streams", "streams", &[]),
        // The process model's hard cases (tests/guest/procmodel.c).
        base("proc_fork_in_thread", "procmodel", &["fork-in-thread"]),
        base("proc_pipeline", "procmodel", &["pipeline"]),
        base("proc_zombie", "procmodel", &["zombie"]),
        base("proc_vfork_exec", "procmodel", &["vfork-exec"]),
        base("proc_segv_longjmp", "procmodel", &["segv-longjmp"]),
        base("proc_bus_atomic", "procmodel", &["bus-atomic"]),
        base("proc_futex", "procmodel", &["futex"]),
        base("proc_select", "procmodel", &["select"]),
        base("proc_signal_read", "procmodel", &["signal-read"]),
        base("proc_sigchld", "procmodel", &["sigchld"]).stdout_only(),
        base("proc_sigpipe", "procmodel", &["sigpipe"]).stdout_only(),
        base("proc_stop_restart", "procmodel", &["stop-restart"]),
        // AF_UNIX sockets (tests/guest/sockets.c).
        base("sock_pair", "sockets", &["pair"]),
        base("sock_echo_fork", "sockets", &["echo"]),
        base("sock_errors", "sockets", &["errors"]),
        base("sock_scm_rights", "sockets", &["rights"]),
        base("sock_dgram", "sockets", &["dgram"]),
        base("sock_mmsg", "sockets", &["mmsg"]),
        // timerfd and pidfd (tests/guest/timers.c).
        base("timerfd", "timers", &["timerfd"]),
        base("pidfd", "timers", &["pidfd"]),
        // Shared memory and file lifetimes (tests/guest/sharing.c).
        base("shared_memory_fork", "sharing", &["mapshared"]),
        base("unlinked_open_files", "sharing", &["unlinked"]),
        base("dev_fd_reopen", "sharing", &["devfd"]),
        base("file_times_ns", "sharing", &["times"]),
        base("sendfile_full_pipe", "sharing", &["sendfile"]),
        base("shared_file_mapping", "sharing", &["mapfile"]),
        base("shared_mapping_growth", "sharing", &["mapgrow"]),
        // signalfd (tests/guest/signalfd.c).
        base("signalfd_basic", "signalfd", &["basic"]),
        base("signalfd_waiting", "signalfd", &["waiting"]),
        base("signalfd_threads", "signalfd", &["threads"]),
    ]
}

/// Base names in order (each exists for every libc).
pub fn base_names() -> Vec<&'static str> {
    bases().into_iter().map(|b| b.base).collect()
}

/// Every case for every libc.
pub fn all() -> Vec<Case> {
    let mut v = Vec::new();
    for b in bases() {
        for libc in Libc::ALL {
            v.push(Case {
                name: format!("{}_{}", b.base, libc.name()),
                base: b.base,
                libc,
                prog: b.prog,
                args: b.args.clone(),
                env: b.env.clone(),
                stdin: b.stdin.clone(),
                expect_status: b.expect_status,
                compare_stderr: b.compare_stderr,
            });
        }
    }
    v
}

/// The case `base` for `libc`; panics if there is none.
pub fn get(base: &str, libc: Libc) -> Case {
    all()
        .into_iter()
        .find(|c| c.base == base && c.libc == libc)
        .unwrap_or_else(|| panic!("no case named {base} for {}", libc.name()))
}
