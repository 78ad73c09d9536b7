//! How many times a command reads the configuration file.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use super::{yat_bin, Output, Sandbox};

/// Runs `yat ARGS...` with the configuration file `content`, counting
/// how many times yat opens the file. The file is a FIFO that a thread
/// serves afresh for each open of yat's: a writer's open waits for a
/// reader, and the next one is made only once yat has closed the file again
/// (seen in `/proc/PID/fd`), so each open is served whole and on its own.
#[cfg(target_os = "linux")]
pub fn config_reads(sb: &Sandbox, content: &str, args: &[&str]) -> (Output, usize) {
    let config = sb.config_file();
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(&config)
        .status()
        .unwrap();
    assert!(made.success());

    let mut cmd = std::process::Command::new(yat_bin());
    cmd.env_clear()
        .current_dir(sb.work_dir())
        .envs(sb.env())
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    let fds = std::path::PathBuf::from(format!("/proc/{}/fd", child.id()));

    let served = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let server = {
        let (config, served, done) = (config.clone(), served.clone(), done.clone());
        let content = content.to_owned();
        let config_path = config.clone();
        // Whether yat has the file open; `None` once it has exited.
        let held = move || -> Option<bool> {
            let entries = std::fs::read_dir(&fds).ok()?;
            Some(
                entries
                    .flatten()
                    .any(|e| std::fs::read_link(e.path()).is_ok_and(|t| t == config_path)),
            )
        };
        std::thread::spawn(move || loop {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .open(&config)
                .unwrap();
            if done.load(Ordering::SeqCst) {
                return;
            }
            served.fetch_add(1, Ordering::SeqCst);
            // The reader's open returns now that a writer is here; wait
            // until it has, so that its close below can be seen.
            while held() == Some(false) {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            // A reader that stops early is still counted; its error is yat's.
            let _ = f.write_all(content.as_bytes());
            drop(f);
            while held() == Some(true) {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        })
    };
    let out = Output::from(child.wait_with_output().unwrap());
    // Release the server: this open is the test's own, not yat's.
    done.store(true, Ordering::SeqCst);
    let mut rest = String::new();
    std::fs::File::open(&config)
        .unwrap()
        .read_to_string(&mut rest)
        .unwrap();
    server.join().unwrap();
    (out, served.load(Ordering::SeqCst))
}
