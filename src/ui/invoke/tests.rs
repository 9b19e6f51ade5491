//! Snapshots and key-by-key tests of the invoke screen.

use crate::app::Action;
use crate::app::Effect;
use crate::app::Scoped;
use crate::app::invoke::{Field, InvokeEffect, InvokeMsg, InvokeState, PayloadStore, SignInResult};
use crate::app::keymap::Command;
use crate::domain::invoke::{Outcome, Sample, body_hash};
use crate::domain::tokens::Tokens;
use crate::ui::tests::{app, assert_clean, demo_stack, draw_sized, now, ready};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn jwt(claims: &str) -> String {
    use base64::Engine as _;
    let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.sig",
        e.encode(r#"{"alg":"RS256"}"#),
        e.encode(claims)
    )
}

fn key(c: KeyCode) -> Action {
    Action::Input(KeyEvent::new(c, KeyModifiers::NONE))
}

/// Runs the disk effects of the invoke screen and feeds their results back.
fn disk(a: &mut crate::app::App, effects: Vec<Effect>) {
    for fx in effects {
        if let Effect::Invoke(Scoped { work: fx, .. }) = fx
            && let Some(msg) = crate::tui::invoke::disk(*fx)
        {
            let more = a.update(Action::Invoke(msg));
            disk(a, more);
        }
    }
}

fn typed(a: &mut crate::app::App, s: &str) {
    for c in s.chars() {
        a.update(key(KeyCode::Char(c)));
    }
}

/// An app on the invoke screen of orders-dev, the cached sign-in answered `signed_in`.
fn screen(signed_in: bool) -> crate::app::App {
    let mut a = app();
    ready(&mut a);
    let mut stack = demo_stack("orders-dev", "UPDATE_COMPLETE", 12, &[]);
    stack
        .outputs
        .insert("UserPoolClientId".into(), "client-demo".into());
    let dir = std::env::temp_dir().join(format!("protoctl-ui-invoke-{}", std::process::id()));
    let mut st = InvokeState::new(
        stack,
        vec!["orders-dev-create".into(), "orders-dev-list".into()],
        Some(PayloadStore::at(dir)),
        &a.settings.invoke,
    );
    st.user = "demo@example.com".into();
    let fx = a.open_invoke_with(st);
    let Some(Effect::Invoke(Scoped { work: fx_box, .. })) = fx.first() else {
        panic!("{fx:?}")
    };
    let InvokeEffect::Resume { request_id, .. } = fx_box.as_ref() else {
        panic!("{fx:?}")
    };
    let result = if signed_in {
        SignInResult::Tokens(Tokens {
            id_token: jwt(r#"{"sub":"u-1","cognito:username":"demo@example.com"}"#),
            access_token: jwt(r#"{"username":"demo@example.com"}"#),
            refresh_token: None,
            expires_at: now() + chrono::Duration::minutes(60),
        })
    } else {
        SignInResult::None
    };
    a.update(crate::app::invoke::signed_in(*request_id, Ok(result)));
    a
}

#[test]
fn sign_in_form_hides_the_password() {
    let mut a = screen(false);
    typed(&mut a, "Demo-Passw0rd!");
    let t = draw_sized(&a, 120, 24);
    let text = format!("{}", t.backend());
    assert!(!text.contains("Demo-Passw0rd!"), "password shown");
    insta::assert_snapshot!("invoke__sign_in", t.backend());
    let fx = a.update(key(KeyCode::Enter));
    let Some(Effect::Invoke(Scoped { work: fx_box, .. })) = fx.first() else {
        panic!("{fx:?}")
    };
    let InvokeEffect::SignIn { password, .. } = fx_box.as_ref() else {
        panic!("{fx:?}")
    };
    assert!(!format!("{fx:?}").contains("Demo-Passw0rd!"), "Debug leaks");
    assert_eq!(password.0, "Demo-Passw0rd!");
    assert!(a.views.invoke().unwrap().password.is_empty(), "cleared");
}

#[test]
fn payload_is_validated_as_you_type() {
    let mut a = screen(true);
    let st = a.views.invoke_mut().unwrap();
    st.focus = Field::Payload;
    typed(&mut a, "{\"title\": ");
    assert!(a.views.invoke().unwrap().payload_error.is_some());
    // Calling with an invalid payload is refused inline.
    let fx = a.update(Action::Command(Command::InvokeCall));
    assert!(fx.is_empty());
    insta::assert_snapshot!("invoke__invalid_payload", draw_sized(&a, 120, 24).backend());
    typed(&mut a, "\"hello\"}");
    assert!(a.views.invoke().unwrap().payload_error.is_none());
}

#[test]
fn response_view() {
    let mut a = screen(true);
    a.views.invoke_mut().unwrap().focus = Field::Payload;
    typed(&mut a, "{\"title\":\"hello\"}");
    let fx = a.update(Action::Command(Command::InvokeCall));
    let Some(Effect::Invoke(Scoped { work: fx_box, .. })) = fx.first() else {
        panic!("{fx:?}")
    };
    let InvokeEffect::Call { request_id, .. } = fx_box.as_ref() else {
        panic!("{fx:?}")
    };
    let tail = "START RequestId: r-1 Version: $LATEST\n2026-11-27T12:00:00.000Z\tr-1\tINFO\tcreated item 42\nEND RequestId: r-1\nREPORT RequestId: r-1\tDuration: 41.2 ms\tBilled Duration: 42 ms\tMemory Size: 1024 MB\tMax Memory Used: 88 MB\tInit Duration: 180.5 ms\t\n";
    a.update(Action::Invoke(InvokeMsg::Called {
        request_id: *request_id,
        result: Box::new(Ok(Outcome {
            status: 200,
            function_error: None,
            headers: Vec::new(),
            body: br#"{"statusCode":201,"body":"{\"id\":42}","evil":"\u001b[2J"}"#.to_vec(),
            log_tail: Some(tail.into()),
            report: crate::domain::report::report_of(tail),
            latency_ms: 63.4,
        })),
    }));
    let t = draw_sized(&a, 120, 28);
    assert_clean(&t);
    insta::assert_snapshot!("invoke__response", t.backend());
}

#[test]
fn fan_out_summary_and_cancel() {
    let mut a = screen(true);
    let fx = a.update(Action::Command(Command::InvokeFanOut));
    let Some(Effect::Invoke(Scoped { work: fx_box, .. })) = fx.first() else {
        panic!("{fx:?}")
    };
    let InvokeEffect::FanOut {
        request_id,
        count,
        concurrency,
        cancel,
        ..
    } = fx_box.as_ref()
    else {
        panic!("{fx:?}")
    };
    assert_eq!((*count, *concurrency), (100, 10));
    for i in 0..60u32 {
        let sample = Sample {
            latency_ms: f64::from(20 + i * 7),
            error: i % 20 == 0,
            throttled: u32::from(i % 30 == 0),
            cold_start: i < 3,
            body_hash: Some(body_hash(if i % 2 == 0 { b"a" } else { b"b" })),
        };
        a.update(Action::Invoke(InvokeMsg::Sample {
            request_id: *request_id,
            sample,
        }));
    }
    // A stale sample is dropped.
    a.update(Action::Invoke(InvokeMsg::Sample {
        request_id: 9999,
        sample: Sample {
            latency_ms: 1.0,
            error: true,
            throttled: 0,
            cold_start: false,
            body_hash: None,
        },
    }));
    insta::assert_snapshot!("invoke__fan_out_running", draw_sized(&a, 120, 24).backend());
    a.update(Action::Command(Command::Back));
    assert!(cancel.is_cancelled(), "esc cancels the fan-out");
    assert!(a.views.invoke().is_some(), "first esc only cancels");
    a.update(Action::Invoke(InvokeMsg::FanOutDone {
        request_id: *request_id,
    }));
    insta::assert_snapshot!("invoke__fan_out_summary", draw_sized(&a, 120, 24).backend());
    a.update(Action::Command(Command::Back));
    assert!(a.views.invoke().is_none(), "second esc closes");
}

#[test]
fn named_payloads_are_saved_per_stack_and_function() {
    let mut a = screen(true);
    let dir = std::env::temp_dir().join(format!("protoctl-ui-invoke-named-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let st = a.views.invoke_mut().unwrap();
    st.store = Some(PayloadStore::at(dir.clone()));
    st.saved.clear();
    st.focus = Field::Payload;
    typed(&mut a, "{\"a\":1}");
    let fx = a.update(Action::Command(Command::InvokeSavePayload));
    disk(&mut a, fx);
    let st = a.views.invoke_mut().unwrap();
    assert_eq!(
        st.saved.get("default").map(String::as_str),
        Some("{\"a\":1}")
    );
    st.payload.clear();
    st.focus = Field::Name;
    a.update(key(KeyCode::Right));
    assert_eq!(a.views.invoke().unwrap().payload, "{\"a\":1}");
    // Another function has its own (empty) set.
    let st = a.views.invoke_mut().unwrap();
    st.focus = Field::Function;
    let fx = a.update(key(KeyCode::Right));
    disk(&mut a, fx);
    assert!(a.views.invoke().unwrap().saved.is_empty());
    let back = PayloadStore::at(dir.clone()).load("orders-dev", "orders-dev-create");
    assert_eq!(back.len(), 1);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn read_only_refuses_the_screen() {
    let mut a = app();
    a.header.read_only = true;
    ready(&mut a);
    let stack = demo_stack("orders-dev", "UPDATE_COMPLETE", 12, &[]);
    a.views.open(crate::app::DetailState::new(stack));
    let fx = a.update(Action::Command(Command::Invoke));
    assert!(fx.is_empty());
    assert!(a.views.invoke().is_none());
    assert_eq!(a.screen(), crate::app::Screen::Detail);
    let n = a.notifications.back().unwrap();
    assert!(n.text.contains("--read-only"), "{}", n.text);
    a.header.read_only = false;
    a.update(Action::Command(Command::Invoke));
    assert_eq!(a.screen(), crate::app::Screen::Invoke);
}
