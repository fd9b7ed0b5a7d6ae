//! The device key at rest: the client database is private to its owner, keys are sealed at the
//! stronger Argon2id cost and still open at the old one, and weak new passphrases are refused.

use tally_client::{identity, ClientError, LocalStore};
use tally_tlog::{KeyType, SignerKey};

/// A key sealed by the previous release's `identity::seal` (Argon2id 19 MiB, 2 passes, 1 lane)
/// under the passphrase "pass phrase": the seed is 32 bytes of 42, the name "old-dock".
const OLD_SEALED: &str = "tally-sealed-key/v1 argon2id m=19456 t=2 p=1 mGgDaMvD4PTYaNlRz3fqHw== \
    lMWmtwtmCJY31wALMgGhFVwtKJEdDkct AkmrTeFCuXVNlJ3QMAGqs4zHWkpTOikItNgiciuK97E7hgFE3M2jDQofe9IN9\
    AeqygvWNA8boX1vvA8CeM5V3LXN8KPzp/f6kRyMKiZGNRfteRwHkEnVdtN0";
const OLD_VERIFIER: &str = "old-dock+cd895baa+ARl/ayPhbIUyxqvIOPrNXqeJvgx2spIDNAOb+os9No1h";

/// A passphrase that passes the strength rule.
const STRONG: &str = "plum mosaic ferry quietly";

#[test]
fn a_key_sealed_with_the_old_19_mib_cost_still_opens() {
    // Its passphrase would not pass today's rule for new keys: opening never applies it.
    assert!(identity::check_passphrase("pass phrase").is_err());
    let key = identity::unseal(OLD_SEALED, "pass phrase").unwrap();
    assert_eq!(key.verifier().to_string(), OLD_VERIFIER);
    let seed = SignerKey::from_seed("old-dock", KeyType::Ed25519, &[42u8; 32]).unwrap();
    assert_eq!(key.verifier(), seed.verifier());
    assert!(matches!(
        identity::unseal(OLD_SEALED, "pass phrasE"),
        Err(ClientError::WrongPassphrase)
    ));
}

#[test]
fn new_keys_are_sealed_at_the_stronger_default_cost() {
    // RFC 9106's second recommended option, 64 MiB and 3 passes (one lane here), at least.
    const { assert!(identity::KDF_MEMORY_KIB >= 64 * 1024 && identity::KDF_PASSES >= 3) };
    let key = identity::generate("dock-3").unwrap();
    let sealed = identity::seal(&key, STRONG).unwrap();
    let header = format!(
        "tally-sealed-key/v1 argon2id m={} t={} p={} ",
        identity::KDF_MEMORY_KIB,
        identity::KDF_PASSES,
        identity::KDF_LANES
    );
    assert!(sealed.starts_with(&header), "{sealed}");
    assert!(sealed.starts_with("tally-sealed-key/v1 argon2id m=65536 t=3 p=1 "));
    assert!(!sealed.contains(&key.to_secret_string()));
    assert_eq!(
        identity::unseal(&sealed, STRONG).unwrap().verifier(),
        key.verifier()
    );
    assert!(matches!(
        identity::unseal(&sealed, "plum mosaic ferry quietly!"),
        Err(ClientError::WrongPassphrase)
    ));
}

#[test]
fn weak_passphrases_are_refused_with_the_reason_and_what_to_do() {
    let key = identity::generate("dock-3").unwrap();
    let refused = |pass: &str| -> String {
        let err = identity::check_passphrase(pass)
            .expect_err(pass)
            .to_string();
        // `seal` applies the same rule, before spending anything on the KDF.
        assert_eq!(identity::seal(&key, pass).unwrap_err().to_string(), err);
        assert!(err.contains("passphrase too weak"), "{err}");
        assert!(err.contains("uncommon words"), "{err}");
        err
    };
    for short in ["", "hunter2", "Tr0ub4dor&3", "ab cd ef gh"] {
        let err = refused(short);
        assert!(err.contains("needs at least 12"), "{err}");
    }
    for guessable in [
        "password1234",
        "aaaaaaaaaaaa",
        "qwertyuiop123",
        "hunter2hunter2",
    ] {
        let err = refused(guessable);
        assert!(err.contains("too easy to guess"), "{err}");
    }
    assert!(refused("password1234").contains("very common password"));
    // Long and unusual enough: a few words (this one is what the end-to-end tests use), or a
    // random string.
    for strong in [
        STRONG,
        "correct horse battery",
        "dock 3 at the Shanghai pier",
        "x7#Kq9!mZ2@pLw4",
    ] {
        identity::check_passphrase(strong).unwrap_or_else(|e| panic!("{strong}: {e}"));
    }
    // Characters, not bytes: twelve CJK characters are long enough for the length rule.
    let err = identity::check_passphrase("上海码头三号仓库扫描设备").err();
    assert!(
        err.as_ref()
            .is_none_or(|e| !e.to_string().contains("needs at least")),
        "{err:?}"
    );
}

#[test]
fn unsealing_never_judges_the_passphrase() {
    let key = identity::generate("dock-3").unwrap();
    for weak in ["x", "password", "pass phrase"] {
        let sealed = identity::seal_with(&key, weak, 64, 1).unwrap();
        assert_eq!(
            identity::unseal(&sealed, weak).unwrap().verifier(),
            key.verifier()
        );
    }
}

#[cfg(unix)]
mod modes {
    use super::*;
    use nix::sys::stat::{umask, Mode};
    use std::os::unix::fs::PermissionsExt as _;
    use std::path::Path;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode()
            & 0o777
    }

    fn side(db: &Path, suffix: &str) -> std::path::PathBuf {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        name.into()
    }

    #[test]
    fn the_client_db_and_its_wal_are_created_0600_under_umask_022() {
        // Both tests of this binary that create files set the same umask.
        umask(Mode::from_bits_truncate(0o022));
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        std::fs::write(&plain, b"x").unwrap();
        assert_eq!(mode(&plain), 0o644, "the umask lets others read new files");

        let db = dir.path().join("client.db");
        let store = LocalStore::open(&db).unwrap();
        store.set_setting("role", "warehouse").unwrap();
        let key = identity::generate("dock-3").unwrap();
        let sealed = identity::seal_with(&key, STRONG, 64, 1).unwrap();
        store
            .create_device("dock-3", &key.verifier().to_string(), &sealed, 1)
            .unwrap();
        assert_eq!(mode(&db), 0o600, "client.db");
        assert_eq!(mode(&side(&db, "-wal")), 0o600, "client.db-wal");
        assert_eq!(mode(&side(&db, "-shm")), 0o600, "client.db-shm");
        drop(store);
        let again = LocalStore::open(&db).unwrap();
        assert_eq!(again.device().unwrap().unwrap().sealed_key, sealed);
        assert_eq!(mode(&db), 0o600);
    }

    #[test]
    fn an_existing_readable_db_and_its_side_files_are_tightened_when_opened() {
        umask(Mode::from_bits_truncate(0o022));
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("client.db");
        // A database as an older release left it: created under the umask, in WAL mode, with its
        // -wal and -shm files present (another connection still has it open).
        let old = rusqlite::Connection::open(&db).unwrap();
        old.pragma_update(None, "journal_mode", "WAL").unwrap();
        old.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
            .unwrap();
        for f in [db.clone(), side(&db, "-wal"), side(&db, "-shm")] {
            assert_eq!(mode(&f), 0o644, "{}", f.display());
        }
        let store = LocalStore::open(&db).unwrap();
        store.set_setting("role", "warehouse").unwrap();
        for f in [db.clone(), side(&db, "-wal"), side(&db, "-shm")] {
            assert_eq!(mode(&f), 0o600, "{}", f.display());
        }
        let n: i64 = old
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
    }
}
