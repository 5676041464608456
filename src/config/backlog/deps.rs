//! A backlog's dependencies: every `after` names a task, and no task
//! waits on itself through others.

use super::{ConvoyDef, Origin};
use crate::config::error::{Invalid, Seg, i, k};
use crate::domain::{TaskId, TaskSpec};
use std::collections::{HashMap, HashSet};

/// Every `after` names a task, and no task waits on itself through others.
pub(super) fn check_dependencies(
    convoys: &[ConvoyDef],
    specs: &[TaskSpec],
    origins: &[Origin],
    index: &HashMap<String, usize>,
    known_set: &HashSet<&str>,
    known: &[TaskId],
) -> Result<(), Invalid> {
    unknown(convoys, specs, origins, index, known_set, known)?;
    cycle(convoys, specs, origins, index)
}

/// Where a task's `after` entry naming `dep` sits in the file: the key and
/// the element.
fn after_at(
    convoys: &[ConvoyDef],
    origins: &[Origin],
    task: usize,
    dep: &TaskId,
) -> (Vec<Seg>, Vec<Seg>) {
    match origins[task] {
        Origin::Generated(c) => {
            let p = vec![k("convoy"), i(c), k("parallel")];
            (p.clone(), p)
        }
        Origin::Explicit(c, t) => {
            let key = vec![k("convoy"), i(c), k("task"), i(t), k("after")];
            let n = convoys[c].task[t]
                .after
                .iter()
                .position(|a| a == dep.as_str())
                .unwrap_or(0);
            let mut at = key.clone();
            at.push(i(n));
            (key, at)
        }
    }
}

/// The first `after` that names no task of the file or the log.
fn unknown(
    convoys: &[ConvoyDef],
    specs: &[TaskSpec],
    origins: &[Origin],
    index: &HashMap<String, usize>,
    known_set: &HashSet<&str>,
    known: &[TaskId],
) -> Result<(), Invalid> {
    for (n, spec) in specs.iter().enumerate() {
        for dep in &spec.after {
            if index.contains_key(dep.as_str()) || known_set.contains(dep.as_str()) {
                continue;
            }
            let candidates: Vec<&str> = specs
                .iter()
                .map(|s| s.id.as_str())
                .chain(known.iter().map(TaskId::as_str))
                .collect();
            let (key, at) = after_at(convoys, origins, n, dep);
            return Err(Invalid::new(
                key,
                format!(
                    "unknown task \"{dep}\" ({})",
                    suggest(dep.as_str(), &candidates)
                ),
            )
            .at(at));
        }
    }
    Ok(())
}

/// The first dependency cycle among the file's tasks, by a depth-first
/// search (known tasks cannot lead back).
fn cycle(
    convoys: &[ConvoyDef],
    specs: &[TaskSpec],
    origins: &[Origin],
    index: &HashMap<String, usize>,
) -> Result<(), Invalid> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut mark = vec![Mark::New; specs.len()];
    for root in 0..specs.len() {
        if mark[root] != Mark::New {
            continue;
        }
        // (task, next dependency to look at)
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        mark[root] = Mark::Open;
        while let Some(&mut (task, ref mut next)) = stack.last_mut() {
            let deps = &specs[task].after;
            if *next >= deps.len() {
                mark[task] = Mark::Done;
                stack.pop();
                continue;
            }
            let dep = &deps[*next];
            *next += 1;
            let Some(&d) = index.get(dep.as_str()) else {
                continue;
            };
            match mark[d] {
                Mark::Done => {}
                Mark::New => {
                    mark[d] = Mark::Open;
                    stack.push((d, 0));
                }
                Mark::Open => {
                    let from = stack.iter().position(|&(s, _)| s == d).unwrap_or(0);
                    // Start the cycle at the task whose `after` closes it,
                    // the line the error points at.
                    let mut cycle: Vec<&str> = vec![specs[task].id.as_str()];
                    cycle.extend(stack[from..].iter().map(|&(s, _)| specs[s].id.as_str()));
                    cycle.pop();
                    cycle.push(specs[task].id.as_str());
                    let (key, at) = after_at(convoys, origins, task, dep);
                    let message = if cycle.len() == 2 {
                        format!("task \"{}\" depends on itself", specs[d].id)
                    } else {
                        format!("dependency cycle: {}", cycle.join(" -> "))
                    };
                    return Err(Invalid::new(key, message).at(at));
                }
            }
        }
    }
    Ok(())
}

/// "known: a, b, c" — the ids most like `missing` (longest common prefix),
/// in file order.
pub(super) fn suggest(missing: &str, candidates: &[&str]) -> String {
    if candidates.is_empty() {
        return "no tasks are known".to_string();
    }
    const SHOW: usize = 8;
    let common = |c: &str| {
        c.chars()
            .zip(missing.chars())
            .take_while(|(a, b)| a == b)
            .count()
    };
    let mut ranked: Vec<(usize, usize)> = candidates
        .iter()
        .enumerate()
        .map(|(n, c)| (n, common(c)))
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut shown: Vec<usize> = ranked.iter().take(SHOW).map(|&(n, _)| n).collect();
    shown.sort_unstable();
    let list: Vec<&str> = shown.iter().map(|&n| candidates[n]).collect();
    let more = candidates.len().saturating_sub(SHOW);
    if more > 0 {
        format!("known: {}, and {more} more", list.join(", "))
    } else {
        format!("known: {}", list.join(", "))
    }
}
