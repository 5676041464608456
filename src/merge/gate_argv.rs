//! A gate command that `sh -c` would run as one program with fixed
//! arguments, read as those words so the gate starts the program itself:
//! one process start fewer per gate (GNU make does the same for recipe
//! lines without shell syntax).
//!
//! Only what sh reads the same way in any POSIX shell qualifies: words of
//! letters, digits and `-_./,:+@%=`, `'single-quoted'` text, and
//! `"double-quoted"` text without `$`, `` ` `` or `\`, separated by blanks;
//! optionally led by `!`, which inverts the exit status. Anything else —
//! expansions, globs, redirections, pipes, lists, comments, a tilde, an
//! assignment, a reserved word or a shell builtin as the program — and the
//! command goes to `sh -c` as written.

/// The words of a command sh would run as one program.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Argv {
    /// `! program …`: the exit status is inverted (0 when the program
    /// failed, 1 when it succeeded).
    pub negate: bool,
    /// The program, then its arguments, quotes removed.
    pub words: Vec<String>,
}

/// Reserved words and builtins of dash and bash (and ksh's `function`,
/// `select`): as the program, they mean something other than a file on
/// `PATH`, so such a command goes to the shell.
const SHELL_WORDS: &str = "\
    ! { } [[ ]] . : [ alias bg bind break builtin caller case cd chdir \
    command compgen complete compopt continue coproc declare dirs disown \
    do done echo elif else enable esac eval exec exit export false fc fg \
    fi for function getopts hash help history if in jobs kill let local \
    logout mapfile popd printf pushd pwd read readarray readonly return \
    select set shift shopt source suspend test then time times trap true \
    type typeset ulimit umask unalias unset until wait while";

/// Characters sh takes literally outside quotes, in every POSIX shell.
fn literal(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_./,:+@%=".contains(c)
}

/// The command's words when sh would run it as one program with them;
/// None when the shell must read it.
pub(super) fn argv(command: &str) -> Option<Argv> {
    let mut words: Vec<String> = Vec::new();
    // Whether the first word was written without quotes.
    let mut first_bare = false;
    let mut chars = command.chars().peekable();
    loop {
        while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
        if chars.peek().is_none() {
            break;
        }
        let mut word = String::new();
        let mut quoted = false;
        while let Some(c) = chars.next_if(|c| *c != ' ' && *c != '\t') {
            match c {
                '\'' => {
                    quoted = true;
                    loop {
                        match chars.next()? {
                            '\'' => break,
                            c => word.push(c),
                        }
                    }
                }
                '"' => {
                    quoted = true;
                    loop {
                        match chars.next()? {
                            '"' => break,
                            '$' | '`' | '\\' => return None,
                            c => word.push(c),
                        }
                    }
                }
                '!' if word.is_empty() && !quoted && words.is_empty() => word.push(c),
                c if literal(c) && word != "!" => word.push(c),
                _ => return None,
            }
        }
        // `!` is a word of its own or text inside quotes, never glued to
        // a word: sh tells those apart by rules this reader does not keep.
        if word.starts_with('!') && (quoted || word.len() > 1) {
            return None;
        }
        if words.is_empty() {
            first_bare = !quoted;
        }
        words.push(word);
    }
    let negate = first_bare && words.first().is_some_and(|w| w == "!");
    if negate {
        words.remove(0);
    }
    let program = words.first()?;
    if program.is_empty()
        || program.contains('=')
        || SHELL_WORDS.split_whitespace().any(|w| w == program)
    {
        return None;
    }
    Some(Argv { negate, words })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(command: &str) -> Option<(bool, Vec<String>)> {
        argv(command).map(|a| (a.negate, a.words))
    }

    fn s(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn plain_words_and_quotes_are_read_as_sh_reads_them() {
        assert_eq!(
            words("! grep -rn 'SIM-BUG' src"),
            Some((true, s(&["grep", "-rn", "SIM-BUG", "src"])))
        );
        assert_eq!(
            words("  cargo\ttest --workspace  "),
            Some((false, s(&["cargo", "test", "--workspace"])))
        );
        assert_eq!(
            words("grep -q \"a b\"'c d'e ''"),
            Some((false, s(&["grep", "-q", "a bc de", ""])))
        );
        assert_eq!(
            words("./check.sh --level=2 a,b:c+d@e%f"),
            Some((false, s(&["./check.sh", "--level=2", "a,b:c+d@e%f"])))
        );
        // Special characters inside single quotes are text.
        assert_eq!(
            words("grep -E '$x|*;`'"),
            Some((false, s(&["grep", "-E", "$x|*;`"])))
        );
    }

    #[test]
    fn anything_the_shell_must_read_goes_to_the_shell() {
        for command in [
            "",
            "   ",
            "!",
            "! ! grep x",
            "echo hi",
            "true",
            "test -f x",
            "[ -f x ]",
            "cd src && make",
            "if true; then make; fi",
            "make; make test",
            "make | tee log",
            "make > log",
            "make 2>&1",
            "make &",
            "grep $HOME x",
            "grep \"$HOME\" x",
            "grep \"a\\\"b\" x",
            "grep `x` y",
            "ls *.rs",
            "ls src/?",
            "ls [ab]",
            "ls ~/src",
            "ls {a,b}",
            "make # comment",
            "CC=clang make",
            "a=b",
            "grep 'unterminated",
            "grep \"unterminated",
            "make\ntest",
            "make (x)",
            "grep x\\ y",
            "grep x!",
            "'!' grep x",
            "!grep x",
            "!'x' y",
            "'!x' y",
        ] {
            assert_eq!(argv(command), None, "{command:?}");
        }
    }

    #[test]
    fn a_quoted_bang_is_a_program_name_not_an_inversion() {
        // `'!' x` runs a program named `!` in sh; shiftboss leaves it to sh.
        assert_eq!(argv("'!' grep x"), None);
        assert_eq!(
            words("! 'grep' x"),
            Some((true, s(&["grep", "x"]))),
            "a quoted program after a bare `!`"
        );
    }
}
