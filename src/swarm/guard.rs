//! The repository's `.git/config` while real agents run: recorded when the
//! first session starts, compared (and put back) when each one ends.

use super::{Swarm, SwarmError};
use crate::domain::SessionId;
use crate::engine::Input;

impl Swarm {
    /// After `session` ended: if the config changed since it was recorded,
    /// it is put back and the engine raises a critical concern. `others`:
    /// sessions still run, so the record stays for them.
    pub(super) fn check_repo_config(
        &mut self,
        session: SessionId,
        others: bool,
    ) -> Result<(), SwarmError> {
        let Some(found) = self.config_watch.check(others) else {
            return Ok(());
        };
        let (changes, restored) = match found {
            Ok(c) => (c, true),
            Err(c) => (vec![c], false),
        };
        self.input(Input::RepoConfigChanged {
            session,
            changes,
            restored,
        })
    }
}
