//! `shiftboss completions SHELL` and `shiftboss man`: what a shell and `man`
//! need, generated from the same clap definition the binary parses with.

use super::{Cli, CliResult};
use clap::CommandFactory;
use std::io::Write;

/// The shells `shiftboss completions` writes for.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// Write the completion script for `shell` to stdout.
pub fn completions(shell: Shell) -> CliResult {
    let mut cmd = Cli::command();
    let shell = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "shiftboss", &mut script);
    to_stdout(&script)
}

/// Write the man page (roff, section 1) to stdout: the top command followed
/// by one section per subcommand.
pub fn man() -> CliResult {
    let cmd = Cli::command();
    let mut page = Vec::new();
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    render_subcommands(&cmd, &mut page)?;
    man.render_version_section(&mut page)?;
    to_stdout(&page)
}

/// Write it all to stdout; a reader that stopped early (`| head`) is no error.
fn to_stdout(bytes: &[u8]) -> CliResult {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// One `.SH` section per subcommand with its synopsis, about and options.
fn render_subcommands(cmd: &clap::Command, page: &mut Vec<u8>) -> std::io::Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!(
            "{} {}",
            cmd.get_bin_name().unwrap_or("shiftboss"),
            sub.get_name()
        );
        let sub = sub.clone().bin_name(name.clone());
        let man = clap_mangen::Man::new(sub.clone());
        writeln!(page, ".SH \"{}\"", name.to_uppercase())?;
        if let Some(about) = sub.get_long_about().or(sub.get_about()) {
            writeln!(page, "{}", roff_escape(&about.to_string()))?;
        }
        let mut part = Vec::new();
        man.render_synopsis_section(&mut part)?;
        man.render_options_section(&mut part)?;
        // Demote the sub-page's sections to subsections of this one.
        let part = String::from_utf8_lossy(&part).replace(".SH ", ".SS ");
        page.extend_from_slice(part.as_bytes());
        if sub.has_subcommands() {
            render_subcommands(&sub, page)?;
        }
    }
    Ok(())
}

/// Text safe at the start of a roff line.
fn roff_escape(text: &str) -> String {
    text.lines()
        .map(|l| {
            let l = l.replace('\\', "\\\\");
            if l.starts_with('.') || l.starts_with('\'') {
                format!("\\&{l}")
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
