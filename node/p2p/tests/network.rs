//! Real swarms on loopback: gossip with validation, sync requests, the allow-list, size limits
//! and cut links. Every wait is bounded.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::time::Duration;

use liangxin_p2p::types::{KeyBytes, SigningKey};
use liangxin_p2p::{Config, Error, Event, Network, PeerAddress, Topic, Validation};
use tokio::sync::mpsc::Receiver;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(20);

struct Node {
    net: Network,
    events: Receiver<Event>,
    key: KeyBytes,
    addr: SocketAddr,
}

fn seed(name: &str) -> [u8; 32] {
    SigningKey::dev(name).seed()
}

fn key(name: &str) -> KeyBytes {
    KeyBytes::from(SigningKey::dev(name).public_key())
}

async fn start(name: &str, allowed: &[&str], peers: &[&Node]) -> Node {
    let mut cfg = Config::new("p2p-test", seed(name), "127.0.0.1:0".parse().unwrap());
    cfg.allowed = allowed.iter().map(|n| key(n)).collect();
    cfg.peers = peers
        .iter()
        .map(|p| PeerAddress {
            key: p.key,
            addr: p.addr,
        })
        .collect();
    cfg.max_gossip_size = 64 * 1024;
    cfg.redial_interval = Duration::from_millis(200);
    let (net, mut events) = Network::start(cfg).await.unwrap();
    let addr = timeout(WAIT, async {
        loop {
            if let Some(Event::Listening(a)) = events.recv().await {
                return a;
            }
        }
    })
    .await
    .expect("listening");
    Node {
        key: net.local_key(),
        net,
        events,
        addr,
    }
}

/// Waits for the next event matching `f`, answering gossip with Accept on the way.
async fn wait_for<T>(node: &mut Node, mut f: impl FnMut(&Event) -> Option<T>) -> T {
    timeout(WAIT, async {
        loop {
            let ev = node.events.recv().await.expect("event stream open");
            let found = f(&ev);
            if let Event::Gossip { id, from, .. } = &ev {
                node.net.report(id.clone(), *from, Validation::Accept).await;
            }
            if let Some(t) = found {
                return t;
            }
        }
    })
    .await
    .expect("event within the bound")
}

async fn connected(node: &mut Node, n: usize) {
    timeout(WAIT, async {
        loop {
            if node.net.peers().await.unwrap().len() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("peers connected");
}

/// Publishes until gossipsub has a subscribed peer to send to (subscriptions travel after the
/// connection opens).
async fn publish(node: &Node, topic: Topic, data: Vec<u8>) {
    timeout(WAIT, async {
        loop {
            match node.net.publish(topic, data.clone()).await {
                Ok(()) => return,
                Err(Error::Publish(_)) => tokio::time::sleep(Duration::from_millis(50)).await,
                Err(e) => panic!("{e}"),
            }
        }
    })
    .await
    .expect("published");
}

#[tokio::test]
async fn gossip_reaches_every_allowed_peer_and_sync_requests_are_answered() {
    let all = ["a", "b", "c"];
    let mut a = start("a", &all, &[]).await;
    let mut b = start("b", &all, &[&a]).await;
    let mut c = start("c", &all, &[&a, &b]).await;
    connected(&mut a, 2).await;
    connected(&mut c, 2).await;

    publish(&c, Topic::Consensus, b"vote from c".to_vec()).await;
    for n in [&mut a, &mut b] {
        let (topic, from_c) = wait_for(n, |e| match e {
            Event::Gossip { topic, data, .. } if data == b"vote from c" => Some((*topic, true)),
            _ => None,
        })
        .await;
        assert_eq!(topic, Topic::Consensus);
        assert!(from_c);
    }

    publish(&a, Topic::Txs, b"a transaction".to_vec()).await;
    wait_for(&mut c, |e| match e {
        Event::Gossip {
            topic: Topic::Txs,
            data,
            ..
        } if data == b"a transaction" => Some(()),
        _ => None,
    })
    .await;

    // Sync: a asks b; b answers from its event loop.
    let b_key = b.key;
    let asker = a.net.clone();
    let ask = tokio::spawn(async move { asker.request(b_key, b"blocks 1..10".to_vec()).await });
    let token = wait_for(&mut b, |e| match e {
        Event::Request { data, token, .. } if data == b"blocks 1..10" => Some(*token),
        _ => None,
    })
    .await;
    b.net.respond(token, b"ten blocks".to_vec()).await;
    let answer = timeout(WAIT, ask).await.unwrap().unwrap().unwrap();
    assert_eq!(answer, b"ten blocks");
}

#[tokio::test]
async fn a_stranger_cannot_connect_or_inject() {
    let members = ["m1", "m2"];
    let mut m1 = start("m1", &members, &[]).await;
    let m2 = start("m2", &members, &[&m1]).await;
    connected(&mut m1, 1).await;
    // The stranger allows everyone and dials m1, but m1 refuses it after the handshake.
    let stranger = start("stranger", &["m1", "m2", "stranger"], &[&m1]).await;
    let _ = stranger
        .net
        .publish(Topic::Consensus, b"injected".to_vec())
        .await;
    // m2's message arrives; the stranger's never does, and m1 only ever sees m2.
    publish(&m2, Topic::Consensus, b"from m2".to_vec()).await;
    let mut saw_stranger = false;
    wait_for(&mut m1, |e| match e {
        Event::Gossip { data, .. } if data == b"injected" => {
            saw_stranger = true;
            None
        }
        Event::Connected(k) if *k == stranger.key => {
            saw_stranger = true;
            None
        }
        Event::Gossip { data, .. } if data == b"from m2" => Some(()),
        _ => None,
    })
    .await;
    // A negative check needs a window: three of the stranger's redial rounds (200 ms each).
    tokio::time::sleep(Duration::from_millis(600)).await;
    let peers = m1.net.peers().await.unwrap();
    assert_eq!(peers, vec![m2.key]);
    assert!(!saw_stranger);
    // Not asserted: the stranger's own peer list. From its side each redial briefly
    // establishes a connection before m1 closes it, so it may list m1 at any instant.
}

#[tokio::test]
async fn oversized_messages_are_refused_and_cut_links_heal() {
    let all = ["x", "y"];
    let mut x = start("x", &all, &[]).await;
    let y = start("y", &all, &[&x]).await;
    connected(&mut x, 1).await;
    let big = vec![0u8; 64 * 1024 + 1];
    assert!(matches!(
        x.net.publish(Topic::Consensus, big).await,
        Err(Error::TooLarge { .. })
    ));

    x.net.cut(y.key).await.unwrap();
    wait_for(&mut x, |e| match e {
        Event::Disconnected(k) if *k == y.key => Some(()),
        _ => None,
    })
    .await;
    x.net.heal(y.key).await.unwrap();
    // y keeps redialling x; once healed the link comes back and gossip flows again.
    connected(&mut x, 1).await;
    publish(&y, Topic::Consensus, b"after the heal".to_vec()).await;
    wait_for(&mut x, |e| match e {
        Event::Gossip { data, .. } if data == b"after the heal" => Some(()),
        _ => None,
    })
    .await;
}
