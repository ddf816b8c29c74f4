//! Journaled deliveries per second until handled, by journal: the generated `receiver` example
//! as real processes on loopback, on the embedded redb journal (the baseline, one process),
//! and on the PostgreSQL journal with one process and with three sharing it. Each iteration
//! posts a burst of distinct deliveries from 16 concurrent clients (spread over the processes)
//! and ends when every one is handled (counted in the processes' `--handled` lines), so
//! deliveries per second = burst / median. Needs PostgreSQL on 127.0.0.1:5432.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};

#[path = "../tests/receiver_process/mod.rs"]
mod receiver_process;

use receiver_process::{Example, batch, post, spawn};

const CLIENTS: u64 = 16;
const BURST: u64 = 1_000;
const SERVER: &str = "postgres://postgres@127.0.0.1:5432";

/// Receivers under test and the files their handled lines go to.
struct Setup {
    examples: Vec<Example>,
    handled: Vec<PathBuf>,
}

impl Setup {
    fn start(journal: &dyn Fn(usize) -> String, processes: usize, dir: &std::path::Path, label: &str) -> Setup {
        let handled: Vec<PathBuf> = (0..processes).map(|i| dir.join(format!("{label}-{i}.jsonl"))).collect();
        let examples = handled
            .iter()
            .enumerate()
            .map(|(i, file)| spawn(&["--journal", &journal(i), "--handled", file.to_str().unwrap()]))
            .collect();
        Setup { examples, handled }
    }

    fn handled(&self) -> u64 {
        self.handled
            .iter()
            .map(|f| std::fs::read(f).map(|b| b.iter().filter(|&&c| c == b'\n').count() as u64).unwrap_or(0))
            .sum()
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        for example in &mut self.examples {
            let _ = example.child.kill();
            let _ = example.child.wait();
        }
    }
}

/// Posts `BURST` new deliveries over the receivers and waits until all are handled.
async fn burst(client: &triad_runtime::client::reqwest::Client, setup: &Setup, next: &Arc<AtomicU64>) -> Duration {
    let before = setup.handled();
    let start = Instant::now();
    let end = next.load(Ordering::Relaxed) + BURST;
    let urls: Vec<String> = setup.examples.iter().map(|e| e.url.clone()).collect();
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (client, urls, next) = (client.clone(), urls.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= end {
                    next.fetch_min(end, Ordering::Relaxed);
                    return;
                }
                let url = &urls[n as usize % urls.len()];
                let status = post(&client, url, batch(n as u32)).await;
                assert_eq!(status, Some(202));
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    while setup.handled() < before + BURST {
        assert!(start.elapsed() < Duration::from_secs(120), "a burst not handled within two minutes");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    start.elapsed()
}

fn benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // One database per setup: receivers on one journal share its deliveries.
    let databases = [1, 3].map(|n| format!("triad_bench_{}_{n}", std::process::id()));
    let admin = |sql: String| {
        runtime.block_on(async {
            let (client, connection) =
                tokio_postgres::connect(&format!("{SERVER}/postgres"), tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(connection);
            client.batch_execute(&sql).await.unwrap();
        })
    };
    for database in &databases {
        admin(format!("CREATE DATABASE {database}"));
    }
    let [pg1, pg3] = databases.clone().map(|database| format!("{SERVER}/{database}"));
    let redb_dir = dir.path().join("redb");
    let setups: Vec<(&str, Setup)> = vec![
        ("redb 1 process (baseline)", Setup::start(&|_| redb_dir.to_str().unwrap().to_owned(), 1, dir.path(), "redb")),
        ("postgres 1 process", Setup::start(&|_| pg1.clone(), 1, dir.path(), "pg1")),
        ("postgres 3 processes", Setup::start(&|_| pg3.clone(), 3, dir.path(), "pg3")),
    ];
    let client = triad_runtime::client::reqwest::Client::new();
    let next = Arc::new(AtomicU64::new(0));
    let mut group = c.benchmark_group("journal-burst");
    group.sample_size(10).measurement_time(Duration::from_secs(20)).warm_up_time(Duration::from_secs(3));
    for (name, setup) in &setups {
        group.bench_function(*name, |b| {
            b.iter_custom(|iters| {
                runtime.block_on(async {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        total += burst(&client, setup, &next).await;
                    }
                    total
                })
            })
        });
    }
    group.finish();
    drop(setups);
    for database in &databases {
        admin(format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"));
    }
}

criterion_group!(journals, benches);
criterion_main!(journals);
