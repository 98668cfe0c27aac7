//! The swarm and the task that drives it.
//!
//! One tokio task owns the libp2p swarm; the node talks to it through [`Network`] (commands)
//! and receives [`Event`]s on a bounded channel. Peer identities are Ed25519 keys: a peer's
//! libp2p id is derived from the same public key that names it in the validator set or the
//! observer list, and only those peers may connect.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::time::Duration;

use libp2p::allow_block_list::{self, AllowedPeers};
use libp2p::connection_limits::{self, ConnectionLimits};
use libp2p::futures::StreamExt;
use libp2p::gossipsub::{self, IdentTopic, MessageAcceptance, MessageAuthenticity, MessageId};
use libp2p::identity::{Keypair, PublicKey as P2pKey, ed25519};
use libp2p::multiaddr::Protocol;
use libp2p::request_response::{self, OutboundRequestId, ProtocolSupport, ResponseChannel};
use libp2p::swarm::{NetworkBehaviour, SwarmEvent, dial_opts::DialOpts};
use libp2p::{Multiaddr, PeerId, Swarm, identify, noise, tcp, yamux};
use tokio::sync::{mpsc, oneshot};

use crate::Error;
use crate::codec::{SYNC_PROTOCOL, SyncCodec};
use crate::types::KeyBytes;

/// A peer the node knows how to reach.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerAddress {
    /// Its Ed25519 public key (its identity).
    pub key: KeyBytes,
    /// Where it listens (loopback in tests).
    pub addr: SocketAddr,
}

/// Network settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// The chain id: it names the gossip topics, so two chains never mix.
    pub chain_id: String,
    /// This node's Ed25519 secret seed (its validator key, or an observer's own key).
    pub key_seed: [u8; 32],
    /// Where to listen.
    pub listen: SocketAddr,
    /// Peers to dial and keep dialling while disconnected.
    pub peers: Vec<PeerAddress>,
    /// Keys allowed to connect (validators and observers); everyone else is refused after the
    /// Noise handshake reveals who they are.
    pub allowed: Vec<KeyBytes>,
    /// Largest gossip message (a consensus message with its block body, or a transaction).
    pub max_gossip_size: usize,
    /// Largest sync request.
    pub max_request_size: usize,
    /// Largest sync response (a batch of blocks).
    pub max_response_size: usize,
    /// How long a sync request may take.
    pub request_timeout: Duration,
    /// How often to redial configured peers that are not connected.
    pub redial_interval: Duration,
    /// Capacity of the event channel; gossip arriving while it is full is dropped (and not
    /// forwarded), so a slow node sheds load instead of growing without bound.
    pub event_capacity: usize,
}

impl Config {
    /// Defaults for a small regulators' network on a LAN.
    pub fn new(chain_id: &str, key_seed: [u8; 32], listen: SocketAddr) -> Self {
        Config {
            chain_id: chain_id.to_string(),
            key_seed,
            listen,
            peers: Vec::new(),
            allowed: Vec::new(),
            max_gossip_size: 8 << 20,
            max_request_size: 64 << 10,
            max_response_size: 32 << 20,
            request_timeout: Duration::from_secs(10),
            redial_interval: Duration::from_secs(1),
            event_capacity: 16_384,
        }
    }
}

/// The two gossip topics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Consensus messages (proposals with their bodies, votes, certificates).
    Consensus,
    /// Batches of signed transactions submitted to any node.
    Txs,
}

impl Topic {
    fn name(self, chain: &str) -> String {
        match self {
            Topic::Consensus => format!("liangxin/{chain}/consensus/1"),
            Topic::Txs => format!("liangxin/{chain}/txs/2"),
        }
    }
}

/// What the node decided about a gossip message: only accepted messages are forwarded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validation {
    /// Valid: forward it.
    Accept,
    /// Invalid: drop it and penalise the peer that sent it.
    Reject,
    /// Not useful (a duplicate, too old): drop it quietly.
    Ignore,
}

/// Identifies an inbound request until it is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RequestToken(u64);

/// What the network tells the node.
#[derive(Debug)]
pub enum Event {
    /// A gossip message, not yet forwarded: answer with [`Network::report`].
    Gossip {
        /// Which topic.
        topic: Topic,
        /// The peer it came from (not necessarily its author).
        from: KeyBytes,
        /// Its id, for [`Network::report`].
        id: MessageId,
        /// The payload.
        data: Vec<u8>,
    },
    /// A sync request: answer with [`Network::respond`].
    Request {
        /// Who asks.
        from: KeyBytes,
        /// The request.
        data: Vec<u8>,
        /// Pass back to [`Network::respond`].
        token: RequestToken,
    },
    /// A peer connected.
    Connected(KeyBytes),
    /// The last connection to a peer closed.
    Disconnected(KeyBytes),
    /// The swarm listens on this address.
    Listening(SocketAddr),
}

#[derive(NetworkBehaviour)]
struct Behaviour {
    allowed: allow_block_list::Behaviour<AllowedPeers>,
    limits: connection_limits::Behaviour,
    gossipsub: gossipsub::Behaviour,
    sync: request_response::Behaviour<SyncCodec>,
    identify: identify::Behaviour,
}

enum Command {
    Publish {
        topic: Topic,
        data: Vec<u8>,
        done: oneshot::Sender<Result<(), Error>>,
    },
    Report {
        id: MessageId,
        from: KeyBytes,
        validation: Validation,
    },
    Request {
        peer: KeyBytes,
        data: Vec<u8>,
        done: oneshot::Sender<Result<Vec<u8>, Error>>,
    },
    Respond {
        token: RequestToken,
        data: Vec<u8>,
    },
    SetAllowed(Vec<KeyBytes>),
    Cut(KeyBytes),
    Heal(KeyBytes),
    Peers(oneshot::Sender<Vec<KeyBytes>>),
}

/// The libp2p peer id of an Ed25519 public key.
pub fn peer_id_of(key: &KeyBytes) -> Result<PeerId, Error> {
    let pk = ed25519::PublicKey::try_from_bytes(&key.0)
        .map_err(|e| Error::Config(format!("key {key}: {e}")))?;
    Ok(P2pKey::from(pk).to_peer_id())
}

fn multiaddr(addr: SocketAddr) -> Multiaddr {
    let ip = match addr.ip() {
        std::net::IpAddr::V4(v4) => Protocol::Ip4(v4),
        std::net::IpAddr::V6(v6) => Protocol::Ip6(v6),
    };
    Multiaddr::empty().with(ip).with(Protocol::Tcp(addr.port()))
}

fn socket_addr(addr: &Multiaddr) -> Option<SocketAddr> {
    let mut ip = None;
    let mut port = None;
    for p in addr.iter() {
        match p {
            Protocol::Ip4(a) => ip = Some(std::net::IpAddr::V4(a)),
            Protocol::Ip6(a) => ip = Some(std::net::IpAddr::V6(a)),
            Protocol::Tcp(p) => port = Some(p),
            _ => {}
        }
    }
    Some(SocketAddr::new(ip?, port?))
}

/// The node's handle on the network task. Cheap to clone.
#[derive(Clone)]
pub struct Network {
    cmd: mpsc::Sender<Command>,
    local: KeyBytes,
}

impl Network {
    /// Builds the swarm, starts listening and spawns its task on the current tokio runtime.
    /// Returns the handle and the event stream.
    pub async fn start(cfg: Config) -> Result<(Network, mpsc::Receiver<Event>), Error> {
        let mut seed = cfg.key_seed;
        let keypair = Keypair::ed25519_from_bytes(&mut seed)
            .map_err(|e| Error::Config(format!("node key: {e}")))?;
        let local = KeyBytes(
            keypair
                .public()
                .try_into_ed25519()
                .map_err(|e| Error::Config(e.to_string()))?
                .to_bytes(),
        );
        let mut allowed = HashMap::new();
        for k in cfg.allowed.iter().chain(cfg.peers.iter().map(|p| &p.key)) {
            allowed.insert(peer_id_of(k)?, *k);
        }
        let gossip_config = gossipsub::ConfigBuilder::default()
            // A handful of regulators: every peer in the mesh, and publishing floods to all.
            .mesh_n(8)
            .mesh_n_low(1)
            .mesh_n_high(32)
            .mesh_outbound_min(0)
            .gossip_lazy(8)
            .flood_publish(true)
            .heartbeat_interval(Duration::from_millis(500))
            .max_transmit_size(cfg.max_gossip_size)
            // No gossip-level signatures: every connection is an authenticated, allowed peer
            // (Noise), and every payload carries its own signatures (transactions their
            // signer's, consensus messages their validator's), checked before forwarding. A
            // per-message libp2p signature would add an Ed25519 sign per publish and a verify per
            // receipt for nothing the node relies on.
            .validation_mode(gossipsub::ValidationMode::Permissive)
            .validate_messages()
            .duplicate_cache_time(Duration::from_secs(120))
            // Content-addressed ids: the same bytes from two nodes are one message.
            .message_id_fn(|m: &gossipsub::Message| {
                MessageId::from(blake3::hash(&m.data).as_bytes().to_vec())
            })
            .build()
            .map_err(|e| Error::Config(format!("gossipsub: {e}")))?;
        let codec = SyncCodec {
            max_request: cfg.max_request_size,
            max_response: cfg.max_response_size,
        };
        let n_allowed = allowed.len() as u32;
        let limits = ConnectionLimits::default()
            .with_max_pending_incoming(Some(16))
            .with_max_established_per_peer(Some(2))
            .with_max_established_incoming(Some(2 * n_allowed + 4))
            .with_max_established(Some(4 * n_allowed + 8));
        let request_timeout = cfg.request_timeout;
        let mut swarm = libp2p::SwarmBuilder::with_existing_identity(keypair)
            .with_tokio()
            .with_tcp(
                tcp::Config::default().nodelay(true),
                noise::Config::new,
                yamux::Config::default,
            )
            .map_err(|e| Error::Config(format!("transport: {e}")))?
            .with_behaviour(|key| {
                let gossipsub = gossipsub::Behaviour::new(
                    MessageAuthenticity::Author(key.public().to_peer_id()),
                    gossip_config,
                )
                .map_err(|e| std::io::Error::other(e.to_string()))?;
                Ok(Behaviour {
                    allowed: allow_block_list::Behaviour::default(),
                    limits: connection_limits::Behaviour::new(limits),
                    gossipsub,
                    sync: request_response::Behaviour::with_codec(
                        codec,
                        [(SYNC_PROTOCOL, ProtocolSupport::Full)],
                        request_response::Config::default().with_request_timeout(request_timeout),
                    ),
                    identify: identify::Behaviour::new(identify::Config::new(
                        "/liangxin/1".to_string(),
                        key.public(),
                    )),
                })
            })
            .map_err(|e| Error::Config(format!("behaviour: {e}")))?
            .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(3600)))
            .build();
        for pid in allowed.keys() {
            swarm.behaviour_mut().allowed.allow_peer(*pid);
        }
        for t in [Topic::Consensus, Topic::Txs] {
            swarm
                .behaviour_mut()
                .gossipsub
                .subscribe(&IdentTopic::new(t.name(&cfg.chain_id)))
                .map_err(|e| Error::Config(format!("subscribe: {e}")))?;
        }
        swarm
            .listen_on(multiaddr(cfg.listen))
            .map_err(|e| Error::Listen {
                addr: cfg.listen.to_string(),
                reason: e.to_string(),
            })?;
        let (cmd_tx, cmd_rx) = mpsc::channel(4096);
        let (ev_tx, ev_rx) = mpsc::channel(cfg.event_capacity.max(1));
        let task = Task {
            topics: [Topic::Consensus, Topic::Txs]
                .into_iter()
                .map(|t| (IdentTopic::new(t.name(&cfg.chain_id)).hash(), t))
                .collect(),
            chain: cfg.chain_id.clone(),
            dial: cfg
                .peers
                .iter()
                .filter(|p| p.key != local)
                .filter_map(|p| Some((peer_id_of(&p.key).ok()?, p.addr)))
                .collect(),
            cut: HashSet::new(),
            allowed,
            swarm,
            events: ev_tx,
            pending: HashMap::new(),
            inbound: HashMap::new(),
            next_token: 0,
            redial: cfg.redial_interval,
            max_gossip: cfg.max_gossip_size,
        };
        tokio::spawn(task.run(cmd_rx));
        Ok((Network { cmd: cmd_tx, local }, ev_rx))
    }

    /// This node's key.
    pub fn local_key(&self) -> KeyBytes {
        self.local
    }

    async fn send(&self, c: Command) -> Result<(), Error> {
        self.cmd.send(c).await.map_err(|_| Error::Stopped)
    }

    /// Publishes on a topic (to every connected peer subscribed to it). Publishing bytes that
    /// were already seen is not an error.
    pub async fn publish(&self, topic: Topic, data: Vec<u8>) -> Result<(), Error> {
        let (done, rx) = oneshot::channel();
        self.send(Command::Publish { topic, data, done }).await?;
        rx.await.map_err(|_| Error::Stopped)?
    }

    /// Tells gossipsub whether to forward a received message.
    pub async fn report(&self, id: MessageId, from: KeyBytes, validation: Validation) {
        let _ = self
            .send(Command::Report {
                id,
                from,
                validation,
            })
            .await;
    }

    /// Sends a sync request to `peer` and waits for its answer.
    pub async fn request(&self, peer: KeyBytes, data: Vec<u8>) -> Result<Vec<u8>, Error> {
        let (done, rx) = oneshot::channel();
        self.send(Command::Request { peer, data, done }).await?;
        rx.await.map_err(|_| Error::Stopped)?
    }

    /// Answers an inbound request.
    pub async fn respond(&self, token: RequestToken, data: Vec<u8>) {
        let _ = self.send(Command::Respond { token, data }).await;
    }

    /// Replaces the set of keys allowed to connect (validator-set changes); peers no longer in
    /// it are disconnected.
    pub async fn set_allowed(&self, keys: Vec<KeyBytes>) -> Result<(), Error> {
        self.send(Command::SetAllowed(keys)).await
    }

    /// Test and chaos tooling: cuts the link to `peer` (disconnects and refuses it) until
    /// [`Network::heal`].
    pub async fn cut(&self, peer: KeyBytes) -> Result<(), Error> {
        self.send(Command::Cut(peer)).await
    }

    /// Restores a link cut with [`Network::cut`].
    pub async fn heal(&self, peer: KeyBytes) -> Result<(), Error> {
        self.send(Command::Heal(peer)).await
    }

    /// The keys of the connected peers.
    pub async fn peers(&self) -> Result<Vec<KeyBytes>, Error> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Peers(tx)).await?;
        rx.await.map_err(|_| Error::Stopped)
    }
}

struct Task {
    swarm: Swarm<Behaviour>,
    topics: HashMap<gossipsub::TopicHash, Topic>,
    chain: String,
    /// Configured peers to keep connected.
    dial: HashMap<PeerId, SocketAddr>,
    /// Links cut by [`Network::cut`].
    cut: HashSet<PeerId>,
    /// Allowed peers and their keys.
    allowed: HashMap<PeerId, KeyBytes>,
    events: mpsc::Sender<Event>,
    pending: HashMap<OutboundRequestId, oneshot::Sender<Result<Vec<u8>, Error>>>,
    inbound: HashMap<RequestToken, ResponseChannel<Vec<u8>>>,
    next_token: u64,
    redial: Duration,
    max_gossip: usize,
}

impl Task {
    async fn run(mut self, mut cmds: mpsc::Receiver<Command>) {
        let mut redial = tokio::time::interval(self.redial);
        redial.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                ev = self.swarm.select_next_some() => self.on_swarm(ev),
                cmd = cmds.recv() => match cmd {
                    Some(c) => self.on_command(c),
                    None => {
                        tracing::debug!("p2p: handle dropped, stopping");
                        return;
                    }
                },
                _ = redial.tick() => self.redial(),
            }
        }
    }

    fn redial(&mut self) {
        let targets: Vec<(PeerId, SocketAddr)> = self
            .dial
            .iter()
            .filter(|(p, _)| !self.cut.contains(p) && !self.swarm.is_connected(p))
            .map(|(p, a)| (*p, *a))
            .collect();
        for (peer, addr) in targets {
            let opts = DialOpts::peer_id(peer)
                .addresses(vec![multiaddr(addr)])
                .build();
            if let Err(e) = self.swarm.dial(opts) {
                tracing::trace!("p2p: dial {peer}: {e}");
            }
        }
    }

    fn key_of(&self, peer: &PeerId) -> Option<KeyBytes> {
        self.allowed.get(peer).copied()
    }

    fn emit(&mut self, ev: Event) -> bool {
        match self.events.try_send(ev) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::warn!("p2p: event queue full, dropping an event");
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    fn on_swarm(&mut self, ev: SwarmEvent<BehaviourEvent>) {
        match ev {
            SwarmEvent::NewListenAddr { address, .. } => {
                if let Some(a) = socket_addr(&address) {
                    self.emit(Event::Listening(a));
                }
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                num_established,
                ..
            } => {
                if num_established.get() == 1
                    && let Some(k) = self.key_of(&peer_id)
                {
                    self.emit(Event::Connected(k));
                }
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established,
                ..
            } => {
                if num_established == 0
                    && let Some(k) = self.key_of(&peer_id)
                {
                    self.emit(Event::Disconnected(k));
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            })) => self.on_gossip(propagation_source, message_id, message),
            SwarmEvent::Behaviour(BehaviourEvent::Sync(ev)) => self.on_sync(ev),
            SwarmEvent::IncomingConnectionError { error, .. } => {
                tracing::debug!("p2p: incoming connection refused: {error}");
            }
            _ => {}
        }
    }

    fn on_gossip(&mut self, source: PeerId, id: MessageId, message: gossipsub::Message) {
        let topic = self.topics.get(&message.topic).copied();
        let from = self.key_of(&source);
        let (Some(topic), Some(from)) = (topic, from) else {
            self.swarm
                .behaviour_mut()
                .gossipsub
                .report_message_validation_result(&id, &source, MessageAcceptance::Reject);
            return;
        };
        let delivered = self.emit(Event::Gossip {
            topic,
            from,
            id: id.clone(),
            data: message.data,
        });
        if !delivered {
            self.swarm
                .behaviour_mut()
                .gossipsub
                .report_message_validation_result(&id, &source, MessageAcceptance::Ignore);
        }
    }

    fn on_sync(&mut self, ev: request_response::Event<Vec<u8>, Vec<u8>>) {
        match ev {
            request_response::Event::Message { peer, message, .. } => match message {
                request_response::Message::Request {
                    request, channel, ..
                } => {
                    let Some(from) = self.key_of(&peer) else {
                        return;
                    };
                    let token = RequestToken(self.next_token);
                    self.next_token += 1;
                    self.inbound.insert(token, channel);
                    if !self.emit(Event::Request {
                        from,
                        data: request,
                        token,
                    }) {
                        self.inbound.remove(&token);
                    }
                }
                request_response::Message::Response {
                    request_id,
                    response,
                } => {
                    if let Some(done) = self.pending.remove(&request_id) {
                        let _ = done.send(Ok(response));
                    }
                }
            },
            request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                if let Some(done) = self.pending.remove(&request_id) {
                    let _ = done.send(Err(Error::Request {
                        peer: peer.to_string(),
                        reason: error.to_string(),
                    }));
                }
            }
            request_response::Event::InboundFailure { error, .. } => {
                tracing::debug!("p2p: inbound sync request failed: {error}");
            }
            request_response::Event::ResponseSent { .. } => {}
        }
    }

    fn on_command(&mut self, c: Command) {
        match c {
            Command::Publish { topic, data, done } => {
                let result = if data.len() > self.max_gossip {
                    Err(Error::TooLarge {
                        what: "gossip message",
                        size: data.len(),
                        limit: self.max_gossip,
                    })
                } else {
                    match self
                        .swarm
                        .behaviour_mut()
                        .gossipsub
                        .publish(IdentTopic::new(topic.name(&self.chain)), data)
                    {
                        Ok(_) | Err(gossipsub::PublishError::Duplicate) => Ok(()),
                        Err(e) => Err(Error::Publish(e.to_string())),
                    }
                };
                let _ = done.send(result);
            }
            Command::Report {
                id,
                from,
                validation,
            } => {
                let Ok(source) = peer_id_of(&from) else {
                    return;
                };
                let acceptance = match validation {
                    Validation::Accept => MessageAcceptance::Accept,
                    Validation::Reject => MessageAcceptance::Reject,
                    Validation::Ignore => MessageAcceptance::Ignore,
                };
                self.swarm
                    .behaviour_mut()
                    .gossipsub
                    .report_message_validation_result(&id, &source, acceptance);
            }
            Command::Request { peer, data, done } => {
                let pid = match peer_id_of(&peer) {
                    Ok(p) => p,
                    Err(e) => {
                        let _ = done.send(Err(e));
                        return;
                    }
                };
                let id = self.swarm.behaviour_mut().sync.send_request(&pid, data);
                self.pending.insert(id, done);
            }
            Command::Respond { token, data } => {
                if let Some(channel) = self.inbound.remove(&token)
                    && self
                        .swarm
                        .behaviour_mut()
                        .sync
                        .send_response(channel, data)
                        .is_err()
                {
                    tracing::debug!("p2p: the requester went away before the response");
                }
            }
            Command::SetAllowed(keys) => {
                let mut next = HashMap::new();
                for k in keys {
                    if let Ok(p) = peer_id_of(&k) {
                        next.insert(p, k);
                    }
                }
                let gone: Vec<PeerId> = self
                    .allowed
                    .keys()
                    .filter(|p| !next.contains_key(p))
                    .copied()
                    .collect();
                for p in gone {
                    self.swarm.behaviour_mut().allowed.disallow_peer(p);
                    self.dial.remove(&p);
                }
                for p in next.keys() {
                    if !self.cut.contains(p) {
                        self.swarm.behaviour_mut().allowed.allow_peer(*p);
                    }
                }
                self.allowed = next;
            }
            Command::Cut(key) => {
                if let Ok(p) = peer_id_of(&key) {
                    self.cut.insert(p);
                    self.swarm.behaviour_mut().allowed.disallow_peer(p);
                }
            }
            Command::Heal(key) => {
                if let Ok(p) = peer_id_of(&key)
                    && self.cut.remove(&p)
                    && self.allowed.contains_key(&p)
                {
                    self.swarm.behaviour_mut().allowed.allow_peer(p);
                }
            }
            Command::Peers(tx) => {
                let peers = self
                    .swarm
                    .connected_peers()
                    .filter_map(|p| self.allowed.get(p).copied())
                    .collect();
                let _ = tx.send(peers);
            }
        }
    }
}
