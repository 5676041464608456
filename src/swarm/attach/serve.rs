//! The owner's side of attaching: a Unix socket in `.shiftboss/run/`
//! (the folder 0700, the socket 0600), served on a thread of its own by a
//! single-threaded tokio runtime. The runner hands the hub each snapshot it
//! makes while a console is attached; one task turns it into a frame once,
//! and every console's task sends the newest frame (a slow console skips the
//! ones it missed, never holding the runner up). Commands from a writable
//! console go to the runner as the owner's own console's do; a read-only
//! connection's commands are refused here, whatever the console says.

use super::wire::{self, ToConsole, ToOwner};
use crate::swarm::Commands;
use crate::swarm::Snapshot;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{broadcast, mpsc, oneshot, watch};

/// The folder under `.shiftboss/` that holds the socket.
pub const SOCKET_DIR: &str = "run";
/// The socket's name in it.
pub const SOCKET: &str = "owner.sock";

/// Where the owner of the swarm in `dir` (`.shiftboss/`) listens.
pub fn socket_path(dir: &Path) -> PathBuf {
    dir.join(SOCKET_DIR).join(SOCKET)
}

type Frame = Option<Arc<Vec<u8>>>;

/// What the runner and the consoles' tasks share.
struct Shared {
    snaps: watch::Sender<Option<Arc<Snapshot>>>,
    frames: watch::Sender<Frame>,
    notices: broadcast::Sender<String>,
    clients: AtomicUsize,
    runner: Commands,
}

/// The socket served while the owner runs; dropping it closes every
/// console's connection and removes the socket.
pub struct Hub {
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    path: PathBuf,
}

impl Hub {
    /// Listen on the socket of the swarm in `dir`. The caller holds the
    /// owner lock, so a socket found there is a killed owner's: replaced.
    pub fn start(dir: &Path, runner: Commands) -> io::Result<Hub> {
        let folder = dir.join(SOCKET_DIR);
        std::fs::create_dir_all(&folder)?;
        std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o700))?;
        let path = socket_path(dir);
        match std::fs::remove_file(&path) {
            Ok(()) => tracing::info!(path = %path.display(), "a killed owner's socket replaced"),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let listener = std::os::unix::net::UnixListener::bind(&path)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        listener.set_nonblocking(true)?;
        let shared = Arc::new(Shared {
            snaps: watch::channel(None).0,
            frames: watch::channel(None).0,
            notices: broadcast::channel(16).0,
            clients: AtomicUsize::new(0),
            runner,
        });
        let (stop, stopped) = oneshot::channel();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()?;
        let sh = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("shiftboss-attach".into())
            .spawn(move || rt.block_on(serve(listener, sh, stopped)))?;
        Ok(Hub {
            shared,
            stop: Some(stop),
            thread: Some(thread),
            path,
        })
    }

    /// Whether a console is attached (else the runner makes no snapshot
    /// for the hub).
    pub fn wanted(&self) -> bool {
        self.shared.clients.load(Ordering::SeqCst) > 0
    }

    /// How many consoles are attached.
    pub fn consoles(&self) -> usize {
        self.shared.clients.load(Ordering::SeqCst)
    }

    /// The newest snapshot, for every attached console.
    pub fn publish(&self, snap: Snapshot) {
        self.shared.snaps.send_replace(Some(Arc::new(snap)));
    }

    /// A refused command's reason, for every attached console.
    pub fn notice(&self, text: String) {
        let _ = self.shared.notices.send(text);
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Accept consoles until the hub is dropped; one task turns snapshots into
/// frames.
async fn serve(
    listener: std::os::unix::net::UnixListener,
    sh: Arc<Shared>,
    mut stopped: oneshot::Receiver<()>,
) {
    let listener = match tokio::net::UnixListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(error = %e, "the console socket cannot be served");
            return;
        }
    };
    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn(frames(Arc::clone(&sh)));
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tasks.spawn(console(stream, Arc::clone(&sh)));
                }
                Err(e) => tracing::warn!(error = %e, "a console could not attach"),
            },
        }
    }
    tasks.abort_all();
}

/// Each new snapshot serialized once, as a frame for every console.
async fn frames(sh: Arc<Shared>) {
    let mut snaps = sh.snaps.subscribe();
    while snaps.changed().await.is_ok() {
        let snap = snaps.borrow_and_update().clone();
        if let Some(snap) = snap {
            let frame = wire::encode_snapshot(&snap);
            sh.frames.send_replace(Some(Arc::new(frame)));
        }
    }
}

/// Counts a console in for as long as it is attached.
struct Attached(Arc<Shared>);

impl Drop for Attached {
    fn drop(&mut self) {
        self.0.clients.fetch_sub(1, Ordering::SeqCst);
    }
}

/// One console: its hello answered, then its commands in (a task of their
/// own, so that a half-read frame is never dropped) and snapshots, notices
/// and refusals out, until it goes.
async fn console(stream: UnixStream, sh: Arc<Shared>) {
    let (mut rd, mut wr) = stream.into_split();
    let readonly = match read(&mut rd).await {
        Ok(Some(hello)) => match wire::check_hello(&hello) {
            Ok(readonly) => readonly,
            Err(why) => {
                tracing::info!(%why, "a console's hello refused");
                let _ = write(&mut wr, &wire::encode(&ToConsole::Refused(why))).await;
                return;
            }
        },
        _ => return,
    };
    let welcome = ToConsole::Welcome {
        protocol: wire::PROTOCOL,
        pid: std::process::id(),
    };
    if write(&mut wr, &wire::encode(&welcome)).await.is_err() {
        return;
    }
    let mut frames = sh.frames.subscribe();
    // What the hub holds may be old (nobody was attached): the runner is
    // asked for a fresh one, sent when it comes.
    frames.borrow_and_update();
    let mut notices = sh.notices.subscribe();
    sh.clients.fetch_add(1, Ordering::SeqCst);
    let _attached = Attached(Arc::clone(&sh));
    sh.runner.wake();
    tracing::info!(readonly, "a console attached");
    let (reply_tx, mut replies) = mpsc::channel::<String>(8);
    let reader = tokio::spawn(commands(rd, readonly, sh.runner.clone(), reply_tx));
    loop {
        let frame = tokio::select! {
            changed = frames.changed() => match changed {
                Ok(()) => match frames.borrow_and_update().clone() {
                    Some(f) => f,
                    None => continue,
                },
                Err(_) => break,
            },
            notice = notices.recv() => match notice {
                Ok(text) => Arc::new(wire::encode(&ToConsole::Notice(text))),
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => break,
            },
            reply = replies.recv() => match reply {
                Some(text) => Arc::new(wire::encode(&ToConsole::Notice(text))),
                // The console went.
                None => break,
            },
        };
        if write(&mut wr, &frame).await.is_err() {
            break;
        }
    }
    reader.abort();
    tracing::info!(readonly, "a console detached");
}

/// A console's messages after its hello, until it goes.
async fn commands(
    mut rd: OwnedReadHalf,
    readonly: bool,
    runner: Commands,
    replies: mpsc::Sender<String>,
) {
    while let Ok(Some(msg)) = read(&mut rd).await {
        let refusal = match msg {
            _ if readonly => Some("this console is read-only: it sends nothing to the swarm"),
            ToOwner::Command(cmd) => {
                // The runner's channel is bounded and may be full for a moment.
                let r = runner.clone();
                let sent = tokio::task::spawn_blocking(move || r.send(*cmd)).await;
                (!sent.unwrap_or(false)).then_some("the swarm is ending: the command was not taken")
            }
            ToOwner::Stop => {
                tracing::info!("an attached console stops the swarm");
                runner.close();
                None
            }
            ToOwner::Hello { .. } => Some("already attached"),
        };
        if let Some(why) = refusal
            && replies.send(why.to_string()).await.is_err()
        {
            return;
        }
    }
}

async fn read(rd: &mut OwnedReadHalf) -> io::Result<Option<ToOwner>> {
    let mut header = [0u8; 4];
    match rd.read_exact(&mut header).await {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let mut body = vec![0u8; wire::frame_len(header)?];
    rd.read_exact(&mut body).await?;
    wire::decode(&body).map(Some)
}

async fn write(wr: &mut OwnedWriteHalf, frame: &[u8]) -> io::Result<()> {
    wr.write_all(frame).await?;
    wr.flush().await
}
