use super::*;
use crate::domain::Usage;

fn file(base: Option<&str>, ours: &str, theirs: &str) -> ConflictedFile {
    ConflictedFile {
        path: "src/lib.rs".into(),
        base: base.map(str::to_string),
        ours: ours.into(),
        theirs: theirs.into(),
    }
}

fn simple() -> ConflictedFile {
    file(Some("a\n"), "a\nours\n", "a\ntheirs\n")
}

fn refused(answer: &str, f: &ConflictedFile) -> String {
    match parse_answer(answer, f) {
        Err(AiError::Refused(why)) => why,
        other => panic!("expected a refusal for {answer:?}, got {other:?}"),
    }
}

#[test]
fn one_block_is_the_whole_file() {
    let (content, removals) = parse_answer("```rust\na\nours\ntheirs\n```\n", &simple()).unwrap();
    assert_eq!(content, "a\nours\ntheirs\n");
    assert!(removals.is_empty());
}

#[test]
fn removed_lines_after_the_block_are_read() {
    let answer = "```\na\nours\n```\n\nREMOVED: theirs -- duplicates ours\nREMOVED:   x = 1 -- y -- old value\n";
    let (content, removals) = parse_answer(answer, &simple()).unwrap();
    assert_eq!(content, "a\nours\n");
    assert_eq!(
        removals,
        vec![
            ExplainedRemoval {
                line: "theirs".into(),
                why: "duplicates ours".into()
            },
            // The last ` -- ` separates: the line itself may hold one.
            ExplainedRemoval {
                line: "  x = 1 -- y".into(),
                why: "old value".into()
            },
        ]
    );
}

#[test]
fn a_removed_line_without_a_reason_is_refused() {
    let why = refused("```\na\n```\nREMOVED: theirs\n", &simple());
    assert!(why.contains("REMOVED"), "{why}");
    let why = refused("```\na\n```\nREMOVED: theirs -- \n", &simple());
    assert!(why.contains("REMOVED"), "{why}");
}

#[test]
fn prose_without_a_block_is_refused() {
    let why = refused("I merged both: keep ours and add theirs.", &simple());
    assert_eq!(why, "the answer is prose, not a file");
    assert_eq!(refused("  \n\n", &simple()), "the answer is empty");
}

#[test]
fn prose_around_the_block_is_refused() {
    let why = refused("Here is the file:\n```\na\n```\n", &simple());
    assert!(why.contains("prose around the code"), "{why}");
    assert!(why.contains("Here is the file:"), "{why}");
    let why = refused("```\na\n```\nHope this helps!\n", &simple());
    assert!(why.contains("Hope this helps!"), "{why}");
}

#[test]
fn several_blocks_are_refused() {
    let why = refused("```\na\n```\n```\nb\n```\n", &simple());
    assert!(why.contains("more than one"), "{why}");
}

#[test]
fn an_unclosed_block_is_refused() {
    let why = refused("```\na\nours\n", &simple());
    assert!(why.contains("never closed"), "{why}");
}

#[test]
fn conflict_markers_are_refused() {
    for marker in ["<<<<<<< HEAD", "=======", ">>>>>>> theirs", "||||||| base"] {
        let answer = format!("```\na\n{marker}\nours\n```\n");
        let why = refused(&answer, &simple());
        assert!(why.contains("conflict marker"), "{marker}: {why}");
    }
}

#[test]
fn a_marker_like_line_the_file_already_has_is_content() {
    let f = file(
        Some("Title\n=======\n"),
        "Title\n=======\nours\n",
        "Title\n=======\ntheirs\n",
    );
    let (content, _) = parse_answer("```rst\nTitle\n=======\nours\ntheirs\n```", &f).unwrap();
    assert_eq!(content, "Title\n=======\nours\ntheirs\n");
    // Not a marker either: `=======` with more on the line.
    let (content, _) = parse_answer("```\na\n======= x\n```", &simple()).unwrap();
    assert_eq!(content, "a\n======= x\n");
}

#[test]
fn an_empty_block_is_refused_when_both_sides_have_content() {
    let why = refused("```\n```\n", &simple());
    assert!(why.contains("empty"), "{why}");
    let why = refused("```\n\n  \n```\n", &simple());
    assert!(why.contains("empty"), "{why}");
    // One side emptied the file: an empty resolution may be right.
    let f = file(Some("a\n"), "", "a\nb\n");
    assert_eq!(
        parse_answer(
            "```\n```\nREMOVED: b -- the file was deleted on the target",
            &f
        )
        .unwrap()
        .0,
        ""
    );
}

#[test]
fn the_trailing_newline_follows_the_file() {
    let (content, _) = parse_answer("```\na\nb\n```", &simple()).unwrap();
    assert_eq!(content, "a\nb\n");
    let f = file(Some("a"), "a b", "a c");
    let (content, _) = parse_answer("```\na b c\n```", &f).unwrap();
    assert_eq!(content, "a b c");
}

#[test]
fn crlf_files_stay_crlf() {
    let f = file(Some("a\r\n"), "a\r\nours\r\n", "a\r\ntheirs\r\n");
    let (content, _) = parse_answer("```\na\nours\ntheirs\n```\n", &f).unwrap();
    assert_eq!(content, "a\r\nours\r\ntheirs\r\n");
    let (content, _) = parse_answer("```\r\na\r\nours\r\n```\r\n", &f).unwrap();
    assert_eq!(content, "a\r\nours\r\n");
}

#[test]
fn a_longer_fence_holds_a_file_with_fences() {
    let f = file(
        Some("# Doc\n"),
        "# Doc\n```sh\nmake\n```\n",
        "# Doc\nmore\n",
    );
    let answer = "````markdown\n# Doc\n```sh\nmake\n```\nmore\n````\n";
    let (content, _) = parse_answer(answer, &f).unwrap();
    assert_eq!(content, "# Doc\n```sh\nmake\n```\nmore\n");
    // With a short outer fence the inner one closes it: several blocks.
    let answer = "```markdown\n# Doc\n```sh\nmake\n```\nmore\n```\n";
    assert!(matches!(parse_answer(answer, &f), Err(AiError::Refused(_))));
}

#[test]
fn tilde_fences_count_too() {
    let (content, _) = parse_answer("~~~\na\n~~~\n", &simple()).unwrap();
    assert_eq!(content, "a\n");
}

#[test]
fn the_prompt_fences_each_version_beyond_its_own_backticks() {
    let f = file(None, "x\n````\ny\n", "z");
    let m = user_message(&f, "Add z\n");
    assert!(m.starts_with("Path: src/lib.rs\n"), "{m}");
    assert!(m.contains("Add z"), "{m}");
    assert!(m.contains("none, the file did not exist there"), "{m}");
    assert!(m.contains("`````\nx\n````\ny\n`````\n"), "{m}");
    assert!(m.contains("```\nz\n```\n"), "{m}");
}

#[test]
fn requests_carry_model_key_and_versions() {
    let f = simple();
    let mut cfg = AiSettings::new(Provider::Anthropic, "claude-x");
    cfg.base_url = "http://h/".into();
    let (url, headers, body) = request(&cfg, Some("sk-ant-1"), &f, "task");
    assert_eq!(url, "http://h/v1/messages");
    assert!(headers.contains(&("x-api-key", "sk-ant-1".into())));
    assert!(headers.contains(&("anthropic-version", "2023-06-01".into())));
    assert_eq!(body["model"], "claude-x");
    assert_eq!(body["system"], SYSTEM_PROMPT);
    assert_eq!(body["messages"][0]["role"], "user");

    cfg.provider = Provider::OpenAi;
    let (url, headers, body) = request(&cfg, None, &f, "task");
    assert_eq!(url, "http://h/chat/completions");
    assert!(headers.iter().all(|(n, _)| *n != "authorization"));
    assert_eq!(body["messages"][0]["role"], "system");
    assert_eq!(body["messages"][1]["role"], "user");
    assert_eq!(body["max_tokens"], 16_000);
    let (_, headers, _) = request(&cfg, Some("sk-2"), &f, "task");
    assert!(headers.contains(&("authorization", "Bearer sk-2".into())));
}

#[test]
fn debug_never_shows_credentials_in_the_url() {
    let mut cfg = AiSettings::new(Provider::OpenAi, "m");
    cfg.base_url = "https://user:sk-very-secret@example.com/v1".into();
    let shown = format!("{cfg:?}");
    assert!(!shown.contains("sk-very-secret"), "{shown}");
    assert!(shown.contains("OPENAI_API_KEY"), "{shown}");
}

#[test]
fn providers_parse_by_name() {
    assert_eq!("anthropic".parse::<Provider>(), Ok(Provider::Anthropic));
    assert_eq!("openai".parse::<Provider>(), Ok(Provider::OpenAi));
    let err = "gemini".parse::<Provider>().unwrap_err();
    assert!(
        err.contains("`gemini`") && err.contains("anthropic"),
        "{err}"
    );
}

#[test]
fn anthropic_responses_are_read() {
    let body = r#"{"content":[{"type":"thinking","thinking":"hm"},{"type":"text","text":"```\na\n"},{"type":"text","text":"```"}],"stop_reason":"end_turn","usage":{"input_tokens":12,"output_tokens":7}}"#;
    let a = parse_response(Provider::Anthropic, 200, body).unwrap();
    assert_eq!(
        a,
        ApiAnswer {
            text: "```\na\n```".into(),
        }
    );
    assert_eq!(
        spent_in(Provider::Anthropic, "asked", body),
        Some(ModelSpend {
            model: "asked".into(),
            usage: Usage {
                input: 12,
                output: 7,
                ..Usage::default()
            }
        })
    );
    let cached = r#"{"model":"claude-x-20250929","usage":{"input_tokens":5,"output_tokens":2,"cache_read_input_tokens":100,"cache_creation_input_tokens":40}}"#;
    assert_eq!(
        spent_in(Provider::Anthropic, "claude-x", cached),
        Some(ModelSpend {
            model: "claude-x-20250929".into(),
            usage: Usage {
                input: 5,
                output: 2,
                cache_read: 100,
                cache_write: 40
            }
        })
    );
    let cut =
        r#"{"content":[{"type":"text","text":"```\na"}],"stop_reason":"max_tokens","usage":{}}"#;
    assert!(matches!(
        parse_response(Provider::Anthropic, 200, cut),
        Err(AiError::Refused(_))
    ));
}

#[test]
fn openai_responses_are_read() {
    let body = r#"{"choices":[{"message":{"role":"assistant","content":"```\na\n```"},"finish_reason":"stop"}],"usage":{"prompt_tokens":30,"completion_tokens":4}}"#;
    let a = parse_response(Provider::OpenAi, 200, body).unwrap();
    assert_eq!(a.text, "```\na\n```");
    let cached = r#"{"model":"gpt-x","usage":{"prompt_tokens":30,"completion_tokens":4,"prompt_tokens_details":{"cached_tokens":20}}}"#;
    assert_eq!(
        spent_in(Provider::OpenAi, "m", cached),
        Some(ModelSpend {
            model: "gpt-x".into(),
            usage: Usage {
                input: 10,
                output: 4,
                cache_read: 20,
                cache_write: 0
            }
        })
    );
    assert_eq!(spent_in(Provider::OpenAi, "m", "{}"), None);
    let refusal =
        r#"{"choices":[{"message":{"content":null,"refusal":"I can't"},"finish_reason":"stop"}]}"#;
    assert!(matches!(
        parse_response(Provider::OpenAi, 200, refusal),
        Err(AiError::Refused(_))
    ));
    let cut = r#"{"choices":[{"message":{"content":"```"},"finish_reason":"length"}]}"#;
    assert!(matches!(
        parse_response(Provider::OpenAi, 200, cut),
        Err(AiError::Refused(_))
    ));
}

#[test]
fn bad_statuses_and_shapes_are_transport_errors() {
    for (provider, status, body) in [
        (Provider::Anthropic, 500, "{\"error\":\n\"boom\"}"),
        (Provider::OpenAi, 401, ""),
        (Provider::Anthropic, 200, "<html>proxy</html>"),
        (Provider::Anthropic, 200, r#"{"choices":[]}"#),
        (Provider::OpenAi, 200, r#"{"content":[]}"#),
        (Provider::OpenAi, 200, r#"{"choices":[]}"#),
    ] {
        match parse_response(provider, status, body) {
            Err(AiError::Transport(m)) => assert!(!m.contains('\n'), "{m}"),
            other => panic!("{provider} {status} {body}: {other:?}"),
        }
    }
    let long = "x".repeat(5000);
    let Err(AiError::Transport(m)) = parse_response(Provider::OpenAi, 502, &long) else {
        panic!()
    };
    assert!(m.starts_with("HTTP 502: xxx") && m.len() < 400, "{m}");
}
