//! A shelf across two accounts on the emulator: moto keeps accounts apart by access key,
//! and an IAM CreateAccessKey sent with `x-moto-account-id: 222222222222` returns a key
//! whose requests land in that account. Two profiles in the isolated AWS files, one per
//! account, make a two-account shelf.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use serde_json::Value;

use crate::support::{endpoint, log_file, run, stderr, stdout};

const SANDBOX: &str = "222222222222";
const DEV: &str = "123456789012";
const TAGS: [(&str, &str); 2] = [("protoctl:prototype", "true"), ("team", "proto-lab")];
const TEMPLATE: &str = r#"{"Resources":{"Data":{"Type":"AWS::S3::Bucket"}}}"#;
/// A table with the same name in both accounts would hide a wrong account: the dev account
/// has no table of this name at all.
const LEDGER_TABLE: &str = "sandbox-ledger";
const LEDGER_TEMPLATE: &str = r#"{"Resources":{"Ledger":{"Type":"AWS::DynamoDB::Table","Properties":{"TableName":"sandbox-ledger","BillingMode":"PAY_PER_REQUEST","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}]}}}}"#;

/// The second account's set-up: the folder with the AWS files and configs, and the id of
/// the sandbox's `orders-dev` (a name the dev account has too).
struct TwoAccounts {
    dir: PathBuf,
    twin_id: String,
    /// The sandbox user's access key id and secret.
    key: (String, String),
}

fn in_sandbox(req: &mut HttpRequest) {
    req.headers_mut().insert("x-moto-account-id", SANDBOX);
}

/// Creates the sandbox account's user, alias, key and two tagged stacks.
async fn seed_sandbox() -> (String, String, String) {
    let admin = crate::support::aws().await;
    let iam = admin.iam();
    let _ = iam
        .create_user()
        .user_name("shelf-admin")
        .customize()
        .mutate_request(in_sandbox)
        .send()
        .await;
    let _ = iam
        .create_account_alias()
        .account_alias("proto-sandbox")
        .customize()
        .mutate_request(in_sandbox)
        .send()
        .await;
    let out = iam
        .create_access_key()
        .user_name("shelf-admin")
        .customize()
        .mutate_request(in_sandbox)
        .send()
        .await
        .expect("CreateAccessKey in the sandbox account");
    let key = out.access_key().expect("a key");
    let (id, secret) = (
        key.access_key_id().to_string(),
        key.secret_access_key().to_string(),
    );
    let cfn = sandbox_cfn(&admin, &id, &secret);
    let mut twin = String::new();
    for (name, template) in [
        ("orders-dev", TEMPLATE),
        ("sandbox-only-dev", TEMPLATE),
        ("sandbox-ledger-dev", LEDGER_TEMPLATE),
    ] {
        let mut req = cfn.create_stack().stack_name(name).template_body(template);
        for (k, v) in TAGS {
            req = req.tags(
                aws_sdk_cloudformation::types::Tag::builder()
                    .key(k)
                    .value(v)
                    .build(),
            );
        }
        let created = req
            .send()
            .await
            .expect("CreateStack in the sandbox account");
        if name == "orders-dev" {
            twin = created.stack_id().unwrap_or_default().to_string();
        }
    }
    // An item only the sandbox's ledger table holds: the console shows it only when it
    // reads the table with the sandbox's credentials.
    let ddb_conf = aws_sdk_dynamodb::config::Builder::from(&admin.sdk)
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            &id, &secret, None, None, "test",
        ))
        .build();
    aws_sdk_dynamodb::Client::from_conf(ddb_conf)
        .put_item()
        .table_name(LEDGER_TABLE)
        .item(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S("only-in-sandbox".into()),
        )
        .send()
        .await
        .expect("PutItem in the sandbox account");
    (id, secret, twin)
}

/// A CloudFormation client with the sandbox user's key.
fn sandbox_cfn(
    admin: &protoctl::aws::AwsContext,
    id: &str,
    secret: &str,
) -> aws_sdk_cloudformation::Client {
    let conf = aws_sdk_cloudformation::config::Builder::from(&admin.sdk)
        .credentials_provider(aws_sdk_cloudformation::config::Credentials::new(
            id, secret, None, None, "test",
        ))
        .build();
    aws_sdk_cloudformation::Client::from_conf(conf)
}

fn two_accounts() -> &'static TwoAccounts {
    static SETUP: OnceLock<TwoAccounts> = OnceLock::new();
    SETUP.get_or_init(|| {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let (id, secret, twin_id) = rt.block_on(seed_sandbox());
        let dir = std::env::temp_dir().join(format!("protoctl-accounts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("aws-config"),
            "[profile dev]\nregion = us-east-1\n\n[profile sandbox]\nregion = us-east-1\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("aws-credentials"),
            format!(
                "[dev]\naws_access_key_id = testing\naws_secret_access_key = testing\n\n[sandbox]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n"
            ),
        )
        .unwrap();
        let discovery = "[discovery]\ntags = [\"protoctl:prototype=true\", \"team=proto-lab\"]\nprofiles = [\"dev\", \"sandbox\"]\n";
        std::fs::write(dir.join("config.toml"), discovery).unwrap();
        std::fs::write(
            dir.join("ghost.toml"),
            discovery.replace("\"sandbox\"]", "\"sandbox\", \"ghost\"]"),
        )
        .unwrap();
        std::fs::write(
            dir.join("blocked.toml"),
            format!("{discovery}\n[teardown]\nblocked_accounts = [\"{SANDBOX}\"]\n"),
        )
        .unwrap();
        TwoAccounts {
            dir,
            twin_id,
            key: (id, secret),
        }
    })
}

fn protoctl_in(config: &str) -> Command {
    let setup = two_accounts();
    let mut c = Command::new(env!("CARGO_BIN_EXE_protoctl"));
    c.arg("--endpoint-url").arg(endpoint());
    c.arg("--config").arg(setup.dir.join(config));
    c.arg("--log-file").arg(log_file("accounts"));
    c.env("AWS_CONFIG_FILE", setup.dir.join("aws-config"));
    c.env(
        "AWS_SHARED_CREDENTIALS_FILE",
        setup.dir.join("aws-credentials"),
    );
    c
}

#[test]
fn the_shelf_lists_both_accounts_with_their_account_and_profile() {
    let mut c = protoctl_in("config.toml");
    c.args(["stacks", "--output", "json"]);
    let out = run(c);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let stacks: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let orders: Vec<&Value> = stacks
        .iter()
        .filter(|s| s["name"] == "orders-dev")
        .collect();
    assert_eq!(orders.len(), 2, "{orders:#?}");
    assert_eq!(orders[0]["account"], DEV);
    assert_eq!(orders[0]["profile"], "dev");
    assert_eq!(orders[1]["account"], SANDBOX);
    assert_eq!(orders[1]["profile"], "sandbox");
    assert_eq!(orders[1]["account_alias"], "proto-sandbox");
    assert_eq!(orders[1]["region"], "us-east-1");
    let url = orders[1]["console_url"].as_str().unwrap();
    assert!(url.contains("/cloudformation/home?region=us-east-1#/stacks/stackinfo?stackId=arn%3Aaws%3Acloudformation%3Aus-east-1%3A222222222222"), "{url}");
    let only = stacks
        .iter()
        .find(|s| s["name"] == "sandbox-only-dev")
        .unwrap();
    assert_eq!(only["account"], SANDBOX);
    assert!(
        !stacks.iter().any(|s| s["name"] == "scratch-dev"),
        "untagged stack leaked"
    );

    let mut c = protoctl_in("config.toml");
    c.arg("stacks");
    let out = run(c);
    let table = stdout(&out);
    assert!(table.contains("ACCOUNT"), "{table}");
    assert!(
        table.contains(&format!("{SANDBOX} (proto-sandbox)")),
        "{table}"
    );
}

#[test]
fn a_name_two_accounts_share_is_refused_listing_both() {
    let mut c = protoctl_in("config.toml");
    c.args(["resources", "orders-dev"]);
    let out = run(c);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("is in 2 places"), "{err}");
    assert!(err.contains(&two_accounts().twin_id), "{err}");
    assert!(err.contains(DEV) && err.contains("ARN"), "{err}");
}

#[test]
fn a_stack_id_or_a_name_only_one_account_has_works_in_that_account() {
    for stack in [two_accounts().twin_id.as_str(), "sandbox-only-dev"] {
        let mut c = protoctl_in("config.toml");
        c.args(["resources", stack, "--output", "json"]);
        let out = run(c);
        assert!(out.status.success(), "{stack}: {}", stderr(&out));
        let res: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(res.len(), 1, "{res:?}");
        assert_eq!(res[0]["logical_id"], "Data");
        let url = res[0]["console_url"].as_str().unwrap();
        assert!(
            url.starts_with("https://s3.console.aws.amazon.com/s3/buckets/"),
            "{url}"
        );
    }
}

#[test]
fn teardown_guards_apply_to_each_stacks_own_account() {
    let mut c = protoctl_in("blocked.toml");
    c.args(["teardown", &two_accounts().twin_id, "--output", "json"]);
    let out = run(c);
    assert_ne!(out.status.code(), Some(0), "a blocked account is refused");
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(text.contains(SANDBOX), "{text}");
    assert!(text.contains("blocked"), "{text}");

    let mut c = protoctl_in("blocked.toml");
    c.args(["teardown", "survey-dev", "--output", "json"]);
    let out = run(c);
    let text = stdout(&out);
    assert!(
        !text.contains("blocked_account"),
        "the dev account is not blocked: {text}"
    );
    assert!(text.contains(DEV) || text.contains("survey-dev"), "{text}");
}

fn doctor_checks(config: &str) -> (bool, Vec<Value>) {
    let mut c = protoctl_in(config);
    c.env("TERM", "xterm-256color")
        .env_remove("TERM_PROGRAM")
        .env_remove("TMUX")
        .args(["doctor", "--output", "json"]);
    let out = run(c);
    let checks: Vec<Value> =
        serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    (out.status.success(), checks)
}

#[test]
fn doctor_checks_every_profile_of_the_shelf() {
    let (ok, checks) = doctor_checks("config.toml");
    assert!(ok, "{checks:#?}");
    let sandbox = checks
        .iter()
        .find(|c| c["check"] == "profile:sandbox")
        .unwrap();
    assert!(
        sandbox["detail"].as_str().unwrap().contains(SANDBOX),
        "{sandbox}"
    );
    let dev = checks.iter().find(|c| c["check"] == "profile:dev").unwrap();
    assert!(dev["detail"].as_str().unwrap().contains(DEV), "{dev}");

    let (ok, checks) = doctor_checks("ghost.toml");
    assert!(!ok);
    let ghost = checks
        .iter()
        .find(|c| c["check"] == "profile:ghost")
        .unwrap();
    assert_eq!(ghost["ok"], false, "{ghost}");
    assert!(
        ghost["fix"].as_str().unwrap().contains("--profile ghost"),
        "{ghost}"
    );
}

/// A CloudFormation client in the sandbox account, or in the dev account.
async fn cfn_in(sandbox: bool) -> aws_sdk_cloudformation::Client {
    let admin = crate::support::aws().await;
    if sandbox {
        let (id, secret) = &two_accounts().key;
        sandbox_cfn(&admin, id, secret)
    } else {
        admin.cloudformation()
    }
}

/// Creates an expired (abandoned) prototype stack of `team` in the dev account or, with
/// `sandbox`, in the sandbox account; returns its id.
async fn expired_stack(name: &str, team: &str, sandbox: bool) -> String {
    let cfn = cfn_in(sandbox).await;
    let mut req = cfn.create_stack().stack_name(name).template_body(TEMPLATE);
    for (k, v) in [
        ("protoctl:prototype", "true"),
        ("team", team),
        ("expires-at", "2026-01-31"),
    ] {
        req = req.tags(
            aws_sdk_cloudformation::types::Tag::builder()
                .key(k)
                .value(v)
                .build(),
        );
    }
    let out = req.send().await.expect("CreateStack");
    out.stack_id().unwrap_or_default().to_string()
}

/// The status of a stack by id (the account is in the id; moto answers by the caller's).
async fn status_in(id: &str, sandbox: bool) -> Option<String> {
    let cfn = cfn_in(sandbox).await;
    let out = cfn.describe_stacks().stack_name(id).send().await.ok()?;
    out.stacks()
        .first()
        .and_then(|s| s.stack_status())
        .map(|s| s.as_str().to_string())
}

#[test]
fn teardown_abandoned_covers_every_profile_and_keeps_a_blocked_accounts_stacks() {
    // The set-up runs its own runtime: first, outside this test's.
    let dir = &two_accounts().dir;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let team = format!("acct-abandon-{}", std::process::id());
    let dev_name = format!("abandoned-dev-{}", std::process::id());
    let sandbox_name = format!("abandoned-sandbox-{}", std::process::id());
    let dev = rt.block_on(expired_stack(&dev_name, &team, false));
    let sandbox = rt.block_on(expired_stack(&sandbox_name, &team, true));
    let config = dir.join("abandon.toml");
    std::fs::write(
        &config,
        format!(
            "[discovery]\ntags = [\"protoctl:prototype=true\", \"team={team}\"]\nprofiles = [\"dev\", \"sandbox\"]\n[teardown]\nblocked_accounts = [\"{SANDBOX}\"]\n"
        ),
    )
    .unwrap();
    let audit = dir.join("abandon-audit.jsonl");
    let teardown = |extra: &[&str]| {
        let mut c = protoctl_in("abandon.toml");
        c.args(["teardown", "--abandoned", "--audit-log"])
            .arg(&audit)
            .args(extra);
        run(c)
    };

    // The plan: the dev account's abandoned stack; the sandbox's is kept, and said so.
    let out = teardown(&["--output", "json"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let plans: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let names: Vec<&str> = plans
        .iter()
        .map(|p| p["stack_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, [dev_name.as_str()], "{plans:#?}");
    let err = stderr(&out);
    assert!(
        err.contains(&format!("kept: {sandbox_name}")) && err.contains("blocked_accounts"),
        "{err}"
    );

    let out = teardown(&["--yes"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert!(stdout(&out).contains("deleted"), "{}", stdout(&out));
    let dev_status = rt.block_on(status_in(&dev, false));
    assert!(
        dev_status.is_none() || dev_status.as_deref() == Some("DELETE_COMPLETE"),
        "{dev_status:?}"
    );
    assert_eq!(
        rt.block_on(status_in(&sandbox, true)).as_deref(),
        Some("CREATE_COMPLETE"),
        "the blocked account's stack is kept"
    );

    // Without the guard, the sandbox's abandoned stack goes too, with the sandbox's own
    // credentials.
    std::fs::write(
        &config,
        format!(
            "[discovery]\ntags = [\"protoctl:prototype=true\", \"team={team}\"]\nprofiles = [\"dev\", \"sandbox\"]\n"
        ),
    )
    .unwrap();
    let out = teardown(&["--yes"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let sandbox_status = rt.block_on(status_in(&sandbox, true));
    assert!(
        sandbox_status.is_none() || sandbox_status.as_deref() == Some("DELETE_COMPLETE"),
        "{sandbox_status:?}"
    );
}

#[test]
fn every_per_stack_command_refuses_a_name_two_accounts_share() {
    let commands: [&[&str]; 8] = [
        &["resources", "orders-dev"],
        &["items", "orders-dev"],
        &["objects", "orders-dev"],
        &["errors", "orders-dev"],
        &["logs", "orders-dev", "--since", "1h"],
        &["teardown", "orders-dev"],
        &["shelve", "orders-dev"],
        &["cost", "orders-dev"],
    ];
    for args in commands {
        let mut c = protoctl_in("config.toml");
        c.args(args);
        let out = run(c);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("is in 2 places"), "{args:?}: {err}");
        assert!(err.contains(&two_accounts().twin_id), "{args:?}: {err}");
    }
}

#[test]
fn the_console_lists_both_accounts_and_opens_the_sandboxs_table_with_its_credentials() {
    let setup = two_accounts();
    let env = [
        ("AWS_CONFIG_FILE", setup.dir.join("aws-config")),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            setup.dir.join("aws-credentials"),
        ),
    ];
    let t = crate::e2e::Tmux::start_env(
        "accounts",
        &crate::support::endpoint(),
        &setup.dir.join("config.toml"),
        &env.iter()
            .map(|(k, v)| (*k, v.to_str().expect("a UTF-8 temp path")))
            .collect::<Vec<_>>(),
        &[],
    );
    let screen = t.wait_for("sandbox-ledger-dev");
    assert!(screen.contains("ACCOUNT"), "{screen}");
    // 120 columns: the alias is cut to what the ACCOUNT column holds.
    assert!(screen.contains("222222222222 (proto-sa"), "{screen}");
    assert!(screen.contains(DEV), "{screen}");
    assert!(screen.contains("sandbox-only-dev"), "{screen}");
    t.send(&["/"]);
    t.send(&["-l", "sandbox-ledger"]);
    t.send(&["Enter"]);
    t.wait_for("filter: sandbox-ledger");
    t.send(&["Enter"]);
    let screen = t.wait_for("Resources (");
    assert!(screen.contains("Ledger"), "{screen}");
    t.send(&["t"]);
    // The table's row (its title names the stack, which starts the same).
    t.wait_for("on-demand");
    t.send(&["Enter"]);
    let screen = t.wait_for("only-in-sandbox");
    assert!(!screen.contains("ResourceNotFound"), "{screen}");
    t.send(&["q"]);
    assert_eq!(t.wait_exit(), 0);
}

#[test]
fn the_console_lists_the_reachable_accounts_when_a_profile_fails() {
    let setup = two_accounts();
    let env = [
        ("AWS_CONFIG_FILE", setup.dir.join("aws-config")),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            setup.dir.join("aws-credentials"),
        ),
    ];
    let t = crate::e2e::Tmux::start_env(
        "accounts-ghost",
        &crate::support::endpoint(),
        &setup.dir.join("ghost.toml"),
        &env.iter()
            .map(|(k, v)| (*k, v.to_str().expect("a UTF-8 temp path")))
            .collect::<Vec<_>>(),
        &[],
    );
    // The notice of the failing profile comes first; the reachable accounts' stacks follow.
    t.wait_for("profile ghost");
    let screen = t.wait_for("sandbox-only-dev");
    assert!(screen.contains("survey-dev"), "{screen}");
    t.send(&["q"]);
    assert_eq!(t.wait_exit(), 0);
}
