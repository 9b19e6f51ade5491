//! Runs the query screen's effects: the stack's log groups, a run through the core's
//! split-and-merge (progress streamed back, StopQuery on cancel), the JSON lines export.

use std::io::Write as _;

use tokio::sync::mpsc::UnboundedSender;

use crate::app::Action;
use crate::app::query::{QueryEffect, QueryMsg};
use crate::aws::insights::{self, Row, RunOptions};
use crate::aws::{AwsContext, cloudformation, logs};
use crate::domain::queries::row_json;

/// Does `fx` and sends its result(s) back on `tx`.
pub async fn run(fx: QueryEffect, aws: &AwsContext, tx: &UnboundedSender<Action>) {
    let msg = match fx {
        QueryEffect::LoadGroups {
            request_id,
            stack_name,
            stack_id,
        } => QueryMsg::Groups {
            request_id,
            result: group_names(aws, &stack_name, &stack_id).await,
        },
        QueryEffect::Run {
            request_id,
            groups,
            text,
            window,
            cancel,
        } => {
            let (ptx, mut prx) = tokio::sync::mpsc::unbounded_channel();
            let fwd = tx.clone();
            let forward = async move {
                while let Some(progress) = prx.recv().await {
                    let msg = QueryMsg::Progress {
                        request_id,
                        progress,
                    };
                    if fwd.send(Action::Query(msg)).is_err() {
                        break;
                    }
                }
            };
            let work = async move {
                let r = insights::run(
                    aws,
                    &groups,
                    &text,
                    window,
                    &RunOptions::default(),
                    &cancel,
                    Some(&ptx),
                )
                .await;
                drop(ptx);
                r
            };
            let (result, ()) = tokio::join!(work, forward);
            QueryMsg::Done {
                request_id,
                result: Box::new(result.map_err(|e| e.to_string())),
            }
        }
        QueryEffect::Export {
            request_id,
            path,
            rows,
        } => QueryMsg::Exported {
            request_id,
            result: tokio::task::spawn_blocking(move || export(&path, &rows))
                .await
                .unwrap_or_else(|e| Err(format!("the export task failed: {e}"))),
        },
    };
    let _ = tx.send(Action::Query(msg));
}

/// The log group names of every function of the stack and its custom groups, each once.
async fn group_names(
    aws: &AwsContext,
    stack_name: &str,
    stack_id: &str,
) -> Result<Vec<String>, String> {
    let resources = cloudformation::resources(aws, stack_id)
        .await
        .map_err(|e| e.to_string())?;
    let groups = logs::groups_for(aws, stack_name, &resources, None)
        .await
        .map_err(|e| e.to_string())?;
    let mut names: Vec<String> = Vec::with_capacity(groups.len());
    for g in groups {
        if !names.contains(&g.name) {
            names.push(g.name);
        }
    }
    Ok(names)
}

/// Writes one JSON object a row (the `query --output json` shape); answers the full path.
pub fn export(path: &str, rows: &[Row]) -> Result<(String, usize), String> {
    let fail = |e: std::io::Error| format!("{path}: {e}");
    let file = std::fs::File::create(path).map_err(fail)?;
    let mut out = std::io::BufWriter::new(file);
    for row in rows {
        serde_json::to_writer(&mut out, &row_json(row)).map_err(|e| format!("{path}: {e}"))?;
        out.write_all(b"\n").map_err(fail)?;
    }
    out.flush().map_err(fail)?;
    let full =
        std::fs::canonicalize(path).map_or_else(|_| path.to_string(), |p| p.display().to_string());
    Ok((full, rows.len()))
}

impl super::effects::Run for crate::app::Scoped<Box<QueryEffect>> {
    async fn run(self, env: super::effects::Env) {
        run(*self.work, &env.aws, &env.tx).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_json_lines_in_field_order() {
        let path =
            std::env::temp_dir().join(format!("protoctl-query-{}.jsonl", std::process::id()));
        let rows: Vec<Row> = vec![
            vec![
                ("@timestamp".into(), "2026-12-02 10:00:00.000".into()),
                ("@message".into(), "a \"quoted\"\nline".into()),
                ("@ptr".into(), "p".into()),
            ],
            vec![("@message".into(), "b".into())],
        ];
        let (full, n) = export(path.to_str().unwrap(), &rows).unwrap();
        assert_eq!(n, 2);
        assert!(full.contains("protoctl-query-"));
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "{\"@timestamp\":\"2026-12-02 10:00:00.000\",\"@message\":\"a \\\"quoted\\\"\\nline\"}\n{\"@message\":\"b\"}\n"
        );
        let _ = std::fs::remove_file(&path);
        let err = export("/nonexistent-dir/x.jsonl", &rows).unwrap_err();
        assert!(err.starts_with("/nonexistent-dir/x.jsonl: "), "{err}");
    }
}
