//! Closed-loop measurement: N workers each repeat one operation for a fixed window; latencies
//! go into one histogram, and the measured servers' CPU time and memory are read from `/proc`.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use anyhow::anyhow;
use hdrhistogram::Histogram;
use serde_json::{json, Value};

/// One operation of one worker: takes the worker's state and hands it back with the outcome,
/// so a worker can carry what changes between operations (a rotated refresh token, cookies).
pub type Job<W> = Pin<Box<dyn Future<Output = (W, anyhow::Result<()>)> + Send>>;

/// What one phase measured.
pub struct Phase {
    pub latencies: Histogram<u64>,
    pub errors: u64,
    pub elapsed: Duration,
    /// CPU seconds (user + system) the measured processes spent during the phase.
    pub server_cpu: Option<f64>,
    /// Resident memory of the measured processes at the end of the phase, in bytes.
    pub server_rss: Option<u64>,
}

/// CPU time so far of a process in seconds: utime + stime of `/proc/PID/stat` (fields 14 and
/// 15, after the parenthesised command name), in USER_HZ ticks (100 per second on Linux).
fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// `VmRSS` of `/proc/PID/status`, in bytes.
pub fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn sum<T: std::iter::Sum<T>>(pids: &[u32], f: impl Fn(u32) -> Option<T>) -> Option<T> {
    if pids.is_empty() {
        return None;
    }
    pids.iter().map(|p| f(*p)).sum()
}

/// Runs `job` from one task per worker state for `seconds`.
pub async fn run<W: Send + 'static>(
    workers: Vec<W>,
    seconds: u64,
    pids: &[u32],
    job: impl Fn(W) -> Job<W> + Send + Sync + Clone + 'static,
) -> anyhow::Result<(Phase, Vec<W>)> {
    let cpu_before = sum(pids, cpu_secs);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut handles = vec![];
    for state in workers {
        let job = job.clone();
        handles.push(tokio::spawn(async move {
            let mut h = Histogram::<u64>::new(3).map_err(|e| anyhow!("{e}"))?;
            let mut errors = 0u64;
            let mut state = state;
            while Instant::now() < deadline {
                let t = Instant::now();
                let (next, outcome) = job(state).await;
                state = next;
                match outcome {
                    Ok(()) => h
                        .record(t.elapsed().as_micros() as u64)
                        .map_err(|e| anyhow!("{e}"))?,
                    Err(e) => {
                        if errors == 0 {
                            eprintln!("error: {e:#}");
                        }
                        errors += 1;
                    }
                }
            }
            Ok::<_, anyhow::Error>((h, errors, state))
        }));
    }
    let mut all = Histogram::<u64>::new(3).map_err(|e| anyhow!("{e}"))?;
    let mut errors = 0;
    let mut states = vec![];
    for h in handles {
        let (hist, e, state) = h.await??;
        all.add(hist).map_err(|e| anyhow!("{e}"))?;
        errors += e;
        states.push(state);
    }
    let elapsed = started.elapsed();
    let server_cpu = sum(pids, cpu_secs)
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    let phase = Phase {
        latencies: all,
        errors,
        elapsed,
        server_cpu,
        server_rss: sum(pids, rss_bytes),
    };
    Ok((phase, states))
}

/// Prints one phase as a line for people and, with `json`, as one JSON object per line for
/// `scripts/bench.sh` to turn into the comparison table.
pub fn report(label: &str, name: &str, concurrency: usize, p: &Phase, json: bool) {
    let h = &p.latencies;
    let rate = h.len() as f64 / p.elapsed.as_secs_f64();
    let cpu_us = p
        .server_cpu
        .filter(|_| !h.is_empty())
        .map(|s| s * 1e6 / h.len() as f64);
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    let rss_mb = p.server_rss.map(|b| b as f64 / 1_048_576.0);
    let extra = match (cpu_us, rss_mb) {
        (Some(c), Some(r)) => format!("  server CPU {c:.0} µs/op, RSS {r:.1} MB"),
        _ => String::new(),
    };
    println!(
        "{label:<10} {name:<12} c={concurrency:<3} {rate:>8.0}/s  p50 {:>7.2} ms  p99 {:>7.2} ms  ({} ok, {} errors){extra}",
        ms(0.5),
        ms(0.99),
        h.len(),
        p.errors
    );
    if json {
        let line: Value = json!({
            "result": true, "label": label, "phase": name, "concurrency": concurrency,
            "rate": rate, "p50_ms": ms(0.5), "p99_ms": ms(0.99), "ok": h.len(),
            "errors": p.errors, "cpu_us_per_op": cpu_us, "rss_mb": rss_mb,
        });
        println!("{line}");
    }
}
