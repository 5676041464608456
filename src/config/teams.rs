//! `[[teams]]`: a lead over a few coders, owning convoys, in phases.
//!
//! ```toml
//! [[teams]]
//! name = "infra"
//! lead = "lead-infra"          # an agent with the lead role, or "operator"
//! lead_prompt = "You lead the infrastructure team."
//! coders = ["builder-01", "builder-02", "builder-03", "builder-04"]
//! convoys = ["infra"]
//! phase = 1                    # starts once earlier phases have landed
//! parallel = false             # true: starts at once, whatever its phase
//! approve_integration = true   # the lead's integration waits for the operator
//! ```
//!
//! A team's coders take only tasks of its convoys that its lead created; the
//! lead takes the rest of its convoys' tasks (the epics it breaks up). With
//! `lead = "operator"` the coders take every task of the team's convoys.
//! Agents named here that are not in the pool (`builder-NN`) join it.

use super::error::{Invalid, Seg, i, k};
use super::names::name_problem;
use crate::domain::{AgentId, ConvoyId};
use crate::engine::TeamSettings;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The most coders one lead may have: a span of control of eight.
pub const MAX_SPAN: usize = 8;
/// What a lead may be instead of an agent.
pub const OPERATOR: &str = "operator";

/// One `[[teams]]` table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Team {
    pub name: String,
    /// An agent name (a session with the lead role and its own prompt) or
    /// `"operator"`.
    #[serde(default = "operator")]
    pub lead: String,
    /// Added to the lead's prompt.
    #[serde(default)]
    pub lead_prompt: String,
    /// Agent names, one to eight (four recommended).
    pub coders: Vec<String>,
    /// The convoys the team owns.
    #[serde(default)]
    pub convoys: Vec<String>,
    /// Teams start in phase order; phase N waits for every team of an earlier
    /// phase to land its convoys.
    #[serde(default = "first_phase")]
    pub phase: u32,
    /// Starts at once, whatever its phase.
    #[serde(default)]
    pub parallel: bool,
    /// The lead's integration stops at a pause point before it lands.
    #[serde(default)]
    pub approve_integration: bool,
}

fn operator() -> String {
    OPERATOR.to_string()
}

fn first_phase() -> u32 {
    1
}

/// Check every team: names, span, members on one team only, convoys owned once.
pub(super) fn check(teams: &[Team], base: &[Seg]) -> Result<(), Invalid> {
    let at = |n: usize, parts: &[Seg]| -> Vec<Seg> {
        let mut p: Vec<Seg> = base.to_vec();
        p.extend([k("teams"), i(n)]);
        p.extend(parts.iter().cloned());
        p
    };
    let mut member: BTreeMap<&str, &str> = BTreeMap::new();
    let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
    for (n, t) in teams.iter().enumerate() {
        let bad = |key: &str, msg: String| Invalid::new(at(n, &[k(key)]), msg);
        if let Some(why) = name_problem(&t.name) {
            return Err(bad("name", format!("expected a team name: {why}")));
        }
        if teams[..n].iter().any(|o| o.name == t.name) {
            return Err(bad("name", format!("team {:?} is named twice", t.name)));
        }
        if t.coders.is_empty() || t.coders.len() > MAX_SPAN {
            return Err(bad(
                "coders",
                format!(
                    "expected 1 to {MAX_SPAN} coders (a lead's span of control; 4 recommended), found {}",
                    t.coders.len()
                ),
            ));
        }
        if t.phase == 0 {
            return Err(bad(
                "phase",
                "expected a phase of 1 or more, found 0".into(),
            ));
        }
        let lead = (t.lead != OPERATOR).then_some(t.lead.as_str());
        let members = lead.into_iter().map(|l| ("lead", None, l));
        let coders = t
            .coders
            .iter()
            .enumerate()
            .map(|(j, c)| ("coders", Some(j), c.as_str()));
        for (key, j, name) in members.chain(coders) {
            let here = match j {
                Some(j) => at(n, &[k(key), i(j)]),
                None => at(n, &[k(key)]),
            };
            let err = |msg: String| Invalid::new(at(n, &[k(key)]), msg).at(here.clone());
            if let Some(why) = name_problem(name) {
                return Err(err(format!("expected an agent name: {why}")));
            }
            if name == "team" {
                return Err(err(
                    "expected an agent name other than \"team\" (its branches would be the teams' integration branches, shiftboss/team/…)".into(),
                ));
            }
            if let Some(other) = member.insert(name, &t.name) {
                return Err(err(format!(
                    "agent {name:?} is already on team {other:?}; an agent belongs to one team"
                )));
            }
        }
        for (j, c) in t.convoys.iter().enumerate() {
            let err = |msg: String| {
                Invalid::new(at(n, &[k("convoys")]), msg).at(at(n, &[k("convoys"), i(j)]))
            };
            if let Some(why) = name_problem(c) {
                return Err(err(format!("expected a convoy name: {why}")));
            }
            if let Some(other) = owner.insert(c, &t.name) {
                return Err(err(format!(
                    "convoy {c:?} is already owned by team {other:?}"
                )));
            }
        }
    }
    Ok(())
}

/// The engine's form of the teams.
pub(super) fn settings(teams: &[Team]) -> Vec<TeamSettings> {
    teams
        .iter()
        .map(|t| TeamSettings {
            name: t.name.clone(),
            lead: (t.lead != OPERATOR).then(|| AgentId::new(&t.lead)),
            lead_prompt: t.lead_prompt.clone(),
            coders: t.coders.iter().map(AgentId::new).collect(),
            convoys: t.convoys.iter().map(ConvoyId::new).collect(),
            phase: t.phase,
            parallel: t.parallel,
            approve_integration: t.approve_integration,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use std::path::Path;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(text, Path::new("config.toml")).map_err(|e| e.to_string())
    }

    const TWO: &str = r#"
[[teams]]
name = "infra"
lead = "lead-infra"
coders = ["builder-01", "builder-02"]
convoys = ["infra"]

[[teams]]
name = "api"
coders = ["builder-03"]
convoys = ["api", "docs"]
phase = 2
approve_integration = true
"#;

    #[test]
    fn teams_parse_into_engine_settings() {
        let c = parse(TWO).unwrap();
        let s = c.engine_settings();
        assert_eq!(s.teams.len(), 2);
        assert_eq!(s.teams[0].lead.as_ref().unwrap().as_str(), "lead-infra");
        assert_eq!(s.teams[1].lead, None, "the operator leads by default");
        assert_eq!(s.teams[1].phase, 2);
        assert!(s.teams[1].approve_integration);
        assert_eq!(s.teams[1].convoys.len(), 2);
        assert!(parse("").unwrap().engine_settings().teams.is_empty());
    }

    #[test]
    fn a_span_over_eight_is_one_line_naming_file_line_and_key() {
        let nine: Vec<String> = (1..=9).map(|n| format!("\"c{n}\"")).collect();
        let text = format!(
            "[swarm]\nagents = 2\n\n[[teams]]\nname = \"big\"\ncoders = [{}]\n",
            nine.join(", ")
        );
        let e = parse(&text).unwrap_err();
        assert_eq!(e.lines().count(), 1, "{e}");
        assert!(e.starts_with("config.toml:6:"), "{e}");
        assert!(e.contains("teams[0].coders"), "{e}");
        assert!(e.contains("1 to 8 coders"), "{e}");
        assert!(e.contains("found 9"), "{e}");
        // Eight is allowed.
        let eight = text.replace("\"c9\", ", "").replace(", \"c9\"", "");
        assert!(parse(&eight).is_ok());
    }

    #[test]
    fn members_and_convoys_belong_to_one_team() {
        let twice = TWO.replace("coders = [\"builder-03\"]", "coders = [\"builder-02\"]");
        let e = parse(&twice).unwrap_err();
        assert!(e.starts_with("config.toml:10:"), "{e}");
        assert!(e.contains("already on team \"infra\""), "{e}");
        let owned = TWO.replace("[\"api\", \"docs\"]", "[\"api\", \"infra\"]");
        let e = parse(&owned).unwrap_err();
        assert!(e.contains("teams[1].convoys"), "{e}");
        assert!(e.contains("already owned by team \"infra\""), "{e}");
        let lead_codes = TWO.replace("lead = \"lead-infra\"", "lead = \"builder-01\"");
        assert!(parse(&lead_codes).unwrap_err().contains("already on team"));
        let zero = TWO.replace("phase = 2", "phase = 0");
        assert!(parse(&zero).unwrap_err().contains("teams[1].phase"));
        let bad = TWO.replace("name = \"api\"", "name = \"a b\"");
        assert!(parse(&bad).unwrap_err().contains("teams[1].name"));
        // An agent named `team` would own the teams' branches' namespace.
        let team = TWO.replace("coders = [\"builder-03\"]", "coders = [\"team\"]");
        let e = parse(&team).unwrap_err();
        assert!(
            e.contains("teams[1].coders") && e.contains("other than \"team\""),
            "{e}"
        );
    }
}
