//! What the live processes (`yardmaster`, `agv-agent`, `yard-sim live`)
//! share and the sans-IO cores never see: the wall clock ([`clock`]),
//! shutdown on SIGINT/SIGTERM ([`shutdown_flag`]), dying with the
//! parent ([`die_with_parent`]) and logging
//! ([`init_logging`]). It sits beside `protocol` rather than in it: the
//! wire-format crate reads no clock.
//!
//! ```
//! let clock = live::clock::WallClock::new(10.0, None);
//! assert_eq!(clock.real(1000), std::time::Duration::from_millis(100));
//! ```

pub mod clock;
pub mod mqtt;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// A flag set on SIGINT or SIGTERM (the process then finishes its step
/// and shuts down cleanly). The handler is installed once per process;
/// later calls return the same flag.
pub fn shutdown_flag() -> Result<Arc<AtomicBool>, ctrlc::Error> {
    static FLAG: std::sync::OnceLock<Arc<AtomicBool>> = std::sync::OnceLock::new();
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _once = INSTALL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(flag) = FLAG.get() {
        return Ok(flag.clone());
    }
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    ctrlc::set_handler(move || flag.store(true, std::sync::atomic::Ordering::SeqCst))?;
    let _ = FLAG.set(stop.clone());
    Ok(stop)
}

/// The process could not be tied to its parent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParentError {
    /// The system call failed.
    #[error("cannot ask for a signal at the parent's death: {0}")]
    Failed(String),
    /// The parent is already gone.
    #[error("the parent process is already gone")]
    Orphan,
    /// Not on Linux.
    #[error("dying with the parent needs Linux (prctl PR_SET_PDEATHSIG)")]
    Unsupported,
}

/// Asks the kernel to send this process SIGTERM when its parent dies
/// (Linux's parent-death signal), so that a child of a launcher killed
/// with SIGKILL does not run on as an orphan; SIGTERM then shuts it down
/// cleanly through [`shutdown_flag`]. Fails if the parent is already gone.
pub fn die_with_parent() -> Result<(), ParentError> {
    #[cfg(target_os = "linux")]
    {
        let parent = std::os::unix::process::parent_id();
        nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGTERM)
            .map_err(|e| ParentError::Failed(e.to_string()))?;
        // The parent may have died before the call: then nobody would signal us.
        if std::os::unix::process::parent_id() != parent || parent == 1 {
            return Err(ParentError::Orphan);
        }
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        Err(ParentError::Unsupported)
    }
}

/// Logs to stderr, filtered by `RUST_LOG` or else `default` (`info`, `warn`, …).
pub fn init_logging(default: &str) {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default)),
        )
        .with_writer(std::io::stderr)
        // Colours only on a terminal: logs redirected to a file stay plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}
