//! A simulated swarm opened through the library on a repository made for
//! it: the scenario's target branch with `files` in its first commit.

use shiftboss::config::Scenario;
use shiftboss::swarm::{Paths, Swarm};
use std::path::Path;

pub fn open(root: &Path, scenario: &Scenario, files: &[(&str, &str)]) -> Swarm {
    std::fs::create_dir_all(root).unwrap();
    shiftboss::merge::init_demo_repo(root, &scenario.config.swarm.target, files, scenario.start)
        .unwrap();
    let paths = Paths::new(root);
    std::fs::create_dir_all(&paths.dir).unwrap();
    let c = &scenario.config;
    Swarm::open(
        paths,
        c.engine_settings(),
        c.sim_settings(),
        c.gates.timeout.as_std(),
        scenario.start,
        &scenario.backlog,
    )
    .unwrap()
}
