//! `friscy-isa-fuzz`: differential RV64GC fuzzing of friscy against qemu.

use friscy_isa_fuzz::gen::{Ext, ExtSet, GenConfig};
use friscy_isa_fuzz::run::Runner;
use friscy_isa_fuzz::{fuzz, Config};
use std::path::PathBuf;
use std::time::Duration;

const USAGE: &str = "\
usage: friscy-isa-fuzz [options]
  --count N         programs to run (default 50: ~1,000,000 instructions)
  --seed S          run seed (default 1; decimal or 0x hex)
  --first K         index of the first program (replay one: --first K --count 1)
  --runner R        native (default; the core's example runner, built first),
                    friscy (target/release/friscy run), wasmtime (dist/friscy.wasm),
                    qemu (qemu against itself: checks the generator and harness)
  --runner-bin P    path of the runner binary (or of the .wasm for wasmtime)
  --profile P       cargo profile of the native runner (default release)
  --no-build        do not build the native runner
  --jobs J          parallel programs (default: available cores)
  --blocks B        blocks per program (default 50)
  --block-insns L   random instructions per block (default 400)
  --only LIST       only these extensions (comma list of i,m,a,f,d,c,zicsr,zba,zbb,zbs)
  --without LIST    all extensions but these
  --keep DIR        write programs to DIR and keep them (default: a temp dir,
                    kept only when something fails)
  --no-minimize     report mismatches without shrinking them
  --keep-going      report every failing program instead of stopping at the first
  --timeout SECS    per run (default 60)
  --quiet           no progress lines
";

fn parse_u64(s: &str) -> Result<u64, String> {
    let r = if let Some(h) = s.strip_prefix("0x") {
        u64::from_str_radix(h, 16)
    } else {
        s.parse()
    };
    r.map_err(|e| format!("bad number `{s}`: {e}"))
}

fn parse_exts(s: &str) -> Result<Vec<Ext>, String> {
    s.split(',')
        .filter(|p| !p.is_empty())
        .map(|p| Ext::parse(p).ok_or_else(|| format!("unknown extension `{p}`")))
        .collect()
}

fn main() {
    match real_main() {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("friscy-isa-fuzz: {e}");
            std::process::exit(2);
        }
    }
}

fn real_main() -> Result<i32, String> {
    let mut args = std::env::args().skip(1);
    let mut count = 50;
    let mut seed = 1;
    let mut first = 0;
    let mut runner = "native".to_string();
    let mut runner_bin = None;
    let mut profile = "release".to_string();
    let mut build = true;
    let mut jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut gen = GenConfig::default();
    let mut keep = None;
    let mut minimize = true;
    let mut keep_going = false;
    let mut timeout = 60;
    let mut progress = true;
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--count" => count = parse_u64(&val()?)?,
            "--seed" => seed = parse_u64(&val()?)?,
            "--first" => first = parse_u64(&val()?)?,
            "--runner" => runner = val()?,
            "--runner-bin" => runner_bin = Some(PathBuf::from(val()?)),
            "--profile" => profile = val()?,
            "--no-build" => build = false,
            "--jobs" => jobs = parse_u64(&val()?)? as usize,
            "--blocks" => gen.blocks = parse_u64(&val()?)? as usize,
            "--block-insns" => gen.block_insns = parse_u64(&val()?)? as usize,
            "--only" => gen.exts = ExtSet::only(&parse_exts(&val()?)?),
            "--without" => {
                gen.exts = parse_exts(&val()?)?
                    .into_iter()
                    .fold(ExtSet::all(), ExtSet::without)
            }
            "--keep" => keep = Some(PathBuf::from(val()?)),
            "--no-minimize" => minimize = false,
            "--keep-going" => keep_going = true,
            "--timeout" => timeout = parse_u64(&val()?)?,
            "--quiet" => progress = false,
            "-h" | "--help" => {
                print!("{USAGE}");
                return Ok(0);
            }
            other => return Err(format!("unknown option `{other}`\n{USAGE}")),
        }
    }
    let runner = Runner::from_name(&runner, runner_bin, build, &profile)?;
    let workdir = keep.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("friscy-isa-fuzz-{}", std::process::id()))
    });
    let cfg = Config {
        count,
        seed,
        first,
        gen,
        runner,
        jobs,
        workdir: workdir.clone(),
        keep: keep.is_some(),
        minimize,
        keep_going,
        timeout: Duration::from_secs(timeout),
        progress,
    };
    eprintln!(
        "isa-fuzz: {count} programs x {} blocks x ~{} instructions, seed {seed}, extensions {}, qemu vs {}, {jobs} jobs",
        cfg.gen.blocks,
        cfg.gen.block_insns,
        cfg.gen.exts.names(),
        cfg.runner.name(),
    );
    let s = fuzz(&cfg)?;
    println!(
        "isa-fuzz: {} programs, {} random instructions, {} failing, {:.1}s (qemu {:.1}s, {} {:.1}s)",
        s.programs,
        s.insns,
        s.failures.len(),
        s.elapsed.as_secs_f64(),
        s.qemu_time.as_secs_f64(),
        cfg.runner.name(),
        s.runner_time.as_secs_f64()
    );
    if s.failures.is_empty() {
        if keep.is_none() {
            let _ = std::fs::remove_dir_all(&workdir);
        }
        Ok(0)
    } else {
        if !progress {
            for f in &s.failures {
                println!("{}", f.report);
            }
        }
        println!("programs and reproducers are in {}", workdir.display());
        Ok(1)
    }
}
