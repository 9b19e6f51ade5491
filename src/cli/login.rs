//! `protoctl login`: signs in to the Cognito user pool and caches the tokens.
//! The password comes from `PROTOCTL_PASSWORD` or a hidden prompt, never from argv.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use crossterm::event::{Event, KeyCode, KeyEventKind, KeyModifiers};
use serde_json::json;

use super::Context;
use super::output::print_json;
use crate::aws::cloudformation;
use crate::aws::cognito::{self, Flow, PoolUser, SignIn, TokenCache};
use crate::cli::OutputFormat;
use crate::domain::sanitize::sanitize;
use crate::domain::stack::Stack;
use crate::domain::tokens::{Tokens, decode_claims};

/// The environment variable a password may come from (scripts, CI).
pub const PASSWORD_ENV: &str = "PROTOCTL_PASSWORD";
/// The environment variable a new password (NEW_PASSWORD_REQUIRED) may come from.
pub const NEW_PASSWORD_ENV: &str = "PROTOCTL_NEW_PASSWORD";
const MAX_SECRET_LEN: usize = 256;

/// Resolves the pool, client and user: `--user`, else `[cognito] username`, else the
/// last user signed in to that pool, else a prompt.
pub fn pool_user(
    ctx: &Context,
    stack: Option<&Stack>,
    user: Option<&str>,
    prompt: bool,
) -> anyhow::Result<PoolUser> {
    let (pool, client) = cognito::pool_for(&ctx.config.cognito, stack)?;
    let cache = TokenCache::platform()?;
    let username = match user
        .map(str::to_string)
        .or_else(|| ctx.config.cognito.username.clone())
        .or_else(|| cache.last_user(&pool, &client))
    {
        Some(u) => u,
        None if prompt && std::io::stdin().is_terminal() => read_line("username: ")?,
        None => anyhow::bail!("no user: pass --user, or set [cognito] username in the config"),
    };
    Ok(PoolUser {
        user_pool_id: pool,
        client_id: client,
        client_secret: ctx.config.cognito.client_secret.clone(),
        username,
    })
}

/// Signs in with the password from the environment or a hidden prompt, answers
/// NEW_PASSWORD_REQUIRED, and stores the tokens.
pub async fn sign_in_and_store(ctx: &Context, user: &PoolUser) -> anyhow::Result<Tokens> {
    let flow = Flow::parse(&ctx.config.cognito.auth_flow).map_err(anyhow::Error::msg)?;
    let password = read_secret(
        PASSWORD_ENV,
        &format!("password for {}: ", sanitize(&user.username)),
    )?;
    let now = ctx.clock.now();
    let tokens = match cognito::sign_in(&ctx.aws, user, &password, flow, now).await? {
        SignIn::Tokens(t) => t,
        SignIn::NewPasswordRequired { session } => {
            let new = read_secret(
                NEW_PASSWORD_ENV,
                "a new password is required; new password: ",
            )?;
            cognito::complete_new_password(&ctx.aws, user, &session, &new, now).await?
        }
    };
    TokenCache::platform()?.store(user, &tokens)?;
    Ok(tokens)
}

/// Runs `login`.
pub async fn run(
    ctx: &Context,
    user: Option<&str>,
    stack: Option<&str>,
    print_token: bool,
) -> anyhow::Result<ExitCode> {
    let stack = match stack {
        Some(s) => Some(cloudformation::resolve(&ctx.aws, s, &ctx.filters).await?),
        None => None,
    };
    let user = pool_user(ctx, stack.as_ref(), user, true)?;
    let tokens = sign_in_and_store(ctx, &user).await?;
    let claims = decode_claims(&tokens.id_token).unwrap_or_default();
    let sub = claims.get("sub").and_then(|v| v.as_str()).unwrap_or("");
    match ctx.output {
        OutputFormat::Json => {
            let mut v = json!({
                "user": user.username,
                "user_pool_id": user.user_pool_id,
                "client_id": user.client_id,
                "sub": sub,
                "expires_at": crate::domain::time::rfc3339(tokens.expires_at),
                "cache": TokenCache::platform()?.path(&user),
            });
            if print_token {
                v["id_token"] = json!(tokens.id_token);
                v["access_token"] = json!(tokens.access_token);
            }
            print_json(&v)?;
        }
        OutputFormat::Table => {
            println!(
                "signed in as {} (pool {}, expires {})",
                sanitize(&user.username),
                sanitize(&user.user_pool_id),
                crate::domain::time::rfc3339(tokens.expires_at)
            );
            if print_token {
                println!("{}", tokens.id_token);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A secret from `env`, else read from the terminal with echo off.
fn read_secret(env: &str, prompt: &str) -> anyhow::Result<String> {
    if let Ok(p) = std::env::var(env)
        && !p.is_empty()
    {
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("no password: set {env} or run in a terminal for a hidden prompt");
    }
    read_hidden(prompt)
}

fn read_line(prompt: &str) -> anyhow::Result<String> {
    eprint!("{prompt}");
    std::io::stderr().flush()?;
    let mut s = String::new();
    std::io::stdin().read_line(&mut s)?;
    let s = s.trim().to_string();
    if s.is_empty() {
        anyhow::bail!("no user given");
    }
    Ok(s)
}

/// Reads a line in raw mode (nothing echoed); Esc or Ctrl-C abort.
fn read_hidden(prompt: &str) -> anyhow::Result<String> {
    eprint!("{prompt}");
    std::io::stderr().flush()?;
    crossterm::terminal::enable_raw_mode()?;
    let result = (|| {
        let mut s = String::new();
        loop {
            if let Event::Key(k) = crossterm::event::read()? {
                if k.kind == KeyEventKind::Release {
                    continue;
                }
                match k.code {
                    KeyCode::Enter => return Ok(s),
                    KeyCode::Esc => anyhow::bail!("sign-in cancelled"),
                    KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                        anyhow::bail!("sign-in cancelled")
                    }
                    KeyCode::Backspace => {
                        s.pop();
                    }
                    KeyCode::Char(c) if s.len() < MAX_SECRET_LEN => s.push(c),
                    _ => {}
                }
            }
        }
    })();
    let _ = crossterm::terminal::disable_raw_mode();
    eprintln!();
    result
}
