//! `friscy run -it IMAGE -- sh` driven through a real pty (a tmux pane), as
//! a user at a terminal would: the prompt appears, typed commands echo once,
//! ^C interrupts a foreground `sleep` and the shell survives, a background
//! job shows in `jobs` and dies with `kill %1`, a background `cat` is
//! stopped by SIGTTIN and `fg` resumes it, ^D ends the shell with status 0,
//! and the host terminal's settings are what they were before.
//!
//! The image is the Debian base image (`/bin/sh` is dash), built on first
//! use by `friscy_tests::debian::ensure`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use friscy_tests::{debian, harness};

/// One tmux server (its own socket) holding one 100x30 pane.
struct Pane {
    socket: String,
    dir: PathBuf,
}

impl Pane {
    fn start(dir: &Path, script: &str) -> Pane {
        let socket = format!("friscy-test-{}", std::process::id());
        let pane = Pane {
            socket,
            dir: dir.to_path_buf(),
        };
        let out = pane.tmux(&[
            "new-session",
            "-d",
            "-x",
            "100",
            "-y",
            "30",
            "sh",
            "-c",
            script,
        ]);
        assert!(
            out.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        pane
    }

    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("running tmux (installed by `just setup`)")
    }

    fn screen(&self) -> String {
        let out = self.tmux(&["capture-pane", "-p", "-J", "-S", "-200"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Type `text` literally.
    fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-l", text]);
    }

    /// Press keys by tmux name (`Enter`, `C-c`, `C-d`).
    fn press(&self, key: &str) {
        self.tmux(&["send-keys", key]);
    }

    /// Wait until `done(screen)` holds; panic with the screen after `secs`.
    fn wait_for(&self, what: &str, secs: u64, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; the pane shows:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn file(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(self.dir.join(name)).ok()
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const PROMPT: &str = "friscy-sh$ ";

fn prompts(screen: &str) -> usize {
    screen.matches(PROMPT).count()
}

#[test]
fn shell_with_job_control_on_a_real_pty() {
    if harness::which("tmux").is_none() {
        panic!("tmux is missing: run `just setup`");
    }
    let friscy = harness::friscy_native().expect("the native runner (`just build`)");
    let rootfs = debian::ensure("base");
    let dir = std::env::temp_dir().join(format!("friscy-pty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    // The pane's shell records the host terminal before and after friscy,
    // and friscy's exit status.
    let script = format!(
        "cd {dir} && stty -g > before && {friscy} run -it -e 'PS1={PROMPT}' {image} -- sh; \
         echo $? > status; stty -g > after; echo FRISCY-DONE; sleep 60",
        dir = harness::shell_quote(&dir.display().to_string()),
        friscy = harness::shell_quote(&friscy.display().to_string()),
        image = harness::shell_quote(&rootfs.tar.display().to_string()),
    );
    let pane = Pane::start(&dir, &script);

    pane.wait_for("the first prompt", 60, |s| prompts(s) >= 1);

    // A typed command echoes exactly once and runs.
    pane.type_text("echo hel''lo-from-the-guest");
    pane.press("Enter");
    let screen = pane.wait_for("the echo command's output", 30, |s| {
        s.lines().any(|l| l.trim_end() == "hello-from-the-guest") && prompts(s) >= 2
    });
    assert_eq!(
        screen.matches("echo hel''lo-from-the-guest").count(),
        1,
        "the typed command should appear once:\n{screen}"
    );

    // ^C interrupts a foreground sleep; the shell survives.
    pane.type_text("sleep 100");
    pane.press("Enter");
    std::thread::sleep(Duration::from_millis(800));
    pane.press("C-c");
    pane.wait_for("the prompt after ^C", 30, |s| prompts(s) >= 3);
    pane.type_text("echo still-$((40+2))");
    pane.press("Enter");
    pane.wait_for("the shell to survive ^C", 30, |s| {
        s.lines().any(|l| l.trim_end() == "still-42")
    });

    // A background job: listed by `jobs`, ended by `kill %1`.
    pane.type_text("sleep 100 &");
    pane.press("Enter");
    pane.wait_for("the prompt after `sleep 100 &`", 30, |s| prompts(s) >= 5);
    pane.type_text("jobs");
    pane.press("Enter");
    pane.wait_for("`jobs` to list the sleep", 30, |s| {
        s.lines()
            .any(|l| l.starts_with("[1]") && l.contains("Running") && l.contains("sleep 100"))
    });
    pane.type_text("kill %1");
    pane.press("Enter");
    std::thread::sleep(Duration::from_millis(500));
    pane.type_text("jobs; echo after-$((6*7))");
    pane.press("Enter");
    let screen = pane.wait_for("`jobs` after `kill %1`", 30, |s| {
        s.lines().any(|l| l.trim_end() == "after-42")
    });
    assert!(
        screen.contains("Terminated"),
        "the shell should report the job as Terminated:\n{screen}"
    );
    let tail = &screen[screen.rfind("kill %1").unwrap()..];
    assert!(
        !tail.contains("Running"),
        "the job still runs after `kill %1`:\n{screen}"
    );

    // A background job reading the terminal is stopped by SIGTTIN; `fg`
    // continues it in the foreground, where its read gets what is typed.
    pane.type_text("cat &");
    pane.press("Enter");
    std::thread::sleep(Duration::from_millis(800));
    pane.type_text("jobs");
    pane.press("Enter");
    pane.wait_for("`jobs` to show cat stopped for tty input", 30, |s| {
        s.lines()
            .any(|l| l.starts_with("[1]") && l.contains("Stopped (tty input)") && l.contains("cat"))
    });
    pane.type_text("fg");
    pane.press("Enter");
    std::thread::sleep(Duration::from_millis(800));
    pane.type_text("typed-into-cat");
    pane.press("Enter");
    // The line discipline echoes it, then cat writes it back.
    pane.wait_for("cat to copy the typed line", 30, |s| {
        s.lines()
            .filter(|l| l.trim_end() == "typed-into-cat")
            .count()
            >= 2
    });
    pane.press("C-d");
    pane.type_text("echo cat-done-$((6*7))");
    pane.press("Enter");
    pane.wait_for("the shell after cat ends", 30, |s| {
        s.lines().any(|l| l.trim_end() == "cat-done-42")
    });

    // ^D at the prompt ends the shell with status 0.
    pane.press("C-d");
    pane.wait_for("friscy to exit", 30, |s| s.contains("FRISCY-DONE"));
    assert_eq!(
        pane.file("status").as_deref(),
        Some("0\n"),
        "friscy's exit status"
    );
    let before = pane.file("before").expect("stty -g before");
    let after = pane.file("after").expect("stty -g after");
    assert_eq!(
        before, after,
        "the host terminal's settings were not restored"
    );
}
