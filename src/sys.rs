//! The operating-system calls shiftboss makes by hand, in one place and all
//! through rustix: signals to agents' process groups, the parent-death signal
//! set between fork and exec, and the console's terminal (its size, whether it
//! hung up), and glibc's heap: its thresholds set at start, its free pages
//! given back to the system after a load. The `unsafe` blocks of shiftboss
//! are here.

#![allow(unsafe_code)]

use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::process::CommandExt;
use std::process::Command;

pub use rustix::process::Signal;
use rustix::process::{self as rp, Pid};

fn pid(raw: u32) -> Option<Pid> {
    i32::try_from(raw).ok().and_then(Pid::from_raw)
}

/// Send `sig` to the process group led by `pgid`; whether it was delivered.
pub fn signal_group(pgid: u32, sig: Signal) -> bool {
    pid(pgid).is_some_and(|p| rp::kill_process_group(p, sig).is_ok())
}

/// Send `sig` to one process; whether it was delivered.
pub fn signal_process(pid_: u32, sig: Signal) -> bool {
    pid(pid_).is_some_and(|p| rp::kill_process(p, sig).is_ok())
}

/// Whether a process group numbered `pgid` exists (signal 0).
pub fn group_exists(pgid: u32) -> bool {
    pid(pgid).is_some_and(|p| rp::test_kill_process_group(p).is_ok())
}

/// The child gets SIGKILL when the thread that spawned it ends, and does not
/// run at all if shiftboss died before the signal was set.
pub fn die_with_parent(cmd: &mut Command) {
    let parent = rp::getpid();
    // SAFETY: between fork and exec the closure makes only raw system calls
    // (prctl, getppid), which are async-signal-safe, and allocates nothing
    // but the error on its failure path, as std's own pre_exec users do.
    unsafe {
        cmd.pre_exec(move || {
            rp::set_parent_process_death_signal(Some(Signal::KILL))?;
            if rp::getppid() != Some(parent) {
                return Err(std::io::Error::other("shiftboss is gone"));
            }
            Ok(())
        });
    }
}

/// The terminal the console reads: standard input when it is a terminal,
/// else `/dev/tty` (the same choice crossterm makes for its input), kept open
/// for the life of the process as crossterm's own is.
pub fn tty() -> Option<BorrowedFd<'static>> {
    let stdin = rustix::stdio::stdin();
    if rustix::termios::isatty(stdin) {
        return Some(stdin);
    }
    let f: &'static std::fs::File = Box::leak(Box::new(std::fs::File::open("/dev/tty").ok()?));
    Some(f.as_fd())
}

/// The size of the terminal on standard output or, failing that, on standard
/// input, as (columns, rows), by ioctl only.
pub fn terminal_size() -> Option<(u16, u16)> {
    [rustix::stdio::stdout(), rustix::stdio::stdin()]
        .into_iter()
        .find_map(|fd| {
            let ws = rustix::termios::tcgetwinsize(fd).ok()?;
            (ws.ws_col > 0 && ws.ws_row > 0).then_some((ws.ws_col, ws.ws_row))
        })
}

/// Sleep until `fd` hangs up or reports an error (asking for no events:
/// hang-ups and errors are always reported), or polling it fails.
pub fn wait_hangup(fd: BorrowedFd<'_>) {
    use rustix::event::{PollFd, PollFlags};
    loop {
        let mut fds = [PollFd::new(&fd, PollFlags::empty())];
        match rustix::event::poll(&mut fds, None) {
            Err(rustix::io::Errno::INTR) => continue,
            Err(_) => return,
            Ok(_) => {
                let gone = PollFlags::HUP | PollFlags::ERR | PollFlags::NVAL;
                if fds[0].revents().intersects(gone) {
                    return;
                }
            }
        }
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
unsafe extern "C" {
    /// glibc's `malloc_trim(3)`.
    fn malloc_trim(pad: usize) -> std::ffi::c_int;
    /// glibc's `mallopt(3)`.
    fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
}

/// Keep up to this much free memory at the top of the heap (glibc), and
/// serve blocks below [`MMAP_FROM`] from the heap.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const KEEP_FREE: std::ffi::c_int = 8 << 20;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_FROM: std::ffi::c_int = 4 << 20;

/// Stop glibc giving the top of the heap back after every large free.
/// Each object git writes or reads goes through zlib, whose state is a few
/// hundred kilobytes allocated and freed per object; with glibc's default
/// trim threshold those pages went back to the system after each one and
/// were faulted in and zeroed again for the next. [`trim_heap`] still gives
/// everything back after a load.
pub fn tune_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator thresholds; it takes no pointers.
    // M_TRIM_THRESHOLD is -1 and M_MMAP_THRESHOLD -3 in glibc's malloc.h.
    unsafe {
        mallopt(-1, KEEP_FREE);
        mallopt(-3, MMAP_FROM);
    }
}

/// Give the heap's free pages back to the system (glibc), not only to the
/// allocator: after a load the memory it used for a while is returned.
pub fn trim_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap pages to the system; it
    // takes no pointers and is safe to call at any time.
    unsafe {
        malloc_trim(0);
    }
}

/// The console detached and its process runs on: standard output and error
/// go to `/dev/null` (the terminal may close), and a hang-up no longer ends
/// the process (SIGHUP only sets a flag nobody reads).
pub fn outlive_terminal() {
    if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
        let _ = rustix::stdio::dup2_stdout(&null);
        let _ = rustix::stdio::dup2_stderr(&null);
    }
    let ignored = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let _ = signal_hook::flag::register(signal_hook::consts::SIGHUP, ignored);
}
