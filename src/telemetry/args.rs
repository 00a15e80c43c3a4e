//! `--log-format` and `--log-level`, for commands that set up telemetry to flatten into
//! their clap arguments (`#[command(flatten)] telemetry: TelemetryArgs`).

/// How log lines on stderr are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// For people: `2025-01-01T12:00:00Z  INFO operator.deploy{…}: message`.
    #[default]
    Text,
    /// One JSON object per line, with trace ids and span fields flattened.
    Json,
}

/// The most verbose level of this tool's own log lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogLevel {
    Off,
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    /// The level's spelling in `RUST_LOG` directives.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Off => "off",
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

/// Logging flags shared by the commands that emit logs, spans and metrics.
#[derive(Clone, Debug, Default, PartialEq, Eq, clap::Args)]
pub struct TelemetryArgs {
    /// Log line format on stderr: text, or JSON with trace ids and span fields.
    #[arg(
        long = "log-format",
        value_enum,
        value_name = "FORMAT",
        env = "OPM_LOG_FORMAT",
        default_value_t = LogFormat::Text
    )]
    pub log_format: LogFormat,
    /// Most verbose level of this tool's log lines [default: warn for text, info for
    /// json]. Overrides RUST_LOG, which takes full filter directives
    /// (`RUST_LOG=opm=debug,kube=info`).
    #[arg(
        long = "log-level",
        value_enum,
        value_name = "LEVEL",
        env = "OPM_LOG_LEVEL"
    )]
    pub log_level: Option<LogLevel>,
}
