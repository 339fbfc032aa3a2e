//! Cross-crate integration tests of Yardmaster live in `tests/tests/`. This
//! library is what every crate's tests share: [`reference`], the one way a
//! test finds reference data kept outside the repository.
//!
//! Reference data (the official VDA 5050 schemas, the LIF examples, the
//! MovingAI and competition benchmarks) lives in `../shared` beside the
//! repository, or wherever `YARDMASTER_SHARED` says. A bare clone has none:
//! then a test that needs it skips that part with one line on stderr naming
//! what was skipped and why, and passes on what it can check without it.
//! CI sets `YARDMASTER_REQUIRE_SHARED=1`, which turns a skip into a failure.
//!
//! ```
//! if let Some(schemas) = tests::reference("vda5050/schemas/2.1.0", "doc example") {
//!     assert!(schemas.is_dir());
//! }
//! ```

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Mutex;

/// The environment variable naming the reference data's folder.
pub const SHARED_VAR: &str = "YARDMASTER_SHARED";
/// Set (to anything) to make a missing reference a failure instead of a skip.
pub const REQUIRE_VAR: &str = "YARDMASTER_REQUIRE_SHARED";

/// The reference data's folder: `$YARDMASTER_SHARED`, or `../shared` beside the repository.
pub fn shared_root() -> PathBuf {
    std::env::var_os(SHARED_VAR)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"))
}

/// `rel` inside the reference data, if it is there. If it is not, says
/// once (per process and path) on stderr that `what` is skipped and why —
/// written past the test harness's capture, so it shows — and returns
/// `None`; with `YARDMASTER_REQUIRE_SHARED` set it panics instead.
pub fn reference(rel: &str, what: &str) -> Option<PathBuf> {
    let path = shared_root().join(rel);
    if path.exists() {
        return Some(path);
    }
    let why = format!("{} is missing (set {SHARED_VAR} to the reference data's folder)", path.display());
    if std::env::var_os(REQUIRE_VAR).is_some() {
        panic!("{what}: {why}; {REQUIRE_VAR} is set, so this is a failure, not a skip");
    }
    static SAID: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut said = SAID.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let key = format!("{rel}\n{what}");
    if !said.contains(&key) {
        said.push(key);
        let _ = writeln!(std::io::stderr(), "skipped: {what}: {why}");
    }
    None
}

/// Set (to anything) to make a missing outside tool (a Python package a
/// test checks our output with) a failure instead of a skip. CI sets it.
pub const REQUIRE_TOOLS_VAR: &str = "YARDMASTER_REQUIRE_TOOLS";

/// Whether `python3` can import every one of `modules`. If not, says on
/// stderr that `what` is skipped (`.ci/run` installs them with pip) and
/// returns false; with `YARDMASTER_REQUIRE_TOOLS` set it panics instead.
pub fn python_with(modules: &[&str], what: &str) -> bool {
    let imports = modules.iter().map(|m| format!("import {m}")).collect::<Vec<_>>().join("; ");
    let ok = std::process::Command::new("python3")
        .args(["-c", &imports])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return true;
    }
    let why = format!("python3 cannot import {}", modules.join(", "));
    if std::env::var_os(REQUIRE_TOOLS_VAR).is_some() {
        panic!("{what}: {why}; {REQUIRE_TOOLS_VAR} is set, so this is a failure, not a skip");
    }
    let _ = writeln!(std::io::stderr(), "skipped: {what}: {why} (pip install {})", modules.join(" "));
    false
}

/// The path of `program` (on `PATH`, or in `/usr/sbin` where Debian puts
/// daemons such as `mosquitto`). If it is missing, says on stderr that
/// `what` is skipped (`.ci/run` installs it with `apt-get install
/// {package}`) and returns `None`; with `YARDMASTER_REQUIRE_TOOLS` set it
/// panics instead.
pub fn program(program: &str, package: &str, what: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")])
        .map(|dir| dir.join(program))
        .find(|p| p.is_file());
    if found.is_none() {
        let why = format!("{program} is not installed");
        if std::env::var_os(REQUIRE_TOOLS_VAR).is_some() {
            panic!("{what}: {why}; {REQUIRE_TOOLS_VAR} is set, so this is a failure, not a skip");
        }
        let _ = writeln!(std::io::stderr(), "skipped: {what}: {why} (apt-get install {package})");
    }
    found
}

/// A Mosquitto broker on a free loopback port, with no persistence and
/// anonymous clients; killed (and its folder removed) when dropped.
pub struct Broker {
    child: std::process::Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
    dir: PathBuf,
}

impl Broker {
    /// Starts one, or `None` (with a skip line) if `mosquitto` is not
    /// installed; see [`program`].
    pub fn start(what: &str) -> Option<Broker> {
        let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
        Broker::start_on(what, port)
    }

    /// Starts one on `port` (to restart a broker where its clients expect it).
    #[expect(clippy::disallowed_methods, reason = "a test helper bounds its waiting with the wall clock")]
    pub fn start_on(what: &str, port: u16) -> Option<Broker> {
        let mosquitto = program("mosquitto", "mosquitto", what)?;
        let dir = std::env::temp_dir().join(format!("yardmaster-mosquitto-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        let conf = dir.join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!("listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"),
        )
        .ok()?;
        let child = std::process::Command::new(mosquitto)
            .args(["-c", &conf.display().to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(dir.join("mosquitto.log")).ok()?)
            .spawn()
            .ok()?;
        let broker = Broker { child, port, dir };
        let started = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "mosquitto did not listen on {port}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Some(broker)
    }

    /// Its address for `--mqtt`.
    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
