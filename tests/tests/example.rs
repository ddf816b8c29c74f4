//! The generated `reservations` example of `mews-client`, run as a program against a scripted
//! server on loopback: its fixed command line, output lines and exit codes.

mod loopback;

use std::process::Output;

use loopback::{Reply, Server};
use serde_json::{Value, json};

const EXAMPLE: &str = env!("CARGO_BIN_EXE_mews-reservations-example");

async fn run(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || std::process::Command::new(EXAMPLE).args(args).output().unwrap()).await.unwrap()
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn reservation(n: u32) -> Value {
    let any = "11111111-1111-1111-1111-111111111111";
    let at = "2024-01-01T00:00:00Z";
    json!({
        "Id": format!("00000000-0000-0000-0000-{n:012}"), "ServiceId": any, "AccountId": any,
        "AccountType": "Customer", "CreatorProfileId": any, "UpdaterProfileId": any, "Number": n.to_string(),
        "State": "Confirmed", "Origin": "Connector", "CreatedUtc": at, "UpdatedUtc": at, "GroupId": any,
        "RateId": any, "RequestedResourceCategoryId": any, "StartUtc": at, "EndUtc": at,
        "ScheduledStartUtc": at, "ScheduledEndUtc": at, "PersonCounts": [],
        "Options": {"OwnerCheckedIn": false, "AllCompanionsCheckedIn": false, "AnyCompanionCheckedIn": false,
                    "ConnectorCheckIn": false},
    })
}

fn page(items: std::ops::Range<u32>, cursor: Option<&str>) -> Reply {
    Reply::json(200, json!({"Reservations": items.map(reservation).collect::<Vec<_>>(), "Cursor": cursor}))
}

#[tokio::test]
async fn pages_through_every_reservation_and_prints_ids_then_a_count() {
    let server = Server::start(|n, _| match n {
        0 => page(0..2, Some("cccccccc-0000-0000-0000-000000000001")),
        1 => page(2..3, Some("cccccccc-0000-0000-0000-000000000002")),
        _ => Reply::json(500, json!({"Message": "read past the end"})),
    })
    .await;
    let output = run(args(&[
        "--base-url",
        &server.url,
        "--client-token",
        "ct-secret",
        "--access-token",
        "at-secret",
        "--updated-from",
        "2024-01-01T00:00:00Z",
        "--updated-to",
        "2024-02-01T00:00:00Z",
        "--page-size",
        "2",
    ]))
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "00000000-0000-0000-0000-000000000000",
            "00000000-0000-0000-0000-000000000001",
            "00000000-0000-0000-0000-000000000002",
            "3 reservations",
        ]
    );
    let received = server.received();
    assert_eq!(received.len(), 2);
    let first = received[0].json();
    assert_eq!(first["ClientToken"], "ct-secret");
    assert_eq!(first["AccessToken"], "at-secret");
    assert_eq!(first["Client"], "mews-client reservations", "the default client name");
    assert_eq!(first["Limitation"], json!({"Count": 2}));
    assert_eq!(first["UpdatedUtc"], json!({"StartUtc": "2024-01-01T00:00:00Z", "EndUtc": "2024-02-01T00:00:00Z"}));
    assert_eq!(received[1].json()["Limitation"]["Cursor"], "cccccccc-0000-0000-0000-000000000001");
}

#[tokio::test]
async fn the_client_name_and_default_page_size_are_sent() {
    let server = Server::start(|_, _| page(0..0, None)).await;
    let output =
        run(args(&["--base-url", &server.url, "--client-token", "a", "--access-token", "b", "--client", "Acme 1.0"]))
            .await;
    assert!(output.status.success(), "{output:?}");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "0 reservations\n");
    let body = server.received()[0].json();
    assert_eq!(body["Client"], "Acme 1.0");
    assert_eq!(body["Limitation"]["Count"], 100);
    assert!(body.get("UpdatedUtc").is_none_or(Value::is_null), "{body}");
}

#[tokio::test]
async fn a_failed_call_prints_the_typed_error_and_exits_with_1() {
    let server =
        Server::start(|_, _| Reply::json(401, json!({"Message": "Invalid access token", "RequestId": "rq-7"}))).await;
    let output = run(args(&["--base-url", &server.url, "--client-token", "ct-9", "--access-token", "at-9"])).await;
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("API error 401") && stderr.contains("Invalid access token"), "{stderr}");
    assert!(stderr.contains("rq-7"), "{stderr}");
    assert!(!stderr.contains("ct-9") && !stderr.contains("at-9"), "a secret leaked: {stderr}");
    assert!(output.stdout.is_empty());
}

#[tokio::test]
async fn bad_options_exit_with_2_and_show_usage() {
    for bad in [
        args(&["--client-token", "a", "--access-token", "b"]),
        args(&[
            "--base-url",
            "http://127.0.0.1:9",
            "--client-token",
            "a",
            "--access-token",
            "b",
            "--page-size",
            "many",
        ]),
        args(&["--base-url", "http://127.0.0.1:9", "--frobnicate", "x"]),
        args(&["--base-url"]),
    ] {
        let output = run(bad.clone()).await;
        assert_eq!(output.status.code(), Some(2), "{bad:?}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("usage: reservations --base-url"), "{stderr}");
    }
    let help = run(args(&["--help"])).await;
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--updated-from"));
}
