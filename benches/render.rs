//! In-process render benchmark: load, prepare, render and sort every corpus chart, the work
//! `kubectl-opm render` does minus process start-up and printing, with the binary's
//! allocator. Prints the median and the fastest of N runs per chart.
//!
//! The charts come from the corpus named by `OPM_CORPUS`; without it the benchmark says so
//! and measures nothing. Run with
//! `OPM_CORPUS=/path/to/corpus cargo bench --bench render` (optional: `OPM_BENCH_RUNS=N`,
//! default 20; `OPM_BENCH_CHARTS=a,b` to pick charts). Whole-process numbers against
//! `helm template` come from `scripts/bench.sh`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use opm::render::command::{render, RenderRequest};

#[path = "../src/fast_alloc.rs"]
mod fast_alloc;

#[global_allocator]
static ALLOCATOR: fast_alloc::FastAlloc = fast_alloc::FastAlloc::new();

fn request(chart: PathBuf) -> RenderRequest {
    RenderRequest {
        release_name: "corpus-test".to_string(),
        chart,
        namespace: "corpus".to_string(),
        kube_version: Some("1.33.0".to_string()),
        ..RenderRequest::default()
    }
}

fn charts(dir: &Path) -> Vec<String> {
    let wanted: Option<Vec<String>> = std::env::var("OPM_BENCH_CHARTS")
        .ok()
        .map(|v| v.split(',').map(str::to_string).collect());
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.path().join("Chart.yaml").is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.retain(|n| wanted.as_ref().is_none_or(|w| w.contains(n)));
    names.sort();
    names
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    // `cargo test --benches` runs benchmarks with `--bench` absent: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let Some(corpus) = std::env::var_os("OPM_CORPUS").filter(|v| !v.is_empty()) else {
        eprintln!("OPM_CORPUS is not set: no corpus charts to benchmark");
        return;
    };
    let runs: usize = std::env::var("OPM_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(20);
    let dir = PathBuf::from(corpus).join("charts");
    println!("render (in process), {runs} runs per chart");
    println!("| chart | median ms | fastest ms |");
    println!("|---|---:|---:|");
    for name in charts(&dir) {
        let req = request(dir.join(&name));
        // Benchmark only charts that render; an error path would measure nothing useful.
        if let Err(err) = render(&req) {
            eprintln!("{name}: render failed, skipped: {err}");
            continue;
        }
        let mut times: Vec<Duration> = (0..runs)
            .map(|_| {
                let start = Instant::now();
                let out = render(&req).map(|(_, result)| result.text().len());
                let elapsed = start.elapsed();
                std::hint::black_box(out.ok());
                elapsed
            })
            .collect();
        times.sort();
        let median = times[times.len() / 2];
        println!(
            "| {name} | {:.2} | {:.2} |",
            millis(median),
            millis(times[0])
        );
    }
}
