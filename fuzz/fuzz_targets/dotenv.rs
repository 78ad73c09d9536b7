//! `.env` files through `KeyFile`: reading arbitrary bytes (dotenvy), and
//! `KeyFile::set` (what `yat keys set` does) on files that read.
//!
//! Input: the file's bytes, optionally followed by a NUL byte and the value
//! to set; the variable set is `K` or `OPENAI_API_KEY` (the first byte's
//! low bit).
//!
//! Checked: no panic; on a file that reads, setting a variable leaves a file
//! that reads, with that variable's value (as sanitised) and every other
//! variable unchanged (values compared as `KeyFile::get` gives them:
//! trimmed like every key); unsetting it again removes it and nothing else. Files
//! that use `$` substitution are only checked for panics: substitution
//! makes their values depend on each other. (A value set may hold `$`.)
#![no_main]

use std::collections::BTreeMap;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use yat_core::config::KeyFile;
use yat_core::YatError;

/// Every variable of the file with its value.
fn read_all(keys: &KeyFile) -> Result<BTreeMap<String, String>, YatError> {
    let mut out = BTreeMap::new();
    for var in keys.list()? {
        let value = keys.get(&var)?.expect("a listed variable has a value");
        out.insert(var, value.expose().to_owned());
    }
    Ok(out)
}

fn dir() -> &'static Path {
    yat_fuzz::scratch_dir("dotenv")
}

fuzz_target!(|data: &[u8]| {
    let (file, value) = match data.iter().position(|&b| b == 0) {
        Some(i) => (
            &data[..i],
            Some(String::from_utf8_lossy(&data[i + 1..]).into_owned()),
        ),
        None => (data, None),
    };
    let var = if data.first().is_some_and(|b| b & 1 == 1) {
        "OPENAI_API_KEY"
    } else {
        "K"
    };
    let path = dir().join(".env");
    std::fs::write(&path, file).unwrap();
    let keys = KeyFile::new(&path);
    let before = read_all(&keys);
    if let Err(e) = &before {
        let _ = e.to_string();
    }
    if let (Ok(before), Some(value)) = (before, value) {
        let checked = !file.contains(&b'$');
        match keys.set(var, &value) {
            Ok(()) => {
                let after = read_all(&keys);
                if checked {
                    let after = after.expect("the file yat wrote must read back");
                    let want = yat_core::secret::sanitize(&value);
                    assert_eq!(
                        after.get(var).map(String::as_str),
                        Some(want),
                        "the value set"
                    );
                    for (k, v) in &before {
                        if k != var {
                            assert_eq!(after.get(k), Some(v), "{k} was changed");
                        }
                    }
                    for k in after.keys() {
                        assert!(k == var || before.contains_key(k), "{k} appeared");
                    }
                }
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
        if keys.unset(var).is_ok() && checked {
            let after = read_all(&keys).expect("the file yat wrote must read back");
            assert!(!after.contains_key(var), "{var} is still set");
            let mut others = before.clone();
            others.remove(var);
            assert_eq!(after, others, "unsetting {var} changed other variables");
        }
    }
    let _ = std::fs::remove_file(&path);
});
