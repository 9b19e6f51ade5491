//! The token cache: one JSON file per pool + client + user, written atomically, with a
//! lock per entry so two processes never refresh the same sign-in at once.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::{AwsContext, AwsError, ErrorKind, PoolUser, refresh};
use crate::domain::tokens::{Tokens, cache_key};

/// The token cache: one JSON file per pool + client + user, mode 0600, in a 0700 directory
/// under the platform cache dir. (No OS keyring: see docs/invoke.md.)
#[derive(Debug, Clone)]
pub struct TokenCache {
    dir: PathBuf,
}

impl TokenCache {
    /// The cache under the platform cache dir (`$XDG_CACHE_HOME/protoctl/tokens` on Linux).
    pub fn platform() -> Result<Self, AwsError> {
        directories::ProjectDirs::from("", "", "protoctl")
            .map(|d| Self::at(d.cache_dir().join("tokens")))
            .ok_or_else(|| {
                AwsError::new(ErrorKind::Config, "no home directory for the token cache")
            })
    }

    /// A cache in `dir` (tests).
    pub fn at(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// The file holding `user`'s tokens.
    pub fn path(&self, user: &PoolUser) -> PathBuf {
        self.dir.join(format!(
            "{}.json",
            cache_key(&user.user_pool_id, &user.client_id, &user.username)
        ))
    }

    fn lock_path(&self, user: &PoolUser) -> PathBuf {
        self.path(user).with_extension("lock")
    }

    fn last_user_path(&self, pool: &str, client: &str) -> PathBuf {
        self.dir
            .join(format!("{}.last-user", cache_key(pool, client, "")))
    }

    /// The cached tokens of `user`, if any (an unreadable file counts as none).
    pub fn load(&self, user: &PoolUser) -> Option<Tokens> {
        let text = std::fs::read_to_string(self.path(user)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// The user who last signed in to this pool and client.
    pub fn last_user(&self, pool: &str, client: &str) -> Option<String> {
        let s = std::fs::read_to_string(self.last_user_path(pool, client)).ok()?;
        let s = s.trim();
        (!s.is_empty()).then(|| s.to_string())
    }

    /// Stores `tokens` for `user` (atomically, private to the user).
    pub fn store(&self, user: &PoolUser, tokens: &Tokens) -> Result<(), AwsError> {
        let io = |e: std::io::Error| {
            AwsError::new(
                ErrorKind::Config,
                format!(
                    "cannot write the token cache in {}: {e}",
                    self.dir.display()
                ),
            )
        };
        self.ensure_dir().map_err(io)?;
        let json = serde_json::to_vec(tokens)
            .map_err(|e| AwsError::new(ErrorKind::Other, e.to_string()))?;
        write_private(&self.path(user), &json).map_err(io)?;
        write_private(
            &self.last_user_path(&user.user_pool_id, &user.client_id),
            user.username.as_bytes(),
        )
        .map_err(io)
    }

    /// Forgets `user`'s tokens.
    pub fn remove(&self, user: &PoolUser) {
        let _ = std::fs::remove_file(self.path(user));
    }

    fn ensure_dir(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(())
    }
}

/// Temp files written so far by this process: with the pid, a unique name per write, so two
/// tasks (or two processes) storing at once never share a half-written file.
static TMP_SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let seq = TMP_SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp{}-{seq}", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let written = opts.open(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(())
}

/// How long a refresh waits for another process's refresh of the same user to finish.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// An exclusive advisory lock on one user's cache entry, held while its tokens are refreshed
/// and stored, so two processes never refresh the same sign-in at once. Released on drop.
struct EntryLock {
    _file: std::fs::File,
}

impl EntryLock {
    /// Waits (without blocking the runtime) up to [`LOCK_WAIT`] for the lock; `None` when
    /// it cannot be had (an unlockable file system, or a holder that never lets go), in which
    /// case the caller goes on unlocked: the atomic replace still keeps the file whole.
    async fn acquire(path: &std::path::Path) -> Option<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .ok()?;
        let deadline = tokio::time::Instant::now() + LOCK_WAIT;
        loop {
            match file.try_lock() {
                Ok(()) => return Some(Self { _file: file }),
                Err(std::fs::TryLockError::WouldBlock)
                    if tokio::time::Instant::now() < deadline =>
                {
                    tokio::time::sleep(std::time::Duration::from_millis(25)).await;
                }
                Err(e) => {
                    tracing::warn!("token cache lock {}: {e:?}", path.display());
                    return None;
                }
            }
        }
    }
}

/// The cached tokens of `user`, refreshed (and re-cached) when under 5 minutes remain.
/// `Ok(None)` when there is no usable sign-in.
pub async fn cached_tokens(
    ctx: &AwsContext,
    cache: &TokenCache,
    user: &PoolUser,
    now: DateTime<Utc>,
) -> Result<Option<Tokens>, AwsError> {
    let Some(tokens) = cache.load(user) else {
        return Ok(None);
    };
    if !tokens.needs_refresh(now) {
        return Ok(Some(tokens));
    }
    let _lock = match cache.ensure_dir() {
        Ok(()) => EntryLock::acquire(&cache.lock_path(user)).await,
        Err(_) => None,
    };
    // Another process may have refreshed while this one waited for the lock.
    let Some(tokens) = cache.load(user) else {
        return Ok(None);
    };
    if !tokens.needs_refresh(now) {
        return Ok(Some(tokens));
    }
    match refresh(ctx, user, &tokens, now).await {
        Ok(fresh) => {
            cache.store(user, &fresh)?;
            Ok(Some(fresh))
        }
        Err(e) if e.kind == ErrorKind::AccessDenied || e.kind == ErrorKind::Credentials => {
            cache.remove(user);
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str) -> PoolUser {
        PoolUser {
            user_pool_id: "us-east-1_abc".into(),
            client_id: "client1".into(),
            client_secret: Some("s3cret".into()),
            username: name.into(),
        }
    }

    #[cfg(unix)]
    #[test]
    fn concurrent_stores_never_leave_a_half_written_cache() {
        let base = std::env::temp_dir().join(format!("protoctl-cache-race-{}", std::process::id()));
        let cache = TokenCache::at(base.join("tokens"));
        let u = user("race@example.com");
        let write = |n: usize| Tokens {
            id_token: format!("id.{n}.{}", "x".repeat(n % 7 * 512)),
            access_token: format!("access.{n}"),
            refresh_token: Some(format!("r{n}")),
            expires_at: Utc::now(),
        };
        cache.store(&u, &write(0)).unwrap();
        std::thread::scope(|s| {
            for t in 0..6 {
                let (cache, u) = (&cache, &u);
                s.spawn(move || {
                    for i in 0..40 {
                        cache.store(u, &write(t * 100 + i)).unwrap();
                    }
                });
            }
            s.spawn(|| {
                for _ in 0..400 {
                    let t = cache
                        .load(&u)
                        .expect("always a whole, parseable cache file");
                    let n = t.access_token.trim_start_matches("access.");
                    assert_eq!(t.refresh_token.as_deref(), Some(format!("r{n}").as_str()));
                }
            });
        });
        let leftovers: Vec<_> = std::fs::read_dir(base.join("tokens"))
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
        let _ = std::fs::remove_dir_all(base);
    }

    #[tokio::test]
    async fn the_entry_lock_is_exclusive_and_released_on_drop() {
        let base = std::env::temp_dir().join(format!("protoctl-cache-lock-{}", std::process::id()));
        std::fs::create_dir_all(&base).unwrap();
        let path = base.join("u.lock");
        let held = EntryLock::acquire(&path).await.expect("first holder");
        let other = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        assert!(matches!(
            other.try_lock(),
            Err(std::fs::TryLockError::WouldBlock)
        ));
        drop(held);
        assert!(other.try_lock().is_ok());
        let _ = std::fs::remove_dir_all(base);
    }

    #[test]
    fn cache_files_are_private_and_round_trip() {
        use std::os::unix::fs::PermissionsExt;
        let base = std::env::temp_dir().join(format!("protoctl-cache-{}", std::process::id()));
        let cache = TokenCache::at(base.join("tokens"));
        let u = user("ana@example.com");
        let t = Tokens {
            id_token: "a.b.c".into(),
            access_token: "d.e.f".into(),
            refresh_token: Some("r".into()),
            expires_at: Utc::now(),
        };
        cache.store(&u, &t).unwrap();
        let back = cache.load(&u).unwrap();
        assert_eq!(back.id_token, "a.b.c");
        assert_eq!(
            cache.last_user("us-east-1_abc", "client1").as_deref(),
            Some("ana@example.com")
        );
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&cache.path(&u)), 0o600);
        assert_eq!(mode(&base.join("tokens")), 0o700);
        assert!(cache.load(&user("other")).is_none());
        let _ = std::fs::remove_dir_all(base);
    }
}
