//! Receivers sharing one journal on the real NATS JetStream (127.0.0.1:4222): three `receiver`
//! example processes behind one burst with one SIGKILLed in the middle. Each test uses streams
//! and buckets of its own, deleted at the end.
#![cfg(unix)]

use std::time::Duration;

mod receiver_process;

use receiver_process::{journal_tool_on_shared, three_receivers_burst};

const SERVER: &str = "nats://127.0.0.1:4222";

/// A journal name of its own for one test; its streams and buckets are deleted when it ends.
struct Streams {
    name: String,
}

impl Streams {
    fn new(prefix: &str) -> Streams {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        Streams { name: format!("{prefix}_{}_{nanos:08x}", std::process::id()) }
    }

    async fn context() -> async_nats::jetstream::Context {
        let client = async_nats::connect(SERVER).await.expect("NATS on 127.0.0.1:4222 (.ci/services starts it)");
        async_nats::jetstream::new(client)
    }
}

impl Drop for Streams {
    fn drop(&mut self) {
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let js = Streams::context().await;
                for stream in
                    [name.clone(), format!("{name}_failed"), format!("{name}_progress"), format!("{name}_seen")]
                {
                    let _ = js.delete_stream(&stream).await;
                }
            });
        })
        .join();
    }
}

/// Three receivers on one JetStream journal share a burst of 3,000 deliveries; one is
/// SIGKILLed in the middle. Every acknowledged delivery is handled; none twice except what the
/// killed process had in flight, redelivered to the others after the ack wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_receivers_share_a_burst_and_a_sigkilled_one_loses_nothing() {
    let streams = Streams::new("triad_three");
    let js = Streams::context().await;
    three_receivers_burst(&format!("{SERVER}/{}", streams.name), async || {
        let mut stream = js.get_stream(&streams.name).await.unwrap();
        stream.info().await.unwrap().state.messages == 0
    })
    .await;
}

fn admit(key: Option<&str>, body: &[u8], keep: bool) -> triad_runtime::server::Admit {
    triad_runtime::server::Admit {
        key: key.map(|k| k.as_bytes().to_vec()),
        id: key.map(str::to_owned),
        body: body.to_vec().into(),
        keep,
        now_ms: 0,
        window_ms: 60_000,
        capacity: 100,
    }
}

/// The journal's rules on JetStream: the provider's id drops a resend whichever process sees
/// it, an identical body without one is admitted again (a later change), a retry comes back
/// after its delay with its progress, a claim not renewed is redelivered, and the failed set
/// is listed, requeued with its progress and purged; a full stream refuses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_journals_on_one_stream_follow_the_shared_rules() {
    use triad_runtime::server::{Admission, NatsJournal, NatsJournalOptions, SharedJournal};
    let streams = Streams::new("triad_rules");
    let options = NatsJournalOptions { capacity: 5, lease: Duration::from_secs(1), ..NatsJournalOptions::default() };
    let a = NatsJournal::connect(SERVER, &streams.name, options).await.unwrap();
    let b = NatsJournal::connect(SERVER, &streams.name, options).await.unwrap();
    let lease = options.lease;

    let Admission::Stored(first) = a.admit(admit(Some("d-1"), b"{\"n\":1}", true)).await.unwrap() else { panic!() };
    assert_eq!(b.admit(admit(Some("d-1"), b"{\"n\":1}", true)).await.unwrap(), Admission::Duplicate);
    let same = || admit(None, b"{\"same\":1}", true);
    let (Admission::Stored(s1), Admission::Stored(s2)) =
        (a.admit(same()).await.unwrap(), b.admit(same()).await.unwrap())
    else {
        panic!("identical bodies without an id are both admitted")
    };
    assert!(first < s1 && s1 < s2);

    // Inline receivers' window: a key once, until forgotten.
    assert_eq!(a.admit(admit(Some("i-1"), b"{}", false)).await.unwrap(), Admission::Stored(0));
    assert_eq!(b.admit(admit(Some("i-1"), b"{}", false)).await.unwrap(), Admission::Duplicate);
    b.forget(b"i-1".to_vec()).await.unwrap();
    assert_eq!(a.admit(admit(Some("i-1"), b"{}", false)).await.unwrap(), Admission::Stored(0));

    let claimed = a.claim("a", 10, lease).await.unwrap();
    assert_eq!(
        claimed.iter().map(|c| (c.entry.seq, c.attempt)).collect::<Vec<_>>(),
        vec![(first, 1), (s1, 1), (s2, 1)]
    );
    assert_eq!(claimed[0].entry.id.as_deref(), Some("d-1"));
    assert!(b.claim("b", 10, lease).await.unwrap().is_empty(), "claimed messages are not handed out twice");
    assert!(a.complete("a", first).await.unwrap());
    assert!(a.retry("a", s1, vec![0, 2], Duration::from_millis(200)).await.unwrap());
    // s2 is neither renewed nor settled: redelivered after the ack wait, with s1's retry.
    tokio::time::sleep(lease + Duration::from_millis(300)).await;
    let mut again = b.claim("b", 10, lease).await.unwrap();
    again.sort_by_key(|c| c.entry.seq);
    assert_eq!(again.iter().map(|c| (c.entry.seq, c.attempt)).collect::<Vec<_>>(), vec![(s1, 2), (s2, 2)]);
    assert_eq!(again[0].entry.done, vec![0, 2]);

    // Given up: listed with its progress, requeued with it, or purged.
    assert!(b.give_up("b", s1, vec![0, 2]).await.unwrap());
    assert!(b.give_up("b", s2, vec![]).await.unwrap());
    let failed = a.failed().await.unwrap();
    assert_eq!(failed.len(), 2);
    assert_eq!((failed[0].body.as_slice(), failed[0].done.clone()), (&b"{\"same\":1}"[..], vec![0, 2]));
    assert!(a.requeue(failed[0].seq).await.unwrap());
    assert!(a.purge(failed[1].seq).await.unwrap());
    assert!(!a.purge(failed[1].seq).await.unwrap());
    assert!(a.failed().await.unwrap().is_empty());
    let requeued = a.claim("a", 10, lease).await.unwrap();
    assert_eq!(requeued.len(), 1);
    assert_eq!(requeued[0].entry.done, vec![0, 2], "progress comes along");
    assert!(a.complete("a", requeued[0].entry.seq).await.unwrap());
    assert_eq!(a.pending_count().await.unwrap(), 0);

    // Capacity: the stream refuses the sixth pending delivery.
    for n in 0..5 {
        let body = format!("{{\"fill\":{n}}}");
        assert!(matches!(a.admit(admit(None, body.as_bytes(), true)).await.unwrap(), Admission::Stored(_)));
    }
    assert_eq!(a.admit(admit(None, b"{\"fill\":5}", true)).await.unwrap(), Admission::Full);
}

/// The `journal` example on a JetStream journal in use: lists the failed set, purges and
/// requeues.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_tool_works_on_a_nats_journal_in_use() {
    use triad_runtime::server::{NatsJournal, NatsJournalOptions};
    let streams = Streams::new("triad_tool");
    let url = format!("{SERVER}/{}", streams.name);
    let journal = NatsJournal::connect_url(&url, NatsJournalOptions::default()).await.unwrap();
    journal_tool_on_shared(&url, &journal).await;
}
