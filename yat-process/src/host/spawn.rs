//! Starting a child, with the one retry a busy executable deserves.

use std::time::Duration;

use tokio::process::{Child, Command};

/// `ETXTBSY` on Linux: the program is open for writing somewhere.
const TEXT_FILE_BUSY: i32 = 26;

/// Spawns `cmd`, retrying a few times over ~200 ms when the program is
/// "text file busy": the exec raced with a write of the file (a plugin
/// being installed, or any thread of this program that forked while
/// another had a file open for writing, whose child inherits that
/// descriptor until its own exec). Any other error is returned at once.
pub(crate) async fn spawn(cmd: &mut Command) -> std::io::Result<Child> {
    let mut waits = [10u64, 40, 150].into_iter();
    loop {
        match cmd.spawn() {
            Err(e) if cfg!(unix) && e.raw_os_error() == Some(TEXT_FILE_BUSY) => {
                match waits.next() {
                    Some(ms) => tokio::time::sleep(Duration::from_millis(ms)).await,
                    None => return Err(e),
                }
            }
            other => return other,
        }
    }
}
