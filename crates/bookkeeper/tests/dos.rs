//! A bookkeeper under a denial-of-service attempt from one host (127.0.0.2): hundreds of idle
//! and half-sent connections, and submissions that hold their slot by sending their body slowly.
//! Honest requests from another host (127.0.0.1) are served throughout, and the attacker's
//! sockets are closed by the server.

use std::net::SocketAddr;
use std::time::Duration;
use tally_testnet::Network;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

const ATTACKER: &str = "127.0.0.2";

/// A TCP connection to `port` from the attacker's address.
async fn from_attacker(port: u16) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind(format!("{ATTACKER}:0").parse::<SocketAddr>().unwrap())
        .unwrap();
    socket
        .connect(format!("127.0.0.1:{port}").parse().unwrap())
        .await
        .unwrap()
}

/// Whether the server closes `s` (end of stream or an error) within a bound far above any
/// timeout configured here; the bound only keeps a broken build from hanging the test.
async fn closed_by_server(s: &mut TcpStream) -> bool {
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(Duration::from_secs(60), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_slow_clients_of_one_host_do_not_starve_the_others() {
    let net = Network::new(1);
    net.configure(
        0,
        serde_json::json!({
            "max_connections_per_ip": 200,
            "header_timeout_ms": 2000,
            "submissions_per_ip": 2,
            "request_timeout_ms": 3000,
        }),
    );
    let node = net.start(0).await;
    let port = net.ports[0];
    // 200 idle connections and 100 more sending their headers a line at a time: the attacker's
    // share is 200, so the last 100 are closed at once.
    let mut idle = Vec::new();
    for _ in 0..200 {
        idle.push(from_attacker(port).await);
    }
    let mut slow = Vec::new();
    for _ in 0..100 {
        let mut s = from_attacker(port).await;
        let _ = s.write_all(b"GET /health HTTP/1.1\r\nHost: bk\r\n").await;
        slow.push(s);
    }
    for s in &mut slow {
        assert!(closed_by_server(s).await, "a connection beyond the share");
    }
    // Meanwhile an honest client is served, reads and submissions alike.
    let p = &net.parties;
    for e in p.registry_entries() {
        assert_eq!(net.submit(0, &e).await.0, 200);
    }
    assert_eq!(net.get(0, "/health").await.status(), 200);
    // Idle connections are closed once the header timeout passes.
    for s in &mut idle {
        assert!(closed_by_server(s).await, "an idle connection");
    }

    // Two submissions whose bodies trickle in hold the attacker's two submission slots; its
    // third is told to wait, while the honest host's goes through.
    let mut holding = Vec::new();
    for _ in 0..2 {
        let mut s = from_attacker(port).await;
        s.write_all(b"POST /submit HTTP/1.1\r\nHost: bk\r\nContent-Length: 100000\r\n\r\nxx")
            .await
            .unwrap();
        holding.push(s);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let attacker = reqwest::Client::builder()
        .local_address(ATTACKER.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let third = attacker
        .post(format!("{}/submit", net.url(0)))
        .body(p.commission(7))
        .send()
        .await
        .unwrap();
    assert_eq!(third.status(), 429);
    assert!(third.headers().contains_key("retry-after"));
    assert_eq!(net.submit(0, &p.commission(8)).await.0, 200);
    // A body that never completes is cut off by the request timeout, and the slot is free again.
    for s in &mut holding {
        assert!(closed_by_server(s).await, "a body that never completes");
    }
    let fourth = attacker
        .post(format!("{}/submit", net.url(0)))
        .body(p.commission(9))
        .send()
        .await
        .unwrap();
    assert_eq!(fourth.status(), 200);
    node.stop().await;
}
