//! `just test-busybox`: busybox's testsuite under the oracle and under
//! friscy (see `friscy_tests::busybox_suite`). Exits 1 when a test that
//! passes under the oracle does not pass under friscy.
//! Usage: `busybox-testsuite [--skip APPLET,...]`.

fn main() -> anyhow::Result<()> {
    // The whole testsuite is one guest run: far longer than one test case.
    if std::env::var_os("FRISCY_HARNESS_TIMEOUT").is_none() {
        std::env::set_var("FRISCY_HARNESS_TIMEOUT", "3600");
    }
    // `--skip a,b`: leave applets out (e.g. bc,dc, whose cases run for
    // many minutes under qemu).
    let args: Vec<String> = std::env::args().skip(1).collect();
    let skip: Vec<String> = match args.as_slice() {
        [] => Vec::new(),
        [flag, list] if flag == "--skip" => list.split(',').map(String::from).collect(),
        _ => anyhow::bail!("usage: busybox-testsuite [--skip APPLET,...]"),
    };
    let r = friscy_tests::busybox_suite::run_suite(&skip)?;
    for (who, res) in [("qemu-riscv64", &r.oracle), ("friscy", &r.friscy)] {
        println!(
            "{who:>12}: {} passed, {} failed, {} skipped/untested",
            res.count("PASS"),
            res.count("FAIL"),
            res.count("SKIPPED") + res.count("UNTESTED")
        );
    }
    if r.regressions.is_empty() {
        println!("every test that passes under qemu-riscv64 passes under friscy");
        return Ok(());
    }
    println!("passing under qemu-riscv64 but not under friscy:");
    for n in &r.regressions {
        println!("  {n}");
    }
    std::process::exit(1);
}
