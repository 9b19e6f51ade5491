//! The console's shelf end to end: `S` on a stack shelves it (plan, typed confirmation,
//! run), `:archives` lists the archive, `enter` restores it and checks counts and checksums.

use crate::e2e::Tmux;
use crate::shelve::{
    bucket_contents, deploy_plain, fill_objects, fill_table_plain, physical, table_digest, temp_dir,
};
use crate::support::endpoint;
use crate::teardown::{config_for, gone, unique};

#[tokio::test(flavor = "multi_thread")]
async fn console_shelves_a_stack_and_restores_it_from_the_shelf() {
    let team = unique("sh-console");
    let name = team.clone();
    deploy_plain(&name, &team).await;
    let (table, files) = (
        physical(&name, "Notes").await,
        physical(&name, "Files").await,
    );
    fill_table_plain(&table, 12).await;
    fill_objects(&files, 3).await;
    let before = (table_digest(&table).await, bucket_contents(&files).await);
    let shelf = temp_dir(&name);
    let config = config_for(
        &team,
        &format!("[shelve]\nlocations = [{:?}]", shelf.display().to_string()),
    );

    let t = Tmux::start_with("shelf", &endpoint(), &config, &[]);
    // The header names the team tag (the stack's name) at once: wait for the list.
    t.wait_for("Stacks (1)");
    t.send(&["S"]);
    let plan = t.wait_for("enter to confirm");
    assert!(plan.contains("keeps table  Notes"), "{plan}");
    assert!(plan.contains("keeps bucket Files"), "{plan}");
    t.send(&["Enter"]);
    t.wait_for("to shelve it:");
    t.send(&["-l", &name]);
    t.send(&["Enter"]);
    t.wait_for("Shelving in");
    let done = t.wait_for("finished");
    assert!(done.contains("Archived 12 items"), "{done}");
    assert!(gone(&name).await, "the stack is gone:\n{done}");

    t.send(&["Escape"]);
    t.wait_for("Stacks (0)");
    t.send(&[":"]);
    t.send(&["-l", "archives"]);
    t.send(&["Enter"]);
    let listed = t.wait_for("Shelf ·");
    assert!(listed.contains(&name), "{listed}");
    t.wait_for("(1)");
    t.send(&["Enter"]);
    t.wait_for("new stack name");
    t.send(&["Enter"]);
    let report = t.wait_for("every count and checksum matches");
    assert!(report.contains("CREATE_COMPLETE"), "{report}");
    assert!(!gone(&name).await, "the stack is back");
    let after = (
        table_digest(&physical(&name, "Notes").await).await,
        bucket_contents(&physical(&name, "Files").await).await,
    );
    assert_eq!(after, before);
    t.send(&["Escape"]);
    t.wait_gone("Restore ·");
    t.send(&["q"]);
    assert_eq!(t.wait_exit(), 0);
    let _ = std::fs::remove_dir_all(&shelf);
}
