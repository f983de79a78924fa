//! The settings reference in `docs/configuration.md`, rendered from the binaries' own command definitions (clap):
//! one table per binary and subcommand with each setting's environment variable, flag, default and meaning.

use clap::{Arg, Command, CommandFactory};

/// Every service binary and the operator CLI, with their command definitions.
pub fn commands() -> Vec<Command> {
    vec![
        shockwave_ingest_news::Config::command(),
        shockwave_ingest_appranks::Config::command(),
        shockwave_ingest_prices::Config::command(),
        shockwave_scorer::Config::command(),
        shockwave_projector::Config::command(),
        shockwave_alerter::Config::command(),
        shockwave_api::Config::command(),
        shockwave_cli::Cli::command(),
    ]
}

/// The environment variable an argument reads, if any.
pub fn env_of(arg: &Arg) -> Option<String> {
    arg.get_env().and_then(|e| e.to_str()).map(str::to_string)
}

/// Every environment variable `command` and its subcommands read.
pub fn env_names(command: &Command) -> Vec<String> {
    let mut names: Vec<String> = command.get_arguments().filter_map(env_of).collect();
    for sub in command.get_subcommands() {
        names.extend(env_names(sub));
    }
    names
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn row(arg: &Arg) -> Option<String> {
    let id = arg.get_id().as_str();
    if id == "help" || id == "version" {
        return None;
    }
    let name = match (env_of(arg), arg.get_long()) {
        (Some(env), Some(long)) => format!("`{env}` / `--{long}`"),
        (Some(env), None) => format!("`{env}` / `<{}>`", id.to_uppercase()),
        (None, Some(long)) => format!("`--{long}`"),
        (None, None) => format!("`<{}>`", id.to_uppercase()),
    };
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .filter_map(|v| v.to_str())
        .map(|v| format!("`{v}`"))
        .collect();
    let default = if defaults.is_empty() {
        String::new()
    } else {
        defaults.join(", ")
    };
    let help = arg
        .get_long_help()
        .or_else(|| arg.get_help())
        .map(|h| h.to_string())
        .unwrap_or_default();
    let values: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| format!("`{}`", v.get_name()))
        .collect();
    let boolean = values.len() == 2 && values.iter().any(|v| v == "`true`");
    let help = if values.is_empty() || boolean {
        help
    } else {
        format!("{help} (one of {})", values.join(", "))
    };
    Some(format!(
        "| {} | {} | {} |",
        cell(&name),
        cell(&default),
        cell(&help)
    ))
}

fn render_command(out: &mut String, path: &str, command: &Command) {
    out.push_str(&format!("\n### `{path}`\n\n"));
    if let Some(about) = command.get_about() {
        out.push_str(&format!("{}\n\n", cell(&about.to_string())));
    }
    let rows: Vec<String> = command.get_arguments().filter_map(row).collect();
    if rows.is_empty() {
        out.push_str("No settings of its own.\n");
    } else {
        out.push_str("| setting | default | what it does |\n|---|---|---|\n");
        for r in rows {
            out.push_str(&r);
            out.push('\n');
        }
    }
    for sub in command.get_subcommands() {
        if sub.get_name() != "help" {
            render_command(out, &format!("{path} {}", sub.get_name()), sub);
        }
    }
}

/// The generated part of `docs/configuration.md`.
pub fn render() -> String {
    let mut out = String::new();
    for command in commands() {
        let name = command.get_name().to_string();
        render_command(&mut out, &name, &command);
    }
    out
}
