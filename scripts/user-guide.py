#!/usr/bin/env python3
"""Builds docs/user-guide.md from the render snapshots (text captures of every screen,
taken by the snapshot tests at a fixed size with a pinned clock) and the default key map.
Run after `cargo insta review`: python3 scripts/user-guide.py"""

import glob
import os
import re
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SECTIONS = [
    ("The stack list", ["tests__stacks__loading", "tests__stacks__loaded", "tests__stacks__empty", "tests__stacks__error", "teardown__stacks_assessed"],
     "Every CloudFormation stack that carries the discovery tags, with status, age, last update, idle time and whether it is abandoned or protected. `/` filters, `s`/`R` sort, `A` shows only abandoned stacks, `space` marks several, `enter` opens one, `$` shows what it costs. "
     "`y` copies the selected stack's id (a resource's physical id, an output's value, a table's name, an item's key as JSON, a log line's message on those screens; `Y` there copies the line's log group) "
     "and `o` copies its AWS console address, on the S3 screens too (the bucket, folder or object page; OSC 52 reaches your own clipboard over SSH); a notification says what was copied."),
    ("Several accounts", ["tests__stacks__two_accounts"],
     "With `[discovery] profiles = [\"dev\", \"sandbox\"]` the list holds the stacks of every profile and `[discovery] regions` pair, queried in parallel, with an ACCOUNT column (the id, and the IAM alias in brackets). "
     "A profile that cannot be read shows a notice and the others still list. Every screen opened from a stack (detail, tables and items, buckets and objects, logs, invoke) works with the credentials of the profile that found it, in its region; "
     "a teardown plans each stack in its own account, so `allowed_accounts` and `blocked_accounts` apply per stack."),
    ("Help and the command palette", ["tests__stacks__help", "palette__open", "palette__region_typed", "picker__region"],
     "`?` lists every effective key of the screen. `:` opens the palette: type a few letters (`:reg eu-west-1`, `:prof dev`, `:logs`, `:abandoned`, `:theme light`); `:region` or `:profile` alone opens a picker."),
    ("The stack detail", ["tests__detail__loading", "tests__detail__loaded"],
     "Resources grouped by service, outputs and recent stack events; `tab` moves between the panes. From here: `t` tables, `b` buckets, `l`/`L` logs, `Q` Logs Insights queries, `i` invoke, `$` cost, `D` teardown, `S` shelve; `enter` on a table, bucket or function opens its items, objects or logs."),
    ("DynamoDB", ["dynamo__tables", "dynamo__items", "dynamo__query_form", "dynamo__item_plain", "dynamo__item_typed_confirm"], None),
    ("S3", ["s3__buckets", "s3__browser", "s3__preview_json", "s3__preview_text", "s3__preview_hex", "s3__versions", "s3__download_prompt", "s3__download_progress"], None),
    ("Logs", ["logs__waiting", "logs__tail_insights", "logs__expanded_json", "logs__wrapped_narrow", "logs__hostile"], None),
    ("Logs Insights queries", ["query__editor", "query__running", "query__results", "query__results_scrolled", "query__record", "query__saved"],
     "`Q` on a stack (list or detail) or `:query` runs Logs Insights queries over all of its log groups. The editor starts focused: `enter` runs, `esc` leaves it, `ctrl-e` opens `$EDITOR`. "
     "Then `w` picks the window (15m, 1h, 24h, 7d or typed: `3h`, `2026-12-01T10:00/2026-12-01T12:00`), `s` a saved query, `x` cancels a run (StopQuery), `h`/`l` scroll the columns, "
     "`enter` shows a row in full and `E` exports the rows as JSON lines. See [investigate.md](investigate.md)."),
    ("Invoke", ["invoke__sign_in", "invoke__invalid_payload", "invoke__response", "invoke__fan_out_running", "invoke__fan_out_summary"], None),
    ("Errors", ["errors__stack_column", "errors__groups", "errors__loading", "errors__empty", "errors__occurrence", "errors__occurrence_scrolled"],
     "`e` on a stack (or `:errors`) shows its errors of the last 24 h grouped by fingerprint, newest first; `w` cycles the window (1h, 24h, 7d). `enter` shows a group's latest occurrence, the whole request from START to REPORT with JSON pretty-printed; `i` there opens invoke on that function. The stack list's ERRORS column counts each stack's failed requests of the last 24 h, filled in after the list is drawn. See docs/investigate.md."),
    ("Cost", ["cost__column_loading", "cost__column_sorted", "cost__column_failed", "cost__breakdown_loading", "cost__breakdown",
              "cost__breakdown_failed", "cost__breakdown_empty"],
     "The `$/MO` column is filled in after the list is drawn, from one estimate for every listed stack: `…` while it runs, `?` if it failed (the error is in the footer once). "
     "`s` sorts by it too (most expensive first). `$` on a stack (list or detail) or `:cost` opens its breakdown: service, resource, usage, quantity, unit, unit price, "
     "monthly figure and the metric or call it came from; `⚑` marks fixed costs. `r` estimates again, `esc` goes back. List prices, free tier not counted (docs/cost.md)."),
    ("Teardown", ["teardown__abandoned", "teardown__plan", "teardown__plan_savings", "teardown__confirm_typed", "teardown__countdown", "teardown__progress", "teardown__refused"], None),
    ("Shelve and restore", ["shelve__plan", "shelve__confirm", "shelve__progress", "shelve__done",
                            "archives__list", "archives__restore_form", "archives__restore_running", "archives__restore_done"],
     "`S` on a stack (list or detail) shelves it: the plan says where the archive goes, what it keeps and what cannot come back, "
     "then the teardown plan; `enter`, the stack name typed, and a 3-second countdown any key cancels. The run writes the archive, "
     "verifies it against its manifest, then tears the stack down; `esc` cancels between steps (nothing is deleted before the "
     "archive is verified). `:archives` lists the archives of the `[shelve] locations`; `enter` on one opens the restore form "
     "(the new stack's name, NoEcho parameters), `enter` there restores and checks every count and checksum. Both are refused under `--read-only`."),
    ("Themes", ["help__dark", "help__light", "help__high_contrast", "help__no_color"],
     "The same screen in each theme, with the style of every run of cells in braces (`{fg/bg/modifiers}`)."),
]


def snapshot_text(path):
    text = open(path, encoding="utf-8").read()
    body = text.split("\n---\n", 1)[1] if text.startswith("---") else text
    lines = []
    for line in body.strip("\n").split("\n"):
        m = re.fullmatch(r'"(.*)"', line)
        lines.append(m.group(1).replace('\\"', '"').replace("\\\\", "\\") if m else line)
    return "\n".join(lines)


def find(name):
    hits = sorted(p for p in glob.glob(os.path.join(ROOT, "src", "**", "snapshots", "*.snap"), recursive=True)
                  if p.endswith(f"__{name}.snap"))
    return hits[0] if hits else None


def main():
    out = ["# protoctl user guide", "",
           "Text captures of every screen, taken from the render snapshot tests (fixed size, pinned clock,",
           "made-up data), and every default key binding. Regenerate with `python3 scripts/user-guide.py`.", ""]
    for title, names, blurb in SECTIONS:
        out += [f"## {title}", ""]
        if blurb:
            out += [blurb, ""]
        for name in names:
            path = find(name)
            if not path:
                continue
            out += [f"### {name.split('__')[-1].replace('_', ' ')}", "", "```text", snapshot_text(path), "```", ""]
    keymap = tomllib.load(open(os.path.join(ROOT, "assets", "keymap.toml"), "rb"))
    out += ["## Key bindings", "",
            "Defaults from `assets/keymap.toml`; rebind any in the config under `[keys.<scope>]` (\"none\" unbinds).",
            "A screen's own bindings win over the global ones.", ""]
    for scope, binds in keymap.items():
        out += [f"### `{scope}`", "", "| key | command |", "| --- | --- |"]
        out += [f"| `{k}` | {v.replace('_', ' ')} |" for k, v in binds.items()]
        out.append("")
    open(os.path.join(ROOT, "docs", "user-guide.md"), "w", encoding="utf-8").write("\n".join(out))
    print("wrote docs/user-guide.md")


if __name__ == "__main__":
    main()
