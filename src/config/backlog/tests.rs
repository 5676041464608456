use super::deps::suggest;
use super::*;

#[test]
fn convoy_names_and_ids() {
    assert!(is_convoy_name("auth-rewrite"));
    assert!(is_convoy_name("v2"));
    assert!(!is_convoy_name(""));
    assert!(!is_convoy_name("Auth"));
    assert!(!is_convoy_name("auth--x"));
    assert!(!is_convoy_name("-auth"));
    assert!(!is_convoy_name("auth rewrite"));
    assert!(is_task_id("T-0042"));
    assert!(is_task_id("auth.login_2"));
    assert!(!is_task_id("-x"));
    assert!(!is_task_id("a b"));
    assert!(!is_task_id(""));
}

#[test]
fn generated_titles_are_stable_and_varied() {
    let (a, _) = generated_text("auth-rewrite", 3, 12, &[]);
    let (b, _) = generated_text("auth-rewrite", 3, 12, &[]);
    assert_eq!(a, b);
    assert!(
        a.starts_with("auth-rewrite: ") && a.ends_with(" (3/12)"),
        "{a}"
    );
    let titles: HashSet<String> = (1..=12)
        .map(|j| {
            let (t, _) = generated_text("auth-rewrite", j, 12, &[]);
            t.split(" (").next().unwrap_or_default().to_string()
        })
        .collect();
    assert_eq!(titles.len(), 12, "{titles:?}");
}

#[test]
fn suggestions_prefer_similar_ids() {
    let c = ["auth-1", "auth-2", "billing-1"];
    assert_eq!(suggest("auth-9", &c), "known: auth-1, auth-2, billing-1");
    let many: Vec<String> = (1..=20).map(|n| format!("x-{n}")).collect();
    let mut refs: Vec<&str> = many.iter().map(String::as_str).collect();
    refs.push("auth-1");
    let s = suggest("auth-9", &refs);
    assert!(s.starts_with("known: x-1,") || s.contains("auth-1"), "{s}");
    assert!(s.contains("auth-1") && s.ends_with("and 13 more"), "{s}");
    assert_eq!(suggest("a", &[]), "no tasks are known");
}
