//! Shell completion: static scripts (`completion bash|zsh|fish|powershell|elvish`, made by
//! clap_complete), kubectl's plugin completion (`completion kubectl` prints the
//! `kubectl_complete-opm` script) and the dynamic `__complete` protocol that script calls.
//!
//! kubectl 1.26+ completes `kubectl opm <TAB>` by running `kubectl_complete-opm` from `PATH`
//! with the words after `opm`, the last one being the word under the cursor (empty when the
//! cursor follows a space). It expects cobra's `__complete` output: one candidate per line
//! (`value<TAB>description` allowed), then a last line `:<directive>`, where the directive is
//! a bit set telling the shell what to do next (no space, no file completion, …). kubectl
//! passes that output through to the shell's kubectl completion script unchanged. The same
//! protocol serves `helm opm <TAB>`: Helm runs the plugin's `plugin.complete` executable with
//! the same arguments.
//!
//! The candidates come from a walk of the clap command tree, so they never drift from the
//! real flags: subcommands, `--flags` (when the word starts with `-`), values of
//! `value_enum` flags and arguments, and file completion for paths.

use clap::builder::ValueHint;
use clap::{Arg, Command, CommandFactory};

use crate::error::Error;

#[derive(Debug, clap::Args)]
pub struct CompletionArgs {
    /// The shell to generate completions for; `kubectl` prints the `kubectl_complete-opm`
    /// script for `kubectl opm <TAB>` (kubectl 1.26+).
    #[arg(value_enum)]
    pub shell: CompletionShell,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
    Kubectl,
}

/// Arguments of the hidden `__complete` command (cobra's name, which kubectl and Helm users'
/// scripts already call).
#[derive(Debug, clap::Args)]
#[command(disable_help_flag = true, disable_version_flag = true)]
pub struct CompleteArgs {
    /// The words after the program name; the last is the word under the cursor.
    #[arg(num_args = 0.., trailing_var_arg = true, allow_hyphen_values = true)]
    pub words: Vec<String>,
}

/// `completion SHELL`: print the script.
pub fn run(args: CompletionArgs) -> Result<i32, Error> {
    let shell = match args.shell {
        CompletionShell::Bash => clap_complete::Shell::Bash,
        CompletionShell::Zsh => clap_complete::Shell::Zsh,
        CompletionShell::Fish => clap_complete::Shell::Fish,
        CompletionShell::Powershell => clap_complete::Shell::PowerShell,
        CompletionShell::Elvish => clap_complete::Shell::Elvish,
        CompletionShell::Kubectl => {
            super::write_stdout(KUBECTL_COMPLETE_SCRIPT.as_bytes());
            return Ok(0);
        }
    };
    let mut cmd = super::Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "kubectl-opm", &mut out);
    super::write_stdout(&out);
    Ok(0)
}

/// `__complete WORDS…`: print the candidates in cobra's protocol.
pub fn run_complete(args: CompleteArgs, descriptions: bool) -> Result<i32, Error> {
    let completions = complete(&super::Cli::command(), &args.words);
    super::write_stdout(completions.to_protocol(descriptions).as_bytes());
    Ok(0)
}

/// Cobra's `ShellCompDirectiveDefault`: no candidates means the shell completes file names.
pub const DIRECTIVE_DEFAULT: u32 = 0;
/// Cobra's `ShellCompDirectiveNoFileComp`: do not fall back to file names.
pub const DIRECTIVE_NO_FILE_COMP: u32 = 4;
/// Cobra's `ShellCompDirectiveFilterDirs`: complete directory names only.
pub const DIRECTIVE_FILTER_DIRS: u32 = 16;

/// What `__complete` prints: candidates (with optional descriptions) and a directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completions {
    pub candidates: Vec<(String, Option<String>)>,
    pub directive: u32,
}

impl Completions {
    /// Cobra's wire format: `value[\tdescription]` lines, then `:<directive>`.
    pub fn to_protocol(&self, descriptions: bool) -> String {
        let mut out = String::new();
        for (value, help) in &self.candidates {
            out.push_str(value);
            if let (true, Some(help)) = (descriptions, help) {
                out.push('\t');
                // One line per candidate: a description must not break the protocol.
                out.push_str(help.lines().next().unwrap_or_default());
            }
            out.push('\n');
        }
        out.push_str(&format!(":{}\n", self.directive));
        out
    }
}

/// The executable script kubectl looks for on `PATH` as `kubectl_complete-opm` (and Helm as
/// `plugin.complete` in the plugin directory). It hands the words to `__complete`.
pub const KUBECTL_COMPLETE_SCRIPT: &str = r#"#!/usr/bin/env sh
# Shell completion of `kubectl opm` (kubectl 1.26+). Install this file as an executable named
# kubectl_complete-opm in a directory on PATH, e.g.:
#   kubectl-opm completion kubectl > ~/.local/bin/kubectl_complete-opm
#   chmod +x ~/.local/bin/kubectl_complete-opm
# kubectl runs it with the words after `opm`; kubectl-opm prints the candidates.
exec kubectl-opm __complete "$@"
"#;

/// Complete the command line `words` (the words after the program name; the last one is the
/// word under the cursor, possibly empty) against the command tree `root`.
pub fn complete(root: &Command, words: &[String]) -> Completions {
    let mut root = root.clone();
    // Building applies propagation (global flags, `--version` on subcommands, `help`).
    root.build();
    let (to_complete, done) = match words.split_last() {
        Some((last, rest)) => (last.as_str(), rest),
        None => ("", &[][..]),
    };

    let mut cmd = &root;
    let mut positionals = 0usize;
    let mut only_positionals = false;
    let mut pending_value: Option<&Arg> = None;
    for word in done {
        if pending_value.take().is_some() {
            // The word is the value of the previous flag; nothing else to learn from it.
            continue;
        }
        if only_positionals || word == "-" || !word.starts_with('-') {
            if word == "--" {
                only_positionals = true;
                continue;
            }
            if positionals == 0 && !only_positionals {
                if let Some(sub) = find_subcommand(cmd, word) {
                    cmd = sub;
                    continue;
                }
            }
            positionals += 1;
            continue;
        }
        if word == "--" {
            only_positionals = true;
            continue;
        }
        if let Some(long) = word.strip_prefix("--") {
            if !long.contains('=') {
                pending_value = find_long(cmd, long).filter(|a| takes_value(a));
            }
            continue;
        }
        // A cluster of short flags (`-vn`); a value-taking flag consumes the rest of the
        // word, or the next word when it ends the cluster.
        let shorts: Vec<char> = word.chars().skip(1).collect();
        for (i, c) in shorts.iter().enumerate() {
            if let Some(arg) = find_short(cmd, *c).filter(|a| takes_value(a)) {
                if i + 1 == shorts.len() {
                    pending_value = Some(arg);
                }
                break;
            }
        }
    }

    if let Some(arg) = pending_value {
        return complete_value(arg, to_complete);
    }
    if !only_positionals {
        if let Some(flag) = to_complete.strip_prefix("--") {
            if let Some((name, value)) = flag.split_once('=') {
                return match find_long(cmd, name).filter(|a| takes_value(a)) {
                    Some(arg) => complete_value(arg, value),
                    None => no_candidates(),
                };
            }
        }
        if to_complete.starts_with('-') {
            return complete_flags(cmd, to_complete);
        }
        if positionals == 0 && cmd.has_subcommands() {
            let candidates = cmd
                .get_subcommands()
                .filter(|s| !s.is_hide_set() && s.get_name().starts_with(to_complete))
                .map(|s| (s.get_name().to_string(), about(s)))
                .collect();
            return Completions {
                candidates,
                directive: DIRECTIVE_NO_FILE_COMP,
            };
        }
    }
    match positional_at(cmd, positionals) {
        Some(arg) => complete_value(arg, to_complete),
        None => no_candidates(),
    }
}

fn no_candidates() -> Completions {
    Completions {
        candidates: Vec::new(),
        directive: DIRECTIVE_NO_FILE_COMP,
    }
}

fn about(cmd: &Command) -> Option<String> {
    cmd.get_about().map(|s| s.to_string())
}

fn find_subcommand<'a>(cmd: &'a Command, word: &str) -> Option<&'a Command> {
    cmd.get_subcommands()
        .find(|s| s.get_name() == word || s.get_all_aliases().any(|a| a == word))
}

fn find_long<'a>(cmd: &'a Command, name: &str) -> Option<&'a Arg> {
    cmd.get_arguments().find(|a| {
        a.get_long() == Some(name)
            || a.get_all_aliases()
                .is_some_and(|aliases| aliases.contains(&name))
    })
}

fn find_short(cmd: &Command, c: char) -> Option<&Arg> {
    cmd.get_arguments().find(|a| {
        a.get_short() == Some(c)
            || a.get_all_short_aliases()
                .is_some_and(|aliases| aliases.contains(&c))
    })
}

fn takes_value(arg: &Arg) -> bool {
    arg.get_action().takes_values()
}

/// The positional argument that receives the `index`-th positional word (the last one when
/// it takes several values).
fn positional_at(cmd: &Command, index: usize) -> Option<&Arg> {
    for (seen, arg) in cmd.get_positionals().enumerate() {
        let many = arg
            .get_num_args()
            .is_some_and(|range| range.max_values() > 1);
        if many || index == seen {
            return Some(arg);
        }
    }
    None
}

/// `--long` (and `-s`) flags of `cmd` that start with `prefix`, in declaration order.
fn complete_flags(cmd: &Command, prefix: &str) -> Completions {
    let mut candidates = Vec::new();
    for arg in cmd.get_arguments() {
        if arg.is_hide_set() || arg.is_positional() {
            continue;
        }
        let help = arg.get_help().map(|h| h.to_string());
        if let Some(long) = arg.get_long() {
            let flag = format!("--{long}");
            if flag.starts_with(prefix) {
                candidates.push((flag, help.clone()));
            }
        }
        // Cobra offers short forms only for a lone `-`.
        if prefix == "-" {
            if let Some(short) = arg.get_short() {
                candidates.push((format!("-{short}"), help));
            }
        }
    }
    Completions {
        candidates,
        directive: DIRECTIVE_NO_FILE_COMP,
    }
}

/// Values of one argument: its possible values, or file/directory completion by value hint.
fn complete_value(arg: &Arg, prefix: &str) -> Completions {
    let values = arg.get_possible_values();
    if !values.is_empty() {
        let candidates = values
            .iter()
            .filter(|v| !v.is_hide_set() && v.get_name().starts_with(prefix))
            .map(|v| {
                (
                    v.get_name().to_string(),
                    v.get_help().map(|h| h.to_string()),
                )
            })
            .collect();
        return Completions {
            candidates,
            directive: DIRECTIVE_NO_FILE_COMP,
        };
    }
    let directive = match arg.get_value_hint() {
        ValueHint::DirPath => DIRECTIVE_FILTER_DIRS,
        // Chart directories, `.tgz` archives, values files, manifests, `-` for stdin: let
        // the shell complete paths, as cobra does for flags without a completion function.
        ValueHint::Unknown
        | ValueHint::AnyPath
        | ValueHint::FilePath
        | ValueHint::ExecutablePath => DIRECTIVE_DEFAULT,
        _ => DIRECTIVE_NO_FILE_COMP,
    };
    Completions {
        candidates: Vec::new(),
        directive,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        // A trailing space means the cursor is on a new, empty word.
        let mut w: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        if line.ends_with(' ') || line.is_empty() {
            w.push(String::new());
        }
        w
    }

    fn run(line: &str) -> String {
        complete(&crate::cli::Cli::command(), &words(line)).to_protocol(false)
    }

    #[test]
    fn top_level_subcommands() {
        let out = run("");
        assert!(out.starts_with("render\nlint\ncrd\nvalidate\n"), "{out}");
        assert!(out.ends_with("help\n:4\n"), "{out}");
        assert!(
            !out.contains("__complete"),
            "hidden commands are not offered: {out}"
        );
        assert_eq!(run("ver"), "version\n:4\n");
    }

    #[test]
    fn nested_subcommands_and_flags() {
        assert_eq!(run("crd "), "diff\nhelp\n:4\n");
        assert_eq!(run("lint --fail"), "--fail-on\n:4\n");
        assert_eq!(run("version --s"), "--short\n:4\n");
    }

    #[test]
    fn enum_values_in_all_spellings() {
        assert_eq!(run("lint --fail-on "), "error\nwarning\ninfo\n:4\n");
        assert_eq!(run("lint --fail-on w"), "warning\n:4\n");
        assert_eq!(run("lint --fail-on=e"), "error\n:4\n");
        assert_eq!(run("version -o "), "text\njson\n:4\n");
        assert_eq!(
            run("completion "),
            "bash\nzsh\nfish\npowershell\nelvish\nkubectl\n:4\n"
        );
    }

    #[test]
    fn paths_fall_back_to_the_shell() {
        // A chart argument: no candidates, directive 0 (file completion).
        assert_eq!(run("lint "), ":0\n");
        assert_eq!(run("lint charts/op "), ":0\n");
        assert_eq!(run("lint -f "), ":0\n");
        // A flag value was consumed: the next word is a chart again.
        assert_eq!(run("lint --fail-on error "), ":0\n");
    }

    #[test]
    fn descriptions_are_tab_separated() {
        let out = complete(&crate::cli::Cli::command(), &words("ver")).to_protocol(true);
        assert!(out.starts_with("version\tPrint the version"), "{out}");
    }

    #[test]
    fn unknown_words_complete_nothing() {
        assert_eq!(run("version extra "), ":4\n");
        assert_eq!(run("lint --no-such-flag="), ":4\n");
    }
}
