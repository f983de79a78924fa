//! Command lines: every binary's `--version` (the package version and the git revision it was built from),
//! and parsing that explains where a bad value came from. Clap refuses unknown arguments and bad values with a
//! usage error (exit 2); when the value came from the environment, the message also names the variable, since
//! that is where the operator has to fix it.

use clap::{CommandFactory, Parser};

/// `0.1.0 (3f2a9c1e4b7d)`: the version and the git revision of the build.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("SHOCKWAVE_GIT_REVISION"),
    ")"
);

/// The environment variable behind the argument an error is about, when that variable is set.
fn blamed_variable<T: CommandFactory>(error: &clap::Error) -> Option<String> {
    let arg = error.get(clap::error::ContextKind::InvalidArg)?.to_string();
    let long = arg.split_whitespace().next()?.trim_start_matches("--");
    let command = T::command();
    let found = command
        .get_arguments()
        .find(|a| a.get_long() == Some(long))?;
    let name = found.get_env()?.to_str()?.to_string();
    crate::config::env(&name).map(|_| name)
}

/// Parses `args` (the first is the program name); `Err` is clap's error, with the responsible environment
/// variable added to its message.
pub fn try_parse_from<T, I, A>(args: I) -> Result<T, clap::Error>
where
    T: Parser,
    I: IntoIterator<Item = A>,
    A: Into<std::ffi::OsString> + Clone,
{
    T::try_parse_from(args).map_err(|error| match blamed_variable::<T>(&error) {
        Some(variable) => {
            let mut command = T::command();
            command.error(
                error.kind(),
                format!(
                    "{} (the value comes from the environment variable {variable})",
                    error.render().to_string().trim_end()
                ),
            )
        }
        None => error,
    })
}

/// Parses the process's arguments, or prints the usage error (exit 2), help or version (exit 0) and exits.
pub fn parse<T: Parser>() -> T {
    #[allow(clippy::disallowed_methods)]
    let args = std::env::args_os();
    try_parse_from::<T, _, _>(args).unwrap_or_else(|e| e.exit())
}

/// Exits with a usage error (exit 2) for a setting found bad after parsing.
pub fn exit_on<T>(result: Result<T, crate::ConfigError>) -> T {
    result.unwrap_or_else(|error| {
        eprintln!("error: {error}");
        std::process::exit(2)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Parser, Debug)]
    #[command(version = VERSION)]
    struct Args {
        /// A number.
        #[arg(long, env = "SHOCKWAVE_KIT_TEST_NUMBER", default_value_t = 3)]
        number: u32,
    }

    #[test]
    fn unknown_arguments_are_usage_errors_and_values_are_parsed() {
        let error = try_parse_from::<Args, _, _>(["x", "--nope"]).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        let args = try_parse_from::<Args, _, _>(["x", "--number", "7"]).unwrap();
        assert_eq!(args.number, 7);
        let bad = try_parse_from::<Args, _, _>(["x", "--number", "many"]).unwrap_err();
        assert_eq!(bad.exit_code(), 2);
        assert!(bad.to_string().contains("--number"), "{bad}");
    }

    #[test]
    fn the_version_carries_the_git_revision() {
        assert!(VERSION.starts_with(env!("CARGO_PKG_VERSION")) && VERSION.ends_with(')'));
    }
}
